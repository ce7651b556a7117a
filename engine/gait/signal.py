"""Signal conditioning for landmark tracks: gap bridging, zero-phase low-pass, noise level.

All functions work along axis 0 (time) of arrays of any trailing shape and never fill a long gap.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfiltfilt


def finite_runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` index pairs of the runs of True in a boolean vector."""
    v = np.concatenate([[False], np.asarray(valid, bool), [False]])
    edges = np.flatnonzero(np.diff(v.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def bridge_gaps(values: np.ndarray, time_s: np.ndarray, *, max_gap_ms: float) -> np.ndarray:
    """Linearly interpolate NaN runs no longer than ``max_gap_ms``; longer gaps stay NaN.

    A gap's length is the time between the samples that bound it, so a single lost frame at 30 fps
    is a 67 ms gap. Gaps at either end of the track are never filled.
    """
    out = np.array(values, dtype=float, order="C", copy=True)   # C order: reshape below must be a view
    flat = out.reshape(out.shape[0], -1)
    for j in range(flat.shape[1]):
        col = flat[:, j]
        bad = ~np.isfinite(col)
        if not bad.any() or bad.all():
            continue
        for start, stop in finite_runs(bad):
            if start == 0 or stop == len(col):
                continue
            if (time_s[stop] - time_s[start - 1]) * 1000.0 <= max_gap_ms:
                col[start:stop] = np.interp(time_s[start:stop], [time_s[start - 1], time_s[stop]],
                                            [col[start - 1], col[stop]])
    return out


def effective_cutoff_hz(cutoff_hz: float, sample_rate_hz: float) -> float | None:
    """The cut-off actually used: at most 0.8 x Nyquist; None when no filtering is possible."""
    nyquist = 0.5 * sample_rate_hz
    fc = min(cutoff_hz, 0.8 * nyquist)
    return fc if fc > 0 else None


def lowpass(values: np.ndarray, *, sample_rate_hz: float, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth low-pass (``sosfiltfilt``), run separately on every gap-free stretch.

    Forward-backward filtering doubles the order (order 2 -> 4th order, -6 dB at ``cutoff_hz``) and
    shifts nothing in time, which is what event timing needs. Stretches too short for the filter's
    padding are left unfiltered.
    """
    fc = effective_cutoff_hz(cutoff_hz, sample_rate_hz)
    out = np.array(values, dtype=float, order="C", copy=True)   # C order: reshape below must be a view
    if fc is None:
        return out
    sos = butter(order, fc, btype="low", fs=sample_rate_hz, output="sos")
    padlen = 3 * (2 * len(sos) + 1)
    flat = out.reshape(out.shape[0], -1)
    valid = np.all(np.isfinite(flat), axis=1)
    for start, stop in finite_runs(valid):
        if stop - start > padlen:
            flat[start:stop] = sosfiltfilt(sos, flat[start:stop], axis=0, padlen=padlen)
    return out


def noise_sd(raw: np.ndarray, smooth: np.ndarray, *, sample_rate_hz: float, cutoff_hz: float) -> float:
    """Robust SD of white noise in ``raw``, from the residual above the low-pass cut-off.

    The residual holds the share ``1 - fc / nyquist`` of white noise's variance; the MAD makes the
    estimate indifferent to the few sharp corners (foot contacts) that the filter also removes.
    """
    res = (np.asarray(raw) - np.asarray(smooth)).ravel()
    res = res[np.isfinite(res)]
    if res.size < 10:
        return 0.0
    fc = effective_cutoff_hz(cutoff_hz, sample_rate_hz)
    share = 1.0 - (fc / (0.5 * sample_rate_hz) if fc else 0.0)
    mad = 1.4826 * float(np.median(np.abs(res - np.median(res))))
    return mad / np.sqrt(max(share, 0.05))


def interp_at(values: np.ndarray, index: np.ndarray | float) -> np.ndarray:
    """Linear interpolation of ``values`` (axis 0) at fractional sample indices; NaN outside."""
    idx = np.atleast_1d(np.asarray(index, dtype=float))
    n = values.shape[0]
    ok = np.isfinite(idx) & (idx >= 0) & (idx <= n - 1)
    i0 = np.clip(np.floor(np.where(ok, idx, 0)).astype(int), 0, max(n - 2, 0))
    frac = np.where(ok, idx, 0) - i0
    frac = frac.reshape(frac.shape + (1,) * (values.ndim - 1))
    out = values[i0] * (1 - frac) + values[np.minimum(i0 + 1, n - 1)] * frac
    out = np.asarray(out, dtype=float)
    out[~ok] = np.nan
    return out


def cubic_at(values: np.ndarray, index: np.ndarray | float) -> np.ndarray:
    """Cubic (Catmull-Rom) interpolation of ``values`` (axis 0) at fractional sample indices.

    Used to read landmarks at event times between frames: near a turning point (the knee's extension at
    contact) a straight line between two frames cuts the corner by up to a degree at 60 fps, a cubic
    through four frames does not. Falls back to linear next to the ends and to missing samples.
    """
    idx = np.atleast_1d(np.asarray(index, dtype=float))
    n = values.shape[0]
    linear = interp_at(values, idx)
    ok = np.isfinite(idx) & (idx >= 1) & (idx <= n - 3)
    i0 = np.clip(np.floor(np.where(ok, idx, 1)).astype(int), 1, max(n - 3, 1))
    u = np.where(ok, idx, 1) - i0
    weights = ((-u**3 + 2 * u**2 - u) / 2, (3 * u**3 - 5 * u**2 + 2) / 2, (-3 * u**3 + 4 * u**2 + u) / 2,
               (u**3 - u**2) / 2)
    shape = u.shape + (1,) * (values.ndim - 1)
    out = sum(w.reshape(shape) * values[np.clip(i0 - 1 + k, 0, n - 1)] for k, w in enumerate(weights))
    return np.where(ok.reshape(shape) & np.isfinite(out), out, linear)
