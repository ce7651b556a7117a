"""Page wiring with streamlit.testing.v1.AppTest, on a library seeded with the bundled samples."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from engine.ingest import ingest
from engine.store import Library

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LEANLINE_DATA_DIR", str(tmp_path / "library"))
    return tmp_path / "library"


def _app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=120)


def _sample_clip_id(lib: Library, label: str) -> int:
    """Id of the seeded clip session labelled ``before block`` or ``after block``."""
    return int(lib.sessions().query("kind == 'landmarks'").set_index("label").loc[label, "id"])


def _open_session(at: AppTest, session_id: int) -> AppTest:
    at.query_params["session"] = str(session_id)
    return at.switch_page("views/session.py").run()


def test_first_start_seeds_the_library_and_opens_the_comparison(data_dir):
    at = _app().run()
    assert not at.exception
    lib = Library(data_dir)
    listing = lib.sessions()
    assert sorted(zip(listing["kind"], listing["label"])) == [("fit", "after block"), ("fit", "before block"),
                                                              ("landmarks", "after block"), ("landmarks",
                                                                                             "before block")]
    assert at.title[0].value == "Compare sessions"
    before, after = (next(b for b in at.selectbox if b.label.startswith(x)).value for x in ("Before", "After"))
    assert [lib.session(i).kind for i in (before, after)] == ["landmarks", "landmarks"]   # clip with clip
    assert lib.session(before).label == "before block"                                   # oldest first
    summary = [m.value for m in at.markdown if m.value.startswith("- ")]
    cadence = next(s for s in summary if s.startswith("- cadence"))
    assert "better" in cadence and "95 % CI" in cadence
    assert any("closer to the hips" in s for s in summary)
    table = at.dataframe[0].value.set_index("metric")
    assert table.loc["cadence (spm)", "change"] > 15                      # 160 -> 180 spm
    assert table.loc["cadence (spm)", "verdict"] == "better"
    assert table.loc["overstride (cm)", "after (median)"] < table.loc["overstride (cm)", "before (median)"]
    assert len(at.get("image")) == 2                                       # the two typical contacts
    at.run()                                                              # a rerun does not seed twice
    assert len(Library(data_dir).sessions()) == 4


def test_watch_sessions_compare_record_by_record(data_dir):
    at = _app().run()
    lib = Library(data_dir)
    watch = lib.sessions().query("kind == 'fit'").sort_values("session_date")["id"].tolist()
    next(b for b in at.selectbox if b.label.startswith("Before")).set_value(watch[0]).run()
    next(b for b in at.selectbox if b.label == "After").set_value(watch[1]).run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("metric")
    assert table.loc["cadence (spm)", "before (median)"] == pytest.approx(160.0, rel=0.02)
    assert table.loc["cadence (spm)", "after (median)"] == pytest.approx(180.0, rel=0.02)
    assert table.loc["ground contact (ms)", "verdict"] == "better"       # 242 -> 180 ms


def test_session_page_shows_table_warnings_gallery_and_saves_a_step_note(data_dir):
    at = _app().run()
    lib = Library(data_dir)
    before_id = _sample_clip_id(lib, "before block")
    _open_session(at, before_id)
    assert not at.exception
    stored = lib.session(before_id)
    assert at.title[0].value == stored.title
    assert [w.value for w in at.warning] == stored.result.warnings     # two or three: each shown
    table = at.dataframe[0].value
    assert len(table) == len(stored.result.rows) and "lean_deg" in table.columns
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cadence"] == f"{stored.result.summary['cadence_spm']['median']:.0f} spm"
    balance = stored.result.summary["gct_balance_pct"]
    said = any("left leg is the far one" in m.value for m in at.markdown)   # the runner goes left to right
    assert said == (abs(balance - 50.0) > 3.0)
    assert len(at.get("image")) == 1 + 12                                  # scrubber frame + first gallery page
    next(b for b in at.selectbox if b.label == "Contact").set_value(2).run()
    next(t for t in at.text_area if t.label == "Note").set_value("foot lands ahead of the knee")
    next(b for b in at.button if b.label == "Save note").click().run()
    assert Library(data_dir).step_notes(stored.id) == {2: "foot lands ahead of the knee"}
    next(t for t in at.text_area if t.label == "Coach notes on this session").set_value("arms cross the body")
    next(b for b in at.button if b.label == "Save notes").click().run()
    assert Library(data_dir).session(stored.id).notes == "arms cross the body"
    assert any("Notes saved." in s.value for s in at.success)


def test_session_page_for_landmarks_without_a_clip(data_dir, tmp_path):
    _app().run()                                                          # seeds
    lib = Library(data_dir)
    job = ingest(ROOT / "sample_data" / "after_landmarks.csv", height_cm=175.0)
    sid = lib.save_session(job.result, athlete="Other tool", title="OpenPose export", source_name="x.csv",
                           key_frames=job.key_frames, media=job.media)
    at = _open_session(_app(), sid)
    assert not at.exception
    assert at.title[0].value == "OpenPose export"
    assert len(job.key_frames) == len(job.result.rows)                    # drawn on a plain canvas
    assert any("forefoot" in m.value for m in at.markdown)


def test_library_page_edits_and_deletes_with_confirmation(data_dir):
    at = _app().run()
    at.switch_page("views/library.py").run()
    assert not at.exception
    lib = Library(data_dir)
    sid = int(lib.sessions().iloc[0]["id"])
    n_before = len(lib.sessions())
    form_inputs = {t.label: t for t in at.text_input}
    form_inputs["Title"].set_value("Treadmill test, 10.8 km/h")
    form_inputs["Tags (comma separated)"].set_value("sample, treadmill")
    at.text_area[0].set_value("Good lean; still reaching a little.")
    next(b for b in at.button if b.label == "Save changes").click().run()
    s = lib.session(sid)
    assert (s.title, s.tags, s.notes) == ("Treadmill test, 10.8 km/h", ["sample", "treadmill"],
                                          "Good lean; still reaching a little.")
    assert any("Saved “Treadmill test, 10.8 km/h”." in m.value for m in at.success)     # said, and seen
    pick = next(b for b in at.selectbox if b.label == "Session")
    assert "Treadmill test, 10.8 km/h" in pick.format_func(pick.value)                 # the label is fresh
    next(t for t in at.text_input if t.label == "Name").set_value("Sample Runner B")
    next(b for b in at.button if b.label == "Rename").click().run()
    athlete = next(b for b in at.selectbox if b.label == "Athlete")
    assert athlete.format_func(athlete.value).startswith("Sample Runner B (")
    delete = next(b for b in at.button if b.label == "Delete session")
    assert delete.disabled                                                # nothing deleted without the tick
    next(c for c in at.checkbox if c.label.startswith("Yes, delete the session")).check().run()
    next(b for b in at.button if b.label == "Delete session").click().run()
    assert sid not in set(Library(data_dir).sessions()["id"])
    assert len(Library(data_dir).sessions()) == n_before - 1


def test_analyze_page_states_the_limit_and_waits_for_a_file(data_dir):
    at = _app().run()
    at.switch_page("views/analyze.py").run()
    assert not at.exception
    assert "MB per file" in at.caption[0].value
    go = next(b for b in at.button if b.label == "Analyze and save")
    assert go.disabled
    assert [o for o in at.selectbox[0].options][:1] == ["Sample runner"]


def test_engine_never_imports_the_ui():
    import subprocess
    import sys

    code = ("import sys, engine.cli, engine.store, engine.compare, engine.ingest, engine.seed, engine.sources;"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_rows_survive_the_library_round_trip(data_dir):
    _app().run()
    lib = Library(data_dir)
    s = lib.session(int(lib.sessions().iloc[0]["id"]))
    assert isinstance(s.result.rows, pd.DataFrame) and s.result.rows["ic_s"].is_monotonic_increasing


def test_session_analysed_again_with_another_height_is_a_new_session(data_dir):
    at = _app().run()
    lib = Library(data_dir)
    old = lib.session(_sample_clip_id(lib, "before block"))
    _open_session(at, old.id)
    height = next(n for n in at.number_input if n.label == "Runner's height (cm)" and n.value == 175.0)
    height.set_value(185.0)
    next(b for b in at.button if b.label == "Analyse and save as a new session").click().run()
    assert not at.exception
    listing = Library(data_dir).sessions()
    assert len(listing) == 5
    new = Library(data_dir).session(int(listing["id"].max()))
    assert new.title == f"{old.title} (185 cm)" and new.kind == old.kind and new.label == old.label
    assert new.result.settings["height_cm"] == 185.0
    # lengths scale with the height; angles and times do not
    ratio = new.result.summary["overstride_cm"]["median"] / old.result.summary["overstride_cm"]["median"]
    assert ratio == pytest.approx(185.0 / 175.0, rel=0.01)
    assert new.result.summary["cadence_spm"]["median"] == pytest.approx(old.result.summary["cadence_spm"]["median"])
    assert len(Library(data_dir).key_frame_steps(new.id)) == len(new.result.rows)
    assert Library(data_dir).session(old.id).result.settings["height_cm"] == 175.0      # the old one is kept


def test_annotated_video_is_made_once_and_kept(data_dir):
    at = _app().run()
    lib = Library(data_dir)
    after_id = _sample_clip_id(lib, "after block")
    _open_session(at, after_id)
    next(b for b in at.button if b.label == "Make the annotated video").click().run()
    assert not at.exception
    kept = Library(data_dir).session(after_id).media["overlay"]
    from engine.pose.video import probe

    info = probe(kept)
    assert info.codec == "h264" and info.frame_count >= 700                 # 12 s at 60 fps
    assert not any(b.label == "Make the annotated video" for b in at.button)   # shown now, not offered again


def test_a_damaged_library_gets_a_clear_page(data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "library.sqlite").write_bytes(b"not a database, only text " * 200)
    at = _app().run()
    assert not at.exception
    assert any("The library cannot be opened" in e.value and "damaged" in e.value for e in at.error)
    assert (data_dir / "library.sqlite").read_bytes().startswith(b"not a database")     # left as it was


def test_the_metrics_page_explains_every_registry_metric(data_dir):
    from engine.metrics import METRICS

    at = _app().run().switch_page("views/metrics.py").run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown).replace("\\", "")
    assert all(m.definition in text for m in METRICS)
    assert len(at.get("image")) == 8                                       # the drawings
