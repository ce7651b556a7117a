"""Compare page: sessions side by side, the earliest as the baseline, with honest statistics."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import figures, report, state
from engine.compare import (
    DEFAULT_METRICS,
    compare_results,
    foot_strike_shift,
    plain_summary,
    provenance_flags,
    representative_step,
)

lib = state.library()
listing = lib.sessions()
st.title("Compare sessions")
if len(listing) < 2:
    st.info("Comparing needs two sessions. Analyse another clip or watch file on the Analyze page.")
    st.page_link("views/analyze.py", label="Go to Analyze", icon="⬆️")
    st.stop()

names = state.session_names(listing)
default = [i for i in state.compare_selection() if i in names]
if len(default) < 2:
    default = state.default_comparison(listing)
chosen = st.multiselect("Sessions to compare (the earliest date is the baseline)", list(names), default=default,
                        format_func=names.get, key="compare_pick")
state.set_compare_selection(chosen)
if len(chosen) < 2:
    st.info("Pick at least two sessions.")
    st.stop()

sessions = sorted(state.load_sessions(lib, chosen), key=lambda s: (s.session_date, s.id))
if len(sessions) < 2:
    st.info("Pick at least two sessions that can be read.")
    st.stop()
base = sessions[0]
if len({s.athlete_id for s in sessions}) > 1:
    st.warning("These sessions belong to different athletes: differences are between runners, not a training effect.")
for flag in provenance_flags([s.result for s in sessions], [s.display_name for s in sessions]):
    st.warning(flag, icon="⚠️")

@st.cache_data(show_spinner="Bootstrapping the confidence intervals ...", max_entries=32)
def _changes(base_key: tuple, other_key: tuple, _base, _other) -> pd.DataFrame:
    """The statistics of one pair, cached by the sessions' ids and stored times (edits keep them)."""
    return compare_results(_base.result, _other.result)


def _short(s) -> str:
    """``2026-09-05 before block · Treadmill 10.8 km/h``: date, label and title, the athlete left out."""
    return f"{s.session_date} " + " · ".join(x for x in (s.label, s.title) if x)


comparisons = []
for other in sessions[1:]:
    changes = _changes((base.id, base.created_at), (other.id, other.created_at), base, other)
    comparisons.append((other, changes))
    st.subheader(f"{_short(base)}  →  {_short(other)}")
    for line in plain_summary(changes):
        st.markdown(f"- {line}")
    if changes.empty:
        continue
    table = pd.DataFrame({
        "metric": [figures.metric_name(m) for m in changes["metric"]],
        "before (median)": changes["median_a"], "after (median)": changes["median_b"], "change": changes["diff"],
        "95 % CI low": changes["ci_low"], "95 % CI high": changes["ci_high"],
        "Cliff's delta": changes["cliffs_delta"], "effect": changes["magnitude"], "verdict": changes["verdict"],
        "judged as": [figures.verdict_arrow(m) for m in changes["metric"]],
        "n": [f"{a} / {b}" for a, b in zip(changes["n_a"], changes["n_b"])],
    })
    left, right = st.columns([3, 2])
    left.dataframe(table, hide_index=True, width="stretch", key=f"changes_{other.id}",
                   column_config={c: st.column_config.NumberColumn(format="%.1f") for c in
                                  ("before (median)", "after (median)", "change", "95 % CI low", "95 % CI high")}
                   | {"Cliff's delta": st.column_config.NumberColumn(format="%.2f")})
    right.plotly_chart(figures.change_figure(changes), width="stretch", key=f"change_fig_{other.id}")
    shift = foot_strike_shift(base.result, other.result)
    if shift["before"] and shift["after"]:
        st.caption("Foot strike: " + " · ".join(
            f"{k} {shift['before'].get(k, 0) * 100:.0f} % → {shift['after'].get(k, 0) * 100:.0f} %"
            for k in ("rearfoot", "midfoot", "forefoot")))
st.caption("Intervals: moving-block bootstrap over consecutive steps (blocks of 10), so steps that hang together "
           "are not counted as independent evidence. A change is called better or worse only when its 95 % "
           "interval excludes zero; Cliff's delta: |d| < 0.15 negligible, < 0.33 small, < 0.47 medium, else large.")

# -- representative contacts ----------------------------------------------------------------------
st.subheader("Typical contact of each session")
st.caption("The contact closest to the session's medians of lean, alignment, overstride and foot strike angle.")
representative = []
cols = st.columns(len(sessions))
for col, s in zip(cols, sessions):
    i = representative_step(s.result.rows)
    kf = next(iter(lib.key_frames(s.id, steps=[i])), None) if i is not None else None
    representative.append(kf)
    with col:
        st.markdown(f"**{_short(s)}**")
        if kf is not None:
            r = s.result.rows.iloc[i]
            st.image(kf.jpeg, width="stretch",
                     caption=f"#{i + 1} {kf.side} · lean {r['lean_deg']:+.1f}° · "
                             f"alignment {r['alignment_deg']:+.1f}° · "
                             f"overstride {r['overstride_cm']:.1f} cm · {r['foot_strike']}")
        else:
            st.caption("no contact frames (watch file or no clip)")

# -- distributions -------------------------------------------------------------------------------
st.subheader("Distributions")
available = [m for m in DEFAULT_METRICS if all(m in s.result.rows.columns and
                                               pd.to_numeric(s.result.rows[m], errors="coerce").notna().any()
                                               for s in sessions)]
picked = st.multiselect("Metrics", available, default=available[:6], format_func=figures.label, key="dist_metrics")
grid = st.columns(3)
for k, m in enumerate(picked):
    grid[k % 3].plotly_chart(figures.distribution_figure([(f"{s.session_date} {s.label}".strip(), s.result.rows)
                                                          for s in sessions], m),
                             width="stretch", key=f"dist_{m}")

if comparisons:
    other, changes = comparisons[-1]
    st.download_button(
        "HTML report of this comparison", icon="📄", mime="text/html", file_name="leanline_comparison.html",
        data=lambda: report.comparison_report(
            [base, other], changes, plain_summary(changes),
            provenance_flags([base.result, other.result], [base.display_name, other.display_name]),
            [representative[0], representative[-1]]).encode())
