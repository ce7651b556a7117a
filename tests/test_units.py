"""Direct tests of the building blocks with exact answers: signal, frame, metrics, summary, pose repair."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from engine import anthropometry as anth
from engine.gait import frame, metrics, signal, summary
from engine.model import LANDMARK_NAMES
from engine.pose import repair

# -- signal --------------------------------------------------------------------------------------


def test_finite_runs_and_gap_bridging():
    assert signal.finite_runs(np.array([0, 1, 1, 0, 1, 0, 0, 1], bool)) == [(1, 3), (4, 5), (7, 8)]
    t = np.arange(10) / 100.0                                  # 100 Hz
    x = np.arange(10, dtype=float) * 2.0
    x[[3, 4]] = np.nan                                         # a 30 ms hole: bridged exactly (a line)
    x[[7]] = np.nan
    out = signal.bridge_gaps(x, t, max_gap_ms=35.0)
    np.testing.assert_allclose(out, np.arange(10) * 2.0)
    long_hole = np.arange(10, dtype=float)
    long_hole[2:6] = np.nan                                    # 50 ms: stays a gap
    assert np.isnan(signal.bridge_gaps(long_hole, t, max_gap_ms=30.0)[2:6]).all()
    ends = np.array([np.nan, 1.0, 2.0, np.nan])                # never extrapolated
    assert np.isnan(signal.bridge_gaps(ends, t[:4], max_gap_ms=1000.0)[[0, 3]]).all()


def test_lowpass_keeps_slow_motion_and_time():
    fs = 100.0
    t = np.arange(0, 4, 1 / fs)
    slow = np.sin(2 * np.pi * 1.0 * t)
    fast = 0.5 * np.sin(2 * np.pi * 40.0 * t)
    out = signal.lowpass(slow + fast, sample_rate_hz=fs, cutoff_hz=12.0)
    inner = slice(50, -50)
    assert np.max(np.abs(out[inner] - slow[inner])) < 0.01     # zero phase: no lag, 40 Hz gone
    np.testing.assert_allclose(signal.lowpass(np.full(200, 3.0), sample_rate_hz=fs, cutoff_hz=12.0), 3.0)
    assert signal.effective_cutoff_hz(20.0, 30.0) == pytest.approx(12.0)          # 0.8 x Nyquist


def test_interpolation_between_samples_is_exact_where_it_should_be():
    k = np.arange(10, dtype=float)
    line = 3.0 * k + 1.0
    assert signal.interp_at(line, np.array([2.25]))[0] == pytest.approx(7.75)
    parabola = 0.5 * k**2 - k + 2.0                           # Catmull-Rom reproduces quadratics exactly
    assert signal.cubic_at(parabola, np.array([4.4]))[0] == pytest.approx(0.5 * 4.4**2 - 4.4 + 2.0)
    assert signal.cubic_at(parabola, np.array([0.5]))[0] == pytest.approx((2.0 + 1.5) / 2)   # linear at the ends


# -- frame ---------------------------------------------------------------------------------------


def test_runner_frame_levelling_and_tilt():
    img = np.array([[100.0, 200.0], [150.0, 180.0]])
    np.testing.assert_allclose(frame.to_runner_frame(img, 1.0), [[100.0, -200.0], [150.0, -180.0]])
    np.testing.assert_allclose(frame.to_runner_frame(img, -1.0), [[-100.0, -200.0], [-150.0, -180.0]])
    x = np.linspace(0, 1000, 50)
    hips = np.stack([x, 400.0 - np.tan(np.radians(3.0)) * x], axis=1)   # ground rising 3 deg to the right
    assert frame.ground_tilt_deg(hips) == pytest.approx(3.0)
    level = frame.level_image(hips, 3.0, (500.0, 400.0))
    assert np.ptp(level[:, 1]) == pytest.approx(0.0, abs=1e-9)


def test_scale_from_height_is_exact_on_winter_proportions():
    h_px_per_cm = 4.0
    height = 175.0
    hip, knee, ankle = (np.array([[0.0, -f * height * h_px_per_cm]]) for f in
                        (anth.HIP_HEIGHT, anth.KNEE_HEIGHT, anth.ANKLE_HEIGHT))
    shoulder = np.array([[0.0, -anth.SHOULDER_HEIGHT * height * h_px_per_cm]])
    pts = {f"{s}_{p}": v for s in ("left", "right") for p, v in
           (("hip", hip), ("knee", knee), ("ankle", ankle), ("shoulder", shoulder))}
    sc = frame.scale_from_height(pts, height)
    assert sc.px_per_cm == pytest.approx(h_px_per_cm) and sc.source == "height_cm"
    assert frame.leg_length_px(pts) == pytest.approx(anth.LEG * height * h_px_per_cm)
    assert sc.to_cm(40.0) == pytest.approx(10.0)


# -- metrics -------------------------------------------------------------------------------------


def test_angles_follow_the_sign_conventions():
    base = np.array([0.0, 0.0])
    assert metrics.angle_from_vertical_deg(base, np.array([1.0, 1.0])) == pytest.approx(45.0)    # ahead: +
    assert metrics.angle_from_vertical_deg(base, np.array([-1.0, math.sqrt(3)])) == pytest.approx(-30.0)
    assert metrics.inclination_deg(base, np.array([1.0, -1.0])) == pytest.approx(-45.0)          # toe down: -
    assert metrics.joint_angle_deg(np.array([0.0, 1.0]), base, np.array([1.0, 0.0])) == pytest.approx(90.0)
    classes = metrics.classify_foot_strike(np.array([8.01, 8.0, -1.6, -1.61, np.nan]))
    assert list(classes) == ["rearfoot", "midfoot", "midfoot", "forefoot", None]


def test_vertical_excursion_and_mid_stance():
    t = np.arange(0, 1, 0.01)
    y = 4.0 * np.sin(2 * np.pi * 1.0 * t)
    assert metrics.vertical_excursion(y, 0.0, 99.0) == pytest.approx(8.0, abs=1e-3)   # refined peaks
    hip_x = np.linspace(0.0, 10.0, 11)                      # hips pass the ankle (at 4.5) between samples
    assert metrics.mid_stance_index(hip_x, np.full(11, 4.5), 1.0, 9.0) == pytest.approx(4.5)


def _still_runner(n: int = 200) -> dict[str, np.ndarray]:
    """Runner-frame points that never move: ankle 30 px ahead of the hips, an upright trunk."""
    def at(x, y):
        return np.tile([x, y], (n, 1)).astype(float)
    pts = {}
    for s in ("left", "right"):
        pts |= {f"{s}_ankle": at(30.0, 10.0), f"{s}_knee": at(30.0, 110.0), f"{s}_hip": at(0.0, 210.0),
                f"{s}_heel": at(20.0, 0.0), f"{s}_foot_index": at(45.0, 0.0), f"{s}_shoulder": at(0.0, 410.0)}
    pts["mid_hip"], pts["mid_shoulder"] = at(0.0, 210.0), at(0.0, 410.0)
    return pts


def test_pull_is_toe_off_minus_the_moment_the_hips_pass_the_ankle():
    fs = 100.0
    t = np.arange(200) / fs
    pts = _still_runner()
    pts["mid_hip"] = pts["mid_hip"].copy()
    pts["mid_hip"][:, 0] = np.arange(200) * 1.0 - 20.0            # the hips pass x = 30 at sample 50
    contacts = pd.DataFrame({"side": ["right", "left"], "ic_idx": [40.0, 75.0], "to_idx": [65.0, 100.0]})
    rows = metrics.compute_step_table(pts, t, contacts, scale=None, overground=False, belt_speed_mps=None,
                                      flat_foot_offset_deg=None, max_step_s=1.0)
    assert rows.iloc[0].pull_ms == pytest.approx(150.0)            # TO 65 - mid-stance 50 samples at 100 Hz
    assert rows[["overstride_cm", "vertical_oscillation_cm", "step_length_cm"]].isna().all().all()   # no scale
    assert rows["foot_strike"].isna().all()                        # no flat-foot offset: not guessed


def test_step_table_timing_and_angles_have_exact_answers():
    fs = 100.0
    t = np.arange(200) / fs
    contacts = pd.DataFrame({"side": ["right", "left", "right", "left"], "ic_idx": [10.0, 45.0, 80.0, 115.0],
                             "to_idx": [35.0, 70.0, 105.0, 140.0]})
    rows = metrics.compute_step_table(_still_runner(), t, contacts, scale=frame.Scale(2.0, "height_cm"),
                                      overground=False, belt_speed_mps=3.0, flat_foot_offset_deg=0.0,
                                      max_step_s=1.0)
    first = rows.iloc[0]
    assert first.cadence_spm == pytest.approx(60.0 / 0.35)                # 35 samples to the next IC
    assert first.ground_contact_ms == pytest.approx(250.0)
    assert first.flight_ms == pytest.approx(100.0)                        # next IC 45 - TO 35
    assert first.duty_factor_pct == pytest.approx(250.0 / 700.0 * 100.0)   # stride = 70 samples
    assert first.overstride_cm == pytest.approx(15.0)                     # 30 px at 2 px/cm
    assert first.trunk_lean_deg == pytest.approx(0.0)
    assert first.lean_deg == pytest.approx(-math.degrees(math.atan2(30.0, 400.0)))    # the line leans back
    assert first.alignment_deg == pytest.approx(math.degrees(math.atan2(30.0, 200.0)))
    assert first.shin_angle_deg == pytest.approx(0.0) and first.knee_flexion_ic_deg == pytest.approx(
        180.0 - metrics.joint_angle_deg(np.array([0.0, 210.0]), np.array([30.0, 110.0]), np.array([30.0, 10.0])))
    assert first.foot_strike_angle_deg == pytest.approx(0.0) and first.foot_strike == "midfoot"
    assert first.vertical_oscillation_cm == pytest.approx(0.0)
    assert first.step_length_cm == pytest.approx(3.0 * 0.35 * 100.0)      # belt speed x step time
    assert first.vertical_ratio_pct == pytest.approx(0.0)
    assert np.isnan(first.pull_ms)                   # the hips never pass the ankle: no mid-stance, no pull
    assert np.isnan(rows.iloc[-1].cadence_spm)                            # no next contact


def _landing_heights(lands_at: float, *, n: int = 80, offset: float = 0.0) -> np.ndarray:
    """A foot end's height (px): coming down at 2 px a sample, on the floor from ``lands_at``, plus ``offset``."""
    k = np.arange(n, dtype=float)
    return np.clip(2.0 * (lands_at - k), 0.0, None) + offset


