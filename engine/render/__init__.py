"""Drawing on frames: the lean line at every ground contact, key frames, an overlay video.

The picture a Pose Method coach looks for at initial contact: the stance ankle, the mid-hip and the
mid-shoulder joined by a line (straight when the runner is aligned, leaning forward from the ankle),
the vertical through the ankle for reference, and the step's lean, alignment and foot strike.
Overlay videos are H.264 in .mp4 with the index at the front (``+faststart``) written by PyAV, which
is already a dependency for decoding and bundles libx264, so browsers play them and no external
ffmpeg binary is needed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from engine.model import LandmarkTrack
from engine.pose.video import iter_frames, probe, write_h264

LINE_RGB = (255, 214, 0)       # the lean line
VERTICAL_RGB = (255, 255, 255)
JOINT_RGB = (230, 40, 40)
SKELETON_RGB = (60, 200, 255)
BLANK_RGB = (38, 42, 48)
_BONES = [("shoulder", "hip"), ("hip", "knee"), ("knee", "ankle"), ("ankle", "heel"), ("heel", "foot_index"),
          ("ankle", "foot_index"), ("shoulder", "elbow"), ("elbow", "wrist")]


@dataclass
class KeyFrame:
    """One contact's frame with the lean line drawn: RGB image, the step's row and its index."""

    step: int
    side: str
    ic_s: float
    image: np.ndarray

    def jpeg(self, quality: int = 88) -> bytes:
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(self.image, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        return buf.tobytes()


def points_at(track: LandmarkTrack, t: float) -> dict[str, np.ndarray]:
    """Every landmark (pixels) at the track sample nearest ``t``, plus mid_hip and mid_shoulder."""
    i = int(np.argmin(np.abs(track.time_s - t)))
    pts = {n: track.xy[i, j] for j, n in enumerate(track.names)}
    pts["mid_hip"] = 0.5 * (pts["left_hip"] + pts["right_hip"])
    pts["mid_shoulder"] = 0.5 * (pts["left_shoulder"] + pts["right_shoulder"])
    return pts


def _ipt(p) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def _fmt(value, unit: str) -> str:
    return "-" if value is None or (isinstance(value, float) and not math.isfinite(value)) else f"{value:+.1f}{unit}"


def draw_skeleton(img: np.ndarray, pts: dict[str, np.ndarray], *, thickness: int = 2) -> None:
    for side in ("left", "right"):
        for a, b in _BONES:
            pa, pb = pts.get(f"{side}_{a}"), pts.get(f"{side}_{b}")
            if pa is not None and pb is not None and np.isfinite(pa).all() and np.isfinite(pb).all():
                cv2.line(img, _ipt(pa), _ipt(pb), SKELETON_RGB, thickness, cv2.LINE_AA)


def lean_line_problem(pts: dict[str, np.ndarray], side: str) -> str | None:
    """Why the lean line of a contact cannot be drawn (a point it needs was not seen), or None."""
    missing = [name for name, key in (("stance ankle", f"{side}_ankle"), ("hips", "mid_hip"),
                                      ("shoulders", "mid_shoulder"))
               if key not in pts or not np.isfinite(pts[key]).all()]
    if not missing:
        return None
    return f"no lean line: the {' and '.join(missing)} {'was' if len(missing) == 1 else 'were'} not seen"


def draw_lean_line(img: np.ndarray, pts: dict[str, np.ndarray], row: dict, *, scale: float | None = None) -> np.ndarray:
    """Draw ankle -> mid-hip -> mid-shoulder, the vertical through the ankle, and the step's numbers.

    ``row`` is one row of the per-step table (``side``, ``lean_deg``, ``alignment_deg``,
    ``foot_strike``, ``foot_strike_angle_deg``). Draws in place and returns ``img``.
    """
    h, w = img.shape[:2]
    s = scale or max(1.0, min(h, w) / 540.0)
    problem = lean_line_problem(pts, str(row["side"]))
    if problem:
        _label(img, [f"{row['side']} contact", problem], s)
        return img
    ankle, hip, shoulder = pts[f"{row['side']}_ankle"], pts["mid_hip"], pts["mid_shoulder"]
    top = min(shoulder[1], hip[1]) - 0.15 * abs(ankle[1] - shoulder[1])
    cv2.line(img, _ipt(ankle), _ipt((ankle[0], top)), VERTICAL_RGB, max(1, int(s)), cv2.LINE_AA)
    for a, b in ((ankle, hip), (hip, shoulder)):
        cv2.line(img, _ipt(a), _ipt(b), LINE_RGB, max(2, int(3 * s)), cv2.LINE_AA)
    for p in (ankle, hip, shoulder):
        cv2.circle(img, _ipt(p), max(3, int(5 * s)), JOINT_RGB, -1, cv2.LINE_AA)
    _label(img, [
        f"{row['side']} contact",
        f"lean {_fmt(row.get('lean_deg'), ' deg')}",
        f"alignment {_fmt(row.get('alignment_deg'), ' deg')}",
        f"{row.get('foot_strike') or '-'} ({_fmt(row.get('foot_strike_angle_deg'), ' deg')})",
    ], s)
    return img


def _label(img: np.ndarray, lines: list[str], s: float) -> None:
    """White text on a black box in the top-left corner, sized to the picture (readable in a thumbnail)."""
    fs = 0.7 * s
    lh = int(28 * s)
    box_w = max(int(cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, fs, max(1, int(1.8 * s)))[0][0]) for t in lines)
    cv2.rectangle(img, (6, 6), (22 + box_w, 16 + lh * len(lines)), (0, 0, 0), -1)
    for k, text in enumerate(lines):
        cv2.putText(img, text, (14, 6 + lh * (k + 1)), cv2.FONT_HERSHEY_SIMPLEX, fs, (255, 255, 255),
                    max(1, int(1.8 * s)), cv2.LINE_AA)


def frames_at(path: str | Path, times_s: Iterable[float]) -> Iterator[tuple[float, np.ndarray]]:
    """For each requested time (ascending), the frame nearest to it; one pass over the clip."""
    wanted = sorted(float(t) for t in times_s)
    if not wanted:
        return
    k = 0
    prev: tuple[float, np.ndarray] | None = None
    for t, img in iter_frames(path, start_s=max(0.0, wanted[0] - 0.2)):
        while k < len(wanted) and t >= wanted[k]:
            best = prev if prev is not None and abs(prev[0] - wanted[k]) < abs(t - wanted[k]) else (t, img)
            yield wanted[k], best[1]
            k += 1
        if k == len(wanted):
            return
        prev = (t, img)
    while k < len(wanted) and prev is not None:
        yield wanted[k], prev[1]
        k += 1


def runner_box(pts: dict[str, np.ndarray], image_shape: tuple[int, ...], *, margin: float = 0.25,
               aspect: float = 0.8) -> tuple[int, int, int, int]:
    """A crop ``(x0, y0, x1, y1)`` around the runner's landmarks with a margin, width/height ``aspect``.

    Falls back to the whole image when no landmark is finite.
    """
    h, w = image_shape[:2]
    xy = np.array([p for p in pts.values() if np.isfinite(p).all()])
    if len(xy) == 0:
        return 0, 0, w, h
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    bh = (y1 - y0) * (1 + 2 * margin)
    bw = max((x1 - x0) * (1 + 2 * margin), bh * aspect)
    bh = max(bh, bw / aspect)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    bw, bh = min(bw, w), min(bh, h)
    left = int(np.clip(cx - bw / 2, 0, w - bw))
    top = int(np.clip(cy - bh / 2, 0, h - bh))
    return left, top, int(left + bw), int(top + bh)


def crop_to_runner(img: np.ndarray, pts: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The image cut to :func:`runner_box` and the points moved into the cut's pixels."""
    x0, y0, x1, y1 = runner_box(pts, img.shape)
    return np.ascontiguousarray(img[y0:y1, x0:x1]), {k: v - (x0, y0) for k, v in pts.items()}


