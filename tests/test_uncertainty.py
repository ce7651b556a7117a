"""Every summary metric says how sure it is, and the errors against the truth stay within it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.compare import compare_values
from engine.gait.pipeline import analyze_track
from engine.sources import analyze
from engine.synth.runner import RunnerParams, simulate

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"


def _pairs(summary: dict, truth: pd.DataFrame) -> list[tuple[str, float, float]]:
    """(metric, |error|, uncertainty) for every summary metric the truth has."""
    out = []
    for m, stat in summary.items():
        if isinstance(stat, dict) and stat.get("median") is not None and m in truth.columns:
            true = pd.to_numeric(truth[m], errors="coerce").median()
            if np.isfinite(true):
                out.append((m, abs(stat["median"] - true), stat["uncertainty"]))
    return out


def test_every_described_metric_has_an_uncertainty():
    res = analyze(SAMPLES / "after_pose.csv", height_cm=175.0, treadmill_speed_kmh=10.8)
    fit = analyze(SAMPLES / "after_watch.fit")
    for r in (res, fit):
        described = {m: s for m, s in r.summary.items() if isinstance(s, dict) and s.get("median") is not None}
        assert described and all(s.get("uncertainty") is not None and s["uncertainty"] >= 0
                                 for s in described.values()), r.source["kind"]


@pytest.mark.parametrize("name", ["before", "after"])
def test_pose_model_tracks_err_within_three_uncertainties(name):
    """BlazePose's landmarks of the rendered sample clips against their exact truth."""
    res = analyze(SAMPLES / f"{name}_pose.csv", height_cm=175.0, treadmill_speed_kmh=10.8)
    pairs = _pairs(res.summary, pd.read_csv(SAMPLES / f"{name}_truth.csv"))
    inside = [m for m, err, u in pairs if err <= 3.0 * u]
    assert len(pairs) >= 14 and len(inside) >= 0.8 * len(pairs), [(m, round(e, 2), round(u, 2)) for m, e, u in pairs]


def test_clean_tracks_are_sure_and_right():
    inside, total, widths = 0, 0, []
    for fps, treadmill in ((60, True), (120, False)):
        params = RunnerParams(cadence_spm=176, duration_s=10.0, fps=fps, treadmill=treadmill, first_contact_s=0.12)
        run = simulate(params)
        res = analyze_track(run.track, height_cm=params.height_cm,
                            treadmill_speed_kmh=params.speed_mps * 3.6 if treadmill else None)
        pairs = _pairs(res.summary, run.truth)
        inside += sum(err <= 3.0 * u for _, err, u in pairs)
        total += len(pairs)
        widths.append(res.summary["lean_deg"]["uncertainty"])
    assert inside >= 0.8 * total
    assert max(widths) < 0.6                      # clean landmarks: well under a pose model's


def test_a_change_within_the_measurements_uncertainty_is_not_called_better():
    rng = np.random.default_rng(0)
    a = 170.0 + rng.normal(0, 0.2, 200)
    b = 170.6 + rng.normal(0, 0.2, 200)          # the interval excludes zero ...
    sure = compare_values("cadence_spm", a, b)
    assert sure.verdict == "better"
    unsure = compare_values("cadence_spm", a, b, uncertainty=1.0)    # ... but the measurement allows 1 spm
    assert unsure.verdict == "no clear change" and unsure.uncertainty == 1.0
