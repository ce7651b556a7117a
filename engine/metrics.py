"""The metric registry: one record per column a result's rows can carry, and everything said about it.

What a metric *is* lives here once: its column name and unit (``METRICS.md`` is the specification, and
a test checks that the two agree), the label people read, its definition, its sign convention, which
way is better in Pose Method terms, the Pose target in words, the Garmin colour bands where they exist
and the reference. The per-step column list, the compare page's labels and preferred directions, the
bands and the cards are derived from it.

``better``: ``higher``, ``lower``, ``closer_to_zero`` (0 is ideal) or ``none`` (descriptive only).
``rows``: which row kinds carry the column, ``step`` (one row per ground contact: clips, landmark CSV,
IMU) and/or ``record`` (one row per FIT record).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

#: Garmin running-dynamics colour bands (METRICS.md), best first: (band, lower, upper) on the metric's
#: own scale, half-open [lower, upper). Garmin publishes integer (or one-decimal) bounds with gaps between
#: bands; a value in a gap belongs to the band below it on the metric's scale.
Band = tuple[str, float, float]
BAND_ORDER = ("purple", "blue", "green", "orange", "red")
BAND_MEANING = {"purple": "above the 95th percentile of runners", "blue": "70th-95th percentile",
                "green": "30th-69th percentile", "orange": "5th-29th percentile", "red": "below the 5th percentile"}


@dataclass(frozen=True)
class Metric:
    """One column of a result's rows."""

    name: str
    unit: str                      # as METRICS.md writes it: "steps/min", "ms", "%", "°", "cm", "s", "class", "–"
    label: str                     # what people read: "cadence"
    definition: str
    better: str = "none"           # higher / lower / closer_to_zero / none
    rows: tuple[str, ...] = ("step",)
    sign: str = ""                 # the sign convention, where the number has one
    target: str = ""               # the Pose Method target in words
    bands: tuple[Band, ...] = ()
    reference: str = ""
    digits: int = 1                # decimals shown to people
    shown: frozenset[str] = field(default_factory=frozenset)   # "card", "timeline", "compare"
    summarised: bool = True        # described (median, mean, sd, n) in the session summary
    rank: int = 99                 # where cards, charts and comparisons list it (lower first)

    @property
    def short_unit(self) -> str:
        """The unit as cards and axes show it."""
        return {"steps/min": "spm", "–": "", "class": ""}.get(self.unit, self.unit)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["shown"] = sorted(self.shown)
        d["bands"] = [{"band": b, "from": None if math.isinf(lo) else lo, "to": None if math.isinf(hi) else hi}
                      for b, lo, hi in self.bands]
        return d


INF = math.inf
_CARD, _TIME, _CMP, _REC, _LAP = "card", "timeline", "compare", "record_chart", "lap"
_GARMIN = "Garmin running dynamics (HRM-Run) colour bands"
_EVENTS = "Zeni et al. 2008; Fellin et al. 2010; Young et al. 2023 (BlazePose running events)"

