"""Print-ready PDF reports of a session and of a comparison (WeasyPrint), notes included.

A PDF cannot run Plotly's JavaScript, so the charts are drawn as PNG with matplotlib; contact frames
are the stored JPEGs. Figures, cards and table rows never break across pages, and each section's
heading stays with what follows it. WeasyPrint needs the Pango library (Debian: ``libpango-1.0-0``);
without it :func:`pdf_available` says why and the pages offer the HTML report only.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import datetime

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from dashboard import explain, figures  # noqa: E402
from dashboard.report import frames_shown  # noqa: E402
from engine.store import StoredKeyFrame, StoredSession  # noqa: E402

_CSS = """
@page { size: A4; margin: 14mm 12mm 16mm; @bottom-right { content: "page " counter(page) " of " counter(pages);
        font-size: 8pt; color: #777 } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #222 }
h1 { font-size: 17pt; margin: 0 0 2mm } h2 { font-size: 12.5pt; margin: 6mm 0 2mm; break-after: avoid }
.muted { color: #666 } .warn { background: #fff4e5; padding: 2mm 3mm; border-radius: 2mm }
.cards { display: flex; flex-wrap: wrap; gap: 2mm } .card { border: 0.3mm solid #ccc; border-left-width: 2mm;
  border-radius: 1.5mm; padding: 1.5mm 2.5mm; width: 40mm; break-inside: avoid }
.card .v { font-size: 12pt; font-weight: bold } figure { margin: 0 0 3mm; break-inside: avoid }
figure img { width: 100% } .frames { display: flex; flex-wrap: wrap; gap: 2mm }
.frames figure { width: 45mm } figcaption { font-size: 7.5pt; color: #444 }
table { border-collapse: collapse; width: 100%; font-size: 8pt } tr { break-inside: avoid }
td, th { border-bottom: 0.2mm solid #ddd; padding: 1mm 1.5mm; text-align: right }
th { background: #f3f3f3 } td:first-child, th:first-child { text-align: left }
.note { border-left: 1mm solid #8e44ad; padding-left: 2mm; margin: 1mm 0; break-inside: avoid }
"""


def pdf_available() -> str | None:
    """None when PDFs can be made here, else the reason (a missing system library)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        return f"PDF reports need WeasyPrint and the Pango library (apt-get install libpango-1.0-0): {exc}"
    return None


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _timeline_png(rows: pd.DataFrame) -> str | None:
    metrics = figures.timeline_metrics(rows)[:6]
    if not metrics:
        return None
    x = rows["ic_s"] if "ic_s" in rows.columns else rows.get("time_s", pd.Series(range(len(rows))))
    fig, axes = plt.subplots(len(metrics), 1, figsize=(7.2, 1.45 * len(metrics)), sharex=True, squeeze=False)
    for ax, m in zip(axes[:, 0], metrics):
        y = pd.to_numeric(rows[m], errors="coerce")
        if "side" in rows.columns and set(rows["side"].dropna()) <= {"left", "right"}:
            for side in ("left", "right"):
                sel = rows["side"] == side
                ax.plot(x[sel], y[sel], "o", ms=3, color=figures.SIDE_COLOURS[side], label=side)
        else:
            ax.plot(x, y, "-", lw=0.8, color=figures.SIDE_COLOURS["both"])
        ax.set_ylabel(figures.label(m), fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("time (s)", fontsize=7)
    return _png(fig)


def _changes_png(changes: pd.DataFrame) -> str | None:
    if changes.empty:
        return None
    fig, axes = plt.subplots(len(changes), 1, figsize=(7.2, 0.42 * len(changes) + 0.4), squeeze=False)
    for ax, (_, c) in zip(axes[:, 0], changes.iterrows()):
        colour = figures.VERDICT_COLOURS.get(c["verdict"].split(" (")[0], "#7f7f7f")
        ax.errorbar([c["diff"]], [0], xerr=[[c["diff"] - c["ci_low"]], [c["ci_high"] - c["diff"]]], fmt="o",
                    color=colour, capsize=3)
        span = max(abs(c["ci_low"]), abs(c["ci_high"]), 1e-6) * 1.3
        ax.set_xlim(-span, span)
        ax.axvline(0, color="#999", lw=0.8)
        ax.set_yticks([])
        ax.set_ylabel(figures.metric_name(c["metric"]), rotation=0, ha="right", va="center", fontsize=7)
        ax.tick_params(labelsize=6)
    fig.suptitle("change after - before (median, 95 % CI)", fontsize=8)
    return _png(fig)


def _img(src: str | None, alt: str) -> str:
    return f'<figure><img alt="{_e(alt)}" src="{src}"></figure>' if src else ""


def _frames(frames: list[StoredKeyFrame], rows: pd.DataFrame) -> str:
    chosen, which = frames_shown(frames)
    items = "".join(f'<figure><img alt="contact frame" src="data:image/jpeg;base64,'
                    f'{base64.b64encode(k.jpeg).decode("ascii")}"><figcaption>'
                    f"{_e(figures.contact_caption(k.step, k.side, k.ic_s, rows))}</figcaption></figure>"
                    for k in chosen)
    return f"<h2>Contact frames</h2><p class='muted'>{_e(which)}</p><div class='frames'>{items}</div>"


def _cards(summary: dict) -> str:
    out = []
    for c in figures.summary_cards(summary):
        band = f" · {c.band} band" if c.band else ""
        reading = explain.reading(c.metric, (summary.get(c.metric) or {}).get("median"))
        out.append(f'<div class="card" style="border-left-color:{c.colour or "#bbb"}"><div>{_e(c.title)}</div>'
                   f'<div class="v">{_e(c.value)}</div><div class="muted">{_e(c.detail + band)}</div>'
                   + (f'<div class="muted">{_e(reading)}</div>' if reading else "") + "</div>")
    return '<div class="cards">' + "".join(out) + "</div>"


def _table(rows: pd.DataFrame) -> str:
    cols = [c for c in rows.columns if c not in ("event_method",)]
    shown = rows[cols].copy()
    for c in shown.columns:
        if pd.api.types.is_float_dtype(shown[c]):
            digits = 2 if c.endswith("_s") else 1
            shown[c] = shown[c].map(lambda v, d=digits: "" if pd.isna(v) else f"{v:.{d}f}")
    shown.columns = [figures.metric_name(c) for c in shown.columns]
    return shown.to_html(index=False, escape=True, na_rep="")


def _document(title: str, body: str) -> bytes:
    from weasyprint import HTML

    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    doc = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
           f"<style>{_CSS}</style></head><body>{body}<p class='muted'>leanline report, {stamp}</p></body></html>")
    return HTML(string=doc).write_pdf()


def session_pdf(stored: StoredSession, frames: list[StoredKeyFrame], *, notes: dict[int, str] | None = None) -> bytes:
    """The Session report as a print-ready PDF: cards, charts, coach and step notes, every contact frame, table."""
    res, rows = stored.result, stored.result.rows
    parts = [f"<h1>{_e(stored.title)}</h1>",
             f"<p class='muted'>{_e(stored.display_name)} · {_e(stored.source_name)} ({_e(stored.kind)}), "
             f"{len(rows)} {_e(res.row_unit)}s</p>"]
    parts += [f"<p class='warn'>{_e(w)}</p>" for w in res.warnings]
    if stored.notes:
        parts.append(f"<h2>Coach notes</h2><div class='note'>{_e(stored.notes)}</div>")
    parts.append("<h2>Summary</h2>" + _cards(res.summary))
    parts.append(_img(_timeline_png(rows), "metrics over time"))
    if notes:
        parts.append("<h2>Notes on single contacts</h2>" + "".join(
            f"<div class='note'>contact #{k + 1}: {_e(v)}</div>" for k, v in sorted(notes.items())))
    if frames:
        parts.append(_frames(frames, rows))
    parts.append("<h2>Per-step table</h2>" if res.row_unit == "step" else "<h2>Records (first 300)</h2>")
    parts.append(_table(rows if res.row_unit == "step" else rows.head(300)))
    return _document(f"leanline · {stored.title}", "".join(parts))


def comparison_pdf(sessions: list[StoredSession], changes: pd.DataFrame, summary_lines: list[str], flags: list[str],
                   representative: list[StoredKeyFrame | None]) -> bytes:
    """The Compare report as a print-ready PDF: the verdict, the change table and chart, typical contacts, notes."""
    parts = ["<h1>Before and after</h1>",
             "<p class='muted'>" + " → ".join(_e(s.display_name) for s in sessions) + "</p>"]
    parts += [f"<p class='warn'>{_e(f)}</p>" for f in flags]
    parts.append("<h2>Summary</h2><ul>" + "".join(f"<li>{_e(line)}</li>" for line in summary_lines) + "</ul>")
    if not changes.empty:
        table = pd.DataFrame({
            "metric": [figures.metric_name(m) for m in changes["metric"]], "verdict": changes["verdict"],
            "before": changes["median_a"].round(1), "after": changes["median_b"].round(1),
            "change": changes["diff"].round(1),
            "95 % CI": [f"{lo:+.1f} to {hi:+.1f}" for lo, hi in zip(changes["ci_low"], changes["ci_high"])],
            "effect": changes["magnitude"]})
        parts.append("<h2>Every metric</h2>" + table.to_html(index=False, escape=True))
        parts.append(_img(_changes_png(changes), "changes with confidence intervals"))
    if any(representative):
        parts.append("<h2>Typical contact of each session</h2><div class='frames'>")
        for s, kf in zip(sessions, representative):
            if kf is not None:
                src = base64.b64encode(kf.jpeg).decode("ascii")
                parts.append(f'<figure><img alt="contact" src="data:image/jpeg;base64,{src}"><figcaption>'
                             f"{_e(s.display_name)}</figcaption></figure>")
        parts.append("</div>")
    for s in sessions:
        if s.notes:
            parts.append(f"<h2>Coach notes: {_e(s.display_name)}</h2><div class='note'>{_e(s.notes)}</div>")
    return _document("leanline · before and after", "".join(parts))
