"""Clip -> raw BlazePose landmarks, using every core.

The clip is cut into one span per worker. Each worker process seeks to its span, runs its own
tracker over a short warm-up before the span (so the tracker has found the runner when the span
begins, as it would have running straight through) and keeps the span's frames only. Decoding and
inference both run in parallel; the parent only merges arrays and reports progress.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import queue
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.pose.blazepose import N_LANDMARKS, BlazePose, PoseSettings
from engine.pose.video import VideoInfo, iter_frames, probe

#: progress(frames_done, frames_total or 0 when unknown)
ProgressFn = Callable[[int, int], None]

#: Tracker warm-up before each span but the first.
WARMUP_S = 1.0
#: Clips shorter than this run in this process: starting workers costs more than it saves.
MIN_PARALLEL_S = 8.0
#: Where the whole frame gives a person in fewer frames than this, a crop following the motion is tried.
ROI_BELOW_SHARE = 0.5


@dataclass
class RawPose:
    """BlazePose output for every decoded frame, in displayed-frame pixels at full resolution."""

    info: VideoInfo
    time_s: np.ndarray      # (T,)
    xy: np.ndarray          # (T, 33, 2), NaN where no person was found
    visibility: np.ndarray  # (T, 33)
    world: np.ndarray       # (T, 33, 3) metres, hip-centred
    region_of_interest: bool = False   # found in a crop that followed the moving runner

    @property
    def found_share(self) -> float:
        """Share of the frames with a whole pose."""
        return float(np.isfinite(self.xy[:, :, 0]).all(axis=1).mean()) if len(self.time_s) else 0.0


def _empty(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.full((n, N_LANDMARKS, 2), np.nan), np.full((n, N_LANDMARKS), np.nan),
            np.full((n, N_LANDMARKS, 3), np.nan))


def run_span(
    path: str | Path,
    info: VideoInfo,
    settings: PoseSettings,
    *,
    start_s: float = 0.0,
    end_s: float = math.inf,
    warmup_s: float = 0.0,
    tick: Callable[[int], None] | None = None,
    threaded: bool = True,
    crops: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pose for the frames in [start_s, end_s): times, xy, visibility, world.

    ``crops``: per decoded frame an ``(x0, y0, x1, y1)`` box (pixels of the shrunk frame) that BlazePose is
    given instead of the whole frame, NaN for none (:func:`run_with_motion_roi`).
    """
    times: list[float] = []
    xys, viss, worlds = [], [], []
    with BlazePose(settings) as pose:
        for k, (t, rgb) in enumerate(iter_frames(path, start_s=max(0.0, start_s - warmup_s), end_s=end_s,
                                                 max_short_side_px=settings.max_short_side_px, threaded=threaded)):
            x0 = y0 = 0
            if crops is None:
                out = pose.process(rgb)
            elif k < len(crops) and np.isfinite(crops[k, 0]):
                x0, y0, x1, y1 = (int(round(v)) for v in crops[k])
                out = pose.process(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
            else:
                out = None
            if t < start_s - 1e-6:
                continue  # warm-up frame: the tracker saw it, the result is not ours
            times.append(t)
            if out is None:
                xy, vis, world = (a[0] for a in _empty(1))
            else:
                xy, vis, world = out
                xy = (xy + np.array([x0, y0])) * np.array([info.width / rgb.shape[1], info.height / rgb.shape[0]])
            xys.append(xy)
            viss.append(vis)
            worlds.append(world)
            if tick is not None:
                tick(len(times))
    if not times:
        return np.empty(0), *_empty(0)
    return np.array(times), np.stack(xys), np.stack(viss), np.stack(worlds)


_progress_queue = None


def _init_worker(q) -> None:
    global _progress_queue
    _progress_queue = q
    import cv2

    cv2.setNumThreads(1)   # one process per core: OpenCV's own threads would only compete


def _worker(args) -> tuple:
    path, info, settings, start_s, end_s, warmup_s, span_id = args
    _pin_to_one_core(span_id)
    last = [0]

    def tick(n: int) -> None:
        if n - last[0] >= 5:
            _progress_queue.put((span_id, n))
            last[0] = n

    out = run_span(path, info, settings, start_s=start_s, end_s=end_s, warmup_s=warmup_s, tick=tick, threaded=False)
    _progress_queue.put((span_id, len(out[0])))
    return out


def span_edges(duration_s: float, n_spans: int, warmup_s: float) -> np.ndarray:
    """Span boundaries that give every worker the same number of frames to run: all spans but the first
    also run the warm-up, so the first is longer by it (the last edge is open: frames past the clip's
    stated duration still belong to someone)."""
    work = (duration_s + (n_spans - 1) * warmup_s) / n_spans
    lengths = np.array([work] + [max(work - warmup_s, 0.0)] * (n_spans - 1))
    edges = np.concatenate([[0.0], np.cumsum(lengths)])
    edges[-1] = math.inf
    return edges


def _pin_to_one_core(span_id: int) -> None:
    """Keep each worker on a core of its own: MediaPipe's inference threads would otherwise spread over
    every core and the workers would contend for all of them."""
    if hasattr(os, "sched_getaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) > 1:
            os.sched_setaffinity(0, {cores[span_id % len(cores)]})


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8))