METRICS: tuple[Metric, ...] = (
    Metric("side", "–", "side", "The stance foot of the contact: left or right (the runner's own side); both where a "
           "single body-worn sensor cannot tell the feet apart.",
           rows=("step",), summarised=False, digits=0),
    Metric("ic_s", "s", "initial contact", "Time of initial contact, in seconds from the start of the source: "
           "the first moment after swing at which the foot's lower point reaches ground level, refined between "
           "frames.", reference=_EVENTS, summarised=False, digits=3),
    Metric("to_s", "s", "toe-off", "Time of toe-off, in seconds from the start of the source: the last moment of "
           "the stance at which the toe is at ground level, refined between frames.", reference=_EVENTS,
           summarised=False, digits=3),
    Metric("cadence_spm", "steps/min", "cadence", "Steps per minute: 60 / (next contralateral IC - this IC). FIT "
           "records: the watch's cadence (strides/min x 2, plus fractional cadence).", better="higher",
           rows=("step", "record"), target="about 180 steps/min or more; high cadence keeps the foot under the hips",
           bands=(("red", -INF, 153), ("orange", 153, 164), ("green", 164, 174), ("blue", 174, 184),
                  ("purple", 184, INF)), reference=_GARMIN, digits=0, rank=1,
           shown=frozenset({_REC, _LAP, _CARD, _TIME, _CMP})),
    Metric("ground_contact_ms", "ms", "ground contact", "Time the foot is on the ground: TO - IC. FIT records: "
           "the watch's stance time.", better="lower", rows=("step", "record"),
           target="short: the foot is pulled off the ground as soon as it lands",
           bands=(("purple", -INF, 218), ("blue", 218, 249), ("green", 249, 278), ("orange", 278, 309),
                  ("red", 309, INF)), reference=_GARMIN, digits=0, rank=2,
           shown=frozenset({_REC, _LAP, _CARD, _TIME, _CMP})),
    Metric("flight_ms", "ms", "flight", "Time with neither foot on the ground after this contact: next "
           "contralateral IC - TO.", better="higher", target="long relative to contact",
           reference="METRICS.md", digits=0, rank=9, shown=frozenset({_CARD, _CMP})),
    Metric("duty_factor_pct", "%", "duty factor", "Share of the stride spent on this foot: ground contact / stride "
           "time x 100, stride time = this IC to the next IC of the same foot.", better="lower",
           target="about 27-29 % at 12 km/h; lower is better", reference="METRICS.md",
           rank=10, shown=frozenset({_CARD, _CMP})),
    Metric("foot_strike_angle_deg", "°", "foot strike angle", "At IC, the angle of the heel → toe line to the "
           "ground, minus the same angle of that foot standing flat (the flat-foot offset, estimated per clip); on "
           "video, the line along the shoe's bottom edge where the pixels show it.",
           better="lower", sign="positive = toe up (heel first), negative = toe down (ball first)",
           target="at or below 0: the foot lands on its ball, not heel first",
           reference="Altman & Davis 2012", rank=8, shown=frozenset({_CARD, _CMP})),
    Metric("foot_strike", "class", "foot strike", "rearfoot if the strike angle is above 8.0°, forefoot if below "
           "-1.6°, else midfoot.", target="forefoot or midfoot (the ball of the foot) is the Pose landing",
           reference="Altman & Davis 2012 cut-offs", summarised=False, digits=0),
    Metric("overstride_cm", "cm", "overstride", "At IC, stance ankle x - mid-hip x, in the running direction.",
           better="closer_to_zero", sign="positive = the foot lands ahead of the hips",
           target="about 0: the foot lands under the hips", reference="METRICS.md",
           rank=5, shown=frozenset({_CARD, _TIME, _CMP})),
    Metric("shin_angle_deg", "°", "shin angle", "At IC, the angle of knee → ankle from the vertical.",
           better="closer_to_zero", sign="positive = the ankle is ahead of the knee (reaching out)",
           target="about 0: a vertical shin at landing", reference="METRICS.md", rank=13, shown=frozenset({_CMP})),
    Metric("knee_flexion_ic_deg", "°", "knee flexion at contact", "180 - the hip-knee-ankle angle of the stance "
           "leg at IC.", better="higher", sign="0 = straight knee; larger = more bent",
           target="bent, never straight, at landing", reference="METRICS.md", rank=14, shown=frozenset({_CMP})),
    Metric("lean_deg", "°", "lean from the ankles", "At IC, the angle from vertical of the line from the stance "
           "ankle to the mid-shoulder.", better="higher",
           sign="forward positive: a negative value means the line leans back, even when it improves",
           target="a small forward lean from the ankles", reference="Romanov, the Pose Method",
           rank=6, shown=frozenset({_CARD, _TIME, _CMP})),
    Metric("alignment_deg", "°", "alignment bend", "At IC, the bend of the shoulder-hip-ankle line at the hip: "
           "angle from vertical of hip → shoulder minus that of ankle → hip.", better="closer_to_zero",
           sign="0 = straight; positive = flexed at the hip (foot out in front, or a bend at the waist); "
                "negative = hips pushed ahead of the shoulder-ankle line",
           target="about 0: one straight oblique line from ankle to shoulder", reference="METRICS.md",
           rank=7, shown=frozenset({_CARD, _TIME, _CMP})),
    Metric("trunk_lean_deg", "°", "trunk lean", "At IC, the angle from vertical of mid-hip → mid-shoulder.",
           sign="forward positive", target="lean from the ankles, not from the waist",
           reference="reported 3.6-10.8° in runners", rank=11, shown=frozenset({_CARD, _CMP})),
    Metric("fall_angle_deg", "°", "fall angle", "At TO, the angle from vertical of the line from the stance toe "
           "to the mid-hip.", better="higher", sign="forward positive",
           target="positive; Pose Method claims a maximum of 22.5°", reference="Romanov's falling angle",
           rank=15, shown=frozenset({_CMP})),
    Metric("pull_ms", "ms", "pull time", "TO - mid-stance (the first moment the mid-hip is over the stance "
           "ankle).", better="lower", target="33 ms or less is a quick pull; above 67 ms is a late pull",
           reference="coach rule at 30 fps", digits=0, rank=16, shown=frozenset({_CMP})),
    Metric("vertical_oscillation_cm", "cm", "vertical oscillation", "max - min of mid-hip height from this IC "
           "to the next contralateral IC; on a pose model's track, the top of the head where the video shows it, else "
           "the trunk's height (hips, shoulders and ears), less its drift over a step. FIT records: the watch's "
           "vertical oscillation.", better="lower",
           rows=("step", "record"), target="small: the body does not bob up and down",
           bands=(("purple", -INF, 6.4), ("blue", 6.4, 8.15), ("green", 8.15, 9.75), ("orange", 9.75, 11.55),
                  ("red", 11.55, INF)), reference=_GARMIN, rank=3, shown=frozenset({_REC, _LAP, _CARD, _TIME, _CMP})),
    Metric("step_length_cm", "cm", "step length", "Horizontal travel from this IC to the next contralateral IC "
           "(overground: ground-fixed ankle positions; treadmill: belt speed x step time). FIT records: the "
           "watch's step length.", rows=("step", "record"), reference="METRICS.md", digits=0,
           rank=12, shown=frozenset({_REC, _LAP, _CARD, _CMP})),
    Metric("vertical_ratio_pct", "%", "vertical ratio", "vertical oscillation / step length x 100.",
           better="lower", rows=("step", "record"), target="low: travel forward, not up",
           bands=(("purple", -INF, 6.1), ("blue", 6.1, 7.45), ("green", 7.45, 8.65), ("orange", 8.65, 10.15),
                  ("red", 10.15, INF)), reference=_GARMIN, rank=4, shown=frozenset({_REC, _CARD, _CMP})),
    Metric("event_method", "–", "event timing", "How this contact's IC and TO were timed: landmark_heights (the "
           "heel and toe landmarks reach ground level), sole_pixels (the shoes' bottom edges seen in the video's "
           "pixels reach ground level), sole_edges (the sole's back and front edges, found from "
           "the foot's rolls), fore_aft_extremes (the foot's forward-backward extremes, Zeni 2008, on tracks "
           "too noisy for heights), steady_lag (each foot's fore-aft extreme plus its typical lag, on jittery "
           "tracks) or foot_stop (an IC that came before the heel stopped moving forward over the ground, moved "
           "to the stop); imu for sensor rows.", summarised=False, digits=0),
    # -- FIT records only --------------------------------------------------------------------------
    Metric("time_s", "s", "time", "Seconds from the first record of the running session(s).", rows=("record",),
           summarised=False, digits=0),
    Metric("lap", "–", "lap", "The lap the record falls in (1 = first).", rows=("record",), summarised=False,
           digits=0),
    Metric("stance_time_percent", "%", "stance time", "The watch's stance time as a share of the step.",
           better="lower", rows=("record",), reference="FIT profile: record.stance_time_percent"),
    Metric("gct_balance_pct", "%", "contact balance (left)", "Left ground contact / (left + right) x 100. FIT "
           "records: the watch's stance time balance.", better="closer_to_zero", rows=("record",),
           sign="50 = even; above 50 = longer on the left",
           target="49.3-50.7 % (Garmin green)", reference=_GARMIN),
    Metric("heart_rate_bpm", "bpm", "heart rate", "Heart rate from the watch or strap.", rows=("record",), digits=0,
           shown=frozenset({_REC, _LAP})),
    Metric("distance_m", "m", "distance", "Distance covered since the start, from the watch.", rows=("record",),
           summarised=True, digits=0),
    Metric("speed_mps", "m/s", "speed", "Speed from the watch (enhanced speed where present).", rows=("record",),
           digits=2, shown=frozenset({_REC, _LAP})),
    Metric("power_w", "W", "power", "Running power from the watch.", rows=("record",), digits=0,
           shown=frozenset({_REC, _LAP})),
    # -- developer fields of foot pods (Stryd) --------------------------------------------------------
    Metric("dev_power", "W", "power (pod)", "A foot pod's running power (developer field 'Power').",
           rows=("record",), reference="Stryd developer fields", digits=0, shown=frozenset({_REC, _LAP})),
    Metric("dev_form_power", "W", "form power (pod)", "A foot pod's form power: the power spent moving up and "
           "down rather than forward (developer field 'Form Power').", better="lower", rows=("record",),
           reference="Stryd developer fields", digits=0),
    Metric("dev_air_power", "W", "air power (pod)", "A foot pod's power spent against the air (developer field "
           "'Air Power').", rows=("record",), reference="Stryd developer fields", digits=0),
    Metric("dev_leg_spring_stiffness", "kN/m", "leg spring stiffness (pod)", "A foot pod's leg spring stiffness "
           "(developer field 'Leg Spring Stiffness').", rows=("record",), reference="Stryd developer fields",
           shown=frozenset({_REC})),
    Metric("dev_ground_time", "ms", "ground time (pod)", "A foot pod's ground contact time (developer field "
           "'Ground Time').", better="lower", rows=("record",), reference="Stryd developer fields", digits=0),
    Metric("dev_vertical_oscillation", "cm", "vertical oscillation (pod)", "A foot pod's vertical oscillation "
           "(developer field 'Vertical Oscillation', in the units it declares).", better="lower", rows=("record",),
           reference="Stryd developer fields"),
    Metric("dev_cadence", "steps/min", "cadence (pod)", "A foot pod's cadence (developer field 'Cadence').",
           better="higher", rows=("record",), reference="Stryd developer fields", digits=0),
    Metric("dev_distance", "m", "distance (pod)", "A foot pod's distance (developer field 'Distance').",
           rows=("record",), reference="Stryd developer fields", digits=0),
    Metric("dev_speed", "m/s", "speed (pod)", "A foot pod's speed (developer field 'Speed').", rows=("record",),
           reference="Stryd developer fields", digits=2),
)

