"""leanline dashboard (first page): the bundled before/after sample sessions side by side."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from engine.sources import analyze

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"
METRICS = [
    ("cadence_spm", "Cadence (spm)"), ("ground_contact_ms", "Ground contact (ms)"),
    ("flight_ms", "Flight (ms)"), ("lean_deg", "Lean from the ankles (deg)"),
    ("alignment_deg", "Alignment bend (deg)"), ("trunk_lean_deg", "Trunk lean (deg)"),
    ("overstride_cm", "Overstride (cm)"), ("foot_strike_angle_deg", "Foot strike angle (deg)"),
    ("vertical_oscillation_cm", "Vertical oscillation (cm)"),
]


@st.cache_data(show_spinner="Analysing the sample sessions ...")
def sample_summaries() -> dict[str, dict]:
    out = {}
    for name in ("before", "after"):
        result = analyze(SAMPLES / f"{name}_landmarks.csv", height_cm=175.0, treadmill_speed_kmh=10.8)
        out[name] = result.to_dict()
    return out


def main() -> None:
    st.set_page_config(page_title="leanline", layout="wide")
    st.title("leanline")
    st.caption("Running form, stride by stride, in Pose Method terms.")
    results = sample_summaries()
    table = pd.DataFrame(
        {name: [results[name]["summary"][key]["median"] for key, _ in METRICS] for name in results},
        index=[label for _, label in METRICS],
    )
    table["change"] = table["after"] - table["before"]
    st.subheader("Sample runner: before and after a training block (medians per contact)")
    st.dataframe(table.style.format("{:.1f}"), use_container_width=True)
    for name in results:
        fs = results[name]["summary"]["foot_strike"]
        st.write(f"**{name}**: {len(results[name]['rows'])} contacts, mostly {fs['majority']} strike")


main()
