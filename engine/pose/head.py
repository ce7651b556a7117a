"""Where the top of the head is: the edge between the hair and what is behind it, from the pixels.

Vertical oscillation is the trunk's bob, 6-10 cm, a few per cent of the runner's height in the picture. A
pose model's trunk points do not bob with the body: on the synthetic runner's drawn figures BlazePose's
hips and shoulders bob 0.75-1.2 of the true amplitude and its ears 0.95-2.5, from one look to the next
(their median 0.76-1.47); on a real treadmill clip its hips bob a third more than its shoulders. The top of
the head is a physical edge, and in a side view it rides on the trunk: the head nods about the top of the
neck, and a nod of a few degrees moves the crown forward and back, not up and down.

Each frame, a strip two fifths of the ear-to-nose distance wide is taken above the crown (between the ears'
and the eyes' x), from 4 ear-to-nose distances above the ears down to the ears; its colour is averaged
across, and the rows where the colour changes most are the candidate edges (``CANDIDATES`` per frame, with
their strength, sub-pixel). :func:`head_top` then follows one edge through the clip: the path over the
candidates that keeps to where the pose model's trunk puts the head top and moves from frame to frame as
the trunk does (a wall's edge or a poster's stays where it is while the runner bobs past it), and drops the
stretches where it does not rise and fall with the trunk.

Trade-offs, measured on the synthetic runner's looks (``benchmarks/sweep_looks.py --session``, 48 clips of
the supersampled figure in 12 looks, two draws): ++ the session's oscillation within 0.35 cm of the truth
(median over clips; +0.2 cm median bias; on the trunk's points 0.75 cm, -0.65 cm bias), beyond 1 cm on 4
clips (on the trunk's points: 15), all four the most compressed look (crf 38 and blur: the codec moves the
head's edge in steps and leaves it standing for frames, and the edge followed bobs 0.6-0.8 of the truth
where the right candidate is there 0.8 of the time); on the older figure's renders beyond 1 cm on 9 clips of
72 (trunk: 18). ++ a strip of a few hundred pixels a frame: 0.5 % of the pose time. On a real treadmill clip
the head bobs 0.92 of the trunk points' median, correlating by 0.97. -- hair that bounces (a bun, a ponytail
on the crown) bobs on its own; -- a background of the hair's colour shows no edge, and such frames keep the
trunk's height (moved by the median offset); -- a strong still edge at the height of the head (a fence's
rail behind a small runner) can be taken for it where the head's own edge is weak; -- nothing here measures
the head's own nod.
"""

from __future__ import annotations

import numpy as np

from engine.model import LANDMARK_NAMES

#: The strip searched: its centre this share of the way from the ears' x to the eyes' x, half as wide as this
#: many ear-to-nose distances, from ``SEARCH_ABOVE`` to ``SEARCH_BELOW`` ear-to-nose distances above the ears.
CROWN_TOWARD_EYES = 0.4
STRIP_HALF_WIDTH = 0.2
SEARCH_ABOVE, SEARCH_BELOW = 4.0, 0.2
#: Edges kept per frame, strongest first.
CANDIDATES = 6
#: Fewer rows or columns than this in the strip give no edges (a head a few pixels tall).
MIN_STRIP_PX = 3
#: The edge followed (:func:`_followed`): its SD about where the trunk puts it, and of its move from one frame
#: to the next about the trunk's, in ear-to-nose distances; the cost of a frame without an edge (as much as an
#: edge 2.4 SD from its place, or one a twentieth as strong as the frame's strongest): a frame that shows no
#: edge near where the head should be is left out rather than filled with another edge.
PLACE_SD, STEP_SD, MISS_COST = 0.2, 0.1, 3.0
#: The edge is kept only where, over this long (s), it bobs within these multiples of the trunk's bob and
#: correlates with it by this much (:func:`_bobs_with`): on the clips checked (the most compressed synthetic
#: look, the two real clips) it bobs 0.53-1.55 of the trunk over 0.7 s, correlating by 0.79 or more.
CHECK_S, BOB_RATIO, MIN_BOB_CORR = 0.7, (0.4, 2.5), 0.5
#: The trunk's height is averaged over this long (s) before it predicts the edge's place and motion.
TRUNK_SMOOTH_S = 0.05
#: The head top is used where it was seen in at least this share of the frames with a pose.
MIN_SEEN_SHARE = 0.5

