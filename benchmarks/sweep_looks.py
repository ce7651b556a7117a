"""Video end to end across the synthetic runner's looks (``engine.synth.looks``): every clip is rendered,
run through BlazePose and the gait engine, and scored against the exact truth, look by look.

    uv run python benchmarks/sweep_looks.py [--looks studio ...] [--styles heel_striker ...] [--clips DIR] [--seeds 0 1]

``--clips DIR`` keeps the rendered clips there and reuses them on the next run (a look renders to the same bytes
every time); with ``LEANLINE_CACHE_DIR`` set to a lasting folder the poses are reused too, and a rerun times only
the gait engine. ``--seeds 0 1`` draws every look twice (other background clutter and sensor noise, the same
run): a look's numbers move between draws by about as much as between looks, so compare code on two draws.

Columns: contacts found of the truth's, extra contacts, share of ICs within one frame, strike class right,
cadence error, IC's mean error and median |error| (ms), the ICs' scatter about each foot's mean error
(ms: what makes per-step cadence scatter), the TOs' mean |bias| per foot (ms), median |error| of contact
time (ms), lean, alignment (deg), overstride and vertical oscillation (cm), how the contacts were timed,
and the share of the summary's metrics whose session error lies within 3 of their reported
``uncertainty``. TUNING looks are for choosing numbers, HELD_OUT looks only for checking them.

``--session`` gives the five metrics' session errors instead (the summary's median less the truth's, signed:
what a runner reads), and counts the clips beyond 3 deg, 1 cm and 3 cm.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.errors import LeanlineError  # noqa: E402
from engine.sources import analyze  # noqa: E402
from engine.synth.looks import HELD_OUT, LOOKS, TUNING, filmed_run, render  # noqa: E402
from engine.synth.runner import STYLES, RunnerParams  # noqa: E402


def _spread_about_feet(ic_ms: np.ndarray, sides: list[str]) -> float:
    """SD of the IC errors about each foot's mean error: the step-to-step scatter that moves per-step cadence."""
    if len(ic_ms) < 4:
        return float("nan")
    err = pd.Series(ic_ms)
    return float((err - err.groupby(pd.Series(sides)).transform("mean")).std())


def _feet_bias(err_ms: np.ndarray, sides: list[str]) -> float:
    """Mean over the feet of |that foot's mean error|: a bias that each foot's steady lag carries."""
    if len(err_ms) < 4:
        return float("nan")
    return float(pd.Series(err_ms).groupby(pd.Series(sides)).mean().abs().mean())


#: The metrics scored beside the events, and the largest session error of each that counts as right.
METRICS = {"ground_contact_ms": None, "lean_deg": 3.0, "alignment_deg": 3.0, "overstride_cm": 3.0,
           "vertical_oscillation_cm": 1.0}


