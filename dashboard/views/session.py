"""Session page: one session stride by stride — cards, frame scrubber linked to the charts, slow-motion
player, the same run's watch data, gallery, notes, table and reports."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import explain, figures, media, player, printable, report, state
from engine.errors import LeanlineError
from engine.ingest import reanalyze
from engine.notices import code_of
from engine.render import overlay_video
from engine.store import Library, StoredSession


def _header(lib: Library, stored: StoredSession, rows: pd.DataFrame) -> None:
    res = stored.result
    st.title(stored.title)
    unit = "contacts" if res.row_unit == "step" else "watch records"
    st.caption(f"{stored.athlete} · {stored.session_date}" + (f" · {stored.label}" if stored.label else "")
               + f" · {stored.source_name} ({stored.kind}) · {len(rows)} {unit}"
               + (f" · {res.direction.replace('_', ' ')}" if res.direction else ""))
    flash = st.session_state.pop("session_flash", None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    if len(res.warnings) <= 3:
        for w in res.warnings:
            st.warning(w, icon=":material/warning:")
    else:
        dropped = sum(code_of(w) == "contact_dropped" for w in res.warnings)
        st.warning(f"{len(res.warnings)} warnings from the analysis"
                   + (f", {dropped} of them contacts left out because they could not be measured" if dropped else "")
                   + ". Read them before trusting the numbers.", icon=":material/warning:")
        with st.expander("All warnings"):
            for w in res.warnings:
                st.markdown(f"- {explain.md(w)}")
    with st.expander("Session notes" + (" (1)" if stored.notes else ""), expanded=bool(stored.notes),
                     icon=":material/edit_note:"):
        with st.form(f"session_notes_{stored.id}", border=False):
            text = st.text_area("Coach notes on this session", value=stored.notes, max_chars=20000,
                                placeholder="what to work on, what changed since last time ...")
            if st.form_submit_button("Save notes"):
                try:
                    lib.update_session(stored.id, notes=text)
                except LeanlineError as exc:
                    st.error(str(exc))
                else:
                    st.session_state["session_flash"] = "Notes saved."
                    st.rerun()


def _cards(res, rows: pd.DataFrame) -> None:
    cards = figures.summary_cards(res.summary)
    for start in range(0, len(cards), 4):
        for col, card in zip(st.columns(4), cards[start:start + 4]):
            with col.container(border=True):
                st.metric(card.title, card.value, help=explain.help_text(card.metric))
                reading = explain.reading(card.metric, (res.summary.get(card.metric) or {}).get("median"))
                if card.band:
                    st.badge(f"{card.band} band", color=figures.BAND_BADGES[card.band])
                st.caption(card.detail + (f" · {reading}" if reading else ""))
    facts = []
    fs = res.summary.get("foot_strike") or {}
    if fs.get("majority"):
        facts.append(f"mostly **{fs['majority']}** landing (rearfoot {fs.get('rearfoot', 0)}, "
                     f"midfoot {fs.get('midfoot', 0)}, forefoot {fs.get('forefoot', 0)})")
    balance = res.summary.get("gct_balance_pct")
    if isinstance(balance, (int, float)) and math.isfinite(balance):
        fact = f"ground contact balance {balance:.1f} % left (49.3–50.7 is even)"
        if res.row_unit == "step" and res.direction and abs(balance - 50.0) > 3.0:
            far = "left" if res.direction == "left_to_right" else "right"
            fact += (f"; from the side the {far} leg is the far one and partly hidden, so part of this difference "
                     "can come from the camera: compare clips filmed from the same side")
        facts.append(fact)
    if res.scale_source:
        facts.append(f"lengths scaled from {res.scale_source.replace('_', ' ')}")
    elif res.row_unit == "step":
        facts.append("no length scale: give the runner's height to get centimetres")
    if facts:
        st.markdown(" · ".join(facts))
    if any(figures.band(c.metric, 0.0) is not None for c in figures.summary_cards(res.summary)):
        st.caption("Bands (Garmin, HRM-Run): purple above the 95th percentile of runners, blue 70th–95th, green "
                   "30th–69th, orange 5th–29th, red below the 5th. The Metrics page defines every number.")


def _scrubber(stored: StoredSession, rows: pd.DataFrame) -> float | None:
    """The frame at a moment, moved by the slider, by contact, by frame, or by a click on a chart point."""
    res = stored.result
    tcol = "ic_s" if "ic_s" in rows.columns else "time_s" if "time_s" in rows.columns else None
    metrics = figures.timeline_metrics(rows)
    if not tcol or not rows[tcol].notna().any():
        st.plotly_chart(figures.timeline_figure(rows, metrics), width="stretch", key="timeline")
        return None
    key, step_s = f"scrub_{stored.id}", 1.0 / float(res.source.get("fps") or 30.0)
    t_max = float(res.source.get("duration_s") or rows[tcol].max() + 1.0)

    def move(t: float) -> None:
        st.session_state[key] = float(min(max(t, 0.0), t_max))

    st.session_state.setdefault(key, float(rows[tcol].dropna().iloc[0]))
    if (picked_t := st.session_state.pop(f"{key}_picked", None)) is not None:
        move(picked_t)     # a chart click of the last run: the slider's value may only be set before it is drawn
    ics = rows["ic_s"].to_numpy(float) if res.row_unit == "step" else np.array([])

    has_picture = res.row_unit == "step" and ("video" in stored.media or "landmarks" in stored.media)
    if len(ics):
        now = st.session_state[key]
        b = st.columns(4)
        b[0].button("Previous contact", icon=":material/skip_previous:", key="prev_contact", width="stretch",
                    on_click=lambda: move(ics[ics < now - 1e-6][-1] if (ics < now - 1e-6).any() else ics[0]))
        b[1].button("− 1 frame", key="frame_back", width="stretch", on_click=lambda: move(now - step_s))
        b[2].button("+ 1 frame", key="frame_fwd", width="stretch", on_click=lambda: move(now + step_s))
        b[3].button("Next contact", icon=":material/skip_next:", key="next_contact", width="stretch",
                    on_click=lambda: move(ics[ics > now + 1e-6][0] if (ics > now + 1e-6).any() else ics[-1]))
    left, right = st.columns([5, 7]) if has_picture else (st.container(), st.container())
    with left:
        cursor = st.slider("Moment (s)", 0.0, max(t_max, 0.1), key=key, step=round(step_s, 4) if len(ics) else 1.0,
                           format="%.2f s")
        if has_picture:
            zoom = st.toggle("Zoom to the runner", value=True, key="scrub_zoom")
            try:
                img, caption = media.frame_at(stored, cursor, crop=zoom)
                st.image(img, caption=caption, width="stretch")
            except Exception as exc:  # a moved or unreadable clip must not break the page
                st.warning(f"The frame cannot be shown: {exc}")
    with right:
        picked = st.plotly_chart(figures.timeline_figure(rows, metrics, cursor_s=cursor, height_px_per_panel=120),
                                 width="stretch", key=f"timeline_{stored.id}", on_select="rerun",
                                 selection_mode="points")
        x = figures.picked_x(picked)
        if x is not None and abs(x - cursor) > 1e-6 and st.session_state.get("_last_pick") != (stored.id, x):
            st.session_state["_last_pick"] = (stored.id, x)
            t = float(ics[np.nanargmin(np.abs(ics - x))]) if len(ics) else x
            st.session_state[f"{key}_picked"] = t
            st.rerun()
        st.caption("Click a point to show that contact's frame.")
    return cursor


def _slow_motion(lib: Library, stored: StoredSession) -> None:
    if "video" not in stored.media or "landmarks" not in stored.media or stored.result.row_unit != "step":
        return
    with st.expander("Play the clip in slow motion, frame by frame", icon=":material/slow_motion_video:"):
        try:
            clip = media.review_clip(stored, lib.set_media)
            view = player.ClipView(name=stored.title, video=clip, track=media.track(stored), rows=stored.result.rows,
                                   fps=float(stored.result.source.get("fps") or 30.0))
            st.iframe(player.player_html([view]), height=player.player_height([view], width_px=900))
        except (LeanlineError, OSError) as exc:
            st.warning(f"The clip cannot be played here: {exc}")


def _watch_alongside(lib: Library, stored: StoredSession, listing: pd.DataFrame) -> None:
    """The same run's watch or IMU file (same athlete and day) and the clip on one time axis."""
    if stored.result.row_unit != "step" or stored.kind not in ("video", "landmarks"):
        return
    same_day = listing[(listing["athlete_id"] == stored.athlete_id) & (listing["session_date"] == stored.session_date)
                       & (listing["kind"].isin(["fit", "imu"])) & (listing["id"] != stored.id)]
    if same_day.empty:
        return
    others = state.load_sessions(lib, same_day["id"].tolist())
    if not others:
        return
    st.subheader("The same run on the watch")
    watch = others[0]
    span = float(watch.result.source.get("duration_s") or 0.0)
    clip_s = float(stored.result.source.get("duration_s") or 0.0)
    start = watch.result.source.get("start")
    offset = st.slider("The clip starts at (s into the watch recording)", 0.0, max(span - clip_s, 0.0),
                       value=float(round(max(0.0, 0.5 * (span - clip_s)))), step=1.0, format="%.0f s",
                       key=f"align_{stored.id}",
                       help="Move the clip to where it was filmed in the watch run; with no common clock the "
                            "middle of the run is assumed.")
    fig, verdicts = figures.watch_and_clip_figure(watch.result.rows, stored.result.rows, offset_s=offset)
    st.caption(f"{watch.title} ({watch.kind}{', started ' + str(start)[:16] if start else ''}) and this clip, "
               "on the watch's clock.")
    st.plotly_chart(fig, width="stretch", key=f"watch_clip_{stored.id}")
    for line in verdicts:
        st.markdown(f"- {line}")


