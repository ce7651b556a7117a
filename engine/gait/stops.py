"""No initial contact before the landing foot stops: the corner in the heel's forward-backward path.

A swinging foot moves forward over the ground; at initial contact the ground stops it (overground, in
ground coordinates) or it starts travelling back with the belt (treadmill). On real runners that change
is abrupt: the heel still moves forward when it lands, and within a frame it moves with the ground. On
the hand-labelled 30 fps treadmill clip the heel moves about 35 px a frame forward up to the frame
before the labelled IC and 12-34 px a frame back with the belt from it on (a jump of about 7 leg lengths
a second). Its forward-backward path has a corner there, sharp however much the pose model's heel point
jitters in height. A foot still moving forward over the ground is not on it yet; but a small, low-resolution
foot can reach ground height a frame or two early in the landmarks: on the labelled field clip (a 30 px
shoe over grass) the heel is at ground height while it still moves 20 px a frame forward, and the
heights time its landing 1.5 frames before the labels. So an IC from the heights that comes before the
heel's stop is moved to the stop; one after it stays (the heights see the landing itself).

Method: around each contact's IC, a linear hinge (:func:`engine.gait.events.refine_corner`) is fitted to
the heel's backward position: a line on the stance side (the ground's speed in the picture: zero
overground, the belt's on a treadmill) and a line on the approach side, meeting at the stop. The fit spans
``HALF_WINDOW_S`` each side of the corner (at least two samples), found first in a search around the IC
and then once more in a window centred on it.

Chosen per clip by what it shows: the feet's median jump in speed at the corner must reach
``MIN_STOP_LEGS_PER_S``. A foot that comes to rest gently (the synthetic runner's feet slow down to the
ground's speed over 100 ms, about 1 leg length a second at the corner) has no corner to find.

++ a physical bound the heights cannot give on a small foot; one contact's stop does not depend on the
others. -- IC only: the toe leaves the ground gently (no corner); needs the heel in view at landing;
motion blur rounds the corner by a few milliseconds. Tried and not kept: timing every IC at the stop (the
labelled treadmill clip's ICs then read 35 ms before the labels, which sit a frame after the stop).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.gait.events import refine_corner

#: ``event_method`` of a contact whose IC was moved to where its heel stopped (TO as its strategy timed it).
FOOT_STOP = "foot_stop"
#: Each side of the corner, the hinge is fitted over this long (and at least two samples).
HALF_WINDOW_S = 0.07
#: The corner is first sought this far before and after the contact's IC from the other strategies.
SEARCH_BEFORE_S, SEARCH_AFTER_S = 0.12, 0.08
#: A clip's feet stop abruptly where their median jump in forward speed at the corner is at least this
#: many leg lengths a second (the labelled treadmill clip: about 7; the synthetic runner: about 1).
MIN_STOP_LEGS_PER_S = 3.0


@dataclass(frozen=True)
class FootStops:
    """What :func:`foot_stop_ics` found: the feet's median jump in speed (leg lengths a second), whether
    the clip's feet stop abruptly, and how many ICs were moved to the stop."""

    jump_legs_per_s: float
    used: bool
    retimed: int

    def to_dict(self) -> dict:
        return {"jump_legs_per_s": round(self.jump_legs_per_s, 2) if math.isfinite(self.jump_legs_per_s) else None,
                "used": self.used, "retimed": self.retimed}


def stop_corner(back: np.ndarray, ic0: float, *, fs: float) -> tuple[float, float]:
    """The corner in one heel's backward position (pixels, per sample) near the fractional sample ``ic0``,
    and the jump in its speed there (pixels a sample; NaN where no corner is found)."""
    half = max(2.0, HALF_WINDOW_S * fs)
    idx = np.arange(back.size, dtype=float)

    def fit(centre_lo: float, centre_hi: float) -> tuple[float, float]:
        lo, hi = max(int(math.floor(centre_lo - half)), 0), min(int(math.ceil(centre_hi + half)), back.size - 1)
        if hi - lo < 4:
            return math.nan, math.nan
        seg = slice(lo, hi + 1)
        return refine_corner(idx[seg], back[seg], centre_lo, centre_hi, rising=False, quadratic=False)

    corner, _ = fit(ic0 - SEARCH_BEFORE_S * fs, ic0 + SEARCH_AFTER_S * fs)
    if not math.isfinite(corner):
        return math.nan, math.nan
    return fit(corner - 1.0, corner + 1.0)


def foot_stop_ics(contacts: pd.DataFrame, heel_x: dict[str, np.ndarray], *, sample_rate_hz: float,
                  leg_px: float) -> tuple[pd.DataFrame, FootStops]:
    """Contacts whose IC came before the heel stopped moved to the stop, where the clip's feet stop abruptly.

    ``heel_x``: each side's heel position (forward positive, pixels; ground coordinates, unsmoothed).
    ``contacts``: ``side``, ``ic_idx``, ``to_idx`` (fractional samples) and ``event_method``. A contact
    keeps its IC where no corner is found, the jump there is less than half the clip's threshold, or the
    corner would not come before its TO.
    """
    fs = sample_rate_hz
    found = [stop_corner(-heel_x[side], ic, fs=fs) for side, ic in zip(contacts["side"], contacts["ic_idx"])]
    corner = np.array([c for c, _ in found], dtype=float)
    jump = np.array([j for _, j in found], dtype=float) * fs / leg_px          # leg lengths a second
    median = float(np.nanmedian(jump)) if np.isfinite(jump).any() else math.nan
    if not median >= MIN_STOP_LEGS_PER_S:
        return contacts, FootStops(median, False, 0)
    ic = contacts["ic_idx"].to_numpy(float)
    late = (np.isfinite(corner) & (jump >= 0.5 * MIN_STOP_LEGS_PER_S) & (corner > ic)
            & (corner < contacts["to_idx"].to_numpy(float)))
    out = contacts.copy()
    out.loc[late, "ic_idx"] = corner[late]
    out.loc[late, "event_method"] = FOOT_STOP
    return out.sort_values("ic_idx").reset_index(drop=True), FootStops(median, True, int(late.sum()))
