"""Landmark track -> every ground contact -> per-step metrics and session summary."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from engine.errors import BadInputError, NotRunningError, TooFewContactsError
from engine.gait.events import (
    ContactDetector,
    SoleEdges,
    fill_from_anchors,
    foot_point,
    merge_split_contacts,
    sole_edges,
    steady_event_timing,
    stride_anchored_contacts,
    stride_frequency_hz,
)
from engine.gait.frame import (
    Orientation,
    Scale,
    detect_orientation,
    ground_tilt_deg,
    leg_length_px,
    level_image,
    scale_from_height,
    to_runner_frame,
)
from engine.gait.metrics import compute_step_table, flat_foot_offset_deg
from engine.gait.signal import bridge_gaps, effective_cutoff_hz, interp_at, lowpass, noise_sd
from engine.gait.stops import foot_stop_ics
from engine.gait.summary import summarize
from engine.gait.uncertainty import add_uncertainty
from engine.model import HEAD_POINTS, REQUIRED_LANDMARKS, SIDES, SOLE_POINTS, AnalysisResult, LandmarkTrack
from engine.notices import Notice, code_of
from engine.provenance import engine_info

MIN_CONTACTS = 3
#: Fewer contacts than this are analysed with a warning: a summary of so few steps is rough.
FEW_CONTACTS = 6
#: Below this many steps a minute the feet's alternation is a walk (the same bound as for IMU data).
MIN_RUNNING_SPM = 135.0
#: Flat-foot heel->toe inclinations outside this range mean the heel never came down (or a bad track).
FLAT_OFFSET_RANGE_DEG = (-16.0, 8.0)
#: Used when the flat-foot offset cannot be estimated: the middle of BlazePose's range on drawn figures.
DEFAULT_FLAT_OFFSET_DEG = -9.0
#: A background moving at least this many leg lengths a second means the camera followed the runner.
MIN_PAN_LEGS_PER_S = 0.4
#: A step rhythm at or above this is a run, even where the contacts' ends seem to overlap.
RUNNING_RHYTHM_SPM = 150.0
#: Overlaps of the two feet's contacts up to this long are timing uncertainty, not a walk's double support.
MAX_RUN_OVERLAP_S = 0.08
#: Contacts timed on the foot heights are completed by anchored ones (``fill_from_anchors``) only while at most
#: this share of either foot's contacts is filled in; beyond it that foot's heights are too noisy to time it,
#: and every contact is anchored.
MAX_FILLED_SHARE = 0.3
#: ... and an anchored contact confirms a timed one of the same foot only within this share of a stride of its
#: IC (the anchors' one lag is off by tens of milliseconds; a contact joined across a glitch starts far earlier).
MAX_ANCHOR_GAP_STRIDES = 0.15
#: ``event_method`` of each contact: how its IC and TO were timed (see the strategies below).
LANDMARK_HEIGHTS, SOLE_EDGES, FORE_AFT_EXTREMES = "landmark_heights", "sole_edges", "fore_aft_extremes"
SOLE_PIXELS = "sole_pixels"
#: A sole line measured in the pixels lies flat in mid-stance; one that leans more than this there is not the
#: sole (a shadow, the belt's edge), and strike angles are taken from the landmarks instead.
MAX_SOLE_FLAT_DEG = 2.0
#: The soles' and the landmarks' timings of one clip differ by a pose model's bias (10-40 ms on the synthetic
#: runner's looks); ICs further apart than this (median, and at least this many frames) mean the soles are
#: not what was measured (a real treadmill clip whose belt texture was taken for shoe: 79 ms).
MAX_SOLE_GAP_S, MAX_SOLE_GAP_FRAMES = 0.05, 1.5
#: Running contacts last 150-300 ms, a sprinter's 80-100 ms: landmark contacts shorter than this (median) are
#: the pose model's foot wobbling in stance, not the run, and no reference for the soles' timing.
MIN_CONTACT_S = 0.1


@dataclass(frozen=True)
class GaitSettings:
    """Settings of the landmark-to-metrics analysis; stored with every result.

    Parameters
    ----------
    cutoff_hz : float
        Zero-phase Butterworth low-pass cut-off for all landmarks (4th order after filtfilt), capped
        at 0.8 x Nyquist. 12 Hz keeps the foot's landing (most power below 10 Hz in running
        kinematics) while removing pose-estimation jitter; at 30 fps the cap makes it 12 Hz too.
    max_gap_ms : float
        Gaps in the landmarks up to this long are bridged by linear interpolation; longer ones split
        the track and contacts that straddle them are dropped.
    """

    cutoff_hz: float = 12.0
    max_gap_ms: float = 120.0
    detector: ContactDetector = field(default_factory=ContactDetector)

    def get_params(self) -> dict:
        return asdict(self)


def _uniform(track: LandmarkTrack) -> tuple[np.ndarray, np.ndarray, float]:
    """Sample times and (T, L, 2) xy on a uniform grid (variable frame rate is resampled)."""
    t = track.time_s
    dt = np.diff(t)
    med = float(np.median(dt))
    if np.max(np.abs(dt - med)) <= 0.25 * med:
        fs = track.fps or 1.0 / med
        return t, track.xy, fs
    grid = np.arange(t[0], t[-1] + 0.5 * med, med)
    idx = np.interp(grid, t, np.arange(t.size))
    # a grid point between two samples that are more than 2 intervals apart is a gap, not data
    gap = np.interp(grid, t[1:], dt, left=0, right=0) > 2.5 * med
    xy = interp_at(track.xy, idx)
    xy[gap] = np.nan
    return grid, xy, 1.0 / med


def _runner_points(xy_px: np.ndarray, names: list[str], sign: float) -> dict[str, np.ndarray]:
    """Runner-frame (T, 2) arrays for every landmark, plus ``mid_hip`` and ``mid_shoulder``."""
    rf = {n: to_runner_frame(xy_px[:, j, :], sign) for j, n in enumerate(names)}
    rf["mid_hip"] = 0.5 * (rf["left_hip"] + rf["right_hip"])
    rf["mid_shoulder"] = 0.5 * (rf["left_shoulder"] + rf["right_shoulder"])
    return rf


@dataclass
class PreparedTrack:
    """A track made ready for event timing: uniform samples, gaps bridged, smoothed, levelled, in the
    runner frame (x forward, y up, pixels)."""

    t: np.ndarray
    fs: float
    px: dict[str, np.ndarray]                 # smoothed image pixels, per landmark
    rf: dict[str, np.ndarray]                 # runner frame, smoothed
    rf_raw: dict[str, np.ndarray]             # runner frame, gaps bridged, unsmoothed
    leg_px: float
    orient: Orientation
    tilt_deg: float
    noise_px: float                           # the foot landmarks' jitter (raw)
    noise_smoothed_px: float                  # what the low-pass leaves of it
    ground_drift_px: float = 0.0              # how far the ground level wandered in the picture (taken off the feet)
    warnings: list[str] = field(default_factory=list)


#: The ground level is followed over this long a window (at least a stride of each foot at any running cadence).
DRIFT_WINDOW_S = 1.5
#: The share of a window's samples in which the lowest foot point is above the ground level taken.
GROUND_QUANTILE = 0.75
#: A ground level that wanders less than this (leg lengths) is taken as still: on the synthetic runner's flat
#: floors the estimate wanders by at most 0.7 % of a leg, on the labelled real treadmill clip by 7 %.
MIN_DRIFT_LEG = 0.03
#: The points whose heights above the ground time the contacts: the feet's, as landmarks and as soles.
_FOOT_POINTS = ("heel", "foot_index", "sole_rear", "sole_front")


def ground_drift_px(xy: np.ndarray, names: list[str], *, fs: float, leg_px: float) -> np.ndarray | None:
    """How far the ground level has moved down the picture at each sample (pixels, median zero), or None
    where it stays within ``MIN_DRIFT_LEG`` leg lengths.

    A runner drifting along or across a treadmill's belt moves the ground level in the picture (about 10 px
    from stride to stride and 20 px over 11 s on the labelled treadmill clip, 277 px a leg), and a curved
    ground line (a wide lens) moves it as the runner crosses the frame. One level per foot point then puts
    some strides' landings above the level and others below it, and their contacts start late or early.
    The ground here is the lowest foot point's image y at its ``GROUND_QUANTILE`` over ``DRIFT_WINDOW_S``
    (each window holds a stance of each foot), smoothed by a running median as long: one foot or the other
    stands for more than half of a run's samples, so that quantile lies among the stances and a single
    frame whose foot point jumps down does not move it (the window's lowest point did: 2-8 % of a leg of
    apparent drift on the synthetic runner's still, flat floors).
    """
    # NaN only where no foot point is seen
    lowest = pd.Series(np.fmax.reduce(xy[:, _foot_columns(names), 1], axis=1))
    w = max(3, int(round(DRIFT_WINDOW_S * fs)) | 1)
    if len(lowest) < 2 * w:
        return None
    level = lowest.rolling(w, center=True, min_periods=w // 2).quantile(GROUND_QUANTILE)
    level = level.rolling(w, center=True, min_periods=w // 2).median().bfill().ffill().to_numpy()
    if not np.isfinite(level).all():
        return None
    drift = level - np.median(level)
    return drift if np.ptp(drift) >= MIN_DRIFT_LEG * leg_px else None


def _lift_feet(xy: np.ndarray, names: list[str], drift: np.ndarray) -> np.ndarray:
    """``xy`` with the feet's points moved up by the ground's drift: heights above a still ground."""
    out = xy.copy()
    out[:, _foot_columns(names), 1] -= drift[:, None]
    return out


def _foot_columns(names: list[str]) -> list[int]:
    """The track's columns of the ``_FOOT_POINTS`` it has, both feet."""
    return [names.index(f"{s}_{p}") for s in SIDES for p in _FOOT_POINTS if f"{s}_{p}" in names]


def ground_fixed(track: LandmarkTrack) -> tuple[LandmarkTrack, str | None]:
    """A track filmed by a camera that followed the runner, in the ground's coordinates.

    The background's position in each frame (``meta["camera_shift_px"]``, from the pose stage's optical
    flow) is taken off every landmark, so the runner travels across a still ground as seen from a fixed
    camera: overground running is recognised (not taken for a treadmill) and step length comes from
    ground-fixed ankle positions. A background that moved less than ``MIN_PAN_LEGS_PER_S`` leg lengths a
    second is a still camera, and the track is left as it is.
    """
    camera = track.meta.get("camera_shift_px")
    if camera is None or np.shape(camera) != (len(track), 2) or len(track) < 10:
        return track, None
    camera = np.asarray(camera, float)
    px = {n: track.point(n) for n in ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
                                      "right_ankle")}
    leg = leg_length_px(px)
    pan = float(np.polyfit(track.time_s, camera[:, 0], 1)[0]) if np.isfinite(camera).all() else 0.0
    if not (math.isfinite(leg) and leg > 0) or abs(pan) < MIN_PAN_LEGS_PER_S * leg:
        return track, None
    tilt = float(np.polyfit(track.time_s, camera[:, 1], 1)[0])
    if abs(tilt) < MIN_PAN_LEGS_PER_S * leg:
        camera = camera * np.array([1.0, 0.0])      # no tilt to follow: its small errors would add up as bob
    moved = replace(track, xy=track.xy - camera[:, None, :])
    return moved, (f"the camera followed the runner (the background moved {abs(pan):.0f} px/s): positions are "
                   "measured against the ground, as from a still camera")