def _step_notes(lib: Library, stored: StoredSession, rows: pd.DataFrame, notes: dict, cursor: float | None) -> dict:
    c1, c2 = st.columns([1, 2])
    if "foot_strike" in rows.columns and rows["foot_strike"].notna().any():
        c1.plotly_chart(figures.foot_strike_figure(rows), width="stretch", key="strike")
    with c2:
        st.subheader("Notes on a contact")
        ic = rows["ic_s"].to_numpy(dtype=float)
        near = int(np.nanargmin(np.abs(ic - cursor))) if cursor is not None and np.isfinite(ic).any() else 0
        step = st.selectbox("Contact", list(range(len(rows))), index=near, key=f"note_step_{stored.id}_{near}",
                            format_func=lambda i: f"#{i + 1} {rows.at[i, 'side']} at {rows.at[i, 'ic_s']:.2f} s",
                            help="The contact shown on the scrubber is picked; choose another here.")
        if notes:
            st.caption("Contacts with a note: " + ", ".join(f"#{k + 1}" for k in sorted(notes)))
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
    return notes


def _gallery(lib: Library, stored: StoredSession, rows: pd.DataFrame, notes: dict) -> None:
    steps = lib.key_frame_steps(stored.id)
    if not steps:
        return
    st.subheader("Contact frames")
    st.caption("Ankle → hip → shoulder (yellow) and the vertical through the ankle (white) at every initial contact. "
               "Open one to show it on the scrubber.")
    per_page = 12
    pages = max(1, math.ceil(len(steps) / per_page))
    page = st.number_input(f"Page (of {pages})", 1, pages, 1, key=f"gallery_{stored.id}") - 1 if pages > 1 else 0
    shown = lib.key_frames(stored.id, steps=steps[page * per_page:(page + 1) * per_page])
    for start in range(0, len(shown), 3):                 # row by row, so a phone shows them in order
        for col, kf in zip(st.columns(3), shown[start:start + 3]):
            cap = figures.contact_caption(kf.step, kf.side, kf.ic_s, rows)
            cap += " · has a note" if kf.step in notes else ""
            col.image(kf.jpeg, caption=cap, width="stretch")
            col.button("Open", key=f"open_{stored.id}_{kf.step}", icon=":material/open_in_new:",
                       on_click=lambda t=kf.ic_s: st.session_state.__setitem__(f"scrub_{stored.id}", float(t)))


