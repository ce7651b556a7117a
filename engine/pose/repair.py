"""Cleaning raw BlazePose output before the gait engine sees it.

* **Leg swaps.** Seen from the side, BlazePose now and then labels the near leg as the far one and
  vice versa, for a few frames at a time. :func:`repair_leg_swaps` chooses, for every frame, whether
  its leg labels are as given or swapped, so that the legs move continuously (a two-state Viterbi
  path over frame-to-frame leg displacement, with a small cost for every swapped frame so that the
  labels are kept where the motion says nothing).
* **Identity jumps.** The legacy solution follows one person; when it loses the runner it may pick
  up someone else. :func:`keep_one_person` cuts the track where the body jumps in position or size
  and keeps only the stretches that agree with the longest one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.model import LANDMARK_NAMES

_LEG_PARTS = ("hip", "knee", "ankle", "heel", "foot_index")
LEFT_LEG = [LANDMARK_NAMES.index(f"left_{p}") for p in _LEG_PARTS]
RIGHT_LEG = [LANDMARK_NAMES.index(f"right_{p}") for p in _LEG_PARTS]
_L_SH, _R_SH = LANDMARK_NAMES.index("left_shoulder"), LANDMARK_NAMES.index("right_shoulder")
_L_HIP, _R_HIP = LANDMARK_NAMES.index("left_hip"), LANDMARK_NAMES.index("right_hip")


def _swap_legs(a: np.ndarray) -> np.ndarray:
    out = a.copy()
    out[:, LEFT_LEG], out[:, RIGHT_LEG] = a[:, RIGHT_LEG], a[:, LEFT_LEG]
    return out


def torso_length_px(xy: np.ndarray) -> np.ndarray:
    """(T,) mid-hip to mid-shoulder distance in pixels."""
    mid_sh = 0.5 * (xy[:, _L_SH] + xy[:, _R_SH])
    mid_hip = 0.5 * (xy[:, _L_HIP] + xy[:, _R_HIP])
    return np.hypot(*(mid_sh - mid_hip).T)


def repair_leg_swaps(
    xy: np.ndarray,
    visibility: np.ndarray,
    *,
    swap_cost: float = 0.02,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undo left/right leg swaps by continuity of the legs' motion.

    Parameters
    ----------
    xy : (T, 33, 2) pixels, NaN where nothing was found.
    visibility : (T, 33).
    swap_cost : cost of labelling a frame swapped, in squared torso lengths. Small against a real
        swap (the legs of a runner are a thigh's length apart for most of the stride) and large
        against frame-to-frame jitter.

    Returns
    -------
    xy, visibility with the legs relabelled, and the (T,) boolean mask of frames that were swapped.

    Notes
    -----
    The transition cost between consecutive frames is the summed squared displacement of the five
    leg points (hip, knee, ankle, heel, toe) of both legs, in torso lengths, under the two labellings;
    frames without a pose carry no cost, so a swap is judged by the frames around it. First-order
    continuity fails only where the two legs are in the same place, which in running lasts a frame
    or two at mid-swing, and there the labelling cannot matter for the metrics.
    """
    T = xy.shape[0]
    swapped = np.zeros(T, bool)
    if T < 2:
        return xy, visibility, swapped
    torso = np.nanmedian(torso_length_px(xy))
    if not np.isfinite(torso) or torso <= 0:
        return xy, visibility, swapped
    L, R = xy[:, LEFT_LEG] / torso, xy[:, RIGHT_LEG] / torso

    def dist(a, b):
        d = np.nansum((a[1:] - b[:-1]) ** 2, axis=(1, 2))
        valid = np.isfinite(a[1:]).all(axis=(1, 2)) & np.isfinite(b[:-1]).all(axis=(1, 2))
        return np.where(valid, d, 0.0)

    d_keep = dist(L, L) + dist(R, R)       # consecutive frames labelled alike
    d_cross = dist(L, R) + dist(R, L)      # labelled differently
    cost = np.array([0.0, swap_cost])
    back = np.zeros((T, 2), np.int8)
    for t in range(1, T):
        stay = cost + d_keep[t - 1]
        cross = cost[::-1] + d_cross[t - 1]
        back[t] = np.where(stay <= cross, [0, 1], [1, 0])
        cost = np.minimum(stay, cross) + np.array([0.0, swap_cost])
    state = int(np.argmin(cost))
    for t in range(T - 1, -1, -1):
        swapped[t] = bool(state)
        state = int(back[t, state])
    if swapped.any():
        xy = xy.copy()
        visibility = visibility.copy()
        xy[swapped] = _swap_legs(xy[swapped])
        visibility[swapped] = _swap_legs(visibility[swapped])
    return xy, visibility, swapped


