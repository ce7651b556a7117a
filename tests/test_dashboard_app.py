from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


def test_first_page_compares_the_bundled_samples():
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["before", "after", "change"]
    assert table.loc["Cadence (spm)", "change"] > 15          # 160 -> 180 spm
    assert table.loc["Overstride (cm)", "after"] < table.loc["Overstride (cm)", "before"]
    text = " ".join(m.value for m in at.markdown)
    assert "rearfoot" in text and "forefoot" in text