def _annotated_video(lib: Library, stored: StoredSession, rows: pd.DataFrame) -> None:
    if not ("video" in stored.media and "landmarks" in stored.media and stored.result.row_unit == "step"):
        return
    st.subheader("Annotated video")
    if "overlay" in stored.media:
        st.video(str(stored.media["overlay"]))
        st.caption("Skeleton on every frame; the ankle-hip-shoulder line held for a moment after each contact.")
    elif st.button("Make the annotated video", key=f"overlay_{stored.id}", icon=":material/movie:",
                   help="The clip with the skeleton on every frame and the lean line at each contact (H.264)."):
        try:
            with st.spinner("Drawing every frame ..."), tempfile.TemporaryDirectory(prefix="leanline-") as tmp:
                out = overlay_video(stored.media["video"], media.track(stored), rows, Path(tmp) / "overlay.mp4")
                lib.set_media(stored.id, "overlay", out)
        except LeanlineError as exc:
            st.error(f"The video cannot be made: {exc}")
        else:
            st.rerun()


def _table(lib: Library, stored: StoredSession, rows: pd.DataFrame, notes: dict) -> None:
    st.subheader("Per-step table" if stored.result.row_unit == "step" else "Records")
    table = rows.copy()
    table.insert(0, "#", range(1, len(table) + 1))
    if notes:
        table["note"] = [notes.get(i, "") for i in range(len(table))]
    config = {}
    for c in table.columns:
        if c in ("#", "note"):
            continue
        numeric = pd.api.types.is_float_dtype(table[c])
        fmt = "%.3f" if c.endswith("_s") else "%.1f"
        help_text = explain.help_text(c)
        config[c] = (st.column_config.NumberColumn(figures.metric_name(c), format=fmt, help=help_text) if numeric
                     else st.column_config.TextColumn(figures.metric_name(c), help=help_text))
    st.dataframe(table, width="stretch", hide_index=True, key="rows_table", column_config=config)
    c1, c2, c3, _ = st.columns([1, 1, 1, 2])
    c1.download_button("Download CSV", data=rows.to_csv(index=False).encode(), mime="text/csv",
                       file_name=f"leanline_session_{stored.id}.csv", icon=":material/download:")
    c2.download_button("HTML report", mime="text/html", file_name=f"leanline_session_{stored.id}.html",
                       icon=":material/description:",
                       data=lambda: report.session_report(stored, lib.key_frames(stored.id), notes=notes).encode())
    problem = printable.pdf_available()
    if problem:
        c3.caption(problem)
    else:
        c3.download_button("PDF report", mime="application/pdf", file_name=f"leanline_session_{stored.id}.pdf",
                           icon=":material/picture_as_pdf:",
                           data=lambda: printable.session_pdf(stored, lib.key_frames(stored.id), notes=notes))


