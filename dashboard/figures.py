"""Pure figure builders: data in, Plotly figures (or plain card data) out. No Streamlit here.

Every builder takes the per-step (or per-record) table as a DataFrame with METRICS.md's columns, so
tests can inspect traces, units and colours without a browser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine.compare import base_verdict
from engine.metrics import BANDS, CARDS, LAP_COLUMNS, RECORD_CHARTS, TIMELINE, band_of, find, lookup
from engine.metrics import label as registry_label

SIDE_COLOURS = {"left": "#1f77b4", "right": "#d62728", "both": "#555555"}
SIDE_SYMBOLS = {"left": "circle", "right": "diamond", "both": "circle"}
VERDICT_COLOURS = {"better": "#2ca02c", "worse": "#d62728", "no clear change": "#7f7f7f", "changed": "#1f77b4"}
SESSION_COLOURS = ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3"]

BAND_COLOURS = {"purple": "#8e44ad", "blue": "#2e86de", "green": "#27ae60", "orange": "#e67e22", "red": "#c0392b"}
#: Streamlit badge colour names for the bands.
BAND_BADGES = {"purple": "violet", "blue": "blue", "green": "green", "orange": "orange", "red": "red"}



def label(metric: str) -> str:
    """``"Cadence (spm)"`` for ``cadence_spm``."""
    m = find(metric)
    if m is None:
        return metric.replace("_", " ")
    name = m.label[0].upper() + m.label[1:]
    return f"{name} ({m.short_unit})" if m.short_unit else name


def metric_name(metric: str) -> str:
    """``"cadence (spm)"`` for ``cadence_spm``: the row name in comparison tables."""
    m = find(metric)
    return registry_label(metric) if m is not None else metric


def band(metric: str, value: float | None) -> str | None:
    """The Garmin band name of a value, or None where the metric has no bands or the value is missing."""
    return band_of(metric, value)


@dataclass(frozen=True)
class Card:
    metric: str
    title: str
    value: str
    detail: str
    band: str | None

    @property
    def colour(self) -> str | None:
        return BAND_COLOURS.get(self.band) if self.band else None


def _digits(metric: str) -> int:
    m = find(metric)
    return m.digits if m is not None else 1


def summary_cards(summary: dict, metrics: tuple[str, ...] = CARDS) -> list[Card]:
    """A card per metric that the session has: the median, its spread and n, and its Garmin band."""
    cards = []
    for m in metrics:
        stat = summary.get(m)
        if not isinstance(stat, dict) or stat.get("median") is None:
            continue
        d = _digits(m)
        meta = lookup(m)
        name, unit = meta.label, meta.short_unit
        sd = stat.get("sd")
        u = stat.get("uncertainty")
        detail = (f"median of {stat.get('n', 0)}" + (f", sd {sd:.{d}f}" if sd is not None else "")
                  + (f" · ± {u:.{max(d, 1)}f} {unit} (1 SD)" if u is not None else ""))
        cards.append(Card(metric=m, title=name[0].upper() + name[1:], value=f"{stat['median']:.{d}f} {unit}",
                          detail=detail, band=band(m, stat["median"])))
    return cards


def _x(rows: pd.DataFrame) -> tuple[str, pd.Series]:
    for col in ("ic_s", "time_s"):
        if col in rows.columns:
            return col, pd.to_numeric(rows[col], errors="coerce")
    return "index", pd.Series(np.arange(len(rows)), index=rows.index, dtype=float)


def timeline_figure(rows: pd.DataFrame, metrics: tuple[str, ...] = TIMELINE, *,
                    cursor_s: float | None = None, height_px_per_panel: int = 150) -> go.Figure:
    """Per-step values over time, one panel per metric, left and right contacts as separate traces.

    ``cursor_s`` draws a vertical line at that moment on every panel (the frame scrubber).
    """
    metrics = tuple(m for m in metrics if m in rows.columns and pd.to_numeric(rows[m], errors="coerce").notna().any())
    fig = make_subplots(rows=max(1, len(metrics)), cols=1, shared_xaxes=True, vertical_spacing=0.03,
                        subplot_titles=[label(m) for m in metrics])
    xcol, x = _x(rows)
    sides = [s for s in ("left", "right") if "side" in rows.columns and (rows["side"] == s).any()] or ["both"]
    dense = len(rows) > 400                 # a watch's once-a-second records: a line reads better than dots
    for i, m in enumerate(metrics, start=1):
        y = pd.to_numeric(rows[m], errors="coerce")
        for s in sides:
            mask = rows["side"] == s if s != "both" else pd.Series(True, index=rows.index)
            fig.add_trace(go.Scatter(
                x=x[mask], y=y[mask], name=s,
                mode=("lines" if dense else "markers+lines") if s == "both" else "markers",
                legendgroup=s, showlegend=i == 1, marker=dict(color=SIDE_COLOURS[s], symbol=SIDE_SYMBOLS[s], size=7),
                line=dict(width=1),
                hovertemplate=f"{label(m)}: %{{y:.{_digits(m)}f}}<br>t = %{{x:.2f}} s<extra>{s}</extra>",
            ), row=i, col=1)
        if m in BANDS:
            for name, lo, hi in BANDS[m]:
                lo_v = max(lo, float(np.nanmin(y)) - 50) if np.isinf(lo) else lo
                hi_v = min(hi, float(np.nanmax(y)) + 50) if np.isinf(hi) else hi
                fig.add_hrect(y0=lo_v, y1=hi_v, fillcolor=BAND_COLOURS[name], opacity=0.08, line_width=0,
                              row=i, col=1)
            fig.update_yaxes(range=_padded_range(y), row=i, col=1)
    if cursor_s is not None:
        for i in range(1, len(metrics) + 1):
            fig.add_vline(x=cursor_s, line=dict(color="#333", width=1.5, dash="dot"), row=i, col=1)
    fig.update_xaxes(title_text="time (s)" if xcol != "index" else "row", row=max(1, len(metrics)), col=1)
    fig.update_layout(height=60 + height_px_per_panel * max(1, len(metrics)), margin=dict(l=50, r=20, t=40, b=40),
                      legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
                      hovermode="closest")
    return fig


def _padded_range(y: pd.Series) -> list[float]:
    lo, hi = float(np.nanmin(y)), float(np.nanmax(y))
    pad = max(0.1 * (hi - lo), 1e-3 + 0.02 * abs(hi))
    return [lo - pad, hi + pad]


def foot_strike_figure(rows: pd.DataFrame) -> go.Figure:
    """Counts of rearfoot / midfoot / forefoot contacts, stacked by side."""
    fig = go.Figure()
    classes = ["rearfoot", "midfoot", "forefoot"]
    if "foot_strike" in rows.columns:
        for s in ("left", "right"):
            sub = rows[rows["side"] == s]["foot_strike"].value_counts()
            fig.add_trace(go.Bar(x=classes, y=[int(sub.get(c, 0)) for c in classes], name=s,
                                 marker_color=SIDE_COLOURS[s]))
    fig.update_layout(barmode="stack", height=280, margin=dict(l=40, r=10, t=30, b=30), yaxis_title="contacts",
                      title="Foot strike")
    return fig


def distribution_figure(sessions: list[tuple[str, pd.DataFrame]], metric: str) -> go.Figure:
    """One box (with every step as a point) per session for one metric."""
    fig = go.Figure()
    for k, (name, rows) in enumerate(sessions):
        if metric not in rows.columns:
            continue
        y = pd.to_numeric(rows[metric], errors="coerce").dropna()
        fig.add_trace(go.Box(y=y, name=name, boxpoints="all", jitter=0.4, pointpos=0, marker=dict(size=4),
                             line=dict(color=SESSION_COLOURS[k % len(SESSION_COLOURS)]), boxmean=False))
    fig.update_layout(title=label(metric), yaxis_title=label(metric), showlegend=False, height=320,
                      margin=dict(l=50, r=10, t=40, b=30))
    if metric in BANDS:
        for name, lo, hi in BANDS[metric]:
            if np.isfinite(lo) and np.isfinite(hi):
                fig.add_hrect(y0=lo, y1=hi, fillcolor=BAND_COLOURS[name], opacity=0.08, line_width=0)
    return fig


def change_figure(changes: pd.DataFrame) -> go.Figure:
    """Median difference (after − before) with its 95 % CI per metric, coloured by verdict.

    Metrics have different units, so each metric gets its own panel and x scale, with zero marked.
    """
    fig = go.Figure()
    if changes.empty:
        return fig
    names, x, lo, hi, colours, texts = [], [], [], [], [], []
    for _, c in changes.iterrows():
        m = find(c["metric"])
        unit = m.short_unit if m else ""
        d = _digits(c["metric"])
        names.append(metric_name(c["metric"]))
        x.append(c["diff"])
        lo.append(c["diff"] - c["ci_low"])
        hi.append(c["ci_high"] - c["diff"])
        colours.append(VERDICT_COLOURS.get(base_verdict(c["verdict"]), "#7f7f7f"))
        texts.append(f"{c['diff']:+.{d}f} {unit} [{c['ci_low']:+.{d}f}, {c['ci_high']:+.{d}f}] {c['verdict']}")
    # one panel per row keeps each metric on its own scale
    fig = make_subplots(rows=len(names), cols=1, vertical_spacing=0.012)
    for i in range(len(names)):
        fig.add_trace(go.Scatter(
            x=[x[i]], y=[names[i]], mode="markers", marker=dict(color=colours[i], size=11),
            error_x=dict(type="data", symmetric=False, array=[hi[i]], arrayminus=[lo[i]], color=colours[i],
                         thickness=2),
            hovertext=[texts[i]], hoverinfo="text", showlegend=False), row=i + 1, col=1)
        span = max(abs(x[i] - lo[i]), abs(x[i] + hi[i]), 1e-6) * 1.2     # the interval's far end, both sides
        fig.add_vline(x=0, line=dict(color="#999", width=1), row=i + 1, col=1)
        fig.update_xaxes(range=[-span, span], row=i + 1, col=1, showticklabels=True, tickfont=dict(size=9), nticks=5)
    fig.update_layout(height=42 * len(names) + 60, margin=dict(l=220, r=20, t=30, b=20),
                      title="Change after − before (median, 95 % CI)")
    return fig


def verdict_arrow(metric: str) -> str:
    """How the metric is judged, for table captions."""
    m = find(metric)
    return {"higher": "higher is better", "lower": "lower is better", "closer_to_zero": "closer to 0 is better"}.get(
        m.better if m else "none", "no better direction")



def timeline_metrics(rows: pd.DataFrame) -> tuple[str, ...]:
    """The metrics worth a panel for this table: per-step form metrics, or a watch file's record fields."""
    wanted = TIMELINE if "ic_s" in rows.columns else RECORD_CHARTS
    return tuple(m for m in wanted if m in rows.columns and pd.to_numeric(rows[m], errors="coerce").notna().any())


