"""The engine against the synthetic runner's exact truth, across its parameter space."""

import itertools

import pytest

from engine.gait.pipeline import analyze_track
from engine.synth.runner import STYLES, RunnerParams, simulate

ANGLES = ["lean_deg", "alignment_deg", "trunk_lean_deg", "shin_angle_deg", "knee_flexion_ic_deg",
          "foot_strike_angle_deg", "fall_angle_deg"]
# Target 1 deg clean / 3 deg noisy for every angle. Events are timed on the sole's edges found from the
# foot's rolls (the heel landmark sits inside the shoe and keeps sinking as it rolls), and landmarks
# are read at event times by a cubic through four frames.
CLEAN_BOUND_DEG = {c: 1.0 for c in ANGLES}
# The shin and knee at a heel strike turn fastest at IC: with 1 % landmark noise a heel striker's median
# errors over seeds 1-6 are 1.7-3.8 deg (knee) and 1.6-3.6 deg (shin), so they are held at 4 deg.
NOISY_BOUND_DEG = {c: 4.0 if c in ("shin_angle_deg", "knee_flexion_ic_deg") else 3.0 for c in ANGLES}

CASES = [
    (style, fps, treadmill, direction)
    for style, fps, (treadmill, direction) in itertools.product(
        STYLES, (60, 120, 240), ((True, "left_to_right"), (False, "right_to_left"), (True, "right_to_left"))
    )
]


def _errors(run, result, match):
    pairs, missed, extra = match(result.rows, run.truth, max_dt_s=0.05, edge_s=0.2, t_end=run.params.duration_s)
    t_idx = [i for i, _ in pairs]
    e_idx = [j for _, j in pairs]
    truth = run.truth.loc[t_idx].reset_index(drop=True)
    est = result.rows.loc[e_idx].reset_index(drop=True)
    num = [c for c in truth.columns if c not in ("side", "foot_strike")]
    err = est[num] - truth[num]
    return err, est, truth, missed, extra


@pytest.mark.parametrize("style,fps,treadmill,direction", CASES)
def test_clean_tracks_recover_the_truth(style, fps, treadmill, direction, match):
    params = RunnerParams(**STYLES[style], fps=fps, treadmill=treadmill, direction=direction,
                          duration_s=7.0, first_contact_s=0.113 + 0.007 * fps / 60)
    run = simulate(params)
    result = analyze_track(run.track, height_cm=params.height_cm,
                           treadmill_speed_kmh=params.speed_mps * 3.6 if treadmill else None)
    err, est, truth, missed, extra = _errors(run, result, match)

    assert not missed, f"contacts not found at {run.truth.loc[missed, 'ic_s'].round(3).tolist()}"
    assert not extra, f"invented contacts at {result.rows.loc[extra, 'ic_s'].round(3).tolist()}"
    assert result.direction == direction
    assert result.summary["overground"] is (not treadmill)

    frame_60 = 1.0 / 60.0
    assert (err["ic_s"].abs() <= frame_60).mean() >= 0.95
    assert (err["to_s"].abs() <= frame_60).mean() >= 0.95
    med_cad = result.summary["cadence_spm"]["median"]
    assert abs(med_cad - params.cadence_spm) <= 0.01 * params.cadence_spm
    assert (est["foot_strike"] == truth["foot_strike"]).mean() >= 0.95
    for col in ANGLES:
        assert err[col].abs().median() <= CLEAN_BOUND_DEG[col], f"{col}: median error {err[col].abs().median():.2f} deg"
    assert err["vertical_oscillation_cm"].abs().median() <= 0.5
    assert err["overstride_cm"].abs().median() <= 2.0
    assert err["step_length_cm"].abs().median() <= 2.0
    assert err["ground_contact_ms"].abs().median() <= 16.7


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("seed", [1, 2])
def test_noisy_tracks_keep_angles_within_three_degrees(style, seed, match):
    """Gaussian landmark noise with an SD of 1 % of leg length (a steady phone clip's BlazePose jitter)."""
    params = RunnerParams(**STYLES[style], fps=60, duration_s=10.0, noise_frac=0.01, seed=seed)
    run = simulate(params)
    result = analyze_track(run.track, height_cm=params.height_cm, treadmill_speed_kmh=params.speed_mps * 3.6)
    err, est, truth, missed, extra = _errors(run, result, match)
    assert not missed and not extra
    for col in ANGLES:
        assert err[col].abs().median() <= NOISY_BOUND_DEG[col], f"{col}: median error {err[col].abs().median():.2f} deg"
    # events are timed by the feet's fore-aft extremes plus each foot's typical lag, so landmark jitter
    # no longer makes step times alternate; a -4 deg strike lies 2.4 deg from the forefoot cut.
    assert result.extra["retimed_events"] >= len(result.rows)
    assert abs(result.summary["cadence_spm"]["median"] - params.cadence_spm) <= 0.01 * params.cadence_spm
    # the typical lag from a foot's fore-aft extreme to its events is timed on the average height curve
    # of its contacts, which keeps contact times free of the noisy hinge's bias (was +16 to +36 ms)
    assert abs(err["ground_contact_ms"].median()) <= 20.0
    # per-contact strike angles scatter by ~2 deg with this noise: classes are right for >= 95 % of
    # contacts unless the true angle lies within 2.5 deg of a cut-off (fast_forefoot: -4 deg, 2.4 deg
    # from the -1.6 deg forefoot cut, right for 68-90 % over four seeds)
    near_cut = min(abs(params.foot_strike_angle_deg - c) for c in (8.0, -1.6)) < 2.5
    assert (est["foot_strike"] == truth["foot_strike"]).mean() >= (0.6 if near_cut else 0.95)


