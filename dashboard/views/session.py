"""Session page: one session stride by stride — cards, charts, frame scrubber, gallery, table, notes."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import figures, media, report, state
from engine.errors import LeanlineError
from engine.ingest import reanalyze
from engine.notices import code_of
from engine.render import overlay_video
from engine.sources.landmarks_csv import read_landmark_csv

lib = state.library()
listing = lib.sessions()
if listing.empty:
    st.info("The library is empty. Analyse a clip or a watch file on the Analyze page.")
    st.page_link("views/analyze.py", label="Go to Analyze", icon="⬆️")
    st.stop()

names = state.session_names(listing)
ids = list(names)
current = state.selected_session()
if current not in names:
    current = ids[0]
chosen = st.selectbox("Session", ids, index=ids.index(current), format_func=names.get, key="session_pick")
if chosen != current:
    state.select_session(chosen)
loaded = state.load_sessions(lib, [chosen])
if not loaded:
    st.stop()
stored = loaded[0]
res = stored.result
rows = res.rows.reset_index(drop=True)
notes = lib.step_notes(stored.id)

st.title(stored.title)
unit = "contacts" if res.row_unit == "step" else "watch records"
st.caption(f"{stored.athlete} · {stored.session_date}" + (f" · {stored.label}" if stored.label else "")
           + f" · {stored.source_name} ({stored.kind}) · {len(rows)} {unit}"
           + (f" · {res.direction.replace('_', ' ')}" if res.direction else ""))
if len(res.warnings) <= 3:
    for w in res.warnings:
        st.warning(w, icon="⚠️")
else:
    dropped = sum(code_of(w) == "contact_dropped" for w in res.warnings)
    st.warning(f"{len(res.warnings)} warnings from the analysis"
               + (f", {dropped} of them contacts left out because they could not be measured" if dropped else "")
               + ". Read them before trusting the numbers.", icon="⚠️")
    with st.expander("All warnings"):
        for w in res.warnings:
            st.markdown(f"- {w}", unsafe_allow_html=False)
if stored.notes:
    st.info(stored.notes, icon="📝")

# -- summary cards ------------------------------------------------------------------------------
cards = figures.summary_cards(res.summary)
for start in range(0, len(cards), 4):
    cols = st.columns(4)
    for col, card in zip(cols, cards[start:start + 4]):
        with col.container(border=True):
            st.metric(card.title, card.value, help=card.detail)
            if card.band:
                st.badge(f"{card.band} band", color=figures.BAND_BADGES[card.band])
            else:
                st.caption(card.detail)
fs = res.summary.get("foot_strike") or {}
balance = res.summary.get("gct_balance_pct")
facts = []
if fs.get("majority"):
    facts.append(f"mostly **{fs['majority']}** landing (rearfoot {fs.get('rearfoot', 0)}, "
                 f"midfoot {fs.get('midfoot', 0)}, forefoot {fs.get('forefoot', 0)})")
if isinstance(balance, (int, float)) and math.isfinite(balance):
    fact = f"ground contact balance {balance:.1f} % left (49.3–50.7 is even)"
    if res.row_unit == "step" and res.direction and abs(balance - 50.0) > 3.0:
        far = "left" if res.direction == "left_to_right" else "right"
        fact += (f"; from the side the {far} leg is the far one and partly hidden, so part of this difference can "
                 "come from the camera: compare clips filmed from the same side")
    facts.append(fact)
if res.scale_source:
    facts.append(f"lengths scaled from {res.scale_source.replace('_', ' ')}")
elif res.row_unit == "step":
    facts.append("no length scale: give the runner's height to get centimetres")
if facts:
    st.markdown(" · ".join(facts))

# -- frame scrubber and charts -------------------------------------------------------------------
metrics = figures.timeline_metrics(rows)
tcol = "ic_s" if "ic_s" in rows.columns else "time_s" if "time_s" in rows.columns else None
cursor = None
if tcol and rows[tcol].notna().any():
    t_min = 0.0
    t_max = float(res.source.get("duration_s") or rows[tcol].max() + 1.0)
    key = f"scrub_{stored.id}"
    if key not in st.session_state:
        st.session_state[key] = float(rows[tcol].dropna().iloc[0])

    has_picture = res.row_unit == "step" and ("video" in stored.media or "landmarks" in stored.media)
    left, right = st.columns([5, 7]) if has_picture else (None, st.container())
    if res.row_unit == "step":
        contact_labels = [f"#{i + 1} {r.side} at {r.ic_s:.2f} s" for i, r in rows.iterrows()]

        def _jump() -> None:
            i = st.session_state[f"jump_{stored.id}"]
            st.session_state[key] = float(rows.loc[i, "ic_s"])

        (left or right).selectbox("Jump to a contact", list(range(len(rows))), format_func=contact_labels.__getitem__,
                                  key=f"jump_{stored.id}", on_change=_jump)
    fps = float(res.source.get("fps") or 30.0)
    cursor = (left or right).slider("Moment (s)", t_min, max(t_max, t_min + 0.1), key=key,
                                    step=round(1.0 / fps, 4) if res.row_unit == "step" else 1.0, format="%.2f s")
    if has_picture:
        with left:
            zoom = st.toggle("Zoom to the runner", value=True, key="scrub_zoom")
            try:
                img, caption = media.frame_at(stored, cursor, crop=zoom)
                st.image(img, caption=caption, width="stretch")
            except Exception as exc:  # a moved or unreadable clip must not break the page
                st.warning(f"The frame cannot be shown: {exc}")
    with right:
        st.plotly_chart(figures.timeline_figure(rows, metrics, cursor_s=cursor, height_px_per_panel=120),
                        width="stretch", key="timeline")
else:
    st.plotly_chart(figures.timeline_figure(rows, metrics), width="stretch", key="timeline")

laps = figures.lap_table(rows, res.source.get("laps") or [])
if len(laps) > 1:
    with st.expander(f"Laps ({len(laps)})", expanded=False):
        st.dataframe(laps, hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(format="%.1f") for c in laps.columns if c != "lap"})

if res.row_unit == "step" and len(rows):
    c1, c2 = st.columns([1, 2])
    if "foot_strike" in rows.columns and rows["foot_strike"].notna().any():
        c1.plotly_chart(figures.foot_strike_figure(rows), width="stretch", key="strike")
    with c2:
        st.subheader("Notes on a step")
        ic = rows["ic_s"].to_numpy(dtype=float)
        near = int(np.nanargmin(np.abs(ic - cursor))) if cursor is not None and np.isfinite(ic).any() else 0
        step = st.selectbox("Contact", list(range(len(rows))), index=near, key=f"note_step_{stored.id}",
                            format_func=lambda i: f"#{i + 1} {rows.at[i, 'side']} at {rows.at[i, 'ic_s']:.2f} s"
                            + (" · 📝" if i in notes else ""),
                            help="The contact shown on the scrubber is picked; choose another here.")
        with st.form(f"step_note_{stored.id}_{step}", clear_on_submit=False):
            text = st.text_area("Note", value=notes.get(step, ""), max_chars=2000,
                                placeholder="e.g. reaching with the foot here; hips behind the ankle")
            if st.form_submit_button("Save note"):
                try:
                    lib.set_step_note(stored.id, int(step), text)
                    st.success(f"Note {'saved' if text.strip() else 'removed'} on contact {step + 1}.")
                    notes = lib.step_notes(stored.id)
                except Exception as exc:
                    state.show_error(exc)

# -- contact gallery ------------------------------------------------------------------------------
steps_with_frames = lib.key_frame_steps(stored.id)
if steps_with_frames:
    st.subheader("Contact frames")
    st.caption("Ankle → hip → shoulder (yellow) and the vertical through the ankle (white) at every initial contact.")
    per_page = 12
    pages = max(1, math.ceil(len(steps_with_frames) / per_page))
    page = st.number_input(f"Page (of {pages})", 1, pages, 1, key=f"gallery_{stored.id}") - 1 if pages > 1 else 0
    shown = lib.key_frames(stored.id, steps=steps_with_frames[page * per_page:(page + 1) * per_page])
    cols = st.columns(4)
    for k, kf in enumerate(shown):
        cap = figures.contact_caption(kf.step, kf.side, kf.ic_s, rows)
        if kf.step in notes:
            cap += " · 📝"
        cols[k % 4].image(kf.jpeg, caption=cap, width="stretch")

# -- annotated video ------------------------------------------------------------------------------
if "video" in stored.media and "landmarks" in stored.media and res.row_unit == "step":
    st.subheader("Annotated video")
    if "overlay" in stored.media:
        st.video(str(stored.media["overlay"]))
        st.caption("Skeleton on every frame; the ankle-hip-shoulder line held for a moment after each contact.")
    elif st.button("Make the annotated video", key=f"overlay_{stored.id}",
                   help="The clip with the skeleton on every frame and the lean line at each contact (H.264)."):
        try:
            with st.spinner("Drawing every frame ..."), tempfile.TemporaryDirectory(prefix="leanline-") as tmp:
                out = overlay_video(stored.media["video"], read_landmark_csv(stored.media["landmarks"]), rows,
                                    Path(tmp) / "overlay.mp4")
                lib.set_media(stored.id, "overlay", out)
        except LeanlineError as exc:
            st.error(f"The video cannot be made: {exc}")
        else:
            st.rerun()

# -- table and exports ----------------------------------------------------------------------------
st.subheader("Per-step table" if res.row_unit == "step" else "Records")
table = rows.copy()
table.insert(0, "#", range(1, len(table) + 1))
if notes:
    table["note"] = [notes.get(i, "") for i in range(len(table))]
st.dataframe(table, width="stretch", hide_index=True, key="rows_table",
             column_config={c: st.column_config.NumberColumn(format="%.3f" if c.endswith("_s") else "%.1f")
                            for c in table.columns if c != "#" and pd.api.types.is_float_dtype(table[c])})
c1, c2, _ = st.columns([1, 1, 3])
c1.download_button("Download CSV", data=rows.to_csv(index=False).encode(),
                   file_name=f"leanline_session_{stored.id}.csv",
                   mime="text/csv", icon="⬇️")
c2.download_button("HTML report", data=lambda: report.session_report(stored, lib.key_frames(stored.id),
                                                                     notes=notes).encode(),
                   file_name=f"leanline_session_{stored.id}.html", mime="text/html", icon="📄")
if stored.kind in ("video", "landmarks", "imu"):
    with st.expander("Analyse again with other settings"):
        st.caption("Saved as a new session beside this one; this one stays as it is. A clip is re-read from its "
                   "stored landmarks, so the pose model does not run again.")
        with st.form(f"again_{stored.id}"):
            if stored.kind == "imu":
                placements = ["waist", "foot", "wrist"]
                now = res.settings.get("placement", "waist")
                new_placement = st.selectbox("Sensor placement", placements, index=placements.index(now))
                new_height = new_belt = None
            else:
                new_height = st.number_input("Runner's height (cm)", 0.0, 230.0,
                                             float(res.settings.get("height_cm") or 0.0), 1.0)
                new_belt = st.number_input("Treadmill speed (km/h, 0 if overground)", 0.0, 30.0,
                                           float(res.settings.get("treadmill_speed_kmh") or 0.0), 0.1)
                new_placement = None
            if st.form_submit_button("Analyse and save as a new session"):
                try:
                    with st.spinner("Analysing ..."):
                        job = reanalyze(stored.kind, stored.media, height_cm=new_height or None,
                                        treadmill_speed_kmh=new_belt or None, placement=new_placement,
                                        source=res.source)
                        changed = (f"{new_placement} placement" if new_placement else
                                   f"{new_height:.0f} cm" if new_height else "no height")
                        sid = lib.save_session(job.result, athlete=stored.athlete, title=f"{stored.title} ({changed})",
                                               source_name=stored.source_name, label=stored.label,
                                               session_date=stored.session_date, tags=stored.tags,
                                               height_cm=new_height or None, key_frames=job.key_frames,
                                               media=job.media)
                except LeanlineError as exc:
                    st.error(f"{exc}. Nothing was added to the library.")
                else:
                    state.select_session(sid)
                    st.rerun()

with st.expander("Provenance"):
    st.json({"leanline_version": res.leanline_version, "source": res.source, "settings": res.settings,
             "scale_source": res.scale_source, "row_unit": res.row_unit, "stored": stored.created_at})