def contact_caption(step: int, side: str, ic_s: float, rows: pd.DataFrame) -> str:
    """``#3 left · 0.79 s · lean +0.3° · forefoot`` for a contact frame (lean and strike when measured)."""
    cap = f"#{step + 1} {side} · {ic_s:.2f} s"
    if step < len(rows) and "lean_deg" in rows.columns and pd.notna(rows["lean_deg"].iloc[step]):
        r = rows.iloc[step]
        cap += f" · lean {r['lean_deg']:+.1f}° · {r.get('foot_strike') or ''}"
    return cap


def lap_table(rows: pd.DataFrame, laps: list[dict]) -> pd.DataFrame:
    """One row per lap of a watch session: start, duration, distance and the median of each metric it has."""
    if "lap" not in rows.columns or not laps:
        return pd.DataFrame()
    present = [m for m in LAP_COLUMNS if m in rows.columns and rows[m].notna().any()]
    medians = rows.groupby("lap")[present].median()
    out = pd.DataFrame({
        "lap": range(1, len(laps) + 1),
        "start (min)": [lap["start_s"] / 60.0 for lap in laps],
        "duration (min)": [lap["duration_s"] / 60.0 for lap in laps],
        "distance (km)": [lap["distance_m"] / 1000.0 if lap.get("distance_m") is not None else math.nan
                          for lap in laps],
    }).set_index("lap")
    out = out.join(medians.rename(columns=label))
    return out.reset_index()


