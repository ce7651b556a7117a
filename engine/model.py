"""Types that cross module boundaries: the landmark track, the per-step table and the analysis result.

Every reader ends in :meth:`LandmarkTrack.from_arrays` (validated once, here); every analysis ends in
an :class:`AnalysisResult`, which is what the command line prints and what the library stores.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import BadInputError
from engine.metrics import STEP_COLUMNS
from engine.notices import code_of, with_codes

#: The 33 BlazePose landmarks, in MediaPipe's index order, in snake_case.
LANDMARK_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)

SIDES: tuple[str, str] = ("left", "right")

#: The soles' bottom line below the heel and foot-index points, measured in the pixels
#: (:mod:`engine.pose.soles`): a video track carries them where the sole was seen.
SOLE_POINTS: tuple[str, ...] = tuple(f"{side}_sole_{end}" for side in SIDES for end in ("rear", "front"))
#: The top of the head, measured in the pixels (:mod:`engine.pose.head`): a video track carries it where the
#: crown's edge was seen.
HEAD_POINTS: tuple[str, ...] = ("head_top",)
#: Every point a track may carry.
TRACK_POINTS: tuple[str, ...] = LANDMARK_NAMES + SOLE_POINTS + HEAD_POINTS

#: Landmarks the metrics need; a track without any of them is rejected.
REQUIRED_LANDMARKS: tuple[str, ...] = tuple(
    f"{side}_{part}"
    for part in ("shoulder", "hip", "knee", "ankle", "heel", "foot_index")
    for side in SIDES
)

FOOT_STRIKE_CLASSES: tuple[str, ...] = ("rearfoot", "midfoot", "forefoot")

TRACK_META_KEYS: tuple[str, ...] = ("image_width", "image_height", "fps", "height_cm", "source")


#: Pose tracks come at 10-1000 frames/s; a rate outside this range means the time column's unit is wrong.
TRACK_RATE_RANGE_HZ = (5.0, 2000.0)
#: No image is wider than this many pixels: larger coordinates are not pixels.
MAX_PIXEL = 1e5


def rate_problems(time_s: np.ndarray, fps: float | None) -> list[str]:
    """A time column in the wrong unit: its sample rate disagrees with the header's fps, or no camera has it."""
    if len(time_s) < 2 or not np.all(np.isfinite(time_s)):
        return []
    dt = float(np.median(np.diff(time_s)))
    if dt <= 0:
        return []
    rate = 1.0 / dt
    lo, hi = TRACK_RATE_RANGE_HZ
    if lo <= rate * 1e3 <= hi:
        hint = "in milliseconds"
    elif lo <= rate * 1e6 <= hi:
        hint = "in microseconds"
    else:
        hint = "in another unit, or frame numbers"
    if fps and not 0.5 <= rate / fps <= 2.0:
        return [f"time_s advances {dt:g} per frame, but the header says {fps:g} fps ({1.0 / fps:.4g} s per frame): "
                f"is time_s {hint}? leanline needs seconds"]
    if not lo <= rate <= hi:
        return [f"time_s advances {dt:g} per frame ({rate:.3g} frames/s, where pose tracks have {lo:g}-{hi:g}): "
                f"is time_s {hint}? leanline needs seconds"]
    return []


def _shape_problems(time_s: np.ndarray, xy: np.ndarray, names: tuple[str, ...]) -> list[str]:
    n = time_s.shape[0] if time_s.ndim == 1 else -1
    if time_s.ndim != 1:
        return [f"time must be one-dimensional, got shape {time_s.shape}"]
    if xy.ndim != 3 or xy.shape[2] != 2 or xy.shape[1] != len(names):
        return [f"xy must have shape (samples, {len(names)}, 2), got {xy.shape}"]
    return [f"xy has {xy.shape[0]} samples but time has {n}"] if xy.shape[0] != n else []


