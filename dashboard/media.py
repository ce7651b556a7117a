"""Pictures for the Session page: the clip's frame at any moment with the skeleton and lean line."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from engine.model import LandmarkTrack
from engine.pose.video import iter_frames
from engine.render import (
    blank_canvas,
    crop_to_runner,
    draw_lean_line,
    draw_skeleton,
    frames_at,
    lean_line_problem,
    points_at,
)
from engine.sources.landmarks_csv import read_landmark_csv
from engine.store import StoredSession


@lru_cache(maxsize=8)
def _track(path: str) -> LandmarkTrack:
    return read_landmark_csv(path)


#: The scrubber decodes this much of the clip at once and keeps it, so stepping is instant inside it.
WINDOW_S = 2.0
#: Frames are kept at most this wide (memory: 2 s at 60 fps of 960 x 540 is ~190 MB; two windows kept).
WINDOW_SIDE_PX = 960


@lru_cache(maxsize=2)
def _window(path: str, start_s: float) -> tuple[np.ndarray, list[np.ndarray]]:
    times, frames = [], []
    for t, img in iter_frames(path, start_s=start_s, end_s=start_s + WINDOW_S):
        f = min(1.0, WINDOW_SIDE_PX / max(img.shape[:2]))
        frames.append(cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1.0 else img)
        times.append(t)
    return np.array(times), frames


def clip_frame(path: str, t: float) -> np.ndarray:
    """The frame nearest ``t``, from a window of the clip decoded once (the scrubber steps inside it)."""
    start = max(0.0, np.floor(t / WINDOW_S) * WINDOW_S)
    times, frames = _window(path, float(start))
    if not frames or (t - times[-1]) > 0.1:           # past the window's last frame: the next window
        times, frames = _window(path, float(start + WINDOW_S))
    if not frames:
        return next(iter(frames_at(path, [t])))[1]
    return frames[int(np.argmin(np.abs(times - t)))]


def track(stored: StoredSession) -> LandmarkTrack:
    """The session's stored landmark track (read once per file)."""
    return _track(str(stored.media["landmarks"]))


def frame_at(stored: StoredSession, t: float, *, max_side_px: int = 960, crop: bool = True) -> tuple[np.ndarray, str]:
    """The frame nearest ``t`` (or a plain canvas without a clip) with the skeleton drawn.

    The lean line and the step's numbers are drawn when ``t`` is within one frame of a contact;
    ``crop`` cuts the picture to the runner.
    """
    track = _track(str(stored.media["landmarks"])) if "landmarks" in stored.media else None
    video: Path | None = stored.media.get("video")
    if video is not None:
        img = clip_frame(str(video), t).copy()
    elif track is not None:
        img = blank_canvas(track)
    else:
        raise FileNotFoundError("this session has neither a clip nor landmarks")
    caption = f"{t:.2f} s"
    if track is not None:
        k = img.shape[1] / float(track.image_width or img.shape[1])   # the window keeps frames shrunk
        pts = {n: p * k for n, p in points_at(track, t).items()}
        if crop:
            img, pts = crop_to_runner(img, pts)
        draw_skeleton(img, pts, thickness=max(1, int(min(img.shape[:2]) / 540)))
        rows = stored.result.rows
        if "ic_s" in rows.columns and len(rows):
            dt = (rows["ic_s"] - t).abs()
            i = int(dt.idxmin())
            if dt[i] <= 1.0 / float(stored.result.source.get("fps") or 30.0) + 1e-6:
                draw_lean_line(img, pts, rows.loc[i].to_dict())
                caption += f" · contact #{rows.index.get_loc(i) + 1} ({rows.loc[i, 'side']})"
                problem = lean_line_problem(pts, str(rows.loc[i, "side"]))
                caption += f" · {problem}" if problem else ""
    f = min(1.0, max_side_px / max(img.shape[:2]))
    if f < 1.0:
        img = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    return img, caption


#: Codecs every browser plays; others (HEVC from iPhones) are converted for review.
BROWSER_CODECS = ("h264", "vp8", "vp9", "av1")


@lru_cache(maxsize=16)
def _probe(path: str, mtime_ns: int):
    """A clip's probe, once per file (the Compare and Session pages ask on every re-run)."""
    from engine.pose.video import probe

    return probe(path)


def review_clip(stored: StoredSession, set_media) -> Path | None:
    """A clip the browser plays inline: the stored clip when it is small and H.264/VP9, else a 640-pixel
    H.264 copy made once and kept with the session (``set_media(session_id, role, path)``)."""
    from dashboard.player import MAX_INLINE_MB
    from engine.pose.video import write_h264

    video = stored.media.get("video")
    if video is None:
        return None
    if "review" in stored.media:
        return stored.media["review"]
    info = _probe(str(video), video.stat().st_mtime_ns)
    if video.stat().st_size <= MAX_INLINE_MB * 2**20 and info.codec in BROWSER_CODECS:
        return video
    f = min(1.0, 640 / max(info.width, info.height))
    w, h = int(round(info.width * f / 2)) * 2, int(round(info.height * f / 2)) * 2
    import tempfile

    with tempfile.TemporaryDirectory(prefix="leanline-review-") as tmp:
        out = write_h264(Path(tmp) / "review.mp4", ((t, cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA))
                                                    for t, img in iter_frames(video)),
                         fps=info.fps, width=w, height=h, crf=30)
        return set_media(stored.id, "review", out)
