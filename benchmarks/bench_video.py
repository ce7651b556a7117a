"""Video pose stage speed: BlazePose's raw single-core rate against ``leanline analyze`` end to end.

    python benchmarks/bench_video.py [--seconds 20] [--clip PATH]

Renders a 1920x1080 60 fps clip of the synthetic runner (unless ``--clip`` is given), then prints:
the raw inference rate of one BlazePose tracker on frames decoded beforehand (one core: the limit a
single process can reach), the end-to-end rate of ``leanline analyze`` (decode + pose on every core +
gait analysis, run as a subprocess so its peak memory is measured alone), their ratio, and the peak
resident memory of the analysis.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def raw_rate(clip: Path, n_frames: int) -> tuple[float, float, float, float, float]:
    """Frames/s, one core, on the same frames: BlazePose alone, shrinking a frame for the pixel work, the
    background flow and the sole finder (each on the shrunk copy, as in the pose workers), and the edges above
    the crown (on the frame BlazePose saw)."""
    from engine.pose.blazepose import BlazePose, PoseSettings
    from engine.pose.camera import BackgroundFlow, work_frame
    from engine.pose.head import head_edges
    from engine.pose.soles import SoleFinder
    from engine.pose.video import iter_frames

    settings = PoseSettings()
    frames = []
    for _, img in iter_frames(clip, max_short_side_px=settings.max_short_side_px):
        frames.append(img)
        if len(frames) == n_frames:
            break
    with BlazePose(settings) as pose:
        out = pose.process(frames[0])                 # graph start-up is not inference
        t0 = time.perf_counter()
        for img in frames[1:]:
            out = pose.process(img) or out
        pose_rate = (len(frames) - 1) / (time.perf_counter() - t0)
    runner = out[0] if out is not None else None
    t0 = time.perf_counter()
    small = [work_frame(img) for img in frames]
    shrink_rate = len(frames) / (time.perf_counter() - t0)
    flow, finder = BackgroundFlow(frames[0].shape[1]), SoleFinder(frames[0].shape[1])
    t0 = time.perf_counter()
    for img in small:
        flow.step(img, runner)
    flow_rate = len(frames) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for img in small:
        finder.step(img, runner, np.zeros(2))
    sole_rate = len(frames) / (time.perf_counter() - t0)
    width = frames[0].shape[1]
    t0 = time.perf_counter()
    for img in frames:
        head_edges(img, runner, width)
    return pose_rate, shrink_rate, flow_rate, sole_rate, len(frames) / (time.perf_counter() - t0)


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants (Linux /proc), in MB."""
    parent: dict[int, int] = {}
    rss: dict[int, float] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            parent[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            for line in (d / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss[int(d.name)] = int(line.split()[1]) / 1024.0
        except (OSError, ValueError, IndexError):
            continue

    def in_tree(pid: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parent.get(pid, 0)
        return False

    return sum(v for pid, v in rss.items() if in_tree(pid))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--clip", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = args.clip
        if clip is None:
            from engine.synth.video import clip_params, write_clip

            clip = Path(tmp) / "bench_1080p60.mp4"
            t0 = time.perf_counter()
            write_clip(clip, clip_params(duration_s=args.seconds, fps=60, image_width=1920, image_height=1080))
            print(f"rendered {clip.name}: {args.seconds:.0f} s, 1920x1080, 60 fps in {time.perf_counter() - t0:.1f} s")
        from engine.pose.video import probe

        info = probe(clip)
        single, shrink_rate, flow_rate, sole_rate, head_rate = raw_rate(clip, n_frames=min(300, info.frame_count))
        env = dict(os.environ, LEANLINE_CACHE_DIR=str(Path(tmp) / "cache"))
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "analyze", str(clip), "--height-cm", "175",
                                 "--json", os.devnull, "--no-progress"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        peak_mb = 0.0
        while proc.poll() is None:
            peak_mb = max(peak_mb, tree_rss_mb(proc.pid))
            time.sleep(0.1)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.exit(proc.stderr.read())
        e2e = info.frame_count / wall
        print(f"clip: {info.width}x{info.height}, {info.fps:.0f} fps, {info.frame_count} frames, {info.codec}")
        print(f"raw BlazePose inference, one core:   {single:6.1f} frames/s")
        shares = {name: 100.0 * single / rate for name, rate in
                  (("shrinking the frame", shrink_rate), ("background flow (camera motion)", flow_rate),
                   ("sole finder (shoes' bottom edges)", sole_rate), ("head top (edges above the crown)", head_rate))}
        for name, share in shares.items():
            print(f"{name}, one core: {share:4.1f} % of the pose time")
        print(f"pixel work together: {sum(shares.values()):.0f} % of the pose time")
        print(f"leanline analyze end to end ({os.cpu_count()} cores): {e2e:6.1f} frames/s ({wall:.1f} s)")
        print(f"ratio end-to-end / raw single core:  {e2e / single:6.2f}")
        print(f"peak memory of the analysis, all its processes together: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
