"""Per-step metrics from a body-worn accelerometer (and gyroscope), by placement.

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
    (1.6 × f, at most 5 Hz): the body is lowest and decelerating hardest at mid-stance.
Waist contacts: IC and TO by Newton's second law
    While the sacrum moves with the centre of mass, its vertical specific force (acceleration along
    gravity plus g) is the vertical ground reaction force per body mass: about 0 in flight (free
    fall), well above 1 g in stance. In the 30 Hz low-passed force, IC is where the tangent at the
    steepest rise before a step's mid-stance meets 0 g, TO where the tangent at the steepest fall
    after it does (the tangent-onset rule of force-plate and EMG onset detection; extrapolating to
    zero removes the lag a fixed threshold such as 0.5 g would add). Steps without a flight phase
    (the force never falls under 0.5 g between two mid-stances), or whose contact would last under
    0.2 or over 1 step, get no contact times; cadence comes from the mid-stance marks. Accuracy on
    the synthetic runner at 100 Hz with noise, bias and drift: median ground contact within 6 ms,
    IC up to 7 ms early on heel strikes (the impact transient is smeared by the sampling); on real
    sacral sensors the soft tissue adds error this check cannot see.
Vertical oscillation (Gullstrand et al. 2009: random error ~7 mm on a treadmill)
    Double integration of the vertical acceleration over each step (IC to the next IC, or mid-stance
    mark to the next where a contact is missing), with the drift removed per step: the mean is taken
    out of the acceleration so the velocity ends where it started, and the linear trend is taken out
    of the displacement so the height does too; VO = max − min of the displacement.
Foot (gyroscope needed; the approach of foot-worn IMU work such as Falbriard et al. 2018 and 2020)
    The pitch rate is the angular rate about the gyroscope's principal axis (the foot turns mostly
    in the sagittal plane), signed so that the foot turns toe-down after the flat foot (the heel
    rises before the toe leaves). Per stride: mid-stance = the stillest moment (lowest 40 ms mean
    of the angular rate's norm); TO = the fastest toe-down rotation after it (the push-off ends as
    the toe leaves the ground); IC = the end of the swing's toe-up rotation before mid-stance: the
    first zero crossing of the pitch rate after its swing peak (a heel landing starts to roll
    toe-down), or the rate's first local minimum (a forefoot landing drops the heel, so the rate never
    turns negative). ``foot_strike_angle_deg`` = pitch at IC minus pitch at mid-stance = −∫ pitch rate
    from IC to mid-stance, with the gyroscope's bias taken from the still moments; the integral
    spans ~0.1 s, so drift does not build up. Accuracy on the synthetic runner: IC and TO within
    ±5 ms, strike angle within 1° (tests); real foot pods are not checked here.
Wrist
    Cadence only: arm swing counts strides.

Running vs walking: under 135 steps/min, or with (5 Hz low-passed) vertical acceleration peaks under
0.6 g above gravity at the waist, the movement is reported as walking.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.integrate import cumulative_trapezoid, trapezoid
from scipy.ndimage import uniform_filter1d
from scipy.signal import butter, find_peaks, sosfiltfilt, welch

from engine.errors import NotRunningError, TooFewContactsError
from engine.gait.metrics import classify_foot_strike
from engine.gait.summary import summarize
from engine.gait.uncertainty import add_uncertainty
from engine.metrics import STEP_COLUMNS
from engine.model import AnalysisResult
from engine.notices import Notice
from engine.provenance import engine_info
from engine.sources.imu import PLACEMENTS, G, ImuSignal

MIN_RUNNING_SPM = 135.0
MIN_WAIST_PEAK_G = 0.6
CONTACT_LOWPASS_HZ = 30.0
MAX_FLIGHT_FORCE_G = 0.5


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
    sos = butter(4, min(cutoff_hz, 0.45 * rate_hz) / (rate_hz / 2.0), output="sos")
    return sosfiltfilt(sos, x, axis=0)


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


def _crossing_time(time_s: np.ndarray, x: np.ndarray, i: int, level: float = 0.0) -> float:
    """Where the tangent of ``x`` at sample ``i`` (central slope) reaches ``level``."""
    slope = (x[i + 1] - x[i - 1]) * 0.5 / (time_s[1] - time_s[0])
    return float(time_s[i] + (level - x[i]) / slope)


def waist_contacts(time_s: np.ndarray, force: np.ndarray, marks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IC and TO (s) of the contact around each mid-stance mark; NaN where the steps have no flight."""
    ic = np.full(len(marks), np.nan)
    to = np.full(len(marks), np.nan)
    slope = np.gradient(force)
    for k, m in enumerate(marks):
        if k > 0:
            lo = marks[k - 1] + int(np.argmin(force[marks[k - 1]:m]))
            if force[lo] < MAX_FLIGHT_FORCE_G * G and m - lo >= 3:
                r = lo + int(np.argmax(slope[lo:m]))
                ic[k] = _crossing_time(time_s, force, int(np.clip(r, 1, len(force) - 2)))
        if k + 1 < len(marks):
            hi = m + int(np.argmin(force[m:marks[k + 1]]))
            if force[hi] < MAX_FLIGHT_FORCE_G * G and hi - m >= 3:
                f = m + int(np.argmin(slope[m:hi]))
                to[k] = _crossing_time(time_s, force, int(np.clip(f, 1, len(force) - 2)))
    return ic, to


