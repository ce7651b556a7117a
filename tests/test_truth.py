"""Every per-step metric of the registry against the synthetic runner's continuous truth.

A registry metric without a tolerance here fails its test: a new metric cannot land untested.
Clean landmark tracks (no pose model), two runner styles x 60/120 fps x treadmill/overground.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from engine.gait.pipeline import analyze_track
from engine.metrics import METRICS
from engine.synth.runner import RunnerParams, simulate

STYLES = {
    "heel_striker": dict(cadence_spm=162, duty_factor=0.31, speed_mps=3.1, foot_strike_angle_deg=14,
                         overstride_cm=20, trunk_lean_deg=3, vertical_oscillation_cm=9.5, min_knee_flexion_deg=13),
    "pose_runner": dict(cadence_spm=181, duty_factor=0.28, speed_mps=3.2, foot_strike_angle_deg=-5,
                        overstride_cm=5, trunk_lean_deg=7, vertical_oscillation_cm=6.6, min_knee_flexion_deg=16),
}

#: Largest median |error| per metric on these tracks (events in ms; angles °; lengths cm; % points; spm).
TRUTH_TOLERANCE = {
    "ic_s": 4.0, "to_s": 5.0, "cadence_spm": 1.0, "ground_contact_ms": 4.0, "flight_ms": 10.0,
    "duty_factor_pct": 1.5, "foot_strike_angle_deg": 1.0, "overstride_cm": 1.5, "shin_angle_deg": 1.0,
    "knee_flexion_ic_deg": 1.0, "lean_deg": 1.0, "alignment_deg": 1.0, "trunk_lean_deg": 0.5, "fall_angle_deg": 1.0,
    "pull_ms": 5.0, "vertical_oscillation_cm": 0.3, "step_length_cm": 3.0, "vertical_ratio_pct": 0.3,
}
#: Checked as classes or labels rather than numbers.
CATEGORICAL = {"side", "foot_strike", "event_method"}


@pytest.fixture(scope="module")
def paired():
    """(estimate, truth) rows of every matched contact over every run, and the runs' contact counts."""
    est_rows, counts = [], []
    for k, ((style, kw), fps, treadmill) in enumerate(itertools.product(STYLES.items(), (60, 120), (True, False))):
        params = RunnerParams(**kw, fps=fps, treadmill=treadmill, duration_s=8.0, first_contact_s=0.121)
        run = simulate(params)
        res = analyze_track(run.track, height_cm=params.height_cm,
                            treadmill_speed_kmh=params.speed_mps * 3.6 if treadmill else None)
        est, truth = res.rows.sort_values("ic_s"), run.truth.sort_values("ic_s")
        m = pd.merge_asof(est.assign(ic_key=est.ic_s), truth.assign(ic_key=truth.ic_s), on="ic_key", by="side",
                          direction="nearest", tolerance=0.04, suffixes=("", "_true")).dropna(subset=["ic_s_true"])
        est_rows.append(m.assign(run=k))
        counts.append((style, fps, treadmill, len(est), len(truth), len(m)))
    return pd.concat(est_rows, ignore_index=True), counts


STEP_METRICS = [m.name for m in METRICS if "step" in m.rows]


@pytest.mark.parametrize("metric", STEP_METRICS)
def test_every_registry_metric_matches_the_truth(paired, metric):
    rows, counts = paired
    if metric in CATEGORICAL:
        if metric == "foot_strike":
            assert (rows["foot_strike"] == rows["foot_strike_true"]).mean() >= 0.95
        elif metric == "event_method":
            assert set(rows["event_method"]) <= {"landmark_heights", "sole_edges"}     # clean tracks: heights
        else:
            assert all(n_est == n_true == n_pair for *_, n_est, n_true, n_pair in counts), counts
        return
    if metric not in TRUTH_TOLERANCE:
        pytest.fail(f"{metric} is in the registry but has no truth test")
    scale = 1000.0 if metric.endswith("_s") else 1.0
    err = (pd.to_numeric(rows[metric]) - pd.to_numeric(rows[f"{metric}_true"])).abs() * scale
    assert err.notna().sum() >= 0.8 * len(rows), f"{metric}: too few values"
    worst = err.groupby(rows["run"]).median().max()
    assert worst <= TRUTH_TOLERANCE[metric], f"{metric}: median |error| {worst:.2f} > {TRUTH_TOLERANCE[metric]}"


def test_flight_and_duty_factor_hold_on_every_run(paired):
    rows, _ = paired
    flight = (rows["flight_ms"] - rows["flight_ms_true"]).abs().groupby(rows["run"]).median()
    duty = (rows["duty_factor_pct"] - rows["duty_factor_pct_true"]).abs().groupby(rows["run"]).median()
    assert flight.max() <= 10.0 and duty.max() <= 1.5, (flight.round(1).tolist(), duty.round(2).tolist())
    assert np.isfinite(flight).all() and len(flight) == 8
