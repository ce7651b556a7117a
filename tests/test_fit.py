"""FIT files: the real recordings in ../shared/realdata/fit (when present) and damaged input."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import BadInputError, NotRunningError
from engine.sources import analyze

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
