"""First run: put the bundled before/after sample sessions into an empty library.

The samples are the synthetic runner on a treadmill before and after a Pose Method block
(``sample_data/README.md``). ``sessions.json`` names them (athlete, label, date) and each
``<name>_params.json`` holds the runner's parameters (height, belt speed). Each clip session is stored
from the BlazePose landmarks of its clip (``*_pose.csv``, what ``leanline analyze CLIP
--landmarks-out`` writes, shipped so the first start does not wait for the pose model) with the clip
kept for the contact frames and the frame scrubber; the same runs' watch files (``*_watch.fit``) are
stored as sessions of their own.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.errors import BadInputError
from engine.ingest import ingest
from engine.store import Library

MANIFEST = "sessions.json"


def _manifest(samples_dir: Path) -> dict:
    try:
        return json.loads((samples_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInputError(f"the sample sessions cannot be read ({samples_dir / MANIFEST}: {exc})") from None


def _params(samples_dir: Path, name: str) -> dict:
    try:
        return json.loads((samples_dir / f"{name}_params.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def seed_samples(lib: Library, samples_dir: str | Path) -> list[int]:
    """Analyse and store the sample sessions; returns the new session ids (none if files are missing).

    The watch files go in first, so the clips are the newest sessions and the first comparison shown.
    """
    samples_dir = Path(samples_dir)
    if not (samples_dir / MANIFEST).is_file():
        return []
    manifest = _manifest(samples_dir)
    athlete, minutes = manifest["athlete"], float(manifest.get("watch_minutes", 0.0))
    runs = {s["name"]: _params(samples_dir, s["name"]) for s in manifest["sessions"]}
    ids = []
    for s in manifest["sessions"]:
        params, watch = runs[s["name"]], samples_dir / f"{s['name']}_watch.fit"
        if watch.is_file():
            job = ingest(watch, kind="fit")
            title = f"Watch: treadmill {params.get('speed_mps', 0.0) * 3.6:.1f} km/h, {minutes:.0f} min"
            ids.append(lib.save_session(job.result, athlete=athlete, title=title, label=s["label"],
                                        session_date=s["date"], tags=["sample", "watch"], source_name=watch.name,
                                        height_cm=params.get("height_cm"), key_frames=job.key_frames, media=job.media))
    for s in manifest["sessions"]:
        params = runs[s["name"]]
        pose, clip = samples_dir / f"{s['name']}_pose.csv", samples_dir / f"{s['name']}.mp4"
        if not pose.is_file():
            continue
        belt_kmh = float(params["speed_mps"]) * 3.6 if params.get("treadmill", True) and "speed_mps" in params else None
        job = ingest(pose, kind="landmarks", height_cm=params.get("height_cm"), treadmill_speed_kmh=belt_kmh,
                     video=clip if clip.is_file() else None, source_extra={"clip": clip.name})
        title = f"Treadmill {belt_kmh:.1f} km/h" if belt_kmh else "Overground"
        ids.append(lib.save_session(job.result, athlete=athlete, title=title, label=s["label"], session_date=s["date"],
                                    tags=["sample"], source_name=pose.name, height_cm=params.get("height_cm"),
                                    key_frames=job.key_frames, media=job.media))
    return ids