def prepare_track(track: LandmarkTrack, settings: GaitSettings) -> PreparedTrack:
    """Uniform grid, gaps, low-pass, orientation, ground level and noise: everything event timing needs."""
    track, followed = ground_fixed(track)
    if len(track) < 10:
        raise BadInputError(f"the landmark track has only {len(track)} samples; at least a second of running is needed")
    t, xy_raw, fs = _uniform(track)
    if fs < 15:
        raise BadInputError(f"the landmarks are sampled at {fs:.1f} Hz; at least 15 Hz is needed to time ground "
                            "contacts")
    names = list(track.names)
    xy_b = bridge_gaps(xy_raw, t, max_gap_ms=settings.max_gap_ms)
    xy_s = lowpass(xy_b, sample_rate_hz=fs, cutoff_hz=settings.cutoff_hz)
    px = {n: xy_s[:, names.index(n), :] for n in names}
    required = [names.index(n) for n in REQUIRED_LANDMARKS]
    missing_share = float(np.mean(~np.isfinite(xy_raw[:, required]).any(axis=(1, 2))))
    if missing_share > 0.5:
        raise BadInputError(f"the runner's legs and trunk are missing in {missing_share:.0%} of the samples")
    leg_px = leg_length_px(px)
    if not math.isfinite(leg_px) or leg_px <= 0:
        raise BadInputError("hips, knees and ankles are never seen together; cannot size the runner")
    orient = detect_orientation(px, t, leg_px)
    warnings: list[str] = [Notice("camera_followed", followed)] if followed else []
    if orient.facing_agrees_with_travel is False:
        warnings.append(Notice("facing_against_travel",
                        "the runner's feet point against the direction of travel; direction taken from travel"))
    tilt = ground_tilt_deg(0.5 * (px["left_hip"] + px["right_hip"])) if orient.overground else float("nan")
    if math.isfinite(tilt):
        # the ground line: a runner crossing the frame shows it; a camera that is not level turns every
        # angle by its tilt, so the picture is levelled first and angles are taken from the ground's vertical
        body = xy_s[:, [j for j, n in enumerate(names) if n not in HEAD_POINTS]]     # the body's points turn it
        centre = (float(np.nanmean(body[..., 0])), float(np.nanmean(body[..., 1])))
        xy_b, xy_s = level_image(xy_b, tilt, centre), level_image(xy_s, tilt, centre)
        px = {n: xy_s[:, names.index(n), :] for n in names}
        if abs(tilt) >= 1.0:
            warnings.append(Notice("camera_tilt",
                            f"the ground runs {abs(tilt):.1f} deg off the image's horizontal (the camera is not "
                            "level); the picture was levelled, so angles are measured from the ground's vertical"))
    drift = ground_drift_px(xy_s, names, fs=fs, leg_px=leg_px)
    drift_px = float(np.ptp(drift)) if drift is not None else 0.0
    if drift is not None:
        xy_b, xy_s = (_lift_feet(a, names, drift) for a in (xy_b, xy_s))
        warnings.append(Notice("ground_drift",
                        f"the ground level moved by {drift_px:.0f} px in the picture (the runner drifted along "
                        "the belt, or the ground line is not straight): contacts are timed on the feet's heights "
                        "above the moving level"))
    # the noise of the points the contacts are timed on: the soles seen in the pixels where the track has them
    ends = ("sole_rear", "sole_front") if _has_pixel_soles(names) else ("heel", "foot_index")
    feet = [names.index(f"{s}_{p}") for s in SIDES for p in ends]
    noise = noise_sd(xy_b[:, feet, 1], xy_s[:, feet, 1], sample_rate_hz=fs, cutoff_hz=settings.cutoff_hz)
    # the smoothed signal keeps the share fc / nyquist of the noise's variance
    fc = effective_cutoff_hz(settings.cutoff_hz, fs) or 0.5 * fs
    return PreparedTrack(t=t, fs=fs, px=px, rf=_runner_points(xy_s, names, orient.sign),
                         rf_raw=_runner_points(xy_b, names, orient.sign), leg_px=leg_px, orient=orient,
                         tilt_deg=tilt, noise_px=noise, noise_smoothed_px=noise * math.sqrt(fc / (0.5 * fs)),
                         ground_drift_px=drift_px, warnings=warnings)


