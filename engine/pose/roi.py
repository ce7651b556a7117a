"""A region of interest that follows a runner too small in the frame for BlazePose to find.

BlazePose's person detector misses people under about a third of the frame height (a distant runner
crossing a wide frame). The runner is, however, the thing that moves: a first pass builds the still
background as the per-pixel median of frames spread over the clip, and in every frame the largest
the parts that differ from it are the runner (on a treadmill only the limbs: the runner stays in
place and so is part of the background; their union over 0.3 s either side spans the swinging arms
and legs). The crop handed to BlazePose stands on the union's bottom (the feet), 1.8 times its height tall and
0.8 times as wide as tall, smoothed over time so the tracker is not thrown by a jumping crop. Landmarks found in the
crop are mapped back to the full frame.

++ a still camera, one moving person; -- a panning camera, or a second person moving as much.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from engine.pose.video import iter_frames, probe

#: Frames sampled for the background model.
BACKGROUND_SAMPLES = 31
#: The motion pass works on frames this tall (pixels).
WORK_HEIGHT = 270
#: A pixel belongs to the mover when its grey level differs from the background by more than this.
DIFF_LEVEL = 25


def _grey(rgb: np.ndarray, scale: float) -> np.ndarray:
    small = cv2.resize(rgb, (max(2, int(rgb.shape[1] * scale)), max(2, int(rgb.shape[0] * scale))),
                       interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0)


def motion_boxes(path: str | Path, *, max_short_side_px: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(time_s, boxes)``: per frame the crop ``(x0, y0, x1, y1)`` in the pixels of the frames that
    :func:`iter_frames` yields with the same ``max_short_side_px``; NaN where nothing moved.

    Two streaming passes over the clip, keeping only small grey frames: memory stays flat.
    """
    n_frames = max(1, probe(path).frame_count)
    wanted = set(np.linspace(0, n_frames - 1, min(BACKGROUND_SAMPLES, n_frames)).astype(int).tolist())
    samples, shape = [], None
    for k, (_, img) in enumerate(iter_frames(path, max_short_side_px=max_short_side_px)):
        if shape is None:
            shape = img.shape[:2]
            scale = min(1.0, WORK_HEIGHT / shape[0])
        if k in wanted:
            samples.append(_grey(img, scale))
    if shape is None:
        return np.empty(0), np.empty((0, 4))
    h, w = shape
    background = np.median(np.stack(samples), axis=0).astype(np.int16)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    times: list[float] = []
    raw: list[np.ndarray] = []
    for t, img in iter_frames(path, max_short_side_px=max_short_side_px):
        times.append(t)
        raw.append(np.full(4, np.nan))
        mask = (np.abs(_grey(img, scale).astype(np.int16) - background) > DIFF_LEVEL).astype(np.uint8)
        mask = cv2.morphologyEx(cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel), cv2.MORPH_CLOSE, kernel, iterations=2)
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        keep = stats[1:][stats[1:, cv2.CC_STAT_AREA] >= 40]
        if len(keep):
            # every moving part: on a treadmill only the limbs differ from a background that holds the runner
            x0, y0 = keep[:, 0].min(), keep[:, 1].min()
            x1, y1 = (keep[:, 0] + keep[:, 2]).max(), (keep[:, 1] + keep[:, 3]).max()
            raw[-1] = np.array([x0, y0, x1, y1], float) / scale
    stamps = np.array(times)
    fps = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 and stamps[-1] > stamps[0] else 30.0
    return stamps, _crops(_window_union(np.array(raw), max(1, int(round(0.3 * fps)))), w, h)


def _window_union(boxes: np.ndarray, half: int) -> np.ndarray:
    """The union of the boxes within ``half`` frames either side (the limbs swing through in that time)."""
    out = np.full_like(boxes, np.nan)
    for k in range(len(boxes)):
        win = boxes[max(0, k - half):k + half + 1]
        win = win[np.isfinite(win[:, 0])]
        if len(win):
            out[k] = [win[:, 0].min(), win[:, 1].min(), win[:, 2].max(), win[:, 3].max()]
    return out


def _crops(blobs: np.ndarray, w: int, h: int) -> np.ndarray:
    """Moving-part boxes -> smoothed crops clamped to the frame (NaN rows stay NaN).

    The crop stands on the feet (the bottom of the moving parts) and is 1.8 times their height tall,
    so a head and trunk that did not move (a treadmill runner) are inside it too, and the runner fills
    about half of it or more.
    """
    cx = 0.5 * (blobs[:, 0] + blobs[:, 2])
    bottom = blobs[:, 3]
    size = 1.8 * (blobs[:, 3] - blobs[:, 1])
    ok = np.isfinite(cx)
    if ok.sum() >= 3:
        # a running median over 9 frames: the moving parts' height changes with the stride, the crop should not
        size[ok] = np.array([np.median(size[ok][max(0, i - 4):i + 5]) for i in range(ok.sum())])
        cx[ok] = np.convolve(np.pad(cx[ok], 2, mode="edge"), np.ones(5) / 5, mode="valid")
        bottom[ok] = np.convolve(np.pad(bottom[ok], 2, mode="edge"), np.ones(5) / 5, mode="valid")
    size = np.clip(size, 64, h)
    half_w = np.clip(0.4 * size, 32, 0.5 * w)
    y1 = np.clip(bottom + 0.1 * size, size, h)
    x0 = np.clip(cx - half_w, 0, w - 2 * half_w)
    return np.column_stack([x0, y1 - size, x0 + 2 * half_w, y1])
