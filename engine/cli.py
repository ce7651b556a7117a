"""Command line: ``leanline analyze PATH`` and ``leanline dashboard``.

Exit status 0 on success, 2 on bad input with a one-line reason on stderr. ``--json -`` writes the
result to stdout and nothing else; everything meant for a person goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from engine.errors import LeanlineError


def _in_range(lo: float, hi: float, unit: str):
    """An argparse type: a number within [lo, hi], refused with the plausible range otherwise."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text} is outside {lo:g}-{hi:g} {unit}")
        return value

    return parse


#: Plausible ranges of the options: a runner's height, a treadmill's belt speed.
HEIGHT_RANGE_CM = (80.0, 250.0)
BELT_RANGE_KMH = (3.0, 30.0)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is outside 1-65535")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leanline", description="Stride-by-stride running form analysis in Pose Method terms."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analyze", help="analyse a clip, sensor file or landmark CSV")
    a.add_argument("path", help="video, FIT, IMU CSV/zip or landmark CSV")
    a.add_argument("--kind", default="auto", choices=["auto", "video", "landmarks", "fit", "imu"])
    a.add_argument("--height-cm", type=_in_range(*HEIGHT_RANGE_CM, "cm"),
                   help=f"runner's height ({HEIGHT_RANGE_CM[0]:g}-{HEIGHT_RANGE_CM[1]:g}); gives lengths in cm")
    a.add_argument("--treadmill-speed-kmh", type=_in_range(*BELT_RANGE_KMH, "km/h"),
                   help=f"belt speed ({BELT_RANGE_KMH[0]:g}-{BELT_RANGE_KMH[1]:g}), for step length on a treadmill")
    a.add_argument("--placement", choices=["waist", "foot", "wrist"], help="IMU placement")
    a.add_argument("--acc-unit", default="auto", choices=["auto", "g", "m/s^2"],
                   help="IMU acceleration unit when the file's header does not say (default: detected)")
    a.add_argument("--json", metavar="OUT", help="write the result as JSON to OUT, or '-' for stdout")
    a.add_argument("--csv", metavar="OUT", help="write the per-step table as CSV")
    a.add_argument("--landmarks-out", metavar="OUT.csv", help="write the landmark track (video input)")
    a.add_argument("--frames-out", metavar="DIR", help="write contact key frames (video input)")
    a.add_argument("--overlay-out", metavar="OUT.mp4", help="write the clip with the lean line drawn (video input)")
    a.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    a.add_argument("--verbose", action="store_true", help="let MediaPipe and FFmpeg log to stderr")
    m = sub.add_parser("metrics", help="what every column of a result's rows means")
    m.add_argument("--json", action="store_true", help="the registry as JSON on stdout, for scripts")
    c = sub.add_parser("compare", help="before/after statistics of two or more results or stored sessions")
    c.add_argument("sessions", nargs="+", metavar="A",
                   help="a result JSON (from analyze --json) or a stored session's id (see --library)")
    c.add_argument("--json", metavar="OUT", help="write the comparison as JSON to OUT, or '-' for stdout")
    c.add_argument("--library", metavar="DIR", help="the library folder for session ids (default: the usual one)")
    c.add_argument("--seed", type=int, default=0, help="bootstrap seed (the same seed gives the same intervals)")
    d = sub.add_parser("dashboard", help="open the browser dashboard")
    d.add_argument("--port", type=_port, default=8501)
    d.add_argument("--address", default="127.0.0.1", help="interface to serve on (default: this machine only)")
    d.add_argument("--headless", action="store_true", help="do not open a browser window")
    return parser


def _fmt(stat: dict | None, unit: str, digits: int = 0) -> str:
    if not stat or stat.get("median") is None:
        return "-"
    return f"{stat['median']:.{digits}f} {unit}".strip()


