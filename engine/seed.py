"""First run: put the bundled before/after sample sessions into an empty library.

The samples are the synthetic runner on a treadmill before and after a Pose Method block
(``sample_data/README.md``). Each is stored from the BlazePose landmarks of its clip
(``*_pose.csv``, what ``leanline analyze CLIP --landmarks-out`` writes, shipped so the first start
does not wait for the pose model) with the clip kept for the contact frames and the frame scrubber;
the same runs' watch files (``*_watch.fit``) are stored as sessions of their own.
"""

from __future__ import annotations

from pathlib import Path

from engine.ingest import ingest
from engine.store import Library
from engine.synth.samples import AFTER, BEFORE, SAMPLE_HEIGHT_CM, WATCH_MINUTES

SAMPLE_ATHLETE = "Sample runner"
#: (name, the runner's parameters, label, date)
SAMPLE_SESSIONS = (
    ("before", BEFORE, "before block", "2026-09-05"),
    ("after", AFTER, "after block", "2026-11-07"),
)


def seed_samples(lib: Library, samples_dir: str | Path) -> list[int]:
    """Analyse and store the sample sessions; returns the new session ids (none if files are missing).

    The watch files go in first, so the clips are the newest sessions and the first comparison shown.
    """
    samples_dir = Path(samples_dir)
    ids = []
    for name, params, label, day in SAMPLE_SESSIONS:
        watch = samples_dir / f"{name}_watch.fit"
        if watch.is_file():
            job = ingest(watch, kind="fit")
            ids.append(lib.save_session(job.result, athlete=SAMPLE_ATHLETE, title=f"Watch: treadmill "
                                        f"{params.speed_mps * 3.6:.1f} km/h, {WATCH_MINUTES:.0f} min", label=label,
                                        session_date=day, tags=["sample", "watch"], source_name=watch.name,
                                        height_cm=SAMPLE_HEIGHT_CM, key_frames=job.key_frames, media=job.media))
    for name, params, label, day in SAMPLE_SESSIONS:
        pose, clip = samples_dir / f"{name}_pose.csv", samples_dir / f"{name}.mp4"
        if not pose.is_file():
            continue
        belt_kmh = params.speed_mps * 3.6
        title = f"Treadmill {belt_kmh:.1f} km/h"
        job = ingest(pose, kind="landmarks", height_cm=SAMPLE_HEIGHT_CM, treadmill_speed_kmh=belt_kmh,
                     video=clip if clip.is_file() else None, source_extra={"clip": clip.name})
        ids.append(lib.save_session(job.result, athlete=SAMPLE_ATHLETE, title=title, label=label, session_date=day,
                                    tags=["sample"], source_name=pose.name, height_cm=SAMPLE_HEIGHT_CM,
                                    key_frames=job.key_frames, media=job.media))
    return ids
