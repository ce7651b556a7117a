"""Video -> landmark track: decode, BlazePose on every core, repair, cache.

:func:`video_track` is what :mod:`engine.sources` calls for a clip. The raw pose of a clip is cached
by the clip's content hash and the pose settings, so analysing it again with another height or
smoothing does not decode it again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import NoPersonError
from engine.model import HEAD_POINTS, LANDMARK_NAMES, SOLE_POINTS, LandmarkTrack
from engine.notices import Notice
from engine.pose.blazepose import PoseSettings
from engine.pose.camera import cumulative_shift
from engine.pose.extract import ProgressFn, RawPose, extract_pose
from engine.pose.head import CANDIDATES, head_top
from engine.pose.repair import keep_one_person, reject_outliers, repair_leg_swaps
from engine.pose.scale import px_per_cm_from_world
from engine.pose.soles import sole_points
from engine.pose.video import VideoInfo

#: Bump when the raw pose output for the same clip and settings would change.
POSE_CACHE_VERSION = 11
#: Below this share of frames with a person, the clip is refused.
MIN_FOUND_SHARE = 0.2


def cache_dir() -> Path:
    """``$LEANLINE_CACHE_DIR``, else ``~/.cache/leanline``."""
    base = os.environ.get("LEANLINE_CACHE_DIR")
    return Path(base) if base else Path.home() / ".cache" / "leanline"


def _cache_path(sha256: str, settings: PoseSettings) -> Path:
    key = json.dumps({"v": POSE_CACHE_VERSION, **settings.get_params()}, sort_keys=True)
    tag = hashlib.sha256(key.encode()).hexdigest()[:12]
    return cache_dir() / "pose" / f"{sha256}-{tag}.npz"


#: A half-written cache entry older than this belongs to no live writer.
STALE_TMP_S = 3600.0


def _save(raw: RawPose, path: Path) -> None:
    """Write a cache entry atomically; a failure (a full disk) leaves no partial file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(path.parent)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    try:
        np.savez_compressed(tmp, time_s=raw.time_s, xy=raw.xy.astype(np.float32),
                            visibility=raw.visibility.astype(np.float32), world=raw.world.astype(np.float32),
                            info=json.dumps(asdict(raw.info)), region_of_interest=raw.region_of_interest,
                            shift=raw.shift if raw.shift is not None else np.zeros((len(raw.time_s), 2)),
                            soles=raw.soles if raw.soles is not None else np.full((len(raw.time_s), 2, 2), np.nan),
                            heads=raw.heads if raw.heads is not None else np.full((len(raw.time_s), CANDIDATES, 2),
                                                                                  np.nan))
        os.replace(tmp, path)   # atomic: a reader never sees half a cache entry
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _sweep_stale(folder: Path) -> None:
    """Remove half-written entries that a killed process left behind."""
    now = time.time()
    for tmp in folder.glob("*.tmp.npz"):
        try:
            if now - tmp.stat().st_mtime > STALE_TMP_S:
                tmp.unlink()
        except FileNotFoundError:
            continue


def _load(path: Path) -> RawPose | None:
    try:
        with np.load(path) as z:
            return RawPose(info=VideoInfo(**json.loads(str(z["info"]))), time_s=z["time_s"],
                           xy=z["xy"].astype(float), visibility=z["visibility"].astype(float),
                           world=z["world"].astype(float),
                           region_of_interest=bool(z["region_of_interest"]) if "region_of_interest" in z else False,
                           shift=z["shift"] if "shift" in z else None, soles=z["soles"] if "soles" in z else None,
                           heads=z["heads"] if "heads" in z else None)
    except (OSError, ValueError, KeyError, TypeError):
        return None


#: Decoding that yields less than this share of the frames the container announces is reported.
MIN_DECODED_SHARE = 0.9
#: A hole in the frame times longer than this is a damaged stretch that decoding skipped.
MAX_DECODE_GAP_S = 0.5


