"""Ground contacts from foot landmark heights: initial contact (IC) and toe-off (TO) per foot.

Method (coordinate based, METRICS.md; cf. Zeni 2008, Fellin 2010, Young 2023):

1. Each foot landmark's ground level is its own low level during stance (pose models put the heel
   point inside the shoe, so heel and toe rest at different heights; one level per landmark and foot
   absorbs that).
2. A foot is "at ground level" while the lower of its heel and toe is within ``contact_tol_leg`` leg
   lengths of its level; runs of such samples separated by a real swing (the foot lifts at least
   ``swing_clear_leg``) are contacts. Runs that touch the ends of the track or a gap are incomplete
   and dropped.
3. Each event is refined between samples by fitting a hinge: the foot's height falls linearly onto a
   flat floor at IC, and rises linearly off it at TO (toe only). The hinge's corner is the event time.
   This is unbiased by the threshold (the corner is where the approach line meets the floor) and by
   zero-phase smoothing, which leaves straight lines straight.

++ works on treadmill and overground, any strike pattern, 30-240 Hz.
-- assumes a flat ground seen level by the camera; a foot hidden for the whole contact is lost.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

from engine.gait.signal import finite_runs, interp_at
from engine.notices import Notice


def ground_level(height: np.ndarray, *, band: float) -> float:
    """Robust low level of a landmark's height: median of the samples within ``band`` of its 3rd percentile."""
    v = height[np.isfinite(height)]
    if not v.size:
        return float("nan")
    p = np.percentile(v, 3.0)
    near = v[v <= p + band]
    return float(np.median(near))


def _hinge_corner(
    t: np.ndarray, y: np.ndarray, candidates: np.ndarray, *, rising: bool, quadratic: bool = True,
    from_rest: bool = False,
) -> tuple[float, float]:
    """Least-squares quadratic hinge: ``y = c + e d`` on the ground side of ``t0``, plus ``a u + b u^2`` off it.

    ``d`` is the signed time away from the floor side (``t0 - t`` before a contact, ``t - t0`` after
    one) and ``u = max(0, d)``. The quadratic term lets the foot decelerate as it lands and lift off
    from rest, as real feet do; the floor's slope ``e`` absorbs the landmark's slow drift while the shoe
    rolls (the heel point sinks as the foot flattens, the toe point rises as the heel lifts).
    ``from_rest`` drops the linear term ``a u``: the point a rolling foot leaves the ground by has no
    vertical speed at that moment, so its height grows as ``b u^2``. With the linear term a lift-off
    whose upward acceleration grows is fitted late (5-9 ms on the synthetic runner at 60-240 fps). Returns
    the best corner among ``candidates`` and the height gained one
    sample away from it (<= 0 means no event was found).
    """
    d = (t[None, :] - candidates[:, None]) if rising else (candidates[:, None] - t[None, :])
    u = np.maximum(d, 0.0)
    ones = np.ones_like(u)
    if quadratic:
        cols = [ones, u * u, d] if from_rest else [ones, u, u * u, d]
    else:
        cols = [ones, u, d]
    x = np.stack(cols, axis=-1)                                # (K, N, P)
    xtx = np.einsum("kni,knj->kij", x, x)
    xty = np.einsum("kni,n->ki", x, y)
    det = np.linalg.det(xtx)
    ok = np.abs(det) > 1e-9
    beta = np.zeros((candidates.size, len(cols)))
    beta[ok] = np.linalg.solve(xtx[ok], xty[ok][..., None])[..., 0]
    res = y[None, :] - np.einsum("kni,ki->kn", x, beta)
    sse = np.einsum("kn,kn->k", res, res)
    if quadratic and from_rest:
        gain = beta[:, 1]                                      # height gained one sample off the floor
        sse = np.where(ok & (gain > 0), sse, np.inf)
    else:
        curvature = beta[:, 2] if quadratic else np.zeros(candidates.size)
        gain = beta[:, 1] + curvature
        sse = np.where(ok & (gain > 0) & (beta[:, 1] >= -np.abs(curvature)), sse, np.inf)
    k = int(np.argmin(sse))
    return float(candidates[k]), float(gain[k]) if np.isfinite(sse[k]) else float("nan")


def refine_corner(t_idx: np.ndarray, y: np.ndarray, lo: float, hi: float, *, rising: bool, quadratic: bool = True,
                  rough: bool = False, from_rest: bool = False) -> tuple[float, float]:
    """Two-stage grid search of the hinge corner in [lo, hi] (fractional sample indices); ``rough``:
    the first stage only, on a half-sample grid. Returns the corner and the height gained one sample off
    the floor side (NaN, NaN where no hinge fits)."""
    ok = np.isfinite(y)
    t_idx, y = t_idx[ok], y[ok]
    if t_idx.size < 5:
        return float("nan"), float("nan")
    coarse = np.arange(lo, hi + 1e-9, 0.5 if rough else 0.1)
    best, gain = _hinge_corner(t_idx, y, coarse, rising=rising, quadratic=quadratic, from_rest=from_rest)
    if not np.isfinite(gain):
        return float("nan"), float("nan")
    if rough:
        return best, gain
    fine = np.arange(best - 0.1, best + 0.1 + 1e-9, 0.01)
    return _hinge_corner(t_idx, y, fine, rising=rising, quadratic=quadratic, from_rest=from_rest)


def _refine(t_idx: np.ndarray, y: np.ndarray, lo: float, hi: float, **kw) -> float:
    """The hinge corner of :func:`refine_corner` alone."""
    return refine_corner(t_idx, y, lo, hi, **kw)[0]


#: An end of the foot has landed once it is within this share of its descent of its lowest point; it lands
#: first only this many samples or more ahead of the other end (one sample apart is a flat landing, or noise).
LANDED_SHARE, MIN_LANDING_LEAD_SAMPLES = 0.125, 2


def _landed_at(h: np.ndarray, lo: int, start: int, hi: int) -> float:
    """First sample in [lo, hi) at which ``h`` is within ``LANDED_SHARE`` of its descent (its highest point
    before ``start`` down to its lowest in the window) of that lowest point; NaN where it cannot tell."""
    seg = h[lo:hi]
    if not np.isfinite(seg).any() or not np.isfinite(seg[:start - lo + 1]).any():
        return float("nan")
    floor = float(np.nanmin(seg))
    top = float(np.nanmax(seg[:start - lo + 1]))
    k = np.flatnonzero(seg <= floor + LANDED_SHARE * max(top - floor, 0.0))
    return float(lo + k[0]) if k.size else float("nan")


