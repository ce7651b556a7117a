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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.pose.blazepose import N_LANDMARKS, BlazePose, PoseSettings
from engine.pose.camera import BackgroundFlow, work_frame
from engine.pose.head import CANDIDATES, head_edges
from engine.pose.soles import SoleFinder
from engine.pose.video import VideoInfo, iter_frames, probe

#: progress(frames_done, frames_total or 0 when unknown)
ProgressFn = Callable[[int, int], None]

#: Tracker warm-up before each span but the first.
WARMUP_S = 1.0
#: Clips shorter than this run in this process: starting workers costs more than it saves.
MIN_PARALLEL_S = 8.0
#: Where the whole frame gives a person in fewer frames than this, a crop following the motion is tried.
ROI_BELOW_SHARE = 0.5
#: Where it gives one in fewer frames than this (but at least ``ROI_BELOW_SHARE``), the frames it missed are
#: tried again in the crop that follows the motion: BlazePose's detector loses a small runner near the edge of a
#: wide frame now and then, where the tracker has nothing to follow yet.
RETRY_BELOW_SHARE = 0.97


@dataclass
class RawPose:
    """BlazePose output for every decoded frame, in displayed-frame pixels at full resolution."""

    info: VideoInfo
    time_s: np.ndarray      # (T,)
    xy: np.ndarray          # (T, 33, 2), NaN where no person was found
    visibility: np.ndarray  # (T, 33)
    world: np.ndarray       # (T, 33, 3) metres, hip-centred
    region_of_interest: bool = False   # found in a crop that followed the moving runner
    shift: np.ndarray | None = None    # (T, 2) the background's shift since the frame before, pixels
    soles: np.ndarray | None = None    # (T, 2, 2) sole heights below (left, right) x (heel, foot index), pixels
    heads: np.ndarray | None = None    # (T, CANDIDATES, 2) edges above the crown: image y, strength

    @property
    def found_share(self) -> float:
        """Share of the frames with a whole pose."""
        return float(np.isfinite(self.xy[:, :, 0]).all(axis=1).mean()) if len(self.time_s) else 0.0


def _empty(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.full((n, N_LANDMARKS, 2), np.nan), np.full((n, N_LANDMARKS), np.nan),
            np.full((n, N_LANDMARKS, 3), np.nan))


Span = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


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
) -> Span:
    """Pose for the frames in [start_s, end_s): times, xy, visibility, world, the background's shift
    since the frame before (:class:`engine.pose.camera.BackgroundFlow`; warm-up frames count as before),
    the soles' heights (:class:`engine.pose.soles.SoleFinder`, which learns the background from the
    warm-up frames too) and the edges above the crown (:func:`engine.pose.head.head_edges`).

    ``crops``: per decoded frame an ``(x0, y0, x1, y1)`` box (pixels of the shrunk frame) that BlazePose is
    given instead of the whole frame, NaN for none (:func:`run_with_motion_roi`).
    """
    times: list[float] = []
    xys, viss, worlds, shifts, soles, heads = [], [], [], [], [], []
    flow, finder = BackgroundFlow(info.width), SoleFinder(info.width)
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
            if out is None:
                xy, vis, world = (a[0] for a in _empty(1))
            else:
                xy, vis, world = out
                xy = (xy + np.array([x0, y0])) * np.array([info.width / rgb.shape[1], info.height / rgb.shape[0]])
            small = work_frame(rgb)                # one shrunk copy for both pixel measurements
            shift, _ = flow.step(small, xy if out is not None else None)
            sole = finder.step(small, xy if out is not None else None, shift)
            head = head_edges(rgb, xy if out is not None else None, info.width)
            if t < start_s - 1e-6:
                continue  # warm-up frame: the tracker saw it, the result is not ours
            times.append(t)
            shifts.append(shift)
            soles.append(sole)
            heads.append(head)
            xys.append(xy)
            viss.append(vis)
            worlds.append(world)
            if tick is not None:
                tick(len(times))
    if not times:
        return np.empty(0), *_empty(0), np.zeros((0, 2)), np.zeros((0, 2, 2)), np.zeros((0, CANDIDATES, 2))
    return (np.array(times), np.stack(xys), np.stack(viss), np.stack(worlds), np.stack(shifts), np.stack(soles),
            np.stack(heads))


#: How often a worker checks that the process that started it is still there.
PARENT_CHECK_S = 0.5


def _watch_parent(parent_pid: int) -> None:
    """End this worker as soon as its parent is gone (killed, even with SIGKILL): a worker whose results
    nobody will read must not run on, holding a core and ~350 MB."""
    import threading

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_S)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="leanline-parent-watch", daemon=True).start()


