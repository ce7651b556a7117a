"""The bundled sample sessions: the same synthetic runner before and after a Pose Method block.

``python -m engine.synth.samples [DIR]`` regenerates ``sample_data/`` (deterministic).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import asdict
from pathlib import Path

from engine.sources.landmarks_csv import write_landmark_csv
from engine.synth.runner import RunnerParams, simulate

#: Upright heel striker landing well ahead of the hips, low cadence, more bounce.
BEFORE = RunnerParams(
    cadence_spm=160.0, duty_factor=0.31, speed_mps=3.0, trunk_lean_deg=2.0, foot_strike_angle_deg=16.0,
    overstride_cm=22.0, vertical_oscillation_cm=10.0, min_knee_flexion_deg=12.0, treadmill=True,
    fps=60.0, duration_s=12.0, noise_frac=0.001, seed=11,
)
#: Forefoot landing under the hips, lean from the ankles, higher cadence, less bounce.
AFTER = RunnerParams(
    cadence_spm=180.0, duty_factor=0.27, speed_mps=3.0, trunk_lean_deg=7.0, foot_strike_angle_deg=-5.0,
    overstride_cm=5.0, vertical_oscillation_cm=6.5, min_knee_flexion_deg=16.0, treadmill=True,
    fps=60.0, duration_s=12.0, noise_frac=0.001, seed=12,
)
#: The watch files: the same runs recorded for 30 minutes by a watch with a foot pod.
WATCH_MINUTES = 30.0
WATCH_STARTS = {"before": dt.datetime(2026, 9, 5, 7, 0, tzinfo=dt.timezone.utc),
                "after": dt.datetime(2026, 11, 7, 7, 0, tzinfo=dt.timezone.utc)}


def write_watch(name: str, params: RunnerParams, out: Path) -> Path:
    """``{name}_watch.fit``: the run as a watch logs it (one record per second, FIT encoded)."""
    from engine.synth.fit import watch_records, write_fit

    records = watch_records(params, duration_s=WATCH_MINUTES * 60.0, seed=params.seed)
    return write_fit(out / f"{name}_watch.fit", records, start=WATCH_STARTS[name])


def write_pose_csv(clip: Path, out: Path) -> Path:
    """BlazePose's landmarks of a clip as a landmark CSV (what ``--landmarks-out`` writes).

    The dashboard seeds its library from these, so the first start does not wait for the pose model.
    """
    from engine.sources import load

    track = load(clip, kind="video").track
    assert track is not None                 # a clip always reads into a track
    return write_landmark_csv(track, out)


def write_samples(directory: str | Path, *, clips: bool = True) -> list[Path]:
    """Write ``before``/``after`` landmark CSVs, clips and watch files with their truth tables and parameters."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, params in (("before", BEFORE), ("after", AFTER)):
        run = simulate(params)
        written.append(write_landmark_csv(run.track, out / f"{name}_landmarks.csv", float_format="%.2f"))
        run.truth.to_csv(out / f"{name}_truth.csv", index=False, float_format="%.4f")
        (out / f"{name}_params.json").write_text(json.dumps(asdict(params), indent=1) + "\n", encoding="utf-8")
        written += [out / f"{name}_truth.csv", out / f"{name}_params.json", write_watch(name, params, out)]
        if clips:
            from engine.synth.video import clip_params, write_clip

            write_clip(out / f"{name}.mp4", clip_params(params), style="blue", crf=26)
            written.append(out / f"{name}.mp4")
            written.append(write_pose_csv(out / f"{name}.mp4", out / f"{name}_pose.csv"))
    sessions = [{"name": name, "label": f"{name} block", "date": WATCH_STARTS[name].date().isoformat()}
                for name in ("before", "after")]
    manifest = {"athlete": "Sample runner", "watch_minutes": WATCH_MINUTES, "sessions": sessions}
    (out / "sessions.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return written + [out / "sessions.json"]


if __name__ == "__main__":
    for p in write_samples(sys.argv[1] if len(sys.argv) > 1 else "sample_data"):
        print(p)