#: Any other developer field of a FIT file is kept as ``dev_<field name>`` in snake case.
DEVELOPER_PREFIX = "dev_"
DEVELOPER_PATTERN = Metric("dev_<field_name>", "–", "developer field", "Any other developer field of a FIT "
                           "file (a pod's or an app's own numbers), named dev_ + its field name in snake case, "
                           "in the units its field description declares.", rows=("record",))

REGISTRY: dict[str, Metric] = {m.name: m for m in METRICS}

#: The per-step table's columns, in METRICS.md order (``side`` first), ``event_method`` last.
STEP_COLUMNS: tuple[str, ...] = tuple(m.name for m in METRICS if "step" in m.rows)
#: Numeric per-step columns that the session summary describes.
SUMMARY_COLUMNS: tuple[str, ...] = tuple(m.name for m in METRICS if "step" in m.rows and m.summarised)
#: Columns with a direction that is better in Pose Method terms, or a change worth comparing.
def _shown_on(place: str) -> tuple[str, ...]:
    return tuple(m.name for m in sorted(METRICS, key=lambda m: m.rank) if place in m.shown)


COMPARED: tuple[str, ...] = _shown_on(_CMP)
CARDS: tuple[str, ...] = _shown_on(_CARD)
TIMELINE: tuple[str, ...] = _shown_on(_TIME)
RECORD_CHARTS: tuple[str, ...] = _shown_on(_REC)
LAP_COLUMNS: tuple[str, ...] = _shown_on(_LAP)
BANDS: dict[str, tuple[Band, ...]] = {m.name: m.bands for m in METRICS if m.bands}


