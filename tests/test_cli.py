import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.sources.landmarks_csv import write_landmark_csv
from engine.synth.runner import simulate

ROOT = Path(__file__).resolve().parent.parent


def leanline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def run_csv(tmp_path_factory):
    run = simulate(duration_s=8, cadence_spm=176)
    return run, write_landmark_csv(run.track, tmp_path_factory.mktemp("cli") / "run.csv")


def test_json_to_stdout_is_only_json(run_csv, tmp_path):
    run, path = run_csv
    proc = leanline("analyze", str(path), "--height-cm", "175", "--json", "-", "--csv", str(tmp_path / "s.csv"))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["row_unit"] == "step" and data["direction"] == "left_to_right"
    assert data["source"]["kind"] == "landmarks" and len(data["source"]["sha256"]) == 64
    assert data["summary"]["cadence_spm"]["median"] == pytest.approx(176, rel=0.01)
    assert data["settings"]["height_cm"] == 175
    assert "cadence" in proc.stderr                       # the human summary goes to stderr
    assert (tmp_path / "s.csv").read_text().startswith("side,ic_s,to_s,cadence_spm")


@pytest.mark.parametrize("content,needle", [
    ("", "empty"),
    ("time,ax,ay,az\n0,0,0,1\n", "fewer than two samples"),
    ("frame,time_s,left_hip_x\n0,0,1\n", "missing landmarks"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, content, needle):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    proc = leanline("analyze", str(bad), "--json", "-")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and needle in proc.stderr


def test_walking_exits_2(tmp_path):
    walk = simulate(cadence_spm=110, duty_factor=0.62, speed_mps=1.4, vertical_oscillation_cm=4,
                    overstride_cm=20, foot_strike_angle_deg=15, swing_clearance_cm=12, duration_s=8)
    path = write_landmark_csv(walk.track, tmp_path / "walk.csv")
    proc = leanline("analyze", str(path))
    assert proc.returncode == 2 and "walking" in proc.stderr


def test_unknown_file_and_missing_file_exit_2(tmp_path):
    odd = tmp_path / "notes.docx"
    odd.write_text("x")
    assert leanline("analyze", str(odd)).returncode == 2
    proc = leanline("analyze", str(tmp_path / "nope.csv"))
    assert proc.returncode == 2 and "no such file" in proc.stderr


def test_bundled_samples_show_the_training_effect():
    before = json.loads(leanline("analyze", "sample_data/before_landmarks.csv", "--height-cm", "175", "--json",
                                 "-").stdout)
    after = json.loads(leanline("analyze", "sample_data/after_landmarks.csv", "--height-cm", "175", "--json",
                                "-").stdout)
    b, a = before["summary"], after["summary"]
    assert b["foot_strike"]["majority"] == "rearfoot" and a["foot_strike"]["majority"] == "forefoot"
    assert a["cadence_spm"]["median"] - b["cadence_spm"]["median"] == pytest.approx(20, abs=1)
    assert b["overstride_cm"]["median"] - a["overstride_cm"]["median"] > 12
    assert a["vertical_oscillation_cm"]["median"] < b["vertical_oscillation_cm"]["median"] - 2.5
