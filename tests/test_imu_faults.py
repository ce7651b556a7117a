"""IMU recordings that once took gigabytes, were refused wrongly or gave garbage: each gets a reason or is read."""

from __future__ import annotations

import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.errors import BadInputError
from engine.sources import analyze
from engine.sources.imu import read_imu
from engine.synth.imu import ImuNoise, waist_signal, waist_truth
from engine.synth.runner import RunnerParams

ROOT = Path(__file__).resolve().parent.parent


def _waist_table(params: RunnerParams, seed: int = 0) -> pd.DataFrame:
    t, acc = waist_signal(params, rate_hz=100.0, noise=ImuNoise(), seed=seed)
    return pd.DataFrame({"time": t, "ax": acc[:, 0], "ay": acc[:, 1], "az": acc[:, 2]})


@pytest.mark.parametrize("duty", [0.20, 0.24, 0.27, 0.32, 0.40])
def test_fast_runs_with_long_flights_are_read_in_either_unit(tmp_path, duty):
    """In long flight phases the magnitude is near 0 g for most samples; gravity is the mean, not the median."""
    params = RunnerParams(cadence_spm=180.0, duty_factor=duty, foot_strike_angle_deg=-6.0, treadmill=True,
                          duration_s=40.0)
    table = _waist_table(params, seed=int(duty * 100))
    assert np.median(np.linalg.norm(table[["ax", "ay", "az"]].to_numpy(), axis=1)) < 1.0 or duty > 0.3
    p = tmp_path / "waist.csv"
    table.to_csv(p, index=False)
    for unit in ("auto", "g"):
        res = analyze(p, kind="imu", placement="waist", acc_unit=unit)
        assert 175.0 <= res.summary["cadence_spm"]["median"] <= 185.0
    table[["ax", "ay", "az"]] *= 9.80665
    table.to_csv(p, index=False)
    res = analyze(p, kind="imu", placement="waist")
    assert res.settings["acc_unit"] == "m/s^2 (detected)"
    assert res.summary["ground_contact_ms"]["median"] == pytest.approx(
        waist_truth(params)["ground_contact_ms"].median(), abs=12.0)


def _zip_member(path: Path, member: str, chunks, *, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf, zf.open(member, "w", force_zip64=True) as fh:
        for chunk in chunks:
            fh.write(chunk)
    return path


def test_a_zip_bomb_is_refused_from_its_declared_size_without_inflating_it(tmp_path):
    line = b"0.01,0,0,1\n" * 100_000                   # 1.1 MB of text that deflates to almost nothing
    bomb = _zip_member(tmp_path / "sensorlogger.zip", "TotalAcceleration.csv",
                       [b"seconds_elapsed,x,y,z\n"] + [line] * 300)
    assert bomb.stat().st_size < 2_000_000
    out = subprocess.run([sys.executable, "-m", "engine.cli", "analyze", str(bomb), "--placement", "waist"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 2
    assert "inflate to 315 MB" in out.stderr and "Traceback" not in out.stderr


def _patch_zip(path: Path, *, flag: int | None = None, method: int | None = None) -> Path:
    """Change a one-member zip's general-purpose flag or compression method in both of its headers."""
    data = bytearray(path.read_bytes())
    for sig, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = data.find(sig)
        if flag is not None:
            data[at + flag_at:at + flag_at + 2] = struct.pack("<H", flag)
        if method is not None:
            data[at + method_at:at + method_at + 2] = struct.pack("<H", method)
    path.write_bytes(bytes(data))
    return path


def test_encrypted_and_oddly_compressed_zips_say_so(tmp_path):
    rows = [b"seconds_elapsed,x,y,z\n"] + [f"{i * 0.01:.2f},0,0,9.8\n".encode() for i in range(3000)]
    enc = _patch_zip(_zip_member(tmp_path / "enc.zip", "TotalAcceleration.csv", rows), flag=0x1)
    with pytest.raises(BadInputError, match="encrypted"):
        read_imu(enc)
    odd = _patch_zip(_zip_member(tmp_path / "ppmd.zip", "TotalAcceleration.csv", rows), method=98)
    with pytest.raises(BadInputError, match="compression leanline cannot read"):
        read_imu(odd)


def test_a_glitched_last_timestamp_is_refused_with_the_reason(tmp_path):
    params = RunnerParams(cadence_spm=170.0, duration_s=30.0, treadmill=True)
    table = _waist_table(params)
    for glitch in (1e6, 1e9):
        bad = table.copy()
        bad.loc[len(bad) - 1, "time"] = glitch
        p = tmp_path / "glitch.csv"
        bad.to_csv(p, index=False)
        out = subprocess.run([sys.executable, "-m", "engine.cli", "analyze", str(p), "--placement", "waist"],
                             capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert "more than any run" in out.stderr and "jumps by" in out.stderr


def test_a_pause_in_the_recording_keeps_the_longest_stretch_with_a_warning(tmp_path):
    params = RunnerParams(cadence_spm=170.0, duration_s=60.0, treadmill=True)
    table = _waist_table(params)
    table.loc[table.time >= 45.0, "time"] += 600.0          # paused for ten minutes, then 15 s more
    p = tmp_path / "paused.csv"
    table.to_csv(p, index=False)
    res = analyze(p, kind="imu", placement="waist")
    assert any("time jumps 1 time" in w and "stretch without a jump, 45 s" in w for w in res.warnings)
    assert res.summary["cadence_spm"]["median"] == pytest.approx(170.0, abs=1.5)
    assert res.source["duration_s"] == pytest.approx(45.0, abs=0.1)


@pytest.mark.parametrize("value,reason", [("inf", "infinite"), ("1e300", "exceed 500 g")])
def test_absurd_values_are_named_not_taken_for_walking(tmp_path, value, reason):
    params = RunnerParams(cadence_spm=170.0, duration_s=20.0, treadmill=True)
    table = _waist_table(params).astype(object)
    table.loc[100, "az"] = value
    p = tmp_path / "absurd.csv"
    table.to_csv(p, index=False)
    with pytest.raises(BadInputError, match=reason):
        analyze(p, kind="imu", placement="waist")


def test_utf16_exports_and_decimal_commas_read_like_the_plain_file(tmp_path):
    params = RunnerParams(cadence_spm=176.0, duration_s=30.0, treadmill=True)
    table = _waist_table(params)
    plain = tmp_path / "plain.csv"
    table.to_csv(plain, index=False)
    want = analyze(plain, kind="imu", placement="waist").summary["cadence_spm"]["median"]
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(table.to_csv(index=False).encode("utf-16"))
    comma = tmp_path / "comma.csv"
    comma.write_text(table.to_csv(index=False, sep=";", decimal=","), encoding="utf-8")
    for p in (utf16, comma):
        assert analyze(p, placement="waist").summary["cadence_spm"]["median"] == pytest.approx(want, abs=0.05)


def test_a_folder_or_a_pipe_is_named_for_what_it_is(tmp_path):
    import os

    with pytest.raises(BadInputError, match="is a folder"):
        analyze(tmp_path, placement="waist")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(BadInputError, match="not a regular file"):
        analyze(fifo, placement="waist")