def _what_changed(stored: StoredSession, height: float | None, belt: float | None, placement: str | None) -> str:
    """``(185 cm)``, ``(belt 12.0 km/h)``, ``(foot placement)``: the settings that differ from this session's."""
    s = stored.result.settings
    parts = []
    if placement and placement != s.get("placement"):
        parts.append(f"{placement} placement")
    if (height or None) != (s.get("height_cm") or None):
        parts.append(f"{height:.0f} cm" if height else "no height")
    if (belt or None) != (s.get("treadmill_speed_kmh") or None):
        parts.append(f"belt {belt:.1f} km/h" if belt else "overground")
    return ", ".join(parts) or "again"


def _analyse_again(lib: Library, stored: StoredSession) -> None:
    if stored.kind not in ("video", "landmarks", "imu"):
        return
    res = stored.result
    with st.expander("Analyse again with other settings", icon=":material/refresh:"):
        st.caption("Saved as a new session beside this one, which then opens; this one stays as it is. A clip is "
                   "re-read from its stored landmarks, so the pose model does not run again.")
        with st.form(f"again_{stored.id}"):
            new_height = new_belt = new_placement = None
            if stored.kind == "imu":
                placements = ["waist", "foot", "wrist"]
                new_placement = st.selectbox("Sensor placement", placements,
                                             index=placements.index(res.settings.get("placement", "waist")))
            else:
                new_height = st.number_input("Runner's height (cm)", 0.0, 230.0,
                                             float(res.settings.get("height_cm") or 0.0), 1.0)
                new_belt = st.number_input("Treadmill speed (km/h, 0 if overground)", 0.0, 30.0,
                                           float(res.settings.get("treadmill_speed_kmh") or 0.0), 0.1)
            if st.form_submit_button("Analyse and save as a new session"):
                try:
                    with st.spinner("Analysing ..."):
                        job = reanalyze(stored.kind, stored.media, height_cm=new_height or None,
                                        treadmill_speed_kmh=new_belt or None, placement=new_placement,
                                        source=res.source)
                        changed = _what_changed(stored, new_height, new_belt, new_placement)
                        sid = lib.save_session(job.result, athlete=stored.athlete, title=f"{stored.title} ({changed})",
                                               source_name=stored.source_name, label=stored.label,
                                               session_date=stored.session_date, tags=stored.tags,
                                               height_cm=new_height or None, key_frames=job.key_frames,
                                               media=job.media)
                except LeanlineError as exc:
                    st.error(f"{exc}. Nothing was added to the library.")
                else:
                    state.select_session(sid)
                    st.session_state["session_flash"] = f"Analysed again ({changed}) and saved as a new session."
                    st.rerun()