def test_the_end_of_the_foot_that_lands_first_is_told_by_when_it_lands_not_by_its_level():
    from engine.gait.events import lands_on_heel

    heel, toe = _landing_heights(27.0), _landing_heights(20.0)                  # toe first: a forefoot landing
    assert not lands_on_heel(heel, toe, 20, 60)
    assert not lands_on_heel(heel, toe + 7.0, 20, 60)          # the toe's ground level read 7 px too low
    assert not lands_on_heel(heel - 7.0, toe, 20, 60)          # ... or the heel's 7 px too high
    assert lands_on_heel(_landing_heights(20.0), _landing_heights(26.0), 20, 60)   # heel first: a heel strike
    # one sample apart is a flat landing: the lower end over the contact's first third decides, as before
    flat_heel, flat_toe = _landing_heights(20.0), _landing_heights(21.0, offset=1.0)
    assert lands_on_heel(flat_heel, flat_toe, 20, 60) and not lands_on_heel(flat_heel + 2.0, flat_toe, 20, 60)


def test_anchored_contacts_check_and_complete_the_timed_ones():
    from engine.gait.events import fill_from_anchors

    # a run of 8 contacts, 20 samples apart, each foot down for 12 samples; the anchors place them 2 samples early
    sides = ["right", "left"] * 4
    ic = 10.0 + 20.0 * np.arange(8)
    anchored = pd.DataFrame({"side": sides, "ic_idx": ic - 2.0, "to_idx": ic + 10.0, "event_method": "anchored"})
    timed = pd.DataFrame({"side": sides, "ic_idx": ic + 0.3, "to_idx": ic + 12.0, "event_method": "timed"})
    # the pose model put both legs on the right one for the 4th contact (timed as the left's) and lost the 6th
    timed.loc[3, "side"] = "right"
    timed = timed.drop(index=5)
    # and the track's last contact ran past the anchors (no forward swing after it)
    timed = pd.concat([timed, pd.DataFrame({"side": ["right"], "ic_idx": [170.3], "to_idx": [182.0],
                                            "event_method": ["timed"]})], ignore_index=True)
    out, filled = fill_from_anchors(timed, anchored, max_gap_samples=5.0)
    assert filled == 2
    assert list(out["side"]) == sides + ["right"]                          # the feet take turns again
    assert list(out["event_method"]) == ["timed"] * 3 + ["anchored", "timed", "anchored"] + ["timed"] * 3
    np.testing.assert_allclose(out["ic_idx"], np.append(np.where(out["event_method"][:8] == "timed", ic + 0.3,
                                                                 ic - 2.0), 170.3))
    same, none = fill_from_anchors(timed.iloc[:0], anchored.iloc[:0], max_gap_samples=5.0)
    assert none == 0 and same.empty


