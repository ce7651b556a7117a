"""The session library: athletes, their analysed sessions, key frames and notes, in SQLite.

One small interface (:class:`Library`) so that a server database can serve a club later; the
embedded default is one SQLite file in a data folder (``$LEANLINE_DATA_DIR``, else
``~/.local/share/leanline``). Media (the uploaded clip, the landmark track) sit next to it under
``media/``, named by their content hash, never by what the user called them.

Safety:
- every write is one transaction; a session and its key frames land together or not at all;
- the database runs in WAL mode with a busy timeout, and every call opens its own connection, so
  two browser tabs (two threads, or two processes) can read and write at once;
- analysis happens before anything is written: a crash or a bad file leaves the library untouched;
- media files are written to a temporary name and renamed, and removed again if the transaction fails.

Media protocol (why a clip can never be lost to a concurrent delete)
    A media file is shared by every session whose clip has the same content, so "is this file still
    needed?" and "this file is needed now" must never interleave. Every step that claims a file (puts
    it in place, or finds it there, and inserts the row that references it) and every step that
    releases one (deletes rows, then unlinks the files no row references) runs under one exclusive
    advisory lock, ``media/.lock`` (``fcntl.flock``: across threads and processes; released by the
    kernel when a holder dies). The invariant under the lock: every ``media`` row names a file that
    exists, and a file that no row names is garbage. The slow part, copying an upload, happens
    before the lock, into ``media/.incoming-*``; under the lock it is only renamed into place.
    On opening, the library removes, under the same lock, files that no row names (left by a crash
    between the rename and the commit) and ``.incoming-*`` copies older than an hour.

Schema versions
    ``PRAGMA user_version`` holds the schema version. A library of an older version is copied to
    ``library.sqlite.v<N>.bak`` (SQLite's online backup) before its migration runs, in one
    transaction; a library of a newer version, a file that is not a leanline library and a damaged
    or read-only file are refused with a :class:`LibraryError` that says what to do, and are never
    modified.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from engine.errors import LeanlineError
from engine.model import AnalysisResult
from engine.sources import file_sha256

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks; one process at a time
    fcntl = None  # type: ignore[assignment]

SCHEMA_VERSION = 2
DB_NAME = "library.sqlite"
_MEDIA_SUFFIX = re.compile(r"^\.[a-z0-9]{1,5}$")
#: A staged upload copy older than this belongs to no live writer.
STALE_INCOMING_S = 3600.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS athletes (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    height_cm   REAL,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id               INTEGER PRIMARY KEY,
    athlete_id       INTEGER NOT NULL REFERENCES athletes(id) ON DELETE CASCADE,
    title            TEXT NOT NULL,
    label            TEXT NOT NULL DEFAULT '',
    session_date     TEXT NOT NULL,
    tags             TEXT NOT NULL DEFAULT '[]',
    notes            TEXT NOT NULL DEFAULT '',
    kind             TEXT NOT NULL,
    source_name      TEXT NOT NULL,
    source_sha256    TEXT NOT NULL,
    leanline_version TEXT NOT NULL,
    row_unit         TEXT NOT NULL,
    n_rows           INTEGER NOT NULL,
    result_json      TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_athlete ON sessions(athlete_id, session_date);
CREATE TABLE IF NOT EXISTS key_frames (
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    step        INTEGER NOT NULL,
    side        TEXT NOT NULL,
    ic_s        REAL NOT NULL,
    jpeg        BLOB NOT NULL,
    PRIMARY KEY (session_id, step)
);
CREATE TABLE IF NOT EXISTS step_notes (
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    step        INTEGER NOT NULL,
    note        TEXT NOT NULL,
    PRIMARY KEY (session_id, step)
);
CREATE TABLE IF NOT EXISTS media (
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    PRIMARY KEY (session_id, role)
);
CREATE TABLE IF NOT EXISTS meta (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL
);
"""
#: The tables (and their columns) of schema version 1, to recognise an unversioned file.
_V1_TABLES = {"athletes", "sessions", "key_frames", "step_notes", "media"}
#: version -> statements that bring a library of that version to the next one
_MIGRATIONS: dict[int, list[str]] = {
    1: ["CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"],
}


