"""leanline dashboard: ``streamlit run dashboard/app.py`` (or ``leanline dashboard``).

Five pages: Compare (before/after, the first page), Session (review one session), Analyze (upload),
Library, and Metrics (what every number means).
The first start seeds an empty library with the bundled before/after samples and opens Compare.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` from a source checkout
    sys.path.insert(0, str(ROOT))

from dashboard import state  # noqa: E402

VIEWS = Path(__file__).resolve().parent / "views"

st.set_page_config(page_title="leanline", page_icon=":material/directions_run:", layout="wide")
state.library()  # seeds the samples on the first start
pages = [
    st.Page(VIEWS / "compare.py", title="Compare", icon=":material/compare_arrows:", default=True),
    st.Page(VIEWS / "session.py", title="Session", icon=":material/monitoring:"),
    st.Page(VIEWS / "analyze.py", title="Analyze", icon=":material/upload:"),
    st.Page(VIEWS / "library.py", title="Library", icon=":material/folder_open:"),
    st.Page(VIEWS / "metrics.py", title="Metrics", icon=":material/menu_book:"),
]
with st.sidebar:
    st.markdown("**leanline** · running form, stride by stride, in Pose Method terms")
st.navigation(pages).run()
