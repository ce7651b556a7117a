"""The library under faults: concurrent save and delete of one clip, two first starts, crashes, damaged files."""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import sqlite3
import time
from pathlib import Path

import pytest

from engine.model import AnalysisResult
from engine.store import DB_NAME, SCHEMA_VERSION, Library, LibraryError


def _result() -> AnalysisResult:
    import pandas as pd

    rows = pd.DataFrame({"side": ["left", "right"], "ic_s": [0.1, 0.43], "cadence_spm": [180.0, 181.0]})
    return AnalysisResult(source={"kind": "video", "sha256": "cd" * 32}, rows=rows,
                          summary={"cadence_spm": {"median": 180.5, "mean": 180.5, "sd": 0.7, "n": 2}})


def _save_check_delete(data_dir: str, clip: str, loops: int, queue) -> None:
    """One writer: save a session with the clip, check its file is there, delete the session."""
    lib = Library(data_dir)
    lost = 0
    for k in range(loops):
        sid = lib.save_session(_result(), athlete="A", title=f"{os.getpid()} {k}", source_name="clip.mp4",
                               media={"video": Path(clip)})
        with lib._connect() as con:
            name = con.execute("SELECT file_name FROM media WHERE session_id = ?", (sid,)).fetchone()[0]
        if not (lib.media_dir / name).is_file():
            lost += 1
        lib.delete_session(sid)
    queue.put(lost)


def test_two_processes_saving_and_deleting_one_clip_lose_nothing(tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(os.urandom(256 * 1024))
    Library(tmp_path / "lib")
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_save_check_delete, args=(str(tmp_path / "lib"), str(clip), 250, q)) for _ in range(2)]
    for p in procs:
        p.start()
    lost = [q.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert lost == [0, 0]
    lib = Library(tmp_path / "lib")
    assert lib.integrity_problems() == []
    assert lib.sessions().empty and [p for p in lib.media_dir.iterdir() if not p.name.startswith(".")] == []


def test_a_save_never_points_at_a_missing_file_while_another_session_is_deleted(tmp_path):
    """The interleaving that lost clips: a delete's reference check runs while a save of the same clip is in
    progress. With the media lock the delete waits, and then sees the new row."""
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"the same clip twice")
    lib = Library(tmp_path / "lib")
    first = lib.save_session(_result(), athlete="A", title="first", source_name="clip.mp4", media={"video": clip})
    second = lib.save_session(_result(), athlete="A", title="second", source_name="clip.mp4", media={"video": clip})
    lib.delete_session(first)
    assert lib.integrity_problems() == [] and lib.session(second).media["video"].read_bytes() == clip.read_bytes()


def _seed_from_process(data_dir: str, queue) -> None:
    lib = Library(data_dir)

    def seed(library: Library) -> list[int]:
        time.sleep(0.5)              # the seeding takes a while: the other start arrives meanwhile
        return [library.save_session(_result(), athlete="Sample runner", title=t, source_name="s.csv")
                for t in ("before", "after")]

    queue.put(lib.seed_once(seed))


def test_two_first_starts_at_once_seed_the_samples_once(tmp_path):
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_seed_from_process, args=(str(tmp_path), q)) for _ in range(2)]
    for p in procs:
        p.start()
    seeded = sorted(len(q.get(timeout=60)) for _ in procs)
    for p in procs:
        p.join(timeout=30)
    assert seeded == [0, 2]
    assert len(Library(tmp_path).sessions()) == 2


def test_seeding_does_not_come_back_once_the_samples_are_deleted(tmp_path):
    lib = Library(tmp_path)
    ids = lib.seed_once(lambda library: [library.save_session(_result(), athlete="S", title="s", source_name="s")])
    lib.delete_session(ids[0])
    assert lib.seed_once(lambda library: pytest.fail("seeded twice")) == []


def test_leftovers_of_a_crash_are_removed_on_the_next_start(tmp_path):
    lib = Library(tmp_path)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"kept clip")
    sid = lib.save_session(_result(), athlete="A", title="t", source_name="clip.mp4", media={"video": clip})
    kept = lib.session(sid).media["video"]
    orphan = lib.media_dir / ("ef" * 32 + ".mp4")          # renamed into place, then the process died
    orphan.write_bytes(b"no row names me")
    stale = lib.media_dir / ".incoming-abc123"              # a copy that was never finished
    stale.write_bytes(b"half a clip")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    fresh = lib.media_dir / ".incoming-def456"              # another writer's copy in progress
    fresh.write_bytes(b"being copied right now")
    Library(tmp_path)
    assert kept.is_file() and not orphan.exists() and not stale.exists() and fresh.exists()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_corrupt_library_file_is_refused_with_what_to_do_and_left_alone(tmp_path):
    (tmp_path / DB_NAME).write_bytes(b"this is not SQLite at all, only some bytes " * 100)
    before = _sha(tmp_path / DB_NAME)
    with pytest.raises(LibraryError, match="damaged.*move it away"):
        Library(tmp_path)
    assert _sha(tmp_path / DB_NAME) == before


def test_a_foreign_or_newer_sqlite_file_is_not_touched(tmp_path):
    con = sqlite3.connect(tmp_path / DB_NAME)
    con.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    con.commit()
    con.close()
    before = _sha(tmp_path / DB_NAME)
    with pytest.raises(LibraryError, match="not a leanline library"):
        Library(tmp_path)
    assert _sha(tmp_path / DB_NAME) == before
    newer = tmp_path / "newer"
    Library(newer)
    con = sqlite3.connect(newer / DB_NAME)
    con.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(LibraryError, match="newer leanline"):
        Library(newer)


def test_an_old_library_is_backed_up_then_migrated(tmp_path):
    lib = Library(tmp_path)
    sid = lib.save_session(_result(), athlete="Ana", title="kept", source_name="a.csv")
    con = sqlite3.connect(tmp_path / DB_NAME)      # make it a version-1 library again
    con.execute("DROP TABLE meta")
    con.execute("PRAGMA user_version=1")
    con.commit()
    con.close()
    lib = Library(tmp_path)
    assert lib.session(sid).title == "kept"
    backup = tmp_path / f"{DB_NAME}.v1.bak"
    con = sqlite3.connect(backup)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    assert con.execute("SELECT title FROM sessions").fetchall() == [("kept",)]
    con.close()
    con = sqlite3.connect(tmp_path / DB_NAME)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files anyway")
def test_a_read_only_library_is_refused_with_what_to_do(tmp_path):
    Library(tmp_path)
    (tmp_path / DB_NAME).chmod(0o444)
    with pytest.raises(LibraryError, match="read-only"):
        Library(tmp_path)


def test_one_damaged_row_leaves_the_other_sessions_readable(tmp_path):
    lib = Library(tmp_path)
    good = lib.save_session(_result(), athlete="A", title="good", source_name="a.csv")
    bad = lib.save_session(_result(), athlete="A", title="bad", source_name="b.csv")
    con = sqlite3.connect(tmp_path / DB_NAME)
    con.execute("UPDATE sessions SET result_json = '{not json', tags = 'nor this' WHERE id = ?", (bad,))
    con.commit()
    con.close()
    assert sorted(lib.sessions()["title"]) == ["bad", "good"]
    with pytest.raises(LibraryError, match="damaged.*delete it"):
        lib.session(bad)
    assert lib.session(good).result.summary["cadence_spm"]["median"] == 180.5
    lib.delete_session(bad)
    assert lib.sessions()["title"].tolist() == ["good"]
    assert json.loads(lib.session(good).result.to_json())["rows"][0]["side"] == "left"
