"""Compare page: sessions of one athlete side by side, the earliest as the baseline, with honest statistics."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import explain, figures, media, player, printable, report, state
from engine.compare import (
    DEFAULT_METRICS,
    base_verdict,
    compare_pair,
    foot_strike_shift,
    plain_summary,
    provenance_flags,
    representative_step,
    session_medians,
)
from engine.errors import LeanlineError
from engine.store import Library, StoredSession


@st.cache_data(show_spinner="Bootstrapping the confidence intervals ...", max_entries=32)
def _changes(base_key: tuple, other_key: tuple, _base, _other) -> pd.DataFrame:
    """The statistics of one pair, cached by the sessions' ids and stored times (edits keep them)."""
    return compare_pair(_base.result, _other.result)


def _short(s: StoredSession) -> str:
    """``2026-09-05 · before block · Treadmill 10.8 km/h``: date, label and title, the athlete left out."""
    return " · ".join(x for x in (s.session_date, s.label, s.title) if x)


def _pick(lib: Library, listing: pd.DataFrame) -> list[StoredSession]:
    """Athlete first, then that athlete's sessions; defaults: one athlete, one input kind, oldest first."""
    default = [i for i in state.compare_selection() if i in set(listing["id"])] or state.default_comparison(listing)
    athletes = listing.drop_duplicates("athlete_id").set_index("athlete_id")["athlete"]
    first = int(listing.set_index("id").loc[default[0], "athlete_id"]) if default else int(athletes.index[0])
    c1, c2 = st.columns([1, 3])
    aid = c1.selectbox("Athlete", list(athletes.index), index=list(athletes.index).index(first),
                       format_func=athletes.get, key="compare_athlete")
    mine = listing[listing["athlete_id"] == aid].sort_values(["session_date", "id"])
    names = {int(r.id): " · ".join(x for x in (r.session_date, r.label, r.title, _KIND.get(r.kind, r.kind)) if x)
             for r in mine.itertuples()}
    ids = list(names)
    if len(ids) < 2:
        return sorted(state.load_sessions(lib, ids), key=lambda s: (s.session_date, s.id))
    picked = [i for i in default if i in names] or ids[-2:]
    before = c2.selectbox("Before (the baseline)", ids, index=ids.index(picked[0]), format_func=names.get,
                          key=f"compare_before_{aid}")
    later = [i for i in ids if i != before]
    after_default = picked[-1] if picked[-1] in later else later[-1]
    after = c2.selectbox("After", later, index=later.index(after_default), format_func=names.get,
                         key=f"compare_after_{aid}_{before}")
    extra = st.multiselect("Also compare with the baseline", [i for i in later if i != after],
                           default=[i for i in picked[1:-1] if i != after and i in later], format_func=names.get,
                           key=f"compare_extra_{aid}")
    chosen = [before, after, *extra]
    state.set_compare_selection(chosen)
    return sorted(state.load_sessions(lib, chosen), key=lambda s: (s.session_date, s.id))


_KIND = {"video": "clip", "landmarks": "clip", "fit": "watch", "imu": "IMU"}


def _headline(base: StoredSession, comparisons: list[tuple[StoredSession, pd.DataFrame]]) -> None:
    """The verdict first: for each later session, what got better, what got worse, in one box."""
    for other, changes in comparisons:
        verdicts = changes["verdict"].map(base_verdict) if not changes.empty else pd.Series(dtype=str)
        better, worse = int((verdicts == "better").sum()), int((verdicts == "worse").sum())
        unclear = int((verdicts == "no clear change").sum())
        head = (f"**{_short(other)}** against **{_short(base)}**: {better} better, {worse} worse, "
                f"{unclear} without a clear change")
        box = st.success if better > worse else st.warning if worse > better else st.info
        box(head + "\n\n" + "\n".join(f"- {line}" for line in plain_summary(changes)[:4]),
            icon=":material/insights:")
        notes = [explain.change_reading(c["metric"], c["median_a"], c["median_b"]) for _, c in changes.iterrows()]
        for note in filter(None, notes):
            st.caption(note)