def test_thirty_fps_phone_clip_rate(match):
    """At 30 fps a step is 10-11 frames; events still land within a frame and cadence within 1 %."""
    params = RunnerParams(**STYLES["midfoot"], fps=30, duration_s=10.0)
    run = simulate(params)
    result = analyze_track(run.track, height_cm=params.height_cm, treadmill_speed_kmh=params.speed_mps * 3.6)
    err, est, truth, missed, extra = _errors(run, result, match)
    assert not missed and not extra
    assert (err["ic_s"].abs() <= 1 / 30).mean() >= 0.95
    assert abs(result.summary["cadence_spm"]["median"] - params.cadence_spm) <= 0.01 * params.cadence_spm
    assert (est["foot_strike"] == truth["foot_strike"]).mean() >= 0.95


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("fps", [60, 240])
@pytest.mark.parametrize("foot_landmarks", ["sole", "markers"])
def test_heel_and_toe_points_anywhere_on_the_shoe(style, fps, foot_landmarks, match):
    """Heel and foot_index on the sole's edges (an ideal tracker) or where motion-capture markers sit
    on a shoe (3.5 cm up the heel counter, on the toe box 3 cm behind the tip): the sole's edges found
    from the rolls time the contacts the same way."""
    params = RunnerParams(**STYLES[style], fps=fps, duration_s=7.0, foot_landmarks=foot_landmarks)
    run = simulate(params)
    result = analyze_track(run.track, height_cm=params.height_cm, treadmill_speed_kmh=params.speed_mps * 3.6)
    err, est, truth, missed, extra = _errors(run, result, match)
    assert not missed and not extra
    assert result.extra["sole_edges"] is not None
    assert (err["ic_s"].abs() <= 1 / 60).mean() >= 0.95
    assert (err["to_s"].abs() <= 1 / 60).mean() >= 0.95
    assert abs(result.summary["cadence_spm"]["median"] - params.cadence_spm) <= 0.01 * params.cadence_spm
    assert (est["foot_strike"] == truth["foot_strike"]).mean() >= 0.95
    for col in ANGLES:
        assert err[col].abs().median() <= CLEAN_BOUND_DEG[col], f"{col}: median error {err[col].abs().median():.2f} deg"
    assert err["overstride_cm"].abs().median() <= 2.0


@pytest.mark.parametrize("noise_frac", [0.0005, 0.002])
def test_motion_capture_like_treadmill_run(noise_frac, match):
    """A rearfoot treadmill runner with markers on the shoes, sampled at 240 Hz with millimetre noise,
    as a motion-capture lab records one over force plates: median contact time within 20 ms, cadence
    within 1 step/min, every contact rearfoot."""
    params = RunnerParams(**STYLES["heel_striker"], fps=240, duration_s=20.0, foot_landmarks="markers",
                          noise_frac=noise_frac, seed=7)
    run = simulate(params)
    result = analyze_track(run.track, height_cm=params.height_cm)
    err, est, truth, missed, extra = _errors(run, result, match)
    assert not missed and not extra
    assert abs(err["ground_contact_ms"].median()) <= 20.0
    assert abs(result.summary["cadence_spm"]["median"] - params.cadence_spm) <= 1.0
    assert (est["foot_strike"] == "rearfoot").all()


@pytest.mark.parametrize("roll_deg", [-4.0, 0.0, 3.0])
def test_a_tilted_camera_is_levelled_on_the_ground_line(roll_deg, match):
    """A phone that is not level turns every angle by its tilt (by 3-8 deg at a 3-5 deg roll, and the
    overstride by up to 13 cm when measured off the image's axes). A runner crossing the frame shows
    the ground line; the picture is levelled on it and the angles come out as on a level camera."""
    params = RunnerParams(**STYLES["pose_forefoot"], fps=60, treadmill=False, direction="right_to_left",
                          duration_s=5.0, camera_roll_deg=roll_deg, image_width=1920, image_height=1080)
    run = simulate(params)
    result = analyze_track(run.track, height_cm=params.height_cm)
    err, est, truth, missed, extra = _errors(run, result, match)
    assert not missed and not extra
    assert result.extra["ground_tilt_deg"] == pytest.approx(roll_deg, abs=0.05)
    assert any("not level" in w for w in result.warnings) is (abs(roll_deg) >= 1.0)
    for col in ANGLES:
        assert err[col].abs().median() <= CLEAN_BOUND_DEG[col], f"{col}: median error {err[col].abs().median():.2f} deg"
    assert err["overstride_cm"].abs().median() <= 2.0
    assert (err["ic_s"].abs() <= 1 / 60).mean() >= 0.95
