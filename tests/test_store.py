"""The session library: round trips, edits, deletes, transactions, two writers at once."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from engine.gait.pipeline import analyze_track
from engine.render import KeyFrame
from engine.store import Library, LibraryError, StoredKeyFrame, open_library
from engine.synth.runner import simulate


@pytest.fixture(scope="module")
def result():
    run = simulate(cadence_spm=172.0, duration_s=6.0, fps=60.0, noise_frac=0.0)
    res = analyze_track(run.track, height_cm=175.0)
    res.source = {"path": "x.csv", "kind": "landmarks", "sha256": "ab" * 32, "fps": 60.0}
    return res


def _media_files(lib: Library) -> list[str]:
    """The stored media files (the lock files are not media)."""
    return sorted(p.name for p in lib.media_dir.iterdir() if not p.name.startswith("."))


def _frame(step: int) -> KeyFrame:
    return KeyFrame(step=step, side="left", ic_s=0.5 * step, image=np.full((24, 32, 3), step * 10, np.uint8))


def test_a_session_comes_back_as_it_was_stored(tmp_path, result):
    lib = Library(tmp_path)
    media = tmp_path / "clip.mp4"
    media.write_bytes(b"not really a clip, only bytes to keep")
    sid = lib.save_session(result, athlete="Ana", title="Track 5 x 400", source_name="/home/ana/My clip.mp4",
                           label="before block", session_date="2026-10-01", tags="intervals, track",
                           height_cm=168.0, key_frames=[_frame(0), _frame(1)], media={"video": media})
    s = lib.session(sid)
    assert (s.athlete, s.title, s.label, s.session_date, s.tags) == (
        "Ana", "Track 5 x 400", "before block", "2026-10-01", ["intervals", "track"])
    assert s.source_name == "My clip.mp4"                     # the folder the user had is not kept
    assert s.result.rows.shape == result.rows.shape
    np.testing.assert_allclose(s.result.rows["cadence_spm"], result.rows["cadence_spm"], rtol=1e-12)
    assert s.result.summary["cadence_spm"]["median"] == pytest.approx(result.summary["cadence_spm"]["median"])
    assert s.result.source["sha256"] == "ab" * 32
    stored_video = s.media["video"]
    assert stored_video.read_bytes() == media.read_bytes()
    assert stored_video.parent == lib.media_dir and "clip" not in stored_video.name  # named by content hash
    frames = lib.key_frames(sid)
    assert [f.step for f in frames] == [0, 1] and frames[1].jpeg[:2] == b"\xff\xd8"
    assert lib.key_frame_steps(sid) == [0, 1] and [f.step for f in lib.key_frames(sid, steps=[1])] == [1]
    athletes = lib.athletes()
    assert athletes.loc[0, "name"] == "Ana" and athletes.loc[0, "height_cm"] == 168.0 and athletes.loc[0,
                                                                                                       "sessions"] == 1


def test_edits_notes_and_deletes(tmp_path, result):
    lib = Library(tmp_path)
    a = lib.save_session(result, athlete="Ana", title="one", source_name="a.csv")
    b = lib.save_session(result, athlete="ana", title="two", source_name="a.csv")  # same athlete, any case
    assert len(lib.athletes()) == 1
    lib.update_session(a, title="Easy run", label="after block", tags=["easy", "easy", " hills "], notes="arms cross")
    s = lib.session(a)
    assert (s.title, s.label, s.tags, s.notes) == ("Easy run", "after block", ["easy", "hills"], "arms cross")
    with pytest.raises(LibraryError, match="not a date"):
        lib.update_session(a, session_date="yesterday")
    lib.set_step_note(a, 2, "heel first here")
    assert lib.step_notes(a) == {2: "heel first here"}
    with pytest.raises(LibraryError, match="not in this session"):
        lib.set_step_note(a, len(result.rows), "past the end")
    lib.set_step_note(a, 2, "")
    assert lib.step_notes(a) == {}
    lib.delete_session(a)
    assert lib.sessions()["id"].tolist() == [b]
    with pytest.raises(LibraryError, match="no session"):
        lib.session(a)
    aid = int(lib.athletes().loc[0, "id"])
    lib.rename_athlete(aid, "Ana María")
    assert lib.session(b).athlete == "Ana María"
    lib.delete_athlete(aid)
    assert lib.sessions().empty and lib.athletes().empty


def test_media_shared_by_two_sessions_outlives_one_delete(tmp_path, result):
    lib = Library(tmp_path)
    clip = tmp_path / "c.mp4"
    clip.write_bytes(b"same bytes")
    a = lib.save_session(result, athlete="A", title="a", source_name="c.mp4", media={"video": clip})
    b = lib.save_session(result, athlete="A", title="b", source_name="c.mp4", media={"video": clip})
    path = lib.session(a).media["video"]
    lib.delete_session(a)
    assert path.exists() and lib.session(b).media["video"] == path
    lib.delete_session(b)
    assert not path.exists()


def test_a_failed_save_leaves_the_library_as_it_was(tmp_path, result):
    lib = Library(tmp_path)
    keep = lib.save_session(result, athlete="A", title="kept", source_name="a.csv")
    before = lib.sessions().drop(columns=["created_at"])
    clip = tmp_path / "new.mp4"
    clip.write_bytes(b"a clip that must not stay behind")
    broken = [StoredKeyFrame(0, "left", 0.1, b"\xff\xd8"), StoredKeyFrame(0, "left", 0.2,
                                                                          b"\xff\xd8")]  # same step twice
    with pytest.raises(sqlite3.IntegrityError):
        lib.save_session(result, athlete="B", title="half", source_name="new.mp4", key_frames=broken,
                         media={"video": clip})
    after = lib.sessions().drop(columns=["created_at"])
    assert after.equals(before)
    assert lib.athletes()["name"].tolist() == ["A"]                       # the new athlete is not left behind
    assert _media_files(lib) == []                                        # the new clip's copy is gone
    assert lib.session(keep).title == "kept"
    con = sqlite3.connect(lib.db_path)
    assert con.execute("SELECT COUNT(*) FROM key_frames").fetchone()[0] == 0
    con.close()


def test_two_writers_at_once(tmp_path, result):
    """Two browser tabs are two threads with their own connections; WAL and the busy timeout serialise them."""
    lib_a, lib_b = Library(tmp_path), Library(tmp_path)
    errors = []

    def write(lib, who):
        try:
            for k in range(15):
                sid = lib.save_session(result, athlete=who, title=f"{who} {k}", source_name="a.csv",
                                       key_frames=[_frame(0)])
                lib.update_session(sid, notes=f"note {k}")
                lib.sessions()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(lib_a, "A")), threading.Thread(target=write, args=(lib_b, "B"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    listing = Library(tmp_path).sessions()
    assert len(listing) == 30 and set(listing["athlete"]) == {"A", "B"}
    assert (listing["notes"].str.startswith("note ")).all()


def test_bad_names_and_locations(tmp_path, result):
    lib = Library(tmp_path)
    with pytest.raises(LibraryError, match="needs a name"):
        lib.save_session(result, athlete="  \x00 ", title="t", source_name="a.csv")
    with pytest.raises(LibraryError, match="not a date"):
        lib.save_session(result, athlete="A", title="t", source_name="a.csv", session_date="2026-13-01")
    assert lib.sessions().empty
    sid = lib.save_session(result, athlete="<b>Bold</b>", title="<script>x</script>", source_name="../../etc/passwd")
    s = lib.session(sid)
    assert s.source_name == "passwd" and s.title == "<script>x</script>"   # kept as text; pages never render it as HTML
    assert isinstance(open_library(f"sqlite:///{tmp_path}"), Library)
    with pytest.raises(LibraryError, match="not supported"):
        open_library("postgresql://club/db")


def test_default_folder_follows_the_environment(tmp_path, monkeypatch):
    from engine.store import default_data_dir

    monkeypatch.setenv("LEANLINE_DATA_DIR", str(tmp_path / "lib"))
    assert default_data_dir() == Path(tmp_path / "lib")
    assert Library().db_path == tmp_path / "lib" / "library.sqlite"


def test_a_file_added_later_replaces_its_role_and_goes_with_the_session(tmp_path, result):
    lib = Library(tmp_path / "lib")
    sid = lib.save_session(result, athlete="Ana", title="t", source_name="x.csv")
    first, second = tmp_path / "a.mp4", tmp_path / "b.mp4"
    first.write_bytes(b"first overlay")
    second.write_bytes(b"second overlay")
    kept = lib.set_media(sid, "overlay", first)
    assert lib.session(sid).media["overlay"] == kept and kept.read_bytes() == b"first overlay"
    again = lib.set_media(sid, "overlay", second)
    assert not kept.exists() and lib.session(sid).media == {"overlay": again}
    with pytest.raises(LibraryError, match="no session with id 999"):
        lib.set_media(999, "overlay", first)
    assert _media_files(lib) == [again.name]                              # the refused copy is gone
    lib.delete_session(sid)
    assert not again.exists()
