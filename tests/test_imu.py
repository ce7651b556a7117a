"""Raw IMU CSV: formats, units, bad input, synthetic waist truth, and the real 25-minute run."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.errors import BadInputError, NotRunningError
from engine.sources import analyze
from engine.sources.imu import read_imu
from engine.synth.imu import ImuNoise, waist_signal, write_foot_csv, write_waist_csv
from engine.synth.runner import RunnerParams

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "realdata" / "imu"


def _matched(found: pd.Series, truth: pd.Series, tol_s: float = 0.1) -> np.ndarray:
    """Signed error (ms) of the found event nearest each true event; NaN where none is within tol_s."""
    f = found.dropna().to_numpy()
    err = np.array([(f[np.argmin(np.abs(f - x))] - x) * 1000.0 for x in truth])
    return np.where(np.abs(err) <= tol_s * 1000.0, err, np.nan)


@pytest.mark.parametrize("cadence,duty,strike,treadmill", [
    (158.0, 0.36, 15.0, True),          # heel strike, long contact
    (171.0, 0.32, 10.0, False),
    (184.0, 0.29, -6.0, True),          # forefoot, short contact
])
def test_synthetic_waist_with_noise_bias_and_drift(tmp_path, cadence, duty, strike, treadmill):
    params = RunnerParams(cadence_spm=cadence, duty_factor=duty, foot_strike_angle_deg=strike, treadmill=treadmill,
                          duration_s=60.0)
    truth = write_waist_csv(tmp_path / "waist.csv", params, noise=ImuNoise(noise_g=0.08, drift_g_per_min=0.02),
                            seed=int(cadence))
    res = analyze(tmp_path / "waist.csv", kind="imu", placement="waist")
    assert res.source["kind"] == "imu" and res.settings["placement"] == "waist"
    s = res.summary
    assert s["cadence_spm"]["median"] == pytest.approx(truth["cadence_spm"].median(), rel=0.01)
    assert s["vertical_oscillation_cm"]["median"] == pytest.approx(truth["vertical_oscillation_cm"].median(), abs=1.0)
    assert abs(s["ground_contact_ms"]["median"] - truth["ground_contact_ms"].median()) <= 10.0   # issue: 30 ms
    assert s["flight_ms"]["median"] == pytest.approx(truth["flight_ms"].median(), abs=10.0)
    ic_err = _matched(res.rows["ic_s"], truth["ic_s"])
    assert np.isfinite(ic_err).mean() >= 0.98                        # every contact found ...
    assert abs(len(res.rows) - len(truth)) <= 2                      # ... and none invented
    assert np.nanpercentile(np.abs(ic_err), 90) <= 15.0
    assert res.rows["foot_strike"].isna().all()                      # not measured: empty, not guessed


@pytest.mark.parametrize("strike,cadence,duty,treadmill", [
    (15.0, 158.0, 0.36, True), (10.0, 170.0, 0.32, False), (3.0, 172.0, 0.32, True),
    (-5.0, 184.0, 0.30, True), (-10.0, 176.0, 0.30, False),
])
def test_synthetic_foot_imu_events_and_foot_strike(tmp_path, strike, cadence, duty, treadmill):
    params = RunnerParams(foot_strike_angle_deg=strike, cadence_spm=cadence, duty_factor=duty, treadmill=treadmill,
                          duration_s=40.0)
    truth = write_foot_csv(tmp_path / "pod.csv", params, seed=int(cadence))
    res = analyze(tmp_path / "pod.csv", kind="imu", placement="foot")
    rows = res.rows
    assert res.settings["gyro_unit"] == "deg/s" and res.settings["rate_hz"] == 200.0
    ic_err = _matched(rows["ic_s"], truth["ic_s"])
    to_err = _matched(rows["to_s"], truth["to_s"])
    assert np.isfinite(ic_err).mean() >= 0.95 and abs(len(rows) - len(truth)) <= 2
    assert np.nanmedian(np.abs(ic_err)) <= 8.0 and np.nanmedian(np.abs(to_err)) <= 8.0
    # the issue asks for >= 90 % right; the strike classes of every matched contact
    right = (rows["foot_strike"] == truth["foot_strike"].iloc[0]).mean()
    assert right >= 0.95, (right, rows["foot_strike_angle_deg"].describe())
    assert rows["foot_strike_angle_deg"].median() == pytest.approx(strike, abs=1.0)
    assert res.summary["cadence_spm"]["median"] == pytest.approx(cadence, rel=0.01)
    assert res.summary["ground_contact_ms"]["median"] == pytest.approx(truth["ground_contact_ms"].median(), abs=10.0)


def test_foot_imu_without_gyroscope_gives_cadence_and_says_why(tmp_path):
    params = RunnerParams(cadence_spm=174.0, duration_s=30.0)
    write_foot_csv(tmp_path / "pod.csv", params)
    table = pd.read_csv(tmp_path / "pod.csv").iloc[:, :4]
    table.to_csv(tmp_path / "acc_only.csv", index=False)
    res = analyze(tmp_path / "acc_only.csv", kind="imu", placement="foot")
    assert res.summary["cadence_spm"]["median"] == pytest.approx(174.0, rel=0.01)
    assert res.rows["foot_strike"].isna().all()
    assert any("without a gyroscope" in w for w in res.warnings)


def _frame(params: RunnerParams) -> tuple[np.ndarray, np.ndarray]:
    return waist_signal(params, noise=ImuNoise(noise_g=0.02), seed=1)


@pytest.mark.parametrize("variant", ["m/s^2 ms semicolon", "ns", "phyphox", "sensor logger zip", "wrist"])
def test_export_formats_give_the_same_cadence(tmp_path, variant):
    params = RunnerParams(cadence_spm=176.0, duration_s=40.0, treadmill=True)
    t, acc = _frame(params)
    placement = "waist"
    if variant == "m/s^2 ms semicolon":
        path = tmp_path / "a.csv"
        pd.DataFrame({"time_ms": t * 1e3, "ax": acc[:, 0] * 9.80665, "ay": acc[:, 1] * 9.80665,
                      "az": acc[:, 2] * 9.80665}).rename(columns={"time_ms": "time"}).to_csv(path, sep=";", index=False)
    elif variant == "ns":
        path = tmp_path / "a.csv"
        pd.DataFrame({"timestamp": (1.7e18 + t * 1e9).astype(np.int64), "x": acc[:, 0], "y": acc[:, 1],
                      "z": acc[:, 2]}).to_csv(path, index=False)
    elif variant == "phyphox":
        path = tmp_path / "Raw Data.csv"
        pd.DataFrame({"Time (s)": t, "Acceleration x (m/s^2)": acc[:, 0] * 9.80665,
                      "Acceleration y (m/s^2)": acc[:, 1] * 9.80665, "Acceleration z (m/s^2)": acc[:, 2] * 9.80665,
                      "Absolute acceleration (m/s^2)": np.linalg.norm(acc, axis=1) * 9.80665}).to_csv(path, index=False)
    elif variant == "sensor logger zip":
        path = tmp_path / "run.zip"
        table = pd.DataFrame({"time": (1.7e18 + t * 1e9).astype(np.int64), "seconds_elapsed": t,
                              "z": acc[:, 2] * 9.80665, "y": acc[:, 1] * 9.80665, "x": acc[:, 0] * 9.80665})
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("TotalAcceleration.csv", table.to_csv(index=False))
            zf.writestr("Metadata.csv", "version,device\n1,phone\n")
    else:
        path = tmp_path / "a.csv"
        pd.DataFrame({"time": t, "ax": acc[:, 0], "ay": acc[:, 1], "az": acc[:, 2]}).to_csv(path, index=False)
        placement = "wrist"
    res = analyze(path, kind="imu", placement=placement)
    assert res.summary["cadence_spm"]["median"] == pytest.approx(176.0, rel=0.01), variant


def _write(tmp_path, text: str, name: str = "bad.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_bad_files_are_named(tmp_path):
    with pytest.raises(BadInputError, match=r"no accelerometer columns.*found columns: time, speed"):
        read_imu(_write(tmp_path, "time,speed\n0,1\n0.01,2\n"))
    rows = "\n".join(f"{i * 0.01:.2f},0,0,1" for i in range(2000))
    back = rows.replace("\n0.50,", "\n0.20,", 1)
    with pytest.raises(BadInputError, match="time does not increase at 1 places"):
        read_imu(_write(tmp_path, "t,ax,ay,az\n" + back))
    with pytest.raises(BadInputError, match="1 rows with empty or non-numeric values"):
        read_imu(_write(tmp_path, "t,ax,ay,az\n" + rows.replace("\n0.30,0,0,1", "\n0.30,0,nan_here,1", 1)))
    linear = "\n".join(f"{i * 0.01:.2f},0.01,0.02,0.01" for i in range(2000))
    with pytest.raises(BadInputError, match="no gravity"):
        read_imu(_write(tmp_path, "Time (s),Linear Acceleration x (m/s^2),Acceleration x (m/s^2),"
                                  "Acceleration y (m/s^2),Acceleration z (m/s^2)\n"
                        + "\n".join(f"{i * 0.01:.2f},0,0.01,0.02,0.01" for i in range(2000))))
    with pytest.raises(BadInputError, match="only 2.0 s"):
        read_imu(_write(tmp_path, "t,ax,ay,az\n" + "\n".join(f"{i * 0.01:.2f},0,0,1" for i in range(201))))
    with pytest.raises(BadInputError, match="not a readable zip"):
        read_imu(_write(tmp_path, linear, "x.zip"))
    with pytest.raises(BadInputError, match="say where the sensor was worn"):
        t, acc = _frame(RunnerParams(duration_s=20.0))
        p = tmp_path / "ok.csv"
        pd.DataFrame({"t": t, "ax": acc[:, 0], "ay": acc[:, 1], "az": acc[:, 2]}).to_csv(p, index=False)
        analyze(p, kind="imu")


def test_cli_exit_2_and_a_one_line_reason(tmp_path):
    p = _write(tmp_path, "time,speed\n0,1\n0.01,2\n", "phone.csv")
    out = subprocess.run([sys.executable, "-m", "engine.cli", "analyze", str(p), "--placement", "waist", "--json", "-"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().startswith("leanline: phone.csv: no accelerometer columns")
    assert len(out.stderr.strip().splitlines()) == 1


def test_walking_is_flagged(tmp_path):
    params = RunnerParams(cadence_spm=112.0, vertical_oscillation_cm=3.0, duty_factor=0.6, speed_mps=1.4,
                          duration_s=40.0,
                          treadmill=True)
    write_waist_csv(tmp_path / "walk.csv", params, seed=3)
    with pytest.raises(NotRunningError, match="walking"):
        analyze(tmp_path / "walk.csv", kind="imu", placement="waist")


@pytest.mark.realdata
@pytest.mark.skipif(not REAL.exists(), reason="../shared/realdata not present")
@pytest.mark.parametrize("sensor,placement", [("hip", "waist"), ("ankle", "foot")])
def test_real_25_minute_run(sensor, placement):
    res = analyze(REAL / "adeptdata_run" / f"acc_running_left_{sensor}_100Hz_g.csv", kind="imu", placement=placement)
    assert 150.0 <= res.summary["cadence_spm"]["median"] <= 165.0
    assert 150.0 <= res.summary["cadence_spectrum_spm"] <= 165.0
    rows = res.rows
    windows = [rows[(rows.ic_s >= a) & (rows.ic_s < a + 300)]["cadence_spm"].median() for a in range(0, 1500, 300)]
    assert max(windows) - min(windows) < 8.0                          # stable over the run
    if placement == "waist":
        assert 4.0 <= res.summary["vertical_oscillation_cm"]["median"] <= 14.0
        assert 180.0 <= res.summary["ground_contact_ms"]["median"] <= 320.0    # a recreational runner
        assert 50.0 <= res.summary["flight_ms"]["median"] <= 180.0
        assert res.summary["ground_contact_ms"]["n"] >= 0.8 * len(rows)


def _geneactiv_text(t: np.ndarray, acc_g: np.ndarray) -> str:
    header = ["Device Type,GENEActiv", "Device Model,1.1", "Measurement Frequency,50.0 Hz",
              "Start Time,2026-10-01 07:00:00:000", "Device Location Code,back", ""] + [""] * 90
    start = pd.Timestamp("2026-10-01 07:00:00")
    stamps = [(start + pd.Timedelta(seconds=float(s))).strftime("%Y-%m-%d %H:%M:%S:")
              + f"{int(round(s * 1000)) % 1000:03d}" for s in t]
    rows = [f"{ts},{x:.4f},{y:.4f},{z:.4f},0,0,31.6" for ts, (x, y, z) in zip(stamps, acc_g)]
    return "\r\n".join(header + rows) + "\r\n"


def test_geneactiv_export_with_its_device_header(tmp_path):
    params = RunnerParams(cadence_spm=168.0, duration_s=40.0)
    t, acc = waist_signal(params, rate_hz=50.0, noise=ImuNoise(noise_g=0.02), seed=2)
    path = tmp_path / "geneactiv.csv"
    path.write_text(_geneactiv_text(t, acc))
    res = analyze(path, kind="auto", placement="waist")
    assert res.settings["source_rate_hz"] == pytest.approx(50.0) and res.settings["acc_unit"] == "g"
    assert res.summary["cadence_spm"]["median"] == pytest.approx(168.0, rel=0.01)


@pytest.mark.realdata
@pytest.mark.skipif(not REAL.exists(), reason="../shared/realdata not present")
def test_real_lumbar_walk_is_flagged_as_walking():
    # GaitPy's own features give a median cadence of 96.8 steps/min for this walk
    with pytest.raises(NotRunningError, match=r"walking, not running: (9[0-9]|10[0-4]) steps/min"):
        analyze(REAL / "gaitpy_walk" / "demo_data.csv", kind="auto", placement="waist")


def test_sensor_logger_zip_with_gyroscope_on_a_shoe(tmp_path):
    from engine.synth.imu import foot_signal, foot_truth

    params = RunnerParams(foot_strike_angle_deg=13.0, cadence_spm=166.0, duration_s=30.0)
    t, acc_g, gyro_dps = foot_signal(params, rate_hz=200.0, seed=9)
    ns = (1.7e18 + t * 1e9).astype(np.int64)
    acc = pd.DataFrame({"time": ns, "seconds_elapsed": t, "z": acc_g[:, 2] * 9.80665, "y": acc_g[:, 1] * 9.80665,
                        "x": acc_g[:, 0] * 9.80665})
    gyro = pd.DataFrame({"time": ns[::2] + 1000, "seconds_elapsed": t[::2] + 1e-6,
                         "z": np.radians(gyro_dps[::2, 2]), "y": np.radians(gyro_dps[::2, 1]),
                         "x": np.radians(gyro_dps[::2, 0])})                     # its own, slower clock
    path = tmp_path / "shoe.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("TotalAcceleration.csv", acc.to_csv(index=False))
        zf.writestr("Gyroscope.csv", gyro.to_csv(index=False))
    res = analyze(path, kind="auto", placement="foot")
    assert res.settings["gyro_unit"] == "rad/s"
    assert (res.rows["foot_strike"] == "rearfoot").mean() >= 0.95
    assert len(res.rows) == pytest.approx(len(foot_truth(params)), abs=2)


def test_declared_unit_overrides_detection(tmp_path):
    # a file in m/s^2 whose header says nothing: detected; declared g on the same numbers is refused as
    # implausible (~11 g at rest), declared m/s^2 agrees with the detection
    t, acc = _frame(RunnerParams(cadence_spm=170.0, duration_s=20.0))
    path = tmp_path / "plain.csv"
    pd.DataFrame({"t": t, "x": acc[:, 0] * 9.80665, "y": acc[:, 1] * 9.80665, "z": acc[:, 2] * 9.80665}).to_csv(path,
                                                                                                                index=False)
    assert read_imu(path).meta["acc_unit"] == "m/s^2 (detected)"
    assert read_imu(path, acc_unit="m/s^2").meta["acc_unit"] == "m/s^2"
    with pytest.raises(BadInputError, match=r"would be 1\d\.\d g.*is the unit right"):
        read_imu(path, acc_unit="g")
    out = subprocess.run([sys.executable, "-m", "engine.cli", "analyze", str(path), "--placement", "waist",
                          "--acc-unit", "m/s^2", "--json", "-"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    import json

    assert json.loads(out.stdout)["settings"]["acc_unit"] == "m/s^2"


def test_time_as_date_time_text(tmp_path):
    t, acc = _frame(RunnerParams(cadence_spm=174.0, duration_s=30.0))
    start = pd.Timestamp("2026-10-01T07:00:00")
    stamps = [(start + pd.Timedelta(seconds=float(s))).isoformat(timespec="milliseconds") for s in t]
    path = tmp_path / "watch_export.csv"
    pd.DataFrame({"timestamp": stamps, "ax": acc[:, 0], "ay": acc[:, 1], "az": acc[:, 2]}).to_csv(path, index=False)
    sig = read_imu(path)
    assert sig.meta["source_rate_hz"] == pytest.approx(100.0, rel=0.01) and sig.duration_s == pytest.approx(30.0,
                                                                                                            abs=0.02)
    assert analyze(path, kind="imu", placement="waist").summary["cadence_spm"]["median"] == pytest.approx(174.0,
                                                                                                          rel=0.01)
    broken = tmp_path / "broken.csv"
    pd.DataFrame({"timestamp": ["soon"] * len(t), "ax": acc[:, 0], "ay": acc[:, 1], "az": acc[:, 2]}).to_csv(broken,
                                                                                                             index=False)
    with pytest.raises(BadInputError, match="rows with empty or non-numeric values"):
        read_imu(broken)
