"""Time the gait engine on a 10-minute 60 fps landmark track (36,000 frames).

Prints the time to read the CSV and to analyse it (best of three), and the ratio to the track's
length. Target: the analysis in under 2 s on a 2-core machine.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from engine.gait.pipeline import analyze_track
from engine.sources.landmarks_csv import read_landmark_csv, write_landmark_csv
from engine.synth.runner import RunnerParams, simulate


def best_of(n: int, fn):
    times, out = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    params = RunnerParams(fps=60.0, duration_s=600.0, noise_frac=0.005, seed=5)
    t0 = time.perf_counter()
    run = simulate(params)
    print(f"synthesised {len(run.track)} frames in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = write_landmark_csv(run.track, Path(tmp) / "ten_minutes.csv")
        read_s, track = best_of(3, lambda: read_landmark_csv(path))
    analyse_s, result = best_of(3, lambda: analyze_track(track, height_cm=175,
                                                         treadmill_speed_kmh=params.speed_mps * 3.6))
    print(f"read CSV      {read_s:6.2f} s")
    print(f"analyse       {analyse_s:6.2f} s  ({len(result.rows)} contacts; target < 2 s)")
    print(f"read+analyse  {read_s + analyse_s:6.2f} s  = {600 / (read_s + analyse_s):.0f} x real time")


if __name__ == "__main__":
    main()