@dataclass
class TimedContacts:
    """The contacts (``side``, ``ic_idx``, ``to_idx``, ``event_method``) and what timing them showed."""

    contacts: pd.DataFrame
    info: dict
    heel_h: dict[str, np.ndarray]             # heights above ground of the back and front contact points
    toe_h: dict[str, np.ndarray]
    warnings: list[str] = field(default_factory=list)


def _detect(prep: PreparedTrack, settings: GaitSettings, edges: dict[str, SoleEdges] | None = None,
            rough: bool = False):
    smooth, raw = _sole_heights(prep.rf, edges), _sole_heights(prep.rf_raw, edges)
    found = settings.detector.detect(
        heel_y=smooth[0], toe_y=smooth[1], heel_y_raw=raw[0], toe_y_raw=raw[1], sample_rate_hz=prep.fs,
        leg_px=prep.leg_px, noise_px=prep.noise_smoothed_px, raw_noise_px=prep.noise_px, rough=rough)
    return found, smooth, raw


def height_contacts(prep: PreparedTrack, settings: GaitSettings) -> TimedContacts:
    """Strategy 1, the default: contacts where the foot's lowest point is at ground level, each event timed
    by a hinge fit between frames (:class:`ContactDetector`), on the sole's edges where the foot's rolls
    show them (:func:`sole_edges`), on the heel and toe landmarks otherwise.

    ++ exact on clean tracks (IC within a millisecond at 60-240 fps); -- pose jitter in the foot heights
    moves single events, and a half-hidden far foot can make contacts go missing (strategies 2 and 3).

    A video track that carries the soles seen in the pixels (:mod:`engine.pose.soles`) is timed on their
    heights instead (``sole_pixels``): they are the shoe's real bottom edge, steadier than the landmarks.
    """
    if _has_pixel_soles(prep.rf):
        (contacts, warnings, info), (heel_y, toe_y), raw = _detect(prep, settings)
        contacts["event_method"] = SOLE_PIXELS
        return _timed(contacts, warnings, info, heel_y, toe_y, raw)
    # a first look at the contacts on the heel and toe landmarks shows the rolls that locate the sole's
    # edges; the events are timed on the edges where found: the landmarks sit above and inside the shoe
    # and keep moving as it rolls after landing and before the toe leaves
    first, _, _ = _detect(prep, settings, rough=True)
    src = prep.rf_raw if first[2]["clean"] else prep.rf
    edges = {s: sole_edges(src[f"{s}_heel"], src[f"{s}_foot_index"], first[0][first[0]["side"] == s],
                           sample_rate_hz=prep.fs) for s in SIDES}
    found_edges = any(e.rear or e.front for e in edges.values())
    (contacts, warnings, info), (heel_y, toe_y), raw = _detect(prep, settings, edges if found_edges else None)
    # the edges lift off more gently than the landmarks: a contact at the very end of the track may
    # now run into it, so only contacts a second or more inside the track are compared
    if found_edges and _inner(contacts, prep) < _inner(first[0], prep):
        (contacts, warnings, info), (heel_y, toe_y), raw = _detect(prep, settings)
        found_edges = False
    on_edges = {s: bool(found_edges and (edges[s].rear or edges[s].front)) for s in SIDES}
    if found_edges:
        info["sole_edges"] = {s: {"rear": e.rear, "front": e.front} for s, e in edges.items()}
    contacts["event_method"] = [SOLE_EDGES if on_edges[s] else LANDMARK_HEIGHTS for s in contacts["side"]]
    return _timed(contacts, warnings, info, heel_y, toe_y, raw)


