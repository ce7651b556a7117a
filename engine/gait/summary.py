"""Session summary of a per-step (or per-record) table (METRICS.md, per-session summary)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from engine.metrics import SUMMARY_COLUMNS
from engine.model import FOOT_STRIKE_CLASSES


def describe(values: pd.Series | np.ndarray) -> dict[str, float | int | None]:
    """``median``, ``mean``, ``sd`` (sample SD) and ``n`` of the finite values; None when n = 0."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return {"median": None, "mean": None, "sd": None, "n": 0}
    return {
        "median": float(np.median(v)),
        "mean": float(np.mean(v)),
        "sd": float(np.std(v, ddof=1)) if v.size > 1 else None,
        "n": int(v.size),
    }


def symmetry_pct(left: float, right: float) -> float | None:
    """(L - R) / mean(L, R) x 100; None when either is missing or the mean is zero."""
    if not (math.isfinite(left) and math.isfinite(right)) or left + right == 0:
        return None
    return (left - right) / (0.5 * (left + right)) * 100.0


def summarize(rows: pd.DataFrame, *, columns: tuple[str, ...] = SUMMARY_COLUMNS) -> dict[str, Any]:
    """Summary of every numeric metric column present, foot strike counts, balance and L/R symmetry."""
    out: dict[str, Any] = {}
    for col in columns:
        if col in rows.columns:
            out[col] = describe(rows[col])
    if "foot_strike" in rows.columns:
        counts = {c: int((rows["foot_strike"] == c).sum()) for c in FOOT_STRIKE_CLASSES}
        majority = max(counts, key=lambda c: counts[c]) if any(counts.values()) else None
        out["foot_strike"] = {**counts, "majority": majority}
    if "side" in rows.columns and "ground_contact_ms" in rows.columns:
        means = {s: float(rows.loc[rows["side"] == s, "ground_contact_ms"].mean()) for s in ("left", "right")}
        total = means["left"] + means["right"]
        out["gct_balance_pct"] = means["left"] / total * 100.0 if math.isfinite(total) and total > 0 else None
        sym = {}
        for col in columns:
            if col in rows.columns:
                left = float(rows.loc[rows["side"] == "left", col].mean())
                right = float(rows.loc[rows["side"] == "right", col].mean())
                sym[col] = symmetry_pct(left, right)
        out["symmetry_pct"] = sym
    return out
