"""Per-step Pose Method metrics at each ground contact (METRICS.md is the contract).

Inputs are runner-frame landmark arrays (x forward, y up, pixels), smoothed, and the contacts as
fractional sample indices. Angles are scale-free; lengths need a :class:`~engine.gait.frame.Scale`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.gait.frame import Scale
from engine.gait.signal import cubic_at, interp_at
from engine.metrics import STEP_COLUMNS

REARFOOT_MIN_DEG = 8.0    # Altman & Davis 2012: strike angle above this is a rearfoot strike
FOREFOOT_MAX_DEG = -1.6   # ... below this a forefoot strike; between, midfoot

#: Angles "from vertical, forward positive" of the line lower -> upper, at an event.
#: ``{s}`` is the stance side; ``sign`` -1 flips the convention (shin: ankle ahead of knee positive).
FROM_VERTICAL: dict[str, tuple[str, str, str, float]] = {
    "lean_deg": ("{s}_ankle", "mid_shoulder", "ic", 1.0),
    "trunk_lean_deg": ("mid_hip", "mid_shoulder", "ic", 1.0),
    "shin_angle_deg": ("{s}_ankle", "{s}_knee", "ic", -1.0),
    "fall_angle_deg": ("{s}_foot_index", "mid_hip", "to", 1.0),
}


def angle_from_vertical_deg(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Angle of lower -> upper from the upward vertical, positive when ``upper`` is ahead (+x)."""
    d = upper - lower
    return np.degrees(np.arctan2(d[..., 0], d[..., 1]))