def _worker(out_q, job: tuple, parent_pid: int) -> None:
    """One span in its own process: progress and then the arrays (or the error) on ``out_q``.

    Ctrl-C is the parent's to handle (it ends the workers), so the worker ignores SIGINT and prints no
    traceback; SIGTERM ends it at once. Puts never block the worker (the queue's feeder thread writes),
    and the parent reads until every worker has answered, so the final flush at exit completes.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _watch_parent(parent_pid)
    import cv2

    cv2.setNumThreads(1)   # one process per core: OpenCV's own threads would only compete
    path, info, settings, start_s, end_s, warmup_s, span_id = job
    _pin_to_one_core(span_id)
    last = [0]

    def tick(n: int) -> None:
        if n - last[0] >= 5:
            out_q.put((span_id, "progress", n))
            last[0] = n

    try:
        out = run_span(path, info, settings, start_s=start_s, end_s=end_s, warmup_s=warmup_s, tick=tick,
                       threaded=False)
    except Exception as exc:  # handed to the parent, which raises it there
        out_q.put((span_id, "error", exc))
        return
    out_q.put((span_id, "done", out))


def _run_spans(jobs: list[tuple], progress: ProgressFn | None, total: int) -> list[tuple]:
    """Run the spans in worker processes; every worker is ended when this returns or raises (Ctrl-C,
    SIGTERM turned into an exception, a failed span)."""
    import signal
    import threading

    ctx = mp.get_context("spawn")
    out_q = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(out_q, job, os.getpid()), daemon=True) for job in jobs]
    in_main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None   # children start ignoring it
    try:
        for p in procs:
            p.start()
    finally:
        if in_main:
            signal.signal(signal.SIGINT, old)
    parts: dict[int, tuple] = {}
    done = [0] * len(jobs)
    try:
        while len(parts) < len(jobs):
            try:
                span_id, what, value = out_q.get(timeout=0.2)
            except queue.Empty:
                dead = [i for i, p in enumerate(procs) if i not in parts and p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"the pose worker for span {dead[0]} died (exit code "
                                       f"{procs[dead[0]].exitcode})") from None
                continue
            if what == "error":
                raise value
            if what == "done":
                parts[span_id] = value
                done[span_id] = len(value[0])
            else:
                done[span_id] = value
            if progress:
                progress(sum(done), total)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join()
    return [parts[i] for i in range(len(jobs))]


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
        t, xy, vis, world, shift, soles, heads = run_span(path, info, settings, tick=tick)
    else:
        edges = span_edges(duration, n_spans, WARMUP_S)
        jobs = [(str(path), info, settings, float(edges[i]), float(edges[i + 1]),
                 WARMUP_S if i else 0.0, i) for i in range(n_spans)]
        parts = _run_spans(jobs, progress, total)
        t = np.concatenate([p[0] for p in parts])
        xy, vis, world, shift, soles, heads = (np.concatenate([p[k] for p in parts]) for k in (1, 2, 3, 4, 5, 6))
        keep = np.concatenate([[True], np.diff(t) > 1e-9])   # spans meet exactly; guard anyway
        t, xy, vis, world, shift, soles, heads = (a[keep] for a in (t, xy, vis, world, shift, soles, heads))
    raw = RawPose(info=info, time_s=t, xy=xy, visibility=vis, world=world, shift=shift, soles=soles, heads=heads)
    if raw.found_share < ROI_BELOW_SHARE:
        # too small for BlazePose's detector in the whole frame? follow the moving runner with a crop
        t, xy, vis, world, shift, soles, heads = run_with_motion_roi(path, info, settings)
        cropped = RawPose(info=info, time_s=t, xy=xy, visibility=vis, world=world, region_of_interest=True,
                          shift=shift, soles=soles, heads=heads)
        if cropped.found_share > raw.found_share:
            raw = cropped
    elif raw.found_share < RETRY_BELOW_SHARE:
        _retry_missed_in_motion_roi(path, raw, settings)
    if progress:
        progress(len(raw.time_s), max(total, len(raw.time_s)))
    return raw


def run_with_motion_roi(path: str | Path, info: VideoInfo, settings: PoseSettings,
                        only: np.ndarray | None = None) -> Span:
    """Pose in a crop that follows what moves (:mod:`engine.pose.roi`), mapped back to the full frame; with
    ``only`` (a mask over the decoded frames), in those frames alone."""
    from engine.pose.roi import motion_boxes

    _, boxes = motion_boxes(path, max_short_side_px=settings.max_short_side_px)
    if only is not None:
        boxes = boxes.copy()
        boxes[: only.size][~only] = np.nan
    return run_span(path, info, settings, crops=boxes)


def _retry_missed_in_motion_roi(path: str | Path, raw: RawPose, settings: PoseSettings) -> None:
    """The frames without a pose tried again in the crop that follows the motion; a whole body found there, inside
    the picture, fills them in (landmarks, visibility, world landmarks, soles and head edges; the background's
    shift stays the first pass's)."""
    missed = ~np.isfinite(raw.xy[:, :, 0]).all(axis=1)
    t, xy, vis, world, _, soles, heads = run_with_motion_roi(path, raw.info, settings, only=missed)
    if t.shape != raw.time_s.shape or not np.allclose(t, raw.time_s):
        return  # the two passes decoded different frames: keep the first
    # a body cut by the picture's edge (a runner coming in or going out) stays missing: its pose is guessed
    inside = ((xy[..., 0] >= 0) & (xy[..., 0] <= raw.info.width) & (xy[..., 1] >= 0)
              & (xy[..., 1] <= raw.info.height)).all(axis=1)
    found = missed & inside
    raw.xy[found], raw.visibility[found], raw.world[found] = xy[found], vis[found], world[found]
    if raw.soles is not None:
        raw.soles[found] = soles[found]
    if raw.heads is not None:
        raw.heads[found] = heads[found]


class RateMeter:
    """Frames per second and time left, for progress displays.

    The rate is measured from the first frame done, not from the start: starting the pose workers takes
    seconds in which no frame is done, and counting them would promise several times the real wait. No
    time left is given until a second of frames has been measured.
    """

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.first: tuple[float, int] | None = None

    def __call__(self, done: int, total: int) -> tuple[float, float | None]:
        now = time.monotonic()
        if done > 0 and self.first is None:
            self.first = (now, done)
        if self.first is None or now - self.first[0] < 1.0:
            return (done / max(now - self.t0, 1e-6)), None
        rate = (done - self.first[1]) / (now - self.first[0])
        eta = (total - done) / rate if total and rate > 0 else None
        return rate, eta