class LibraryError(LeanlineError):
    """The library cannot do what was asked (unknown session, duplicate athlete name ...)."""


def _version_and_tables(con: sqlite3.Connection) -> tuple[int, set[str]]:
    version = int(con.execute("PRAGMA user_version").fetchone()[0])
    return version, {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _read_only(db_path: Path) -> LibraryError:
    return LibraryError(f"the library {db_path} is read-only; make it writable, or set LEANLINE_DATA_DIR "
                        "to another folder")


def _library_error(exc: sqlite3.DatabaseError, db_path: Path) -> LibraryError:
    """A SQLite failure as a reason a person can act on."""
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return _read_only(db_path)
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return LibraryError(f"the library file {db_path} is damaged ({text}); move it away (a new library is "
                            "made in its place) or restore it from a backup such as library.sqlite.v1.bak")
    if "locked" in text or "busy" in text:
        return LibraryError(f"the library {db_path} is busy (another leanline holds it: {text}); try again")
    return LibraryError(f"the library {db_path} cannot be used ({text})")


def default_data_dir() -> Path:
    """``$LEANLINE_DATA_DIR``, else ``$XDG_DATA_HOME/leanline``, else ``~/.local/share/leanline``."""
    env = os.environ.get("LEANLINE_DATA_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "leanline"


@dataclass(frozen=True)
class StoredKeyFrame:
    step: int
    side: str
    ic_s: float
    jpeg: bytes


@dataclass
class StoredSession:
    """One session as stored: its library metadata and the analysis result."""

    id: int
    athlete_id: int
    athlete: str
    title: str
    label: str
    session_date: str
    tags: list[str]
    notes: str
    kind: str
    source_name: str
    created_at: str
    result: AnalysisResult
    media: dict[str, Path] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        return session_name(self.athlete, self.session_date, self.title, self.label)


def session_name(athlete: str, session_date: str, title: str, label: str = "") -> str:
    """``Ana · 2026-10-01 · Track 5 x 400 · before block``: how a session is named to people."""
    return f"{athlete} · {session_date} · {title}" + (f" · {label}" if label else "")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _clean_text(value: str, *, max_len: int, what: str) -> str:
    """Strip control characters and surrounding space; refuse empty names and overlong text."""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", str(value)).strip()
    if len(text) > max_len:
        raise LibraryError(f"{what} is longer than {max_len} characters")
    return text


def _tags(stored: str) -> list[str]:
    """A row's tags; a damaged cell reads as no tags rather than taking the listing down."""
    try:
        tags = json.loads(stored)
    except (TypeError, ValueError):
        return []
    return [str(t) for t in tags] if isinstance(tags, list) else []


def _clean_tags(tags: list[str] | str | None) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = tags.split(",")
    out: list[str] = []
    for t in tags:
        t = _clean_text(t, max_len=40, what="a tag")
        if t and t not in out:
            out.append(t)
    return out


class Library:
    """The session library in one SQLite file plus a media folder.

    Parameters
    ----------
    data_dir
        Folder for ``library.sqlite`` and ``media/``; created if missing. Default
        :func:`default_data_dir`.
    """

    def __init__(self, data_dir: str | Path | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.media_dir = self.data_dir / "media"
        self.scratch_dir = self.data_dir / "scratch"
        self.db_path = self.data_dir / DB_NAME
        try:
            self.media_dir.mkdir(parents=True, exist_ok=True)
            self.scratch_dir.mkdir(exist_ok=True)
        except OSError as exc:
            raise LibraryError(f"cannot create the library folder {self.data_dir}: {exc.strerror}; "
                               "set LEANLINE_DATA_DIR to a folder you can write") from None
        if self.db_path.exists() and not os.access(self.db_path, os.R_OK | os.W_OK) or not os.access(
                self.data_dir, os.W_OK):
            raise _read_only(self.db_path)
        self._open_schema()
        self.sweep()

    def _open_schema(self) -> None:
        """Create, check or migrate the schema; never touches a file it does not recognise."""
        try:
            con = sqlite3.connect(self.db_path, timeout=30.0, isolation_level=None)
            try:
                con.execute("PRAGMA busy_timeout=30000")
                self._check_version(*_version_and_tables(con))      # read only: a foreign file stays as it is
                con.execute("PRAGMA journal_mode=WAL")
                con.execute("BEGIN IMMEDIATE")       # one process creates or migrates; the others wait
                try:
                    version, tables = _version_and_tables(con)
                    version = self._check_version(version, tables)
                    if version < SCHEMA_VERSION and tables:
                        con.execute("ROLLBACK")
                        self._backup(version)
                        con.execute("BEGIN IMMEDIATE")
                        version = int(con.execute("PRAGMA user_version").fetchone()[0]) or version
                        for v in range(version, SCHEMA_VERSION):
                            for statement in _MIGRATIONS[v]:
                                con.execute(statement)
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            con.execute(statement)
                    con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                except BaseException:
                    if con.in_transaction:
                        con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            raise _library_error(exc, self.db_path) from None

    def _check_version(self, version: int, tables: set[str]) -> int:
        if version > SCHEMA_VERSION:
            raise LibraryError(f"the library {self.db_path} was made by a newer leanline (schema {version}, this "
                               f"one reads up to {SCHEMA_VERSION}); update leanline")
        if version == 0 and tables:
            if not _V1_TABLES <= tables:
                raise LibraryError(f"{self.db_path} is not a leanline library (its tables: "
                                   f"{', '.join(sorted(tables))}); move it away or set LEANLINE_DATA_DIR")
            return 1
        return version

    def _backup(self, version: int) -> Path:
        """A copy of the library as it is, before a migration changes it."""
        target = self.db_path.with_name(f"{DB_NAME}.v{version}.bak")
        src = sqlite3.connect(self.db_path, timeout=30.0)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        return target

    # -- plumbing -----------------------------------------------------------------------------
    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection whose ``with`` block is one transaction (commit, or rollback on error)."""
        try:
            con = sqlite3.connect(self.db_path, timeout=30.0, isolation_level=None)
        except sqlite3.DatabaseError as exc:
            raise _library_error(exc, self.db_path) from None
        con.row_factory = sqlite3.Row
        try:
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("PRAGMA busy_timeout=30000")
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        except sqlite3.IntegrityError:
            raise
        except sqlite3.DatabaseError as exc:
            raise _library_error(exc, self.db_path) from None
        finally:
            con.close()

    @contextmanager
    def _lock(self, name: str = ".lock") -> Iterator[None]:
        """The exclusive advisory lock ``media/<name>`` (see the media protocol in the module's docstring)."""
        fd = os.open(self.media_dir / name, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)       # closing the descriptor releases the lock

    def _media_name(self, source: Path) -> str:
        suffix = source.suffix.lower() if _MEDIA_SUFFIX.match(source.suffix.lower()) else ".bin"
        return f"{file_sha256(source)}{suffix}"

    def _stage(self, source: Path) -> Path:
        """A copy of ``source`` under ``media/.incoming-*``, made outside the lock (it is the slow part)."""
        fd, tmp = tempfile.mkstemp(dir=self.media_dir, prefix=".incoming-")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
        except BaseException:
            os.unlink(tmp)
            raise
        return Path(tmp)

    @contextmanager
    def _claimed_media(self, files: dict[str, Path]) -> Iterator[dict[str, str]]:
        """Under the media lock: every file of ``files`` (role -> path) in place in ``media/``; yields
        role -> stored name. The caller inserts the rows inside the block; if the block fails, the
        files this call put in place are removed again (no row can name them: the lock was held)."""
        names = {role: self._media_name(Path(path)) for role, path in files.items()}
        staged = {names[role]: self._stage(Path(path)) for role, path in files.items()
                  if not (self.media_dir / names[role]).exists()}
        created: list[str] = []
        try:
            with self._lock():
                try:
                    for role, path in files.items():
                        target = self.media_dir / names[role]
                        if target.exists():
                            continue
                        tmp = staged.pop(names[role], None) or self._stage(Path(path))
                        os.replace(tmp, target)
                        created.append(names[role])
                    yield names
                except BaseException:
                    for name in created:
                        (self.media_dir / name).unlink(missing_ok=True)
                    raise
        finally:
            for tmp in staged.values():
                tmp.unlink(missing_ok=True)

    def _drop_unreferenced_media(self, names: set[str]) -> None:
        """Unlink those of ``names`` that no row references; call with the media lock held."""
        if not names:
            return
        with self._connect() as con:
            still = {r[0] for r in con.execute(
                f"SELECT file_name FROM media WHERE file_name IN ({','.join('?' * len(names))})", tuple(names))}
        for name in names - still:
            (self.media_dir / name).unlink(missing_ok=True)

    def scratch(self) -> Path:
        """A new private folder for one job's temporary files (an upload being analysed); the caller removes
        it, and :meth:`sweep` removes what a crash left behind."""
        return Path(tempfile.mkdtemp(prefix="job-", dir=self.scratch_dir))

    def sweep(self) -> dict[str, int]:
        """Remove what a crash left behind: media files no session references, stale staged copies and
        stale scratch folders."""
        removed = {"unreferenced": 0, "incoming": 0, "scratch": 0}
        now = time.time()
        for entry in self.scratch_dir.iterdir():
            try:
                if now - entry.stat().st_mtime > STALE_INCOMING_S:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
                    removed["scratch"] += 1
            except FileNotFoundError:
                continue
        with self._lock():
            with self._connect() as con:
                referenced = {r[0] for r in con.execute("SELECT DISTINCT file_name FROM media")}
            for entry in self.media_dir.iterdir():
                try:
                    if entry.name.startswith(".incoming-"):
                        if now - entry.stat().st_mtime > STALE_INCOMING_S:
                            entry.unlink()
                            removed["incoming"] += 1
                    elif not entry.name.startswith(".") and entry.is_file() and entry.name not in referenced:
                        entry.unlink()
                        removed["unreferenced"] += 1
                except FileNotFoundError:
                    continue
        return removed

    def integrity_problems(self) -> list[str]:
        """What is wrong with the library: SQLite's own check, and media rows whose file is missing."""
        with self._connect() as con:
            problems = [r[0] for r in con.execute("PRAGMA integrity_check") if r[0] != "ok"]
            rows = con.execute("SELECT session_id, role, file_name FROM media").fetchall()
        problems += [f"session {r['session_id']}: its {r['role']} file {r['file_name']} is missing"
                     for r in rows if not (self.media_dir / r["file_name"]).is_file()]
        return problems

    # -- first-run seeding ----------------------------------------------------------------------
    def seed_once(self, seed: Callable[[Library], list[int]]) -> list[int]:
        """Run ``seed(self)`` if this library was never seeded and has no session; once, however many
        processes or tabs start at the same moment (they wait for the first one under a lock)."""
        with self._lock(".seed.lock"):
            with self._connect() as con:
                seeded = con.execute("SELECT value FROM meta WHERE key = 'samples_seeded'").fetchone()
                empty = con.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0
            if seeded is not None or not empty:
                return []
            ids = seed(self)
            with self._connect() as con:
                con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('samples_seeded', ?)", (_now(),))
        return ids

    # -- athletes -----------------------------------------------------------------------------
    def athletes(self) -> pd.DataFrame:
        """``id, name, height_cm, sessions`` for every athlete, by name."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT a.id, a.name, a.height_cm, COUNT(s.id) AS sessions FROM athletes a "
                "LEFT JOIN sessions s ON s.athlete_id = a.id GROUP BY a.id ORDER BY a.name").fetchall()
        return pd.DataFrame([dict(r) for r in rows], columns=["id", "name", "height_cm", "sessions"])

    def athlete_id(self, name: str, *, height_cm: float | None = None, create: bool = True) -> int:
        """The id of the athlete called ``name`` (case-insensitive), created when missing."""
        with self._connect() as con:
            return self._athlete_id(con, name, height_cm=height_cm, create=create)

    @staticmethod
    def _athlete_id(con: sqlite3.Connection, name: str, *, height_cm: float | None, create: bool) -> int:
        name = _clean_text(name, max_len=80, what="an athlete's name")
        if not name:
            raise LibraryError("an athlete needs a name")
        row = con.execute("SELECT id FROM athletes WHERE name = ?", (name,)).fetchone()
        if row:
            if height_cm is not None:
                con.execute("UPDATE athletes SET height_cm = ? WHERE id = ?", (float(height_cm), row["id"]))
            return int(row["id"])
        if not create:
            raise LibraryError(f"no athlete called {name!r}")
        cur = con.execute("INSERT INTO athletes(name, height_cm, created_at) VALUES (?, ?, ?)",
                          (name, height_cm, _now()))
        return int(cur.lastrowid or 0)

    def rename_athlete(self, athlete_id: int, name: str) -> None:
        name = _clean_text(name, max_len=80, what="an athlete's name")
        if not name:
            raise LibraryError("an athlete needs a name")
        try:
            with self._connect() as con:
                if con.execute("UPDATE athletes SET name = ? WHERE id = ?", (name, athlete_id)).rowcount == 0:
                    raise LibraryError(f"no athlete with id {athlete_id}")
        except sqlite3.IntegrityError:
            raise LibraryError(f"there is already an athlete called {name!r}") from None

    def delete_athlete(self, athlete_id: int) -> None:
        """Delete an athlete and all their sessions."""
        with self._lock():
            with self._connect() as con:
                names = {r[0] for r in con.execute(
                    "SELECT m.file_name FROM media m JOIN sessions s ON s.id = m.session_id WHERE s.athlete_id = ?",
                    (athlete_id,))}
                if con.execute("DELETE FROM athletes WHERE id = ?", (athlete_id,)).rowcount == 0:
                    raise LibraryError(f"no athlete with id {athlete_id}")
            self._drop_unreferenced_media(names)

    # -- sessions -----------------------------------------------------------------------------
    def save_session(
        self,
        result: AnalysisResult,
        *,
        athlete: str,
        title: str,
        source_name: str,
        label: str = "",
        session_date: str | date | None = None,
        tags: list[str] | str | None = None,
        height_cm: float | None = None,
        key_frames: list | None = None,
        media: dict[str, Path] | None = None,
    ) -> int:
        """Store an analysed session with its key frames and media in one transaction; returns its id.

        ``key_frames`` are :class:`engine.render.KeyFrame` (or :class:`StoredKeyFrame`); ``media`` maps
        a role (``"video"``, ``"landmarks"``) to a file to keep with the session.
        """
        session_date = str(session_date or date.today().isoformat())
        try:
            date.fromisoformat(session_date)
        except ValueError:
            raise LibraryError(f"session date {session_date!r} is not a date (YYYY-MM-DD)") from None
        title = _clean_text(title, max_len=120, what="a session title") or "session"
        label = _clean_text(label, max_len=60, what="a label")
        source_name = _clean_text(Path(str(source_name)).name, max_len=200, what="a file name") or "upload"
        payload = result.to_json()
        with self._claimed_media({role: Path(p) for role, p in (media or {}).items()}) as stored_media:
            with self._connect() as con:
                athlete_id = self._athlete_id(con, athlete, height_cm=height_cm, create=True)
                cur = con.execute(
                    "INSERT INTO sessions(athlete_id, title, label, session_date, tags, notes, kind, source_name,"
                    " source_sha256, leanline_version, row_unit, n_rows, result_json, created_at)"
                    " VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?)",
                    (athlete_id, title, label, session_date, json.dumps(_clean_tags(tags)),
                     str(result.source.get("kind", "")), source_name, str(result.source.get("sha256", "")),
                     result.leanline_version, result.row_unit, int(len(result.rows)), payload, _now()))
                sid = int(cur.lastrowid or 0)
                con.executemany(
                    "INSERT INTO key_frames(session_id, step, side, ic_s, jpeg) VALUES (?, ?, ?, ?, ?)",
                    [(sid, int(k.step), str(k.side), float(k.ic_s),
                      k.jpeg if isinstance(k.jpeg, bytes) else k.jpeg()) for k in (key_frames or [])])
                con.executemany("INSERT INTO media(session_id, role, file_name) VALUES (?, ?, ?)",
                                [(sid, role, name) for role, name in stored_media.items()])
        return sid

    def sessions(self, *, athlete_id: int | None = None) -> pd.DataFrame:
        """One row per session (no result payload), newest date first."""
        sql = ("SELECT s.id, s.athlete_id, a.name AS athlete, s.session_date, s.title, s.label, s.tags, s.kind,"
               " s.source_name, s.row_unit, s.n_rows, s.leanline_version, s.notes, s.created_at"
               " FROM sessions s JOIN athletes a ON a.id = s.athlete_id")
        args: tuple = ()
        if athlete_id is not None:
            sql += " WHERE s.athlete_id = ?"
            args = (athlete_id,)
        sql += " ORDER BY s.session_date DESC, s.id DESC"
        with self._connect() as con:
            rows = [dict(r) for r in con.execute(sql, args)]
        for r in rows:
            r["tags"] = _tags(r["tags"])
        cols = ["id", "athlete_id", "athlete", "session_date", "title", "label", "tags", "kind", "source_name",
                "row_unit", "n_rows", "leanline_version", "notes", "created_at"]
        return pd.DataFrame(rows, columns=cols)

    def session(self, session_id: int) -> StoredSession:
        with self._connect() as con:
            r = con.execute("SELECT s.*, a.name AS athlete FROM sessions s JOIN athletes a ON a.id = s.athlete_id"
                            " WHERE s.id = ?", (int(session_id),)).fetchone()
            if r is None:
                raise LibraryError(f"no session with id {session_id}")
            media = {m["role"]: self.media_dir / m["file_name"]
                     for m in con.execute("SELECT role, file_name FROM media WHERE session_id = ?", (session_id,))}
        try:
            result = AnalysisResult.from_dict(json.loads(r["result_json"]))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise LibraryError(f"session {session_id} ({r['title']}) cannot be read: its stored result is damaged "
                               f"({type(exc).__name__}); delete it in the Library page") from None
        return StoredSession(
            id=int(r["id"]), athlete_id=int(r["athlete_id"]), athlete=r["athlete"], title=r["title"],
            label=r["label"], session_date=r["session_date"], tags=_tags(r["tags"]), notes=r["notes"],
            kind=r["kind"], source_name=r["source_name"], created_at=r["created_at"],
            result=result,
            media={k: v for k, v in media.items() if v.exists()},
        )

    def update_session(self, session_id: int, *, title: str | None = None, label: str | None = None,
                       session_date: str | None = None, tags: list[str] | str | None = None,
                       notes: str | None = None) -> None:
        """Change a session's title, label, date, tags or coach notes."""
        changes: dict[str, Any] = {}
        if title is not None:
            changes["title"] = _clean_text(title, max_len=120, what="a session title") or "session"
        if label is not None:
            changes["label"] = _clean_text(label, max_len=60, what="a label")
        if session_date is not None:
            try:
                changes["session_date"] = date.fromisoformat(str(session_date)).isoformat()
            except ValueError:
                raise LibraryError(f"session date {session_date!r} is not a date (YYYY-MM-DD)") from None
        if tags is not None:
            changes["tags"] = json.dumps(_clean_tags(tags))
        if notes is not None:
            changes["notes"] = _clean_text(notes, max_len=20000, what="the notes")
        if not changes:
            return
        with self._connect() as con:
            sets = ", ".join(f"{k} = ?" for k in changes)
            if con.execute(f"UPDATE sessions SET {sets} WHERE id = ?", (*changes.values(), session_id)).rowcount == 0:
                raise LibraryError(f"no session with id {session_id}")

    def set_media(self, session_id: int, role: str, path: str | Path) -> Path:
        """Keep a file with a stored session under ``role`` (e.g. its annotated overlay video), replacing the
        role's earlier file; returns where the library keeps it."""
        with self._claimed_media({role: Path(path)}) as names:
            name = names[role]
            with self._connect() as con:
                if con.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
                    raise LibraryError(f"no session with id {session_id}")
                old = con.execute("SELECT file_name FROM media WHERE session_id = ? AND role = ?",
                                  (session_id, role)).fetchone()
                con.execute("INSERT OR REPLACE INTO media(session_id, role, file_name) VALUES (?, ?, ?)",
                            (session_id, role, name))
            if old is not None and old[0] != name:
                self._drop_unreferenced_media({old[0]})
        return self.media_dir / name

    def delete_session(self, session_id: int) -> None:
        with self._lock():
            with self._connect() as con:
                names = {r[0] for r in con.execute("SELECT file_name FROM media WHERE session_id = ?", (session_id,))}
                if con.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount == 0:
                    raise LibraryError(f"no session with id {session_id}")
            self._drop_unreferenced_media(names)

    # -- key frames and step notes -------------------------------------------------------------
    def key_frames(self, session_id: int, steps: Iterable[int] | None = None) -> list[StoredKeyFrame]:
        """The session's key frames (only those of ``steps`` when given), by step."""
        sql = "SELECT step, side, ic_s, jpeg FROM key_frames WHERE session_id = ?"
        args: tuple = (session_id,)
        if steps is not None:
            steps = [int(k) for k in steps]
            sql += f" AND step IN ({','.join('?' * len(steps))})"
            args += tuple(steps)
        with self._connect() as con:
            rows = con.execute(sql + " ORDER BY step", args).fetchall()
        return [StoredKeyFrame(int(r["step"]), r["side"], float(r["ic_s"]), bytes(r["jpeg"])) for r in rows]

    def key_frame_steps(self, session_id: int) -> list[int]:
        """The steps that have a key frame, without loading the images."""
        with self._connect() as con:
            return [int(r[0]) for r in con.execute(
                "SELECT step FROM key_frames WHERE session_id = ? ORDER BY step", (session_id,))]

    def step_notes(self, session_id: int) -> dict[int, str]:
        with self._connect() as con:
            return {int(r["step"]): r["note"] for r in
                    con.execute("SELECT step, note FROM step_notes WHERE session_id = ?", (session_id,))}

    def set_step_note(self, session_id: int, step: int, note: str) -> None:
        """Attach a coach's note to one step (row index); an empty note removes it."""
        note = _clean_text(note, max_len=2000, what="a step note")
        with self._connect() as con:
            r = con.execute("SELECT n_rows FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if r is None:
                raise LibraryError(f"no session with id {session_id}")
            if not 0 <= int(step) < int(r["n_rows"]):
                raise LibraryError(f"step {step} is not in this session (it has {r['n_rows']} rows)")
            if note:
                con.execute("INSERT INTO step_notes(session_id, step, note) VALUES (?, ?, ?) ON CONFLICT"
                            "(session_id, step) DO UPDATE SET note = excluded.note", (session_id, int(step), note))
            else:
                con.execute("DELETE FROM step_notes WHERE session_id = ? AND step = ?", (session_id, int(step)))


def open_library(location: str | Path | None = None) -> Library:
    """Open the library at a folder or an ``sqlite:///folder`` URL (default :func:`default_data_dir`)."""
    if location is None:
        return Library()
    text = str(location)
    if text.startswith("sqlite:///"):
        return Library(text[len("sqlite:///"):])
    if "://" in text:
        raise LibraryError(f"{text.split('://')[0]} libraries are not supported yet; use a folder or sqlite:///folder")
    return Library(text)