def inclination_deg(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Angle of start -> end from the horizontal ground, positive when ``end`` is higher."""
    d = end - start
    return np.degrees(np.arctan2(d[..., 1], d[..., 0]))


def joint_angle_deg(a: np.ndarray, vertex: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle a-vertex-b in degrees (180 = straight)."""
    u, v = a - vertex, b - vertex
    cos = np.sum(u * v, axis=-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def classify_foot_strike(angle_deg: np.ndarray) -> np.ndarray:
    """``rearfoot`` / ``midfoot`` / ``forefoot`` by the Altman & Davis cut-offs; None where unknown."""
    a = np.asarray(angle_deg, float)
    out = np.where(a > REARFOOT_MIN_DEG, "rearfoot", np.where(a < FOREFOOT_MAX_DEG, "forefoot", "midfoot"))
    return np.where(np.isfinite(a), out.astype(object), np.array(None, dtype=object))


def _extreme(values: np.ndarray, *, largest: bool) -> float:
    """Max (or min) of samples, refined by a parabola through the extreme sample and its neighbours."""
    y = values if largest else -values
    if not np.isfinite(y).any():
        return float("nan")
    k = int(np.nanargmax(y))
    best = y[k]
    if 0 < k < y.size - 1 and np.isfinite(y[k - 1]) and np.isfinite(y[k + 1]):
        curv = y[k - 1] - 2 * y[k] + y[k + 1]
        if curv < 0:
            best = y[k] - (y[k + 1] - y[k - 1]) ** 2 / (8.0 * curv)
    return float(best if largest else -best)


def vertical_excursion(y: np.ndarray, start_idx: float, stop_idx: float) -> float:
    """max - min of ``y`` between two fractional sample indices (ends interpolated)."""
    if not (np.isfinite(start_idx) and np.isfinite(stop_idx)):
        return float("nan")
    i0, i1 = int(math.ceil(start_idx)), int(math.floor(stop_idx))
    inner = y[i0:i1 + 1]
    ends = interp_at(y, np.array([start_idx, stop_idx]))
    seg = np.concatenate([ends[:1], inner, ends[1:]])
    if np.isnan(seg).any():
        return float("nan")
    # refine on the full neighbourhood so a peak at the window edge still gets its parabola
    lo, hi = max(i0 - 1, 0), min(i1 + 2, y.size)
    wide = y[lo:hi]
    inside = np.zeros(wide.size, bool)
    inside[(i0 - lo):(i1 - lo + 1)] = True
    top = max(_extreme(np.where(inside, wide, -np.inf), largest=True), float(np.max(ends)))
    bottom = min(_extreme(np.where(inside, wide, np.inf), largest=False), float(np.min(ends)))
    return top - bottom


#: Points that move with the trunk as one in a side view: the hips, the shoulders and the ears.
TRUNK_POINTS = ("left_hip", "right_hip", "left_shoulder", "right_shoulder", "left_ear", "right_ear")


def trunk_height(points: dict[str, np.ndarray]) -> np.ndarray:
    """The mid-hip's height read on the whole trunk: every trunk point's height, less its median offset
    from the mid-hip, and at each sample the median over the points (``TRUNK_POINTS`` that the track has).

    The trunk and the head move up and down as one while running (the spine shortens by millimetres, and
    the trunk's pitch changes by a few degrees: half a centimetre at the shoulders), so each of these
    points shows the hips' bob, and their median is the bob of the points a pose model placed best.

    Notes
    -----
    ++ a pose model's hips are its least certain trunk points: on the synthetic runner's drawn figures
    BlazePose's hips bob 0.66-0.99 of the true amplitude and its far shoulder 0.35-0.9, its ears 0.9-1.5;
    on a real treadmill clip its two hips bob 34 and 41 px where its shoulders, ears and eyes bob 23-32 px.
    The median of the six points read the synthetic looks' oscillation to 0.76 cm (median per-step error,
    mean over 20 clips; 1.31 cm on the hips alone). -- the definition's hips are replaced by the trunk:
    a runner who bends and straightens at the waist every step moves the shoulders against the hips; and
    a median of few points moves in small jumps where their order changes.
    """
    hip_y = points["mid_hip"][:, 1]
    ys = [points[name][:, 1] - np.nanmedian(points[name][:, 1] - hip_y) for name in TRUNK_POINTS if name in points]
    stacked = np.stack(ys)
    seen = np.isfinite(stacked).any(axis=0)
    out = np.full(hip_y.shape, np.nan)
    out[seen] = np.nanmedian(stacked[:, seen], axis=0)
    return out


def bob_height(points: dict[str, np.ndarray], step_samples: float) -> np.ndarray:
    """The height whose rise and fall over a step is the vertical oscillation, on a pose model's track: the
    head top where the pixels gave one (:mod:`engine.pose.head`), else the trunk's (:func:`trunk_height`),
    less its drift (:func:`without_drift`).

    Notes
    -----
    ++ the head top's edge bobs with the body where the pose model's trunk points bob 0.75-1.2 of it (see
    :mod:`engine.pose.head`); ++ without the drift, a path that bends in the picture (a wide lens bows the
    floor; a camera at the runner's side tilts nothing but still sees the far end lower) does not add to
    the bob of a runner crossing the frame. -- the drift is the mean over one step, so at the clip's first
    and last half steps it is held at its nearest value.
    """
    y = points["head_top"][:, 1] if "head_top" in points else trunk_height(points)
    return without_drift(y, step_samples)


def without_drift(y: np.ndarray, step_samples: float) -> np.ndarray:
    """``y`` less its mean over one step (a centred window of ``step_samples``, fractional samples weighed by
    their overlap): a periodic bob keeps its shape, a slow drift or bend of the path goes. Where the window
    does not fit, the mean is interpolated between the nearest that do (held at the ends); ``y`` as it is without
    a usable step."""
    y = np.asarray(y, float)
    if not (np.isfinite(step_samples) and 1.0 < step_samples < y.size - 1):
        return y.copy()
    half = 0.5 * step_samples
    reach = int(math.ceil(half - 0.5))
    offsets = np.arange(-reach, reach + 1)
    weights = np.clip(np.minimum(offsets + 0.5, half) - np.maximum(offsets - 0.5, -half), 0.0, None)
    weights /= weights.sum()
    mean = np.convolve(np.nan_to_num(y), weights, mode="same")
    whole = np.convolve(np.isfinite(y).astype(float), np.ones(offsets.size), mode="same") == offsets.size
    whole[:reach], whole[y.size - reach:] = False, False
    if not whole.any():
        return y.copy()
    k = np.flatnonzero(whole)
    return y - np.interp(np.arange(y.size), k, mean[k])


def mid_stance_index(hip_x: np.ndarray, ankle_x: np.ndarray, ic: float, to: float) -> float:
    """First moment in [IC, TO] at which the mid-hip is over or ahead of the stance ankle."""
    d_ic = float(interp_at(hip_x - ankle_x, ic)[0])
    if d_ic >= 0:
        return ic
    d = hip_x - ankle_x
    for k in range(int(math.ceil(ic)), int(math.floor(to)) + 1):
        if d[k] >= 0:
            prev_i = max(k - 1.0, ic)
            prev = float(interp_at(d, prev_i)[0])
            return prev_i + (k - prev_i) * (-prev) / (d[k] - prev) if d[k] != prev else float(k)
    return float("nan")


@dataclass
class _Steps:
    """The contacts' events and neighbours, shared by every metric family."""

    sides: np.ndarray
    ic: np.ndarray                 # fractional sample indices
    to: np.ndarray
    ic_s: np.ndarray
    to_s: np.ndarray
    next_contra_s: np.ndarray      # time of the next contralateral IC (NaN where missing or too far)
    next_contra_idx: np.ndarray
    next_contra_row: np.ndarray    # its row (-1 where none)
    next_same_s: np.ndarray        # time of the next IC of the same foot

    def at(self, points: dict[str, np.ndarray], name: str, where: np.ndarray) -> np.ndarray:
        """(n, 2) positions of a landmark (``{s}`` = stance side) at fractional indices."""
        res = np.full((len(self.sides), 2), np.nan)
        for side in ("left", "right"):
            sel = self.sides == side
            res[sel] = cubic_at(points[name.format(s=side)], where[sel])
        return res


def _steps(time_s: np.ndarray, contacts: pd.DataFrame, max_step_s: float) -> _Steps:
    n = len(contacts)
    sides = contacts["side"].to_numpy()
    ic = contacts["ic_idx"].to_numpy(float)
    to = contacts["to_idx"].to_numpy(float)
    grid = np.arange(time_s.size)
    ic_s, to_s = np.interp(ic, grid, time_s), np.interp(to, grid, time_s)
    next_contra, next_contra_idx = np.full(n, np.nan), np.full(n, np.nan)
    next_contra_row, next_same = np.full(n, -1), np.full(n, np.nan)
    for i in range(n):
        if i + 1 < n and sides[i + 1] != sides[i] and ic_s[i + 1] - ic_s[i] <= max_step_s:
            next_contra[i], next_contra_idx[i], next_contra_row[i] = ic_s[i + 1], ic[i + 1], i + 1
        later = np.flatnonzero((sides == sides[i]) & (ic_s > ic_s[i]))
        if later.size and ic_s[later[0]] - ic_s[i] <= 2.0 * max_step_s:
            next_same[i] = ic_s[later[0]]
    return _Steps(sides, ic, to, ic_s, to_s, next_contra, next_contra_idx, next_contra_row, next_same)


def _timing(out: pd.DataFrame, st: _Steps) -> None:
    """Cadence, ground contact, flight and duty factor (METRICS.md, per step)."""
    gct = (st.to_s - st.ic_s) * 1000.0
    out["cadence_spm"] = 60.0 / (st.next_contra_s - st.ic_s)
    out["ground_contact_ms"] = gct
    out["flight_ms"] = (st.next_contra_s - st.to_s) * 1000.0
    out["duty_factor_pct"] = gct / ((st.next_same_s - st.ic_s) * 1000.0) * 100.0


def _angles(out: pd.DataFrame, st: _Steps, points: dict[str, np.ndarray], flat_foot_offset_deg: float | None) -> None:
    """The lean line, alignment, trunk, shin, knee, fall and foot strike angles at the events."""
    for col, (lower, upper, event, sign) in FROM_VERTICAL.items():
        when = st.ic if event == "ic" else st.to
        out[col] = sign * angle_from_vertical_deg(st.at(points, lower, when), st.at(points, upper, when))
    ankle_ic, hip_ic = st.at(points, "{s}_ankle", st.ic), st.at(points, "mid_hip", st.ic)
    out["alignment_deg"] = out["trunk_lean_deg"] - angle_from_vertical_deg(ankle_ic, hip_ic)
    out["knee_flexion_ic_deg"] = 180.0 - joint_angle_deg(st.at(points, "{s}_hip", st.ic),
                                                         st.at(points, "{s}_knee", st.ic), ankle_ic)
    foot_angle = inclination_deg(st.at(points, "{s}_heel", st.ic), st.at(points, "{s}_foot_index", st.ic))
    out["foot_strike_angle_deg"] = np.nan if flat_foot_offset_deg is None else foot_angle - flat_foot_offset_deg
    out["foot_strike"] = classify_foot_strike(out["foot_strike_angle_deg"].to_numpy(float))


def _pull(out: pd.DataFrame, st: _Steps, points: dict[str, np.ndarray], time_s: np.ndarray) -> None:
    """TO - mid-stance, the moment the hips pass over the stance ankle."""
    mid = np.array([mid_stance_index(points["mid_hip"][:, 0], points[f"{s}_ankle"][:, 0], a, b)
                    for s, a, b in zip(st.sides, st.ic, st.to)])
    pull = (st.to_s - np.interp(mid, np.arange(time_s.size), time_s)) * 1000.0
    out["pull_ms"] = np.where(np.isfinite(mid), pull, np.nan)


def _lengths(out: pd.DataFrame, st: _Steps, points: dict[str, np.ndarray], scale: Scale | None, overground: bool,
             belt_speed_mps: float | None, trunk_bob: bool) -> None:
    """Overstride, vertical oscillation, step length and vertical ratio (cm, %); empty without a scale.
    ``trunk_bob``: the oscillation is read on the head top or the whole trunk (:func:`bob_height`), not on
    the hips alone."""
    if scale is None:
        for col in ("overstride_cm", "vertical_oscillation_cm", "step_length_cm", "vertical_ratio_pct"):
            out[col] = np.nan
        return
    ankle_ic, hip_ic = st.at(points, "{s}_ankle", st.ic), st.at(points, "mid_hip", st.ic)
    out["overstride_cm"] = scale.to_cm(ankle_ic[:, 0] - hip_ic[:, 0])
    if trunk_bob:
        ic_gaps = np.diff(st.ic)
        step = float(np.median(ic_gaps[np.diff(st.ic_s) > 0])) if ic_gaps.size else math.nan
        hip_y = bob_height(points, step)
    else:
        hip_y = points["mid_hip"][:, 1]
    out["vertical_oscillation_cm"] = [float(scale.to_cm(vertical_excursion(hip_y, a, b)))
                                      for a, b in zip(st.ic, st.next_contra_idx)]
    if overground:
        ankle_x = st.at(points, "{s}_ankle", 0.5 * (st.ic + st.to))[:, 0]
        step_px = np.full(len(st.sides), np.nan)
        has = st.next_contra_row >= 0
        step_px[has] = ankle_x[st.next_contra_row[has]] - ankle_x[has]
        out["step_length_cm"] = scale.to_cm(step_px)
    elif belt_speed_mps:
        out["step_length_cm"] = belt_speed_mps * (st.next_contra_s - st.ic_s) * 100.0
    else:
        out["step_length_cm"] = np.nan
    out["vertical_ratio_pct"] = out["vertical_oscillation_cm"] / out["step_length_cm"] * 100.0


def compute_step_table(
    points: dict[str, np.ndarray],
    time_s: np.ndarray,
    contacts: pd.DataFrame,
    *,
    scale: Scale | None,
    overground: bool,
    belt_speed_mps: float | None,
    flat_foot_offset_deg: float | None,
    max_step_s: float,
    trunk_bob: bool = False,
) -> pd.DataFrame:
    """One row per contact with every column of METRICS.md, family by family: timing, angles, pull, lengths.

    ``points`` holds runner-frame (T, 2) arrays for the landmarks plus ``mid_hip`` and
    ``mid_shoulder``. A metric that needs the next contralateral contact is NaN when that contact is
    missing (dropped or beyond the track) or further than ``max_step_s`` away. ``trunk_bob``: vertical
    oscillation is read on the head top or the whole trunk (:func:`bob_height`), for a pose model's hips.
    """
    st = _steps(time_s, contacts, max_step_s)
    out = pd.DataFrame({"side": st.sides, "ic_s": st.ic_s, "to_s": st.to_s})
    _timing(out, st)
    _angles(out, st, points, flat_foot_offset_deg)
    _pull(out, st, points, time_s)
    _lengths(out, st, points, scale, overground, belt_speed_mps, trunk_bob)
    return out.reindex(columns=list(STEP_COLUMNS))


def flat_foot_offset_deg(
    heel: dict[str, np.ndarray],
    toe: dict[str, np.ndarray],
    heel_h: dict[str, np.ndarray],
    toe_h: dict[str, np.ndarray],
    contacts: pd.DataFrame,
    *,
    tol_px: float,
) -> tuple[float, int]:
    """Heel -> foot_index inclination of a foot standing flat, from every contact's flat samples.

    A sample is "flat" when both heel and toe are within ``tol_px`` of their ground levels. Returns
    the median angle (degrees, NaN when no contact has a flat sample) and the number of samples used.
    """
    angles = []
    for side, a, b in contacts[["side", "ic_idx", "to_idx"]].itertuples(index=False):
        k = np.arange(int(math.ceil(a)), int(math.floor(b)) + 1)
        flat = k[(heel_h[side][k] < tol_px) & (toe_h[side][k] < tol_px)]
        if flat.size:
            angles.append(inclination_deg(heel[side][flat], toe[side][flat]))
    if not angles:
        return float("nan"), 0
    v = np.concatenate(angles)
    return float(np.median(v)), int(v.size)
