"""The synthetic runner on video: a drawn side-view figure whose kinematics are known exactly.

BlazePose finds a simply drawn person (capsule limbs, a torso, a head in profile, shoes) and puts
its hips, knees, ankles, heels and toes close to where they were drawn, so a clip rendered from
:class:`~engine.synth.runner.RunnerModel` tests the whole video pipeline against exact truth.
Clips are H.264 (PyAV's libx264) in .mp4, optionally stored landscape with a portrait display
rotation, as phones record them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from engine.pose.video import write_h264
from engine.synth.runner import (
    HEEL_EDGE,
    TOE_TIP,
    PixelMap,
    RunnerModel,
    RunnerParams,
    SyntheticRun,
    _rot,
    simulate,
)

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class FigureStyle:
    """Colours (RGB) and the backdrop of a rendered clip."""

    skin: RGB = (222, 170, 135)
    shirt: RGB = (40, 90, 200)
    shorts: RGB = (35, 35, 45)
    socks: RGB = (235, 235, 235)
    shoes: RGB = (230, 70, 50)
    hair: RGB = (60, 40, 30)
    wall_top: RGB = (205, 215, 228)
    wall_bottom: RGB = (170, 180, 195)
    floor: RGB = (95, 95, 100)
    far_shade: float = 0.72      # far-side limbs are drawn darker
    clutter: int = 6             # background boxes (doors, posters)
    build: float = 1.0           # limb and trunk widths (a heavier or slimmer runner)


STYLES = {
    "blue": FigureStyle(),
    "green": FigureStyle(shirt=(30, 150, 80), shorts=(20, 40, 90), shoes=(250, 250, 250), skin=(170, 120, 90),
                         wall_top=(235, 230, 215), wall_bottom=(210, 200, 180), floor=(120, 100, 80)),
    "dark": FigureStyle(shirt=(200, 60, 60), shorts=(60, 60, 60), shoes=(30, 200, 220), skin=(120, 80, 60),
                        hair=(20, 20, 20), wall_top=(70, 80, 95), wall_bottom=(50, 55, 65), floor=(35, 35, 40),
                        clutter=3),
    "bright": FigureStyle(shirt=(250, 200, 40), shorts=(10, 10, 10), shoes=(20, 20, 20), skin=(240, 200, 175),
                          wall_top=(250, 250, 250), wall_bottom=(225, 230, 235), floor=(150, 150, 150),
                          clutter=8),
}

# limb widths as fractions of standing height (side view)
_W_THIGH, _W_SHANK, _W_UPPER_ARM, _W_FOREARM = 0.085, 0.060, 0.050, 0.040
_W_TRUNK, _W_NECK, _R_HEAD = 0.150, 0.055, 0.062
# seen from the side, the shoulder's centre of rotation lies 61-65 % of the thorax's depth behind the sternum
# (Amabile, Bull and Kedgley 2016), so the chest is mostly in front of it: the trunk's upper end is drawn
# centred this share of its depth ahead of the shoulder joint (which then sits 38 % of the depth from the
# back), its lower end centred on the hips. A trunk centred on the shoulder joint made BlazePose place the
# shoulders 2-3 cm behind it, where a real chest puts them, and read the trunk lean 3 deg low.
_CHEST_AHEAD = 0.12
#: The figure is drawn this many times finer than the frame and averaged down (INTER_AREA), as a sensor
#: integrates the light falling on each pixel. Drawn straight onto the frame, every edge snapped to whole
#: pixels: a heel coming down at under a pixel a frame (120-240 fps) sat on the floor's row up to half a
#: pixel before it touched, and stood still there for frames.
SUPERSAMPLE = 4


def _shade(colour: RGB, k: float) -> RGB:
    r, g, b = (int(round(c * k)) for c in colour)
    return r, g, b


def _capsule(img, a, b, width_px: float, colour: RGB) -> None:
    a = tuple(int(round(v)) for v in a)
    b = tuple(int(round(v)) for v in b)
    w = max(1, int(round(width_px)))
    cv2.line(img, a, b, colour, w, cv2.LINE_AA)
    for p in (a, b):
        cv2.circle(img, p, max(1, w // 2), colour, -1, cv2.LINE_AA)


def _backdrop(width: int, height: int, ground_px: float, style: FigureStyle, seed: int) -> np.ndarray:
    img = np.empty((height, width, 3), np.uint8)
    g = int(round(ground_px))
    ramp = np.linspace(0.0, 1.0, max(g, 1))[:, None]
    top, bottom = np.array(style.wall_top, float), np.array(style.wall_bottom, float)
    img[:g] = ((1 - ramp) * top + ramp * bottom)[:, None, :].astype(np.uint8)[:g]
    img[g:] = style.floor
    rng = np.random.default_rng(seed)
    for _ in range(style.clutter):
        w, h = rng.uniform(0.04, 0.12) * width, rng.uniform(0.08, 0.3) * height
        x, y = rng.uniform(0, width - w), rng.uniform(0.05 * height, max(0.06 * height, g - h - 0.05 * height))
        colour = tuple(int(v) for v in (0.85 * bottom + 0.15 * rng.uniform(0, 255, 3)))
        cv2.rectangle(img, (int(x), int(y)), (int(x + w), int(y + h)), colour, -1)
    cv2.line(img, (0, g), (width, g), _shade(style.floor, 0.6), 2)
    return img


class FigureRenderer:
    """Draws the synthetic runner of ``model`` at any time onto its backdrop."""

    def __init__(self, model: RunnerModel, pixel_map: PixelMap, style: FigureStyle, *, seed: int = 0):
        self.m, self.pm, self.style = model, pixel_map, style
        p = model.p
        # pixels per standing height, by build, on the supersampled patch the figure is drawn on
        self.scale = pixel_map.px_per_m * model.h * style.build * SUPERSAMPLE
        self.origin = np.zeros(2)             # the patch's top-left corner in the frame, set by each draw
        self.backdrop = _backdrop(p.image_width, p.image_height, pixel_map.ground_px, style, seed)
        # facing image-right shows the right side of the body: the right limbs are the near ones
        self.near = "right" if p.direction == "left_to_right" else "left"
        self.far = "left" if self.near == "right" else "right"

    def _shoe(self, t: float, side: str) -> np.ndarray:
        ankle, pitch, _ = self.m.foot(np.array([t]), side)
        h = self.m.h
        sole = HEEL_EDGE[1]
        outline = [HEEL_EDGE, (-0.030, sole + 0.030), (-0.012, sole + 0.052), (0.035, sole + 0.050),
                   (0.085, sole + 0.030), (TOE_TIP[0] + 0.004, sole + 0.012), TOE_TIP]
        pts = np.stack([ankle[0] + _rot(pitch, q, h)[0] for q in outline])
        return self.px(pts)

    def px(self, xy_m: np.ndarray) -> np.ndarray:
        """Runner-frame metres -> pixels of the canvas being drawn (the supersampled patch)."""
        return (self.pm(xy_m) - self.origin) * SUPERSAMPLE + (SUPERSAMPLE - 1) / 2.0

    def _leg(self, img, lm, side: str, k: float, t: float) -> None:
        s = self.style
        hip, knee, ankle = (self.px(lm[f"{side}_{j}"]) for j in ("hip", "knee", "ankle"))
        _capsule(img, knee, ankle, _W_SHANK * self.scale, _shade(s.skin, k))
        _capsule(img, ankle, ankle + 0.15 * (knee - ankle), _W_SHANK * 0.95 * self.scale, _shade(s.socks, k))
        _capsule(img, hip, knee, _W_THIGH * self.scale, _shade(s.skin, k))
        _capsule(img, hip, hip + 0.5 * (knee - hip), _W_THIGH * 1.1 * self.scale, _shade(s.shorts, k))
        shoe = self._shoe(t, side)
        cv2.fillPoly(img, [np.round(shoe).astype(np.int32)], _shade(s.shoes, k), cv2.LINE_AA)

    def _arm(self, img, lm, side: str, k: float) -> None:
        s = self.style
        sh, el, wr = (self.px(lm[f"{side}_{j}"]) for j in ("shoulder", "elbow", "wrist"))
        _capsule(img, sh, el, _W_UPPER_ARM * self.scale, _shade(s.shirt, k))
        _capsule(img, el, wr, _W_FOREARM * self.scale, _shade(s.skin, k))

    def draw(self, t: float) -> np.ndarray:
        """The RGB frame at time ``t``: the figure is drawn on a patch of the backdrop ``SUPERSAMPLE`` times
        finer and averaged back to the frame's pixels."""
        lm = {k: v[0] for k, v in self.m.landmarks(np.array([t])).items()}
        pts = self.pm(np.stack(list(lm.values())))               # the landmarks run from the head to the toes
        margin = 0.2 * self.scale / SUPERSAMPLE + 4.0
        h, w = self.backdrop.shape[:2]
        x0, y0 = (max(0, int(np.floor(v - margin))) for v in pts.min(axis=0))
        x1, y1 = min(w, int(np.ceil(pts[:, 0].max() + margin))), min(h, int(np.ceil(pts[:, 1].max() + margin)))
        img = self.backdrop.copy()
        if x1 <= x0 or y1 <= y0:
            return img
        patch = cv2.resize(self.backdrop[y0:y1, x0:x1], None, fx=SUPERSAMPLE, fy=SUPERSAMPLE,
                           interpolation=cv2.INTER_NEAREST)
        self.origin = np.array([x0, y0], float)
        self._figure(patch, lm, t)
        img[y0:y1, x0:x1] = cv2.resize(patch, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        return img

    def _figure(self, img: np.ndarray, lm: dict, t: float) -> None:
        s = self.style
        mh = 0.5 * (lm["left_hip"] + lm["right_hip"])
        ms = 0.5 * (lm["left_shoulder"] + lm["right_shoulder"])
        self._arm(img, lm, self.far, s.far_shade)
        self._leg(img, lm, self.far, s.far_shade, t)
        # trunk, neck, head in profile
        a = self.m.trunk_angle(np.array([t]))[0]
        chest = _CHEST_AHEAD * _W_TRUNK * self.m.h * self.style.build * np.array([np.cos(a), -np.sin(a)])
        _capsule(img, self.px(mh), self.px(ms + 0.02 * self.m.h * (mh - ms) + chest), _W_TRUNK * self.scale, s.shirt)
        head = 0.5 * (lm["left_ear"] + lm["nose"]) + np.array([-0.02, 0.01]) * self.m.h
        _capsule(img, self.px(ms), self.px(head), _W_NECK * self.scale, s.skin)
        hc = self.px(head)
        r = _R_HEAD * self.scale
        cv2.circle(img, tuple(int(round(v)) for v in hc), int(round(r)), s.skin, -1, cv2.LINE_AA)
        nose = self.px(lm["nose"])
        back = self.px(head - np.array([0.045, -0.01]) * self.m.h)
        cv2.ellipse(img, tuple(int(round(v)) for v in back + (0, -0.3 * r)), (int(0.75 * r), int(0.8 * r)),
                    0, 0, 360, s.hair, -1, cv2.LINE_AA)
        tip = np.round(nose).astype(np.int32)
        cv2.fillPoly(img, [np.array([tip, np.round(hc + 0.55 * (nose - hc) + (0, -0.35 * r)),
                                     np.round(hc + 0.55 * (nose - hc) + (0, 0.35 * r))], np.int32)], s.skin,
                     cv2.LINE_AA)
        eye = hc + 0.55 * (nose - hc) + (0, -0.45 * r)
        cv2.circle(img, tuple(int(round(v)) for v in eye), max(1, int(0.09 * r)), (30, 30, 30), -1, cv2.LINE_AA)
        self._leg(img, lm, self.near, 1.0, t)
        self._arm(img, lm, self.near, 1.0)


def write_clip(
    path: str | Path,
    params: RunnerParams,
    *,
    style: FigureStyle | str = "blue",
    rotate_display_deg: int = 0,
    crf: int = 20,
    seed: int = 0,
    follow: bool = False,
    effect=None,
) -> SyntheticRun:
    """Render the synthetic runner of ``params`` to an H.264 .mp4 and return its truth.

    Parameters
    ----------
    follow : a camera that pans to follow an overground runner: the scene is drawn on a canvas as wide as
        the run, and each frame is the window centred on the runner's hips (smoothed), so the background
        moves across the picture while the runner stays near the middle. The truth is the run's own.
    effect : a function applied to every RGB frame before encoding (blur, noise, light, lens: see
        :mod:`engine.synth.looks`).
    rotate_display_deg : store the frames turned by this many degrees and tag the stream with the
        display rotation that turns them back (how phones store portrait clips), e.g. -90.
    """
    style = STYLES[style] if isinstance(style, str) else style
    run = simulate(params)
    p = run.params
    model = RunnerModel(p)
    t = run.track.time_s
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if follow:
        frames = _following(model, t, style, seed)
    else:
        renderer = FigureRenderer(model, PixelMap.for_run(model, t), style, seed=seed)
        frames = ((float(ti), renderer.draw(float(ti))) for ti in t)
    if effect is not None:
        frames = ((ti, effect(img)) for ti, img in frames)
    # one encoder thread: a clip of the test bed renders to the same bytes on every run
    write_h264(path, frames, fps=p.fps, width=p.image_width, height=p.image_height, crf=crf, threads=1,
               rotate_display_deg=rotate_display_deg)
    return run


def _following(model: RunnerModel, t: np.ndarray, style: FigureStyle, seed: int):
    """Frames of a camera that pans with the runner: windows of a canvas as wide as the whole run."""
    p = model.p
    pm = PixelMap.for_run(model, t)
    hips = model.mid_hip(np.asarray(t, float))[:, 0]
    travel_px = float(np.ptp(hips)) * pm.px_per_m
    wide = replace(p, image_width=int(p.image_width + travel_px + 0.2 * p.image_width))
    canvas_map = replace(pm, centre_px=wide.image_width / 2.0)
    busy = replace(style, clutter=int(round(style.clutter * wide.image_width / p.image_width)))  # same density
    renderer = FigureRenderer(RunnerModel(wide), canvas_map, busy, seed=seed)
    centre = canvas_map(np.stack([hips, np.zeros_like(hips)], axis=1))[:, 0]
    k = max(1, int(round(0.5 * p.fps)))            # a smooth pan: the hips' path averaged over half a second
    smooth = np.convolve(np.pad(centre, k, mode="edge"), np.ones(2 * k + 1) / (2 * k + 1), mode="same")[k:-k]
    for ti, c in zip(t, smooth):
        x0 = int(np.clip(round(c - p.image_width / 2), 0, wide.image_width - p.image_width))
        yield float(ti), np.ascontiguousarray(renderer.draw(float(ti))[:, x0:x0 + p.image_width])


def clip_params(base: RunnerParams | None = None, **overrides) -> RunnerParams:
    """Parameters for a clip: the runner's noise is BlazePose's job, so none is added."""
    return replace(base or RunnerParams(), noise_frac=0.0, **overrides)
