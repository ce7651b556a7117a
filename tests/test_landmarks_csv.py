import numpy as np
import pandas as pd
import pytest

from engine.errors import BadInputError
from engine.model import REQUIRED_LANDMARKS
from engine.sources.landmarks_csv import read_landmark_csv, track_to_frame, write_landmark_csv
from engine.synth.runner import simulate


def test_round_trip_keeps_values_and_header(tmp_path):
    run = simulate(duration_s=2, include_height=True)
    path = write_landmark_csv(run.track, tmp_path / "t.csv", float_format="%.4f")
    back = read_landmark_csv(path)
    assert back.names == run.track.names
    assert back.fps == 60.0 and back.image_width == 1280 and back.image_height == 720
    assert back.meta["height_cm"] == 175.0
    np.testing.assert_allclose(back.xy, run.track.xy, atol=1e-4)
    np.testing.assert_allclose(back.time_s, run.track.time_s, atol=1e-4)


def test_missing_landmarks_are_all_named_at_once(tmp_path):
    df = track_to_frame(simulate(duration_s=1).track)
    df = df.drop(columns=["left_heel_x", "left_heel_y", "right_foot_index_y", "time_s"])
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    with pytest.raises(BadInputError) as err:
        read_landmark_csv(path)
    msg = str(err.value)
    assert "left_heel" in msg and "right_foot_index" in msg and "'time_s'" in msg
    assert "found" in msg    # says what was there too


def test_time_going_backwards_and_text_cells_are_reported_together(tmp_path):
    df = track_to_frame(simulate(duration_s=1).track)
    df.loc[10, "time_s"] = df.loc[5, "time_s"]
    df["left_knee_x"] = df["left_knee_x"].astype(object)
    df.loc[3, "left_knee_x"] = "oops"
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    with pytest.raises(BadInputError) as err:
        read_landmark_csv(path)
    msg = str(err.value)
    assert "left_knee_x" in msg and "not strictly increasing" in msg


def test_empty_cells_become_missing_samples(tmp_path):
    df = track_to_frame(simulate(duration_s=1).track)
    df.loc[20:22, "right_ankle_x"] = np.nan
    path = tmp_path / "gaps.csv"
    df.to_csv(path, index=False)
    track = read_landmark_csv(path)
    col = track.point("right_ankle")[:, 0]
    assert np.isnan(col[20:23]).all() and np.isfinite(col[:20]).all()


def test_empty_file_and_wrong_table(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(BadInputError, match="empty"):
        read_landmark_csv(empty)
    other = tmp_path / "imu.csv"
    other.write_text("time,ax,ay,az\n0,0,0,1\n0.01,0,0,1\n")
    with pytest.raises(BadInputError) as err:
        read_landmark_csv(other)
    assert all(name in str(err.value) for name in REQUIRED_LANDMARKS)


def test_csv_round_trip_analyses_like_the_track(tmp_path):
    """Columns read from a CSV come back in Fortran order; smoothing and gap bridging must still act."""
    from engine.gait.pipeline import analyze_track
    from engine.synth.runner import simulate

    run = simulate(noise_frac=0.01, gaps=((2.0, 0.05),), duration_s=6.0, seed=3)
    back = read_landmark_csv(write_landmark_csv(run.track, tmp_path / "noisy.csv", float_format="%.4f"))
    a, b = analyze_track(run.track, height_cm=175), analyze_track(back, height_cm=175)
    assert len(a.rows) == len(b.rows)
    assert abs(a.extra["noise_px"] - b.extra["noise_px"]) < 0.01 * a.extra["noise_px"]
    np.testing.assert_allclose(a.rows.ic_s, b.rows.ic_s, atol=2e-3)


@pytest.mark.parametrize("header", [True, False])
def test_times_in_milliseconds_are_refused_not_analysed(tmp_path, header):
    """A track whose time_s is in ms gave 'cadence 0 spm, ground contact 189833 ms' and was stored."""
    run = simulate(duration_s=6, include_height=True)
    path = write_landmark_csv(run.track, tmp_path / "t.csv")
    lines = path.read_text().splitlines()
    if not header:
        lines = [ln for ln in lines if not ln.startswith("# fps")]
    body = pd.read_csv(pd.io.common.StringIO("\n".join(ln for ln in lines if not ln.startswith("#"))))
    body["time_s"] *= 1000.0
    out = tmp_path / "ms.csv"
    out.write_text("\n".join(ln for ln in lines if ln.startswith("#")) + "\n" + body.to_csv(index=False))
    with pytest.raises(BadInputError, match="milliseconds"):
        read_landmark_csv(out)


def test_coordinates_that_are_not_pixels_are_refused(tmp_path):
    df = track_to_frame(simulate(duration_s=2).track)
    df.loc[5, "left_knee_x"] = 1e308
    path = tmp_path / "huge.csv"
    df.to_csv(path, index=False)
    with pytest.raises(BadInputError, match="coordinates reach 1e\\+308.*in pixels"):
        read_landmark_csv(path)
