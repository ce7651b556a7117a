"""The command line under faults: killed mid-analysis, outputs that cannot be written, options out of range."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.sources.landmarks_csv import write_landmark_csv
from engine.synth.runner import simulate

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)


@pytest.fixture(scope="module")
def track_csv(tmp_path_factory) -> Path:
    run = simulate(cadence_spm=176.0, duration_s=8.0, fps=60.0, include_height=True)
    return write_landmark_csv(run.track, tmp_path_factory.mktemp("t") / "run.csv")


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _descendants(pid: int) -> set[int]:
    kids: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, IndexError):
            continue
        kids.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = set(), [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.add(k)
            todo.append(k)
    return out


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    from engine.synth.video import clip_params, write_clip

    path = tmp_path_factory.mktemp("clip") / "long.mp4"
    write_clip(path, clip_params(cadence_spm=172, duration_s=12.0, fps=30, image_width=640, image_height=360))
    return path


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killing_the_analysis_during_the_pose_stage_leaves_no_worker_running(tmp_path, long_clip, sig):
    env = dict(os.environ, LEANLINE_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "analyze", str(long_clip), "--height-cm", "175"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        workers |= _descendants(proc.pid)
    assert len(workers) >= 2, "the pose stage never started its workers"
    time.sleep(2.0)                                   # well into the pose stage
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers)
    assert "Traceback" not in err


def test_an_unwritable_output_is_refused_before_the_analysis(tmp_path, track_csv):
    started = time.monotonic()
    for option in ("--json", "--csv", "--overlay-out"):
        out = _cli("analyze", str(track_csv), option, str(tmp_path / "no" / "such" / "folder" / "out"))
        assert out.returncode == 2 and "does not exist" in out.stderr, option
    out = _cli("analyze", str(track_csv), "--frames-out", str(track_csv / "frames"))
    assert out.returncode == 2 and "is a file, not a folder" in out.stderr
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("option", ["--csv", "--landmarks-out", "--json"])
def test_an_output_pointed_at_the_input_never_overwrites_it(tmp_path, track_csv, option):
    copy = tmp_path / "input.csv"
    copy.write_bytes(track_csv.read_bytes())
    before = copy.read_bytes()
    out = _cli("analyze", str(copy), option, str(tmp_path / "." / "input.csv"))
    assert out.returncode == 2 and "is the input file" in out.stderr
    assert copy.read_bytes() == before


@pytest.mark.parametrize("args,reason", [
    (["--treadmill-speed-kmh", "1000"], "outside 3-30 km/h"),
    (["--treadmill-speed-kmh", "nan"], "outside 3-30 km/h"),
    (["--height-cm", "17500"], "outside 80-250 cm"),
    (["--height-cm", "-5"], "outside 80-250 cm"),
])
def test_options_have_plausible_ranges(track_csv, args, reason):
    out = _cli("analyze", str(track_csv), *args)
    assert out.returncode == 2 and reason in out.stderr


def test_a_json_run_is_quiet_and_an_imu_summary_names_no_foot_strike(tmp_path):
    from engine.synth.imu import write_waist_csv
    from engine.synth.runner import RunnerParams

    write_waist_csv(tmp_path / "waist.csv", RunnerParams(cadence_spm=170.0, duration_s=30.0, treadmill=True))
    out = _cli("analyze", str(tmp_path / "waist.csv"), "--placement", "waist")
    assert out.returncode == 0 and "None" not in out.stdout and "foot strike None" not in out.stdout
    assert "lean -" not in out.stdout and "cadence 170 spm" in out.stdout
    out = _cli("analyze", str(tmp_path / "waist.csv"), "--placement", "waist", "--json", "-")
    assert json.loads(out.stdout)["row_unit"] == "step"