def _has_pixel_soles(names) -> bool:
    """Whether a track's point names (or a dict of its points) include the soles seen in the pixels."""
    return set(SOLE_POINTS) <= set(names)


def _timed(contacts, warnings, info, heel_y, toe_y, raw) -> TimedContacts:
    """The detector's output as :class:`TimedContacts`, heights taken above each point's ground level."""
    levels = info["levels_px"]
    info["raw_heights"] = ({s: raw[0][s] - levels[s]["heel"] for s in SIDES},
                           {s: raw[1][s] - levels[s]["foot_index"] for s in SIDES})
    return TimedContacts(contacts=contacts, info=info, warnings=warnings,
                         heel_h={s: heel_y[s] - levels[s]["heel"] for s in SIDES},
                         toe_h={s: toe_y[s] - levels[s]["foot_index"] for s in SIDES})


def _inner(contacts: pd.DataFrame, prep: PreparedTrack) -> int:
    return int(np.sum((contacts["ic_idx"] > prep.fs) & (contacts["ic_idx"] < prep.t.size - prep.fs)))


def _fore_aft(prep: PreparedTrack) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The feet's forward positions relative to the hips: their extremes anchor contacts on noisy tracks."""
    rf = prep.rf
    return ({s: rf[f"{s}_heel"][:, 0] - rf["mid_hip"][:, 0] for s in SIDES},
            {s: rf[f"{s}_foot_index"][:, 0] - rf["mid_hip"][:, 0] for s in SIDES})


def anchored_contacts(prep: PreparedTrack, timed: TimedContacts, stride_hz: float) -> pd.DataFrame:
    """Strategy 2: contacts anchored on the feet's forward-backward extremes (Zeni et al. 2008) plus each foot's
    lag to the events (:func:`stride_anchored_contacts`).

    ++ finds every contact where the foot heights are too noisy or a foot is half hidden; -- contact and
    flight times are approximate (one lag per foot for the session).
    """
    heel_fwd, toe_fwd = _fore_aft(prep)
    out = stride_anchored_contacts(
        heel_fwd=heel_fwd, toe_fwd=toe_fwd, toe_height=timed.toe_h,
        low_height={s: np.fmin(timed.heel_h[s], timed.toe_h[s]) for s in SIDES},
        sample_rate_hz=prep.fs, stride_s=1.0 / stride_hz, leg_px=prep.leg_px, tol_px=timed.info["contact_tol_px"])
    out["event_method"] = FORE_AFT_EXTREMES
    return out


def steady_contacts(prep: PreparedTrack, timed: TimedContacts, stride_hz: float,
                    placed: np.ndarray | None = None) -> tuple[pd.DataFrame, int]:
    """Strategy 3, on jittery tracks: each event timed by its foot's fore-aft extreme plus that foot's typical
    lag (:func:`steady_event_timing`).

    ++ pose jitter no longer makes step times alternate; -- a real step-to-step change in the lag is
    averaged away.
    """
    heel_fwd, toe_fwd = _fore_aft(prep)
    raw_rear, raw_front = timed.info["raw_heights"]
    return steady_event_timing(
        timed.contacts, heel_fwd=heel_fwd, toe_fwd=toe_fwd, sample_rate_hz=prep.fs, stride_s=1.0 / stride_hz,
        leg_px=prep.leg_px, heel_height=raw_rear, toe_height=raw_front, tol_px=timed.info["contact_tol_px"],
        placed=placed)


