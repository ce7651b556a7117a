"""A camera that follows the runner: the background's motion is measured, and the run is overground."""

from __future__ import annotations

import numpy as np
import pytest

from engine.pose.camera import BackgroundFlow, cumulative_shift
from engine.sources import analyze
from engine.synth.video import clip_params, write_clip

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_the_background_shift_of_a_panned_texture_is_recovered():
    rng = np.random.default_rng(1)
    world = (rng.uniform(0, 255, (400, 1600)) > 200).astype(np.uint8) * 255       # speckles to track
    world = np.repeat(world[:, :, None], 3, axis=2)
    flow = BackgroundFlow(full_width=640)
    shifts = []
    for k in range(8):
        frame = np.ascontiguousarray(world[:, 40 + 6 * k:40 + 6 * k + 640])          # camera pans right 6 px
        runner = np.array([[300.0, 100.0], [340.0, 380.0]])                       # masked out
        shifts.append(flow.step(frame, runner)[0])
    assert np.isnan(shifts[0]).all()                                              # nothing before the first
    np.testing.assert_allclose(np.array(shifts[1:]), [[-6.0, 0.0]] * 7, atol=0.3)  # the scene moves left
    np.testing.assert_allclose(cumulative_shift(np.array(shifts))[-1], [-42.0, 0.0], atol=1.0)
    gappy = np.array([[np.nan, np.nan], [2.0, 0.0], [np.nan, np.nan], [4.0, 0.0]])
    np.testing.assert_allclose(cumulative_shift(gappy)[:, 0], [0.0, 2.0, 5.0, 9.0])


@pytest.fixture(scope="module")
def following(tmp_path_factory):
    path = tmp_path_factory.mktemp("follow") / "follow30.mp4"
    params = clip_params(cadence_spm=176, speed_mps=3.2, treadmill=False, foot_strike_angle_deg=8, overstride_cm=10,
                         duration_s=6.0, fps=30, image_width=960, image_height=540, body_frac_of_image=0.6)
    return path, write_clip(path, params, style="dark", follow=True)


@pytest.mark.slow
def test_a_following_camera_is_not_taken_for_a_treadmill(following, tmp_path, monkeypatch):
    monkeypatch.setenv("LEANLINE_CACHE_DIR", str(tmp_path / "cache"))
    path, run = following
    res = analyze(path, height_cm=175.0)
    codes = res.to_dict()["warning_codes"]
    assert res.summary["overground"] and "camera_followed" in codes and "treadmill_no_speed" not in codes
    assert res.summary["cadence_spm"]["median"] == pytest.approx(run.truth["cadence_spm"].median(), rel=0.025)
    assert res.summary["step_length_cm"]["median"] == pytest.approx(run.truth["step_length_cm"].median(), rel=0.08)


@pytest.mark.slow
def test_a_still_camera_on_a_treadmill_is_not_a_following_one(tmp_path, monkeypatch):
    monkeypatch.setenv("LEANLINE_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "treadmill.mp4"
    write_clip(path, clip_params(cadence_spm=172, duration_s=4.0, fps=30, image_width=960, image_height=540),
               style="green")
    res = analyze(path, height_cm=175.0)
    assert not res.summary["overground"] and "camera_followed" not in res.to_dict()["warning_codes"]
