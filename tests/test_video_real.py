"""Real phone and lab clips from ../shared/realdata/video (an optional tier: skipped where absent).

Reference numbers were counted independently of the engine: the treadmill clip shows 33 hip bobs
(and 33 crossings of the two ankles) in 11.4 s, i.e. 168.4 steps/min.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import LeanlineError, NotRunningError
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


def test_short_field_clip_says_why():
    with pytest.raises(LeanlineError, match="contacts"):
        analyze(REAL / "sports2d_demo3_running_field.mp4", kind="video")