def _repeats(contacts: pd.DataFrame) -> int:
    """How many contacts follow one of the same foot: in running the feet take turns."""
    sides = contacts.sort_values("ic_idx")["side"].to_numpy()
    return int(np.sum(sides[1:] == sides[:-1]))


def _fill_from_anchors(prep: PreparedTrack, timed: TimedContacts, anchored: pd.DataFrame, stride_hz: float,
                       seen_t: np.ndarray, broken: bool) -> bool:
    """Strategy 2a, where the feet do not take turns or the contacts are not the run the feet show: the
    contacts timed on the heights, checked and completed by the anchored ones (:func:`fill_from_anchors`),
    then timed steadily (strategy 3). Taken where the result is a run with fewer feet out of turn, and at
    most ``MAX_FILLED_SHARE`` of either foot's contacts placed by the anchors. Updates ``timed``; False where
    not taken.
    """
    fs = prep.fs
    patched, filled = fill_from_anchors(timed.contacts, anchored,
                                        max_gap_samples=MAX_ANCHOR_GAP_STRIDES * fs / stride_hz)
    placed = (patched["event_method"] == FORE_AFT_EXTREMES).to_numpy()
    most_placed = float(pd.Series(placed).groupby(patched["side"].to_numpy()).mean().max()) if len(patched) else 1.0
    better = (_repeats(patched) < _repeats(timed.contacts)
              or broken and len(patched) >= len(timed.contacts))
    if (not better or most_placed > MAX_FILLED_SHARE or len(patched) < MIN_CONTACTS
            or _implausible(patched, seen_t, fs, stride_hz)):
        return False
    timed.warnings = [w for w in timed.warnings if code_of(w) != "contact_dropped"]
    if filled:
        timed.warnings.insert(0, Notice("contacts_filled",
            f"{filled} of {len(patched)} contacts could not be timed on the foot heights (a foot hidden, or taken "
            "for the other one, for a moment): they are placed by the feet's forward-backward motion"))
    timed.info["filled_from_anchors"] = filled
    timed.contacts = patched
    if not timed.info["clean"]:
        timed.contacts, timed.info["retimed_events"] = steady_contacts(prep, timed, stride_hz, placed)
    return True


def _feet_seen(prep: PreparedTrack) -> np.ndarray:
    """The sample times from the first to the last at which both ankles are seen: a runner who enters or
    leaves the picture (overground) shows contacts only there, and the feet's alternation counts steps only
    there."""
    seen = np.flatnonzero(np.isfinite(prep.rf_raw["left_ankle"][:, 0]) & np.isfinite(prep.rf_raw["right_ankle"][:, 0]))
    return prep.t[seen[0]:seen[-1] + 1] if seen.size >= 2 else prep.t


def time_contacts(prep: PreparedTrack, settings: GaitSettings) -> TimedContacts:
    """Every ground contact, by the strategy the track's quality calls for; raises for a walk or too few."""
    timed = height_contacts(prep, settings)
    t, fs = prep.t, prep.fs
    stride_hz = stride_frequency_hz(prep.rf["left_ankle"][:, 0], prep.rf["right_ankle"][:, 0], fs)
    if np.isfinite(stride_hz) and len(timed.contacts):
        methods = dict(zip(timed.contacts["side"], timed.contacts["event_method"]))
        timed.contacts, joined = merge_split_contacts(timed.contacts, min_stride_samples=fs / stride_hz)
        timed.contacts["event_method"] = timed.contacts["side"].map(methods)
        if joined:
            timed.warnings.append(Notice("contacts_joined",
                                  f"{joined} contact{'s' if joined > 1 else ''} cut in two by a glitch in the "
                                  "landmarks joined again"))
    seen_t = _feet_seen(prep)
    broken = _implausible(timed.contacts, seen_t, fs, stride_hz)
    if broken and 120.0 * stride_hz < MIN_RUNNING_SPM:
        raise NotRunningError(f"this looks like walking, not running: the feet alternate at "
                              f"{120.0 * stride_hz:.0f} steps/min (running is above {MIN_RUNNING_SPM:.0f})")
    # broken contacts imply a stride frequency (``_implausible``), so the anchored ones exist wherever needed
    anchored = (anchored_contacts(prep, timed, stride_hz)
                if np.isfinite(stride_hz) and (broken or _repeats(timed.contacts) > 0) else None)
    if anchored is not None and _fill_from_anchors(prep, timed, anchored, stride_hz, seen_t, broken):
        pass  # timed steadily there
    elif broken and anchored is not None:
        if len(anchored) > len(timed.contacts):
            timed.warnings = [w for w in timed.warnings if code_of(w) != "contact_dropped"]
            timed.warnings.insert(0, Notice("contacts_anchored",
                f"the foot heights are too noisy to time contacts ({len(timed.contacts)} found where the feet's "
                f"alternation says about {np.ptp(seen_t) * 2 * stride_hz:.0f}); contacts are anchored on the "
                "feet's forward-backward motion instead (Zeni et al. 2008), so contact and flight times are "
                "approximate"))
            timed.info["anchored"] = True
            timed.contacts = anchored
    elif not timed.info["clean"] and np.isfinite(stride_hz) and len(timed.contacts) >= MIN_CONTACTS:
        timed.contacts, timed.info["retimed_events"] = steady_contacts(prep, timed, stride_hz)
    if not timed.info["clean"] and len(timed.contacts):
        # strategy 4, on every strategy's contacts: no IC before the heel stops, where the feet stop abruptly
        timed.contacts, stops = foot_stop_ics(timed.contacts, {s: prep.rf_raw[f"{s}_heel"][:, 0] for s in SIDES},
                                              sample_rate_hz=fs, leg_px=prep.leg_px)
        timed.info["foot_stops"] = stops.to_dict()
    if len(timed.contacts) < MIN_CONTACTS:
        n = len(timed.contacts)
        raise TooFewContactsError(
            f"found {n} ground contact{'s' if n != 1 else ''} in {t[-1] - t[0]:.1f} s; at least {MIN_CONTACTS} "
            "are needed (is the runner's whole body in view, from the side, for a few strides?)")
    if len(timed.contacts) < FEW_CONTACTS:
        n = len(timed.contacts)
        timed.warnings.append(Notice("few_contacts", f"only {n} ground contacts in {t[-1] - t[0]:.1f} s: the summary "
                                     f"rests on {n - 1} steps, so its uncertainty is wide; film 10 s or more"))
    overlapping = _check_running(timed.contacts, t, fs, stride_hz)
    if overlapping:
        timed.warnings.append(Notice("uncertain_flight", overlapping))
    return timed