def _anchored_run(lags: dict[str, float], noise: dict[str, float]):
    """Ten strides of 40 samples per foot: heel forward extremes at known samples, each foot landing its own lag
    after them (heights ramp down 10 px a sample onto the floor, 12 samples of contact), with height noise."""
    from engine.gait.events import stride_anchored_contacts

    n, rng = 440, np.random.default_rng(0)
    t = np.arange(n, dtype=float)
    heel_fwd, toe_fwd, low = {}, {}, {}
    for side, first in (("right", 10.3), ("left", 30.3)):
        phase = 2 * np.pi * (t - first) / 40.0
        heel_fwd[side], toe_fwd[side] = 100 * np.cos(phase), 100 * np.cos(phase - 1.2)
        ic = first + 40.0 * np.arange(11) + lags[side]
        since = t[:, None] - ic[None, :]
        down = np.where((since >= 0) & (since < 12), 0.0, np.where(since < 0, -10.0 * since, 10.0 * (since - 12)))
        low[side] = np.clip(down.min(axis=1), 0, 60) + rng.normal(0.0, noise[side], n)
    out = stride_anchored_contacts(heel_fwd=heel_fwd, toe_fwd=toe_fwd, low_height=low, toe_height=low,
                                   sample_rate_hz=60.0, stride_s=40 / 60.0, leg_px=200.0, tol_px=3.0)
    return out, {"right": 10.3, "left": 30.3}


