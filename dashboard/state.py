"""The dashboard's one state module: the library handle, first-run seeding, and what is selected.

Pages read and write selection only through these functions, so a page never depends on another
page's session-state keys. The selected session also lives in the URL (``?session=ID``), so a link or
a reload opens the same session.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from engine.errors import LeanlineError
from engine.store import Library, default_data_dir, session_name

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"


def max_upload_mb() -> int:
    """The upload limit Streamlit enforces (``server.maxUploadSize``), which the Analyze page states."""
    return int(st.get_option("server.maxUploadSize"))


@st.cache_resource(show_spinner=False)
def _library(path: str) -> Library:
    return Library(path)


def library() -> Library:
    """The library in the data folder; seeded with the sample sessions the first time it is empty.

    A library that cannot be opened (damaged, read-only, made by a newer leanline) stops the page with
    the reason and what to do; nothing is written to it.
    """
    try:
        lib = _library(str(default_data_dir()))
        if not st.session_state.get("_seed_checked"):
            seed_if_empty(lib)
            st.session_state["_seed_checked"] = True
    except LeanlineError as exc:
        st.error(f"The library cannot be opened: {exc}", icon=":material/error:")
        st.stop()
    return lib


def seed_if_empty(lib: Library) -> list[int]:
    """Store the bundled before/after sessions in a library that was never seeded and has no session
    (once, however many tabs open at the same moment)."""
    from engine.seed import seed_samples

    with st.spinner("First run: adding the sample before/after sessions to your library ..."):
        return lib.seed_once(lambda library: seed_samples(library, SAMPLES))


def load_sessions(lib: Library, ids: list[int]) -> list:
    """The stored sessions of ``ids``; one that cannot be read is named in a warning and left out."""
    out = []
    for i in ids:
        try:
            out.append(lib.session(i))
        except LeanlineError as exc:
            st.warning(str(exc), icon=":material/warning:")
    return out


def session_names(listing: pd.DataFrame) -> dict[int, str]:
    """Session id -> the name people see, for a :meth:`Library.sessions` listing."""
    return {int(r.id): session_name(r.athlete, r.session_date, r.title, r.label) for r in listing.itertuples()}


# -- selection ------------------------------------------------------------------------------------
def selected_session() -> int | None:
    value = st.query_params.get("session")
    try:
        return int(value) if value is not None else st.session_state.get("session_id")
    except ValueError:
        return None


def select_session(session_id: int) -> None:
    st.session_state["session_id"] = int(session_id)
    st.query_params["session"] = str(int(session_id))


def default_comparison(listing: pd.DataFrame) -> list[int]:
    """The first and the latest session (oldest first) of one athlete and one input kind (clips with clips,
    watch files with watch files): the group of the newest session when it has two, else the newest group
    that has; [] when no athlete has two sessions of one kind."""
    if listing.empty:
        return []
    ordered = listing.sort_values(["session_date", "id"], ascending=False)
    kind = ordered["kind"].replace({"landmarks": "video"})            # a clip's landmarks are the clip
    for (athlete, k) in dict.fromkeys(zip(ordered["athlete_id"], kind)):
        group = ordered[(ordered["athlete_id"] == athlete) & (kind == k)]
        if len(group) >= 2:
            return [int(group.iloc[-1]["id"]), int(group.iloc[0]["id"])]
    return []


def compare_selection() -> list[int]:
    return list(st.session_state.get("compare_ids", []))


def set_compare_selection(ids: list[int]) -> None:
    st.session_state["compare_ids"] = [int(i) for i in ids]


def show_error(exc: Exception) -> None:
    """A LeanlineError's one-line reason, or a short bug notice; never a traceback for bad input."""
    if isinstance(exc, LeanlineError):
        st.error(str(exc))
    else:
        st.error(f"Something went wrong inside leanline ({type(exc).__name__}: {exc}). "
                 "The library was not changed.")
