"""Real phone and lab clips from ../shared/realdata/video (an optional tier: skipped where absent).

Reference numbers were counted independently of the engine: the treadmill clip shows 33 hip bobs
(and 33 crossings of the two ankles) in 11.4 s, i.e. 168.4 steps/min.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import NotRunningError
from engine.sources import analyze

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "realdata" / "video"

pytestmark = [pytest.mark.realdata, pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.skipif(not REAL.is_dir(), reason="../shared/realdata is not present")]

HAND_COUNT_SPM = 168.4


def test_treadmill_clip_cadence_matches_the_hand_count():
    res = analyze(REAL / "gaitlab_male_side_treadmill.mp4", kind="video")
    cadence = res.summary["cadence_spm"]
    assert cadence["median"] == pytest.approx(HAND_COUNT_SPM, abs=2.0)
    assert cadence["sd"] < 8.0                                          # steady, no half-rate steps
    assert 150 <= res.summary["ground_contact_ms"]["median"] <= 350
    assert res.summary["cadence_spm"]["n"] >= 28                         # every step of 11 s


def test_walking_clip_is_not_running():
    with pytest.raises(NotRunningError, match="walking, not running"):
        analyze(REAL / "sports2d_demo4_walking_wall.mp4", kind="video")


def test_two_person_clip_gives_a_result_or_a_clear_message():
    out = subprocess.run([sys.executable, "-m", "engine.cli", "analyze",
                          str(REAL / "sports2d_demo_walking_plus_parkour.mp4"), "--no-progress", "--json", "-"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode in (0, 2), out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    if out.returncode == 2:
        reason = [ln for ln in out.stderr.splitlines() if ln.startswith("leanline: ")]
        assert len(reason) == 1 and len(reason[0]) > 30


def test_short_field_clip_is_analysed_with_a_warning():
    """A 1.6 s pass across a fixed camera on grass: three contacts (labelled at 0.17, 0.47 and 0.80 s)."""
    res = analyze(REAL / "sports2d_demo3_running_field.mp4", kind="video")
    assert res.summary["overground"] is True
    assert "few_contacts" in res.to_dict()["warning_codes"]
    assert 3 <= len(res.rows) <= 4
    assert 160 <= res.summary["cadence_spm"]["median"] <= 200            # the labels' steps: 200 and 180 spm
    import pandas as pd

    d = _scored(res, pd.read_csv(REAL / "sports2d_demo3_running_field.contacts.csv"))
    assert len(d) == 3 and d["ic_ms"].abs().median() <= 40.0             # the landings are not timed early


def _scored(res, labels):
    """Each labelled contact paired with the engine's nearest contact of the same foot (within 150 ms)."""
    import numpy as np
    import pandas as pd

    est, out = res.rows, []
    for _, lab in labels.dropna(subset=["ic_s"]).iterrows():
        mine = est[est["side"] == lab["side"]]
        if mine.empty:
            continue
        j = (mine["ic_s"] - lab["ic_s"]).abs().idxmin()
        if abs(est.at[j, "ic_s"] - lab["ic_s"]) > 0.15:
            continue
        out.append({"ic_ms": (est.at[j, "ic_s"] - lab["ic_s"]) * 1000,
                    "to_ms": (est.at[j, "to_s"] - lab["to_s"]) * 1000 if pd.notna(lab["to_s"]) else np.nan,
                    "gct_ms": (est.at[j, "to_s"] - est.at[j, "ic_s"]) * 1000,
                    "gct_label_ms": (lab["to_s"] - lab["ic_s"]) * 1000 if pd.notna(lab["to_s"]) else np.nan,
                    "strike_ok": est.at[j, "foot_strike"] == lab["strike"]})
    return pd.DataFrame(out)


def test_treadmill_clip_against_the_hand_labels():
    """Every contact labelled frame by frame by a person (LABELS.md): IC, TO, contact time and strike."""
    import pandas as pd

    res = analyze(REAL / "gaitlab_male_side_treadmill.mp4", kind="video")
    labels = pd.read_csv(REAL / "gaitlab_male_side_treadmill.contacts.csv")
    d = _scored(res, labels)
    frame_ms = 1000.0 / res.source["fps"]
    within = float((d["ic_ms"].abs() <= frame_ms + 1e-6).mean())
    gct_err = d["gct_ms"].median() / d["gct_label_ms"].median() - 1.0
    print(f"hand labels: {len(d)} of {labels['ic_s'].notna().sum()} contacts; IC {d['ic_ms'].median():+.1f} ms "
          f"(median |IC| {d['ic_ms'].abs().median():.1f} ms, {within:.0%} within a frame), TO "
          f"{d['to_ms'].median():+.1f} ms, contact {d['gct_ms'].median():.0f} vs {d['gct_label_ms'].median():.0f} ms, "
          f"strike {d['strike_ok'].mean():.0%}")
    assert len(d) >= 0.9 * labels["ic_s"].notna().sum()
    assert d["ic_ms"].abs().median() <= 15.0 and within >= 0.9
    assert abs(gct_err) <= 0.10
    assert d["strike_ok"].mean() >= 0.9
    assert res.summary["cadence_spm"]["median"] == pytest.approx(168.8, abs=3.0)