def test_anchored_contacts_keep_each_foots_own_lag_where_its_heights_allow():
    out, first = _anchored_run({"right": 6.0, "left": 2.0}, {"right": 0.3, "left": 0.3})
    for side, lag in (("right", 6.0), ("left", 2.0)):
        ic = out.loc[out["side"] == side, "ic_idx"].to_numpy()
        after = (ic - first[side]) % 40.0                  # from each stride's forward extreme
        np.testing.assert_allclose(after, lag - 0.3, atol=0.35)      # crossing the 3 px tolerance: 0.3 early
    # a half-hidden left foot: its heights jitter by 8 px and dip to the floor anywhere, so its own lag is no
    # measurement, and both feet take the session's
    out, first = _anchored_run({"right": 6.0, "left": 2.0}, {"right": 0.3, "left": 8.0})
    lag = {side: np.median((out.loc[out["side"] == side, "ic_idx"] - first[side]) % 40.0) for side in first}
    assert lag["left"] == pytest.approx(lag["right"])


def _steady_run(blur: dict[str, int], seed: int, cut: int | None = None,
                off: dict[str, tuple[float, float]] | None = None):
    """Ten strides of 40 samples per foot at 60 fps, each foot landing its own lag after its heel's forward
    extreme (right 6.0, left 2.0 samples): the foot decelerates onto the floor (2 px per squared sample), stays 12
    samples and rises 10 px a sample; 0.5 px of noise, and a foot's heights blurred over ``blur`` samples (a
    far foot the pose model sees less sharply). ``cut``: that contact's measured lift-off comes 2 samples after
    its landing (its heights jumped up for a few frames in mid-stance). ``off``: a foot's measured ICs and TOs
    come that many samples late. Returns the steady timing's mean IC and TO error per foot (samples) and the
    contacts."""
    from engine.gait.events import steady_event_timing

    n, rng = 440, np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    first, lags = {"right": 10.3, "left": 30.3}, {"right": 6.0, "left": 2.0}
    heel_fwd, toe_fwd, height, rows = {}, {}, {}, []
    for side in first:
        heel_fwd[side] = 100 * np.cos(2 * np.pi * (t - first[side]) / 40.0)
        toe_fwd[side] = -100 * np.cos(2 * np.pi * (t - first[side] - lags[side] - 15.0) / 40.0)
        ic = first[side] + 40.0 * np.arange(11) + lags[side]
        since = t[:, None] - ic[None, :]
        down = np.where((since >= 0) & (since < 12), 0.0, np.where(since < 0, 2.0 * since**2, 10.0 * (since - 12)))
        y = np.clip(down.min(axis=1), 0, 200)
        k = blur[side]
        y = np.convolve(np.pad(y, k, mode="edge"), np.ones(k) / k, mode="same")[k:-k]
        height[side] = y + rng.normal(0.0, 0.5, n)
        late_ic, late_to = (off or {}).get(side, (0.0, 0.0))
        rows += [{"side": side, "ic_idx": i + late_ic + rng.normal(0, 0.7),
                  "to_idx": i + 12 + late_to + rng.normal(0, 0.7)} for i in ic[1:-1]]
    contacts = pd.DataFrame(rows).sort_values("ic_idx").reset_index(drop=True)
    if cut is not None:
        contacts.loc[cut, "to_idx"] = contacts.loc[cut, "ic_idx"] + 2.0
    out, _ = steady_event_timing(contacts, heel_fwd=heel_fwd, toe_fwd=toe_fwd, sample_rate_hz=60.0,
                                 stride_s=40 / 60.0, leg_px=200.0, heel_height=height, toe_height=height, tol_px=3.0)
    mine = {side: out[out["side"] == side] for side in first}
    ic = {side: float(np.mean((c["ic_idx"] - first[side]) % 40.0)) - lags[side] for side, c in mine.items()}
    to = {side: float(np.mean((c["to_idx"] - first[side]) % 40.0)) - lags[side] - 12 for side, c in mine.items()}
    return ic, to, out