def decoded_coverage(time_s: np.ndarray, info: VideoInfo) -> dict:
    """How much of the clip was read: frames decoded against those announced, the span covered, the
    longest hole, and a warning when decoding stopped early or skipped a damaged stretch."""
    n = len(time_s)
    out: dict = {"frames": n, "frames_announced": int(info.frame_count),
                 "seconds": float(time_s[-1] - time_s[0]) if n > 1 else 0.0,
                 "seconds_announced": float(info.duration_s) if math.isfinite(info.duration_s) else None}
    gaps = np.diff(time_s) if n > 1 else np.zeros(0)
    worst = int(np.argmax(gaps)) if gaps.size else -1
    share = n / info.frame_count if info.frame_count else 1.0
    out["share"] = float(min(share, 1.0))
    if worst >= 0 and gaps[worst] > MAX_DECODE_GAP_S:
        out["warning"] = (f"{gaps[worst]:.1f} s of the clip from {time_s[worst]:.1f} s could not be decoded (the file "
                          f"is damaged there); {share:.0%} of its frames were read and analysed")
    elif share < MIN_DECODED_SHARE:
        stated = f" of {info.duration_s:.1f} s" if math.isfinite(info.duration_s) else ""
        out["warning"] = (f"decoding stopped at {time_s[-1] if n else 0.0:.1f} s{stated} (the file is damaged or "
                          f"truncated from there): only {share:.0%} of its frames were read and analysed")
    return out


@dataclass
class VideoTrack:
    """A clip's landmark track and what the pose stage did to get it."""

    track: LandmarkTrack
    info: VideoInfo
    world_px_per_cm: float | None
    report: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def raw_pose(
    path: str | Path,
    *,
    sha256: str,
    settings: PoseSettings | None = None,
    progress: ProgressFn | None = None,
    workers: int | None = None,
    use_cache: bool = True,
) -> tuple[RawPose, bool]:
    """BlazePose output for a clip, from the cache when it is there. Returns (raw, from_cache)."""
    settings = settings or PoseSettings()
    cpath = _cache_path(sha256, settings)
    if use_cache and cpath.is_file():
        cached = _load(cpath)
        if cached is not None:
            if progress:
                progress(len(cached.time_s), len(cached.time_s))
            return cached, True
    raw = extract_pose(path, settings=settings, progress=progress, workers=workers)
    # the cache stores float32; round the fresh result the same way so both give identical analyses
    raw.xy, raw.visibility, raw.world = (a.astype(np.float32).astype(float)
                                         for a in (raw.xy, raw.visibility, raw.world))
    if use_cache:
        try:
            _save(raw, cpath)
        except OSError:
            pass  # a read-only home still analyses, just without the cache
    return raw, False


def _with_sole_points(xy: np.ndarray, vis: np.ndarray, soles: np.ndarray | None,
                      swapped: np.ndarray, fps: float | None) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], dict]:
    """The landmarks plus the sole points (:func:`engine.pose.soles.sole_points`) where the soles were seen;
    a sole point's visibility is 1 where the pixels showed it and 0 where it was filled in."""
    # the soles were measured on the pose model's sides: a frame whose legs were swapped back swaps them too
    soles = None if soles is None else np.where(swapped[:, None, None], soles[:, ::-1], soles)
    soles_xy, seen, share = sole_points(xy, soles, fps=fps)
    if soles_xy is None or seen is None:
        return xy, vis, LANDMARK_NAMES, share
    return (np.concatenate([xy, soles_xy], axis=1), np.concatenate([vis, seen.astype(float)], axis=1),
            LANDMARK_NAMES + SOLE_POINTS, share)


def _found_warnings(share: float, region_of_interest: bool) -> list[str]:
    """What the user should know about how the runner was found."""
    warnings: list[str] = []
    if share < 0.95:
        warnings.append(Notice("runner_partly_found",
                        f"the runner was found in {share:.0%} of the frames; contacts in the gaps are skipped"))
    if region_of_interest:
        warnings.append(Notice("small_runner",
                        "the runner is small in the frame: the pose was found in a crop that follows the moving "
                        "runner; film closer for the best results"))
    return warnings