def _pair(base: StoredSession, other: StoredSession, changes: pd.DataFrame) -> None:
    st.subheader(f"{_short(base)}  →  {_short(other)}")
    for line in plain_summary(changes):
        st.markdown(f"- {line}")
    if changes.empty:
        return
    table = pd.DataFrame({
        "metric": [figures.metric_name(m) for m in changes["metric"]], "verdict": changes["verdict"],
        "before (median)": changes["median_a"], "after (median)": changes["median_b"], "change": changes["diff"],
        "95 % CI": [f"{lo:+.1f} to {hi:+.1f}" for lo, hi in zip(changes["ci_low"], changes["ci_high"])],
        "± measurement": changes["uncertainty"],
        "effect": [f"{m} (δ {d:+.2f})" for m, d in zip(changes["magnitude"], changes["cliffs_delta"])],
        "judged as": [figures.verdict_arrow(m) for m in changes["metric"]],
        "n": [f"{a} / {b}" for a, b in zip(changes["n_a"], changes["n_b"])],
    })
    left, right = st.columns([3, 2])
    left.dataframe(table, hide_index=True, width="stretch", key=f"changes_{other.id}", column_config={
        "metric": st.column_config.TextColumn(pinned=True, help="Open the Metrics page for what each one means"),
        "verdict": st.column_config.TextColumn(pinned=True, help="better or worse only when the 95 % interval "
                                               "of the change excludes zero; otherwise no clear change"),
        **{c: st.column_config.NumberColumn(format="%.1f") for c in ("before (median)", "after (median)", "change")},
        "± measurement": st.column_config.NumberColumn(format="%.1f", help="1 SD of the change that the two "
                                                       "measurements allow (step count, scatter, the pose "
                                                       "model's systematic error); a change is better or worse "
                                                       "only beyond it and beyond its 95 % interval"),
        "effect": st.column_config.TextColumn(help="Cliff's delta: |δ| < 0.15 negligible, < 0.33 small, < 0.47 "
                                              "medium, else large")})
    right.plotly_chart(figures.change_figure(changes), width="stretch", key=f"change_fig_{other.id}")
    shift = foot_strike_shift(base.result, other.result)
    if shift["before"] and shift["after"]:
        st.caption("Foot strike: " + " · ".join(
            f"{k} {shift['before'].get(k, 0) * 100:.0f} % → {shift['after'].get(k, 0) * 100:.0f} %"
            for k in ("rearfoot", "midfoot", "forefoot")))


def _side_by_side(lib: Library, base: StoredSession, other: StoredSession) -> None:
    """Both clips side by side, synchronised at contact n, stepped frame by frame or slowed down."""
    views = []
    for s in (base, other):
        if "video" not in s.media or "landmarks" not in s.media or s.result.row_unit != "step":
            return
        try:
            clip = media.review_clip(s, lib.set_media)
            if clip is None:
                return
            views.append(player.ClipView(name=_short(s), video=clip, track=media.track(s), rows=s.result.rows,
                                         fps=float(s.result.source.get("fps") or 30.0)))
        except (LeanlineError, OSError) as exc:
            st.warning(f"The clips cannot be played side by side: {exc}")
            return
    st.subheader("The two clips side by side")
    st.caption("Go to contact n of both, step both a frame at a time, or play both at ¼ or ½ speed. The yellow "
               "line joins ankle, hips and shoulders; the white line is the vertical through the ankle.")
    st.iframe(player.player_html(views), height=player.player_height(views))


def _typical(lib: Library, sessions: list[StoredSession]) -> list:
    st.subheader("Typical contact of each session")
    st.caption("The contact closest to the session's medians of lean, alignment, overstride and foot strike angle.")
    representative = []
    for col, s in zip(st.columns(len(sessions)), sessions):
        i = representative_step(s.result.rows)
        kf = next(iter(lib.key_frames(s.id, steps=[i])), None) if i is not None else None
        representative.append(kf)
        with col:
            st.markdown(f"**{_short(s)}**")
            if kf is not None:
                r = s.result.rows.iloc[i]
                st.image(kf.jpeg, width="stretch", caption=f"#{i + 1} {kf.side} · lean {r['lean_deg']:+.1f}° · "
                         f"alignment {r['alignment_deg']:+.1f}° · overstride {r['overstride_cm']:.1f} cm · "
                         f"{r['foot_strike']}")
            else:
                st.caption("no contact frames (watch file or no clip)")
    return representative