@pytest.mark.parametrize("seed", [0, 1])
def test_steady_timing_keeps_steps_even_where_one_foot_is_seen_less_sharply(seed):
    """Each foot's hinge on its average curve is biased by the curve's shape: the blurred foot's landing reads
    0.15-0.3 samples late and its lift-off 1-2 samples early, so every other step would be longer. The feet's
    difference comes from laying one whole curve onto the other, and the steps stay even."""
    ic, to, _ = _steady_run({"right": 1, "left": 3}, seed)
    assert abs(ic["right"] - ic["left"]) < 0.08          # 1.3 ms at 60 fps; each foot's own hinge: 0.14-0.19
    assert abs(to["right"] - to["left"]) < 0.2           # each foot's own hinge: 1.1-1.7
    assert max(abs(e) for e in ic.values()) < 0.3
    ic, to, _ = _steady_run({"right": 1, "left": 1}, seed)   # both sharp: no difference to take out
    assert abs(ic["right"] - ic["left"]) < 0.08 and max(abs(e) for e in ic.values()) < 0.15


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_feet_landings_are_laid_on_each_other_even_where_one_foot_lift_off_curve_misleads(seed):
    """The blurred foot's own contacts land half a sample late, and their lift-offs three samples from where its
    average curve puts them, so that foot's curve is not trusted for the lift-off. Its landing curve is still a
    hinge: the feet's landings are laid on each other, and every other step is not longer."""
    ic, _, _ = _steady_run({"right": 1, "left": 3}, seed, off={"left": (0.5, 3.0)})
    # 0.04-0.06 samples over six draws; from the own landings moved by the other foot's correction: 0.02-1.6
    assert abs(ic["right"] - ic["left"]) < 0.1


def test_a_contact_cut_short_by_a_glitch_takes_its_lift_off_from_its_anchor():
    _, _, out = _steady_run({"right": 1, "left": 1}, 0, cut=7)
    contact = (out["to_idx"] - out["ic_idx"]).to_numpy()
    np.testing.assert_allclose(contact, 12.0, atol=0.8)           # every contact 12 samples, the cut one too


def test_curve_shift_finds_how_far_one_curve_runs_behind_another():
    from engine.gait.events import curve_shift

    rng = np.random.default_rng(3)
    g = np.arange(-20.0, 20.0, 0.25)
    shape = lambda x: np.where(x < 0, 2.0 * x**2, 0.0)          # noqa: E731 - a landing onto the floor at 0
    a = (g, shape(g) + rng.normal(0, 0.3, g.size))
    b = (g, shape(g - 1.37) + 5.0 + rng.normal(0, 0.3, g.size))   # lands 1.37 samples later, 5 px higher
    assert curve_shift(a, b, lo=-6.0, hi=2.0, guess=0.5, search=2.0) == pytest.approx(1.37, abs=0.04)
    assert math.isnan(curve_shift(a, (g + 60.0, b[1]), lo=-6.0, hi=2.0, guess=0.0, search=2.0))


