"""Small drawings of what a metric measures, made with the contact frames' own drawing code.

A synthetic runner (exact kinematics) is drawn at initial contact with :func:`engine.render.draw_skeleton`
and :func:`engine.render.draw_lean_line`, and the measured segment or distance is marked on top.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from engine.render import BLANK_RGB, crop_to_runner, draw_lean_line, draw_skeleton, points_at
from engine.synth.runner import RunnerParams, simulate

MARK_RGB = (120, 255, 120)
GROUND_RGB = (150, 150, 150)
#: Metrics that get a drawing.
DRAWN = ("lean_deg", "alignment_deg", "overstride_cm", "foot_strike_angle_deg", "shin_angle_deg", "trunk_lean_deg",
         "knee_flexion_ic_deg", "fall_angle_deg")
#: A heel striker reaching out, so that overstride, shin and strike angle are large enough to see.
_RUNNER = RunnerParams(cadence_spm=164, duty_factor=0.31, speed_mps=3.1, foot_strike_angle_deg=14, overstride_cm=20,
                       trunk_lean_deg=8, vertical_oscillation_cm=8.0, fps=240.0, duration_s=2.0, image_width=900,
                       image_height=700, body_frac_of_image=0.8)


@lru_cache(maxsize=2)
def _pose(event: str) -> tuple[dict[str, np.ndarray], dict]:
    run = simulate(_RUNNER)
    row = run.truth[run.truth["side"] == "right"].iloc[0].to_dict()
    pts = points_at(run.track, float(row["ic_s"] if event == "ic" else row["to_s"]))
    return pts, row


def _line(img, a, b, *, colour=MARK_RGB, width=3) -> None:
    cv2.line(img, tuple(int(v) for v in a), tuple(int(v) for v in b), colour, width, cv2.LINE_AA)


def _text(img, text: str, at) -> None:
    cv2.putText(img, text, (int(at[0]), int(at[1])), cv2.FONT_HERSHEY_SIMPLEX, 1.0, MARK_RGB, 2, cv2.LINE_AA)


def _vertical(img, p, length: float) -> None:
    _line(img, p, (p[0], p[1] - length), colour=(255, 255, 255), width=2)


@lru_cache(maxsize=16)
def diagram(metric: str) -> np.ndarray:
    """An RGB picture of what ``metric`` measures on a runner facing right (forward = to the right)."""
    pts, row = _pose("to" if metric == "fall_angle_deg" else "ic")
    img = np.full((_RUNNER.image_height, _RUNNER.image_width, 3), BLANK_RGB, np.uint8)
    img, pts = crop_to_runner(img, pts)
    img = np.ascontiguousarray(img)
    draw_skeleton(img, pts, thickness=3)
    ankle, hip, sh = pts["right_ankle"], pts["mid_hip"], pts["mid_shoulder"]
    heel, toe, knee = pts["right_heel"], pts["right_foot_index"], pts["right_knee"]
    ground = max(heel[1], toe[1]) + 4
    _line(img, (0, ground), (img.shape[1], ground), colour=GROUND_RGB, width=2)
    if metric in ("lean_deg", "alignment_deg"):
        draw_lean_line(img, pts, {**row, "side": "right"})
        if metric == "lean_deg":
            _line(img, ankle, sh)
    elif metric == "overstride_cm":
        y = 0.5 * (knee[1] + ankle[1])
        _line(img, (hip[0], hip[1]), (hip[0], ground), colour=(255, 255, 255), width=2)
        _line(img, (ankle[0], y - 14), (ankle[0], ground), colour=(255, 255, 255), width=2)
        _line(img, (hip[0], y), (ankle[0], y), width=4)
        _text(img, "ankle ahead of hips", (hip[0] - 40, y - 24))
    elif metric == "foot_strike_angle_deg":
        _line(img, heel - (toe - heel) * 0.6, toe + (toe - heel) * 0.6)
        _text(img, "toe up = heel first", (heel[0] - 120, ground + 34))
    elif metric == "shin_angle_deg":
        _line(img, knee, ankle)
        _vertical(img, ankle, abs(ankle[1] - knee[1]))
    elif metric == "trunk_lean_deg":
        _line(img, hip, sh)
        _vertical(img, hip, abs(hip[1] - sh[1]))
    elif metric == "knee_flexion_ic_deg":
        _line(img, pts["right_hip"], knee)
        _line(img, knee, ankle)
    elif metric == "fall_angle_deg":
        _line(img, toe, hip)
        _vertical(img, toe, abs(toe[1] - hip[1]))
    return img