def _step_marks(smooth: np.ndarray, fs: float, period_s: float) -> np.ndarray:
    peaks, _ = find_peaks(smooth, distance=max(1, int(0.7 * period_s * fs)), prominence=0.5)
    return peaks


def pitch_rate(gyro: np.ndarray, still: np.ndarray, fs: float) -> tuple[np.ndarray, float]:
    """Angular rate about the principal axis (rad/s), toe-down after the flat foot negative; and its bias."""
    centred = gyro - gyro.mean(axis=0)
    axis = np.linalg.svd(centred[:: max(1, len(gyro) // 20000)], full_matrices=False)[2][0]
    rate = gyro @ axis
    bias = float(np.median(np.concatenate([rate[max(0, s - 2):s + 3] for s in still]))) if len(still) else 0.0
    rate = rate - bias
    n = int(round(0.15 * fs))
    after = [trapezoid(rate[s:s + n]) for s in still if s + n <= len(rate)]
    if after and np.median(after) > 0:
        rate = -rate
    return rate, bias


def foot_events(time_s: np.ndarray, gyro: np.ndarray, fs: float, stride_s: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per stride of the sensor foot: IC, TO (s), mid-stance index and foot strike angle (degrees)."""
    rate_all = _lowpass(gyro, fs, 50.0)
    norm = uniform_filter1d(np.linalg.norm(rate_all, axis=1), size=max(1, int(round(0.04 * fs))))
    still, _ = find_peaks(-norm, distance=max(1, int(0.7 * stride_s * fs)))
    rate, _ = pitch_rate(rate_all, still, fs)
    ics, tos, mids, angles = [], [], [], []
    half = int(0.5 * stride_s * fs)
    for s in still:
        if s - half < 0 or s + half >= len(rate):
            continue
        seg = rate[s - half:s]                       # the swing's end and the landing
        top = int(np.argmax(seg[:half - int(0.15 * stride_s * fs)]))   # the swing's toe-up peak
        tail = seg[top:]
        down = np.flatnonzero((tail[:-1] > 0) & (tail[1:] <= 0))
        dips, _ = find_peaks(-tail, prominence=0.25 * max(tail[0], 1e-9))   # a heel drop, not noise
        cands = [c for c in (down[0] + tail[down[0]] / (tail[down[0]] - tail[down[0] + 1]) if down.size else None,
                             float(dips[0]) if dips.size else None) if c is not None]
        if not cands:
            continue
        i_ic = s - half + top + min(cands)
        t_ic = float(np.interp(i_ic, np.arange(len(time_s)), time_s))
        i0 = int(np.floor(i_ic))
        # pitch at IC minus pitch at mid-stance = -integral of the rate from IC to mid-stance
        angle = -(trapezoid(rate[i0 + 1:s + 1]) + (i0 + 1 - i_ic) * 0.5 * (rate[i0] + rate[i0 + 1])) / fs
        i_to = s + int(np.argmin(rate[s:s + half]))
        ics.append(t_ic)
        tos.append(time_s[i_to] + _parabolic_offset(-rate, np.array([i_to]))[0] / fs)
        mids.append(s)
        angles.append(np.degrees(angle))
    return np.array(ics), np.array(tos), np.array(mids, int), np.array(angles)


def _per_interval(values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Values of the intervals between consecutive marks, one per row (the last row has none); an interval
    longer than 1.8 median intervals is a pause or a missed mark, not a step: empty."""
    dt = np.diff(times)
    return np.append(np.where(dt <= 1.8 * np.nanmedian(dt), values, np.nan), np.nan)


def _rows(n: int) -> pd.DataFrame:
    rows = pd.DataFrame(np.nan, index=range(n), columns=list(STEP_COLUMNS))
    rows["side"] = "both"              # a single sensor does not tell the feet apart
    rows["foot_strike"] = None
    rows["event_method"] = "imu"
    return rows


def _waist_rows(sig: ImuSignal, vert: np.ndarray, marks: np.ndarray,
                mark_t: np.ndarray) -> tuple[pd.DataFrame, list[str]]:
    fs = sig.rate_hz
    warnings: list[str] = []
    force = _lowpass(vert + G, fs, CONTACT_LOWPASS_HZ)
    ic, to = waist_contacts(sig.time_s, force, marks)
    step_s = np.median(np.diff(mark_t))
    gct = to - ic
    odd = ~((gct > 0.2 * step_s) & (gct < step_s))          # not a contact: both ends dropped
    ic[odd], to[odd] = np.nan, np.nan
    rows = _rows(len(marks))
    rows["ic_s"] = np.where(np.isfinite(ic), ic, mark_t)
    rows["to_s"] = to
    rows["ground_contact_ms"] = (to - ic) * 1000.0
    rows["flight_ms"] = (np.append(ic[1:], np.nan) - to) * 1000.0
    rows["duty_factor_pct"] = (to - ic) / (np.append(ic[2:], [np.nan, np.nan]) - ic) * 100.0
    # cadence between mid-stance marks: the smooth maxima are steadier than contact instants on a real
    # sensor; the height of each step from IC to IC, or between the marks where a contact is missing
    rows["cadence_spm"] = _per_interval(60.0 / np.diff(mark_t), mark_t)
    ic_i = np.round((ic - sig.time_s[0]) * fs)
    both = np.isfinite(ic_i[:-1]) & np.isfinite(ic_i[1:])
    both &= np.abs(np.diff(ic_i) - np.diff(marks)) <= 0.2 * np.diff(marks)
    lo = np.where(both, ic_i[:-1], marks[:-1]).astype(int)
    hi = np.where(both, ic_i[1:], marks[1:]).astype(int)
    vo = [step_oscillation_m(vert[a:b + 1], fs) * 100.0 for a, b in zip(lo, hi)]
    rows["vertical_oscillation_cm"] = _per_interval(np.asarray(vo), mark_t)
    missing = int(np.isnan(gct).sum() + odd[np.isfinite(gct)].sum())
    if missing:
        warnings.append(Notice("imu_contacts_missing",
                        f"waist IMU: no clear contact in {missing} of {len(marks)} steps (no flight phase or "
                        "an odd force pattern); they have no contact times and are timed at mid-stance"))
    warnings.append(Notice("placement_limits",
                    "waist IMU: foot strike, overstride and the body angles are not measured from this placement"))
    return rows, warnings


def _foot_rows(sig: ImuSignal, stride_s: float) -> tuple[pd.DataFrame, list[str]]:
    fs = sig.rate_hz
    assert sig.gyro_rads is not None          # the caller checks the recording has a gyroscope
    ic, to, _, angle = foot_events(sig.time_s, sig.gyro_rads, fs, stride_s)
    rows = _rows(len(ic))
    rows["ic_s"], rows["to_s"] = ic, to
    rows["ground_contact_ms"] = (to - ic) * 1000.0
    stride = _per_interval(np.diff(ic), ic)
    rows["cadence_spm"] = 120.0 / stride          # one foot: each stride is two steps
    rows["duty_factor_pct"] = (to - ic) / stride * 100.0
    rows["foot_strike_angle_deg"] = angle
    rows["foot_strike"] = classify_foot_strike(angle)
    return rows, ["foot IMU: one foot's contacts (each row is a contact of the sensor's foot); flight, "
                  "vertical oscillation and the body angles are not measured from this placement"]


def _mark_rows(times: np.ndarray, per_stride: bool) -> pd.DataFrame:
    rows = _rows(len(times))
    rows["ic_s"] = times
    rows["cadence_spm"] = _per_interval((120.0 if per_stride else 60.0) / np.diff(times), times)
    return rows


def analyze_imu(sig: ImuSignal, *, placement: str, lowpass_hz: float = 5.0,
                source: dict | None = None) -> AnalysisResult:
    """One row per step (waist) or per contact of the sensor's foot (foot) with what the placement measures."""
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {PLACEMENTS}, got {placement!r}")
    fs = sig.rate_hz
    vert = vertical_acceleration(sig)
    f_peak = step_frequency_hz(vert, fs)
    per_stride = placement in ("foot", "wrist")
    spm_spectrum = 60.0 * f_peak * (2.0 if per_stride else 1.0)
    if per_stride and spm_spectrum > 260:          # the step harmonic won: it was already per step
        spm_spectrum /= 2.0
    period = 60.0 / spm_spectrum * (2.0 if per_stride else 1.0)
    # one smooth bump per mark: cut just above the mark frequency (a real waist signal has an impact
    # peak and a push-off peak in every step)
    smooth = _lowpass(vert, fs, min(lowpass_hz, 1.6 / period))
    marks = _step_marks(smooth, fs, period)
    if spm_spectrum < MIN_RUNNING_SPM:
        raise NotRunningError(f"this looks like walking, not running: {spm_spectrum:.0f} steps/min "
                              f"(running is above {MIN_RUNNING_SPM:.0f})")
    if placement == "waist" and len(marks) and np.median(smooth[marks]) < MIN_WAIST_PEAK_G * G:
        raise NotRunningError("this looks like walking, not running: the waist hardly leaves the ground "
                              f"(median step peak {np.median(smooth[marks]) / G:.2f} g above gravity)")
    if len(marks) < 5:
        raise TooFewContactsError(f"only {len(marks)} steps found in {sig.duration_s:.0f} s of data")
    mark_t = sig.time_s[marks] + _parabolic_offset(smooth, marks) / fs       # between samples
    if placement == "waist":
        rows, warnings = _waist_rows(sig, vert, marks, mark_t)
    elif placement == "foot" and sig.gyro_rads is not None:
        rows, warnings = _foot_rows(sig, period)
        if len(rows) < 5:
            raise TooFewContactsError(f"only {len(rows)} foot contacts found in {sig.duration_s:.0f} s of data")
    else:
        rows = _mark_rows(mark_t, per_stride)
        warnings = (["foot IMU without a gyroscope: cadence only (contacts and the foot strike angle need "
                     "the angular rate)"] if placement == "foot" else
                    ["wrist IMU: cadence only (arm swing counts strides)"])
    summary = add_uncertainty(summarize(rows), rows, kind="sensor")
    summary["cadence_spectrum_spm"] = spm_spectrum
    reader_notes = list(sig.meta.get("warnings", []))
    return AnalysisResult(
        source={"kind": "imu", **(source or {}), "fps": fs, "duration_s": sig.duration_s,
                "samples": int(len(sig.time_s))},
        engine=engine_info(),
        rows=rows,
        summary=summary,
        settings={"placement": placement, "rate_hz": fs, "lowpass_hz": lowpass_hz,
                  "contact_lowpass_hz": CONTACT_LOWPASS_HZ,
                  **{k: v for k, v in sig.meta.items() if k != "warnings"}},
        row_unit="step",
        warnings=reader_notes + warnings,
    )