def trend_figure(points: pd.DataFrame) -> go.Figure:
    """One panel per metric: each session's median over its date, with its 95 % interval, bands behind."""
    metrics = list(dict.fromkeys(points["metric"])) if len(points) else []
    fig = make_subplots(rows=max(1, len(metrics)), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[label(m) for m in metrics])
    for i, m in enumerate(metrics, start=1):
        p = points[points["metric"] == m].sort_values("date")
        fig.add_trace(go.Scatter(
            x=p["date"], y=p["median"], mode="markers+lines", name=label(m), showlegend=False,
            marker=dict(size=9, color=SESSION_COLOURS[0]), line=dict(width=1.5),
            error_y=dict(type="data", symmetric=False, array=p["high"] - p["median"],
                         arrayminus=p["median"] - p["low"], thickness=1.5),
            text=p["session"], hovertemplate="%{text}<br>median %{y:.1f} (n %{customdata})<extra></extra>",
            customdata=p["n"]), row=i, col=1)
        for name, lo, hi in BANDS.get(m, ()):
            if np.isfinite(lo) and np.isfinite(hi):
                fig.add_hrect(y0=lo, y1=hi, fillcolor=BAND_COLOURS[name], opacity=0.08, line_width=0, row=i, col=1)
    fig.update_layout(height=60 + 180 * max(1, len(metrics)), margin=dict(l=50, r=20, t=40, b=40))
    fig.update_xaxes(type="category")
    return fig


