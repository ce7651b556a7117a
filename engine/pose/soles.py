"""Where the shoes' soles are: the lower edge of each foot's silhouette, from the pixels.

BlazePose's heel and foot-index points sit inside the shoe and jitter by centimetres from frame to frame,
which moves the contact events and the strike angle (a forefoot runner read as rearfoot). The pixels
show the sole itself: against a still background the runner is foreground, and the lowest foreground
pixel of each image column under a foot is the sole's bottom edge. A straight line fitted to those
points (trimmed of the other foot and of stray pixels) is the sole line; its heights below the heel and
the foot-index points replace those landmarks' heights, so the contact timing and the strike angle read
the sole, not the inside of the shoe.

The foreground is OpenCV's Gaussian-mixture background model (MOG2), learned as the clip plays, on the
same shrunk frame the camera motion is measured on. On a treadmill the feet pass the same pixels every
stride; the background ratio is set so that only the floor's dominant colour is background and a shoe
that covers those pixels a third of the time stays foreground.

Trade-offs, measured on the synthetic runner's looks (``benchmarks/sweep_looks.py``) and the real clips:
++ heights of the sole to about a pixel of the shrunk frame, steadier than the landmarks, and a sole
angle that needs no flat-foot calibration; ++ ~2 ms a frame; -- needs a still camera or a plain
floor: while the background moves (a following or shaking phone) a foot is measured only where the floor
below it still matches the background model (a plain floor looks the same wherever the camera points; a
textured one moves with the picture and is all foreground), and the landmarks are kept elsewhere;
-- a shadow or a reflection under the shoe counts as shoe where the model does not mark it as shadow;
-- where the two feet overlap in the image (mid-swing past the stance foot) the lower one is seen, so
points far below a foot's own landmarks are not taken.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.model import LANDMARK_NAMES
from engine.pose.camera import work_frame
from engine.pose.repair import hampel_outliers

#: The column range searched around a foot, beyond its heel and foot-index points, in foot lengths.
SIDE_MARGIN_FOOT = 0.15
#: How far below a foot's lower landmark its sole may be, in foot lengths.
BELOW_FOOT = 0.6
#: A frame whose background moved more than this (full-frame pixels) is measured only where the floor under
#: the foot stays background: at most ``MAX_FLOOR_FOREGROUND`` of the lowest 1 / ``FLOOR_ROWS_SHARE`` of the
#: rows searched below it are foreground.
MAX_SHIFT_PX = 1.0
MAX_FLOOR_FOREGROUND, FLOOR_ROWS_SHARE = 0.05, 5
#: Fewer sole columns than this give no line.
MIN_COLUMNS = 4
#: A foot shorter than this (heel to foot-index point, pixels of the shrunk frame) is too small to show its
#: sole's angle: a runner a quarter of the frame tall has feet of 6-7 such pixels.
MIN_FOOT_PX = 10.0
#: MOG2: frames of history, variance threshold and the share of a pixel's history that is background.
HISTORY, VAR_THRESHOLD, BACKGROUND_RATIO = 300, 16.0, 0.6

#: The model's background image is refreshed every this many frames, for the sub-pixel edges.
BACKGROUND_EVERY = 10

_FEET = {side: tuple(LANDMARK_NAMES.index(f"{side}_{p}") for p in ("heel", "foot_index", "ankle"))
         for side in ("left", "right")}


class SoleFinder:
    """Feed it the frames in order with BlazePose's landmarks; ``step`` returns, per foot (left, right), the
    sole line's heights (full-frame image y) below the heel and the foot-index points, NaN where the sole
    was not measured."""

    def __init__(self, full_width: int) -> None:
        self.full_width = full_width
        self.model = cv2.createBackgroundSubtractorMOG2(history=HISTORY, varThreshold=VAR_THRESHOLD,
                                                        detectShadows=True)
        self.model.setBackgroundRatio(BACKGROUND_RATIO)
        self.background: np.ndarray | None = None
        self.frames = 0
        self.top: int | None = None     # the band of the picture modelled: from above the knees down

    def step(self, rgb: np.ndarray, xy: np.ndarray | None, shift: np.ndarray | None = None) -> np.ndarray:
        """Heights (2, 2) for one frame (already shrunk by :func:`engine.pose.camera.work_frame` or not) and its
        landmarks."""
        small = work_frame(rgb)
        to_full = self.full_width / small.shape[1]
        out = np.full((2, 2), np.nan)
        if self.top is None:
            self.top = _band_top(xy, to_full)
            if self.top is None:
                return out                          # nobody seen yet: no band to model
        band = small[self.top:]
        fg = self.model.apply(band) == 255          # 127 marks shadow: not shoe
        # a shift that could not be measured (a background without corners) is no evidence of a moving camera
        moved = shift is not None and bool(np.all(np.isfinite(shift))) and float(np.hypot(*shift)) > MAX_SHIFT_PX
        if xy is None:
            return out
        if self.background is None or self.frames % BACKGROUND_EVERY == 0:
            self.background = self.model.getBackgroundImage().astype(np.int16)
        self.frames += 1
        up = np.array([0.0, self.top])
        for s, (heel_i, toe_i, ankle_i) in enumerate(_FEET.values()):
            line = sole_line(fg, xy[heel_i] / to_full - up, xy[toe_i] / to_full - up, xy[ankle_i] / to_full - up,
                             frame=band, background=self.background, still_floor=moved)
            if line is not None:
                slope, icpt = line
                out[s] = (slope * xy[[heel_i, toe_i], 0] / to_full + icpt + self.top) * to_full
        return out


#: The band modelled starts this many shin lengths above the higher knee of the first frame with a pose.
BAND_ABOVE_KNEE = 0.5
_KNEES, _ANKLES = ([LANDMARK_NAMES.index(f"{s}_{p}") for s in ("left", "right")] for p in ("knee", "ankle"))


def _band_top(xy: np.ndarray | None, to_full: float) -> int | None:
    """First row of the band below which the feet are: the background model covers only it (a third of the
    picture's pixels for a runner filling its height), or None without knees and ankles."""
    if xy is None:
        return None
    knee, ankle = xy[_KNEES, 1] / to_full, xy[_ANKLES, 1] / to_full
    if not (np.isfinite(knee).all() and np.isfinite(ankle).all()):
        return None
    shin = float(np.max(ankle) - np.min(knee))
    return int(max(0.0, np.min(knee) - BAND_ABOVE_KNEE * max(shin, 0.0)))


def sole_line(fg: np.ndarray, heel: np.ndarray, toe: np.ndarray, ankle: np.ndarray,
              frame: np.ndarray | None = None, background: np.ndarray | None = None,
              still_floor: bool = False) -> tuple[float, float] | None:
    """``(slope, intercept)`` of the line ``y = slope x + intercept`` along the lowest foreground pixels of
    the columns under one foot (mask pixels), or None where too few columns show one.

    ``still_floor``: the background moved (a camera that pans), so the line is only found where the floor
    below the foot still matches the background model: at most ``MAX_FLOOR_FOREGROUND`` of the window's
    lowest rows are foreground (a plain floor, which looks the same wherever the camera points); a
    textured floor that moves with the picture is all foreground there, and gives no line."""
    if not (np.isfinite(heel).all() and np.isfinite(toe).all() and np.isfinite(ankle).all()):
        return None
    h, w = fg.shape
    length = float(np.hypot(*(toe - heel)))
    if length < MIN_FOOT_PX:
        return None
    x0 = int(max(0, min(heel[0], toe[0]) - SIDE_MARGIN_FOOT * length))
    x1 = int(min(w - 1, max(heel[0], toe[0]) + SIDE_MARGIN_FOOT * length))
    y0 = int(max(0, ankle[1]))
    y1 = int(min(h - 1, max(heel[1], toe[1]) + BELOW_FOOT * length))
    if x1 - x0 < MIN_COLUMNS or y1 - y0 < 2:
        return None
    window = fg[y0:y1 + 1, x0:x1 + 1]
    if still_floor and window[-max(2, window.shape[0] // FLOOR_ROWS_SHARE):].mean() > MAX_FLOOR_FOREGROUND:
        return None
    seen = window.any(axis=0)
    # a column whose foreground reaches the window's floor is not a sole (the other foot, or a background
    # that moved): the sole lies above it
    seen &= ~window[-1]
    if seen.sum() < MIN_COLUMNS:
        return None
    bottom = y0 + window.shape[0] - 1 - np.argmax(window[::-1], axis=0)
    xs = (x0 + np.flatnonzero(seen)).astype(float)
    ys = bottom[seen].astype(float) + 0.5          # the pixel's lower edge
    if frame is not None and background is not None:
        diff = np.abs(frame[y0:y1 + 1, x0:x1 + 1].astype(np.int16) - background[y0:y1 + 1, x0:x1 + 1]).sum(axis=2)
        ys = _half_contrast_edges(diff, window, bottom[seen] - y0, np.flatnonzero(seen)) + y0
    # the sole is the lower envelope: columns whose lowest point lies well above the line (the rounded heel
    # and toe, the other foot or the shin passing over them) are dropped; a robust line (Huber, OpenCV's fitLine) first,
    # then least squares on what lies on it
    vx, vy, px, py = cv2.fitLine(np.column_stack([xs, ys]).astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
    if abs(vx) < 1e-6:
        return None
    slope = float(vy / vx)
    icpt = float(py - slope * px)
    above = (slope * xs + icpt) - ys
    spread = max(1.0, 1.4826 * float(np.median(np.abs(above))))
    keep = np.abs(above) <= 2.5 * spread
    if keep.sum() >= MIN_COLUMNS:
        slope, icpt = np.polyfit(xs[keep], ys[keep], 1)
    return float(slope), float(icpt)


#: A sole height further than this from the median of its neighbours (pixels, and robust SDs of such
#: departures) is a glitch: the other foot or a stray blob taken for the sole for a frame.
GLITCH_PX, GLITCH_SD = 3.0, 4.0
#: The neighbours: a centred window of at most this many frames, spanning at most ``GLITCH_WINDOW_S``. A median
#: filter removes any dip shorter than half its window, and a forefoot runner's heel is down for 30-60 ms:
#: at 30 fps one or two frames, which five frames (167 ms) took for a glitch, and the sole read tilted in
#: mid-stance.
GLITCH_FRAMES, GLITCH_WINDOW_S = 5, 0.1
#: Gaps up to this many frames in a sole's heights are bridged along the sole itself.
BRIDGE_FRAMES = 3


def _half_contrast_edges(diff: np.ndarray, fg: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Sub-pixel bottom edges: per column, below the lowest pixel whose difference from the background
    reaches half the foreground's typical difference, where the difference falls through that half.

    The contrast, not the mask, places the edge. Compression noise under a landing shoe makes the
    background model mark a few floor pixels as foreground, seldom at half the shoe's contrast; and a
    dark sole on a lighter floor can be taken for the shoe's shadow and left out of the mask, though it
    differs from the floor as much as the shoe. A column without such a pixel keeps the mask's lowest.
    """
    level = 0.5 * float(np.median(diff[fg])) if fg.any() else 0.0
    out = rows.astype(float) + 0.5
    if level <= 0:
        return out
    h = diff.shape[0]
    strong = diff[:, cols] >= level
    low = h - 1 - np.argmax(strong[::-1], axis=0)
    k = np.flatnonzero(strong.any(axis=0) & (low < h - 1))
    above, below = diff[low[k], cols[k]].astype(float), diff[low[k] + 1, cols[k]].astype(float)
    out[k] = low[k] + (above - level) / np.maximum(above - below, 1e-9)
    return out


def _bridged(v: np.ndarray) -> np.ndarray:
    """``v`` with gaps of up to ``BRIDGE_FRAMES`` frames filled linearly (:func:`engine.gait.signal.bridge_gaps`
    on a clock that counts frames: a gap's length runs between the frames that bound it)."""
    from engine.gait.signal import bridge_gaps  # here, not above: the pose workers need none of scipy

    return bridge_gaps(v, np.arange(len(v), dtype=float), max_gap_ms=1000.0 * (BRIDGE_FRAMES + 1))


def glitch_window(fps: float | None) -> int:
    """Frames of the glitch filter's window at ``fps`` (odd, 3 to ``GLITCH_FRAMES``; the most without a rate)."""
    if fps is None or not np.isfinite(fps):
        return GLITCH_FRAMES
    longest = int(GLITCH_WINDOW_S * fps)
    return int(np.clip(longest - (1 - longest % 2), 3, GLITCH_FRAMES))


def without_glitches(y: np.ndarray, window: int = GLITCH_FRAMES) -> np.ndarray:
    """Heights with single-frame glitches removed (a Hampel filter over ``window`` frames) and short gaps
    bridged."""
    y = np.asarray(y, dtype=float)
    if not np.isfinite(y).any():
        return y.copy()
    glitch = hampel_outliers(y[:, None], window=window, k_sd=GLITCH_SD, floor=GLITCH_PX)[:, 0]
    return _bridged(np.where(glitch, np.nan, y))


def sole_points(xy: np.ndarray, soles: np.ndarray | None, *, fps: float | None = None,
                min_share: float = 0.5) -> tuple[np.ndarray | None, np.ndarray | None, dict]:
    """The track's sole points (T, 4, 2), in :data:`engine.model.SOLE_POINTS` order, from the landmarks
    ``xy`` (T, 33, 2) and the soles' heights (T, 2, 2): x of the heel and foot-index points, y of the sole
    below them.

    ``fps`` sets the glitch filter's window (:func:`glitch_window`). Frames without a measurement take the
    landmark's height moved by the median offset between sole and landmark, so the height does not jump
    where the measurement drops out. A measured sole outlives a
    landmark removed as an outlier for a few frames (its x is bridged): the pixels saw it. Returns None
    where any of the four was measured in fewer than ``min_share`` of the frames with landmarks (a
    following or shaking camera, a background the runner cannot be told from), where each point was
    measured (T, 4), and the share measured per point.
    """
    shares: dict = {}
    if soles is None or len(soles) != len(xy):
        return None, None, shares
    out = np.full((len(xy), 4, 2), np.nan)
    seen = np.zeros((len(xy), 4), bool)
    for s, (side, idx) in enumerate(_FEET.items()):
        for e, name in enumerate(("heel", "foot_index")):
            y = xy[:, idx[e], 1]
            x = _bridged(xy[:, idx[e], 0])
            has_landmark = np.isfinite(y)
            sole = np.where(np.isfinite(x), without_glitches(soles[:, s, e], glitch_window(fps)), np.nan)
            ok = np.isfinite(sole)
            seen[:, 2 * s + e] = ok
            shares[f"{side}_{name}"] = float(ok.sum() / max(has_landmark.sum(), 1))
            both = ok & has_landmark
            if both.sum() == 0:
                continue
            offset = float(np.median(sole[both] - y[both]))
            out[:, 2 * s + e] = np.stack([x, np.where(ok, sole, y + offset)], axis=-1)
    if not shares or min(shares.values()) < min_share:
        return None, None, shares
    return out, seen, shares