def score(look, style: str, folder: Path, seed: int = 0, session: bool = False) -> dict:
    params = RunnerParams(**STYLES[style], duration_s=6.0, first_contact_s=0.131)
    clip = folder / f"{look.name}_{style}{f'_seed{seed}' if seed else ''}.mp4"
    run = filmed_run(look, params) if clip.exists() else render(look, params, clip, seed=seed)
    p = run.params
    row = {"look": look.name, "set": "tuning" if look in TUNING else "held out", "style": style, "seed": seed,
           "fps": p.fps}
    try:
        res = analyze(clip, kind="video", height_cm=p.height_cm,
                      treadmill_speed_kmh=p.speed_mps * 3.6 if p.treadmill and not look.follow else None)
    except LeanlineError as exc:
        return {**row, "refused": str(exc)[:60]}
    est, truth = res.rows, run.truth[(run.truth.ic_s > 0.25) & (run.truth.to_s < p.duration_s - 0.25)]
    pairs = []
    for _, t in truth.iterrows():
        mine = est[est.side == t.side]
        if len(mine):
            j = (mine.ic_s - t.ic_s).abs().idxmin()
            if abs(est.ic_s[j] - t.ic_s) <= 0.1:
                pairs.append((t, est.loc[j]))
    frame = 1.0 / p.fps
    ic = np.array([e.ic_s - t.ic_s for t, e in pairs]) * 1000
    to = np.array([e.to_s - t.to_s for t, e in pairs]) * 1000
    sides = [t.side for t, _ in pairs]
    if session:
        err = {m: (res.summary[m]["median"] - truth[m].median()) if res.summary.get(m, {}).get("median") is not None
               else np.nan for m in METRICS}
    else:
        err = {m: np.nanmedian([abs(e[m] - t[m]) for t, e in pairs]) for m in METRICS}
    return {**row, "found": f"{len(pairs)}/{len(truth)}", "extra": max(0, len(est) - len(pairs) - 2),
            "ic_1frame_%": 100 * float(np.mean(np.abs(ic) <= frame * 1000 + 1e-6)) if len(ic) else np.nan,
            "strike_%": 100 * float(np.mean([e.foot_strike == t.foot_strike for t, e in pairs])) if pairs else np.nan,
            "cadence_%": 100 * (res.summary["cadence_spm"]["median"] / truth.cadence_spm.median() - 1),
            "ic_bias_ms": float(np.mean(ic)) if len(ic) else np.nan,
            "ic_ms": float(np.median(np.abs(ic))) if len(ic) else np.nan,
            "ic_sd_ms": _spread_about_feet(ic, sides), "to_feet_bias_ms": _feet_bias(to, sides), **err,
            "timed_by": "/".join(sorted(res.extra["event_methods"])), "within_3u_%": _covered(res, truth)}


def _covered(res, truth) -> float:
    """Share of the summary's metrics (with a truth) whose session median lies within 3 uncertainties."""
    ok = []
    for name, s in res.summary.items():
        if isinstance(s, dict) and s.get("median") is not None and name in truth.columns:
            true = truth[name].median()
            if np.isfinite(true) and np.isfinite(s["median"]):
                ok.append(abs(s["median"] - true) <= 3.0 * s["uncertainty"])
    return 100.0 * float(np.mean(ok)) if ok else np.nan


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--looks", nargs="+", default=list(LOOKS))
    ap.add_argument("--styles", nargs="+", default=["heel_striker", "pose_forefoot"])
    ap.add_argument("--clips", type=Path, help="keep the rendered clips in this folder and reuse them")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0],
                    help="draw every look once per seed (other background clutter and sensor noise, same truth)")
    ap.add_argument("--session", action="store_true",
                    help="the metrics' session errors (summary median less the truth's) instead of per contact")
    args = ap.parse_args()
    os.environ.setdefault("LEANLINE_CACHE_DIR", tempfile.mkdtemp(prefix="leanline-looks-cache-"))
    with tempfile.TemporaryDirectory(prefix="leanline-looks-") as tmp:
        folder = args.clips or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rows = [score(LOOKS[name], style, folder, seed, args.session) for seed in args.seeds for name in args.looks
                for style in args.styles]
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 250, "display.max_columns", 30)
    print(table.round(1).to_string(index=False))
    for name, part in table.groupby("set"):
        print(f"{name}: IC within a frame {part['ic_1frame_%'].mean():.0f} %, strike {part['strike_%'].mean():.0f} %, "
              f"|cadence| {part['cadence_%'].abs().mean():.1f} %, IC scatter {part['ic_sd_ms'].mean():.1f} ms, "
              f"TO bias per foot {part['to_feet_bias_ms'].mean():.1f} ms, "
              f"within 3u {part['within_3u_%'].mean():.0f} %")
        if args.session:
            beyond = ", ".join(f"{m} {int((part[m].abs() > bound).sum())}" for m, bound in METRICS.items() if bound)
            print(f"  clips of {len(part)} beyond the bounds: {beyond}")
    print(f"\nlooks: {len(TUNING)} tuning, {len(HELD_OUT)} held out")


if __name__ == "__main__":
    main()
