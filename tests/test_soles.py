"""The soles seen in the pixels: the line along a shoe's bottom edge, the track's sole points, and contact
timing on them."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from engine.gait.pipeline import analyze_track
from engine.model import LANDMARK_NAMES, SOLE_POINTS
from engine.pose.soles import SoleFinder, glitch_window, sole_line, sole_points, without_glitches
from engine.sources.landmarks_csv import read_landmark_csv, write_landmark_csv
from engine.synth.runner import STYLES, RunnerParams, simulate, with_sole_points

HEEL, TOE, ANKLE, KNEE = (LANDMARK_NAMES.index(f"left_{p}") for p in ("heel", "foot_index", "ankle", "knee"))


def _shoe(img: np.ndarray, x0: float, bottom: float, length: float, pitch_deg: float) -> None:
    """A shoe drawn as a quadrilateral whose bottom edge runs from (x0, bottom), pitched toe up."""
    a = np.deg2rad(pitch_deg)
    d = np.array([np.cos(a), -np.sin(a)])              # along the sole, image y down
    up = np.array([np.sin(a), np.cos(a)]) * -0.35 * length
    p0 = np.array([x0, bottom])
    pts = np.array([p0, p0 + length * d, p0 + length * d + up, p0 + up])
    cv2.fillPoly(img, [np.round(pts * 16).astype(np.int32)], (200, 40, 40), lineType=cv2.LINE_AA, shift=4)


def test_the_line_along_a_shoes_bottom_edge_is_found():
    mask = np.zeros((200, 300), np.uint8)
    _shoe(mask, 100, 150, 60, 10.0)
    heel, toe = np.array([103.0, 140.0]), np.array([155.0, 132.0])
    slope, icpt = sole_line(mask > 127, heel, toe, ankle=np.array([110.0, 120.0]))
    assert np.degrees(np.arctan(-slope)) == pytest.approx(10.0, abs=1.0)
    assert slope * 100 + icpt == pytest.approx(150.0, abs=1.0)         # the heel end of the bottom edge
    assert sole_line(np.zeros((200, 300), bool), heel, toe, np.array([110.0, 120.0])) is None


def test_faint_foreground_under_the_shoe_does_not_lower_the_sole():
    """Compression noise under a landing shoe: the mask reaches pixels below it whose difference from the
    background is a fraction of the shoe's; the edge stays where the shoe's contrast ends."""
    background = np.full((200, 300, 3), 100, np.uint8)
    clean = background.copy()
    _shoe(clean, 100, 150, 60, 10.0)
    noisy = clean.copy()
    noisy[151:155, 98:118] = 125                                     # faint blocks below the heel end
    heel, toe = np.array([103.0, 140.0]), np.array([155.0, 132.0])
    ankle = np.array([110.0, 120.0])

    def line(frame, contrast=True):
        mask = np.abs(frame.astype(np.int16) - background).sum(axis=2) > 20   # what a background model marks
        kw = dict(frame=frame, background=background.astype(np.int16)) if contrast else {}
        slope, icpt = sole_line(mask, heel, toe, ankle, **kw)
        return np.degrees(np.arctan(-slope)), slope * 100 + icpt         # pitch and the heel end's height

    pitch, at_heel = line(noisy)
    assert pitch == pytest.approx(10.0, abs=1.0)
    assert at_heel == pytest.approx(line(clean)[1], abs=0.2) and at_heel == pytest.approx(150.0, abs=1.0)
    # on the mask alone the faint pixels count as shoe and the heel reads low
    assert line(noisy, contrast=False)[1] > line(clean, contrast=False)[1] + 1.0


def _feet_xy(x0: float, bottom: float, length: float) -> np.ndarray:
    xy = np.full((33, 2), np.nan)
    xy[HEEL], xy[TOE], xy[ANKLE] = (x0 + 3, bottom - 8), (x0 + length - 3, bottom - 4), (x0 + 8, bottom - 25)
    xy[KNEE] = (x0 + 15, bottom - 110)
    right = [LANDMARK_NAMES.index(f"right_{p}") for p in ("heel", "foot_index", "ankle", "knee")]
    xy[right] = xy[[HEEL, TOE, ANKLE, KNEE]] + np.array([400.0, 0.0])
    return xy


def _landing(finder: SoleFinder, background: np.ndarray, frames: int = 40) -> np.ndarray:
    """Heights the finder gives for two shoes that come down onto a still floor and run along it."""
    heights = []
    for k in range(frames):
        frame = background.copy()
        x0, bottom = 60 + 4 * k, 300.0 - 20 * max(0, 10 - k) / 10
        _shoe(frame, x0, bottom, 60, 0.0)
        _shoe(frame, x0 + 400, bottom, 60, 0.0)
        heights.append(finder.step(frame, _feet_xy(x0, bottom, 60), shift=np.zeros(2)))
    return np.array(heights)


def test_the_sole_finder_measures_a_moving_shoe():
    rng = np.random.default_rng(3)
    background = rng.integers(90, 110, (360, 640, 3)).astype(np.uint8)
    h = _landing(SoleFinder(full_width=640), background)
    np.testing.assert_allclose(h[20:, 0, :], 300.0, atol=1.5)         # the left sole's heights, heel and toe


def test_while_the_camera_pans_a_sole_is_measured_only_over_a_floor_that_stays_background():
    """A panning camera moves a textured floor with the picture (all of it then differs from the background
    model, and nothing is measured); a plain floor looks the same wherever the camera points."""
    rng = np.random.default_rng(4)
    plain = np.full((360, 640, 3), 100, np.uint8)
    textured = plain.copy()
    textured[rng.random((360, 640)) < 0.04] = 40                      # a speckled floor and wall
    for background, measured in ((plain, True), (textured, False)):
        finder = SoleFinder(full_width=640)
        _landing(finder, background)
        frame = np.roll(background, 6, axis=1)                        # the picture pans by 6 px
        _shoe(frame, 220, 300.0, 60, 0.0)
        _shoe(frame, 620, 300.0, 60, 0.0)
        h = finder.step(frame, _feet_xy(220, 300.0, 60), shift=np.array([6.0, 0.0]))
        if measured:
            np.testing.assert_allclose(h[0], 300.0, atol=1.5)
        else:
            assert np.isnan(h[0]).all()


def test_sole_points_fill_gaps_by_the_offset_and_refuse_a_sole_seldom_seen():
    n = 20
    xy = np.zeros((n, 33, 2))
    xy[:, :, 1] = 100.0
    soles = np.full((n, 2, 2), 110.0) + np.arange(n)[:, None, None] * 0.5
    xy[:, :, 1] += np.arange(n)[:, None] * 0.5
    soles[2] = np.nan                                                 # short gap: bridged along the sole
    soles[12, 0, 0] += 25.0                                           # a glitch: removed
    soles[6:11] = np.nan                                              # long gap: landmark + median offset
    pts, seen, share = sole_points(xy, soles)
    assert pts is not None and pts.shape == (n, len(SOLE_POINTS), 2)
    np.testing.assert_allclose(pts[:, :, 1], np.broadcast_to(110.0 + np.arange(n)[:, None] * 0.5, (n, 4)))
    assert share["left_heel"] == pytest.approx(0.75) and share["right_heel"] == pytest.approx(0.75)
    assert seen is not None and not seen[6:11].any() and seen[2].all()
    soles[:12] = np.nan
    assert sole_points(xy, soles)[0] is None


def test_a_heel_down_for_two_frames_at_30_fps_is_no_glitch():
    # a forefoot runner's heel at 30 fps: in the air (image y 90), down on the floor (100) for two frames
    heel = np.full(30, 90.0)
    heel[10:12] = heel[20:22] = 100.0
    heel[5] = 110.0                                                   # one frame of the other foot: a glitch
    kept = without_glitches(heel, glitch_window(30.0))
    np.testing.assert_array_equal(kept[[10, 11, 20, 21]], 100.0)
    assert kept[5] == pytest.approx(90.0)
    # a five-frame window (167 ms at 30 fps) takes the heel's two frames down for a glitch
    assert not np.any(without_glitches(heel, 5)[[10, 11]] == 100.0)
    assert glitch_window(60.0) == glitch_window(240.0) == 5 and glitch_window(None) == 5


def _with_soles(track, offset_px: float = 0.0):
    """The track plus sole points at its heel and foot-index points (moved down by ``offset_px``)."""
    idx = [track.names.index(f"{s}_{p}") for s in ("left", "right") for p in ("heel", "foot_index")]
    soles = track.xy[:, idx].copy()
    soles[..., 1] += offset_px
    return replace(track, xy=np.concatenate([track.xy, soles], axis=1), names=track.names + SOLE_POINTS,
                   visibility=np.concatenate([track.visibility, np.full((len(track), 4), np.nan)], axis=1))


def test_contacts_are_timed_on_flat_soles_and_not_on_a_leaning_line():
    # sole points on the sole's edges lie flat in mid-stance: contacts and strike are read on them
    sole_run = simulate(RunnerParams(foot_landmarks="sole", duration_s=6.0))
    res = analyze_track(_with_soles(sole_run.track), height_cm=175)
    assert res.extra["soles"]["used"] and set(res.rows["event_method"]) <= {"sole_pixels", "steady_lag"}
    truth = sole_run.truth.set_index("ic_s")
    ic_err = [np.min(np.abs(truth.index - t)) for t in res.rows["ic_s"]]
    assert np.median(ic_err) < 0.005                                   # a third of a frame at 60 fps
    assert (res.rows["foot_strike"] == sole_run.truth["foot_strike"].iloc[0]).mean() >= 0.9
    # BlazePose's in-shoe points lean ~9 deg in mid-stance: taken for soles they are refused, and the
    # landmarks time the contacts
    pose_run = simulate(RunnerParams(duration_s=6.0))
    res = analyze_track(_with_soles(pose_run.track, 3.0), height_cm=175)
    assert res.extra["soles"]["used"] is False and abs(res.extra["soles"]["flat_deg"]) > 2.0
    assert "sole_pixels" not in set(res.rows["event_method"])


@pytest.mark.parametrize("style", ["heel_striker", "pose_forefoot"])
@pytest.mark.parametrize("fps", [30, 60])
def test_the_exact_soles_time_every_contact_within_a_frame(style, fps):
    # the sole right below BlazePose's points with 0.7 px of noise, as the pixels give it, beside landmarks
    # with their usual jitter: contacts are read on the soles, and every IC lies within a frame of the truth
    run = simulate(RunnerParams(**STYLES[style], fps=fps, noise_frac=0.003, duration_s=6.0))
    res = analyze_track(with_sole_points(run, noise_px=0.7, seed=3), height_cm=run.params.height_cm)
    assert res.extra["soles"]["used"]
    truth = run.truth
    err = np.array([np.min(np.abs(truth.ic_s[truth.side == r.side] - r.ic_s)) for r in res.rows.itertuples()])
    assert len(res.rows) >= len(truth) and np.all(err <= 1.0 / fps)
    assert (res.rows["foot_strike"] == truth["foot_strike"].iloc[0]).all()


def test_soles_whose_contacts_disagree_with_the_landmarks_are_refused():
    # flat soles, but timed 80 ms after the landmarks' contacts: a sole line that is not the shoe
    run = simulate(RunnerParams(foot_landmarks="sole", duration_s=6.0))
    late = _with_soles(run.track)
    shift = int(round(0.08 * run.params.fps))
    soles = [late.names.index(n) for n in SOLE_POINTS]
    xy = late.xy.copy()
    xy[shift:, soles] = late.xy[:-shift, soles]
    res = analyze_track(replace(late, xy=xy), height_cm=175)
    assert res.extra["soles"]["used"] is False
    assert res.extra["soles"]["ic_gap_ms"] == pytest.approx(80.0, abs=10.0)
    assert "sole_pixels" not in set(res.rows["event_method"])


def test_sole_points_survive_the_landmark_csv(tmp_path):
    track = _with_soles(simulate(RunnerParams(duration_s=2.0)).track, 2.0)
    back = read_landmark_csv(write_landmark_csv(track, tmp_path / "soles.csv"))
    assert set(SOLE_POINTS) <= set(back.names)
    np.testing.assert_allclose(back.point("left_sole_rear"), track.point("left_sole_rear"), atol=1e-3)


def test_a_foot_hidden_at_landing_leaves_its_strike_empty():
    run = simulate(RunnerParams(duration_s=6.0))
    track = run.track
    vis = np.ones_like(track.xy[..., 0])
    ic = run.truth[run.truth.side == "right"].ic_s.iloc[3]
    near = np.abs(track.time_s - ic) <= 0.05
    vis[np.ix_(near, [track.index("right_heel"), track.index("right_foot_index")])] = 0.2
    res = analyze_track(replace(track, visibility=vis), height_cm=175)
    hidden = (res.rows.side == "right") & ((res.rows.ic_s - ic).abs() < 0.03)
    assert hidden.sum() == 1
    assert res.rows.loc[hidden, "foot_strike"].isna().all()
    assert res.rows.loc[hidden, "foot_strike_angle_deg"].isna().all()
    assert res.rows.loc[~hidden, "foot_strike"].notna().all()
    assert "strike_unseen" in res.to_dict()["warning_codes"]
    assert sum(v for k, v in res.summary["foot_strike"].items() if k != "majority") == len(res.rows) - 1
