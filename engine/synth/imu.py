"""Synthetic waist and foot accelerometers (and a foot gyroscope) from the synthetic runner, with exact truth.

Waist (sacrum)
    The body is a point mass that is in free fall between contacts and pushed up by the ground during
    each contact of the synthetic runner (its exact IC and TO): a half-sine vertical force whose
    impulse carries one step's weight (``g · T_step``), plus an impact transient in the first
    ~30 ms that grows with the foot strike angle (a heel strike's sharp peak, next to nothing on the
    forefoot), and a braking-then-propulsive fore-aft force with zero net impulse. The height is the
    double integral of that force minus gravity, periodic by construction, so the vertical
    oscillation follows from the contact and flight times (the runner's ``vertical_oscillation_cm``
    applies to its landmarks, not to this sensor) and :func:`waist_truth` reports it exactly.
Foot (on the laces)
    The sensor rides on the synthetic runner's right shoe: position and pitch come from
    :meth:`RunnerModel.foot`, so the touchdown's sudden stop, the flat foot, the roll over the toe
    and the swing are the runner's own. Its specific force and pitch rate are band-limited by a
    zero-phase 60 Hz filter (a real sensor's anti-alias filter) and sampled at ``rate_hz``.

Both sensors are seen in device axes that are tilted and permuted the way a phone in a belt pouch or
a pod on the laces would be, with white noise, a constant bias and a slow linear drift added.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.integrate import cumulative_trapezoid, trapezoid
from scipy.signal import butter, sosfiltfilt

from engine.sources.imu import G
from engine.synth.runner import RunnerModel, RunnerParams, _rot, simulate

FINE_HZ = 2000.0
FOOT_SENSOR = (0.045, -0.012)          # on the laces, in the foot frame as fractions of height
FOOT_MOUNT_PITCH_DEG = 14.0             # the pod sits toe-down on the instep
IMPACT_RISE_S = 0.010                   # impact transient: peak this long after IC
FORE_AFT_G = 0.35                       # braking / propulsive peak


@dataclass(frozen=True)
class ImuNoise:
    noise_g: float = 0.05                   # white noise SD per accelerometer axis
    bias_g: tuple[float, float, float] = (0.03, -0.02, 0.015)
    drift_g_per_min: float = 0.01           # linear bias change on every axis
    tilt_deg: float = 12.0                  # pitch of the device against the upright body
    gyro_noise_dps: float = 3.0             # gyroscope white noise SD (deg/s)
    gyro_bias_dps: float = 1.5              # gyroscope constant bias (deg/s)


def _impact_shape(u: np.ndarray) -> np.ndarray:
    """Unit-peak transient starting at contact: (u/τ)² e^{2(1 − u/τ)}, zero for u < 0."""
    x = np.clip(u, 0.0, None) / IMPACT_RISE_S
    return x * x * np.exp(2.0 * (1.0 - x))


def impact_g(params: RunnerParams) -> float:
    """Height of the impact transient at the sacrum: ~0.9 g for a 12° heel strike, 0.1 g on the forefoot."""
    return 0.1 + 0.8 * float(np.clip(params.foot_strike_angle_deg / 12.0, 0.0, 1.5))


def waist_forces(params: RunnerParams, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward and vertical specific force (m/s², gravity's reaction included) of the sacrum at times t."""
    model = RunnerModel(params)
    tc, ts = model.Tc, model.T_step
    u_fine = np.linspace(0.0, tc, 4001)
    impact = impact_g(params) * G * _impact_shape(u_fine)
    # the half-sine carries what the transient does not of one step's weight
    amp = (G * ts - trapezoid(impact, u_fine)) * math.pi / (2.0 * tc)
    fwd = np.zeros_like(t)
    up = np.zeros_like(t)
    since = np.mod(t - params.first_contact_s, ts)          # time since the latest IC (either foot)
    for j in range(int(math.ceil(tc / ts)) + 1):            # contacts overlap when the duty factor > 0.5
        u = since + j * ts
        on = u <= tc
        uo = u[on]
        up[on] += amp * np.sin(math.pi * uo / tc) + impact_g(params) * G * _impact_shape(uo)
        fwd[on] += -FORE_AFT_G * G * np.sin(2.0 * math.pi * uo / tc) - 0.3 * impact_g(params) * G * _impact_shape(uo)
    return fwd, up


