"""The metric registry against METRICS.md and every row a result can carry; metrics, compare and provenance."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine import metrics as registry
from engine.compare import PREFERRED, compare_many
from engine.sources import analyze
from engine.sources.landmarks_csv import write_landmark_csv
from engine.synth.runner import RunnerParams, simulate

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "METRICS.md"


def _spec_rows() -> dict[str, str]:
    """column -> unit, from every table row of METRICS.md that starts with a column name in backticks."""
    out = {}
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\|\s*((?:`[a-z_<>]+`(?:,\s*)?)+)\s*\|\s*([^|]+?)\s*\|", line)
        if m:
            for name in re.findall(r"`([a-z_<>]+)`", m.group(1)):
                out[name] = m.group(2)
    return out


def test_the_specification_is_tracked_and_agrees_with_the_registry():
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", "METRICS.md"], cwd=ROOT, capture_output=True)
    assert tracked.returncode == 0, "METRICS.md is not tracked"
    spec = _spec_rows()
    for name, unit in spec.items():
        assert name in registry.REGISTRY, f"METRICS.md defines {name}, the registry does not"
        ours = registry.REGISTRY[name].unit
        assert ours == unit, f"{name}: METRICS.md says {unit}, the registry {ours}"
    missing = [m.name for m in registry.METRICS if m.name not in spec]
    assert not missing, f"the registry has {missing}, METRICS.md does not"


def test_every_record_is_complete_and_consistent():
    for m in registry.METRICS:
        assert m.definition and m.label and m.unit, m.name
        assert m.better in ("higher", "lower", "closer_to_zero", "none"), m.name
        assert set(m.rows) <= {"step", "record"} and m.rows, m.name
        if m.bands:
            assert [b for b, _, _ in m.bands] in (list(registry.BAND_ORDER), list(reversed(registry.BAND_ORDER)))
            lows = [lo for _, lo, _ in m.bands]
            assert lows == sorted(lows) and all(a[2] == b[1] for a, b in zip(m.bands, m.bands[1:])), m.name
    assert PREFERRED["lean_deg"] == "higher" and PREFERRED["overstride_cm"] == "closer_to_zero"


@pytest.mark.parametrize("metric,value,band", [
    ("cadence_spm", 183.4, "blue"), ("cadence_spm", 184.0, "purple"), ("cadence_spm", 152.9, "red"),
    ("ground_contact_ms", 217.0, "purple"), ("ground_contact_ms", 248.9, "blue"), ("ground_contact_ms", 309.0, "red"),
    ("vertical_oscillation_cm", 8.1, "blue"), ("vertical_oscillation_cm", 9.7, "green"),
    ("vertical_ratio_pct", 6.0, "purple"), ("vertical_ratio_pct", 10.1, "orange"), ("lean_deg", 3.0, None),
])
def test_bands_follow_the_garmin_table(metric, value, band):
    assert registry.band_of(metric, value) == band


def _rows_of_every_kind(tmp_path: Path) -> dict[str, list[str]]:
    from engine.synth.fit import watch_records, write_fit
    from engine.synth.imu import write_foot_csv, write_waist_csv

    params = RunnerParams(cadence_spm=176.0, duration_s=30.0, treadmill=True)
    track = write_landmark_csv(simulate(params, include_height=True).track, tmp_path / "run.csv")
    write_waist_csv(tmp_path / "waist.csv", params)
    write_foot_csv(tmp_path / "foot.csv", params)
    fit = write_fit(tmp_path / "watch.fit", watch_records(params, duration_s=120.0),
                    start=dt.datetime(2026, 10, 1, 7, tzinfo=dt.timezone.utc))
    out = {"landmarks": list(analyze(track).rows.columns), "fit": list(analyze(fit).rows.columns)}
    for placement, p in (("waist", "waist.csv"), ("foot", "foot.csv"), ("wrist", "waist.csv")):
        out[placement] = list(analyze(tmp_path / p, placement=placement).rows.columns)
    return out


def test_metrics_json_defines_every_column_analyze_writes(tmp_path):
    out = subprocess.run([sys.executable, "-m", "engine.cli", "metrics", "--json"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0
    listed = {m["name"]: m for m in json.loads(out.stdout)["metrics"]}
    for kind, columns in _rows_of_every_kind(tmp_path).items():
        for c in columns:
            assert c in listed, f"{kind} rows carry {c}, which `leanline metrics` does not define"
            m = listed[c]
            assert m["unit"] and m["definition"] and m["better"] in ("higher", "lower", "closer_to_zero", "none")
            assert "reference" in m
            assert ("step" if kind != "fit" else "record") in m["rows"], (kind, c)


def test_the_column_lists_come_from_the_registry():
    from dashboard import figures
    from engine import model

    assert model.STEP_COLUMNS is registry.STEP_COLUMNS
    assert figures.BANDS is registry.BANDS
    assert all(registry.REGISTRY[c].better != "none" or c in ("trunk_lean_deg", "step_length_cm")
               for c in registry.COMPARED)


@pytest.fixture(scope="module")
def two_results(tmp_path_factory):
    d = tmp_path_factory.mktemp("cmp")
    paths = []
    for name, cadence in (("before", 164.0), ("after", 178.0)):
        run = simulate(RunnerParams(cadence_spm=cadence, duration_s=20.0, treadmill=True), include_height=True)
        csv = write_landmark_csv(run.track, d / f"{name}.csv")
        out = subprocess.run([sys.executable, "-m", "engine.cli", "analyze", str(csv), "--json",
                              str(d / f"{name}.json")],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        paths.append(d / f"{name}.json")
    return paths


def test_every_result_names_its_engine(two_results):
    data = json.loads(two_results[0].read_text())
    engine = data["engine"]
    assert engine["version"].startswith(data["leanline_version"] + "+")
    assert len(engine["parameters"]) >= 20 and engine["code_digest"]
    assert {"gait.cutoff_hz", "gait.detector.contact_tol_leg",
            "repair.reject_outliers.k_sd"} <= set(engine["parameters"])
    assert {r["event_method"] for r in data["rows"]} <= {"landmark_heights", "sole_edges", "fore_aft_extremes",
                                                          "steady_lag", "sole_pixels"}


def test_compare_cli_gives_metric_rows(two_results):
    out = subprocess.run([sys.executable, "-m", "engine.cli", "compare", *map(str, two_results), "--json", "-"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["warnings"] == []
    rows = {m["metric"]: m for m in report["comparisons"][0]["metrics"]}
    cad = rows["cadence_spm"]
    assert cad["median_a"] == pytest.approx(164.0, abs=1.0) and cad["median_b"] == pytest.approx(178.0, abs=1.0)
    assert cad["verdict"] == "better" and cad["ci_low"] > 0 and cad["magnitude"] == "large"


def test_compare_warns_when_the_engines_differ(two_results):
    from engine.model import AnalysisResult

    a, b = (AnalysisResult.from_dict(json.loads(p.read_text())) for p in two_results)
    b.engine = copy.deepcopy(b.engine)
    b.engine["parameters"]["gait.cutoff_hz"] = 8.0
    b.engine["version"] = b.engine["version"] + "x"
    report = compare_many([a, b], ["before", "after"])
    assert any("engine parameters differ (gait.cutoff_hz)" in w for w in report["warnings"])
    pair = report["comparisons"][0]
    assert pair["engines_differ"] and pair["summary"][0].startswith("the two sessions were analysed by different")
    assert {m["verdict"] for m in pair["metrics"]} >= {"better (engines differ)"}


def test_compare_cli_refuses_what_is_not_a_result(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    out = subprocess.run([sys.executable, "-m", "engine.cli", "compare", str(bad), str(bad)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "not a leanline result" in out.stderr
