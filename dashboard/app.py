"""leanline dashboard: ``streamlit run dashboard/app.py`` (or ``leanline dashboard``).

Four pages: Analyze (upload), Session (review one session), Compare (before/after), Library.
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

st.set_page_config(page_title="leanline", page_icon="🏃", layout="wide")
state.library()  # seeds the samples on the first start
pages = [
    st.Page(VIEWS / "compare.py", title="Compare", icon="⚖️", default=True),
    st.Page(VIEWS / "session.py", title="Session", icon="📈"),
    st.Page(VIEWS / "analyze.py", title="Analyze", icon="⬆️"),
    st.Page(VIEWS / "library.py", title="Library", icon="🗂️"),
]
with st.sidebar:
    st.markdown("**leanline** · running form, stride by stride, in Pose Method terms")
st.navigation(pages).run()
