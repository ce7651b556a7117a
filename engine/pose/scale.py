"""Pixel-to-centimetre scale from MediaPipe's world landmarks.

BlazePose's world landmarks are metric 3-D coordinates (metres, hip-centred) whose segment lengths
follow a typical adult body. Seen from the side, thigh, shank and trunk lie close to the image
plane, so their lengths in pixels against the same segments in metres give the scale. The estimate
inherits BlazePose's size prior: a runner much taller or shorter than average is scaled as average
(give ``--height-cm`` for exact lengths).
"""

from __future__ import annotations

import numpy as np

from engine.model import LANDMARK_NAMES

_SEGMENTS = [(f"{s}_{a}", f"{s}_{b}") for s in ("left", "right") for a, b in (("hip", "knee"), ("knee", "ankle"))]
_SEGMENTS += [("left_hip", "left_shoulder"), ("right_hip", "right_shoulder")]
_IDX = [(LANDMARK_NAMES.index(a), LANDMARK_NAMES.index(b)) for a, b in _SEGMENTS]


def px_per_cm_from_world(xy_px: np.ndarray, world_m: np.ndarray, *, min_frames: int = 10) -> float | None:
    """Median over frames of (summed segment length in pixels) / (the same in world centimetres).

    Parameters
    ----------
    xy_px : (T, 33, 2) image landmarks; world_m : (T, 33, 3) world landmarks.

    Returns None when fewer than ``min_frames`` frames have every segment in both.
    """
    px = sum(np.hypot(*(xy_px[:, b] - xy_px[:, a]).T) for a, b in _IDX)
    cm = sum(np.linalg.norm(world_m[:, b] - world_m[:, a], axis=1) for a, b in _IDX) * 100.0
    ok = np.isfinite(px) & np.isfinite(cm) & (cm > 1.0)
    if ok.sum() < min_frames:
        return None
    return float(np.median(px[ok] / cm[ok]))
