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


def test_the_drawn_runner_moves_by_fractions_of_a_pixel():
    # the figure moved a quarter of a pixel down: the centroid of its difference from the backdrop moves by a
    # quarter of a pixel too (drawn to whole pixels it moved by none or by one)
    from dataclasses import replace

    from engine.synth.runner import PixelMap, RunnerModel
    from engine.synth.video import STYLES, FigureRenderer

    model = RunnerModel(RunnerParams(image_width=640, image_height=360))
    t = np.arange(60) / 60.0
    base = PixelMap.for_run(model, t)

    def height(pm: PixelMap) -> float:
        renderer = FigureRenderer(model, pm, STYLES["blue"])
        # in flight (both feet off the floor), the figure against its own backdrop
        figure = np.abs(renderer.draw(0.44).astype(float) - renderer.backdrop).sum(axis=2)
        rows = np.arange(figure.shape[0], dtype=float)[:, None]
        return float((figure * rows).sum() / figure.sum())

    moves = [height(replace(base, ground_px=base.ground_px + d)) - height(base) for d in (0.25, 0.5)]
    assert moves[0] == pytest.approx(0.25, abs=0.08) and moves[1] == pytest.approx(0.5, abs=0.08)
