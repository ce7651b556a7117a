"""Self-contained HTML reports of a session or a comparison, to send to an athlete.

One file, no network needed to open it: Plotly's JavaScript is inlined once, key frames are JPEG
data URIs, and every piece of text that a person typed (names, titles, notes) is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go

from dashboard import figures
from engine.store import StoredKeyFrame, StoredSession

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#222}
h1{margin-bottom:0} .muted{color:#666} .cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.card{border:1px solid #ddd;border-radius:8px;padding:8px 12px;min-width:150px;border-left-width:6px}
.card .v{font-size:1.35em;font-weight:600} .frames{display:flex;flex-wrap:wrap;gap:8px}
.frames figure{margin:0;width:260px} .frames img{width:100%;border-radius:4px}
figcaption{font-size:.85em;color:#444} table{border-collapse:collapse;font-size:.9em}
td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:right} th{background:#f6f6f6}
td:first-child,th:first-child{text-align:left} .warn{background:#fff4e5;padding:6px 10px;border-radius:6px}
.better{color:#2ca02c} .worse{color:#d62728}
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _figure_html(fig: go.Figure, *, first: bool) -> str:
    return fig.to_html(full_html=False, include_plotlyjs="inline" if first else False,
                       config={"displaylogo": False, "responsive": True})


def _frame_html(kf: StoredKeyFrame, caption: str) -> str:
    data = base64.b64encode(kf.jpeg).decode("ascii")
    return (f'<figure><img alt="contact frame" src="data:image/jpeg;base64,{data}">'
            f'<figcaption>{_e(caption)}</figcaption></figure>')


def _cards_html(summary: dict) -> str:
    out = []
    for c in figures.summary_cards(summary):
        colour = c.colour or "#bbb"
        band = f" · {c.band} band" if c.band else ""
        out.append(f'<div class="card" style="border-left-color:{colour}"><div>{_e(c.title)}</div>'
                   f'<div class="v">{_e(c.value)}</div><div class="muted">{_e(c.detail + band)}</div></div>')
    return '<div class="cards">' + "".join(out) + "</div>"


def _page(title: str, body: str) -> str:
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'><style>{_CSS}</style></head>"
            f"<body>{body}<p class='muted'>leanline report, {stamp}</p></body></html>")


def _frame_caption(kf: StoredKeyFrame, rows: pd.DataFrame) -> str:
    return figures.contact_caption(kf.step, kf.side, kf.ic_s, rows)


#: More contact frames than this are thinned out evenly, and the report says how many it leaves out.
MAX_REPORT_FRAMES = 300


def frames_shown(frames: list[StoredKeyFrame], max_frames: int = MAX_REPORT_FRAMES) -> tuple[list[StoredKeyFrame], str]:
    """Every contact frame (or an even selection of ``max_frames``), and a sentence saying which."""
    if len(frames) <= max_frames:
        return frames, f"All {len(frames)} contact frames."
    step = len(frames) / max_frames
    chosen = [frames[int(k * step)] for k in range(max_frames)]
    return chosen, (f"{max_frames} of {len(frames)} contact frames, evenly spread; {len(frames) - max_frames} are "
                    "left out to keep the file small.")


def session_report(stored: StoredSession, frames: list[StoredKeyFrame], *, notes: dict[int, str] | None = None,
                   max_frames: int = MAX_REPORT_FRAMES) -> str:
    """A one-file HTML report of one session: summary cards, charts, contact frames, table, notes."""
    res = stored.result
    rows = res.rows
    parts = [f"<h1>{_e(stored.title)}</h1>",
             f"<p class='muted'>{_e(stored.athlete)} · {_e(stored.session_date)} · {_e(stored.label)} · "
             f"{_e(stored.source_name)} ({_e(stored.kind)}), {len(rows)} {_e(res.row_unit)}s</p>"]
    for w in res.warnings:
        parts.append(f"<p class='warn'>{_e(w)}</p>")
    if stored.notes:
        parts.append(f"<h2>Coach notes</h2><p>{_e(stored.notes)}</p>")
    parts.append(_cards_html(res.summary))
    first = True
    timeline = figures.timeline_figure(rows, figures.timeline_metrics(rows))
    parts.append(_figure_html(timeline, first=first))
    first = False
    if res.row_unit == "step":
        parts.append(_figure_html(figures.foot_strike_figure(rows), first=first))
    if frames:
        chosen, which = frames_shown(frames, max_frames)
        parts.append(f"<h2>Contact frames</h2><p class='muted'>{_e(which)}</p><div class='frames'>"
                     + "".join(_frame_html(k, _frame_caption(k, rows)) for k in chosen) + "</div>")
    if notes:
        parts.append("<h2>Notes on single steps</h2><ul>"
                     + "".join(f"<li>step {k + 1}: {_e(v)}</li>" for k, v in sorted(notes.items())) + "</ul>")
    parts.append("<h2>Per-step table</h2>" + _table_html(rows))
    return _page(f"leanline · {stored.title}", "".join(parts))


def _table_html(rows: pd.DataFrame, *, max_rows: int = 400) -> str:
    shown = rows.head(max_rows).copy()
    for c in shown.columns:
        if pd.api.types.is_float_dtype(shown[c]):
            digits = 3 if c.endswith("_s") else 1
            shown[c] = shown[c].map(lambda v, d=digits: "" if pd.isna(v) else f"{v:.{d}f}")
    more = f"<p class='muted'>first {max_rows} of {len(rows)} rows</p>" if len(rows) > max_rows else ""
    return shown.to_html(index=False, escape=True, na_rep="") + more


def comparison_report(sessions: list[StoredSession], changes: pd.DataFrame, summary_lines: list[str],
                      flags: list[str], representative: list[StoredKeyFrame | None]) -> str:
    """A one-file HTML report of a comparison: plain-language summary, change table, charts, frames."""
    names = [s.display_name for s in sessions]
    parts = ["<h1>Before and after</h1>",
             "<p class='muted'>" + " vs ".join(_e(n) for n in names) + "</p>"]
    for f in flags:
        parts.append(f"<p class='warn'>{_e(f)}</p>")
    parts.append("<h2>Summary</h2><ul>" + "".join(f"<li>{_e(line)}</li>" for line in summary_lines) + "</ul>")
    if not changes.empty:
        table = pd.DataFrame({
            "metric": [figures.metric_name(m) for m in changes["metric"]],
            "before": changes["median_a"].round(1), "after": changes["median_b"].round(1),
            "change": changes["diff"].round(1),
            "95 % CI": [f"{lo:+.1f} to {hi:+.1f}" for lo, hi in zip(changes["ci_low"], changes["ci_high"])],
            "Cliff's delta": changes["cliffs_delta"].round(2), "effect": changes["magnitude"],
            "verdict": changes["verdict"]})
        parts.append(table.to_html(index=False, escape=True))
        parts.append(_figure_html(figures.change_figure(changes), first=True))
    if any(representative):
        parts.append("<h2>Representative contact (closest to the session's medians)</h2><div class='frames'>")
        for s, kf in zip(sessions, representative):
            if kf is not None:
                parts.append(_frame_html(kf, f"{s.display_name}: {_frame_caption(kf, s.result.rows)}"))
        parts.append("</div>")
    first = changes.empty
    for m in changes["metric"].head(6) if not changes.empty else []:
        fig = figures.distribution_figure([(s.display_name, s.result.rows) for s in sessions], m)
        parts.append(_figure_html(fig, first=first))
        first = False
    return _page("leanline · before and after", "".join(parts))
