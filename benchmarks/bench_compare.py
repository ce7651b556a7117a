"""Server-side time of the Compare page for two sessions of ~2,000 steps each.

Builds a library with two long synthetic sessions (about 11 minutes at 180 spm each), then prints:
the statistics alone (compare_results), the figures alone, and the whole Compare page script run
through streamlit's AppTest (everything the server does before sending the page), first view with
the statistics computed and later reruns with them cached, best of three. Target: under 2 s.

    uv run python benchmarks/bench_compare.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench_engine import best_of  # run as a script: this folder is on the path

from engine.compare import compare_results
from engine.gait.pipeline import analyze_track
from engine.store import Library
from engine.synth.runner import RunnerParams, simulate

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


def long_session(cadence_spm: float, seed: int):
    params = RunnerParams(cadence_spm=cadence_spm, fps=60.0, duration_s=2010 * 60.0 / cadence_spm,
                          noise_frac=0.003, treadmill=True, seed=seed)
    return analyze_track(simulate(params).track, height_cm=175.0, treadmill_speed_kmh=params.speed_mps * 3.6)


def main() -> None:
    from streamlit.testing.v1 import AppTest

    from dashboard import figures

    t0 = time.perf_counter()
    a, b = long_session(165.0, 1), long_session(178.0, 2)
    print(f"two sessions: {len(a.rows)} and {len(b.rows)} steps (built in {time.perf_counter() - t0:.1f} s)")
    stats_s, changes = best_of(3, lambda: compare_results(a, b))
    print(f"statistics (16 metrics, 1000 block-bootstrap resamples)  {stats_s:6.2f} s")
    fig_s, _ = best_of(3, lambda: [figures.change_figure(changes)] + [
        figures.distribution_figure([("a", a.rows), ("b", b.rows)], m) for m in changes["metric"][:6]])
    print(f"figures (change + 6 distributions)                       {fig_s:6.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LEANLINE_DATA_DIR"] = tmp
        lib = Library(tmp)
        for res, label, day in ((a, "before block", "2026-01-01"), (b, "after block", "2026-03-01")):
            res.source = {"kind": "landmarks", "sha256": "0" * 64, "fps": 60.0}
            lib.save_session(res, athlete="Bench", title="long run", label=label, session_date=day,
                             source_name="bench.csv")
        import streamlit as st

        at = AppTest.from_file(str(APP), default_timeout=120)
        at.run()                                   # imports, library handle

        def cold():
            st.cache_data.clear()                  # statistics computed afresh, as on a first visit
            return at.run()

        cold_s, _ = best_of(3, cold)
        assert not at.exception, at.exception
        warm_s, _ = best_of(3, lambda: at.run())
        print(f"Compare page, first view (statistics computed)           {cold_s:6.2f} s  (target < 2 s)")
        print(f"Compare page, any later rerun (statistics cached)        {warm_s:6.2f} s")


if __name__ == "__main__":
    main()