def _provenance(stored: StoredSession) -> None:
    res = stored.result
    with st.expander("Provenance", icon=":material/info:"):
        st.json({"leanline_version": res.leanline_version, "engine": {k: v for k, v in res.engine.items()
                                                                     if k != "parameters"},
                 "source": res.source, "settings": res.settings, "scale_source": res.scale_source,
                 "row_unit": res.row_unit, "stored": stored.created_at})
        if res.engine.get("parameters"):
            st.caption(f"{len(res.engine['parameters'])} engine parameters")
            st.json(res.engine["parameters"], expanded=False)


lib = state.library()
listing = lib.sessions()
if listing.empty:
    st.info("The library is empty. Analyse a clip or a watch file on the Analyze page.")
    st.page_link("views/analyze.py", label="Go to Analyze", icon=":material/upload:")
    st.stop()
names = state.session_names(listing)
ids = list(names)
current = state.selected_session()
current = current if current in names else ids[0]
chosen = st.selectbox("Session", ids, index=ids.index(current), format_func=names.get, key=f"session_pick_{current}")
if chosen != current:
    state.select_session(chosen)
    st.rerun()
loaded = state.load_sessions(lib, [chosen])
if not loaded:
    st.stop()
stored = loaded[0]
rows = stored.result.rows.reset_index(drop=True)
notes = lib.step_notes(stored.id)
_header(lib, stored, rows)
_cards(stored.result, rows)
cursor = _scrubber(stored, rows)
_slow_motion(lib, stored)
_watch_alongside(lib, stored, listing)
laps = figures.lap_table(rows, stored.result.source.get("laps") or [])
if len(laps) > 1:
    with st.expander(f"Laps ({len(laps)})", expanded=False):
        st.dataframe(laps, hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(format="%.1f") for c in laps.columns if c != "lap"})
if stored.result.row_unit == "step" and len(rows):
    notes = _step_notes(lib, stored, rows, notes, cursor)
_gallery(lib, stored, rows, notes)
_annotated_video(lib, stored, rows)
_table(lib, stored, rows, notes)
_analyse_again(lib, stored)
_provenance(stored)