def _with_head_top(xy: np.ndarray, vis: np.ndarray, names: tuple[str, ...], top: np.ndarray | None,
                   seen: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The track's points plus the head top (:func:`engine.pose.head.head_top`) where the pixels showed it; its
    visibility is 1 where the edge was seen and 0 where it was filled in."""
    if top is None or seen is None:
        return xy, vis, names
    return (np.concatenate([xy, top[:, None]], axis=1), np.concatenate([vis, seen[:, None].astype(float)], axis=1),
            names + HEAD_POINTS)


def video_track(
    path: str | Path,
    *,
    sha256: str,
    settings: PoseSettings | None = None,
    progress: ProgressFn | None = None,
    workers: int | None = None,
    use_cache: bool = True,
) -> VideoTrack:
    """Clip -> repaired landmark track in displayed-frame pixels.

    Raises
    ------
    BadInputError : unreadable clip (see :func:`engine.pose.video.probe`).
    NoPersonError : no person, or a person in too few frames.
    """
    name = Path(path).name
    raw, from_cache = raw_pose(path, sha256=sha256, settings=settings, progress=progress, workers=workers,
                               use_cache=use_cache)
    n = len(raw.time_s)
    share = raw.found_share
    if n == 0 or share == 0.0:
        raise NoPersonError(f"{name}: no person was found in the video")
    if share < MIN_FOUND_SHARE:
        raise NoPersonError(f"{name}: a person was found in only {share:.0%} of the frames; film the runner "
                            "from the side, whole body in view, filling at least half the frame height")
    coverage = decoded_coverage(raw.time_s, raw.info)
    warnings: list[str] = [Notice("decode_incomplete", coverage["warning"])] if coverage.get("warning") else []
    xy, identity = keep_one_person(raw.xy, raw.time_s)
    if identity.jumps:
        warnings.append(Notice("pose_jumped",
                        f"the pose jumped {identity.jumps} time{'s' if identity.jumps > 1 else ''} (lost runner "
                        f"or another person); {identity.dropped_s:.1f} s that did not match the runner were left out"))
    xy, vis, swapped = repair_leg_swaps(xy, raw.visibility)
    xy, n_outliers = reject_outliers(xy, raw.time_s)
    warnings += _found_warnings(share, raw.region_of_interest)
    world_scale = px_per_cm_from_world(xy, raw.world)
    fps = raw.info.fps if math.isfinite(raw.info.fps) else None
    meta: dict = {"source": f"BlazePose: {name}"}
    if raw.shift is not None and len(raw.shift) == n:
        meta["camera_shift_px"] = cumulative_shift(raw.shift)      # where the background has moved to
    top, top_seen, head_share = head_top(xy, raw.heads, fps=fps)
    xy, vis, names, sole_share = _with_sole_points(xy, vis, raw.soles, swapped, fps)
    xy, vis, names = _with_head_top(xy, vis, names, top, top_seen)
    track = LandmarkTrack.from_arrays(
        time_s=raw.time_s, xy=xy, names=names, visibility=vis, fps=fps,
        image_width=raw.info.width, image_height=raw.info.height, meta=meta,
    )
    report = {"frames": n, "pose_found_share": share, "leg_swap_frames_repaired": int(swapped.sum()),
              "outlier_samples_removed": n_outliers, "identity_jumps": identity.jumps,
              "frames_dropped_other_person": identity.dropped_frames, "pose_from_cache": from_cache,
              "region_of_interest": raw.region_of_interest, "soles_measured": sole_share,
              "soles_used": bool(set(SOLE_POINTS) & set(names)), "head_top_seen": head_share,
              "head_top_used": bool(set(HEAD_POINTS) & set(names)), "rotation_deg": raw.info.rotation_deg,
              "pose_settings": (settings or PoseSettings()).get_params(), "codec": raw.info.codec,
              "decoded": {k: v for k, v in coverage.items() if k != "warning"}}
    return VideoTrack(track=track, info=raw.info, world_px_per_cm=world_scale, report=report, warnings=warnings)