def picked_x(event) -> float | None:
    """The x value of the point clicked on a chart (``st.plotly_chart(on_select=...)``), or None."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError, AttributeError):
        return None
    xs = [p.get("x") for p in points if isinstance(p, dict) and p.get("x") is not None]
    try:
        return float(xs[0]) if xs else None
    except (TypeError, ValueError):
        return None


#: What the watch and the clip are compared on, and how close counts as agreeing (relative, or in the unit).
WATCH_CLIP_METRICS = (("cadence_spm", 0.02, None), ("ground_contact_ms", 0.06, None),
                      ("vertical_oscillation_cm", None, 1.0))


def watch_and_clip_figure(watch: pd.DataFrame, clip: pd.DataFrame, *, offset_s: float,
                          margin_s: float = 30.0) -> tuple[go.Figure, list[str]]:
    """The watch's records and the clip's contacts on the watch's clock (the clip shifted by ``offset_s``),
    one panel per shared metric, and a sentence per metric on whether the two agree there."""
    shared = [m for m in WATCH_CLIP_METRICS if m[0] in watch.columns and m[0] in clip.columns
              and pd.to_numeric(clip[m[0]], errors="coerce").notna().any()]
    fig = make_subplots(rows=max(1, len(shared)), cols=1, shared_xaxes=True, vertical_spacing=0.05,
                        subplot_titles=[label(m) for m, _, _ in shared])
    t_clip = pd.to_numeric(clip["ic_s"], errors="coerce") + offset_s
    lo, hi = float(t_clip.min()) - margin_s, float(t_clip.max()) + margin_s
    lines = []
    for i, (m, rel, absolute) in enumerate(shared, start=1):
        w = pd.to_numeric(watch[m], errors="coerce")
        fig.add_trace(go.Scatter(x=watch["time_s"], y=w, mode="lines", name="watch", showlegend=i == 1,
                                 line=dict(color="#888", width=1)), row=i, col=1)
        fig.add_trace(go.Scatter(x=t_clip, y=pd.to_numeric(clip[m], errors="coerce"), mode="markers", name="clip",
                                 showlegend=i == 1, marker=dict(color=SESSION_COLOURS[1], size=6)), row=i, col=1)
        fig.add_vrect(x0=float(t_clip.min()), x1=float(t_clip.max()), fillcolor="#ffd600", opacity=0.15,
                      line_width=0, row=i, col=1)
        near = w[(watch["time_s"] >= lo) & (watch["time_s"] <= hi)].dropna()
        near = near[near > 0]
        c = pd.to_numeric(clip[m], errors="coerce").dropna()
        if near.empty or c.empty:
            continue
        wm, cm = float(near.median()), float(c.median())
        d = _digits(m)
        unit = lookup(m).short_unit
        close = abs(cm - wm) <= (rel * wm if rel else absolute)
        how = ("they agree" if close else
               f"the clip reads {abs(cm - wm) / wm * 100:.0f} % {'higher' if cm > wm else 'lower'}" if rel else
               f"the clip reads {abs(cm - wm):.1f} {unit} {'higher' if cm > wm else 'lower'}")
        lines.append(f"{lookup(m).label}: clip {cm:.{d}f} {unit}, watch {wm:.{d}f} {unit} around the clip: {how}")
    fig.update_xaxes(title_text="time on the watch (s)", row=max(1, len(shared)), col=1)
    fig.update_layout(height=60 + 150 * max(1, len(shared)), margin=dict(l=50, r=20, t=40, b=40),
                      legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"))
    return fig, lines
