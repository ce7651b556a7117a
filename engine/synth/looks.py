"""Looks of the synthetic runner's clips: the runner, the scene, the camera and the picture varied, the
kinematics (and so the exact truth) kept.

A method tuned on one look can fit that look's drawing rather than running: a sweep over many looks
shows it. Each :class:`Look` names the figure's style (colours, build, background clutter), the camera
(frame rate, size, how big the runner is, roll, portrait storage, a following pan) and the picture's
effects (motion blur, sensor noise, light, barrel distortion, compression). ``TUNING`` looks are for
choosing numbers; ``HELD_OUT`` looks are only for checking them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from engine.synth.runner import RunnerParams, SyntheticRun, simulate
from engine.synth.video import STYLES, FigureStyle, clip_params, write_clip


@dataclass(frozen=True)
class Look:
    """How a clip looks: style, camera and picture; ``camera`` overrides the runner's parameters."""

    name: str
    style: FigureStyle
    camera: dict = field(default_factory=dict)
    follow: bool = False
    portrait: bool = False
    blur_px: int = 0              # horizontal motion blur, kernel length in pixels
    noise_sd: float = 0.0         # sensor noise, grey levels
    gain: float = 1.0             # light: < 1 darker
    barrel_k: float = 0.0         # lens distortion (radial, normalised to the half-diagonal)
    crf: int = 20                 # H.264 quality: higher is more compressed


def _effects(img: np.ndarray, look: Look, rng: np.random.Generator) -> np.ndarray:
    out: np.ndarray = img.astype(np.float32)
    if look.barrel_k:
        h, w = img.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        cx, cy, r = w / 2.0, h / 2.0, float(np.hypot(w, h)) / 2.0
        dx, dy = (xx - cx) / r, (yy - cy) / r
        f = 1.0 + look.barrel_k * (dx * dx + dy * dy)
        out = cv2.remap(out, cx + dx * f * r, cy + dy * f * r, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    if look.blur_px > 1:
        kernel = np.full((1, look.blur_px), 1.0 / look.blur_px, np.float32)
        out = cv2.filter2D(out, -1, kernel)
    out = out * look.gain
    if look.noise_sd:
        out = out + rng.normal(0.0, look.noise_sd, out.shape).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def look_params(look: Look, params: RunnerParams) -> RunnerParams:
    """The runner of ``params`` as ``look`` films it: the camera's settings override the runner's, and a
    following camera films an overground run."""
    p = clip_params(replace(params, **look.camera))
    return replace(p, treadmill=False) if look.follow else p


def filmed_run(look: Look, params: RunnerParams) -> SyntheticRun:
    """The run (and its exact truth) that :func:`render` films, without drawing it: for a clip rendered before
    (a render gives the same bytes every time)."""
    return simulate(look_params(look, params))


def render(look: Look, params: RunnerParams, path: str | Path, *, seed: int = 0) -> SyntheticRun:
    """The runner of ``params`` filmed in ``look`` (the camera's settings override the runner's)."""
    p = look_params(look, params)
    needs = look.blur_px > 1 or look.noise_sd or look.gain != 1.0 or look.barrel_k
    effect = partial(_effects, look=look, rng=np.random.default_rng(seed)) if needs else None
    return write_clip(path, p, style=look.style, crf=look.crf, seed=seed, follow=look.follow, effect=effect,
                      rotate_display_deg=-90 if look.portrait else 0)


_S = STYLES
TUNING = (
    Look("studio", _S["blue"]),
    Look("gym_dark_blur", _S["dark"], blur_px=7, noise_sd=4.0),
    Look("bright_phone_30fps", _S["bright"], camera=dict(fps=30, image_width=960, image_height=540), crf=30),
    Look("heavy_build", replace(_S["green"], build=1.35)),
)
HELD_OUT = (
    Look("portrait_30fps", replace(_S["green"], build=0.85), camera=dict(fps=30, image_width=540, image_height=960,
                                                                         body_frac_of_image=0.55), portrait=True),
    Look("low_light_noise", replace(_S["blue"], shoes=(20, 20, 20)), gain=0.55, noise_sd=8.0, crf=28),
    Look("wide_lens_tilted", _S["bright"], camera=dict(camera_roll_deg=3.0, treadmill=False, image_width=1920,
                                                       duration_s=3.2),
         barrel_k=0.06),
    Look("following_30fps", _S["dark"], camera=dict(fps=30, image_width=960, image_height=540), follow=True),
    Look("small_120fps", replace(_S["blue"], shirt=(120, 40, 160)), camera=dict(fps=120, body_frac_of_image=0.5)),
    Look("compressed_60fps", replace(_S["dark"], clutter=10), crf=38, blur_px=3),
    Look("short_240fps", replace(_S["green"], clutter=4), camera=dict(fps=240, duration_s=4.0)),
    Look("short_overground_30fps", replace(_S["bright"], shoes=(240, 240, 240)),
         camera=dict(fps=30, treadmill=False, image_width=1920, duration_s=3.5)),
)
LOOKS = {look.name: look for look in (*TUNING, *HELD_OUT)}
