"""Before/after statistics against known truth (the synthetic runner) and exact small cases."""

from __future__ import annotations

import re

import numpy as np
import pytest

from engine.compare import (
    block_bootstrap_indices,
    cliffs_delta,
    compare_results,
    compare_values,
    magnitude,
    plain_summary,
    provenance_flags,
    representative_step,
)
from engine.gait.pipeline import analyze_track
from engine.synth.runner import simulate


def _session(**params):
    run = simulate(duration_s=20.0, fps=60.0, noise_frac=0.003, treadmill=True, **params)
    return analyze_track(run.track, height_cm=175.0), run.truth


@pytest.fixture(scope="module")
def before_after():
    before = _session(cadence_spm=162.0, overstride_cm=20.0, vertical_oscillation_cm=10.0, seed=1)
    after = _session(cadence_spm=178.0, overstride_cm=5.0, vertical_oscillation_cm=7.0, seed=2)
    return before, after


def test_cliffs_delta_exact_cases():
    assert cliffs_delta(np.array([1, 2, 3]), np.array([4, 5, 6])) == 1.0
    assert cliffs_delta(np.array([4, 5, 6]), np.array([1, 2, 3])) == -1.0
    assert cliffs_delta(np.array([1, 2, 3]), np.array([1, 2, 3])) == 0.0
    # pairs: b=2 beats a=1, ties a=2, loses to a=3 -> (1 - 1) / 3 = 0; b=3 beats two, ties one -> 2/3
    assert cliffs_delta(np.array([1, 2, 3]), np.array([3])) == pytest.approx(2 / 3)
    assert [magnitude(d) for d in (0.1, 0.2, 0.4, 0.9)] == ["negligible", "small", "medium", "large"]


def test_block_bootstrap_keeps_runs_of_consecutive_rows():
    rng = np.random.default_rng(0)
    idx = block_bootstrap_indices(53, n_boot=200, block_len=10, rng=rng)
    assert idx.shape == (200, 53) and idx.min() >= 0 and idx.max() <= 52
    steps = np.diff(idx[:, :10], axis=1)
    assert (steps == 1).all()                      # the first block is 10 consecutive rows


def test_recovers_the_true_change(before_after):
    (before, truth_a), (after, truth_b) = before_after
    changes = compare_results(before, after).set_index("metric")
    # the interval is the steps' sampling error; each session's reading also carries the landmarks' bias, which
    # differs between the two sessions by up to half a spm, 0.8 cm of overstride, 0.1 cm of oscillation here
    for metric, bias in (("cadence_spm", 0.5), ("overstride_cm", 1.0), ("vertical_oscillation_cm", 0.5)):
        true_diff = truth_b[metric].median() - truth_a[metric].median()
        c = changes.loc[metric]
        assert c["ci_low"] - bias <= true_diff <= c["ci_high"] + bias, metric
    assert changes.loc["cadence_spm", "verdict"] == "better"
    assert changes.loc["overstride_cm", "verdict"] == "better"         # 20 cm -> 5 cm: closer to the hips
    assert changes.loc["vertical_oscillation_cm", "verdict"] == "better"
    assert changes.loc["cadence_spm", "cliffs_delta"] == pytest.approx(1.0)
    text = "\n".join(plain_summary(changes.reset_index()))
    said = re.search(r"cadence \+(\d+) spm", text)
    assert said and abs(int(said.group(1)) - 16) <= 1                     # 162 -> 178 spm
    assert "cm closer to the hips" in text


def test_the_same_runner_twice_shows_no_clear_change():
    a, _ = _session(cadence_spm=170.0, seed=3)
    b, _ = _session(cadence_spm=170.0, seed=4)
    changes = compare_results(a, b).set_index("metric")
    for metric in ("cadence_spm", "vertical_oscillation_cm", "lean_deg"):
        assert changes.loc[metric, "ci_low"] <= 0.05 * abs(changes.loc[metric, "median_a"]) + 0.2
        assert changes.loc[metric, "ci_high"] >= -0.05 * abs(changes.loc[metric, "median_a"]) - 0.2
    assert abs(changes.loc["cadence_spm", "diff"]) < 1.0


def test_block_intervals_are_wider_than_naive_ones_on_drifting_data():
    """A slow drift within a session must widen the interval: steps are not independent."""
    rng = np.random.default_rng(5)
    n = 400
    drift = np.cumsum(rng.normal(0, 0.6, n))           # a runner speeding up and slowing down
    a = 170 + drift + rng.normal(0, 1, n)
    b = 171 + drift[::-1] + rng.normal(0, 1, n)
    naive = compare_values("cadence_spm", a, b, block_len=1)
    blocked = compare_values("cadence_spm", a, b, block_len=20)
    assert (blocked.ci_high - blocked.ci_low) > 1.5 * (naive.ci_high - naive.ci_low)


def test_provenance_flags_and_representative_step(before_after):
    (before, _), (after, _) = before_after
    assert provenance_flags([before, after]) == []
    other = analyze_track(simulate(duration_s=6.0, fps=60.0).track)         # no height: no scale
    other.engine = {**other.engine, "version": "0.0.1+older"}
    flags = provenance_flags([before, other], ["A", "B"])
    assert any("engine versions differ" in f and "B: 0.0.1+older" in f for f in flags)
    assert any("length scales differ" in f for f in flags)
    rows = before.rows
    i = representative_step(rows)
    z = (rows[["lean_deg", "alignment_deg", "overstride_cm"]] - rows[["lean_deg", "alignment_deg",
                                                                      "overstride_cm"]].median()).abs()
    assert z.iloc[i].sum() <= z.sum(axis=1).quantile(0.5)   # a typical contact, not an outlier


def test_missing_metric_is_left_out(before_after):
    (before, _), (after, _) = before_after
    assert compare_values("x", np.array([1.0]), np.array([2.0, 3.0])) is None
    trimmed = after.rows.drop(columns=["pull_ms"])
    after2 = type(after)(source=after.source, rows=trimmed, summary=after.summary)
    assert "pull_ms" not in set(compare_results(before, after2)["metric"])
