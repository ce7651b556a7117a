"""How sure a session's numbers are: one standard deviation per summary metric, in the metric's unit.

Three parts, added in quadrature:

- **sampling**: the standard error of the median of the steps, 1.2533 x SD / sqrt(n), with n halved because
  consecutive steps hang together (the same reason the Compare page bootstraps in blocks);
- **scatter**: on a steady run most of the step-to-step scatter of a pose-model track is measurement noise,
  and noisy events also bias the median; a share ``SCATTER_SHARE`` of the per-step SD is counted;
- **floor**: what the measurement cannot see whatever the number of steps: a pose model's systematic
  error on the metric (``POSE_FLOOR``, from the bundled sample clips of drawn runners against their exact
  truth, so a first estimate, to be refined on labelled real clips), a body-worn sensor's or a watch's
  (``SENSOR_FLOOR``), or, on clean landmark tracks, 40 % of the pose model's (the heel and toe points'
  placement on the shoe still biases the angles at contact by up to ~0.8°).

Trade-offs: ++ every metric gets one, from what the recording shows (its step count, its scatter, how
noisy its landmarks are); -- the floors come from few recordings; a new camera angle or clothing can
bias a pose model beyond them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: Systematic error of a BlazePose track (1 SD), per metric, in its unit.
POSE_FLOOR = {
    "cadence_spm": 0.5, "ground_contact_ms": 12.0, "flight_ms": 10.0, "duty_factor_pct": 1.5,
    "foot_strike_angle_deg": 2.0, "overstride_cm": 1.0, "shin_angle_deg": 1.0, "knee_flexion_ic_deg": 1.5,
    "lean_deg": 1.0, "alignment_deg": 1.2, "trunk_lean_deg": 1.5, "fall_angle_deg": 2.0, "pull_ms": 15.0,
    "vertical_oscillation_cm": 0.6, "step_length_cm": 2.0, "vertical_ratio_pct": 0.6,
}
#: Systematic error of body-worn sensors and watches (their own numbers), per metric.
SENSOR_FLOOR = {
    "cadence_spm": 1.0, "ground_contact_ms": 10.0, "flight_ms": 10.0, "duty_factor_pct": 1.5,
    "foot_strike_angle_deg": 1.5, "vertical_oscillation_cm": 0.7, "step_length_cm": 3.0, "vertical_ratio_pct": 0.7,
    "stance_time_percent": 1.0, "heart_rate_bpm": 1.0, "speed_mps": 0.05, "power_w": 5.0,
}
#: Share of the per-step SD that counts as measurement error on a pose-model track.
SCATTER_SHARE = 0.5
#: On clean landmark tracks (motion capture, synthetic) the floor is this share of the pose model's.
CLEAN_FLOOR_SHARE = 0.4


def median_uncertainty(values: np.ndarray | pd.Series, *, floor: float, scatter_share: float) -> float | None:
    """One SD of a session's median value: sampling, scatter and floor in quadrature (None without values)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if not v.size:
        return None
    sd = float(np.std(v, ddof=1)) if v.size > 1 else 0.0
    sampling = 1.2533 * sd / math.sqrt(max(v.size / 2.0, 1.0))
    return float(math.sqrt(sampling**2 + (scatter_share * sd) ** 2 + floor**2))


def add_uncertainty(summary: dict, rows: pd.DataFrame, *, kind: str, clean: bool = False) -> dict:
    """Give every described metric of ``summary`` an ``uncertainty`` (1 SD, the metric's unit), in place.

    ``kind``: ``pose`` (landmarks from a pose model or another noisy tracker), ``sensor`` (IMU, watch).
    ``clean``: the landmarks are clean (motion capture, synthetic): small floors, no scatter term.
    """
    for metric, stat in summary.items():
        if not isinstance(stat, dict) or "median" not in stat or metric not in rows.columns:
            continue
        if kind == "sensor":
            floor, share = SENSOR_FLOOR.get(metric, 0.0), 0.0
        else:
            base = POSE_FLOOR.get(metric, 0.0)
            floor, share = (CLEAN_FLOOR_SHARE * base, 0.0) if clean else (base, SCATTER_SHARE)
        stat["uncertainty"] = median_uncertainty(pd.to_numeric(rows[metric], errors="coerce"), floor=floor,
                                                 scatter_share=share)
    return summary