def _foot_offset(points: dict[str, np.ndarray], timed: TimedContacts, warnings: list[str]) -> tuple[float, str, int]:
    """The flat-foot offset (degrees), where it came from, and the samples it rests on."""
    offset, n_flat = flat_foot_offset_deg(
        {s: points[f"{s}_heel"] for s in SIDES}, {s: points[f"{s}_foot_index"] for s in SIDES},
        timed.heel_h, timed.toe_h, timed.contacts, tol_px=0.5 * timed.info["contact_tol_px"])
    if math.isfinite(offset) and FLAT_OFFSET_RANGE_DEG[0] <= offset <= FLAT_OFFSET_RANGE_DEG[1]:
        return offset, "flat mid-stance frames", n_flat
    found = f"{offset:.1f} deg" if math.isfinite(offset) else "no flat frames"
    warnings.append(Notice("flat_offset_default",
                    f"the flat-foot offset could not be estimated ({found}): the heel does not seem to come "
                    f"down in stance; foot strike angles use the typical {DEFAULT_FLAT_OFFSET_DEG:.0f} deg"))
    return DEFAULT_FLAT_OFFSET_DEG, "default", n_flat


def _timed_with_points(track: LandmarkTrack, prep: PreparedTrack,
                       settings: GaitSettings) -> tuple[PreparedTrack, TimedContacts, tuple, list[str]]:
    """The prepared track, its contacts, the points the metrics are read on with their flat-foot offset, and
    warnings.

    A track with the soles seen in the pixels is timed on them and its foot angles are read on them where
    the sole line lies flat in mid-stance (within ``MAX_SOLE_FLAT_DEG``): a line that leans there is not
    the sole (a shadow, the belt's edge or texture taken for shoe), and the track is timed and measured on
    its landmarks instead, as it is where the soles' ICs lie further than ``MAX_SOLE_GAP_S`` from the
    landmarks' (two measurements of one event that disagree that much) or give too few contacts or no run.
    Clean tracks are measured on the unsmoothed points (a 12 Hz low-pass blurs the foot's roll at contact).
    """
    warnings: list[str] = []
    if not _has_pixel_soles(prep.rf):
        timed = time_contacts(prep, settings)
        points = prep.rf_raw if timed.info["clean"] else prep.rf
        return prep, timed, (points, *_foot_offset(points, timed, warnings)), warnings
    lm_prep = prepare_track(_without_soles(track), settings)
    lm_timed: TimedContacts | None = None
    offset = gap = math.nan
    try:
        timed = time_contacts(prep, settings)
    except (TooFewContactsError, NotRunningError):
        pass
    else:
        points = prep.rf_raw if timed.info["clean"] else prep.rf
        soles = {**points, **{f"{s}_{lm}": points[f"{s}_sole_{end}"] for s in SIDES
                              for lm, end in (("heel", "rear"), ("foot_index", "front"))}}
        offset, source, n_flat = _foot_offset(soles, timed, [])
        try:
            lm_timed = time_contacts(lm_prep, settings)
            gap = _ic_gap_s(timed.contacts, lm_timed.contacts, prep.t)
        except (TooFewContactsError, NotRunningError):
            pass
        # landmark contacts shorter than any runner's are no reference: the pose model's foot wobbled in stance
        reference = lm_timed is not None and _median_contact_s(lm_timed.contacts, prep.fs) >= MIN_CONTACT_S
        agree = not (reference and gap > max(MAX_SOLE_GAP_S, MAX_SOLE_GAP_FRAMES / prep.fs))
        if source != "default" and abs(offset) <= MAX_SOLE_FLAT_DEG and agree:
            timed.info["soles"] = {"used": True, "flat_deg": offset, "ic_gap_ms": gap * 1000}
            return prep, timed, (soles, offset, "flat mid-stance frames of the soles", n_flat), warnings
    timed = lm_timed or time_contacts(lm_prep, settings)
    timed.info["soles"] = {"used": False, "flat_deg": offset if math.isfinite(offset) else None,
                           "ic_gap_ms": gap * 1000 if math.isfinite(gap) else None}
    points = lm_prep.rf_raw if timed.info["clean"] else lm_prep.rf
    return lm_prep, timed, (points, *_foot_offset(points, timed, warnings)), warnings


