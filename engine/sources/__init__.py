"""One entry point for every input kind: :func:`load` and :func:`analyze`.

Each reader ends in the same types (a :class:`~engine.model.LandmarkTrack` for pose data), so that
everything after it is shared. Kinds: ``landmarks`` (landmark CSV), ``video`` (BlazePose, see
:mod:`engine.pose`) ``fit`` (record rows, see :mod:`engine.sources.fit`) and ``imu`` (raw accelerometer CSV or zip,
see :mod:`engine.sources.imu` and :mod:`engine.gait.imu`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import BadInputError
from engine.gait.pipeline import GaitSettings, analyze_track
from engine.model import AnalysisResult, LandmarkTrack
from engine.pose.blazepose import PoseSettings
from engine.pose.extract import ProgressFn
from engine.sources.landmarks_csv import read_landmark_csv
from engine.sources.text import decode_text

KINDS = ("auto", "video", "landmarks", "fit", "imu")
_VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv"}


def file_sha256(path: str | Path, *, chunk_bytes: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(chunk_bytes), b""):
            h.update(block)
    return h.hexdigest()


def check_readable(path: Path) -> None:
    """Refuse, with what is wrong, a path that is not a readable, non-empty regular file."""
    if not path.exists():
        raise BadInputError(f"{path}: no such file")
    if path.is_dir():
        raise BadInputError(f"{path} is a folder, not a file; give one clip, FIT, IMU or landmark file")
    if not path.is_file():
        raise BadInputError(f"{path} is not a regular file (a pipe or a device); save the recording to a file first")
    if not os.access(path, os.R_OK):
        raise BadInputError(f"{path.name} cannot be read: permission denied")
    if path.stat().st_size == 0:
        raise BadInputError(f"{path.name} is empty")


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
            with p.open("rb") as fh:
                head = decode_text(fh.read(1 << 16), p.name)
        except OSError as exc:
            raise BadInputError(f"cannot read {p.name}: {exc.strerror or exc}") from None
        for line in head.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            cols = [c.strip().lower() for c in line.replace(";", ",").replace("\t", ",").split(",")]
            return "landmarks" if "time_s" in cols and any(c.endswith("_x") for c in cols) else "imu"
        return "landmarks"
    raise BadInputError(
        f"{p.name}: unknown file type '{suffix or '(none)'}'; leanline reads videos (.mp4 .mov .webm), "
        "FIT files, IMU CSV/zip and landmark CSV"
    )


@dataclass
class Loaded:
    """A source read into the engine's types, before analysis."""

    kind: str
    sha256: str
    track: LandmarkTrack | None = None
    world_px_per_cm: float | None = None
    warnings: list[str] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    imu: Any = None
    fit: Any = None


def load(
    path: str | Path,
    *,
    kind: str = "auto",
    progress: ProgressFn | None = None,
    pose_settings: PoseSettings | None = None,
    acc_unit: str = "auto",
) -> Loaded:
    """Read any source: a landmark CSV or a video into a landmark track, an IMU recording into a signal
    (``acc_unit`` declares its acceleration unit, g or m/s^2, where the header does not)."""
    if kind not in KINDS:
        raise BadInputError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    path = Path(path)
    check_readable(path)
    kind = detect_kind(path) if kind == "auto" else kind
    try:
        sha = file_sha256(path)
    except OSError as exc:
        raise BadInputError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    if kind == "landmarks":
        return Loaded(kind=kind, sha256=sha, track=read_landmark_csv(path))
    if kind == "video":
        from engine.pose import video_track

        vt = video_track(path, sha256=sha, settings=pose_settings, progress=progress)
        return Loaded(kind=kind, sha256=sha, track=vt.track, world_px_per_cm=vt.world_px_per_cm,
                      warnings=vt.warnings, report=vt.report)
    if kind == "fit":
        from engine.sources.fit import read_fit_records

        return Loaded(kind=kind, sha256=sha, fit=read_fit_records(path))
    from engine.sources.imu import read_imu

    return Loaded(kind=kind, sha256=sha, imu=read_imu(path, acc_unit=acc_unit))


def analyze(
    path: str | Path,
    *,
    kind: str = "auto",
    height_cm: float | None = None,
    treadmill_speed_kmh: float | None = None,
    settings: GaitSettings | None = None,
    progress: ProgressFn | None = None,
    pose_settings: PoseSettings | None = None,
    loaded: Loaded | None = None,
    placement: str | None = None,
    acc_unit: str = "auto",
    source_extra: dict | None = None,
) -> AnalysisResult:
    """Read any supported source and analyse it; the result carries the source's provenance.

    Pass ``loaded`` (from :func:`load`) to analyse an already-read source again with other settings;
    ``source_extra`` adds facts to the result's ``source`` record (e.g. the clip a landmark CSV came from).
    """
    path = Path(path)
    src = loaded or load(path, kind=kind, progress=progress, pose_settings=pose_settings, acc_unit=acc_unit)
    source = {"path": str(path), "kind": src.kind, "sha256": src.sha256, **(source_extra or {})}
    if src.kind == "fit":
        from engine.sources.fit import analyze_fit

        return analyze_fit(src.fit, source=source)
    if src.kind == "imu":
        from engine.gait.imu import analyze_imu
        from engine.sources.imu import PLACEMENTS

        if placement not in PLACEMENTS:
            raise BadInputError(f"{path.name}: say where the sensor was worn: --placement {'|'.join(PLACEMENTS)}")
        return analyze_imu(src.imu, placement=placement, source=source)
    if src.track is None:
        raise BadInputError(f"{path.name}: no landmark track was read")
    result = analyze_track(src.track, height_cm=height_cm, treadmill_speed_kmh=treadmill_speed_kmh, settings=settings,
                           world_px_per_cm=src.world_px_per_cm, source=source)
    result.warnings = src.warnings + result.warnings
    if src.report:
        result.extra["pose"] = src.report
        result.settings["pose"] = src.report.get("pose_settings")
    return result