def blank_canvas(track: LandmarkTrack) -> np.ndarray:
    """A plain dark image of the track's size, to draw landmarks that came without a clip."""
    return np.full((int(track.image_height or 720), int(track.image_width or 1280), 3), BLANK_RGB, dtype=np.uint8)


def _blank_frames(track: LandmarkTrack, times_s: Iterable[float]) -> Iterator[tuple[float, np.ndarray]]:
    for t in sorted(times_s):
        yield t, blank_canvas(track)


def key_frames(path: str | Path | None, track: LandmarkTrack, rows: pd.DataFrame, *,
               max_side_px: int = 720, crop: bool = False) -> list[KeyFrame]:
    """The frame of every initial contact in ``rows`` with its lean line, shrunk to ``max_side_px``.

    With ``path=None`` (landmarks from another tool, no clip) the skeleton and the lean line are
    drawn on a plain canvas of the track's image size. ``crop`` cuts the frame to the runner (with a
    margin), so the lean line is large enough to judge in a gallery.
    """
    if rows.empty or "ic_s" not in rows.columns:
        return []
    records = rows.reset_index(drop=True).to_dict(orient="records")
    by_time: dict[float, list[int]] = {}
    for i, r in enumerate(records):
        by_time.setdefault(float(r["ic_s"]), []).append(i)
    out: list[KeyFrame] = []
    frames = frames_at(path, by_time) if path is not None else _blank_frames(track, by_time)
    for t, img in frames:
        for i in by_time[t]:
            r = records[i]
            pts = points_at(track, t)
            canvas, pts = crop_to_runner(img, pts) if crop else (img.copy(), pts)
            draw_skeleton(canvas, pts, thickness=max(1, int(min(canvas.shape[:2]) / 540)))
            draw_lean_line(canvas, pts, r)
            f = min(1.0, max_side_px / max(canvas.shape[:2]))
            if f < 1.0:
                canvas = cv2.resize(canvas, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            out.append(KeyFrame(step=i, side=str(r["side"]), ic_s=t, image=canvas))
    out.sort(key=lambda k: k.step)
    return out


def write_key_frames(frames: list[KeyFrame], directory: str | Path) -> list[Path]:
    """Write key frames as ``contact_NNN_<side>_<t>s.jpg``."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for kf in frames:
        p = d / f"contact_{kf.step + 1:03d}_{kf.side}_{kf.ic_s:07.3f}s.jpg"
        p.write_bytes(kf.jpeg())
        paths.append(p)
    return paths


def overlay_video(path: str | Path, track: LandmarkTrack, rows: pd.DataFrame, out_path: str | Path,
                  *, hold_ms: float = 120.0, max_side_px: int = 1280, crf: int = 23) -> Path:
    """The clip with the skeleton on every frame and the lean line held for ``hold_ms`` after each IC.

    H.264 (yuv420p) in .mp4 with ``+faststart``, playable in browsers.
    """
    info = probe(path)
    ics = rows[["ic_s"]].assign(i=range(len(rows))).to_numpy() if not rows.empty else np.empty((0, 2))
    records = rows.reset_index(drop=True).to_dict(orient="records")
    f = min(1.0, max_side_px / max(info.width, info.height))
    w, h = int(round(info.width * f / 2)) * 2, int(round(info.height * f / 2)) * 2

    def annotated():
        for t, img in iter_frames(path):
            canvas = img.copy()
            draw_skeleton(canvas, points_at(track, t))
            recent = ics[(ics[:, 0] <= t + 1e-6) & (t - ics[:, 0] <= hold_ms / 1000.0)] if len(ics) else ics
            if len(recent):
                draw_lean_line(canvas, points_at(track, float(recent[-1, 0])), records[int(recent[-1, 1])])
            if f < 1.0 or canvas.shape[1] != w or canvas.shape[0] != h:
                canvas = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)
            yield t, canvas

    return write_h264(out_path, annotated(), fps=info.fps, width=w, height=h, crf=crf)