#: Below this visibility (BlazePose's own estimate, 0-1) a foot is taken as hidden.
MIN_FOOT_VISIBILITY = 0.5


def _hide_unseen_strikes(track: LandmarkTrack, rows: pd.DataFrame, warnings: list[str]) -> None:
    """Leave the foot strike empty where the foot could not be seen at IC: no sole measured in the pixels
    within a frame of it, and the pose model's heel and toe visibility under ``MIN_FOOT_VISIBILITY`` (a far
    foot behind the near leg, a foot out of the picture). A track without visibility (a landmark CSV
    that has none) is taken as seen."""
    t, vis = track.time_s, track.visibility
    soles = _has_pixel_soles(track.names)
    cols = {s: ([track.index(f"{s}_sole_{end}") for end in ("rear", "front")] if soles else [],
                [track.index(f"{s}_heel"), track.index(f"{s}_foot_index")]) for s in SIDES}
    hidden = np.zeros(len(rows), bool)
    for i, (side, ic) in enumerate(zip(rows["side"], rows["ic_s"])):
        k = int(np.argmin(np.abs(t - ic)))
        near = slice(max(k - 1, 0), k + 2)
        sole, foot = (vis[near][:, c] for c in cols[side])
        if sole.size and np.any(sole >= 0.5):             # 1 where the pixels showed the sole
            continue
        hidden[i] = bool(np.all(np.isfinite(foot)) and np.max(np.min(foot, axis=1)) < MIN_FOOT_VISIBILITY)
    if hidden.any():
        rows.loc[hidden, "foot_strike_angle_deg"] = np.nan
        rows["foot_strike"] = rows["foot_strike"].astype(object)
        rows.loc[hidden, "foot_strike"] = None
        n = int(hidden.sum())
        warnings.append(Notice("strike_unseen", f"the foot was hidden at {n} landing{'s' if n > 1 else ''}: "
                               "its foot strike is left empty, not guessed"))


def _median_contact_s(contacts: pd.DataFrame, fs: float) -> float:
    """Median contact time (s); NaN without contacts."""
    return float(np.median(contacts["to_idx"] - contacts["ic_idx"]) / fs) if len(contacts) else math.nan


def _ic_gap_s(a: pd.DataFrame, b: pd.DataFrame, t: np.ndarray) -> float:
    """Median time between the ICs of two timings of one track, each contact paired with the other timing's
    nearest contact of the same foot."""
    grid = np.arange(t.size)
    gaps = []
    for side in SIDES:
        ta = np.interp(a.loc[a["side"] == side, "ic_idx"].to_numpy(float), grid, t)
        tb = np.interp(b.loc[b["side"] == side, "ic_idx"].to_numpy(float), grid, t)
        if ta.size and tb.size:
            gaps.extend(np.min(np.abs(ta[:, None] - tb[None, :]), axis=1))
    return float(np.median(gaps)) if gaps else math.nan


def _without_soles(track: LandmarkTrack) -> LandmarkTrack:
    keep = [j for j, n in enumerate(track.names) if n not in SOLE_POINTS]
    return replace(track, xy=track.xy[:, keep], visibility=track.visibility[:, keep],
                   names=tuple(track.names[j] for j in keep))


def _length_scale(px: dict[str, np.ndarray], height_cm: float | None, world_px_per_cm: float | None,
                  warnings: list[str]) -> Scale | None:
    if height_cm:
        if not 80 <= float(height_cm) <= 250:
            raise BadInputError(f"height {height_cm} cm is outside 80-250 cm; give the height in centimetres")
        return scale_from_height(px, float(height_cm))
    if world_px_per_cm:
        return Scale(px_per_cm=world_px_per_cm, source="world_landmarks")
    warnings.append(Notice("no_height",
                    "no runner height given: lengths (overstride, oscillation, step length) are left empty; "
                    "pass --height-cm"))
    return None


