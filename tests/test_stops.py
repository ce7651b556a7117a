"""No initial contact before the landing heel stops (engine.gait.stops)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.gait.stops import FOOT_STOP, foot_stop_ics

FS, LEG_PX, STRIDE = 30.0, 100.0, 21            # samples a stride


def _heel_path(stops: np.ndarray, n: int, *, approach: float, ground: float, gentle: bool = False) -> np.ndarray:
    """A heel's forward position (pixels): it swings forward at ``approach`` px a sample, and from each stop
    moves with the ground at ``ground`` px a sample (0 overground, minus the belt on a treadmill) for a
    third of a stride; ``gentle`` slows it down to the ground's speed over the six samples before instead
    (as the synthetic runner's feet do, over 100 ms)."""
    fine = np.arange(0.0, n, 0.01)                      # the motion between samples, integrated finely
    v = np.full(fine.size, approach)
    for s in stops:
        v[(fine >= s) & (fine < s + STRIDE / 3)] = ground
        if gentle:
            slow = (fine >= s - 6) & (fine < s)
            v[slow] = ground + (approach - ground) * (s - fine[slow]) / 6
    return np.cumsum(v * 0.01)[::100]


def _contacts(ic: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"side": "left", "ic_idx": ic, "to_idx": ic + 6.0, "event_method": "landmark_heights"})


@pytest.mark.parametrize("ground", [0.0, -10.0])                      # overground, treadmill
def test_an_ic_before_the_heel_stops_is_moved_to_the_stop(ground):
    stops = 10.3 + STRIDE * np.arange(6)
    heel = _heel_path(stops, int(stops[-1]) + STRIDE, approach=25.0, ground=ground)
    ic = stops + np.array([-1.6, -2.0, 0.8, -1.2, 1.5, -1.8])            # some from the heights come early
    out, found = foot_stop_ics(_contacts(ic), {"left": heel}, sample_rate_hz=FS, leg_px=LEG_PX)
    assert found.used and found.retimed == 4
    assert found.jump_legs_per_s == pytest.approx((25.0 - ground) * FS / LEG_PX, rel=0.05)
    early = ic < stops
    np.testing.assert_allclose(out["ic_idx"].to_numpy()[early], stops[early], atol=0.1)
    np.testing.assert_allclose(out["ic_idx"].to_numpy()[~early], ic[~early])     # later ICs stay
    assert (out["event_method"].to_numpy()[early] == FOOT_STOP).all()


def test_a_foot_that_comes_to_rest_gently_is_left_to_the_heights(monkeypatch):
    from engine.gait import stops as stops_module

    stops = 10.3 + STRIDE * np.arange(6)
    heel = _heel_path(stops, int(stops[-1]) + STRIDE, approach=12.0, ground=0.0, gentle=True)
    ic = stops - 3.0
    out, found = foot_stop_ics(_contacts(ic), {"left": heel}, sample_rate_hz=FS, leg_px=LEG_PX)
    assert not found.used and found.retimed == 0 and found.jump_legs_per_s < stops_module.MIN_STOP_LEGS_PER_S
    np.testing.assert_allclose(out["ic_idx"].to_numpy(), ic)
    # it is the clip's gentle stops that keep the heights' ICs: taken as abrupt, they would move
    monkeypatch.setattr(stops_module, "MIN_STOP_LEGS_PER_S", 0.1)
    assert foot_stop_ics(_contacts(ic), {"left": heel}, sample_rate_hz=FS, leg_px=LEG_PX)[1].retimed > 0