def _trend(lib: Library, listing: pd.DataFrame, base: StoredSession) -> None:
    """Every session of this athlete with this input kind, over time: medians with 95 % intervals."""
    kind = {"landmarks": "video"}.get(base.kind, base.kind)
    mine = listing[(listing["athlete_id"] == base.athlete_id)
                   & (listing["kind"].replace({"landmarks": "video"}) == kind)].sort_values("session_date")
    if len(mine) < 2:
        return
    st.subheader(f"Trend over {len(mine)} sessions")
    loaded = state.load_sessions(lib, mine["id"].tolist())
    available = [m for m in DEFAULT_METRICS if any(m in s.result.rows.columns for s in loaded)]
    picked = st.multiselect("Metrics", available, default=available[:4], format_func=figures.label, key="trend_pick")
    points = session_medians([(s.session_date, _short(s), s.result) for s in loaded], picked)
    st.plotly_chart(figures.trend_figure(points), width="stretch", key="trend")


def _distributions(sessions: list[StoredSession]) -> None:
    st.subheader("Distributions")
    available = [m for m in DEFAULT_METRICS if all(m in s.result.rows.columns and
                                                   pd.to_numeric(s.result.rows[m], errors="coerce").notna().any()
                                                   for s in sessions)]
    picked = st.multiselect("Metrics", available, default=available[:6], format_func=figures.label,
                            key="dist_metrics")
    grid = st.columns(3)
    for k, m in enumerate(picked):
        grid[k % 3].plotly_chart(figures.distribution_figure([(_short(s), s.result.rows) for s in sessions], m),
                                 width="stretch", key=f"dist_{m}")


def _downloads(base: StoredSession, other: StoredSession, changes: pd.DataFrame, representative: list) -> None:
    lines = plain_summary(changes)
    flags = provenance_flags([base.result, other.result], [base.display_name, other.display_name])
    frames = [representative[0], representative[-1]]
    c1, c2, _ = st.columns([1, 1, 2])
    c1.download_button("HTML report", icon=":material/description:", mime="text/html",
                       file_name="leanline_comparison.html", key="cmp_html",
                       data=lambda: report.comparison_report([base, other], changes, lines, flags, frames).encode())
    problem = printable.pdf_available()
    if problem:
        c2.caption(problem)
    else:
        c2.download_button("PDF report", icon=":material/picture_as_pdf:", mime="application/pdf",
                           file_name="leanline_comparison.pdf", key="cmp_pdf",
                           data=lambda: printable.comparison_pdf([base, other], changes, lines, flags, frames))


lib = state.library()
listing = lib.sessions()
st.title("Compare sessions")
if len(listing) < 2:
    st.info("Comparing needs two sessions. Analyse another clip or watch file on the Analyze page.")
    st.page_link("views/analyze.py", label="Go to Analyze", icon=":material/upload:")
    st.stop()
sessions = _pick(lib, listing)
if len(sessions) < 2:
    st.info("Pick at least two sessions of this athlete that can be read.")
    _trend(lib, listing, sessions[0]) if sessions else None
    st.stop()
base = sessions[0]
for flag in provenance_flags([s.result for s in sessions], [s.display_name for s in sessions]):
    st.warning(flag, icon=":material/warning:")
comparisons = [(o, _changes((base.id, base.created_at), (o.id, o.created_at), base, o)) for o in sessions[1:]]
_headline(base, comparisons)
for other, changes in comparisons:
    _pair(base, other, changes)
st.caption("Intervals: moving-block bootstrap over consecutive steps (blocks of 10), so steps that hang together "
           "are not counted as independent evidence. A change is called better or worse only when its 95 % "
           "interval excludes zero and it is larger than what the measurement itself allows (± measurement).")
_side_by_side(lib, base, sessions[-1])
representative = _typical(lib, sessions)
_trend(lib, listing, base)
_distributions(sessions)
_downloads(base, comparisons[-1][0], comparisons[-1][1], representative)
