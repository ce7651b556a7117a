"""The synthetic runner: side-view running kinematics whose every event and metric is known exactly.

A 2-D sagittal model in a runner frame (x forward, y up, metres, ground at y = 0):

* segments follow Winter's proportions (:mod:`engine.anthropometry`);
* the mid-hip bobs as a cosine at step frequency, lowest at mid-contact, so the vertical
  oscillation of every step is exactly ``vertical_oscillation_cm``; overground it travels at
  ``speed_mps``, on a treadmill it stays put and the stance foot rides the belt backwards;
* the stance foot is a rigid shoe that lands at ``foot_strike_angle_deg`` (toe up positive) with its
  ankle ``overstride_cm`` ahead of the mid-hip, rolls flat about the heel (or the toe), stays flat,
  and rolls over the toe tip until the toe leaves the ground at toe-off;
* the swing foot moves on a smooth path from toe-off to the next contact; knees come from two-link
  inverse kinematics with the knee forward.

By default the landmarks imitate where BlazePose puts them: the heel point sits inside the shoe,
above and ahead of the sole's back edge, so a flat foot reads about -8 degrees toe-down.
``foot_landmarks`` moves heel and foot_index to the sole's edges or to where motion-capture markers
sit on a shoe.

:func:`simulate` returns the landmark track (image pixels) and the truth table: one row per ground
contact with METRICS.md's columns, computed from this geometry at the exact event times, never by
the engine.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from engine import anthropometry as anth
from engine.metrics import STEP_COLUMNS
from engine.model import LANDMARK_NAMES, SOLE_POINTS, LandmarkTrack

# Shoe geometry in the foot frame (origin at the ankle joint, x along the sole, y up), as fractions
# of standing height. The sole is ANKLE_HEIGHT below the ankle.
_SOLE = -anth.ANKLE_HEIGHT
HEEL_EDGE = (-0.038, _SOLE)                    # back edge of the sole: heel-strike pivot
TOE_TIP = (0.114, _SOLE)                       # front of the sole: forefoot pivot and toe-off point
HEEL_LANDMARK = (-0.024, _SOLE + 0.022)        # inside the shoe, as pose models place it
FOOT_INDEX_LANDMARK = (0.108, _SOLE + 0.004)   # near the tip of the big toe

#: Where the heel and foot_index landmarks sit on the shoe, (heel, foot_index) in the foot frame:
#: ``pose_model`` as BlazePose places them; ``sole`` on the sole's back and front edges (an ideal
#: tracker); ``markers`` as motion-capture markers are stuck on a running shoe: on the heel counter
#: 3.5 cm above the sole, and on the toe box 2.5 cm up and 3 cm behind the tip (for 1.75 m).
FOOT_LANDMARKS = {
    "pose_model": (HEEL_LANDMARK, FOOT_INDEX_LANDMARK),
    "sole": (HEEL_EDGE, TOE_TIP),
    "markers": ((-0.040, _SOLE + 0.020), (0.096, _SOLE + 0.014)),
}

REARFOOT_MIN_DEG = 8.0     # Altman & Davis 2012 cut-offs, METRICS.md
FOREFOOT_MAX_DEG = -1.6


@dataclass(frozen=True)
class RunnerParams:
    """Everything the synthetic runner does, with units in the names."""

    cadence_spm: float = 170.0
    duty_factor: float = 0.32            # contact time / stride time
    speed_mps: float = 3.3
    height_cm: float = 175.0
    trunk_lean_deg: float = 6.0          # mid_hip -> mid_shoulder from vertical, forward positive
    foot_strike_angle_deg: float = 12.0  # sole pitch at contact, toe up positive
    overstride_cm: float = 15.0          # ankle ahead of mid-hip at contact
    vertical_oscillation_cm: float = 8.0
    min_knee_flexion_deg: float = 14.0   # the stance knee is never straighter than this
    swing_clearance_cm: float = 30.0     # ankle lift in mid-swing above the straight path
    touchdown_speed_mps: float = 0.8     # downward speed of the foot as it lands
    toe_off_pitch_deg: float = -55.0     # sole pitch at toe-off
    direction: str = "left_to_right"
    treadmill: bool = True
    fps: float = 60.0
    duration_s: float = 10.0
    first_contact_s: float = 0.137       # right foot's first contact (sub-frame on purpose)
    noise_frac: float = 0.0              # Gaussian landmark noise, SD as a fraction of leg length
    foot_landmarks: str = "pose_model"   # where heel and foot_index sit on the shoe: FOOT_LANDMARKS
    image_width: int = 1280
    image_height: int = 720
    body_frac_of_image: float = 0.62     # standing height / image height
    camera_roll_deg: float = 0.0         # camera turned about its axis: the ground rises to the right
    gaps: tuple[tuple[float, float], ...] = ()   # (start_s, length_s) of lost samples
    seed: int = 0

    @property
    def step_s(self) -> float:
        return 60.0 / self.cadence_spm

    @property
    def contact_s(self) -> float:
        return self.duty_factor * 2.0 * self.step_s


#: Runner styles the engine sweeps: (cadence, duty factor, speed, strike angle, overstride, trunk lean, bob).
STYLES: dict[str, dict] = {
    "heel_striker": dict(cadence_spm=160, duty_factor=0.31, speed_mps=3.0, foot_strike_angle_deg=16,
                         overstride_cm=22, trunk_lean_deg=2, vertical_oscillation_cm=10.0, min_knee_flexion_deg=12),
    "midfoot": dict(cadence_spm=172, duty_factor=0.30, speed_mps=3.3, foot_strike_angle_deg=3,
                    overstride_cm=12, trunk_lean_deg=6, vertical_oscillation_cm=8.0),
    "pose_forefoot": dict(cadence_spm=184, duty_factor=0.27, speed_mps=3.0, foot_strike_angle_deg=-7,
                          overstride_cm=4, trunk_lean_deg=8, vertical_oscillation_cm=6.0, min_knee_flexion_deg=16),
    "fast_forefoot": dict(cadence_spm=190, duty_factor=0.25, speed_mps=4.5, foot_strike_angle_deg=-4,
                          overstride_cm=8, trunk_lean_deg=5, vertical_oscillation_cm=7.0, height_cm=182),
}


@dataclass
class SyntheticRun:
    params: RunnerParams
    track: LandmarkTrack
    truth: pd.DataFrame                     # one row per complete contact, METRICS.md columns
    px_per_m: float
    flat_foot_offset_deg: float
    extra: dict = field(default_factory=dict)


def _rot(pitch_rad: np.ndarray, local: tuple[float, float], height_m: float) -> np.ndarray:
    """Rotate a foot-frame point (fractions of height) by pitch (CCW = toe up). Returns (N, 2) metres."""
    lx, ly = local[0] * height_m, local[1] * height_m
    c, s = np.cos(pitch_rad), np.sin(pitch_rad)
    return np.stack([c * lx - s * ly, s * lx + c * ly], axis=-1)


def _smoothstep(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def _hermite(s: np.ndarray, y0, y1, m0, m1) -> np.ndarray:
    """Cubic Hermite from y0 (slope m0) to y1 (slope m1) over s in [0, 1]; slopes per unit s."""
    s2, s3 = s * s, s * s * s
    return (2 * s3 - 3 * s2 + 1) * y0 + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * y1 + (s3 - s2) * m1


class RunnerModel:
    """The analytic kinematics; every method takes times in seconds and returns metres."""

    LAND_FRACTION = 0.18       # of contact time: the landing roll to a flat foot
    HEEL_OFF_FRACTION = 0.45   # of contact time: the heel starts to rise

    def __init__(self, params: RunnerParams):
        p = params
        self.p = p
        self.h = p.height_cm / 100.0
        self.thigh = anth.THIGH * self.h
        self.shank = anth.SHANK * self.h
        self.trunk = anth.TRUNK * self.h
        self.T_step = p.step_s
        self.Tc = p.contact_s
        self.belt = p.speed_mps if p.treadmill else 0.0
        self.theta_s = math.radians(p.foot_strike_angle_deg)
        self.theta_to = math.radians(p.toe_off_pitch_deg)
        self.amp = p.vertical_oscillation_cm / 100.0
        if p.foot_landmarks not in FOOT_LANDMARKS:
            raise ValueError(f"foot_landmarks must be one of {sorted(FOOT_LANDMARKS)}, got {p.foot_landmarks!r}")
        self.heel_point, self.toe_point = FOOT_LANDMARKS[p.foot_landmarks]
        self.hip_base = 0.0
        self.hip_base = self._solve_hip_base()

    # -- body ------------------------------------------------------------------------------
    def mid_hip(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, float)
        phase = 2.0 * math.pi * (t - self.p.first_contact_s - self.Tc / 2.0) / self.T_step
        y = self.hip_base - 0.5 * self.amp * np.cos(phase)
        if self.p.treadmill:
            x = 0.01 * self.h * np.sin(phase)              # small fore-aft sway on the belt
        else:
            x = self.p.speed_mps * t
        return np.stack([x, y], axis=-1)

    def hip(self, t: np.ndarray, side: str) -> np.ndarray:
        """Per-side hip joint: the pelvis turns a little, so the two hips part by a centimetre or two."""
        t = np.asarray(t, float)
        sign = 1.0 if side == "right" else -1.0
        turn = 0.006 * self.h * np.sin(math.pi * (t - self.p.first_contact_s) / self.T_step)
        out = self.mid_hip(t).copy()
        out[..., 0] += sign * turn
        return out

    def trunk_angle(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, float)
        wobble = math.radians(1.0) * np.sin(2.0 * math.pi * (t - self.p.first_contact_s) / self.T_step + 0.7)
        return math.radians(self.p.trunk_lean_deg) + wobble

    def mid_shoulder(self, t: np.ndarray) -> np.ndarray:
        a = self.trunk_angle(t)
        return self.mid_hip(t) + self.trunk * np.stack([np.sin(a), np.cos(a)], axis=-1)

    # -- contacts --------------------------------------------------------------------------
    def contact_index(self, t: np.ndarray, side: str) -> np.ndarray:
        """Index k of the latest contact of this foot that started at or before t."""
        first = self.first_ic(side)
        return np.floor((np.asarray(t, float) - first) / (2.0 * self.T_step)).astype(int)

    def first_ic(self, side: str) -> float:
        return self.p.first_contact_s + (0.0 if side == "right" else self.T_step)

    def ic_time(self, k: np.ndarray, side: str) -> np.ndarray:
        return self.first_ic(side) + np.asarray(k) * 2.0 * self.T_step

    def _landing_pivot(self) -> tuple[float, float]:
        if self.theta_s > 0:
            return HEEL_EDGE
        if self.theta_s < 0:
            return TOE_TIP
        return HEEL_EDGE

    def _pivot_world_at_ic(self, t_ic: np.ndarray) -> np.ndarray:
        """Where the landing pivot touches the ground (y = 0) for a contact starting at t_ic."""
        t_ic = np.asarray(t_ic, float)
        ankle_x = self.mid_hip(t_ic)[..., 0] + self.p.overstride_cm / 100.0
        pivot_rel = _rot(np.full_like(t_ic, self.theta_s), self._landing_pivot(), self.h)
        return np.stack([ankle_x + pivot_rel[..., 0], np.zeros_like(t_ic)], axis=-1)

    def stance_foot(self, t: np.ndarray, t_ic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ankle position and sole pitch during a contact that began at t_ic (0 <= t - t_ic <= Tc)."""
        t = np.asarray(t, float)
        u = t - t_ic
        u1 = self.LAND_FRACTION * self.Tc
        u2 = self.HEEL_OFF_FRACTION * self.Tc
        pivot = self._pivot_world_at_ic(t_ic)
        land_local = self._landing_pivot()
        # landing roll about the pivot
        pitch1 = self.theta_s * (1.0 - _smoothstep(u / u1))
        ankle1 = pivot - _rot(pitch1, land_local, self.h)
        # flat foot
        flat_ankle = pivot - _rot(np.zeros_like(u), land_local, self.h)
        # toe roll about the toe tip of the flat foot
        toe_world = flat_ankle + _rot(np.zeros_like(u), TOE_TIP, self.h)
        pitch3 = self.theta_to * np.clip((u - u2) / (self.Tc - u2), 0.0, 1.0) ** 1.2
        ankle3 = toe_world - _rot(pitch3, TOE_TIP, self.h)
        phase1, phase3 = u < u1, u >= u2
        ankle = np.where(phase1[..., None], ankle1, np.where(phase3[..., None], ankle3, flat_ankle))
        pitch = np.where(phase1, pitch1, np.where(phase3, pitch3, 0.0))
        ankle = ankle.copy()
        ankle[..., 0] -= self.belt * u
        return ankle, pitch

    def foot(self, t: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ankle (N, 2), pitch (N,) and an in-stance mask for one foot at times t."""
        t = np.asarray(t, float)
        k = self.contact_index(t, side)
        t_ic = self.ic_time(k, side)
        t_to = t_ic + self.Tc
        t_next = self.ic_time(k + 1, side)
        stance = (t - t_ic) <= self.Tc
        ankle_st, pitch_st = self.stance_foot(np.minimum(t, t_to), t_ic)
        # swing: from this contact's toe-off to the next contact, C1 with the stance at both ends
        # (cubic Hermite in hip-relative x, height and pitch), plus a clearance bump in height.
        # Only the vertical touchdown speed is lost at contact, as in a real landing.
        dt = 1e-4
        a0, p0 = self.stance_foot(t_to, t_ic)
        a0m, p0m = self.stance_foot(t_to - dt, t_ic)
        a1, p1 = self.stance_foot(t_next, t_next)
        a1p, _ = self.stance_foot(t_next + dt, t_next)
        hip_t, hip0, hip1 = self.mid_hip(t), self.mid_hip(t_to), self.mid_hip(t_next)
        hip0m, hip1p = self.mid_hip(t_to - dt), self.mid_hip(t_next + dt)
        dur = t_next - t_to
        s = np.clip((t - t_to) / dur, 0.0, 1.0)
        rel0, rel1 = a0[..., 0] - hip0[..., 0], a1[..., 0] - hip1[..., 0]
        v_rel0 = ((a0[..., 0] - hip0[..., 0]) - (a0m[..., 0] - hip0m[..., 0])) / dt
        v_rel1 = ((a1p[..., 0] - hip1p[..., 0]) - (a1[..., 0] - hip1[..., 0])) / dt
        # leaving the ground the foot is pulled up, not pushed further back: no backward carry-over
        x = hip_t[..., 0] + _hermite(s, rel0, rel1, 0.0 * v_rel0, v_rel1 * dur)
        vy0 = (a0[..., 1] - a0m[..., 1]) / dt
        vy1 = -self.p.touchdown_speed_mps
        bump = self.p.swing_clearance_cm / 100.0 * 16.0 * s * s * (1.0 - s) ** 2
        y = _hermite(s, a0[..., 1], a1[..., 1], vy0 * dur, vy1 * dur) + bump
        pitch_sw = _hermite(s, p0, p1, (p0 - p0m) / dt * dur, 0.0)
        ankle = np.where(stance[..., None], ankle_st, np.stack([x, y], axis=-1))
        pitch = np.where(stance, pitch_st, pitch_sw)
        return ankle, pitch, stance

    # -- geometry helpers ----------------------------------------------------------------------
    def _knee(self, hip: np.ndarray, ankle: np.ndarray) -> np.ndarray:
        d_vec = ankle - hip
        d = np.linalg.norm(d_vec, axis=-1)
        if np.any(d > self.thigh + self.shank + 1e-9):
            raise ValueError("synthetic runner: the leg would have to stretch beyond its length; "
                             "lower the speed or the contact time, or raise min_knee_flexion_deg")
        cos_a = np.clip((self.thigh**2 + d**2 - self.shank**2) / (2 * self.thigh * d), -1.0, 1.0)
        alpha = np.arccos(cos_a)
        ux, uy = d_vec[..., 0] / d, d_vec[..., 1] / d
        c, s = np.cos(alpha), np.sin(alpha)
        return hip + self.thigh * np.stack([c * ux - s * uy, s * ux + c * uy], axis=-1)

    def _solve_hip_base(self) -> float:
        """Highest mean hip height that keeps each knee flexed by at least the minimum, all stride long.

        Ankle paths do not depend on the hip's height (only on its forward travel), so every sample of
        one stride gives an upper bound on it.
        """
        d_max = (self.thigh + self.shank) * math.cos(math.radians(self.p.min_knee_flexion_deg) / 2.0)
        t = self.p.first_contact_s + np.linspace(0.0, 2.0 * self.T_step, 800)
        hip_rel = self.mid_hip(t)   # hip_base is 0 while solving
        limits = []
        for side in ("left", "right"):
            ankle, _, _ = self.foot(t, side)
            dx = ankle[:, 0] - hip_rel[:, 0]
            if np.any(np.abs(dx) >= d_max):
                raise ValueError(
                    "synthetic runner: the foot travels further than the leg reaches "
                    f"({np.max(np.abs(dx)) * 100:.0f} cm from the hip); lower speed_mps, duty_factor "
                    "or overstride_cm"
                )
            limits.append(np.min(ankle[:, 1] - hip_rel[:, 1] + np.sqrt(d_max**2 - dx**2)))
        return float(min(limits)) - 0.002 * self.h

    # -- all landmarks -----------------------------------------------------------------------
    def landmarks(self, t: np.ndarray) -> dict[str, np.ndarray]:
        """Every landmark the synthetic runner has, (N, 2) metres in the runner frame."""
        t = np.asarray(t, float)
        out: dict[str, np.ndarray] = {}
        mh, ms = self.mid_hip(t), self.mid_shoulder(t)
        trunk_a = self.trunk_angle(t)
        for side in ("left", "right"):
            hip = self.hip(t, side)
            ankle, pitch, _ = self.foot(t, side)
            out[f"{side}_hip"] = hip
            out[f"{side}_ankle"] = ankle
            out[f"{side}_knee"] = self._knee(hip, ankle)
            out[f"{side}_heel"] = ankle + _rot(pitch, self.heel_point, self.h)
            out[f"{side}_foot_index"] = ankle + _rot(pitch, self.toe_point, self.h)
            out[f"{side}_shoulder"] = ms - (mh - hip) * 0.5 * np.array([1.0, 0.0])
            # arms swing opposite to the legs, elbows bent ~90 degrees
            swing = math.radians(35.0) * np.sin(
                math.pi * (t - self.p.first_contact_s - self.Tc / 2) / self.T_step + (0 if side == "left" else math.pi)
            )
            sh = out[f"{side}_shoulder"]
            upper = anth.UPPER_ARM * self.h
            fore = anth.FOREARM * self.h
            elbow = sh + upper * np.stack([np.sin(swing), -np.cos(swing)], axis=-1)
            fa = swing + math.radians(90.0)
            out[f"{side}_elbow"] = elbow
            out[f"{side}_wrist"] = elbow + fore * np.stack([np.sin(fa), -np.cos(fa)], axis=-1)
        # head in profile: ears behind the nose
        head = ms + 0.11 * self.h * np.stack([np.sin(trunk_a), np.cos(trunk_a)], axis=-1)
        out["nose"] = head + np.array([0.06 * self.h, -0.01 * self.h])
        out["left_ear"] = head + np.array([-0.01 * self.h, 0.0])
        out["right_ear"] = head + np.array([-0.01 * self.h, 0.0])
        return out

    def lowest_point(self, t: np.ndarray, side: str) -> np.ndarray:
        """Height of the lowest point of the sole (m); 0 while it touches the ground."""
        ankle, pitch, _ = self.foot(t, side)
        heel = ankle + _rot(pitch, HEEL_EDGE, self.h)
        toe = ankle + _rot(pitch, TOE_TIP, self.h)
        return np.minimum(heel[..., 1], toe[..., 1])


def _angle_from_vertical(lower: np.ndarray, upper: np.ndarray) -> float:
    """Degrees from the upward vertical, positive when the upper end is ahead (+x)."""
    d = np.asarray(upper, float) - np.asarray(lower, float)
    return math.degrees(math.atan2(d[0], d[1]))


def _foot_strike_class(angle_deg: float) -> str:
    if angle_deg > REARFOOT_MIN_DEG:
        return "rearfoot"
    if angle_deg < FOREFOOT_MAX_DEG:
        return "forefoot"
    return "midfoot"


def truth_table(model: RunnerModel, t_start: float, t_end: float) -> pd.DataFrame:
    """Exact per-contact metrics for every contact whose stance lies inside [t_start, t_end]."""
    rows = []
    for side in ("right", "left"):
        k0 = int(math.ceil((t_start - model.first_ic(side)) / (2 * model.T_step)))
        k = k0
        while True:
            t_ic = float(model.ic_time(np.asarray(k), side))
            if t_ic + model.Tc > t_end:
                break
            k += 1
            if t_ic < t_start:
                continue
            rows.append(_truth_row(model, side, t_ic, t_end))
    df = pd.DataFrame(rows).sort_values("ic_s").reset_index(drop=True)
    return df.reindex(columns=list(STEP_COLUMNS))


def _truth_row(model: RunnerModel, side: str, t_ic: float, t_end: float) -> dict:
    p = model.p
    t_to = t_ic + model.Tc
    t_next = t_ic + model.T_step          # next contralateral contact
    lm = model.landmarks(np.array([t_ic, t_to]))
    at_ic = {k: v[0] for k, v in lm.items()}
    at_to = {k: v[1] for k, v in lm.items()}
    mh = at_ic["mid_hip"] = 0.5 * (at_ic["left_hip"] + at_ic["right_hip"])
    msh = 0.5 * (at_ic["left_shoulder"] + at_ic["right_shoulder"])
    ankle, knee, hip = at_ic[f"{side}_ankle"], at_ic[f"{side}_knee"], at_ic[f"{side}_hip"]
    trunk = _angle_from_vertical(mh, msh)
    lower = _angle_from_vertical(ankle, mh)
    v1, v2 = hip - knee, ankle - knee
    knee_angle = math.degrees(math.acos(np.dot(v1, v2) / (np.linalg.norm(v1) * np.linalg.norm(v2))))
    mh_to = 0.5 * (at_to["left_hip"] + at_to["right_hip"])

    # mid-stance: hip passes over the stance ankle
    def ahead(t: float) -> float:
        a, _, _ = model.foot(np.array([t]), side)
        m = model.mid_hip(np.array([t]))
        return float(m[0, 0] - a[0, 0])

    t_mid = brentq(ahead, t_ic, t_to) if ahead(t_ic) < 0 < ahead(t_to) else (t_ic if ahead(t_ic) >= 0 else math.nan)

    if p.treadmill:
        step_len = p.speed_mps * model.T_step
    else:
        # ground-fixed ankle positions of this flat foot and the next contralateral flat foot
        this_flat = model.stance_foot(np.array([t_ic + 0.4 * model.Tc]), np.array([t_ic]))[0][0, 0]
        next_flat = model.stance_foot(np.array([t_next + 0.4 * model.Tc]), np.array([t_next]))[0][0, 0]
        step_len = next_flat - this_flat
    vo = model.amp * 100.0
    has_next = t_next <= t_end
    has_stride = t_ic + 2 * model.T_step <= t_end
    gct = model.Tc * 1000.0
    return {
        "side": side,
        "ic_s": t_ic,
        "to_s": t_to,
        "cadence_spm": 60.0 / model.T_step if has_next else math.nan,
        "ground_contact_ms": gct,
        "flight_ms": (model.T_step - model.Tc) * 1000.0 if has_next else math.nan,
        "duty_factor_pct": gct / (2 * model.T_step * 1000.0) * 100.0 if has_stride else math.nan,
        "foot_strike_angle_deg": p.foot_strike_angle_deg,
        "foot_strike": _foot_strike_class(p.foot_strike_angle_deg),
        "overstride_cm": (ankle[0] - mh[0]) * 100.0,
        "shin_angle_deg": -_angle_from_vertical(ankle, knee),
        "knee_flexion_ic_deg": 180.0 - knee_angle,
        "lean_deg": _angle_from_vertical(ankle, msh),
        "alignment_deg": trunk - lower,
        "trunk_lean_deg": trunk,
        "fall_angle_deg": _angle_from_vertical(at_to[f"{side}_foot_index"], mh_to),
        "pull_ms": (t_to - t_mid) * 1000.0,
        "vertical_oscillation_cm": vo if has_next else math.nan,
        "step_length_cm": step_len * 100.0 if has_next else math.nan,
        "vertical_ratio_pct": vo / (step_len * 100.0) * 100.0 if has_next else math.nan,
    }


@dataclass(frozen=True)
class PixelMap:
    """Runner frame (metres, x forward, y up) -> image pixels: the runner's side view in the frame.

    The clip's mean mid-hip position is centred horizontally; the ground is at 92 % of the image
    height; a runner going right to left is mirrored; a rolled camera turns the picture about its
    centre.
    """

    px_per_m: float
    sign: float
    mid_x_m: float
    centre_px: float
    ground_px: float
    roll_deg: float = 0.0
    middle_px: float = 0.0

    @classmethod
    def for_run(cls, model: RunnerModel, t: np.ndarray) -> PixelMap:
        p = model.p
        if p.direction not in ("left_to_right", "right_to_left"):
            raise ValueError(f"direction must be left_to_right or right_to_left, got {p.direction!r}")
        return cls(
            px_per_m=p.body_frac_of_image * p.image_height / model.h,
            sign=1.0 if p.direction == "left_to_right" else -1.0,
            mid_x_m=float(np.mean(model.mid_hip(np.asarray(t, float))[:, 0])),
            centre_px=p.image_width / 2.0,
            ground_px=p.image_height * 0.92,
            roll_deg=p.camera_roll_deg,
            middle_px=p.image_height / 2.0,
        )

    def __call__(self, xy_m: np.ndarray) -> np.ndarray:
        xy_m = np.asarray(xy_m, float)
        out = np.empty_like(xy_m)
        out[..., 0] = self.centre_px + self.sign * (xy_m[..., 0] - self.mid_x_m) * self.px_per_m
        out[..., 1] = self.ground_px - xy_m[..., 1] * self.px_per_m
        if self.roll_deg:
            a = math.radians(self.roll_deg)        # counter-clockwise on screen (y points down)
            dx, dy = out[..., 0] - self.centre_px, out[..., 1] - self.middle_px
            out[..., 0] = self.centre_px + math.cos(a) * dx + math.sin(a) * dy
            out[..., 1] = self.middle_px - math.sin(a) * dx + math.cos(a) * dy
        return out


def with_sole_points(run: SyntheticRun, *, noise_px: float = 0.0, seed: int = 0) -> LandmarkTrack:
    """The run's track plus its exact sole points (:data:`engine.model.SOLE_POINTS`), as a video's pixels give
    them (:mod:`engine.pose.soles`): x of the heel and foot-index points, y of the sole right below them in
    the foot's frame, with ``noise_px`` (SD, pixels) of measurement noise on y. Tests the contact timing and
    strike angle on soles against exact truth, without a renderer or a pose model in between."""
    model = RunnerModel(run.params)
    track = run.track
    t = track.time_s
    pm = PixelMap.for_run(model, t)                    # the map :func:`simulate` drew the track with
    rng = np.random.default_rng(seed)
    points = []
    for side in ("left", "right"):
        ankle, pitch, _ = model.foot(t, side)
        for name, local in (("heel", HEEL_LANDMARK), ("foot_index", FOOT_INDEX_LANDMARK)):
            below = pm(ankle + _rot(pitch, (local[0], HEEL_EDGE[1]), model.h))
            x = track.xy[:, track.names.index(f"{side}_{name}"), 0]
            points.append(np.stack([x, below[:, 1] + rng.normal(0.0, noise_px, t.size)], axis=-1))
    sole_xy = np.where(np.isfinite(track.xy[:, :1]), np.stack(points, axis=1), np.nan)
    return LandmarkTrack.from_arrays(
        time_s=t, xy=np.concatenate([track.xy, sole_xy], axis=1), names=list(track.names) + list(SOLE_POINTS),
        visibility=np.concatenate([track.visibility, np.isfinite(sole_xy[..., 0]).astype(float)], axis=1),
        fps=track.fps, image_width=track.image_width, image_height=track.image_height, meta=dict(track.meta))


def simulate(params: RunnerParams | None = None, *, include_height: bool = False, **overrides) -> SyntheticRun:
    """Sample the synthetic runner into a landmark track (pixels) and its exact truth table.

    Parameters
    ----------
    params : the runner; keyword overrides replace single fields.
    include_height : write ``height_cm`` into the track's metadata (as a CSV header would carry it).
    """
    p = replace(params or RunnerParams(), **overrides)
    model = RunnerModel(p)
    n = int(round(p.duration_s * p.fps))
    t = np.arange(n) / p.fps
    lm = model.landmarks(t)

    # check the swing foot never digs into the ground
    for side in ("left", "right"):
        low = model.lowest_point(t, side)
        if np.min(low) < -1e-6:
            raise ValueError("synthetic runner: the swing foot passes below the ground; raise swing_clearance_cm")

    pm = PixelMap.for_run(model, t)
    px_per_m = pm.px_per_m
    names = [nm for nm in LANDMARK_NAMES if nm in lm]
    px = pm(np.stack([lm[nm] for nm in names], axis=1))          # (T, L, 2)
    if p.noise_frac > 0:
        rng = np.random.default_rng(p.seed)
        sd = p.noise_frac * anth.LEG * model.h * px_per_m
        px = px + rng.normal(0.0, sd, size=px.shape)
    vis = np.full(px.shape[:2], 0.99)
    for start, length in p.gaps:
        lost = (t >= start) & (t < start + length)
        px[lost] = np.nan
        vis[lost] = np.nan
    meta: dict[str, object] = {"source": "synthetic runner"}
    if include_height:
        meta["height_cm"] = p.height_cm
    track = LandmarkTrack.from_arrays(
        time_s=t, xy=px, names=names, visibility=vis, fps=p.fps,
        image_width=p.image_width, image_height=p.image_height, meta=meta,
    )
    truth = truth_table(model, float(t[0]), float(t[-1]))
    (hx, hy), (tx, ty) = model.heel_point, model.toe_point
    flat = math.degrees(math.atan2(ty - hy, tx - hx))
    return SyntheticRun(params=p, track=track, truth=truth, px_per_m=px_per_m,
                        flat_foot_offset_deg=flat, extra={"params": asdict(p)})