def test_oscillation_is_read_on_the_trunk_where_the_hips_are_damped_or_jump():
    """A pose model's hips bob 0.7 of the truth and one ear jumps: the trunk's median bob is the true one."""
    fs = 100.0
    t = np.arange(200) / fs
    bob = 20.0 * np.sin(2 * np.pi * 2.5 * t)                        # 40 px peak to peak, 20 cm at 2 px/cm
    pts = _still_runner()
    for name, height, gain in (("left_hip", 210.0, 0.7), ("right_hip", 210.0, 0.7), ("left_shoulder", 410.0, 1.0),
                               ("right_shoulder", 410.0, 1.0), ("left_ear", 500.0, 1.0), ("right_ear", 500.0, 1.0)):
        pts[name] = np.stack([np.zeros_like(t), height + gain * bob], axis=1)
    pts["right_ear"][60, 1] += 30.0                                  # a single-frame jump of one point
    pts["mid_hip"] = 0.5 * (pts["left_hip"] + pts["right_hip"])
    np.testing.assert_allclose(metrics.trunk_height(pts), 210.0 + bob, atol=1e-9)
    contacts = pd.DataFrame({"side": ["right", "left", "right", "left"], "ic_idx": [10.0, 50.0, 90.0, 130.0],
                             "to_idx": [30.0, 70.0, 110.0, 150.0]})
    kw = dict(scale=frame.Scale(2.0, "height_cm"), overground=False, belt_speed_mps=None, flat_foot_offset_deg=0.0,
              max_step_s=1.0)
    trunk = metrics.compute_step_table(pts, t, contacts, trunk_bob=True, **kw)
    hips = metrics.compute_step_table(pts, t, contacts, **kw)
    assert trunk.vertical_oscillation_cm.iloc[:3].to_numpy() == pytest.approx([20.0] * 3, abs=0.05)
    assert hips.vertical_oscillation_cm.iloc[:3].to_numpy() == pytest.approx([14.0] * 3, abs=0.05)   # the definition
    del pts["left_ear"], pts["right_ear"]                            # a tool without the head: hips and shoulders
    assert metrics.trunk_height(pts) == pytest.approx(210.0 + 0.85 * bob)


# -- summary -------------------------------------------------------------------------------------


def test_summary_statistics_balance_and_symmetry():
    assert summary.describe(pd.Series([1.0, 2.0, 6.0, np.nan])) == {
        "median": 2.0, "mean": 3.0, "sd": pytest.approx(math.sqrt(7.0)), "n": 3}
    assert summary.describe(np.array([np.nan]))["n"] == 0
    assert summary.symmetry_pct(110.0, 90.0) == pytest.approx(20.0)
    rows = pd.DataFrame({"side": ["left", "right", "left", "right"], "ground_contact_ms": [240.0, 260.0, 240.0, 260.0],
                         "foot_strike": ["forefoot", "midfoot", "forefoot", None]})
    out = summary.summarize(rows, columns=("ground_contact_ms",))
    assert out["gct_balance_pct"] == pytest.approx(48.0)
    assert out["foot_strike"] == {"rearfoot": 0, "midfoot": 1, "forefoot": 2, "majority": "forefoot"}
    assert out["symmetry_pct"]["ground_contact_ms"] == pytest.approx(-8.0)


# -- pose repair ---------------------------------------------------------------------------------


def _walking_pose(n: int = 120) -> np.ndarray:
    """A pose whose legs swing in antiphase (30 Hz): left and right ankles clearly apart most of the time."""
    t = np.arange(n) / 30.0
    xy = np.zeros((n, len(LANDMARK_NAMES), 2))
    xy[:, :, 0] = 500.0
    xy[:, :, 1] = 300.0
    idx = {name: i for i, name in enumerate(LANDMARK_NAMES)}
    for side, phase in (("left", 0.0), ("right", np.pi)):
        swing = 60.0 * np.sin(2 * np.pi * 1.4 * t + phase)
        for part, height in (("hip", 300.0), ("knee", 400.0), ("ankle", 500.0), ("heel", 510.0),
                             ("foot_index", 510.0)):
            xy[:, idx[f"{side}_{part}"], 0] = 500.0 + swing * (height - 300.0) / 200.0
            xy[:, idx[f"{side}_{part}"], 1] = height
    for side in ("left", "right"):
        xy[:, idx[f"{side}_shoulder"], 1] = 100.0
    return xy


