"""Library page: athletes and their sessions; rename, tag, coach notes, delete with confirmation."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state
from engine.errors import LeanlineError
from engine.store import Library


def _changed(message: str) -> None:
    """After any change: say so on the next run and draw every widget afresh, so no label is stale."""
    st.session_state["lib_flash"] = message
    st.session_state["lib_rev"] = st.session_state.get("lib_rev", 0) + 1
    st.rerun()


def _athlete(lib: Library, athletes: pd.DataFrame, rev: int) -> int:
    ids = athletes["id"].tolist()
    labels = {int(r.id): f"{r.name} ({r.sessions} session{'s' if r.sessions != 1 else ''})"
              for r in athletes.itertuples()}
    remembered = st.session_state.get("lib_athlete_id")
    aid = st.selectbox("Athlete", ids, index=ids.index(remembered) if remembered in ids else 0,
                       format_func=labels.get, key=f"lib_athlete_{rev}")
    st.session_state["lib_athlete_id"] = aid
    athlete = athletes.set_index("id").loc[aid]
    with st.expander("Rename or delete this athlete", icon=":material/manage_accounts:"):
        new_name = st.text_input("Name", value=athlete["name"], max_chars=80, key=f"lib_rename_{aid}_{rev}")
        if st.button("Rename", key=f"lib_rename_go_{aid}_{rev}"):
            try:
                lib.rename_athlete(aid, new_name)
                _changed(f"Renamed to {new_name.strip()}.")
            except LeanlineError as exc:
                st.error(str(exc))
        sure = st.checkbox(f"Yes, delete {athlete['name']} and all {athlete['sessions']} sessions",
                           key=f"lib_del_ath_{aid}_{rev}")
        if st.button("Delete athlete", disabled=not sure, type="secondary", key=f"lib_del_ath_go_{aid}_{rev}"):
            lib.delete_athlete(aid)
            st.session_state.pop("lib_athlete_id", None)
            _changed(f"Deleted {athlete['name']} and their sessions.")
    return aid


def _sessions(sessions: pd.DataFrame, aid: int, rev: int) -> list[int]:
    view = sessions[["id", "session_date", "title", "label", "tags", "kind", "n_rows", "source_name", "notes"]].copy()
    view["tags"] = view["tags"].map(", ".join)
    picked = st.dataframe(view, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
                          key=f"lib_table_{aid}_{rev}", column_config={
                              "id": None, "session_date": "date", "n_rows": "rows", "source_name": "file"})
    rows = picked.selection.rows if picked is not None and hasattr(picked, "selection") else []
    selected = [int(view.iloc[i]["id"]) for i in rows]
    c1, c2 = st.columns(2)
    if c1.button("Compare the selected sessions", disabled=len(selected) < 2, key="lib_compare",
                 icon=":material/compare_arrows:"):
        state.set_compare_selection(selected)
        st.switch_page("views/compare.py")
    if c2.button("Open the selected session", disabled=len(selected) != 1, key="lib_open",
                 icon=":material/open_in_new:"):
        state.select_session(selected[0])
        st.switch_page("views/session.py")
    return selected


def _edit(lib: Library, sessions: pd.DataFrame, selected: list[int], aid: int, rev: int) -> None:
    st.subheader("Edit a session")
    by_id = sessions.set_index("id")
    sid = st.selectbox("Session", by_id.index.tolist(), key=f"lib_edit_pick_{aid}_{rev}",
                       index=by_id.index.get_loc(selected[0]) if len(selected) == 1 else 0,
                       format_func=lambda i: f"{by_id.at[i, 'session_date']} · {by_id.at[i, 'title']}")
    s = by_id.loc[sid]
    with st.form(f"lib_edit_{sid}_{rev}"):
        c1, c2 = st.columns(2)
        title = c1.text_input("Title", value=s["title"], max_chars=120)
        label = c1.text_input("Label", value=s["label"], max_chars=60, help='e.g. "before block", "after block"')
        day = c2.text_input("Date (YYYY-MM-DD)", value=s["session_date"], max_chars=10)
        tags = c2.text_input("Tags (comma separated)", value=", ".join(s["tags"]), max_chars=300)
        notes = st.text_area("Coach notes", value=s["notes"], max_chars=20000)
        if st.form_submit_button("Save changes"):
            try:
                lib.update_session(sid, title=title, label=label, session_date=day, tags=tags, notes=notes)
                _changed(f"Saved “{title.strip() or 'session'}”.")
            except LeanlineError as exc:
                st.error(str(exc))
    sure = st.checkbox(f"Yes, delete the session “{s['title']}” of {s['session_date']}", key=f"lib_del_{sid}_{rev}")
    if st.button("Delete session", disabled=not sure, key=f"lib_del_go_{sid}_{rev}"):
        lib.delete_session(sid)
        _changed(f"Deleted “{s['title']}”.")


lib = state.library()
st.title("Library")
st.caption(f"Stored in {lib.data_dir} (set LEANLINE_DATA_DIR to keep it elsewhere).")
flash = st.session_state.pop("lib_flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")
rev = st.session_state.get("lib_rev", 0)
athletes = lib.athletes()
if athletes.empty:
    st.info("No athletes yet. Analyse a file on the Analyze page.")
    st.stop()
aid = _athlete(lib, athletes, rev)
sessions = lib.sessions(athlete_id=aid)
if sessions.empty:
    st.info("This athlete has no sessions.")
    st.stop()
selected = _sessions(sessions, aid, rev)
_edit(lib, sessions, selected, aid, rev)