def _name_problems(names: tuple[str, ...]) -> list[str]:
    problems = []
    missing = [m for m in REQUIRED_LANDMARKS if m not in names]
    if missing:
        problems.append("missing landmarks: " + ", ".join(missing))
    unknown = [m for m in names if m not in TRACK_POINTS]
    if unknown:
        problems.append("unknown landmark names: " + ", ".join(unknown))
    if len(set(names)) != len(names):
        problems.append("duplicate landmark names")
    return problems


def pixel_problems(xy: np.ndarray) -> list[str]:
    """Coordinates no image has (1e308, infinities): the values are not pixels."""
    if not xy.size:
        return []
    finite = xy[np.isfinite(xy)]
    if np.any(np.isinf(xy)) or (finite.size and float(np.abs(finite).max()) > MAX_PIXEL):
        big = float(np.abs(xy[~np.isnan(xy)]).max())
        return [f"landmark coordinates reach {big:.3g}, which no image has (pixels up to {MAX_PIXEL:.0e}): are "
                "they in pixels?"]
    return []


def time_problems(time_s: np.ndarray) -> list[str]:
    """What is wrong with a time column: empty cells, or time that does not strictly increase."""
    if not np.all(np.isfinite(time_s)):
        return [f"time has {int(np.sum(~np.isfinite(time_s)))} empty or non-numeric values"]
    bad = np.flatnonzero(np.diff(time_s) <= 0)
    if bad.size:
        return [f"time is not strictly increasing at {bad.size} places "
                f"(first at sample {int(bad[0]) + 1}: {time_s[bad[0]]:g} s -> {time_s[bad[0] + 1]:g} s)"]
    return []