def human_summary(result) -> str:
    """A few lines a runner can read at a glance."""
    s = result.summary
    fs = s.get("foot_strike") or {}
    if result.row_unit == "record":
        lines = [f"{len(result.rows)} records over {result.source.get('duration_s', 0) / 60:.1f} min",
                 f"cadence {_fmt(s.get('cadence_spm'), 'spm')}"
                 f"   ground contact {_fmt(s.get('ground_contact_ms'), 'ms')}"
                 f"   vertical oscillation {_fmt(s.get('vertical_oscillation_cm'), 'cm', 1)}"
                 f"   step length {_fmt(s.get('step_length_cm'), 'cm')}"]
        return "\n".join(lines + [f"warning: {w}" for w in result.warnings])
    where = result.direction.replace("_", " ") if result.direction else None
    head = ", ".join(x for x in (f"{len(result.rows)} contacts", where, "overground" if s.get("overground") else None)
                     if x)
    strike = (f"foot strike {fs['majority']} (rear {fs.get('rearfoot', 0)}, mid {fs.get('midfoot', 0)},"
              f" fore {fs.get('forefoot', 0)})" if fs.get("majority") else None)
    groups = [
        [("cadence", "cadence_spm", "spm", 0), ("ground contact", "ground_contact_ms", "ms", 0),
         ("flight", "flight_ms", "ms", 0)],
        [("lean", "lean_deg", "deg", 1), ("alignment", "alignment_deg", "deg", 1),
         ("trunk", "trunk_lean_deg", "deg", 1)],
        [("overstride", "overstride_cm", "cm", 1), ("vertical oscillation", "vertical_oscillation_cm", "cm", 1)],
    ]
    lines = [head]
    for k, group in enumerate(groups):
        parts = [f"{name} {_fmt(s.get(key), unit, digits)}" for name, key, unit, digits in group
                 if _fmt(s.get(key), unit, digits) != "-"]
        if k == 2 and strike:
            parts.insert(0, strike)
        if parts:
            lines.append("   ".join(parts))
    lines += [f"warning: {w}" for w in result.warnings]
    return "\n".join(lines)