def lands_on_heel(h_heel: np.ndarray, h_toe: np.ndarray, start: int, stop: int) -> bool:
    """True when the heel lands before the toe in the contact that runs from sample ``start`` to ``stop``:
    over the run-in to the contact and its first half, the heel comes down to its lowest point at least
    ``MIN_LANDING_LEAD_SAMPLES`` before the toe. Where they land closer together (a flat landing, or a frame
    of noise at 30 fps) or either cannot be told, the heel lands first when it is the lower (heights above
    their ground levels) over the contact's first third.

    Each end is judged against its own lowest point in this contact, not against its ground level over the
    clip: a level read a few pixels off (at 240 fps a far foot's sole line, extended to the toe point, dips
    below the floor as the foot rolls off, and took the toe's level 7 px down) made the far foot of a
    forefoot runner land on its heel, and its ICs came 25 ms late, one step in two.
    """
    half = max(3, (stop - start) // 2)
    lo, hi = max(start - half, 0), start + half
    heel_at, toe_at = _landed_at(h_heel, lo, start, hi), _landed_at(h_toe, lo, start, hi)
    if np.isfinite(heel_at) and np.isfinite(toe_at) and abs(heel_at - toe_at) >= MIN_LANDING_LEAD_SAMPLES:
        return bool(heel_at < toe_at)
    k = slice(max(start - 1, 0), start + max(2, (stop - start) // 3))
    return bool(np.nanmean(h_heel[k] - h_toe[k]) < 0)


@dataclass(frozen=True)
class _Foot:
    """One foot's heights above ground (pixels): smoothed to find contacts, raw to time them."""

    heel: np.ndarray
    toe: np.ndarray
    raw_heel: np.ndarray
    raw_toe: np.ndarray
    low: np.ndarray = field(init=False)       # the lower of the two, NaN where either is missing

    def __post_init__(self) -> None:
        low = np.fmin(self.heel, self.toe)
        low[~(np.isfinite(self.heel) & np.isfinite(self.toe))] = np.nan
        object.__setattr__(self, "low", low)


@dataclass(frozen=True)
class _Fit:
    """How events are fitted: the contact tolerance (px), the hinge's data window and search (samples)."""

    tol: float
    w: int
    search: float
    quad: bool
    rough: bool


#: ``event_method`` of a contact retimed by :func:`steady_event_timing`.
STEADY_LAG = "steady_lag"
#: The linear hinge of noisy tracks, and the first look (``rough``), fit lift-offs up to this many contact
#: tolerances: on jittery heights the longer stretch of the toe's rise is what times the lift-off (fitted
#: to one tolerance, BlazePose's track of the *before* sample read 136 ms of contact instead of 174, truth
#: 232), and the first look only needs the contact's end well enough to find the sole's edges.
WIDE_LIFT_OFF_FIT_TOL = 2.0


@dataclass(frozen=True)
class ContactDetector:
    """Find every ground contact of each foot in runner-frame foot heights.

    Parameters
    ----------
    contact_tol_leg : float
        Height above the ground level, in leg lengths, that still counts as "at ground level" when
        finding contacts (the event times themselves come from the hinge fit). Raised to 4 x the noise.
    swing_clear_leg : float
        Minimum lift, in leg lengths, of a swing between two contacts of the same foot.
    min_contact_ms : float
        Shorter runs at ground level are not contacts.
    refine_window_ms : float
        Half-width of the data window around each event used by the hinge fit.
    """

    contact_tol_leg: float = 0.03
    swing_clear_leg: float = 0.08
    min_contact_ms: float = 60.0
    refine_window_ms: float = 60.0
    quadratic_max_noise_leg: float = 0.0015
    lift_off_fit_tol: float = 1.0          # clean tracks (the quadratic, from-rest hinge)
    lift_off_from_rest: bool = True

    def get_params(self) -> dict:
        return asdict(self)

    def detect(
        self,
        *,
        heel_y: dict[str, np.ndarray],
        toe_y: dict[str, np.ndarray],
        heel_y_raw: dict[str, np.ndarray] | None = None,
        toe_y_raw: dict[str, np.ndarray] | None = None,
        sample_rate_hz: float,
        leg_px: float,
        noise_px: float = 0.0,
        raw_noise_px: float | None = None,
        rough: bool = False,
    ) -> tuple[pd.DataFrame, list[str], dict]:
        """Contacts of both feet, in time order.

        ``heel_y``/``toe_y``: per side, (T,) runner-frame heights (pixels, y up) of the back and front
        contact points, smoothed, NaN in gaps: they find the contacts. ``heel_y_raw``/``toe_y_raw``: the
        same unsmoothed (gaps bridged), which time the events (smoothing rounds the corners the hinge fit
        looks for). ``rough``: events to half a sample only (a fifth of the work), for a first look.
        Returns the contacts (``side``, ``ic_idx``, ``to_idx`` as fractional sample indices), warnings
        (contacts dropped at gaps ...) and info (ground levels and the tolerance, pixels).
        """
        fs = sample_rate_hz
        tol = max(self.contact_tol_leg * leg_px, 4.0 * noise_px)
        clear = max(self.swing_clear_leg * leg_px, 3.0 * tol)
        band = max(0.5 * tol, 2.0 * noise_px)
        # the quadratic hinge is unbiased on clean tracks but wanders on noisy ones; the linear hinge
        # is steadier there and early by a few milliseconds on a decelerating landing
        quad = (noise_px if raw_noise_px is None else raw_noise_px) < self.quadratic_max_noise_leg * leg_px
        fit = _Fit(tol=tol, w=max(3, int(round(self.refine_window_ms * fs / 1000.0))), search=max(2.0, 0.08 * fs),
                   quad=bool(quad), rough=rough)
        rows: list[dict] = []
        warnings: list[str] = []
        info: dict = {"contact_tol_px": tol, "levels_px": {}, "clean": bool(quad)}
        for side in ("left", "right"):
            g_heel, g_toe = ground_level(heel_y[side], band=band), ground_level(toe_y[side], band=band)
            info["levels_px"][side] = {"heel": g_heel, "foot_index": g_toe}
            foot = _Foot(heel_y[side] - g_heel, toe_y[side] - g_toe, (heel_y_raw or heel_y)[side] - g_heel,
                         (toe_y_raw or toe_y)[side] - g_toe)
            n = foot.low.size
            min_len = self.min_contact_ms * fs / 1000.0
            for start, stop in self._stance_runs(foot.low, tol=tol, clear=clear, min_len=min_len):
                if start == 0 or stop >= n:
                    continue                               # cut by the start or end of the track
                if not (np.isfinite(foot.low[start - 1]) and np.isfinite(foot.low[stop])):
                    warnings.append(Notice("contact_dropped",
                                    f"a {side} contact near sample {start} was dropped: it straddles a gap in the "
                                    "landmarks"))
                    continue
                ic, to = self._landing(foot, start, stop, fit), self._lift_off(foot, start, stop, fit)
                if not (np.isfinite(ic) and np.isfinite(to)) or to <= ic:
                    warnings.append(Notice("contact_dropped",
                                    f"a {side} contact near sample {start} was dropped: its events could not be timed"))
                    continue
                rows.append({"side": side, "ic_idx": ic, "to_idx": to})
        contacts = pd.DataFrame(rows, columns=["side", "ic_idx", "to_idx"])
        contacts = contacts.sort_values("ic_idx").reset_index(drop=True)
        return contacts, warnings, info

    def _landing(self, foot: _Foot, start: int, stop: int, fit: _Fit) -> float:
        """IC of the stance run [start, stop): the hinge corner of the landmark that lands first."""
        lo, hi = max(start - fit.w, 0), min(stop, int(start + fit.search + fit.w + 1))
        # time the landing on the landmark that lands first (heel or toe), not on min(heel, toe), which
        # switches landmark as the shoe rolls and picks up the lower noise
        on_heel = lands_on_heel(foot.heel, foot.toe, start, stop)
        first = foot.raw_heel if on_heel else foot.raw_toe
        # ... and only while that landmark is still down (the heel lifts long before toe-off)
        hi = start + self._still_down(foot.heel[start:hi] if on_heel else foot.toe[start:hi], rise=0.5 * fit.tol)
        # the threshold is crossed before the landing and after the lift-off: search beyond it
        return _refine(np.arange(lo, hi, dtype=float), first[lo:hi], start - 2.0,
                       min(start + fit.search, stop - 1.0), rising=False, quadratic=fit.quad, rough=fit.rough)

    def _lift_off(self, foot: _Foot, start: int, stop: int, fit: _Fit) -> float:
        """TO of the stance run [start, stop): the hinge corner of the toe (or the sole's front edge) leaving."""
        n = foot.low.size
        end = stop - 1                              # last sample at ground level
        while end > start and not (foot.toe[end] < fit.tol):
            end -= 1
        lo, hi = max(int(end - fit.search - fit.w), start), min(end + fit.w + 1, n)
        # a quadratic describes the toe's lift-off near the ground, not higher up the swing
        fit_tol = (self.lift_off_fit_tol if fit.quad and not fit.rough else WIDE_LIFT_OFF_FIT_TOL) * fit.tol
        high = np.flatnonzero(~(foot.toe[end:hi] < fit_tol))
        hi = end + int(high[0]) + 1 if high.size else hi
        return _refine(np.arange(lo, hi, dtype=float), foot.raw_toe[lo:hi], max(end - fit.search, start + 1.0),
                       end + 2.0, rising=True, quadratic=fit.quad, rough=fit.rough,
                       from_rest=self.lift_off_from_rest and not fit.rough)

    @staticmethod
    def _still_down(h: np.ndarray, *, rise: float) -> int:
        """Samples from the start of ``h`` until it rises ``rise`` above its lowest point."""
        if not np.isfinite(h).any():
            return h.size
        k = int(np.nanargmax(-h))
        up = np.flatnonzero(h[k:] > h[k] + rise)
        return k + int(up[0]) if up.size else h.size


    @staticmethod
    def _stance_runs(low: np.ndarray, *, tol: float, clear: float, min_len: float) -> list[tuple[int, int]]:
        """Runs at ground level, merged across dips that never rise into a real swing."""
        at_ground = np.isfinite(low) & (low < tol)
        runs = finite_runs(at_ground)
        merged: list[list[int]] = []
        for start, stop in runs:
            if merged:
                prev_stop = merged[-1][1]
                between = low[prev_stop:start]
                if between.size and np.all(np.isfinite(between)) and np.max(between) < clear:
                    merged[-1][1] = stop
                    continue
            merged.append([start, stop])
        return [(a, b) for a, b in merged if b - a >= min_len]


def _turned(u: np.ndarray) -> np.ndarray:
    """``u`` (..., 2) turned 90 degrees counter-clockwise: towards the ankle for a foot facing +x."""
    return np.stack([-u[..., 1], u[..., 0]], axis=-1)


def foot_point(heel: np.ndarray, toe: np.ndarray, where: tuple[float, float]) -> np.ndarray:
    """A point fixed to the foot, ``heel + a u + b n``: ``u`` runs heel -> toe and ``n`` is ``u`` turned
    90 degrees towards the ankle (up when the foot is flat), so the coordinates do not depend on scale."""
    a, b = where
    u = toe - heel
    return heel + a * u + b * _turned(u)


@dataclass(frozen=True)
class SoleEdges:
    """The sole's back and front edges of one foot in foot coordinates (:func:`foot_point`), as found
    from the rolls of its contacts; ``None`` where a roll did not show it."""

    rear: tuple[float, float] | None
    front: tuple[float, float] | None
    rear_se: float = float("nan")     # standard error of the edge's position, in foot lengths
    front_se: float = float("nan")


def sole_edges(
    heel: np.ndarray,
    toe: np.ndarray,
    contacts: pd.DataFrame,
    *,
    sample_rate_hz: float,
    max_se: float = 0.03,
) -> SoleEdges:
    """Find where one foot's sole touches the ground, relative to its heel and toe landmarks.

    A foot lands on one edge of its sole and rolls about it (the back edge after a heel strike, the
    front one after a forefoot strike), and at push-off it rolls about the front edge until the toe
    leaves. While it rolls, that edge is the one point of the foot that does not move (other than with
    a treadmill belt). Writing every velocity in the foot's own frame, the edge ``(a, b)`` and the
    ground's speed ``g`` solve, at every sample of a roll,

        v_heel + a du/dt + b dn/dt = (g, 0)

    which is linear: one least-squares fit over the first 30 % (landing) and the last 40 % (push-off)
    of all contacts, with Tukey weights so that the samples where the foot was not rolling drop out.
    The heel and toe landmarks of a pose model or motion-capture markers sit centimetres above and
    inside the sole; its edges are what touches the ground, so their heights time the contacts without
    the landmarks' own roll (a marker above the toe tip rises before the toe leaves).

    ``heel``/``toe`` are (T, 2) runner-frame positions; ``contacts`` this foot's ``ic_idx``/``to_idx``.
    An edge is kept when its standard error is under ``max_se`` foot lengths and it lies where an edge
    can be: the back one behind the middle of the foot, the front one ahead of it, both at most half
    a foot below the heel-toe line.
    """
    fs = sample_rate_hz
    v_heel, du = (np.gradient(x, axis=0) * fs for x in (heel, toe - heel))
    dn = _turned(du)                                   # n is u turned, so its rate is u's rate turned
    k, end = _roll_samples(contacts, len(heel))
    if k.size:
        ok = np.all(np.isfinite(v_heel[k]) & np.isfinite(du[k]) & np.isfinite(dn[k]), axis=1)
        k, end = k[ok], end[ok]
    if k.size < 20:
        return SoleEdges(None, None)
    # unknowns: a_rear, b_rear, a_front, b_front, ground speed; two equations (x, y) per sample
    m = k.size
    x = np.zeros((2 * m, 5))
    for axis in (0, 1):
        r = slice(axis * m, (axis + 1) * m)
        x[r, 0] = np.where(end == 0, du[k, axis], 0.0)
        x[r, 1] = np.where(end == 0, dn[k, axis], 0.0)
        x[r, 2] = np.where(end == 1, du[k, axis], 0.0)
        x[r, 3] = np.where(end == 1, dn[k, axis], 0.0)
        x[r, 4] = -1.0 if axis == 0 else 0.0
    fit = _tukey_lstsq(x, -np.concatenate([v_heel[k, 0], v_heel[k, 1]]), m)
    if fit is None:
        return SoleEdges(None, None)
    beta, cov = fit
    se_rear = float(np.sqrt(max(cov[0, 0] + cov[1, 1], 0.0)))
    se_front = float(np.sqrt(max(cov[2, 2] + cov[3, 3], 0.0)))
    rear = (float(beta[0]), float(beta[1]))
    front = (float(beta[2]), float(beta[3]))
    rear_ok = se_rear < max_se and -0.5 <= rear[0] <= 0.5 and -0.5 <= rear[1] <= 0.1
    front_ok = se_front < max_se and 0.5 < front[0] <= 1.6 and -0.5 <= front[1] <= 0.1
    return SoleEdges(rear if rear_ok else None, front if front_ok else None, se_rear, se_front)


def _roll_samples(contacts: pd.DataFrame, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample indices of every contact's landing (first 30 %, ``end`` 0) and push-off (last 40 %, ``end`` 1)."""
    rows, ends = [], []
    for end, (lo_frac, hi_frac) in enumerate(((0.0, 0.3), (0.6, 1.0))):
        for ic, to in zip(contacts["ic_idx"], contacts["to_idx"]):
            g = to - ic
            # a sample's velocity spans its neighbours: keep 1.5 samples inside the contact's events
            lo, hi = max(ic + lo_frac * g, ic + 1.5), min(ic + hi_frac * g, to - 1.5)
            k = np.arange(int(np.ceil(lo)), int(np.floor(hi)) + 1)
            k = k[(k >= 0) & (k < n)]
            rows.append(k)
            ends.append(np.full(k.size, end))
    if not rows:
        return np.zeros(0, int), np.zeros(0, int)
    return np.concatenate(rows), np.concatenate(ends)


def _tukey_lstsq(x: np.ndarray, y: np.ndarray, m: int, *, rounds: int = 6) -> tuple[np.ndarray, np.ndarray] | None:
    """Least squares with Tukey biweights (c = 4.685 robust SDs); ``m`` samples of two equations each count
    as a whole, in or out. Returns the coefficients and their covariance, or None when singular."""
    w = np.ones(2 * m)
    for _ in range(rounds):
        beta, *_ = np.linalg.lstsq(x * w[:, None], y * w, rcond=None)
        res = y - x @ beta
        per_sample = np.hypot(res[:m], res[m:])
        scale = 1.4826 * np.median(per_sample) + 1e-9
        z = per_sample / (4.685 * scale)
        w1 = np.where(z < 1.0, (1.0 - z**2) ** 2, 0.0)
        w = np.sqrt(np.concatenate([w1, w1]))
    dof = max(int(np.sum(w > 0)) - x.shape[1], 1)
    sigma2 = float(np.sum((w * res) ** 2)) / dof
    xtx = (x * w[:, None]).T @ (x * w[:, None])
    try:
        return beta, sigma2 * np.linalg.inv(xtx)
    except np.linalg.LinAlgError:
        return None


def stride_frequency_hz(left_x: np.ndarray, right_x: np.ndarray, sample_rate_hz: float) -> float:
    """Stride frequency from the feet's alternation: the dominant frequency (0.5-2.5 Hz) of the forward
    distance between the two ankles, which swings once per stride whatever the camera sees of the
    feet's heights. Zero-padded periodogram with a parabolic peak; NaN where there is too little data."""
    d = left_x - right_x
    d = d[np.isfinite(d)]
    if d.size < 2 * sample_rate_hz:
        return float("nan")
    d = (d - d.mean()) * np.hanning(d.size)
    n = 1 << int(np.ceil(np.log2(d.size * 16)))
    p = np.abs(np.fft.rfft(d, n)) ** 2
    f = np.fft.rfftfreq(n, 1.0 / sample_rate_hz)
    band = np.flatnonzero((f >= 0.5) & (f <= 2.5))
    k = band[np.argmax(p[band])]
    a, b, c = np.log(p[k - 1:k + 2] + 1e-30)
    shift = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c < 0 else 0.0
    return float(f[k] + shift * (f[1] - f[0]))


def _crossing(y: np.ndarray, k: int, level: float) -> float:
    """Fractional index between samples k-1 and k where ``y`` crosses ``level`` (k when it cannot tell)."""
    a, b = y[k - 1], y[k]
    return float(k - 1 + (level - a) / (b - a)) if k > 0 and np.isfinite(a) and np.isfinite(b) and a != b else float(k)


def _peak_position(y: np.ndarray, k: int) -> float:
    """Sub-sample position of a maximum at k from a parabola through it and its neighbours."""
    if 0 < k < y.size - 1 and np.all(np.isfinite(y[k - 1:k + 2])):
        a, b, c = y[k - 1:k + 2]
        den = a - 2 * b + c
        if den < 0:
            return float(k + 0.5 * (a - c) / den)
    return float(k)


def stride_anchored_contacts(
    *,
    heel_fwd: dict[str, np.ndarray],
    toe_fwd: dict[str, np.ndarray],
    low_height: dict[str, np.ndarray],
    toe_height: dict[str, np.ndarray],
    sample_rate_hz: float,
    stride_s: float,
    leg_px: float,
    tol_px: float,
) -> pd.DataFrame:
    """Contacts anchored on the feet's forward-backward motion, for tracks whose foot heights are too noisy.

    Zeni et al. (2008): the heel is furthest ahead of the pelvis around IC and the toe furthest behind
    around TO. These extremes are clean even when a hidden foot's height is not, but in running they
    only bracket the contact: the swing foot is pulled back before it lands and keeps moving back
    after it leaves. So each contact is timed at its extremes (between samples) plus the typical lag
    from extreme to event, the median over the contacts of: from the heel's forward
    extreme to where the foot's lowest point first comes down to ground level (within ``tol_px``), and
    from the toe's rearward extreme back to where the toe was last at ground level. One lag per foot
    (:func:`_anchored_lags`; the session's where the feet's lags do not differ measurably) keeps the steps as
    regular as the feet's motion, instead of passing each contact's height noise on to its step. Where no
    contact reaches the ground the extremes themselves are used.

    ``heel_fwd``/``toe_fwd`` are forward positions relative to the mid-hip, ``low_height`` the lower of
    heel and toe above their ground levels, ``toe_height`` the toe's, all per side (pixels).
    """
    fs = sample_rate_hz
    dist = max(1, int(0.6 * stride_s * fs))
    found = []
    for side in ("left", "right"):
        fwd = np.nan_to_num(heel_fwd[side], nan=-np.inf)
        back = np.nan_to_num(-toe_fwd[side], nan=-np.inf)
        ic_peaks, _ = find_peaks(fwd, distance=dist, prominence=0.15 * leg_px)
        to_peaks, _ = find_peaks(back, distance=dist, prominence=0.15 * leg_px)
        low, toe = low_height[side], toe_height[side]
        for i in ic_peaks:
            later = to_peaks[(to_peaks > i) & (to_peaks < i + stride_s * fs)]
            if not later.size:
                continue
            j = int(later[0])
            p, q = _peak_position(heel_fwd[side], int(i)), _peak_position(-toe_fwd[side], j)
            down = np.flatnonzero(low[i:j] < tol_px)
            ic = _crossing(low, int(i) + int(down[0]), tol_px) if down.size else np.nan
            start = int(i) + (int(down[0]) if down.size else 0)
            up = np.flatnonzero(toe[start:j + 1] < tol_px)
            end = start + int(up[-1]) + 1 if up.size else -1
            to = _crossing(toe, end, tol_px) if 0 < end < toe.size else np.nan
            found.append((side, p, q, ic - p, to - q))
    if not found:
        return pd.DataFrame(columns=["side", "ic_idx", "to_idx"])
    table = pd.DataFrame(found, columns=["side", "peak", "trough", "ic_lag", "to_lag"])
    lags = {col: _anchored_lags(table, col) for col in ("ic_lag", "to_lag")}
    contacts = pd.DataFrame({"side": table["side"], "ic_idx": table["peak"] + table["side"].map(lags["ic_lag"]),
                             "to_idx": table["trough"] + table["side"].map(lags["to_lag"])})
    contacts = contacts[contacts["to_idx"] > contacts["ic_idx"]]
    return contacts.sort_values("ic_idx").reset_index(drop=True)


#: A foot's own lag from extreme to event needs this many of its contacts to show the event; with fewer it takes
#: the session's.
MIN_FOOT_LAGS = 4
#: ... and the feet keep their own lags only where these differ by more than this many standard errors, and
#: neither foot's lags scatter (median absolute deviation, at least ``MIN_SCATTER_SAMPLES``) more than
#: ``SAME_SCATTER_RATIO`` times the other's.
FEET_APART_SE, SAME_SCATTER_RATIO, MIN_SCATTER_SAMPLES = 3.0, 3.0, 0.1


def _anchored_lags(table: pd.DataFrame, col: str) -> dict[str, float]:
    """Each foot's median lag in column ``col`` where the two feet's medians differ by more than
    ``FEET_APART_SE`` standard errors, each foot has at least ``MIN_FOOT_LAGS`` lags and neither foot's lags
    scatter more than ``SAME_SCATTER_RATIO`` times the other's; else the session's median for both (0 where no
    contact gives one).

    The pose model sees the near and the far foot differently, so their extremes can lead their events by
    different lags: one lag for both made the steps alternate long and short (a far foot's ICs 31 ms early,
    and the median step's cadence 8 % off). A half-hidden foot's heights dip to the ground level anywhere,
    though: its lags scatter a sample where the other's scatter a tenth, and its median is off by as much."""
    lags = table[col]
    session = float(np.nanmedian(lags)) if lags.notna().any() else 0.0
    feet = [lags[table["side"] == side].dropna().to_numpy() for side in ("left", "right")]
    if min(len(f) for f in feet) < MIN_FOOT_LAGS:
        return {"left": session, "right": session}
    mad = [max(float(np.median(np.abs(f - np.median(f)))), MIN_SCATTER_SAMPLES) for f in feet]
    # the median's standard error: 1.25 SD / sqrt(n), the SD from the median absolute deviation
    se = [1.2533 * 1.4826 * m / math.sqrt(len(f)) for m, f in zip(mad, feet)]
    apart = abs(np.median(feet[0]) - np.median(feet[1])) > FEET_APART_SE * math.hypot(*se)
    alike = max(mad) <= SAME_SCATTER_RATIO * min(mad)
    return {side: float(np.median(f)) if apart and alike else session for side, f in zip(("left", "right"), feet)}


def fill_from_anchors(contacts: pd.DataFrame, anchored: pd.DataFrame, *,
                      max_gap_samples: float) -> tuple[pd.DataFrame, int]:
    """Contacts timed on the foot heights, checked and completed by the contacts anchored on the feet's
    fore-aft motion (:func:`stride_anchored_contacts`).

    A pose model that swaps the legs for a few frames, or puts both on one leg, or loses a foot mid-stance,
    spoils a contact or two: one foot seems to land twice in a row, or a contact goes missing. The anchored
    contacts, one per forward swing of each foot, know which foot is down when. Each keeps the timed contact
    of the same foot that overlaps it in time with the nearest IC, within ``max_gap_samples`` of its own
    (the better timing), and stands in itself where there is none. Timed contacts that no anchored one
    confirms are dropped, except before the first anchored contact and after the last (the track's ends,
    where a foot's swing is cut off and gives no anchor).
    Returns the contacts and how many were filled in from the anchors.
    """
    if anchored.empty:
        return contacts.copy(), 0
    ends = contacts[(contacts["to_idx"] < anchored["ic_idx"].min()) | (contacts["ic_idx"] > anchored["to_idx"].max())]
    rows, filled = [r._asdict() for r in ends.itertuples(index=False)], 0
    for a in anchored.itertuples(index=False):
        mine = contacts[contacts["side"] == a.side]
        overlap = np.minimum(mine["to_idx"], a.to_idx) - np.maximum(mine["ic_idx"], a.ic_idx)
        gap = (mine["ic_idx"] - a.ic_idx).abs()
        gap = gap.where((overlap > 0) & (gap <= max_gap_samples))
        if gap.notna().any():
            rows.append(mine.loc[gap.idxmin()].to_dict())
        else:
            rows.append(a._asdict())
            filled += 1
    out = pd.DataFrame(rows, columns=contacts.columns).drop_duplicates(subset=["side", "ic_idx"])
    return out.sort_values("ic_idx").reset_index(drop=True), filled


#: The steady timing's anchor, a foot's fore-aft extreme, is the vertex of the least-squares parabola over this
#: long either side of its highest sample (the parabola through three samples at 30 fps and below): at 60-240
#: fps the three samples around the peak carry the pose model's jitter whole, and the contacts timed on them
#: scattered 6-7 ms about their foot's mean (5.4-6.1 ms over the wider window, on the synthetic runner's
#: looks). The anchored contacts keep the three samples: over the wider window they read worse there.
PEAK_HALF_S = 0.035


def _peak_fit(y: np.ndarray, k: int, half: int) -> float:
    """Vertex of the least-squares parabola through y[k-half:k+half+1] (the 3-point parabola where half <= 1,
    or where the wider one has no maximum within a sample of k)."""
    if half <= 1:
        return _peak_position(y, k)
    lo, hi = max(0, k - half), min(y.size, k + half + 1)
    t = np.arange(lo, hi, dtype=float) - k
    v = y[lo:hi]
    ok = np.isfinite(v)
    if ok.sum() < 5:
        return _peak_position(y, k)
    a, b, _ = np.polyfit(t[ok], v[ok], 2)
    if a >= 0 or abs(-b / (2 * a)) > 1.0:
        return _peak_position(y, k)
    return float(k - b / (2 * a))


def _extremes(x: np.ndarray, *, distance: int, prominence: float, fs: float) -> np.ndarray:
    """Sub-sample positions of the maxima of ``x`` (NaN never a maximum), sampled at ``fs``."""
    peaks, _ = find_peaks(np.nan_to_num(x, nan=-np.inf), distance=distance, prominence=prominence)
    half = int(round(PEAK_HALF_S * fs))
    return np.array([_peak_fit(x, int(k), half) for k in peaks])


def _nearest_anchors(events: np.ndarray, anchors: np.ndarray, before: float, after: float):
    """Each event's nearest anchor and whether it lies within [-before, +after] of the event; None
    where fewer than six (or 70 %) of the events have one: a typical lag needs a few strides."""
    if not anchors.size or not events.size:
        return None
    j = np.searchsorted(anchors, events)
    cand = np.stack([anchors[np.clip(j - 1, 0, anchors.size - 1)], anchors[np.clip(j, 0, anchors.size - 1)]])
    nearest = cand[np.argmin(np.abs(cand - events), axis=0), np.arange(events.size)]
    lag = events - nearest
    ok = (lag <= before) & (lag >= -after)
    return (nearest, ok) if ok.sum() >= max(6, 0.7 * events.size) else None


def _subset(near, keep: np.ndarray):
    """:func:`_nearest_anchors`'s answer for the events in ``keep``."""
    return (near[0][keep], near[1][keep]) if near else None


def _median_lag(events: np.ndarray, near) -> float:
    """Median lag from anchor to event over the events with an anchor near (NaN without anchors)."""
    return float(np.median((events - near[0])[near[1]])) if near and near[1].any() else math.nan


def _place(events: np.ndarray, near, lag: float) -> np.ndarray:
    """Events moved to their anchor plus ``lag`` where an anchor is near; the others stay."""
    return np.where(near[1], near[0] + lag, events) if near else events


def _template_or(lag: float, near, height: np.ndarray, **kw) -> float:
    """:func:`template_lag` on the events' anchors, or ``lag`` where it gives no number."""
    if not near:
        return lag
    better = template_lag(height, near[0][near[1]], lag, **kw)
    return better if math.isfinite(better) else lag


#: The landing's second, closer hinge fit moves the first by a few milliseconds; a larger move means the
#: short stretch was no hinge, and the first fit stands.
MAX_TEMPLATE_SHIFT_S = 0.012


def template_lag(
    height: np.ndarray,
    anchors: np.ndarray,
    lag_guess: float,
    *,
    rising: bool,
    search: float,
    window: float,
    top: float,
    max_shift: float = math.inf,
) -> float:
    """The event's lag after its anchor, found on the average of all the contacts' height curves.

    Each contact's (unsmoothed) height is read on a quarter-sample grid of lags around its anchor and
    the curves are averaged: ``K`` contacts divide the landmark noise by sqrt(K), so the quadratic hinge
    that times events on clean tracks can time the typical contact of a noisy one without the
    linear hinge's bias (early at a decelerating landing, late at a gentle lift-off). The corner is
    sought within ``search`` samples of ``lag_guess`` on the curve from ``search + window`` samples
    before it up to where the curve, past its lowest point, climbs ``top`` above it (for a landing: the
    foot's roll; for a lift-off: the swing, which the hinge does not describe). Returns NaN when too
    few curves cover the grid.
    """
    grid = lag_guess + np.arange(-(search + window), search + window + 1e-9, 0.25)
    mean, count = _average_curve(height, anchors, grid)
    if anchors.size < 6 or np.any(count < max(6, 0.7 * anchors.size)):
        return float("nan")
    k = int(np.argmin(mean))
    high = np.flatnonzero(mean[k:] > mean[k] + top)
    keep = slice(0, k + int(high[0]) + (1 if rising else 0) if high.size else mean.size)
    corner = _refine(grid[keep], mean[keep], lag_guess - search, lag_guess + search, rising=rising)
    if rising or not math.isfinite(corner):
        return corner
    # the swing before a landing is no quadratic over the whole search: fit again on ``window`` samples of
    # it before the corner, as the hinge of clean tracks does (over the long stretch the corner reads early)
    near = grid[keep] >= corner - 1.5 * window
    closer = _refine(grid[keep][near], mean[keep][near], lag_guess - search, lag_guess + search, rising=False)
    return closer if abs(closer - corner) <= max_shift else corner


#: The two feet's lags from extreme to event are taken as one where they differ by less than this (samples).
SAME_LAG_SAMPLES = 0.5


def steady_event_timing(
    contacts: pd.DataFrame,
    *,
    heel_fwd: dict[str, np.ndarray],
    toe_fwd: dict[str, np.ndarray],
    sample_rate_hz: float,
    stride_s: float,
    leg_px: float,
    heel_height: dict[str, np.ndarray] | None = None,
    toe_height: dict[str, np.ndarray] | None = None,
    tol_px: float | None = None,
    placed: np.ndarray | None = None,
) -> tuple[pd.DataFrame, int]:
    """Time each contact of a jittery track by the feet's forward-backward extremes plus each foot's
    typical lag from extreme to event.

    On a video track the pose model's heel and toe heights jitter by several pixels from frame to
    frame, which moves single events by ±10-20 ms and makes step times (and so per-step cadence)
    alternate. The heel's forward extreme and the toe's rearward extreme (Zeni et al. 2008) come from
    the foot's large fore-aft swing and barely jitter; the lag from extreme to event is steady within
    a run. So each event keeps its foot's typical timing and loses the frame-to-frame noise; a real
    left/right difference in that lag is kept (one lag per foot) where it exceeds half a sample. Given
    the unsmoothed heights above ground (``heel_height``/``toe_height``, the back and front contact
    points) and the contact tolerance, the lag is timed on the average height curve of the foot's contacts
    (:func:`template_lag`); otherwise it is the median of the contacts' own lags. Where only one foot's
    average curve gives a lag, the other foot's own lags are moved by the same correction: one foot
    timed one way and the other the other way would make the steps alternate by the two ways'
    difference. Where both feet's average curves give a lag for an event (each foot's within its bound of the
    contacts' own), the feet's difference there is instead the shift that lays one foot's whole curve onto the
    other's (:func:`curve_shift`) and their mean is the two curves' (a corner on each curve carries that
    curve's own bias: on the synthetic runner's looks the two feet's landings read 0.2-0.8 samples apart from
    the truth's difference, and every other step was up to 2 % longer); a foot whose lift-off curve misleads
    still has its landing laid on the other's. Otherwise, two feet's lags within ``SAME_LAG_SAMPLES`` of each
    other are averaged (their difference is the estimates' noise). Contacts flagged in ``placed`` (placed by
    an anchor, not measured: :func:`fill_from_anchors`) are retimed but take no part in the lags. Returns the
    contacts and how many events were retimed.
    """
    fs, out = sample_rate_hz, contacts.copy()
    measured = np.ones(len(out), bool) if placed is None else ~np.asarray(placed, bool)
    feet = {side: _foot_lags(out, side, heel_fwd=heel_fwd, toe_fwd=toe_fwd, fs=fs, stride_s=stride_s, leg_px=leg_px,
                             heel_height=heel_height, toe_height=toe_height, tol_px=tol_px, measured=measured)
            for side in ("left", "right") if (out["side"] == side).any()}
    lags = _steady_lags(feet)
    moved = 0
    for side, f in feet.items():
        sel = (out["side"] == side).to_numpy()
        ic_lag, to_lag = lags[side]
        ic, to = _place(f["ic0"], f["ic_near"], ic_lag), _place(f["to0"], f["to_near"], to_lag)
        to, uncut = _uncut(ic, to, f["to_near"], to_lag)
        good = to > ic
        out.loc[sel, "ic_idx"] = np.where(good, ic, out.loc[sel, "ic_idx"])
        out.loc[sel, "to_idx"] = np.where(good, to, out.loc[sel, "to_idx"])
        ic_near, to_near = f["ic_near"], f["to_near"]
        anchored = (ic_near[1] if ic_near else np.zeros(good.size, bool)) | (to_near[1] if to_near else False) | uncut
        if "event_method" in out.columns:
            out.loc[sel, "event_method"] = np.where(good & anchored, STEADY_LAG, out.loc[sel, "event_method"])
        moved += (int(ic_near[1].sum()) if ic_near else 0) + (int(to_near[1].sum()) if to_near else 0)
        moved += int(uncut.sum())
    return out.sort_values("ic_idx").reset_index(drop=True), moved


#: A contact that its measured lift-off makes shorter than this share of its foot's typical contact was cut by a
#: glitch in the heights (the foot lost for a few frames in mid-stance, its heights jumping up).
MIN_CONTACT_SHARE = 0.5


def _uncut(ic: np.ndarray, to: np.ndarray, near, lag: float) -> tuple[np.ndarray, np.ndarray]:
    """Lift-offs of contacts cut short (``MIN_CONTACT_SHARE``) moved to their nearest anchor plus the foot's lag,
    where that gives a contact of about the typical length; and which were moved."""
    none = np.zeros(to.size, bool)
    if not near or not near[1].any() or not math.isfinite(lag):
        return to, none
    typical = float(np.median((to - ic)[near[1]]))
    placed = near[0] + lag
    cut = (~near[1] & (to - ic < MIN_CONTACT_SHARE * typical) & (placed - ic > MIN_CONTACT_SHARE * typical)
           & (placed - ic < (2.0 - MIN_CONTACT_SHARE) * typical))
    return np.where(cut, placed, to), cut


def _steady_lags(feet: dict) -> dict[str, tuple[float, float]]:
    """Each foot's (IC, TO) lag after its anchors, from the feet's own and average-curve estimates (see
    :func:`steady_event_timing`)."""
    # a foot whose average curve gives no lags keeps its own, moved by the other foot's correction: they
    # carry the noisy hinge's bias that the curve took off the other foot's, and the steps would alternate
    ok = [f for f in feet.values() if f["template_ok"]]
    shift = np.subtract(ok[0]["template"], ok[0]["own"]) if len(ok) == 1 else np.zeros(2)
    lags = {side: f["template"] if f["template_ok"] else tuple(np.add(f["own"], shift)) for side, f in feet.items()}
    if len(lags) < 2:
        return lags
    # two feet's lags closer than half a sample differ by their estimates' noise, not by the runner
    (ic_a, to_a), (ic_b, to_b) = lags.values()
    ic_pair, to_pair = _one_if_close(ic_a, ic_b), _one_if_close(to_a, to_b)
    # where both feet's average curves are hinges at an event, the feet's difference there comes from their whole
    # shapes (a foot whose curve misleads at the other event, a lift-off the hinge reads far from its own, still
    # has a landing to lay on the other's)
    if all(f["event_ok"][0] for f in feet.values()):
        ic_pair = _laid_on_each_other(feet, "landing", 0) or ic_pair
    if all(f["event_ok"][1] for f in feet.values()):
        to_pair = _laid_on_each_other(feet, "lifting", 1) or to_pair
    return dict(zip(lags, zip(ic_pair, to_pair)))


#: The feet's average curves are laid on each other from ``CURVE_BEFORE`` to ``CURVE_AFTER`` hinge windows
#: around the event (the approach to a landing, the first rise of a lift-off), searching ``CURVE_SEARCH``
#: samples either side of the difference of the contacts' own lags.
CURVE_BEFORE, CURVE_AFTER, CURVE_SEARCH = 2.0, 0.5, 2.0


def _laid_on_each_other(feet: dict, curve: str, event: int) -> tuple[float, float] | None:
    """The two feet's lags for one event (0 landing, 1 lift-off), their difference from the shift that lays the
    second foot's average curve onto the first's and their mean from the two average curves' hinges.

    Each foot's hinge on its average curve is biased by that curve's noise and shape (the far foot, seen
    less well, reads a few milliseconds off the near one), and a difference of a third of a sample between
    the feet makes every other step that much longer: at 60 fps 2 % of per-step cadence. The shift between
    the two whole curves (least squares, each curve with its own level) uses every sample of the approach,
    not the few that place a corner, and is the same for both feet's biases where their curves have one shape.
    None where the feet's curves are of different points or do not overlap.
    """
    (_, a), (_, b) = feet.items()
    if a[curve] is None or b[curve] is None or a[curve][0] != b[curve][0]:
        return None
    own_a, own_b = a["own"][event], b["own"][event]
    before, after = (CURVE_BEFORE, CURVE_AFTER) if event == 0 else (CURVE_AFTER, CURVE_BEFORE)
    apart = curve_shift(a[curve][1:], b[curve][1:], lo=own_a - before * a["window"],
                        hi=own_a + after * a["window"], guess=own_b - own_a, search=CURVE_SEARCH)
    if not math.isfinite(apart):
        return None
    first = 0.5 * (a["template"][event] + b["template"][event] - apart)
    return first, first + apart


def curve_shift(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], *, lo: float, hi: float,
                guess: float, search: float, step: float = 0.02) -> float:
    """The shift s (samples, within ``search`` of ``guess``, to ``step``) for which curve ``b`` read at g + s
    best matches curve ``a`` on g in [lo, hi], up to a constant level (least squares). Curves are (grid,
    values) pairs; NaN where fewer than 80 % of the samples overlap at every shift."""
    g = np.arange(lo, hi + 1e-9, 0.25)
    ref = np.interp(g, *a, left=np.nan, right=np.nan)
    shifts = np.arange(guess - search, guess + search + 1e-9, step)
    moved = np.interp(g[None, :] + shifts[:, None], *b, left=np.nan, right=np.nan)
    diff = ref[None, :] - moved
    enough = np.sum(np.isfinite(diff), axis=1) >= 0.8 * g.size
    if not enough.any():
        return float("nan")
    cost = np.where(enough, np.nanvar(np.where(enough[:, None], diff, 0.0), axis=1), np.inf)
    return float(shifts[int(np.argmin(cost))])


def _one_if_close(a: float, b: float) -> tuple[float, float]:
    """Two lags, averaged where they differ by less than ``SAME_LAG_SAMPLES``."""
    return (0.5 * (a + b),) * 2 if abs(a - b) < SAME_LAG_SAMPLES else (a, b)


def _foot_lags(contacts: pd.DataFrame, side: str, *, heel_fwd, toe_fwd, fs: float, stride_s: float, leg_px: float,
               heel_height, toe_height, tol_px, measured: np.ndarray) -> dict:
    """One foot's anchors, its contacts' own median lags, the average curve's lags, and whether those may
    replace the own ones (see :func:`steady_event_timing`)."""
    dist = max(1, int(0.6 * stride_s * fs))
    search, window = max(2.0, 0.08 * fs), max(3.0, 0.06 * fs)
    sel = (contacts["side"] == side).to_numpy()
    heel_ext = _extremes(heel_fwd[side], distance=dist, prominence=0.15 * leg_px, fs=fs)
    toe_ext = _extremes(-toe_fwd[side], distance=dist, prominence=0.15 * leg_px, fs=fs)
    ic0, to0 = contacts.loc[sel, "ic_idx"].to_numpy(float), contacts.loc[sel, "to_idx"].to_numpy(float)
    ic_near = _nearest_anchors(ic0, heel_ext, 0.3 * stride_s * fs, 0.15 * stride_s * fs)
    to_near = _nearest_anchors(to0, toe_ext, 0.15 * stride_s * fs, 0.3 * stride_s * fs)
    own = measured[sel]
    ic_lag = _median_lag(ic0[own], _subset(ic_near, own))   # the measured contacts' own lags
    to_lag = _median_lag(to0[own], _subset(to_near, own))
    foot = {"ic0": ic0, "to0": to0, "ic_near": ic_near, "to_near": to_near, "own": (ic_lag, to_lag),
            "template": (ic_lag, to_lag), "template_ok": False, "event_ok": (False, False), "landing": None,
            "lifting": None, "window": 0.0}
    if heel_height is None or toe_height is None or not tol_px:
        return foot
    heel_first = [lands_on_heel(heel_height[side], toe_height[side], int(i), int(j)) for i, j in zip(ic0, to0)]
    landing = heel_height[side] if np.mean(heel_first) > 0.5 else toe_height[side]
    ic_t = _template_or(ic_lag, ic_near, landing, rising=False, search=search, window=window, top=0.5 * tol_px,
                        max_shift=MAX_TEMPLATE_SHIFT_S * fs)
    to_t = _template_or(to_lag, to_near, toe_height[side], rising=True, search=search, window=window,
                        top=2.0 * tol_px)
    # the average curve corrects the noisy hinge's bias: a few milliseconds at the sharp landing (up to a
    # frame at 30 fps), tens at the gentle lift-off; a curve that is no hinge (a foot the pose model partly
    # guesses) can move the events much further, and then the contacts' own lags stay
    gct = np.median(_place(to0, to_near, to_lag) - _place(ic0, ic_near, ic_lag))
    gct_t = np.median(_place(to0, to_near, to_t) - _place(ic0, ic_near, ic_t))
    foot["template"] = (ic_t, to_t)
    foot["window"] = window
    reach = search + (CURVE_BEFORE + 1.0) * window
    foot["landing"] = _mean_curve(landing, ic_near, ic_lag, reach, "heel" if landing is heel_height[side] else "toe")
    foot["lifting"] = _mean_curve(toe_height[side], to_near, to_lag, reach, "toe")
    foot["event_ok"] = (bool(not abs(ic_t - ic_lag) > max(0.020 * fs, 1.0)), bool(not abs(to_t - to_lag) > 0.040 * fs))
    foot["template_ok"] = bool(all(foot["event_ok"]) and gct > 0 and abs(gct_t - gct) <= 0.25 * gct)
    return foot


def _average_curve(height: np.ndarray, anchors: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean of the heights read at each anchor plus each lag of ``grid`` (NaN where none is seen), and how
    many curves each lag's mean rests on."""
    curves = interp_at(height, anchors[:, None] + grid[None, :])
    count = np.sum(np.isfinite(curves), axis=0)
    return np.where(count > 0, np.nansum(curves, axis=0) / np.maximum(count, 1), np.nan), count


def _mean_curve(height: np.ndarray, near, lag: float, reach: float, point: str) -> tuple | None:
    """(point, grid, mean height) of a foot's contacts on a quarter-sample grid of lags after their anchors,
    ``reach`` samples either side of ``lag``; None without anchors."""
    if not near or not near[1].any() or not math.isfinite(lag):
        return None
    grid = lag + np.arange(-reach, reach + 1e-9, 0.25)
    return point, grid, _average_curve(height, near[0][near[1]], grid)[0]


def merge_split_contacts(contacts: pd.DataFrame, *, min_stride_samples: float) -> tuple[pd.DataFrame, int]:
    """Join contacts of one foot that begin less than half a stride apart: one contact that a glitch in
    the landmarks cut in two (the foot cannot land twice within half a stride). The joined contact runs
    from the first IC to the last TO. Returns the contacts and how many pieces were joined."""
    rows = []
    joined = 0
    for side, group in contacts.groupby("side", sort=False):
        current = None
        for r in group.sort_values("ic_idx").itertuples(index=False):
            if current is not None and r.ic_idx - current["ic_idx"] < 0.5 * min_stride_samples:
                current["to_idx"] = max(current["to_idx"], r.to_idx)
                joined += 1
                continue
            if current is not None:
                rows.append(current)
            current = {"side": side, "ic_idx": r.ic_idx, "to_idx": r.to_idx}
        if current is not None:
            rows.append(current)
    out = pd.DataFrame(rows, columns=["side", "ic_idx", "to_idx"])
    return out.sort_values("ic_idx").reset_index(drop=True), joined
