"""One entry point for every input kind: :func:`load` and :func:`analyze`.

Each reader ends in the same types (a :class:`~engine.model.LandmarkTrack` for pose data), so that
everything after it is shared. Kinds: ``landmarks`` (landmark CSV) today; ``video``, ``fit`` and
``imu`` are recognised and refused with a clear message until their readers exist.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from engine.errors import BadInputError
from engine.gait.pipeline import GaitSettings, analyze_track
from engine.model import AnalysisResult, LandmarkTrack
from engine.sources.landmarks_csv import read_landmark_csv

KINDS = ("auto", "video", "landmarks", "fit", "imu")
_VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv"}


def file_sha256(path: str | Path, *, chunk_bytes: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(chunk_bytes), b""):
            h.update(block)
    return h.hexdigest()


def detect_kind(path: str | Path) -> str:
    """The input kind from the file name and, for CSV, its header line."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in _VIDEO_SUFFIXES:
        return "video"
    if suffix == ".fit":
        return "fit"
    if suffix == ".zip":
        return "imu"
    if suffix in (".csv", ".txt"):
        try:
            with p.open("r", encoding="utf-8-sig", errors="replace") as fh:
                for line in fh:
                    if line.startswith("#") or not line.strip():
                        continue
                    cols = [c.strip().lower() for c in line.split(",")]
                    return "landmarks" if "time_s" in cols and any(c.endswith("_x") for c in cols) else "imu"
        except OSError as exc:
            raise BadInputError(f"cannot read {p.name}: {exc}") from None
        return "landmarks"
    raise BadInputError(
        f"{p.name}: unknown file type '{suffix or '(none)'}'; leanline reads videos (.mp4 .mov .webm), "
        "FIT files, IMU CSV/zip and landmark CSV"
    )


def load(path: str | Path, *, kind: str = "auto") -> LandmarkTrack:
    """Read a pose source into a landmark track."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise BadInputError(f"{path.name} is empty")
    kind = detect_kind(path) if kind == "auto" else kind
    if kind == "landmarks":
        return read_landmark_csv(path)
    raise BadInputError(f"{path.name}: reading {kind} files is not available in this version; "
                        "analyse a landmark CSV instead")


def analyze(
    path: str | Path,
    *,
    kind: str = "auto",
    height_cm: float | None = None,
    treadmill_speed_kmh: float | None = None,
    settings: GaitSettings | None = None,
) -> AnalysisResult:
    """Read any supported source and analyse it; the result carries the source's provenance."""
    if kind not in KINDS:
        raise BadInputError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    path = Path(path)
    resolved = detect_kind(path) if kind == "auto" and path.is_file() else kind
    track = load(path, kind=resolved)
    result = analyze_track(track, height_cm=height_cm, treadmill_speed_kmh=treadmill_speed_kmh, settings=settings)
    result.source = {
        "path": str(path),
        "kind": resolved,
        "sha256": file_sha256(path),
        "fps": result.source.get("fps"),
        "duration_s": result.source.get("duration_s"),
        "samples": result.source.get("samples"),
        "image_width": track.image_width,
        "image_height": track.image_height,
    }
    return result
