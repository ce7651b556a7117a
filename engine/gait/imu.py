"""Per-step metrics from a body-worn accelerometer, by placement.

Methods
-------
Gravity alignment
    The gravity direction is the accelerometer's moving average over 2 s (the sensor may shift on
    the belt); vertical acceleration = projection on it minus g, positive up.
Step frequency
    The dominant peak of the Welch spectrum of the vertical acceleration between 0.7 and 4 Hz.
    A waist sensor sees every step (the body bobs once per step); an ankle, foot or wrist sensor sees
    every stride, so its peak is doubled. Known accuracy on running: within 1 spm of a hand count
    when the run is steady (a single frequency over the whole window).
Waist steps (Lee et al. 2010; Kiernan et al. 2023 compare 18 waist methods)
    One step per maximum of the vertical acceleration low-passed just above the step frequency
    (1.6 × f, at most 5 Hz), timed between samples by a parabola: the body is lowest and
    decelerating hardest at mid-stance. Consecutive maxima give the per-step cadence. These are
    mid-stance marks, not contact instants: ``ic_s`` holds the mark and contact/flight times are
    left empty in this version.
Vertical oscillation (Gullstrand et al. 2009: random error ~7 mm on a treadmill)
    Double integration of the vertical acceleration over each step (mid-stance to mid-stance, one
    full bob), with the drift removed per step: the mean is taken out of the acceleration so the
    velocity ends where it started, and the linear trend is taken out of the displacement so the
    height does too; VO = max − min of the displacement.

Running vs walking: under 135 steps/min, or with (5 Hz low-passed) vertical acceleration peaks under
0.6 g above gravity at the waist, the movement is reported as walking.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.integrate import cumulative_trapezoid
from scipy.ndimage import uniform_filter1d
from scipy.signal import butter, find_peaks, sosfiltfilt, welch

from engine.errors import NotRunningError, TooFewContactsError
from engine.gait.summary import summarize
from engine.model import AnalysisResult, STEP_COLUMNS
from engine.sources.imu import G, PLACEMENTS, ImuSignal

MIN_RUNNING_SPM = 135.0
MIN_WAIST_PEAK_G = 0.6


def vertical_acceleration(sig: ImuSignal, *, window_s: float = 2.0) -> np.ndarray:
    """Acceleration along gravity minus g (m/s², positive up)."""
    n = max(3, int(round(window_s * sig.rate_hz)))
    grav = uniform_filter1d(sig.acc_mps2, size=n, axis=0, mode="nearest")
    up = grav / np.linalg.norm(grav, axis=1, keepdims=True)
    return np.einsum("ij,ij->i", sig.acc_mps2, up) - G


def step_frequency_hz(vert: np.ndarray, rate_hz: float, *, lo_hz: float = 0.7, hi_hz: float = 4.0) -> float:
    f, p = welch(vert - vert.mean(), fs=rate_hz, nperseg=int(min(len(vert), 8 * rate_hz)))
    band = (f >= lo_hz) & (f <= hi_hz)
    return float(f[band][np.argmax(p[band])])


def _lowpass(x: np.ndarray, rate_hz: float, cutoff_hz: float) -> np.ndarray:
    sos = butter(4, cutoff_hz / (rate_hz / 2.0), output="sos")
    return sosfiltfilt(sos, x)


def _parabolic_offset(x: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Sub-sample position of each peak from a parabola through it and its neighbours (in samples)."""
    p = np.clip(peaks, 1, len(x) - 2)
    a, b, c = x[p - 1], x[p], x[p + 1]
    den = a - 2 * b + c
    return np.where(np.abs(den) > 1e-12, 0.5 * (a - c) / np.where(den == 0, 1, den), 0.0)


def step_oscillation_m(vert: np.ndarray, rate_hz: float) -> float:
    """Peak-to-peak height of one step's displacement from its acceleration, drift removed."""
    a = vert - vert.mean()
    v = cumulative_trapezoid(a, dx=1.0 / rate_hz, initial=0.0)
    v -= v.mean()
    d = cumulative_trapezoid(v, dx=1.0 / rate_hz, initial=0.0)
    d -= np.linspace(d[0], d[-1], len(d))
    return float(d.max() - d.min())


def analyze_imu(sig: ImuSignal, *, placement: str, lowpass_hz: float = 5.0) -> AnalysisResult:
    """One row per step (waist) or per stride-derived step (foot, wrist) with what the placement measures."""
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {PLACEMENTS}, got {placement!r}")
    fs = sig.rate_hz
    vert = vertical_acceleration(sig)
    f_peak = step_frequency_hz(vert, fs)
    per_stride = placement in ("foot", "wrist")
    spm_spectrum = 60.0 * f_peak * (2.0 if per_stride else 1.0)
    if per_stride and spm_spectrum > 260:          # the step harmonic won: it was already per step
        spm_spectrum /= 2.0
    warnings: list[str] = []
    period = 60.0 / spm_spectrum * (2.0 if per_stride else 1.0)
    # one smooth bump per mark: cut just above the mark frequency (a real waist signal has an impact
    # peak and a push-off peak in every step)
    smooth = _lowpass(vert, fs, min(lowpass_hz, 1.6 / period))
    peaks, _ = find_peaks(smooth, distance=max(1, int(0.7 * period * fs)), prominence=0.5)
    if spm_spectrum < MIN_RUNNING_SPM:
        raise NotRunningError(f"this looks like walking, not running: {spm_spectrum:.0f} steps/min "
                              f"(running is above {MIN_RUNNING_SPM:.0f})")
    if placement == "waist" and len(peaks) and np.median(smooth[peaks]) < MIN_WAIST_PEAK_G * G:
        raise NotRunningError("this looks like walking, not running: the waist hardly leaves the ground "
                              f"(median step peak {np.median(smooth[peaks]) / G:.2f} g above gravity)")
    if len(peaks) < 5:
        raise TooFewContactsError(f"only {len(peaks)} steps found in {sig.duration_s:.0f} s of data")
    times = sig.time_s[peaks] + _parabolic_offset(smooth, peaks) / fs
    rows = pd.DataFrame(np.nan, index=range(len(peaks)), columns=list(STEP_COLUMNS))
    rows["side"] = "both"              # a single sensor does not tell the feet apart
    rows["foot_strike"] = None
    rows["ic_s"] = times
    dt = np.diff(times)
    if per_stride:
        # one mark per stride: each stride is two steps of half its length
        rows["cadence_spm"] = np.append(120.0 / dt, np.nan)
    else:
        rows["cadence_spm"] = np.append(60.0 / dt, np.nan)
        vo = [step_oscillation_m(vert[a:b + 1], fs) * 100.0 for a, b in zip(peaks[:-1], peaks[1:])]
        rows["vertical_oscillation_cm"] = np.append(vo, np.nan)
        warnings.append("waist IMU: step times are mid-stance marks; ground contact, flight and foot strike "
                        "are not measured from this placement in this version")
    if placement == "foot":
        warnings.append("foot IMU: cadence only in this version; foot strike angle needs the gyroscope "
                        "method, which is not available yet")
    if placement == "wrist":
        warnings.append("wrist IMU: cadence only (arm swing counts strides)")
    summary = summarize(rows)
    summary["cadence_spectrum_spm"] = spm_spectrum
    return AnalysisResult(
        source={"kind": "imu", "fps": fs, "duration_s": sig.duration_s, "samples": int(len(sig.time_s))},
        rows=rows,
        summary=summary,
        settings={"placement": placement, "rate_hz": fs, "lowpass_hz": lowpass_hz, **sig.meta},
        row_unit="step",
        warnings=warnings,
    )