class ProgressBar:
    """``pose  [#####.....]  412/1800 frames  58.3 frames/s  ETA 24 s`` redrawn in place on stderr."""

    def __init__(self, label: str = "pose", stream=None, width: int = 28):
        from engine.pose.extract import RateMeter

        self.label, self.width = label, width
        self.stream = stream if stream is not None else sys.stderr   # as it is now, after quiet_native_logs
        self.rate = RateMeter()
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        import time

        now = time.monotonic()
        if now - self.last < 0.25 and done < total:
            return
        self.last = now
        fps, eta = self.rate(done, total)
        frac = min(1.0, done / total) if total else 0.0
        bar = "#" * int(frac * self.width) + "." * (self.width - int(frac * self.width))
        of = f"/{total}" if total else ""
        eta_s = f"  ETA {eta:.0f} s" if eta is not None else ""
        self.stream.write(f"\r{self.label} [{bar}] {done}{of} frames  {fps:.1f} frames/s{eta_s}   ")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and a.samefile(b))
    except OSError:
        return False


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any analysis, an output that cannot be written or that would overwrite the input."""
    source = Path(args.path)
    problems = []
    for option, value, is_dir in (("--json", args.json, False), ("--csv", args.csv, False),
                                  ("--landmarks-out", args.landmarks_out, False),
                                  ("--overlay-out", args.overlay_out, False), ("--frames-out", args.frames_out, True)):
        if not value or value == "-":
            continue
        out = Path(value)
        if _same_file(source, out):
            problems.append(f"{option} {value} is the input file; it would be overwritten")
            continue
        if is_dir:
            existing = next((p for p in (out, *out.parents) if p.exists()), Path("."))
            if existing.exists() and not existing.is_dir():
                problems.append(f"{option} {value}: {existing} is a file, not a folder")
            elif not os.access(existing, os.W_OK):
                problems.append(f"{option} {value}: {existing} cannot be written")
            continue
        if out.is_dir():
            problems.append(f"{option} {value} is a folder; give a file name")
        elif not out.parent.is_dir():
            problems.append(f"{option} {value}: the folder {out.parent} does not exist")
        elif not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
            problems.append(f"{option} {value} cannot be written")
    if problems:
        raise LeanlineError("; ".join(problems))


def _analyze(args: argparse.Namespace) -> int:
    from engine.sources import analyze, load

    check_outputs(args)
    if not args.verbose:
        quiet_native_logs()
    video_only = [o for o, v in (("--landmarks-out", args.landmarks_out), ("--frames-out", args.frames_out),
                                 ("--overlay-out", args.overlay_out)) if v]
    bar = None if args.no_progress else ProgressBar()
    try:
        loaded = load(args.path, kind=args.kind, progress=bar, acc_unit=args.acc_unit)
    finally:
        if bar is not None:
            bar.close()
    if video_only and loaded.kind != "video" and not (args.landmarks_out and loaded.track is not None):
        raise LeanlineError(f"{', '.join(video_only)} need a video input")
    result = analyze(args.path, height_cm=args.height_cm, treadmill_speed_kmh=args.treadmill_speed_kmh,
                     loaded=loaded, placement=args.placement)
    if args.landmarks_out and loaded.track is not None:
        from engine.sources.landmarks_csv import write_landmark_csv

        write_landmark_csv(loaded.track, args.landmarks_out)
    if args.frames_out and loaded.track is not None:
        from engine.render import key_frames, write_key_frames

        written = write_key_frames(key_frames(args.path, loaded.track, result.rows), args.frames_out)
        print(f"wrote {len(written)} key frames to {args.frames_out}", file=sys.stderr)
    if args.overlay_out and loaded.track is not None:
        from engine.render import overlay_video

        overlay_video(args.path, loaded.track, result.rows, args.overlay_out)
        print(f"wrote {args.overlay_out}", file=sys.stderr)
    if args.json == "-":
        sys.stdout.write(result.to_json() + "\n")
    elif args.json:
        Path(args.json).write_text(result.to_json(indent=1), encoding="utf-8")
    if args.csv:
        result.rows.to_csv(args.csv, index=False, float_format="%.4g")
    print(human_summary(result), file=sys.stderr if args.json == "-" else sys.stdout)
    return 0


def _dashboard(args: argparse.Namespace) -> int:
    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    upload_mb = os.environ.get("LEANLINE_MAX_UPLOAD_MB", "1024")
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", args.address,
           "--server.port", str(args.port), "--browser.gatherUsageStats", "false",
           "--server.showEmailPrompt", "false", "--server.maxUploadSize", upload_mb,
           "--server.fileWatcherType", "none"]
    if args.headless or os.environ.get("CI"):
        cmd += ["--server.headless", "true"]
    print(f"leanline dashboard on http://{args.address}:{args.port} (library: {_data_dir()})", file=sys.stderr,
          flush=True)
    # become the server, so that stopping this process (Ctrl-C, a service manager, a test) stops it
    os.execv(sys.executable, cmd)
    return 0  # not reached


def _data_dir() -> Path:
    from engine.store import default_data_dir

    return default_data_dir()


def quiet_native_logs() -> None:
    """Keep MediaPipe's native log lines (TensorFlow Lite, absl, glog write straight to file descriptor 2)
    off the terminal: descriptor 2 goes to /dev/null, and Python's ``sys.stderr`` (progress, the summary,
    the one-line reason of an error, a traceback) keeps the real stderr. The pose workers inherit the
    silenced descriptor; they report errors to the parent, which prints them."""
    try:
        real = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    sys.stderr.flush()
    sys.stderr = os.fdopen(real, "w", buffering=1, encoding=sys.stderr.encoding or "utf-8", errors="replace")
    os.dup2(devnull, 2)
    os.close(devnull)


def _terminate(signum, frame) -> None:
    """SIGTERM as an exception, so that ``finally`` blocks end the pose workers before the process goes."""
    raise SystemExit(128 + signum)


def _metrics(args: argparse.Namespace) -> int:
    from engine.metrics import METRICS, as_json

    if args.json:
        sys.stdout.write(json.dumps(as_json(), indent=1) + "\n")
        return 0
    for m in METRICS:
        unit = f" [{m.unit}]" if m.unit not in ("–", "") else ""
        better = "" if m.better == "none" else f"  better: {m.better.replace('_', ' ')}"
        print(f"{m.name}{unit}  {m.label}{better}\n    {m.definition}" + (f"\n    sign: {m.sign}" if m.sign else "")
              + (f"\n    Pose target: {m.target}" if m.target else ""))
    return 0


def _compare(args: argparse.Namespace) -> int:
    from engine.compare import compare_many

    if len(args.sessions) < 2:
        raise LeanlineError("compare needs at least two results or sessions")
    named = [_load_result(x, args.library) for x in args.sessions]
    report = compare_many([r for _, r in named], [n for n, _ in named], seed=args.seed)
    if args.json:
        text = json.dumps(report, indent=1, allow_nan=False, default=str)
        if args.json == "-":
            sys.stdout.write(text + "\n")
        else:
            Path(args.json).write_text(text, encoding="utf-8")
    out = sys.stderr if args.json == "-" else sys.stdout
    for w in report["warnings"]:
        print(f"warning: {w}", file=out)
    for pair in report["comparisons"]:
        print(f"\n{pair['before']}  ->  {pair['after']}", file=out)
        for line in pair["summary"]:
            print(f"  - {line}", file=out)
    return 0


def _load_result(ref: str, library: str | None):
    """(name, result) from a result JSON file or a stored session's id."""
    from engine.model import AnalysisResult

    path = Path(ref)
    if path.suffix.lower() == ".json" or path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise LeanlineError(f"{ref}: not a leanline result ({exc})") from None
        if not isinstance(data, dict) or "rows" not in data:
            raise LeanlineError(f"{ref}: not a leanline result (no rows); make one with analyze --json")
        return path.stem, AnalysisResult.from_dict(data)
    if not ref.isdigit():
        raise LeanlineError(f"{ref}: neither a result JSON file nor a session id")
    from engine.store import Library

    stored = Library(library).session(int(ref))
    return stored.display_name, stored.result


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.command == "analyze":
            return _analyze(args)
        if args.command == "metrics":
            return _metrics(args)
        if args.command == "compare":
            return _compare(args)
        return _dashboard(args)
    except LeanlineError as exc:
        print(f"leanline: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
