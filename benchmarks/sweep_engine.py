"""The landmark-track sweep as a table: per runner style, frame rate and noise, the median absolute error of
every per-step metric against the synthetic runner's exact truth (events in ms, angles in degrees, lengths in
cm), with missed and invented contacts.

    uv run python benchmarks/sweep_engine.py [--noise 0 0.003] [--fps 30 60 120 240] [--soles 0.7]

``--soles SD`` adds the exact sole points (``engine.synth.runner.with_sole_points``) with SD pixels of noise, as
a video's pixels give them: the contacts are then timed and the strike read on the soles.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.gait.pipeline import analyze_track  # noqa: E402
from engine.synth.runner import STYLES, RunnerParams, simulate, with_sole_points  # noqa: E402

COLUMNS = ["ic_s", "to_s", "cadence_spm", "ground_contact_ms", "flight_ms", "duty_factor_pct", "pull_ms",
           "foot_strike_angle_deg", "overstride_cm", "shin_angle_deg", "knee_flexion_ic_deg", "lean_deg",
           "alignment_deg", "trunk_lean_deg", "fall_angle_deg", "vertical_oscillation_cm", "step_length_cm",
           "vertical_ratio_pct"]


def one(style: str, fps: float, noise: float, treadmill: bool, soles_px: float | None = None) -> dict:
    params = RunnerParams(**STYLES[style], fps=fps, treadmill=treadmill, noise_frac=noise, duration_s=10.0,
                          first_contact_s=0.113 + 0.007 * fps / 60)
    run = simulate(params)
    track = run.track if soles_px is None else with_sole_points(run, noise_px=soles_px)
    res = analyze_track(track, height_cm=params.height_cm,
                        treadmill_speed_kmh=params.speed_mps * 3.6 if treadmill else None)
    est, truth = res.rows, run.truth
    pairs, used = [], set()
    for i, row in truth.iterrows():
        cand = [j for j in est.index[(est.side == row.side) & ((est.ic_s - row.ic_s).abs() <= 0.05)] if j not in used]
        if cand:
            j = min(cand, key=lambda j: abs(est.ic_s[j] - row.ic_s))
            pairs.append((i, j))
            used.add(j)
    t = truth.loc[[i for i, _ in pairs]].reset_index(drop=True)
    e = est.loc[[j for _, j in pairs]].reset_index(drop=True)
    out = {"style": style, "fps": fps, "noise": noise, "treadmill": treadmill, "n": len(t),
           "timed_by": "/".join(sorted(res.extra.get("event_methods") or {})),
           "extra": len(est) - len(pairs), "strike_ok_%": 100.0 * float((e.foot_strike == t.foot_strike).mean())}
    for c in COLUMNS:
        if c in t and c in e:
            err = (pd.to_numeric(e[c]) - pd.to_numeric(t[c])).abs() * (1000.0 if c.endswith("_s") else 1.0)
            out[c] = float(np.nanmedian(err)) if err.notna().any() else np.nan
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--noise", type=float, nargs="+", default=[0.0, 0.003])
    ap.add_argument("--fps", type=float, nargs="+", default=[30, 60, 120, 240])
    ap.add_argument("--soles", type=float, default=None, metavar="SD",
                    help="add the exact sole points with this much noise (pixels)")
    args = ap.parse_args()
    rows = [one(s, f, n, tm, args.soles)
            for s, f, n, tm in itertools.product(STYLES, args.fps, args.noise, (True, False))]
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 250, "display.max_columns", 40)
    print(table.round(2).assign(noise=table["noise"]).to_string(index=False))
    print("\nworst median |error| per column:")
    print(table[[c for c in COLUMNS if c in table]].max().round(2).to_string())


if __name__ == "__main__":
    main()
