"""Time the sensor readers on long recordings made from the synthetic runner.

* a 3-hour watch file (10,800 one-second records with running dynamics and Stryd-like developer
  fields, FIT-encoded): read into a result. Target: under 2 s.
* a 1-hour waist IMU CSV at 100 Hz (360,000 samples, noise, bias and drift): read, resampled and
  analysed (steps, contacts, vertical oscillation). Target: under 5 s.

Best of three each, with the time per hour of recording.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import best_of  # noqa: E402

from engine.gait.imu import analyze_imu  # noqa: E402
from engine.sources.fit import read_fit  # noqa: E402
from engine.sources.imu import read_imu  # noqa: E402
from engine.synth.fit import watch_records, write_fit  # noqa: E402
from engine.synth.imu import waist_signal  # noqa: E402
from engine.synth.runner import RunnerParams  # noqa: E402


def main() -> None:
    params = RunnerParams(cadence_spm=174.0, speed_mps=3.1, duration_s=3600.0)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        fit = write_fit(Path(tmp) / "three_hours.fit", watch_records(params, duration_s=3 * 3600, seed=1),
                        start=dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.timezone.utc))
        print(f"wrote a 3-hour FIT file ({fit.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - t0:.1f} s")
        fit_s, res = best_of(3, lambda: read_fit(fit))
        print(f"FIT 3 h         {fit_s:6.2f} s  ({len(res.rows)} records; target < 2 s)")

        t0 = time.perf_counter()
        csv = Path(tmp) / "one_hour_waist.csv"
        t, acc = waist_signal(params, rate_hz=100.0, seed=1)
        pd.DataFrame({"time": t, "ax": acc[:, 0], "ay": acc[:, 1], "az": acc[:, 2]}).to_csv(csv, index=False,
                                                                                           float_format="%.5f")
        print(f"wrote a 1-hour 100 Hz IMU CSV ({csv.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")
        read_s, sig = best_of(3, lambda: read_imu(csv))
        analyse_s, res = best_of(3, lambda: analyze_imu(sig, placement="waist"))
        print(f"IMU read        {read_s:6.2f} s  ({len(sig.time_s)} samples)")
        print(f"IMU analyse     {analyse_s:6.2f} s  ({len(res.rows)} steps)")
        print(f"IMU 1 h total   {read_s + analyse_s:6.2f} s  (target < 5 s)")


if __name__ == "__main__":
    main()
