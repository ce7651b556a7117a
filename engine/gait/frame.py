"""From image pixels to the runner frame: direction, travel, scale.

Runner frame (METRICS.md): x points the way the runner faces, y points up; units stay pixels until a
length is reported, when :class:`Scale` turns them into centimetres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import anthropometry as anth

LEFT_TO_RIGHT = "left_to_right"
RIGHT_TO_LEFT = "right_to_left"


@dataclass(frozen=True)
class Orientation:
    """Which way the runner faces and whether they travel across the frame.

    ``sign`` is +1 when the runner faces image-right (x_runner = +x_image), -1 when image-left.
    ``overground`` is True when the hips travel at least ``min_travel_legs_per_s`` leg lengths per
    second (a treadmill runner stays put; a runner crossing the frame does not).
    """

    direction: str
    sign: float
    overground: bool
    travel_px_per_s: float
    facing_agrees_with_travel: bool | None


def _median_sign(values: np.ndarray) -> float:
    v = values[np.isfinite(values)]
    return float(np.sign(np.median(v))) if v.size else 0.0


def detect_orientation(
    points: dict[str, np.ndarray], time_s: np.ndarray, leg_px: float, *, min_travel_legs_per_s: float = 0.4
) -> Orientation:
    """Facing from toes vs heels (and nose vs ears when present); travel from the mid-hip's drift.

    ``points`` maps landmark names to (T, 2) pixel arrays (gaps as NaN).
    """
    votes = []
    for side in ("left", "right"):
        votes.append(points[f"{side}_foot_index"][:, 0] - points[f"{side}_heel"][:, 0])
    facing = _median_sign(np.concatenate(votes))
    if "nose" in points and "left_ear" in points and "right_ear" in points:
        ears = 0.5 * (points["left_ear"][:, 0] + points["right_ear"][:, 0])
        head = _median_sign(points["nose"][:, 0] - ears)
        if facing == 0:
            facing = head
    mid_hip_x = 0.5 * (points["left_hip"][:, 0] + points["right_hip"][:, 0])
    ok = np.isfinite(mid_hip_x)
    travel = float(np.polyfit(time_s[ok], mid_hip_x[ok], 1)[0]) if ok.sum() >= 2 else 0.0
    overground = abs(travel) >= min_travel_legs_per_s * leg_px
    agrees = None
    if overground:
        agrees = facing == np.sign(travel)
        sign = float(np.sign(travel))            # a runner goes where they face; travel is the surer cue
    else:
        sign = facing if facing != 0 else 1.0
    return Orientation(
        direction=LEFT_TO_RIGHT if sign > 0 else RIGHT_TO_LEFT,
        sign=sign,
        overground=bool(overground),
        travel_px_per_s=travel,
        facing_agrees_with_travel=agrees,
    )


def ground_tilt_deg(mid_hip_px: np.ndarray) -> float:
    """How far the ground runs off the image's horizontal, from a runner crossing the frame: on level
    ground the hips keep their height from stride to stride, so their path is parallel to the ground
    (the bob averages out over the strides). Degrees, positive when the ground rises to the right of
    the image (the camera turned clockwise); NaN without enough of a path."""
    ok = np.all(np.isfinite(mid_hip_px), axis=1)
    x, y = mid_hip_px[ok, 0], mid_hip_px[ok, 1]
    if ok.sum() < 10 or np.ptp(x) <= 0:
        return float("nan")
    slope = np.polyfit(x, y, 1)[0]
    return float(-np.degrees(np.arctan(slope)))


def level_image(xy_px: np.ndarray, tilt_deg: float, centre_px: tuple[float, float]) -> np.ndarray:
    """Turn image points (..., 2) about ``centre_px`` so that a ground tilted by ``tilt_deg`` lies level."""
    a = np.radians(tilt_deg)
    dx, dy = xy_px[..., 0] - centre_px[0], xy_px[..., 1] - centre_px[1]
    out = np.empty_like(xy_px, dtype=float)
    out[..., 0] = centre_px[0] + np.cos(a) * dx - np.sin(a) * dy
    out[..., 1] = centre_px[1] + np.sin(a) * dx + np.cos(a) * dy
    return out


def to_runner_frame(xy_px: np.ndarray, sign: float) -> np.ndarray:
    """Image pixels (x right, y down) to runner-frame pixels (x forward, y up)."""
    out = np.empty_like(xy_px, dtype=float)
    out[..., 0] = sign * xy_px[..., 0]
    out[..., 1] = -xy_px[..., 1]
    return out


def segment_length_px(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(a - b, axis=-1)


def leg_length_px(points: dict[str, np.ndarray]) -> float:
    """Median thigh + shank length in pixels over both legs (sagittal segments: no foreshortening)."""
    lengths = []
    for side in ("left", "right"):
        thigh = segment_length_px(points[f"{side}_hip"], points[f"{side}_knee"])
        shank = segment_length_px(points[f"{side}_knee"], points[f"{side}_ankle"])
        lengths.append(thigh + shank)
    v = np.concatenate(lengths)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else float("nan")


@dataclass(frozen=True)
class Scale:
    """Pixels per centimetre and where that number came from (``height_cm`` or ``world_landmarks``)."""

    px_per_cm: float
    source: str

    def to_cm(self, px: np.ndarray | float) -> np.ndarray | float:
        return np.asarray(px) / self.px_per_cm


def scale_from_height(points: dict[str, np.ndarray], height_cm: float) -> Scale:
    """Scale from the runner's height: thigh + shank + trunk in pixels against Winter's proportions.

    Notes
    -----
    px_per_cm = median_t(thigh + shank + trunk)_px / ((0.245 + 0.246 + 0.288) x height_cm), with the
    trunk measured mid-hip to mid-shoulder. Exact for the synthetic runner; for a real runner the error
    is their departure from Winter's average proportions, typically a few per cent.
    """
    mid_hip = 0.5 * (points["left_hip"] + points["right_hip"])
    mid_sh = 0.5 * (points["left_shoulder"] + points["right_shoulder"])
    trunk = segment_length_px(mid_hip, mid_sh)
    per_side = []
    for side in ("left", "right"):
        per_side.append(segment_length_px(points[f"{side}_hip"], points[f"{side}_knee"])
                        + segment_length_px(points[f"{side}_knee"], points[f"{side}_ankle"]))
    body = 0.5 * (per_side[0] + per_side[1]) + trunk
    body = body[np.isfinite(body)]
    if not body.size:
        raise ValueError("no frame shows hips, knees, ankles and shoulders together")
    px_per_cm = float(np.median(body)) / ((anth.LEG + anth.TRUNK) * height_cm)
    return Scale(px_per_cm=px_per_cm, source="height_cm")