def waist_height(params: RunnerParams, t: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Sacrum height (m, mean 0) from the vertical specific force on a uniform fine clock starting at 0."""
    dt = t[1] - t[0]
    v = cumulative_trapezoid(up - G, dx=dt, initial=0.0)
    whole = int(round(int(t[-1] / params.step_s) * params.step_s / dt))   # whole steps: a periodic mean
    v -= v[:whole].mean()
    y = cumulative_trapezoid(v, dx=dt, initial=0.0)
    return y - y[:whole].mean()


def _device(fwd: np.ndarray, up: np.ndarray, tilt_deg: float) -> np.ndarray:
    """Runner-frame specific force -> device axes (x lateral, y along the spine pointing down, z forward)."""
    k = math.radians(tilt_deg)
    dev_fwd = fwd * math.cos(k) - up * math.sin(k)
    dev_up = fwd * math.sin(k) + up * math.cos(k)
    return np.column_stack([np.zeros_like(fwd), -dev_up, dev_fwd])


def _add_noise(t: np.ndarray, acc_g: np.ndarray, noise: ImuNoise, rng: np.random.Generator) -> np.ndarray:
    acc_g = acc_g + np.asarray(noise.bias_g) + noise.drift_g_per_min * (t / 60.0)[:, None]
    return acc_g + rng.normal(0.0, noise.noise_g, acc_g.shape)


def waist_signal(params: RunnerParams, *, rate_hz: float = 100.0, noise: ImuNoise = ImuNoise(),
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(time_s, acc_g)``: device-axis acceleration in g (gravity included) sampled at ``rate_hz``."""
    t = np.arange(0.0, params.duration_s, 1.0 / rate_hz)
    fwd, up = waist_forces(params, t)
    return t, _add_noise(t, _device(fwd, up, noise.tilt_deg) / G, noise, np.random.default_rng(seed))


def waist_truth(params: RunnerParams) -> pd.DataFrame:
    """The runner's exact contacts, with the sacrum's own vertical oscillation between consecutive ICs.

    The force is periodic in the step, so every step has the same oscillation: one step is integrated.
    """
    table = truth(params)
    span = 4.0 * params.step_s
    t = np.arange(0.0, span, 1.0 / FINE_HZ)
    _, up = waist_forces(params, t)
    y = waist_height(replace(params, duration_s=span), t, up)
    ic = params.first_contact_s % params.step_s
    seg = y[(t >= ic + params.step_s) & (t <= ic + 2 * params.step_s)]
    vo = (seg.max() - seg.min()) * 100.0
    table["vertical_oscillation_cm"] = np.where(table["cadence_spm"].notna(), vo, np.nan)
    table["vertical_ratio_pct"] = table["vertical_oscillation_cm"] / table["step_length_cm"] * 100.0
    return table


def foot_signal(params: RunnerParams, *, rate_hz: float = 200.0, noise: ImuNoise = ImuNoise(),
                seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(time_s, acc_g, gyro_dps)`` of a pod on the right shoe's laces, in device axes.

    Device axes: x along the pod (toward the toes, pitched ``FOOT_MOUNT_PITCH_DEG`` down), y out of the
    laces, z lateral to the runner's right, so a toe-up rotation is positive about z.
    """
    model = RunnerModel(params)
    t_fine = np.arange(0.0, params.duration_s, 1.0 / FINE_HZ)
    ankle, pitch, _ = model.foot(t_fine, "right")
    pos = ankle + _rot(pitch, FOOT_SENSOR, model.h)
    dt = 1.0 / FINE_HZ
    acc = np.gradient(np.gradient(pos, dt, axis=0), dt, axis=0)
    rate = np.gradient(pitch, dt)
    sos = butter(4, 60.0 / (FINE_HZ / 2.0), output="sos")
    acc = sosfiltfilt(sos, acc, axis=0)
    rate = sosfiltfilt(sos, rate)
    f_world = acc + np.array([0.0, G])
    ang = pitch + math.radians(-FOOT_MOUNT_PITCH_DEG)
    c, s = np.cos(ang), np.sin(ang)
    fx = c * f_world[:, 0] + s * f_world[:, 1]           # world -> device: rotate by -pitch
    fy = -s * f_world[:, 0] + c * f_world[:, 1]
    step = int(round(FINE_HZ / rate_hz))
    t = t_fine[::step]
    acc_g = np.column_stack([fx, fy, np.zeros_like(fx)])[::step] / G
    rng = np.random.default_rng(seed)
    acc_g = _add_noise(t, acc_g, replace(noise, drift_g_per_min=0.0), rng)
    gyro = np.column_stack([np.zeros_like(t), np.zeros_like(t), np.degrees(rate[::step])])
    gyro += noise.gyro_bias_dps + rng.normal(0.0, noise.gyro_noise_dps, gyro.shape)
    return t, acc_g, gyro


def foot_truth(params: RunnerParams) -> pd.DataFrame:
    """The right foot's exact contacts (the sensor's foot)."""
    table = truth(params)
    return table[table["side"] == "right"].reset_index(drop=True)


def _write(path: str | Path, t: np.ndarray, acc_g: np.ndarray, gyro_dps: np.ndarray | None, *, unit: str,
           time_unit: str, sep: str) -> None:
    scale = {"g": 1.0, "m/s^2": G}[unit]
    tscale = {"s": 1.0, "ms": 1e3, "ns": 1e9}[time_unit]
    cols = {"time": t * tscale, "ax": acc_g[:, 0] * scale, "ay": acc_g[:, 1] * scale, "az": acc_g[:, 2] * scale}
    if gyro_dps is not None:
        cols |= {"gx (deg/s)": gyro_dps[:, 0], "gy (deg/s)": gyro_dps[:, 1], "gz (deg/s)": gyro_dps[:, 2]}
    pd.DataFrame(cols).to_csv(path, index=False, sep=sep, float_format="%.6f" if time_unit != "ns" else None)


def write_waist_csv(path: str | Path, params: RunnerParams, *, rate_hz: float = 100.0, noise: ImuNoise = ImuNoise(),
                    unit: str = "g", time_unit: str = "s", sep: str = ",", seed: int = 0) -> pd.DataFrame:
    """Write a generic ``time, ax, ay, az`` CSV; returns the truth table (one row per contact)."""
    t, acc = waist_signal(params, rate_hz=rate_hz, noise=noise, seed=seed)
    _write(path, t, acc, None, unit=unit, time_unit=time_unit, sep=sep)
    return waist_truth(params)


def write_foot_csv(path: str | Path, params: RunnerParams, *, rate_hz: float = 200.0, noise: ImuNoise = ImuNoise(),
                   unit: str = "g", seed: int = 0) -> pd.DataFrame:
    """Write a ``time, ax, ay, az, gx, gy, gz`` CSV (gyroscope in deg/s); returns the sensor foot's truth."""
    t, acc, gyro = foot_signal(params, rate_hz=rate_hz, noise=noise, seed=seed)
    _write(path, t, acc, gyro, unit=unit, time_unit="s", sep=",")
    return foot_truth(params)


def truth(params: RunnerParams) -> pd.DataFrame:
    """The runner's exact per-contact events and metrics."""
    return simulate(replace(params, fps=100.0, noise_frac=0.0)).truth
