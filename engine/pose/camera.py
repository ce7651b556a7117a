"""How the camera moved: the background's shift from frame to frame, measured away from the runner.

A phone that pans to follow a runner moves the whole background across the picture, while the runner
stays near the middle: from the landmarks alone that looks like a treadmill. The background's motion
tells them apart: on a treadmill the background stands still (only the belt, under the runner, moves);
with a following camera all of it moves. Corners (Shi-Tomasi) are tracked from one frame to the next
with pyramidal Lucas-Kanade optical flow (OpenCV), in a small grey copy of each frame, only where the
runner is not (outside the runner's box, widened by a margin) and above the runner's knees (the floor
of a treadmill moves with the belt). The median of their displacements is the background's shift.

Trade-offs: ++ cheap (a 360-pixel grey frame, computed in the pose workers on frames they already
decode: ~2 ms a frame against ~15-25 ms of pose); ++ robust to other movers (a median); -- a background
without texture (a clear sky, a plain wall) gives no corners, and the shift is then taken as zero;
-- zoom and rotation are not modelled, only a pan.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Frames are shrunk to this shorter side for the flow.
WORK_SIDE_PX = 360
#: Fewer tracked corners than this give no measurement (shift 0 for that frame).
MIN_TRACKS = 8
#: At most this many corners are tracked: their median shift is the background's.
MAX_CORNERS = 150
#: The runner's box is widened by this share of its size before it is masked out.
RUNNER_MARGIN = 0.3


def work_frame(rgb: np.ndarray) -> np.ndarray:
    """The frame shrunk to ``WORK_SIDE_PX`` on its shorter side (as it is where already smaller): the pixel
    measurements of the pose stage share one copy."""
    f = min(1.0, WORK_SIDE_PX / min(rgb.shape[:2]))
    return cv2.resize(rgb, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1.0 else rgb


class BackgroundFlow:
    """Feed it frames in order with the runner's landmarks; ``step`` returns each frame's background shift
    (pixels of the full frame, image axes) since the frame before (NaN where too few corners were tracked),
    and whether it was measured."""

    def __init__(self, full_width: int) -> None:
        self.full_width = full_width
        self.prev: np.ndarray | None = None
        self.prev_mask: np.ndarray | None = None

    def step(self, rgb: np.ndarray, runner_xy: np.ndarray | None) -> tuple[np.ndarray, bool]:
        grey = cv2.cvtColor(work_frame(rgb), cv2.COLOR_RGB2GRAY)
        to_full = self.full_width / grey.shape[1]
        mask = self._mask(grey.shape, None if runner_xy is None else runner_xy / to_full)
        shift, ok = np.full(2, np.nan), False
        if self.prev is not None and self.prev_mask is not None and self.prev.shape == grey.shape:
            # corners are found on a half-size copy (a quarter of the work) and tracked at the work size
            half = cv2.pyrDown(self.prev)
            half_mask = cv2.resize(self.prev_mask, half.shape[::-1], interpolation=cv2.INTER_NEAREST)
            corners = cv2.goodFeaturesToTrack(half, maxCorners=MAX_CORNERS, qualityLevel=0.01, minDistance=4,
                                              mask=half_mask)
            if corners is not None and len(corners) >= MIN_TRACKS:
                corners = corners * 2.0
                moved, status, _ = cv2.calcOpticalFlowPyrLK(self.prev, grey, corners, None,  # type: ignore[call-overload]
                                                            winSize=(15, 15),
                                                            maxLevel=3)
                good = status.ravel() == 1
                if good.sum() >= MIN_TRACKS:
                    shift = np.median((moved[good] - corners[good]).reshape(-1, 2), axis=0) * to_full
                    ok = True
        self.prev, self.prev_mask = grey, mask
        return shift, ok

    @staticmethod
    def _mask(shape: tuple[int, ...], runner_xy: np.ndarray | None) -> np.ndarray:
        """Where the background is looked at: not on the runner, not below the runner's knees."""
        h, w = shape[:2]
        mask = np.full((h, w), 255, np.uint8)
        if runner_xy is None:
            return mask
        pts = runner_xy[np.isfinite(runner_xy).all(axis=1)]
        if len(pts) < 4:
            return mask
        (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
        mx, my = RUNNER_MARGIN * (x1 - x0), RUNNER_MARGIN * (y1 - y0)
        cv2.rectangle(mask, (int(x0 - mx), int(y0 - my)), (int(x1 + mx), int(y1 + my)), 0, -1)
        knee = y0 + 0.7 * (y1 - y0)                  # the landmarks span head to feet: the knees are at ~70 %
        mask[int(np.clip(knee, 0, h)):, :] = 0
        return mask


def cumulative_shift(step_px: np.ndarray) -> np.ndarray:
    """(T, 2) position of the background relative to the first frame, from per-frame shifts; a frame whose
    shift could not be measured takes its neighbours' (a pan is smooth), and none measured means still."""
    step = np.array(step_px, float)
    if step.size == 0:
        return np.zeros((0, 2))
    k = np.arange(len(step))
    for axis in (0, 1):
        ok = np.isfinite(step[:, axis])
        step[:, axis] = np.interp(k, k[ok], step[ok, axis]) if ok.any() else 0.0
    step[0] = 0.0
    return np.cumsum(step, axis=0)
