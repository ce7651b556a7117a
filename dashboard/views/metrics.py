"""Metrics page: what every number means, with a drawing of what is measured."""

from __future__ import annotations

import streamlit as st

from dashboard import diagrams, explain
from engine.metrics import BAND_MEANING, BAND_ORDER, DEVELOPER_PATTERN, METRICS, Metric


def _card(m: Metric) -> None:
    with st.container(border=True):
        text, picture = st.columns([3, 2]) if m.name in diagrams.DRAWN else (st.container(), None)
        with text:
            unit = f" · {m.unit}" if m.unit not in ("–", "") else ""
            st.markdown(f"#### {explain.md(m.label[0].upper() + m.label[1:])}\n`{m.name}`{explain.md(unit)}")
            st.markdown(explain.md(m.definition))
            facts = []
            if m.sign:
                facts.append(f"**Sign:** {explain.md(m.sign)}")
            if m.target:
                facts.append(f"**Pose Method target:** {explain.md(m.target)}")
            if m.better != "none":
                facts.append(f"**Judged:** {explain.BETTER_WORDS[m.better]}")
            legend = explain.band_legend(m.name)
            if legend:
                facts.append(explain.md(legend))
            if m.reference:
                facts.append(f"**Source:** {explain.md(m.reference)}")
            st.markdown("  \n".join(facts))
        if picture is not None:
            picture.image(diagrams.diagram(m.name), width="stretch")


st.title("What the numbers mean")
st.markdown("Every column of the per-step table and of a watch file's records, defined so that two people get the "
            "same number. Angles are measured in the runner's own frame: **forward is positive** and the "
            "vertical is the ground's vertical. Per-step values are read at initial contact (IC) unless "
            "the definition says toe-off (TO).")
st.markdown("**Garmin colour bands** (cadence, ground contact, vertical oscillation, vertical ratio): "
            + " · ".join(f"{b}: {BAND_MEANING[b]}" for b in BAND_ORDER) + ".")
st.header("Per contact", anchor="per-contact")
st.caption("Clips, landmark files and IMU recordings: one row per ground contact.")
for m in sorted((m for m in METRICS if "step" in m.rows), key=lambda m: m.rank):   # form metrics first
    _card(m)
st.header("Watch records", anchor="watch-records")
st.caption("FIT files from watches and pods: one row per record, the device's own values.")
for m in (*[m for m in METRICS if m.rows == ("record",)], DEVELOPER_PATTERN):
    _card(m)
