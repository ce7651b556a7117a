"""The top of the head seen in the pixels, followed through a clip, and the bob it gives."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest

from engine.gait import frame, metrics
from engine.model import LANDMARK_NAMES
from engine.pose.head import CANDIDATES, head_edges, head_top

EAR, EYE, NOSE = np.array([140.0, 205.0]), np.array([165.0, 195.0]), np.array([178.0, 205.0])


def _landmarks(lift: float = 0.0, trunk_lift: float | None = None) -> np.ndarray:
    """A side view's 33 points: the face as above, the trunk and legs below it; ``lift`` moves the face up (image
    pixels) and ``trunk_lift`` the rest (the face's by default)."""
    xy = np.zeros((len(LANDMARK_NAMES), 2))
    body = lift if trunk_lift is None else trunk_lift
    for j, name in enumerate(LANDMARK_NAMES):
        part = name.split("_", 1)[-1]
        if "ear" in name:
            xy[j] = EAR - (0, lift)
        elif "eye" in name or name in ("nose", "mouth_left", "mouth_right"):
            xy[j] = (EYE if "eye" in name else NOSE) - (0, lift)
        else:
            height = {"shoulder": 250.0, "hip": 380.0, "knee": 480.0, "ankle": 580.0}.get(part, 600.0)
            xy[j] = (150.0, height - body)
    return xy


def _head(rows: int = 400, cols: int = 300, top: float = 170.0, background=(90, 120, 150)) -> np.ndarray:
    """A frame with a dark head (a disk of radius 30, sub-pixel, in the middle column) on a plain background; the
    disk's top lies at ``top`` + 0.5, between row ``top`` and the next."""
    img = np.zeros((rows, cols, 3), np.uint8)
    img[:] = background
    centre = (int(round(cols / 2 * 16)), int(round((top + 30.5) * 16)))   # OpenCV: pixel centres at whole numbers
    cv2.circle(img, centre, 30 * 16, (40, 30, 20), -1, cv2.LINE_AA, shift=4)
    return img


def test_the_edge_above_a_drawn_head_is_found_to_a_tenth_of_a_pixel():
    xy = _landmarks()
    found = [head_edges(_head(top=170.0 + d), xy, 300)[0, 0] for d in (0.0, 0.25, 0.5, 0.75, 1.0)]
    moves = np.diff(found)
    assert found[0] == pytest.approx(170.5, abs=0.6)        # pixel centres at whole numbers: the disk's top is at 170.5
    assert moves == pytest.approx([0.25] * 4, abs=0.1)
    # the pose model's frame may be shrunk: the edge comes back in full-frame pixels
    half = cv2.resize(_head(rows=800, cols=600, top=340.0), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    assert head_edges(half, _landmarks() * 2.0, 600)[0, 0] == pytest.approx(2.0 * found[0], abs=1.0)
    # no face, no edges
    none = _landmarks()
    none[LANDMARK_NAMES.index("nose")] = np.nan
    assert np.isnan(head_edges(_head(), none, 300)).all()
    assert np.isnan(head_edges(_head(), None, 300)).all()


def test_the_head_top_is_followed_past_a_still_edge_where_the_trunk_points_are_damped():
    """The pose model's trunk bobs 0.75 of the head and jitters by a pixel; a wall's edge half as strong as the
    head's sits inside the head's range of heights; weaker clutter comes and goes. The head's edge is followed
    in every frame, and its bob is the true one where the trunk's is not."""
    rng = np.random.default_rng(5)
    n = 150
    bob = 9.0 * np.sin(2 * np.pi * np.arange(n) / 20.0)           # image pixels, up positive
    true_top = 170.0 - bob
    xy = np.stack([_landmarks(lift=b, trunk_lift=0.75 * b + rng.normal(0.0, 1.0)) for b in bob])
    edges = np.full((n, CANDIDATES, 2), np.nan)
    edges[:, 0] = np.stack([true_top + rng.normal(0.0, 0.2, n), np.full(n, 30.0)], axis=1)
    edges[:, 1] = (166.0, 15.0)                                       # a still edge, half as strong
    clutter = rng.uniform(120.0, 200.0, (n, 3))
    edges[:, 2:5] = np.stack([clutter, rng.uniform(5.0, 20.0, (n, 3))], axis=-1)
    edges[::7, 0] = np.nan                                            # the head's edge missed now and then
    points, seen, share = head_top(xy, edges, fps=60.0)
    assert points is not None and seen is not None
    assert share == pytest.approx(1.0, abs=0.02)
    err = np.abs(points[:, 1] - true_top)
    assert np.median(err) < 0.3 and np.percentile(err, 95) < 1.5, np.round(err, 1)
    # a stretch where the head's edge is lost against the background: the still edge is all there is, and
    # the frames there are not taken for the head's (they are filled from the trunk, marked unseen)
    lost = slice(60, 110)
    edges[lost, 0] = np.nan
    points, seen, _ = head_top(xy, edges, fps=60.0)
    assert points is not None and seen is not None
    assert not seen[70:95].any() and seen[:50].all() and seen[120:].all()   # the check spans 0.7 s
    # a clip whose head top is never clear: no point at all, the trunk is used instead
    blank = np.full((n, CANDIDATES, 2), np.nan)
    assert head_top(xy, blank)[0] is None


def test_the_bob_is_read_on_the_head_top_less_the_paths_bend():
    """A runner crossing a wide lens's bent picture: the head's path sags 24 px in the middle of the clip on top
    of a 20 px bob. Less its mean over one step, the bob per step is the true one."""
    fs, step = 100.0, 40.0
    t = np.arange(400) / fs
    k = np.arange(t.size)
    bob = 10.0 * np.cos(2 * np.pi * k / step)
    sag = 24.0 * (1.0 - ((k - 200.0) / 200.0) ** 2)
    np.testing.assert_allclose(metrics.without_drift(bob + sag, step)[50:-50], bob[50:-50], atol=0.2)
    pts = {name: np.stack([np.zeros_like(t), np.full_like(t, 300.0)], axis=1) for name in LANDMARK_NAMES}
    pts["mid_hip"] = pts["mid_shoulder"] = pts["left_hip"]
    pts["head_top"] = np.stack([np.zeros_like(t), 500.0 + bob + sag], axis=1)
    ics = np.arange(20.0, 380.0, step)
    contacts = pd.DataFrame({"side": np.resize(["right", "left"], ics.size), "ic_idx": ics, "to_idx": ics + 12.0})
    kw = dict(scale=frame.Scale(2.0, "height_cm"), overground=True, belt_speed_mps=None, flat_foot_offset_deg=0.0,
              max_step_s=1.0)
    rows = metrics.compute_step_table(pts, t, contacts, trunk_bob=True, **kw)
    inner = rows.vertical_oscillation_cm.iloc[1:-2]
    assert inner.to_numpy() == pytest.approx([10.0] * len(inner), abs=0.25)    # 20 px at 2 px/cm
    bent = [metrics.vertical_excursion(pts["head_top"][:, 1], a, a + step) / 2.0 for a in ics[1:-2]]
    assert max(abs(np.array(bent) - 10.0)) > 1.0                     # the bend itself would add over a cm
