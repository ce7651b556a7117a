"""Synthetic waist accelerometer from the synthetic runner's kinematics, with exact truth.

The sensor sits on the sacrum and moves with the runner's mid-hip (:class:`RunnerModel.mid_hip`):
its specific force is the mid-hip acceleration plus gravity's reaction, seen in device axes that are
tilted and permuted the way a phone in a belt pouch would be, with white noise, a constant bias and
a slow linear drift added. The truth (per-step cadence, vertical oscillation) is the runner's own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from engine.sources.imu import G
from engine.synth.runner import RunnerModel, RunnerParams, simulate


@dataclass(frozen=True)
class ImuNoise:
    noise_g: float = 0.05                   # white noise SD per axis
    bias_g: tuple[float, float, float] = (0.03, -0.02, 0.015)
    drift_g_per_min: float = 0.01           # linear bias change on every axis
    tilt_deg: float = 12.0                  # pitch of the device against the upright body


def waist_signal(params: RunnerParams, *, rate_hz: float = 100.0, noise: ImuNoise = ImuNoise(),
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(time_s, acc_g)``: device-axis acceleration in g (gravity included) sampled at ``rate_hz``."""
    model = RunnerModel(params)
    fine_hz = 1000.0
    t_fine = np.arange(0.0, params.duration_s, 1.0 / fine_hz)
    pos = model.mid_hip(t_fine)                                        # (N, 2): forward, up (m)
    acc = np.gradient(np.gradient(pos, 1.0 / fine_hz, axis=0), 1.0 / fine_hz, axis=0)
    step = int(round(fine_hz / rate_hz))
    t = t_fine[::step]
    fwd, up = acc[::step, 0], acc[::step, 1] + G                       # specific force in the runner frame
    k = math.radians(noise.tilt_deg)
    dev_fwd = fwd * math.cos(k) - up * math.sin(k)
    dev_up = fwd * math.sin(k) + up * math.cos(k)
    # device axes: x lateral, y along the spine (down when the phone hangs upside down), z forward
    acc_dev = np.column_stack([np.zeros_like(t), -dev_up, dev_fwd]) / G
    rng = np.random.default_rng(seed)
    acc_dev += np.asarray(noise.bias_g) + noise.drift_g_per_min * (t / 60.0)[:, None]
    acc_dev += rng.normal(0.0, noise.noise_g, acc_dev.shape)
    return t, acc_dev


def write_waist_csv(path: str | Path, params: RunnerParams, *, rate_hz: float = 100.0, noise: ImuNoise = ImuNoise(),
                    unit: str = "g", time_unit: str = "s", sep: str = ",", seed: int = 0) -> pd.DataFrame:
    """Write a generic ``time, ax, ay, az`` CSV; returns the runner's truth table (one row per contact)."""
    t, acc = waist_signal(params, rate_hz=rate_hz, noise=noise, seed=seed)
    scale = {"g": 1.0, "m/s^2": G}[unit]
    tscale = {"s": 1.0, "ms": 1e3, "ns": 1e9}[time_unit]
    df = pd.DataFrame({"time": t * tscale, "ax": acc[:, 0] * scale, "ay": acc[:, 1] * scale, "az": acc[:, 2] * scale})
    df.to_csv(path, index=False, sep=sep, float_format="%.6f" if time_unit != "ns" else None)
    return truth(params)


def truth(params: RunnerParams) -> pd.DataFrame:
    """The runner's exact per-contact metrics (cadence, vertical oscillation ...)."""
    return simulate(replace(params, fps=100.0, noise_frac=0.0)).truth
