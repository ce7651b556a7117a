"""Library page: athletes and their sessions; rename, tag, coach notes, delete with confirmation."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from engine.errors import LeanlineError

lib = state.library()
st.title("Library")
st.caption(f"Stored in {lib.data_dir} (set LEANLINE_DATA_DIR to keep it elsewhere).")

athletes = lib.athletes()
if athletes.empty:
    st.info("No athletes yet. Analyse a file on the Analyze page.")
    st.stop()

ids = athletes["id"].tolist()
labels = {int(r.id): f"{r.name} ({r.sessions} sessions)" for r in athletes.itertuples()}
aid = st.selectbox("Athlete", ids, format_func=labels.get, key="lib_athlete")
athlete = athletes.set_index("id").loc[aid]

with st.expander("Rename or delete this athlete"):
    new_name = st.text_input("Name", value=athlete["name"], max_chars=80, key=f"lib_rename_{aid}")
    if st.button("Rename", key=f"lib_rename_go_{aid}"):
        try:
            lib.rename_athlete(aid, new_name)
            st.rerun()
        except LeanlineError as exc:
            st.error(str(exc))
    sure = st.checkbox(f"Yes, delete {athlete['name']} and all {athlete['sessions']} sessions",
                       key=f"lib_del_ath_{aid}")
    if st.button("Delete athlete", disabled=not sure, type="secondary", key=f"lib_del_ath_go_{aid}"):
        lib.delete_athlete(aid)
        st.rerun()

sessions = lib.sessions(athlete_id=aid)
if sessions.empty:
    st.info("This athlete has no sessions.")
    st.stop()

view = sessions[["id", "session_date", "title", "label", "tags", "kind", "n_rows", "source_name", "notes"]].copy()
view["tags"] = view["tags"].map(", ".join)
picked = st.dataframe(view, hide_index=True, width="stretch", on_select="rerun",
                      selection_mode="multi-row", key=f"lib_table_{aid}",
                      column_config={"id": None, "session_date": "date", "n_rows": "rows", "source_name": "file"})
rows = picked.selection.rows if picked is not None and hasattr(picked, "selection") else []
selected = [int(view.iloc[i]["id"]) for i in rows]

c1, c2 = st.columns(2)
if c1.button("Compare the selected sessions", disabled=len(selected) < 2, key="lib_compare"):
    state.set_compare_selection(selected)
    st.switch_page("views/compare.py")
if c2.button("Open the selected session", disabled=len(selected) != 1, key="lib_open"):
    state.select_session(selected[0])
    st.switch_page("views/session.py")

st.subheader("Edit a session")
by_id = sessions.set_index("id")
sid = st.selectbox("Session", by_id.index.tolist(), key=f"lib_edit_pick_{aid}",
                   index=by_id.index.get_loc(selected[0]) if len(selected) == 1 else 0,
                   format_func=lambda i: f"{by_id.at[i, 'session_date']} · {by_id.at[i, 'title']}")
s = by_id.loc[sid]
with st.form(f"lib_edit_{sid}"):
    c1, c2 = st.columns(2)
    title = c1.text_input("Title", value=s["title"], max_chars=120)
    label = c1.text_input("Label", value=s["label"], max_chars=60, help='e.g. "before block", "after block"')
    day = c2.text_input("Date (YYYY-MM-DD)", value=s["session_date"], max_chars=10)
    tags = c2.text_input("Tags (comma separated)", value=", ".join(s["tags"]), max_chars=300)
    notes = st.text_area("Coach notes", value=s["notes"], max_chars=20000)
    if st.form_submit_button("Save changes"):
        try:
            lib.update_session(sid, title=title, label=label, session_date=day, tags=tags, notes=notes)
            st.success("Saved.")
            st.rerun()
        except LeanlineError as exc:
            st.error(str(exc))
sure = st.checkbox(f"Yes, delete the session “{s['title']}” of {s['session_date']}", key=f"lib_del_{sid}")
if st.button("Delete session", disabled=not sure, key=f"lib_del_go_{sid}"):
    lib.delete_session(sid)
    st.rerun()