_EARS = [LANDMARK_NAMES.index(n) for n in ("left_ear", "right_ear")]
_EYES = [LANDMARK_NAMES.index(n) for n in ("left_eye", "right_eye")]
_NOSE = LANDMARK_NAMES.index("nose")


def _crown(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The crown's column (x), the ears' height and the ear-to-nose distance, per frame of ``xy`` (..., 33, 2)."""
    ear, eye, nose = xy[..., _EARS, :].mean(axis=-2), xy[..., _EYES, :].mean(axis=-2), xy[..., _NOSE, :]
    size = np.hypot(*np.moveaxis(ear - nose, -1, 0))
    return ear[..., 0] + CROWN_TOWARD_EYES * (eye[..., 0] - ear[..., 0]), ear[..., 1], size


def head_edges(rgb: np.ndarray, xy: np.ndarray | None, full_width: int) -> np.ndarray:
    """The candidate edges above the crown in one frame: (``CANDIDATES``, 2) of full-frame image y and
    strength (colour change per pixel of ``rgb``), strongest first, NaN where there are fewer.

    ``rgb``: the frame as the pose model saw it (shrunk or not); ``xy``: its landmarks in full-frame pixels.
    """
    out = np.full((CANDIDATES, 2), np.nan)
    if xy is None or not np.isfinite(xy[_EARS + _EYES + [_NOSE]]).all():
        return out
    f = rgb.shape[1] / full_width
    cx, ear_y, size = (float(v) * f for v in _crown(xy))
    y0 = max(int(ear_y - SEARCH_ABOVE * size), 1)
    y1 = min(int(ear_y - SEARCH_BELOW * size), rgb.shape[0] - 1)
    x0 = max(int(cx - STRIP_HALF_WIDTH * size), 0)
    x1 = min(int(cx + STRIP_HALF_WIDTH * size) + 1, rgb.shape[1])
    if y1 - y0 < MIN_STRIP_PX + 2 or x1 - x0 < 1 or size * STRIP_HALF_WIDTH * 2 < 1:
        return out
    profile = rgb[y0 - 1:y1 + 1, x0:x1].astype(np.float32).mean(axis=1)       # one row above, one below
    change = np.linalg.norm(profile[2:] - profile[:-2], axis=1) * 0.5           # at rows y0 .. y1 - 1
    inner = change[1:-1]
    peaks = np.flatnonzero((inner >= change[:-2]) & (inner > change[2:])) + 1
    peaks = peaks[np.argsort(-change[peaks], kind="stable")][:CANDIDATES]
    for j, k in enumerate(peaks):
        before, at, after = change[k - 1], change[k], change[k + 1]
        curv = before - 2.0 * at + after
        sub = 0.5 * (before - after) / curv if curv < 0 else 0.0
        out[j] = ((y0 + k + sub) / f, at)
    return out


def _smoothed(y: np.ndarray, fps: float | None) -> np.ndarray:
    """``y`` averaged over ``TRUNK_SMOOTH_S`` (a centred window of an odd number of frames, 3 or more, as it is
    where fewer): the trunk's frame-to-frame jitter out of the motion the edge is expected to follow."""
    import pandas as pd

    if fps is None or not np.isfinite(fps) or TRUNK_SMOOTH_S * fps < 2.5:
        return y                               # under 60 fps, three frames would span a third of a step
    frames = int(round(TRUNK_SMOOTH_S * fps)) // 2 * 2 + 1
    return pd.Series(y).rolling(frames, center=True, min_periods=1).mean().to_numpy()


def _bobs_with(top: np.ndarray, trunk: np.ndarray, fps: float | None) -> np.ndarray:
    """Frames where the edge followed rises and falls with the trunk: over ``CHECK_S`` around the frame, both less
    their mean, the edge's SD lies within ``BOB_RATIO`` times the trunk's and the two correlate by
    ``MIN_BOB_CORR`` or more. An edge that stands still (a rail behind the head, a following camera's horizon)
    or jumps between edges fails; too few frames to tell pass."""
    import pandas as pd

    frames = max(5, int(round(CHECK_S * (fps if fps and np.isfinite(fps) else 30.0))) // 2 * 2 + 1)
    roll = {"window": frames, "center": True, "min_periods": frames // 2 + 1}
    a, b = pd.Series(top), pd.Series(trunk)
    a, b = a - a.rolling(**roll).mean(), b - b.rolling(**roll).mean()
    ratio = (a.rolling(**roll).std() / b.rolling(**roll).std()).to_numpy()
    corr = a.rolling(**roll).corr(b).to_numpy()
    lo, hi = BOB_RATIO
    judged = np.isfinite(ratio) & np.isfinite(corr)
    return ~judged | ((ratio >= lo) & (ratio <= hi) & (corr >= MIN_BOB_CORR))


def _followed(y: np.ndarray, strength: np.ndarray, want: np.ndarray, moved: np.ndarray,
              size: np.ndarray) -> np.ndarray:
    """One candidate edge per frame (NaN for none), the path through the clip that best keeps to where the
    trunk puts the head top (``want``), moves from frame to frame as the trunk does (``moved``), and runs along
    strong edges: a Viterbi search over the candidates, each frame's costs in units of its ear-to-nose
    distance (``size``)."""
    n, k = y.shape
    top = np.nanmax(np.where(np.isfinite(strength), strength, -np.inf), axis=1, keepdims=True)
    ok = np.isfinite(y) & np.isfinite(want)[:, None] & np.isfinite(size)[:, None] & (strength > 0)
    unit = np.where(np.isfinite(size), size, 1.0)[:, None]
    cost = np.where(ok, 0.5 * ((y - want[:, None]) / (PLACE_SD * unit)) ** 2 - np.log(strength / top), np.inf)
    cost = np.concatenate([cost, np.full((n, 1), MISS_COST)], axis=1)          # the last state: no edge
    ys = np.concatenate([y, np.full((n, 1), np.nan)], axis=1)
    back = np.zeros((n, k + 1), int)
    total = cost[0].copy()
    for i in range(1, n):
        expected = moved[i] if np.isfinite(moved[i]) else 0.0
        step = (ys[i][None, :] - ys[i - 1][:, None] - expected) / (STEP_SD * unit[i])
        jump = np.where(np.isfinite(step), 0.5 * step ** 2, 0.0)              # to or from no edge: free
        paths = total[:, None] + jump
        back[i] = np.argmin(paths, axis=0)
        total = paths[back[i], np.arange(k + 1)] + cost[i]
    state = int(np.argmin(total))
    out = np.full(n, np.nan)
    for i in range(n - 1, -1, -1):
        out[i] = ys[i, state]
        state = back[i, state]
    return out


def head_top(xy: np.ndarray, edges: np.ndarray | None, *,
             fps: float | None = None) -> tuple[np.ndarray | None, np.ndarray | None, float]:
    """The head top's point per frame (T, 2): x of the crown's column, y of the edge followed through the clip.

    ``xy`` (T, 33, 2): the repaired landmarks; ``edges`` (T, ``CANDIDATES``, 2) from :func:`head_edges`.
    Where the trunk (:func:`engine.gait.metrics.trunk_height`, averaged over ``TRUNK_SMOOTH_S``) plus its median
    offset to the frames' strongest edges puts the head top, and how the trunk moves, guide
    :func:`_followed`; single-frame glitches are dropped and gaps of a few frames bridged (the sole points'
    Hampel filter), and longer gaps take the trunk's height moved by the offset. Returns (points, seen (T,),
    share seen), points None where fewer than ``MIN_SEEN_SHARE`` of the
    frames with a pose showed it.
    """
    # the pose workers need none of these
    from engine.gait.metrics import trunk_height
    from engine.pose.soles import glitch_window, without_glitches

    n = len(xy)
    if edges is None or len(edges) != n or n == 0:
        return None, None, 0.0
    names = LANDMARK_NAMES
    points = {name: xy[:, names.index(name)] for name in names}
    points["mid_hip"] = 0.5 * (points["left_hip"] + points["right_hip"])
    trunk = trunk_height(points)
    cx, _, size = _crown(xy)
    y, strength = edges[..., 0], edges[..., 1]
    posed = np.isfinite(trunk) & np.isfinite(size)
    offset = np.nanmedian(y[:, 0] - trunk) if np.isfinite(y[:, 0] - trunk).any() else np.nan
    if not np.isfinite(offset):
        return None, None, 0.0
    steady = _smoothed(trunk, fps)
    top = _followed(y, strength, steady + offset, np.diff(steady, prepend=np.nan), size)
    top = without_glitches(top, glitch_window(fps))
    seen = np.isfinite(top) & posed & _bobs_with(top, steady, fps)
    share = float(seen.sum() / max(posed.sum(), 1))
    if share < MIN_SEEN_SHARE:
        return None, None, share
    offset = float(np.median(top[seen] - trunk[seen]))
    out = np.stack([cx, np.where(seen, top, trunk + offset)], axis=-1)
    return np.where(posed[:, None], out, np.nan), seen, share
