"""FIT files (Garmin, COROS, Stryd) -> one row per ``record`` with METRICS.md's column names.

Decoded with Garmin's official ``garmin-fit-sdk``. Only running sessions count: a multisport file
yields the records of its run legs, a walk is refused as not running. Units follow METRICS.md:
``cadence`` is strides/min in FIT (x 2, plus ``fractional_cadence`` x 2, gives steps/min),
``vertical_oscillation`` and ``step_length`` are mm in FIT (/10 -> cm), ``stance_time`` is ms.
Developer fields (Stryd power, form power, leg spring stiffness ...) are kept as
``dev_<field_name>`` in snake_case.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import BadInputError, NotRunningError
from engine.gait.uncertainty import add_uncertainty
from engine.model import AnalysisResult
from engine.notices import Notice
from engine.provenance import engine_info
from engine.sources.text import read_file

#: FIT record field -> (column, factor)
_RECORD_FIELDS = {
    "vertical_oscillation": ("vertical_oscillation_cm", 0.1),
    "stance_time": ("ground_contact_ms", 1.0),
    "stance_time_percent": ("stance_time_percent", 1.0),
    "stance_time_balance": ("gct_balance_pct", 1.0),
    "step_length": ("step_length_cm", 0.1),
    "vertical_ratio": ("vertical_ratio_pct", 1.0),
    "heart_rate": ("heart_rate_bpm", 1.0),
    "distance": ("distance_m", 1.0),
    "power": ("power_w", 1.0),
}
DYNAMICS = ("vertical_oscillation_cm", "ground_contact_ms", "step_length_cm", "vertical_ratio_pct")
_RUNNING = {"running"}
_WALKING = {"walking", "hiking"}


@dataclass
class FitRecords:
    """What a FIT file holds of its running sessions: one row per record and the legs' and laps' times."""

    frame: pd.DataFrame
    start: str
    legs: list[dict]
    laps: list[dict]
    warnings: list[str] = field(default_factory=list)


def _snake(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(text).lower()).strip("_")


def integrity_problem(data: bytes) -> str | None:
    """What is wrong with a FIT file's framing: too short for its header's data size, or a checksum that does
    not match (the header's CRC is checked only when the file sets one: 0 means "not computed")."""
    from garmin_fit_sdk import CrcCalculator

    header_size = data[0]
    data_size = int.from_bytes(data[4:8], "little")
    expected = header_size + data_size + 2
    if len(data) < expected:
        return f"the file is truncated: its header announces {expected} bytes, the file has {len(data)}"
    if header_size >= 14:
        stored = int.from_bytes(data[12:14], "little")
        if stored and stored != CrcCalculator.calculate_crc(data, 0, 12):
            return "the header's checksum does not match: the file is damaged"
    end = header_size + data_size
    if int.from_bytes(data[end:end + 2], "little") != CrcCalculator.calculate_crc(data, 0, end):
        return "the file's checksum (CRC) does not match its contents: the file is damaged"
    return None


#: Readers: Garmin's SDK first; fitdecode for what the SDK cannot read (compressed timestamp headers,
#: written by older Garmin watches to save space). Both give the profile's field names, scaled values and
#: time-zone aware dates, so the rest of this module reads either the same way (a test compares them).
READERS = ("auto", "sdk", "fitdecode")


def _decode(path: Path, reader: str = "auto") -> tuple[dict, list[str]]:
    data = read_file(path)
    from garmin_fit_sdk import Decoder, Stream

    if len(data) < 12 or not Decoder(Stream.from_byte_array(bytearray(data))).is_fit():
        raise BadInputError(f"{path.name} is not a FIT file (no FIT header)")
    if int.from_bytes(data[4:8], "little") == 0:
        raise BadInputError(f"{path.name} has a FIT header but no data: the recording holds no messages")
    problem = integrity_problem(data)
    if problem:
        raise BadInputError(f"{path.name}: {problem}")
    if reader == "fitdecode":
        return _decode_fitdecode(path), []
    try:
        messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read(
            convert_datetimes_to_dates=True, merge_heart_rates=False)
    except Exception as exc:  # the SDK raises plain exceptions on malformed input
        raise BadInputError(f"{path.name}: the FIT file cannot be decoded ({exc})") from None
    if errors and reader == "auto" and any("ompressed timestamp" in str(e) for e in errors):
        return _decode_fitdecode(path), []
    if errors:
        raise BadInputError(f"{path.name}: the FIT file is damaged ({errors[0]})")
    return dict(messages), []


def _decode_fitdecode(path: Path) -> dict:
    """The messages as the SDK gives them (``record_mesgs`` ..., developer values keyed by the position of
    their field description), read by fitdecode."""
    import fitdecode

    messages: dict[str, list[dict]] = {}
    dev_index: dict[str, int] = {}
    try:
        with fitdecode.FitReader(str(path), check_crc=fitdecode.CrcCheck.RAISE,
                                 error_handling=fitdecode.ErrorHandling.RAISE) as fit:
            for frame in fit:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                mesg: dict = {}
                devs: dict[int, object] = {}
                for f in frame.fields:
                    if type(f.field_def).__name__ == "DevFieldDefinition":
                        devs[dev_index.setdefault(f.name, len(dev_index))] = f.value
                    elif f.value is not None:
                        mesg[f.name] = f.value
                if frame.name == "field_description":
                    dev_index.setdefault(str(mesg.get("field_name")), len(messages.get("field_description_mesgs", [])))
                if devs:
                    mesg["developer_fields"] = devs
                messages.setdefault(f"{frame.name}_mesgs", []).append(mesg)
    except fitdecode.FitError as exc:
        raise BadInputError(f"{path.name}: the FIT file is damaged ({exc})") from None
    return messages


def _dev_names(messages: dict) -> dict[int, str]:
    """The SDK keys a record's developer fields by the position of their field description."""
    return {i: f"dev_{_snake(d.get('field_name') or f'field_{i}')}"
            for i, d in enumerate(messages.get("field_description_mesgs", []))}


def _records_frame(records: list[dict], dev_names: dict[int, str]) -> pd.DataFrame:
    rows = []
    for r in records:
        row = {"timestamp": r.get("timestamp")}
        cad = r.get("cadence")
        if cad is not None:
            row["cadence_spm"] = 2.0 * (cad + (r.get("fractional_cadence") or 0.0))
        for key, (col, factor) in _RECORD_FIELDS.items():
            v = r.get(key)
            if v is not None:
                row[col] = float(v) * factor
        speed = r.get("enhanced_speed", r.get("speed"))
        if speed is not None:
            row["speed_mps"] = float(speed)
        for num, value in (r.get("developer_fields") or {}).items():
            if isinstance(value, (int, float)):
                row[dev_names.get(num, f"dev_field_{num}")] = float(value)
        rows.append(row)
    return pd.DataFrame(rows)


def read_fit_records(path: str | Path, *, reader: str = "auto") -> FitRecords:
    """Read a FIT activity's running sessions: one row per record, the legs and laps (reading only).

    ``reader``: ``auto`` (Garmin's SDK, fitdecode where the SDK cannot read the file), ``sdk`` or
    ``fitdecode``.

    Raises
    ------
    BadInputError : not FIT, damaged or truncated, or without running sessions or records.
    NotRunningError : the activity is a walk or hike.
    """
    path = Path(path)
    if reader not in READERS:
        raise ValueError(f"reader must be one of {READERS}, got {reader!r}")
    messages, warnings = _decode(path, reader)
    records = [r for r in messages.get("record_mesgs", []) if r.get("timestamp") is not None]
    sessions = messages.get("session_mesgs", []) or _whole_file_session(messages, records, warnings)
    sports = [str(s.get("sport")) for s in sessions]
    runs = [s for s in sessions if str(s.get("sport")) in _RUNNING]
    if not runs:
        if any(sp in _WALKING for sp in sports):
            raise NotRunningError(f"{path.name} is a {sports[0]} activity, not a run")
        raise BadInputError(f"{path.name} has no running session (sports: {', '.join(sports) or 'none'})")
    if not records:
        raise BadInputError(f"{path.name} has no records")
    frame = _records_frame(records, _dev_names(messages))
    ts = pd.to_datetime(frame.pop("timestamp"), utc=True)
    keep, legs, windows = _running_legs(runs, ts)
    if len(sessions) > len(runs):
        warnings.append(Notice("multisport",
                        f"multisport file: kept {len(runs)} running leg(s) of {len(sessions)} sessions "
                        f"({', '.join(sports)})"))
    frame, ts = frame[keep].reset_index(drop=True), ts[keep].reset_index(drop=True)
    frame = frame.dropna(axis=1, how="all")
    _fill_from_developer_fields(frame, messages.get("field_description_mesgs", []), warnings)
    if frame.empty:
        raise BadInputError(f"{path.name}: no records fall inside its running sessions")
    t0 = ts.iloc[0]
    frame.insert(0, "time_s", (ts - t0).dt.total_seconds())
    laps = _laps(messages.get("lap_mesgs", []), windows, t0)
    if laps:
        starts = pd.to_datetime([lap["start"] for lap in laps], utc=True)
        frame.insert(1, "lap", np.searchsorted(starts.to_numpy(), ts.to_numpy(), side="right").clip(1, None))
    return FitRecords(frame=frame, start=t0.isoformat(), legs=legs, laps=laps, warnings=warnings)


def analyze_fit(records: FitRecords, *, source: dict | None = None) -> AnalysisResult:
    """A watch file's result: its records as rows (the device's own values), their summary, and whether the
    file has running dynamics at all; ``source`` is what the file is (path, hash ...)."""
    frame, warnings = records.frame, list(records.warnings)
    missing = [c for c in DYNAMICS if c not in frame.columns or frame[c].notna().sum() == 0]
    if len(missing) == len(DYNAMICS):
        have = [c for c in frame.columns if c not in ("time_s", "lap")]
        warnings.append(Notice("no_running_dynamics",
                        "no running dynamics (vertical oscillation, ground contact, step length) in this file; "
                        f"it has {', '.join(have)}"))
    return AnalysisResult(
        source={"kind": "fit", **(source or {}), "fps": None,
                "duration_s": float(frame.time_s.iloc[-1]), "samples": int(len(frame)),
                "start": records.start, "legs": records.legs, "laps": records.laps},
        engine=engine_info(), rows=frame, settings={}, row_unit="record",
        summary=add_uncertainty(summarize_records(frame), frame, kind="sensor"),
        warnings=warnings)


def read_fit(path: str | Path, *, sha256: str = "", reader: str = "auto", source: dict | None = None) -> AnalysisResult:
    """Read and analyse a FIT file in one call (:func:`read_fit_records` then :func:`analyze_fit`)."""
    return analyze_fit(read_fit_records(path, reader=reader),
                       source={"path": str(path), "sha256": sha256, **(source or {})})


def _running_legs(runs: list[dict], ts: pd.Series) -> tuple[np.ndarray, list[dict], list[tuple]]:
    """Which records fall in a running session, the sessions as legs, and their time windows."""
    keep = np.zeros(len(ts), bool)
    legs, windows = [], []
    for s in runs:
        start = pd.Timestamp(s.get("start_time"))
        duration = float(s.get("total_elapsed_time") or 0.0)
        windows.append((start, start + pd.Timedelta(seconds=duration)))
        inside = ((ts >= start) & (ts <= windows[-1][1])).to_numpy()
        keep |= inside
        legs.append({"start": start.isoformat(), "duration_s": duration, "records": int(inside.sum())})
    return keep, legs, windows


#: Developer fields that stand in for missing native running dynamics (a Stryd pod without a heart-rate strap
#: writes ground time and vertical oscillation only as developer fields): snake name -> (column, unit -> factor)
_DEV_STAND_INS = {
    "ground_time": ("ground_contact_ms", {"ms": 1.0, "milliseconds": 1.0}),
    "vertical_oscillation": ("vertical_oscillation_cm", {"cm": 1.0, "centimeters": 1.0, "mm": 0.1, "millimeters": 0.1}),
}


def _fill_from_developer_fields(frame: pd.DataFrame, descriptions: list[dict], warnings: list[str]) -> None:
    """Fill a missing running-dynamics column from a developer field that measures it, in the units the
    field declares; the developer column stays as it is."""
    for d in descriptions:
        name = _snake(d.get("field_name") or "")
        if name not in _DEV_STAND_INS or f"dev_{name}" not in frame.columns:
            continue
        column, factors = _DEV_STAND_INS[name]
        if column in frame.columns and frame[column].notna().any():
            continue                                    # the native field wins
        unit = _snake(d.get("units") or "")
        if unit not in factors:
            warnings.append(Notice("developer_units",
                            f"developer field '{d.get('field_name')}' is in '{d.get('units')}', which leanline "
                            f"does not convert; {column} is left empty"))
            continue
        frame[column] = frame[f"dev_{name}"] * factors[unit]
        warnings.append(Notice("developer_stand_in",
                        f"{column} comes from the developer field '{d.get('field_name')}' ({d.get('units')}): "
                        "the file has no native one"))


def _whole_file_session(messages: dict, records: list[dict], warnings: list[str]) -> list[dict]:
    """A file without session messages (a recording cut off before the watch wrote its summary): one
    session over all its records, of the sport its sport message names (running when it names none)."""
    if not records:
        return []
    sport = next((m.get("sport") for m in messages.get("sport_mesgs", []) if m.get("sport") is not None), "running")
    first, last = pd.Timestamp(records[0]["timestamp"]), pd.Timestamp(records[-1]["timestamp"])
    warnings.append(Notice("no_session_summary",
                    "the file has no session summary (was the recording cut off?); all its records are taken "
                    f"as one {sport} session"))
    return [{"sport": sport, "start_time": first, "total_elapsed_time": (last - first).total_seconds()}]


def _laps(laps: list[dict], windows: list[tuple[pd.Timestamp, pd.Timestamp]], t0: pd.Timestamp) -> list[dict]:
    """The laps of the running sessions: start, offset from the first record, duration, distance."""
    out = []
    for lap in laps:
        if lap.get("start_time") is None:
            continue
        start = pd.Timestamp(lap["start_time"])
        duration = float(lap.get("total_elapsed_time") or 0.0)
        if not any(a <= start < b for a, b in windows):
            continue
        out.append({"start": start.isoformat(), "start_s": (start - t0).total_seconds(), "duration_s": duration,
                    "distance_m": float(lap["total_distance"]) if lap.get("total_distance") is not None else None})
    out.sort(key=lambda lap: lap["start"])
    return out


def summarize_records(frame: pd.DataFrame) -> dict:
    """Median/mean/SD/n of every numeric column (moving records only for the gait columns)."""
    moving = frame
    if "speed_mps" in frame and "cadence_spm" in frame:
        moving = frame[(frame.cadence_spm.fillna(0) > 0)]
    out = {}
    for col in frame.columns:
        if col in ("time_s", "lap"):
            continue
        src = moving if col in ("cadence_spm", *DYNAMICS, "stance_time_percent", "gct_balance_pct") else frame
        v = pd.to_numeric(src[col], errors="coerce").dropna().to_numpy(float)
        if col in DYNAMICS or col == "cadence_spm":
            v = v[v > 0]
        out[col] = {"median": float(np.median(v)) if v.size else math.nan,
                    "mean": float(np.mean(v)) if v.size else math.nan,
                    "sd": float(np.std(v, ddof=1)) if v.size > 1 else math.nan, "n": int(v.size)}
    if "gct_balance_pct" in out:
        out["gct_balance_pct"] = out["gct_balance_pct"]["mean"]    # type: ignore[assignment]  # one number
    return out