def lookup(name: str) -> Metric:
    """The registry record of a column; a developer field not listed gets the generic developer record."""
    if name in REGISTRY:
        return REGISTRY[name]
    if name.startswith(DEVELOPER_PREFIX):
        words = name[len(DEVELOPER_PREFIX):].replace("_", " ")
        return Metric(name, "–", f"{words} (developer field)", DEVELOPER_PATTERN.definition, rows=("record",))
    raise KeyError(f"{name!r} is not a metric leanline defines")


def find(name: str) -> Metric | None:
    """The registry record of a column, or None for a column leanline does not define."""
    try:
        return lookup(name)
    except KeyError:
        return None


def label(name: str) -> str:
    """``cadence (spm)``: the label with the short unit."""
    m = lookup(name)
    return f"{m.label} ({m.short_unit})" if m.short_unit else m.label


def band_of(name: str, value: float | None) -> str | None:
    """The Garmin band of a value, or None where the metric has no bands or the value is missing."""
    if value is None or not math.isfinite(value):
        return None
    for band, lo, hi in BANDS.get(name, ()):
        if lo <= value < hi:
            return band
    return None


def as_json() -> dict:
    """The registry for scripts (``leanline metrics --json``)."""
    return {"metrics": [m.to_dict() for m in METRICS], "patterns": [DEVELOPER_PATTERN.to_dict()],
            "bands": {b: BAND_MEANING[b] for b in BAND_ORDER}}