def extract_pose(
    path: str | Path,
    *,
    settings: PoseSettings | None = None,
    workers: int | None = None,
    progress: ProgressFn | None = None,
) -> RawPose:
    """Run BlazePose over a whole clip, in parallel spans when the clip is long enough.

    Raises
    ------
    BadInputError : the clip cannot be read (see :func:`engine.pose.video.probe`).
    """
    settings = settings or PoseSettings()
    info = probe(path)
    workers = workers or default_workers()
    total = info.frame_count
    duration = info.duration_s if math.isfinite(info.duration_s) else 0.0
    n_spans = workers if duration >= MIN_PARALLEL_S and workers > 1 else 1

    if n_spans == 1:
        tick = (lambda n: progress(n, total)) if progress else None
        t, xy, vis, world = run_span(path, info, settings, tick=tick)
    else:
        edges = span_edges(duration, n_spans, WARMUP_S)
        jobs = [(str(path), info, settings, float(edges[i]), float(edges[i + 1]),
                 WARMUP_S if i else 0.0, i) for i in range(n_spans)]
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        done = [0] * n_spans
        with ProcessPoolExecutor(max_workers=n_spans, mp_context=ctx, initializer=_init_worker,
                                 initargs=(q,)) as pool:
            futures = [pool.submit(_worker, job) for job in jobs]
            while not all(f.done() for f in futures):
                try:
                    span_id, n = q.get(timeout=0.2)
                    done[span_id] = n
                    if progress:
                        progress(sum(done), total)
                except queue.Empty:
                    pass
            parts = [f.result() for f in futures]
        t = np.concatenate([p[0] for p in parts])
        xy, vis, world = (np.concatenate([p[k] for p in parts]) for k in (1, 2, 3))
        keep = np.concatenate([[True], np.diff(t) > 1e-9])   # spans meet exactly; guard anyway
        t, xy, vis, world = t[keep], xy[keep], vis[keep], world[keep]
    raw = RawPose(info=info, time_s=t, xy=xy, visibility=vis, world=world)
    if raw.found_share < ROI_BELOW_SHARE:
        # too small for BlazePose's detector in the whole frame? follow the moving runner with a crop
        t, xy, vis, world = run_with_motion_roi(path, info, settings)
        cropped = RawPose(info=info, time_s=t, xy=xy, visibility=vis, world=world, region_of_interest=True)
        if cropped.found_share > raw.found_share:
            raw = cropped
    if progress:
        progress(len(raw.time_s), max(total, len(raw.time_s)))
    return raw


def run_with_motion_roi(path: str | Path, info: VideoInfo, settings: PoseSettings
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pose in a crop that follows what moves (:mod:`engine.pose.roi`), mapped back to the full frame."""
    from engine.pose.roi import motion_boxes

    _, boxes = motion_boxes(path, max_short_side_px=settings.max_short_side_px)
    return run_span(path, info, settings, crops=boxes)


class RateMeter:
    """Frames per second and time left, for progress displays."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def __call__(self, done: int, total: int) -> tuple[float, float | None]:
        elapsed = max(time.monotonic() - self.t0, 1e-6)
        rate = done / elapsed
        eta = (total - done) / rate if total and rate > 0 else None
        return rate, eta
