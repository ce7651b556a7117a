"""Before/after statistics: did a training block change the runner's form?

For each metric, the difference of medians between two sessions with a bootstrap 95 % confidence
interval, and Cliff's delta as the effect size, marked better or worse in Pose Method terms only when
the interval excludes zero.

Notes
-----
Consecutive steps of one run are not independent (a runner who speeds up changes several steps in a
row), so an ordinary bootstrap over steps gives intervals that are too narrow. Each session is
resampled in moving blocks (Künsch 1989) of ``block_len`` consecutive rows, which keeps that
short-range dependence; with ~10 steps (~3 s) per block the interval is honest for the slow drifts
seen within one treadmill or track session. The percentile interval of the bootstrap distribution
of median(B) − median(A) is reported (Efron & Tibshirani 1993).

Cliff's delta = P(b > a) − P(b < a) over all pairs (Cliff 1993): a rank effect size that agrees with
comparing medians and is not moved by outlying steps. Magnitude labels follow Romano et al. (2006):
|d| < 0.147 negligible, < 0.33 small, < 0.474 medium, else large.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.metrics import COMPARED, METRICS, lookup
from engine.model import AnalysisResult
from engine.provenance import parameter_differences

#: Which way is better in Pose Method terms, per metric (the registry's ``better``).
PREFERRED: dict[str, str] = {m.name: m.better for m in METRICS}
#: The metrics compared by default, in display order.
DEFAULT_METRICS = COMPARED


def _name_unit(metric: str) -> tuple[str, str]:
    try:
        m = lookup(metric)
    except KeyError:
        return metric, ""
    return m.label, m.short_unit


@dataclass(frozen=True)
class MetricChange:
    """One metric, session A (before) against session B (after)."""

    metric: str
    n_a: int
    n_b: int
    median_a: float
    median_b: float
    diff: float              # median(B) - median(A)
    ci_low: float
    ci_high: float
    cliffs_delta: float
    magnitude: str           # negligible / small / medium / large
    verdict: str             # better / worse / no clear change / changed (no preferred direction)
    uncertainty: float = float("nan")   # 1 SD of the difference from the two sessions' measurement

    @property
    def clear(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0


def block_bootstrap_indices(n: int, *, n_boot: int, block_len: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, n)`` row indices of moving-block bootstrap resamples of a series of length ``n``."""
    block_len = int(max(1, min(block_len, n)))
    n_blocks = -(-n // block_len)
    starts = rng.integers(0, n - block_len + 1, size=(n_boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(block_len)[None, None, :]).reshape(n_boot, -1)
    return idx[:, :n]


def _boot_medians(values: np.ndarray, *, n_boot: int, block_len: int, rng: np.random.Generator) -> np.ndarray:
    """Medians of ``n_boot`` moving-block resamples of ``values`` (float32: half the memory traffic of the
    (n_boot, n) resample matrix, and medians lose nothing)."""
    idx = block_bootstrap_indices(len(values), n_boot=n_boot, block_len=block_len, rng=rng)
    return np.median(values.astype(np.float32)[idx], axis=1)


def _interval(boot: np.ndarray, confidence: float) -> tuple[float, float]:
    """The percentile interval of a bootstrap distribution."""
    tail = (1.0 - confidence) / 2.0 * 100.0
    lo, hi = np.percentile(boot, [tail, 100.0 - tail])
    return float(lo), float(hi)


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """P(b > a) − P(b < a) over all pairs, from ranks (O((n+m) log(n+m)))."""
    a = np.sort(np.asarray(a, float))
    b = np.asarray(b, float)
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    below = np.searchsorted(a, b, side="left")          # a values < each b
    above = len(a) - np.searchsorted(a, b, side="right")  # a values > each b
    return float((below.sum() - above.sum()) / (len(a) * len(b)))


def magnitude(delta: float) -> str:
    d = abs(delta)
    if not np.isfinite(d):
        return "n/a"
    return "negligible" if d < 0.147 else "small" if d < 0.33 else "medium" if d < 0.474 else "large"


def base_verdict(verdict: str) -> str:
    """``better`` for ``better (engines differ)``: the category without its caveat."""
    return verdict.split(" (", 1)[0]


def _verdict(metric: str, median_a: float, median_b: float, clear: bool) -> str:
    if not clear:
        return "no clear change"
    pref = PREFERRED.get(metric, "none")
    if pref == "none":
        return "changed"
    if pref == "higher":
        good = median_b > median_a
    elif pref == "lower":
        good = median_b < median_a
    else:
        good = abs(median_b) < abs(median_a)
    return "better" if good else "worse"


def compare_values(
    metric: str,
    a: np.ndarray,
    b: np.ndarray,
    *,
    n_boot: int = 1000,
    block_len: int = 10,
    confidence: float = 0.95,
    seed: int = 0,
    uncertainty: float | None = None,
) -> MetricChange | None:
    """Compare one metric's per-row values of session A (before) and B (after); None if either is empty.

    ``uncertainty``: one SD of the difference that the measurement itself allows (from the sessions'
    summaries); a change the interval calls clear is still "no clear change" when it is not larger.
    """
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return None
    rng = np.random.default_rng(seed)
    boot_a = _boot_medians(a, n_boot=n_boot, block_len=block_len, rng=rng)
    boot = (_boot_medians(b, n_boot=n_boot, block_len=block_len, rng=rng) - boot_a).astype(float)
    lo, hi = _interval(boot, confidence)
    ma, mb = float(np.median(a)), float(np.median(b))
    clear = bool(lo > 0 or hi < 0) and not (uncertainty is not None and abs(mb - ma) <= uncertainty)
    delta = cliffs_delta(a, b)
    return MetricChange(metric=metric, n_a=len(a), n_b=len(b), median_a=ma, median_b=mb, diff=mb - ma,
                        ci_low=float(lo), ci_high=float(hi), cliffs_delta=delta, magnitude=magnitude(delta),
                        verdict=_verdict(metric, ma, mb, clear),
                        uncertainty=float(uncertainty) if uncertainty is not None else float("nan"))


def compare_results(
    before: AnalysisResult,
    after: AnalysisResult,
    *,
    metrics: tuple[str, ...] = DEFAULT_METRICS,
    n_boot: int = 1000,
    block_len: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per metric both sessions have: medians, difference, 95 % CI, Cliff's delta, verdict.

    Metrics run on a thread per core (numpy's sorting releases the GIL); each has its own seed, so the
    result does not depend on the order they finish in.
    """
    def one(k: int, m: str) -> MetricChange | None:
        return compare_values(m, pd.to_numeric(before.rows[m], errors="coerce").to_numpy(float),
                              pd.to_numeric(after.rows[m], errors="coerce").to_numpy(float),
                              n_boot=n_boot, block_len=block_len, seed=seed + k,
                              uncertainty=difference_uncertainty(before, after, m))

    jobs = [(k, m) for k, m in enumerate(metrics) if m in before.rows.columns and m in after.rows.columns]
    workers = max(1, min(len(jobs), len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        out = [c for c in pool.map(lambda job: one(*job), jobs) if c is not None]
    cols = list(MetricChange.__dataclass_fields__)
    return pd.DataFrame([c.__dict__ for c in out], columns=cols)


def median_interval(values: np.ndarray, *, n_boot: int = 500, block_len: int = 10, confidence: float = 0.95,
                    seed: int = 0) -> tuple[float, float, float]:
    """Median of a session's values with its moving-block bootstrap interval (as for the changes)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return (float(v[0]) if len(v) else float("nan")), float("nan"), float("nan")
    boot = _boot_medians(v, n_boot=n_boot, block_len=block_len, rng=np.random.default_rng(seed))
    lo, hi = _interval(boot, confidence)
    return float(np.median(v)), float(lo), float(hi)


def session_medians(sessions: list[tuple[str, str, AnalysisResult]], metrics: list[str]) -> pd.DataFrame:
    """For a trend over many sessions: ``date, session, metric, median, low, high, n`` per session and metric."""
    out = []
    for k, (day, name, res) in enumerate(sessions):
        for m in metrics:
            if m not in res.rows.columns:
                continue
            v = pd.to_numeric(res.rows[m], errors="coerce").to_numpy(float)
            med, lo, hi = median_interval(v, seed=k)
            out.append({"date": day, "session": name, "metric": m, "median": med, "low": lo, "high": hi,
                        "n": int(np.isfinite(v).sum())})
    return pd.DataFrame(out, columns=["date", "session", "metric", "median", "low", "high", "n"])


def difference_uncertainty(before: AnalysisResult, after: AnalysisResult, metric: str) -> float | None:
    """1 SD of median(after) - median(before) that the two measurements allow, or None where either result
    has no uncertainty for the metric (older results)."""
    u = [(r.summary.get(metric) or {}).get("uncertainty") for r in (before, after)]
    values = [float(x) for x in u if x is not None and np.isfinite(x)]
    return float(np.hypot(values[0], values[1])) if len(values) == 2 else None


def foot_strike_shift(before: AnalysisResult, after: AnalysisResult) -> dict[str, Any]:
    """Share of each foot strike class before and after (fractions of classified contacts)."""
    def shares(res: AnalysisResult) -> dict[str, float]:
        if "foot_strike" not in res.rows.columns:
            return {}
        counts = res.rows["foot_strike"].dropna().value_counts()
        total = counts.sum()
        return {k: float(counts.get(k, 0) / total) for k in ("rearfoot", "midfoot", "forefoot")} if total else {}
    return {"before": shares(before), "after": shares(after)}


def provenance_flags(results: list[AnalysisResult], names: list[str] | None = None) -> list[str]:
    """Plain warnings when sessions were analysed differently (engine version, source kind, settings, scale)."""
    names = names or [f"session {i + 1}" for i in range(len(results))]
    flags = []

    def differs(getter, what):
        values = {n: getter(r) for n, r in zip(names, results)}
        if len({json_key(v) for v in values.values()}) > 1:
            listed = "; ".join(f"{n}: {v if v not in (None, '') else 'none'}" for n, v in values.items())
            flags.append(f"{what} differ ({listed}): differences may come from the analysis, not the runner")

    differs(lambda r: (r.engine or {}).get("version") or r.leanline_version, "engine versions")
    changed = sorted({k for r in results[1:] for k in parameter_differences(results[0].engine, r.engine)})
    if changed and all(r.engine for r in results):
        shown = ", ".join(changed[:6]) + (f" and {len(changed) - 6} more" if len(changed) > 6 else "")
        flags.append(f"engine parameters differ ({shown}): part of any change may be the engine's, not the runner's")
    differs(lambda r: r.source.get("kind"), "input kinds")
    differs(lambda r: r.scale_source, "length scales")
    differs(lambda r: r.row_unit, "row units (steps vs watch records)")
    gait = [{k: v for k, v in (r.settings or {}).items() if k not in ("height_cm", "treadmill_speed_kmh", "pose")}
            for r in results]
    if len({json_key(g) for g in gait}) > 1:
        flags.append("analysis settings differ between the sessions: differences may come from the analysis, "
                     "not the runner")
    return flags


def engines_differ(results: list[AnalysisResult]) -> bool:
    """Whether the results were made by different engines (version, or method and numbers)."""
    versions = {(r.engine or {}).get("version") or r.leanline_version for r in results}
    return len(versions) > 1


#: Added to a verdict when the two sessions were analysed by different engines.
ENGINE_CAVEAT = " (engines differ)"


def compare_pair(before: AnalysisResult, after: AnalysisResult, *, seed: int = 0) -> pd.DataFrame:
    """:func:`compare_results`, with every verdict marked ``(engines differ)`` when the two were analysed by
    different engines."""
    changes = compare_results(before, after, seed=seed)
    if engines_differ([before, after]):
        changes["verdict"] = changes["verdict"] + ENGINE_CAVEAT
    return changes


def compare_many(results: list[AnalysisResult], names: list[str], *, seed: int = 0) -> dict[str, Any]:
    """The Compare page's statistics for scripts: the first result is the baseline, each later one is
    compared with it. Verdicts carry ``(engines differ)`` when the two were analysed by different engines."""
    flags = provenance_flags(results, names)
    out: dict[str, Any] = {
        "baseline": names[0],
        "sessions": [{"name": n, "kind": r.source.get("kind"), "row_unit": r.row_unit, "rows": int(len(r.rows)),
                      "engine_version": (r.engine or {}).get("version") or r.leanline_version}
                     for n, r in zip(names, results)],
        "warnings": flags,
        "comparisons": [],
    }
    for name, other in zip(names[1:], results[1:]):
        changes = compare_pair(results[0], other, seed=seed)
        differ = engines_differ([results[0], other])
        metrics = [{"metric": c["metric"], "label": _name_unit(c["metric"])[0], "unit": _name_unit(c["metric"])[1],
                    **{k: c[k] for k in changes.columns if k != "metric"}} for _, c in changes.iterrows()]
        summary = plain_summary(changes)
        if differ:
            summary.insert(0, "the two sessions were analysed by different engines: a change may be the engine's")
        out["comparisons"].append({"before": names[0], "after": name, "engines_differ": differ,
                                   "metrics": _json_ready(metrics), "summary": summary})
    return out


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def json_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _unit_text(unit: str) -> str:
    return unit if unit == "°" else f" {unit}"


def plain_summary(changes: pd.DataFrame, *, max_items: int = 6) -> list[str]:
    """Sentences a runner reads: the clear changes first (by effect size class, then metric order)."""
    if changes.empty:
        return ["No metric could be compared: the sessions share no measured metric."]
    order = {m: k for k, m in enumerate(DEFAULT_METRICS)}
    clear_mask = (changes["ci_low"] > 0) | (changes["ci_high"] < 0)
    clear = changes[clear_mask].assign(
        _size=lambda d: d["magnitude"].map({"large": 3, "medium": 2, "small": 1}).fillna(0),
        _order=lambda d: d["metric"].map(order).fillna(99))
    clear = clear.sort_values(["_size", "_order"], ascending=[False, True], kind="stable")
    lines = []
    for _, c in clear.head(max_items).iterrows():
        name, unit = _name_unit(c["metric"])
        d = 0 if unit in ("spm", "ms", "W", "bpm") else 1
        ci = f"95 % CI {c['ci_low']:+.{d}f} to {c['ci_high']:+.{d}f}"
        if c["metric"] == "overstride_cm" and abs(c["median_b"]) < abs(c["median_a"]):
            text = (f"landing {abs(c['median_a']) - abs(c['median_b']):.{d}f} cm closer to the hips "
                    f"({c['median_a']:.{d}f} → {c['median_b']:.{d}f} cm, {ci})")
        else:
            text = (f"{name} {c['diff']:+.{d}f}{_unit_text(unit)} ({c['median_a']:.{d}f} → "
                    f"{c['median_b']:.{d}f}, {ci})")
        lines.append(f"{text}: {c['verdict']}, {c['magnitude']} effect")
    rest = clear.iloc[max_items:]
    for verdict in ("better", "worse", "changed"):
        names = [_name_unit(m)[0] for m in rest.loc[rest["verdict"] == verdict, "metric"]]
        if names:
            lines.append(f"also {verdict}: {', '.join(names)}")
    unclear = changes[~clear_mask]
    if len(unclear):
        lines.append("no clear change in " + ", ".join(_name_unit(m)[0] for m in unclear["metric"]))
    return lines


def representative_step(rows: pd.DataFrame, *, metrics: tuple[str, ...] = (
        "lean_deg", "alignment_deg", "overstride_cm", "foot_strike_angle_deg")) -> int | None:
    """The row closest to the session's medians (sum of |robust z| over ``metrics``), or None.

    Each metric is scaled by its median absolute deviation (×1.4826, floored so a metric that never
    varies does not dominate), so the chosen contact is typical in every respect at once.
    """
    cols = [m for m in metrics if m in rows.columns]
    if not cols or rows.empty:
        return None
    values = rows[cols].apply(pd.to_numeric, errors="coerce")
    med = values.median()
    mad = (values - med).abs().median() * 1.4826
    scale = mad.where(mad > 1e-6, 1.0)
    score = ((values - med).abs() / scale).sum(axis=1, min_count=1)
    if score.notna().sum() == 0:
        return None
    return int(np.argmin(score.fillna(np.inf).to_numpy()))