def test_leg_swaps_are_undone_and_spikes_removed():
    xy = _walking_pose()
    swapped = xy.copy()
    bad = np.zeros(len(xy), bool)
    bad[[20, 21, 50]] = True
    swapped[bad] = repair._swap_legs(xy[bad])
    fixed, _, mask = repair.repair_leg_swaps(swapped, np.ones(xy.shape[:2]))
    np.testing.assert_allclose(fixed, xy)
    assert mask.sum() == 3
    spiky = xy.copy()
    ankle = LANDMARK_NAMES.index("left_ankle")
    spiky[40, ankle, 1] += 150.0                                  # one frame, 0.75 torso lengths off
    cleaned, n = repair.reject_outliers(spiky, np.arange(len(xy)) / 30.0)
    assert n >= 1 and np.isnan(cleaned[40, ankle, 1]) and np.isfinite(cleaned[41, ankle, 1])


def test_another_person_is_cut_out():
    xy = _walking_pose(90)
    t = np.arange(90) / 30.0
    xy[60:70] = 0.5 * xy[60:70] + np.array([900.0, 0.0])        # the tracker jumps to someone smaller, far away
    kept, report = repair.keep_one_person(xy, t)
    assert report.jumps >= 1 and np.isnan(kept[60:70]).all() and np.isfinite(kept[:60]).all()


def test_overlapping_contacts_with_a_runs_rhythm_are_analysed_with_a_warning():
    from engine.errors import NotRunningError
    from engine.gait.pipeline import _check_running

    fs = 30.0
    ic = np.arange(12) * 10.6                       # 170 steps/min at 30 fps
    run = pd.DataFrame({"side": ["left", "right"] * 6, "ic_idx": ic, "to_idx": ic + 11.6})   # 1 frame overlap
    warning = _check_running(run, np.arange(140) / fs, fs, stride_hz=170.0 / 120.0)
    assert warning is not None and "a run's rhythm" in warning
    ic = np.arange(12) * 16.0                       # 112 steps/min, 130 ms of double support: a walk
    walk = pd.DataFrame({"side": ["left", "right"] * 6, "ic_idx": ic, "to_idx": ic + 20.0})
    with pytest.raises(NotRunningError, match="walking"):
        _check_running(walk, np.arange(200) / fs, fs, stride_hz=112.0 / 120.0)


def test_frames_the_whole_frame_missed_are_filled_from_the_crop_only_with_a_body_inside_the_picture(monkeypatch):
    from engine.pose import extract
    from engine.pose.blazepose import PoseSettings
    from engine.pose.video import VideoInfo

    n, info = 6, VideoInfo(width=640, height=360, fps=30.0, duration_s=0.2, frame_count=6, rotation_deg=0, codec="h264")
    t = np.arange(n) / 30.0
    xy = np.full((n, 33, 2), 100.0)
    xy[[0, 1, 2]] = np.nan                                            # the whole frame missed the first three
    raw = extract.RawPose(info=info, time_s=t, xy=xy, visibility=np.ones((n, 33)), world=np.zeros((n, 33, 3)),
                          soles=np.zeros((n, 2, 2)), heads=np.zeros((n, extract.CANDIDATES, 2)))
    crop_xy = np.full((n, 33, 2), 200.0)
    crop_xy[1, 5] = (-30.0, 200.0)                                    # frame 1: the body is cut by the left edge
    crop_xy[2] = np.nan                                               # frame 2: the crop found nobody either
    asked = {}

    def crop_pass(path, info, settings, only=None):
        asked["only"] = only.copy()
        return (t, crop_xy, np.full((n, 33), 0.9), np.ones((n, 33, 3)), np.zeros((n, 2)), np.ones((n, 2, 2)),
                np.ones((n, extract.CANDIDATES, 2)))

    monkeypatch.setattr(extract, "run_with_motion_roi", crop_pass)
    extract._retry_missed_in_motion_roi("clip.mp4", raw, PoseSettings())
    assert list(asked["only"]) == [True, True, True, False, False, False]
    np.testing.assert_array_equal(raw.xy[0], 200.0)                  # filled from the crop
    assert np.isnan(raw.xy[1]).all() and np.isnan(raw.xy[2]).all()   # cut by the edge, or not found: still missing
    np.testing.assert_array_equal(raw.xy[3:], 100.0)                 # the whole frame's poses are kept
    assert raw.soles[0].sum() == 4.0 and raw.soles[3].sum() == 0.0
    assert raw.heads[0].sum() == 2.0 * extract.CANDIDATES and raw.heads[3].sum() == 0.0