def analyze_track(
    track: LandmarkTrack,
    *,
    height_cm: float | None = None,
    treadmill_speed_kmh: float | None = None,
    settings: GaitSettings | None = None,
    world_px_per_cm: float | None = None,
    source: dict | None = None,
) -> AnalysisResult:
    """Analyse a side-view landmark track of a runner: prepare, time the contacts, measure, summarise.

    Parameters
    ----------
    height_cm : runner's standing height; lengths are in cm only when a scale is known.
    treadmill_speed_kmh : belt speed, for step length on a treadmill.
    world_px_per_cm : scale from pose world landmarks, used when no height is given.
    source : what the track was read from (path, kind, hash ...); the track's timing is added to it.

    Raises
    ------
    NotRunningError : no flight phase (walking).
    TooFewContactsError : fewer than three ground contacts.
    """
    settings = settings or GaitSettings()
    prep = prepare_track(track, settings)
    prep, timed, (points, offset, offset_source, n_flat), strike_warnings = _timed_with_points(track, prep, settings)
    warnings = prep.warnings + timed.warnings + strike_warnings
    height_cm = height_cm or track.meta.get("height_cm")
    scale = _length_scale(prep.px, height_cm, world_px_per_cm, warnings)
    belt = treadmill_speed_kmh / 3.6 if treadmill_speed_kmh else None
    if not prep.orient.overground and scale is not None and belt is None:
        warnings.append(Notice("treadmill_no_speed",
                        "treadmill run without a belt speed: step length and vertical ratio are left empty"))
    t, contacts = prep.t, timed.contacts
    step_s = float(np.median(np.diff(np.interp(contacts["ic_idx"], np.arange(t.size), t))))
    rows = compute_step_table(points, t, contacts, scale=scale, overground=prep.orient.overground,
                              belt_speed_mps=belt, flat_foot_offset_deg=offset, max_step_s=1.6 * step_s,
                              trunk_bob=not timed.info["clean"])
    rows["event_method"] = contacts["event_method"].to_numpy()
    _hide_unseen_strikes(track, rows, warnings)
    summary = {**add_uncertainty(summarize(rows), rows, kind="pose", clean=bool(timed.info["clean"])),
               "flat_foot_offset_deg": offset, "flat_foot_offset_source": offset_source,
               "overground": prep.orient.overground}
    return AnalysisResult(
        source={**(source or {}), "fps": float(prep.fs), "duration_s": float(t[-1] - t[0]), "samples": int(len(track)),
                "image_width": track.image_width, "image_height": track.image_height},
        rows=rows, summary=summary, warnings=warnings,
        settings={**settings.get_params(), "height_cm": float(height_cm) if height_cm else None,
                  "treadmill_speed_kmh": treadmill_speed_kmh},
        direction=prep.orient.direction, scale_source=scale.source if scale else None,
        engine=engine_info(), extra={
            "px_per_cm": scale.px_per_cm if scale else None, "leg_length_px": prep.leg_px, "noise_px": prep.noise_px,
            "contact_tol_px": timed.info["contact_tol_px"], "flat_foot_samples": n_flat,
            "clean_track": timed.info["clean"],
            "ground_tilt_deg": prep.tilt_deg if math.isfinite(prep.tilt_deg) else None,
            "sole_edges": timed.info.get("sole_edges"), "retimed_events": timed.info.get("retimed_events", 0),
            "event_methods": contacts["event_method"].value_counts().to_dict(),
            "soles": timed.info.get("soles"), "ground_drift_px": prep.ground_drift_px,
            "foot_stops": timed.info.get("foot_stops"),
        },
    )


def _sole_heights(points: dict[str, np.ndarray], edges: dict[str, SoleEdges] | None):
    """Per side, the heights of the foot's back and front contact points: the soles seen in the pixels
    where the track has them, else the sole's edges where ``edges`` knows them, else the heel and
    foot_index landmarks."""
    rear, front = {}, {}
    if _has_pixel_soles(points):
        return ({s: points[f"{s}_sole_rear"][:, 1] for s in SIDES}, {s: points[f"{s}_sole_front"][:, 1] for s in SIDES})
    for s in ("left", "right"):
        e = (edges or {}).get(s)
        heel, toe = points[f"{s}_heel"], points[f"{s}_foot_index"]
        rear[s] = foot_point(heel, toe, e.rear)[:, 1] if e and e.rear else heel[:, 1]
        front[s] = foot_point(heel, toe, e.front)[:, 1] if e and e.front else toe[:, 1]
    return rear, front


def _implausible(contacts, t: np.ndarray, fs: float, stride_hz: float) -> bool:
    """Contacts that cannot be the run the feet show: under 90 % of the steps the feet's alternation counts
    (less the two a track's ends may cut), or strides of one foot that stray more than 25 % from the
    stride period in over a fifth of cases."""
    if not np.isfinite(stride_hz) or stride_hz <= 0:
        return False
    expected = (t[-1] - t[0]) * 2.0 * stride_hz - 2.0
    if len(contacts) < 0.9 * expected:
        return True
    strides = np.concatenate([np.diff(contacts.loc[contacts["side"] == s, "ic_idx"].to_numpy()) / fs
                              for s in ("left", "right")])
    return bool(strides.size and np.mean(np.abs(strides * stride_hz - 1.0) > 0.25) > 0.2)


def _check_running(contacts, t: np.ndarray, fs: float, stride_hz: float) -> str | None:
    """Reject walking: in running each foot leaves the ground before the other lands.

    Where both feet seem down together in most steps, the rhythm decides: a walk's steps are slow and its
    double support is long (100-150 ms); at 30 fps, or with a half-hidden far foot, a run's contact ends
    can overlap by a frame or two. A step rhythm of a run (``RUNNING_RHYTHM_SPM`` and up) with overlaps
    shorter than ``MAX_RUN_OVERLAP_S`` is analysed, with a warning; anything else is refused as walking.
    """
    ic = contacts["ic_idx"].to_numpy(float)
    to = contacts["to_idx"].to_numpy(float)
    sides = contacts["side"].to_numpy()
    alternate = sides[1:] != sides[:-1]
    overlap = (to[:-1] - ic[1:])[alternate] / fs     # > 0: both feet on the ground together
    if overlap.size == 0:
        return None
    double_support = float(np.mean(overlap > 0))
    if double_support < 0.5:
        return None
    rhythm = 120.0 * stride_hz if np.isfinite(stride_hz) else float("nan")
    typical = float(np.median(overlap[overlap > 0]))
    if rhythm >= RUNNING_RHYTHM_SPM and typical <= MAX_RUN_OVERLAP_S:
        return (f"both feet seem to be on the ground together in {double_support:.0%} of steps (by "
                f"{typical * 1000:.0f} ms, {typical * fs:.1f} frames), but the feet alternate at {rhythm:.0f} "
                "steps/min, a run's rhythm: analysed as a run; at this frame rate (or with a half-hidden foot) "
                "contact and flight times are uncertain")
    raise NotRunningError(
        f"this looks like walking, not running: both feet are on the ground together in "
        f"{double_support:.0%} of steps (median double support {np.median(overlap) * 1000:.0f} ms) "
        "and there is no flight phase"
    )