@dataclass(frozen=True)
class IdentityReport:
    jumps: int
    dropped_frames: int
    dropped_s: float


def keep_one_person(
    xy: np.ndarray,
    time_s: np.ndarray,
    *,
    max_jump_torso: float = 0.5,
    max_speed_torso_per_s: float = 16.0,
    max_size_ratio: float = 1.4,
) -> tuple[np.ndarray, IdentityReport]:
    """Blank the frames where the pose belongs to someone other than the runner.

    The track is cut wherever the mid-hip moves between two detected frames by more than
    ``max_jump_torso + max_speed_torso_per_s * dt`` torso lengths (16 torso lengths/s is ~8 m/s,
    faster than a runner's hips move), or the torso changes length by more than ``max_size_ratio``.
    The longest stretch is the runner; other stretches are kept when their size matches it within
    ``max_size_ratio``, else their frames become NaN.
    """
    T = xy.shape[0]
    torso = torso_length_px(xy)
    mid_hip = 0.5 * (xy[:, _L_HIP] + xy[:, _R_HIP])
    seen = np.flatnonzero(np.isfinite(torso) & (torso > 0))
    if seen.size < 2:
        return xy, IdentityReport(0, 0, 0.0)
    dt = np.diff(time_s[seen])
    step = np.hypot(*np.diff(mid_hip[seen], axis=0).T)
    ref = np.minimum(torso[seen][1:], torso[seen][:-1])
    ratio = np.maximum(torso[seen][1:], torso[seen][:-1]) / ref
    cut = (step > ref * (max_jump_torso + max_speed_torso_per_s * dt)) | (ratio > max_size_ratio)
    label = np.concatenate([[0], np.cumsum(cut)])         # stretch id of each seen frame
    n_stretch = int(label[-1]) + 1
    if n_stretch == 1:
        return xy, IdentityReport(0, 0, 0.0)
    lengths = np.bincount(label, minlength=n_stretch)
    main = int(np.argmax(lengths))
    size = np.array([np.median(torso[seen][label == k]) for k in range(n_stretch)])
    keep_stretch = np.maximum(size, size[main]) / np.minimum(size, size[main]) <= max_size_ratio
    keep_stretch[main] = True
    drop = seen[~keep_stretch[label]]
    xy = xy.copy()
    xy[drop] = np.nan
    frame_dt = float(np.median(np.diff(time_s))) if T > 1 else 0.0
    return xy, IdentityReport(jumps=int(cut.sum()), dropped_frames=int(drop.size), dropped_s=drop.size * frame_dt)


def hampel_outliers(values: np.ndarray, *, window: int, k_sd: float, floor: float) -> np.ndarray:
    """Where a (T, K) series lies further from its rolling median (centred, ``window`` samples) than ``k_sd``
    robust standard deviations of its column's residuals and at least ``floor``: a Hampel filter's outliers."""
    import pandas as pd

    med = pd.DataFrame(values).rolling(window, center=True, min_periods=window // 2 + 1).median().to_numpy()
    resid = np.abs(values - med)
    limit = np.maximum(k_sd * 1.4826 * np.nanmedian(resid, axis=0), floor)
    return resid > limit


def reject_outliers(
    xy: np.ndarray,
    time_s: np.ndarray,
    *,
    window_ms: float = 100.0,
    k_sd: float = 4.5,
    floor_torso: float = 0.15,
) -> tuple[np.ndarray, int]:
    """Blank single landmark samples that jump away from their neighbours (a Hampel filter).

    When one foot is hidden behind the other leg, BlazePose sometimes places it several centimetres
    off for a frame or two; the gait engine would read such a spike as the foot leaving the ground.
    A sample is blanked when it lies further from the rolling median of its landmark coordinate
    (centred window of ``window_ms``) than ``k_sd`` robust standard deviations of that landmark's
    residuals, and at least ``floor_torso`` torso lengths. Blanked samples are bridged later like
    any short gap. Returns the cleaned array and the number of samples blanked.
    """
    T, L, _ = xy.shape
    if T < 5:
        return xy, 0
    dt = float(np.median(np.diff(time_s)))
    win = max(3, int(round(window_ms / 1000.0 / dt)) | 1)
    torso = np.nanmedian(torso_length_px(xy))
    bad = hampel_outliers(xy.reshape(T, L * 2), window=win, k_sd=k_sd,
                          floor=floor_torso * torso if np.isfinite(torso) else 0.0).reshape(T, L, 2).any(axis=2)
    if not bad.any():
        return xy, 0
    xy = xy.copy()
    xy[bad] = np.nan
    return xy, int(bad.sum())
