"""The synthetic runner's looks render to clips that decode as the look says (no pose model here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.pose.video import iter_frames, probe
from engine.synth.looks import HELD_OUT, LOOKS, TUNING, filmed_run, render
from engine.synth.runner import RunnerParams


def test_tuning_and_held_out_looks_are_apart():
    assert not {look.name for look in TUNING} & {look.name for look in HELD_OUT}
    assert len(LOOKS) == len(TUNING) + len(HELD_OUT) >= 10


@pytest.mark.parametrize("name", ["portrait_30fps", "low_light_noise", "wide_lens_tilted", "heavy_build"])
def test_a_look_renders_as_it_says(tmp_path, name):
    look = LOOKS[name]
    run = render(look, RunnerParams(duration_s=1.2), tmp_path / "clip.mp4")
    pd.testing.assert_frame_equal(filmed_run(look, RunnerParams(duration_s=1.2)).truth, run.truth)   # without drawing
    info = probe(tmp_path / "clip.mp4")
    p = run.params
    assert (info.width, info.height) == (p.image_width, p.image_height)     # portrait turned back for display
    assert info.fps == pytest.approx(p.fps, rel=0.01)
    img = next(iter(iter_frames(tmp_path / "clip.mp4")))[1]
    if look.gain < 1.0:
        assert img.mean() < 0.75 * 200                                       # darker than the plain style
    assert len(run.truth) >= 2 and np.isfinite(run.truth["cadence_spm"]).any()
