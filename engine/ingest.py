"""One analysis job: a file in, everything a library session needs out (result, key frames, media).

The dashboard's Analyze page and the first-run seeding both go through :func:`ingest`; nothing here
writes to the library, so a file that fails leaves the library exactly as it was.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import BadInputError
from engine.model import AnalysisResult
from engine.pose.extract import ProgressFn
from engine.render import KeyFrame, key_frames
from engine.sources import analyze, load
from engine.sources.landmarks_csv import write_landmark_csv

#: The stages of one job, in order, with what a progress display says during each.
STAGES = {"reading": "Reading the file", "pose": "Finding the runner in every frame (pose model)",
          "events": "Timing the contacts and measuring every step", "frames": "Drawing the contact frames",
          "saving": "Saving to the library"}


@dataclass
class Ingested:
    """An analysed source ready to store: the result, one key frame per contact, and files to keep."""

    result: AnalysisResult
    key_frames: list[KeyFrame] = field(default_factory=list)
    media: dict[str, Path] = field(default_factory=dict)


def ingest(
    path: str | Path,
    *,
    kind: str = "auto",
    height_cm: float | None = None,
    treadmill_speed_kmh: float | None = None,
    placement: str | None = None,
    progress: ProgressFn | None = None,
    video: str | Path | None = None,
    work_dir: str | Path | None = None,
    source_extra: dict | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> Ingested:
    """Analyse ``path`` and draw its contact frames.

    Parameters
    ----------
    video
        For a landmark CSV made from a clip: draw the key frames on that clip (and keep it with the
        session). Without it, landmark CSVs get their skeleton drawn on a plain canvas.
    work_dir
        Where to write the landmark CSV of a video (default: a temporary folder). The caller keeps
        or stores the files named in ``media`` before the folder goes away.
    source_extra
        Facts about the recording for the result's ``source`` (see :func:`engine.sources.analyze`).
    on_stage
        Called with each stage's name as it begins (:data:`STAGES`), for progress displays.
    """
    path = Path(path)
    stage = on_stage or (lambda name: None)
    stage("reading")
    loaded = load(path, kind=kind, progress=progress)
    stage("events")
    result = analyze(path, height_cm=height_cm, treadmill_speed_kmh=treadmill_speed_kmh, loaded=loaded,
                     placement=placement, source_extra=source_extra)
    media: dict[str, Path] = {"source": path}
    frames: list[KeyFrame] = []
    if loaded.track is not None and result.row_unit == "step":
        stage("frames")
        clip = path if loaded.kind == "video" else (Path(video) if video is not None else None)
        frames = key_frames(clip, loaded.track, result.rows, crop=True)
        if clip is not None:
            media["video"] = clip
        if loaded.kind == "video":
            out = Path(work_dir or tempfile.mkdtemp(prefix="leanline-"))
            media["landmarks"] = write_landmark_csv(loaded.track, out / f"{path.stem}_landmarks.csv")
        else:
            media["landmarks"] = path
    return Ingested(result=result, key_frames=frames, media=media)


def reanalyze(kind: str, media: dict[str, Path], *, height_cm: float | None = None,
              treadmill_speed_kmh: float | None = None, placement: str | None = None,
              source: dict | None = None) -> Ingested:
    """Analyse a stored session again from its kept files, with other settings.

    A clip's session is re-read from its stored landmarks (the pose model does not run again) and its
    frames drawn on the stored clip; an IMU session from its recording. ``source`` is the first
    analysis' source record: the new result keeps its kind, fingerprint and clip, so comparisons see one
    recording. A watch file has no settings to change.
    """
    same = {k: v for k, v in (source or {}).items() if k in ("kind", "sha256", "clip")}
    if kind in ("video", "landmarks") and "landmarks" in media:
        return ingest(media["landmarks"], kind="landmarks", height_cm=height_cm,
                      treadmill_speed_kmh=treadmill_speed_kmh, video=media.get("video"), source_extra=same)
    if kind == "imu" and "source" in media:
        return ingest(media["source"], kind="imu", placement=placement, source_extra=same)
    if kind == "fit":
        raise BadInputError("a watch file's numbers are the watch's own: there is nothing to analyse again")
    raise BadInputError("the files this session was analysed from are no longer in the library")