@dataclass(frozen=True)
class LandmarkTrack:
    """A time series of 2-D body landmarks in image pixels (origin top-left, y down).

    Attributes
    ----------
    time_s : (T,) float array, strictly increasing.
    frame : (T,) int array, the source frame index of each sample.
    names : landmark names (snake_case BlazePose names), one per column of ``xy``.
    xy : (T, L, 2) float array of pixel coordinates; NaN where a landmark was not seen.
    visibility : (T, L) float array in [0, 1]; NaN where the source gives none.
    fps : nominal frame rate, or None (then the median sample interval is used).
    image_width, image_height : frame size in pixels, or None.
    meta : free-form provenance (``source``, ``height_cm`` ...).
    """

    time_s: np.ndarray
    frame: np.ndarray
    names: tuple[str, ...]
    xy: np.ndarray
    visibility: np.ndarray
    fps: float | None = None
    image_width: int | None = None
    image_height: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_arrays(
        cls,
        *,
        time_s: np.ndarray,
        xy: np.ndarray,
        names: tuple[str, ...] | list[str],
        frame: np.ndarray | None = None,
        visibility: np.ndarray | None = None,
        fps: float | None = None,
        image_width: int | None = None,
        image_height: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> LandmarkTrack:
        """Build a track, checking everything at once and naming every problem found."""
        names = tuple(names)
        time_s = np.asarray(time_s, dtype=float)
        xy = np.asarray(xy, dtype=float)
        n = time_s.shape[0] if time_s.ndim == 1 else -1
        problems = _shape_problems(time_s, xy, names) + _name_problems(names)
        if n >= 0:
            problems.extend(time_problems(time_s))
        if fps is not None and not (math.isfinite(fps) and fps > 0):
            problems.append(f"fps must be a positive number, got {fps!r}")
        elif n >= 0:
            problems.extend(rate_problems(time_s, fps))
        problems.extend(pixel_problems(xy))
        if problems:
            raise BadInputError("invalid landmark track: " + "; ".join(problems))

        if frame is None:
            frame = np.arange(n)
        if visibility is None:
            visibility = np.full(xy.shape[:2], np.nan)
        return cls(
            time_s=time_s,
            frame=np.asarray(frame, dtype=int),
            names=names,
            xy=xy,
            visibility=np.asarray(visibility, dtype=float),
            fps=float(fps) if fps is not None else None,
            image_width=int(image_width) if image_width else None,
            image_height=int(image_height) if image_height else None,
            meta=dict(meta or {}),
        )

    def __len__(self) -> int:
        return int(self.time_s.shape[0])

    @property
    def sample_rate_hz(self) -> float:
        """Nominal sampling rate: ``fps`` when known, else from the median sample interval."""
        if self.fps:
            return self.fps
        if len(self) < 2:
            raise BadInputError("a landmark track needs at least two samples")
        return float(1.0 / np.median(np.diff(self.time_s)))

    @property
    def duration_s(self) -> float:
        return float(self.time_s[-1] - self.time_s[0]) if len(self) else 0.0

    def index(self, name: str) -> int:
        return self.names.index(name)

    def point(self, name: str) -> np.ndarray:
        """(T, 2) pixel coordinates of one landmark."""
        return self.xy[:, self.index(name), :]

    def slice(self, start: int, stop: int) -> LandmarkTrack:
        """Samples ``start:stop`` as a new track (same metadata)."""
        return LandmarkTrack(
            time_s=self.time_s[start:stop], frame=self.frame[start:stop], names=self.names,
            xy=self.xy[start:stop], visibility=self.visibility[start:stop], fps=self.fps,
            image_width=self.image_width, image_height=self.image_height, meta=dict(self.meta),
        )


def _json_value(value: Any) -> Any:
    """NaN and numpy scalars to plain JSON values (NaN -> null)."""
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    return value


@dataclass
class AnalysisResult:
    """One analysed source with its provenance, per-row table, summary and warnings.

    ``rows`` is a DataFrame whose columns are METRICS.md's names; for video and landmark sources one
    row per ground contact (``row_unit`` = ``"step"``), for FIT one row per record (``"record"``).
    """

    source: dict[str, Any]
    rows: pd.DataFrame
    summary: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)
    direction: str | None = None
    scale_source: str | None = None
    row_unit: str = "step"
    warnings: list[str] = field(default_factory=list)
    leanline_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    engine: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.leanline_version:
            from engine import __version__

            self.leanline_version = __version__

    def to_dict(self) -> dict[str, Any]:
        rows = [
            {k: _json_value(v) for k, v in rec.items()}
            for rec in self.rows.to_dict(orient="records")
        ]
        out = {
            "leanline_version": self.leanline_version,
            "source": _json_value(self.source),
            "direction": self.direction,
            "scale_source": self.scale_source,
            "settings": _json_value(self.settings),
            "row_unit": self.row_unit,
            "summary": _json_value(self.summary),
            "rows": rows,
            "warnings": [str(w) for w in self.warnings],
            "warning_codes": [code_of(w) for w in self.warnings],
        }
        if self.engine:
            out["engine"] = _json_value(self.engine)
        if self.extra:
            out["extra"] = _json_value(self.extra)
        return out

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnalysisResult:
        rows = pd.DataFrame(data.get("rows") or [])
        if data.get("row_unit", "step") == "step":
            rows = rows.reindex(columns=list(STEP_COLUMNS) + [c for c in rows.columns if c not in STEP_COLUMNS])
        for c in rows.columns:
            if c not in ("side", "foot_strike") and rows[c].dtype == object:
                converted = pd.to_numeric(rows[c], errors="coerce")
                if converted.notna().sum() == rows[c].notna().sum():
                    rows[c] = converted.astype(float)
        return cls(
            source=data.get("source", {}),
            rows=rows,
            summary=data.get("summary", {}),
            settings=data.get("settings", {}),
            direction=data.get("direction"),
            scale_source=data.get("scale_source"),
            row_unit=data.get("row_unit", "step"),
            warnings=with_codes(list(data.get("warnings", [])), data.get("warning_codes")),
            leanline_version=data.get("leanline_version", ""),
            extra=data.get("extra", {}),
            engine=data.get("engine", {}),
        )
