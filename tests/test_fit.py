"""FIT files: the real recordings in ../shared/realdata/fit (when present) and damaged input."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.errors import BadInputError, NotRunningError
from engine.sources import analyze
from engine.synth.fit import watch_records, write_fit
from engine.synth.runner import RunnerParams

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "fit"
real = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/realdata is not present")


@real
def test_fenix5_run_values_are_the_files_own():
    r = analyze(REAL / "fitparse__garmin-fenix-5-run.fit")
    s = r.summary
    assert r.row_unit == "record" and r.source["kind"] == "fit"
    assert s["cadence_spm"]["median"] == pytest.approx(179, abs=1.5)
    assert s["vertical_oscillation_cm"]["median"] == pytest.approx(7.75, abs=0.1)
    assert s["ground_contact_ms"]["median"] == pytest.approx(258, abs=2)
    assert {"step_length_cm", "vertical_ratio_pct", "gct_balance_pct", "stance_time_percent"} <= set(r.rows.columns)
    assert 45 < s["gct_balance_pct"] < 55


@real
def test_file_without_dynamics_says_what_it_has():
    r = analyze(REAL / "fitparse__2013-02-06-12-11-14.fit")
    assert any("no running dynamics" in w and "speed_mps" in w for w in r.warnings)
    assert r.summary["speed_mps"]["median"] > 1.0
    assert "ground_contact_ms" not in r.rows.columns


@real
def test_walk_is_flagged():
    with pytest.raises(NotRunningError, match="walking"):
        analyze(REAL / "fitparse__garmin-fenix-5-walk.fit")


@real
def test_multisport_keeps_the_two_run_legs():
    r = analyze(REAL / "fitparse__activity-large-fenxi2-multisport.fit")
    assert len(r.source["legs"]) == 2
    assert any("running leg" in w for w in r.warnings)
    assert 140 < r.summary["cadence_spm"]["median"] < 190


@real
def test_stryd_developer_fields_get_names():
    r = analyze(REAL / "fitparse__developer-types-sample.fit")
    assert {"dev_form_power", "dev_leg_spring_stiffness"} <= set(r.rows.columns)
    assert 5 < r.summary["dev_leg_spring_stiffness"]["median"] < 30


@real
def test_truncated_fit_is_refused(tmp_path):
    cut = tmp_path / "cut.fit"
    cut.write_bytes((REAL / "fitparse__activity-small-fenix2-run.fit").read_bytes()[:5000])
    with pytest.raises(BadInputError, match="cut.fit"):
        analyze(cut)


def test_not_a_fit_file(tmp_path):
    fake = tmp_path / "run.fit"
    fake.write_text("this is a note, not a FIT file\n" * 10)
    with pytest.raises(BadInputError, match="not a FIT file"):
        analyze(fake)


# -- synthetic watch files: written with Garmin's FIT encoder, so every value is known ----------------------
START = dt.datetime(2026, 10, 3, 6, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def watch(tmp_path_factory):
    params = RunnerParams(cadence_spm=176.0, duty_factor=0.31, speed_mps=3.4, vertical_oscillation_cm=7.2)
    records = watch_records(params, duration_s=1500, seed=5)
    path = write_fit(tmp_path_factory.mktemp("fit") / "watch.fit", records, start=START)
    return params, records, path


def test_synthetic_watch_values_are_the_files_own(watch):
    params, records, path = watch
    res = analyze(path, kind="auto")
    rows = res.rows
    assert res.row_unit == "record" and len(rows) == len(records) and res.warnings == []
    # FIT resolution: cadence 1/128 stride/min, stance time 0.1 ms, VO 0.1 mm, step length 1 mm, 0.01 %
    for col, res_step in (("cadence_spm", 2 / 128), ("ground_contact_ms", 0.1), ("vertical_oscillation_cm", 0.01),
                          ("step_length_cm", 0.1), ("vertical_ratio_pct", 0.01), ("stance_time_percent", 0.01),
                          ("gct_balance_pct", 0.01), ("speed_mps", 0.001), ("heart_rate_bpm", 1.0)):
        assert np.abs(rows[col].to_numpy() - records[col].to_numpy()).max() <= res_step / 2 + 1e-9, col
    assert rows["dev_power"].tolist() == records["power_w"].tolist()
    assert rows["dev_leg_spring_stiffness"].to_numpy() == pytest.approx(records["leg_spring_kn_m"].to_numpy(), rel=1e-6)
    s = res.summary
    assert s["cadence_spm"]["median"] == pytest.approx(params.cadence_spm, rel=0.01)
    assert s["ground_contact_ms"]["median"] == pytest.approx(params.contact_s * 1000, rel=0.01)
    assert s["vertical_oscillation_cm"]["median"] == pytest.approx(params.vertical_oscillation_cm, rel=0.02)
    assert 49.0 < s["gct_balance_pct"] < 51.0
    laps = res.source["laps"]
    assert len(laps) == int(records["distance_m"].iloc[-1] // 1000) + 1 and rows["lap"].max() == len(laps)
    assert [round(lap["distance_m"]) for lap in laps[:-1]] == pytest.approx([1000] * (len(laps) - 1), abs=4)


def test_damaged_synthetic_files_are_refused_with_the_reason(watch, tmp_path):
    data = watch[2].read_bytes()
    cut = tmp_path / "cut.fit"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInputError, match="cut.fit: the file is truncated"):
        analyze(cut)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x40
    bad = tmp_path / "crc.fit"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(BadInputError, match="crc.fit: the file's checksum .CRC. does not match"):
        analyze(bad)
    out = subprocess.run([sys.executable, "-m", "engine.cli", "analyze", str(bad), "--json", "-"],
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 2 and out.stdout == "" and "checksum" in out.stderr


def test_synthetic_walk_is_flagged_and_cycling_refused(tmp_path):
    records = watch_records(RunnerParams(cadence_spm=112.0, speed_mps=1.4, duty_factor=0.6), duration_s=120)
    with pytest.raises(NotRunningError, match="walking activity, not a run"):
        analyze(write_fit(tmp_path / "walk.fit", records, start=START, sport="walking", sub_sport="generic"))
    with pytest.raises(BadInputError, match="no running session .sports: cycling"):
        analyze(write_fit(tmp_path / "ride.fit", records, start=START, sport="cycling", sub_sport="road"))


def test_a_file_cut_off_before_its_summary_is_read_as_one_session(tmp_path):
    records = watch_records(RunnerParams(cadence_spm=170.0), duration_s=300, seed=3)
    res = analyze(write_fit(tmp_path / "cut_short.fit", records, start=START, summary=False))
    assert len(res.rows) == 300 and any("no session summary" in w for w in res.warnings)
    assert res.summary["cadence_spm"]["median"] == pytest.approx(170.0, rel=0.01)
    with pytest.raises(NotRunningError):
        analyze(write_fit(tmp_path / "walk_cut.fit", records, start=START, sport="walking", sub_sport="generic",
                          summary=False))


def test_a_pod_without_a_strap_gives_its_dynamics_from_developer_fields(tmp_path):
    params = RunnerParams(cadence_spm=178.0, duty_factor=0.3, vertical_oscillation_cm=7.0)
    records = watch_records(params, duration_s=600, seed=8)
    res = analyze(write_fit(tmp_path / "pod.fit", records, start=START, pod_only=True))
    rows = res.rows
    assert "stance_time_percent" not in rows.columns                      # no native dynamics in this file
    assert np.abs(rows["ground_contact_ms"].to_numpy() - records["ground_contact_ms"].to_numpy()).max() < 1e-3
    vo = rows["vertical_oscillation_cm"].to_numpy() - records["vertical_oscillation_cm"].to_numpy()
    assert np.abs(vo).max() < 1e-4
    assert rows["dev_ground_time"].notna().all()                          # the developer column is kept too
    assert sum("comes from the developer field" in w for w in res.warnings) == 2
    assert not any("no running dynamics" in w for w in res.warnings)
    assert res.summary["ground_contact_ms"]["median"] == pytest.approx(params.contact_s * 1000, rel=0.01)
