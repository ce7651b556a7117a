"""What a number means, in words, from the metric registry: help texts, band legends, plain readings.

Pure functions (no Streamlit), so the texts can be tested and shared by pages and reports.
"""

from __future__ import annotations

import math

from engine.metrics import BAND_MEANING, BANDS, Metric, find

BETTER_WORDS = {"higher": "higher is better", "lower": "lower is better", "closer_to_zero": "closer to 0 is better",
                "none": "no better direction: descriptive"}



def unit_text(m: Metric) -> str:
    return f" {m.short_unit}" if m.short_unit and m.short_unit != "°" else m.short_unit


def band_legend(name: str) -> str:
    """``purple < 218 ms (above the 95th percentile of runners) · blue 218–248 ms ...``, or ''."""
    m = find(name)
    if m is None or name not in BANDS:
        return ""
    parts = []
    for band, lo, hi in BANDS[name]:
        u = unit_text(m)
        rng = (f"< {hi:g}{u}" if math.isinf(lo) else f"≥ {lo:g}{u}" if math.isinf(hi) else f"{lo:g}–{hi:g}{u}")
        parts.append(f"{band} {rng} ({BAND_MEANING[band]})")
    return "Garmin bands: " + " · ".join(parts)


def help_text(name: str) -> str:
    """Everything a card or a column header says about a metric (Markdown)."""
    m = find(name)
    if m is None:
        return name
    lines = [f"**{m.label[0].upper()}{m.label[1:]}** ({m.unit}). {m.definition}"]
    if m.sign:
        lines.append(f"Sign: {m.sign}.")
    if m.target:
        lines.append(f"Pose Method target: {m.target}.")
    lines.append(BETTER_WORDS.get(m.better, "") + ".")
    legend = band_legend(name)
    if legend:
        lines.append(legend + ".")
    if m.reference:
        lines.append(f"Source: {m.reference}.")
    return "  \n".join(lines)


def reading(name: str, value: float | None) -> str:
    """A plain sentence on what a value means where the sign could mislead, or ''.

    ``lean_deg`` -1.2 -> "the line from the ankle to the shoulders leans back by 1.2°".
    """
    if value is None or not math.isfinite(value):
        return ""
    if name == "lean_deg":
        return (f"the line from the ankle to the shoulders leans forward by {value:.1f}°" if value > 0 else
                f"the line from the ankle to the shoulders leans back by {abs(value):.1f}° (forward is positive)")
    if name == "alignment_deg":
        if abs(value) < 2:
            return "shoulders, hips and ankle on one straight line"
        return (f"bent {value:.1f}° at the hip: the foot out in front of the hips, or a bend at the waist" if value > 0
                else f"hips {abs(value):.1f}° ahead of the ankle-shoulder line")
    if name == "overstride_cm":
        return (f"the foot lands {value:.1f} cm ahead of the hips" if value > 0 else
                f"the foot lands {abs(value):.1f} cm behind the hips")
    if name == "foot_strike_angle_deg":
        return (f"toe up {value:.1f}° at landing: heel first" if value > 8 else
                f"toe down {abs(value):.1f}° at landing: ball first" if value < -1.6 else "a flat landing")
    if name == "shin_angle_deg":
        return (f"the ankle lands {value:.1f}° ahead of the knee" if value > 0 else
                f"the ankle lands {abs(value):.1f}° behind the knee")
    return ""


def change_reading(name: str, before: float, after: float) -> str:
    """Where a change of a signed metric could read wrongly, say plainly where it stands after."""
    m = find(name)
    if m is None or not (math.isfinite(before) and math.isfinite(after)):
        return ""
    if name == "lean_deg" and after < 0:
        return (f"lean from the ankles: forward is positive; {after:+.1f}° still means the line leans back, "
                "even though it moved forward" if after > before else "")
    if m.better == "closer_to_zero" and (before > 0) != (after > 0) and abs(after) > 0.5:
        return f"{m.label} crossed zero ({before:+.1f} → {after:+.1f}): judged by the distance from 0"
    return ""


def md(text: str) -> str:
    """Text shown as Markdown exactly as written (``landmark_heights`` keeps its underscore)."""
    for ch in "\\`*_{}[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text
