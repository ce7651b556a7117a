"""Synthetic watch files: the synthetic runner's running dynamics as a FIT activity, with exact truth.

:func:`watch_records` makes what a watch with a chest strap or a foot pod logs once a second while the
synthetic runner runs: cadence, ground contact, vertical oscillation, stance time percent and
balance, step length, vertical ratio, speed, distance, heart rate, and a Stryd-like pod's power, form
power and leg spring stiffness. Each record is the runner's exact value times a slow random wander
of about 1 % (a watch reports a smoothed estimate, never the same number twice), so the per-record
truth is the table itself and the medians stay within ~1 % of the runner's parameters.

:func:`write_fit` encodes records, laps and sessions with Garmin's ``garmin-fit-sdk`` encoder: a real
FIT file (header and file CRC), decodable by any FIT reader.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.synth.runner import RunnerParams

#: Stryd-like developer fields: (key, name, units, FIT base type, column)
DEV_FIELDS = (
    (0, "Power", "Watts", "uint16", "power_w"),
    (1, "Form Power", "Watts", "uint16", "form_power_w"),
    (2, "Leg Spring Stiffness", "KN/m", "float32", "leg_spring_kn_m"),
)
#: What a foot pod without a heart-rate strap writes instead of the native running dynamics.
POD_DYNAMICS_FIELDS = (
    (3, "Ground Time", "Milliseconds", "float32", "ground_contact_ms"),
    (4, "Vertical Oscillation", "Centimeters", "float32", "vertical_oscillation_cm"),
)
_BASE_TYPE = {"uint16": 0x84, "float32": 0x88}
_DEV_APP_ID = list(b"leanline-synth-1")


def _mesg_nums() -> dict[str, int]:
    from garmin_fit_sdk import Profile

    return {name: num for num, name in Profile["types"]["mesg_num"].items()}


def _wander(n: int, rng: np.random.Generator, sd: float = 0.01, tau_s: float = 30.0) -> np.ndarray:
    """A slow AR(1) factor around 1 (one value per second) with the given SD."""
    a = np.exp(-1.0 / tau_s)
    e = rng.normal(0.0, sd * np.sqrt(1 - a * a), n)
    x = np.empty(n)
    x[0] = rng.normal(0.0, sd)
    for i in range(1, n):
        x[i] = a * x[i - 1] + e[i]
    return 1.0 + x


def watch_records(params: RunnerParams, *, duration_s: float, seed: int = 0, mass_kg: float = 68.0) -> pd.DataFrame:
    """One row per second with METRICS.md's column names (the values the FIT file will hold)."""
    rng = np.random.default_rng(seed)
    n = int(duration_s)
    t = np.arange(n, dtype=float)
    step_s, gct_s = params.step_s, params.contact_s
    cadence = params.cadence_spm * _wander(n, rng)
    speed = params.speed_mps * _wander(n, rng, 0.008)
    gct = gct_s * 1000.0 * _wander(n, rng)
    vo = params.vertical_oscillation_cm * _wander(n, rng, 0.015)
    step_len = speed / (cadence / 60.0) * 100.0
    hr = 138.0 + 22.0 * (1.0 - np.exp(-t / 300.0)) + rng.normal(0.0, 1.0, n)
    # running power ~ 1.04 W/kg per m/s on the flat; form power ~ 22 % of it
    power = 1.04 * mass_kg * speed
    kleg = mass_kg * 9.80665 * (1.0 + np.pi * (step_s - gct_s) / (2 * gct_s)) / (0.06 + vo / 100.0) / 1000.0
    return pd.DataFrame({
        "time_s": t,
        "cadence_spm": cadence,
        "ground_contact_ms": gct,
        "stance_time_percent": gct / (2 * step_s * 1000.0) * 100.0,
        "gct_balance_pct": 50.0 + 0.6 * _wander(n, rng, 0.5) - 0.6,
        "vertical_oscillation_cm": vo,
        "step_length_cm": step_len,
        "vertical_ratio_pct": vo / step_len * 100.0,
        "speed_mps": speed,
        "distance_m": np.cumsum(speed),
        "heart_rate_bpm": np.round(hr),
        "power_w": np.round(power),
        "form_power_w": np.round(0.22 * power),
        "leg_spring_kn_m": kleg,
    })


def write_fit(path: str | Path, records: pd.DataFrame, *, start: dt.datetime, sport: str = "running",
              sub_sport: str = "treadmill", lap_m: float = 1000.0, developer: bool = True,
              summary: bool = True, pod_only: bool = False) -> Path:
    """Encode one activity (file id, events, records, laps, one session) and write it to ``path``.

    ``summary=False`` leaves out laps, session and activity, as in a recording cut off before the watch
    wrote them; the sport then goes in a ``sport`` message. ``pod_only=True`` writes ground contact and
    vertical oscillation only as a foot pod's developer fields, as a pod without a heart-rate strap does.
    """
    dev_fields = DEV_FIELDS + (POD_DYNAMICS_FIELDS if pod_only else ())
    native_only = ("ground_contact_ms", "vertical_oscillation_cm", "stance_time_percent", "gct_balance_pct",
                   "vertical_ratio_pct") if pod_only else ()
    from garmin_fit_sdk import Encoder

    m = _mesg_nums()
    enc = Encoder()
    when = lambda s: start + dt.timedelta(seconds=float(s))  # noqa: E731
    enc.write_mesg({"mesg_num": m["file_id"], "type": "activity", "manufacturer": "development", "product": 1,
                    "serial_number": 20261121, "time_created": start})
    enc.write_mesg({"mesg_num": m["device_info"], "timestamp": start, "manufacturer": "development", "product": 1})
    if developer:
        dev_id: Any = {"mesg_num": m["developer_data_id"], "developer_data_index": 0, "application_id": _DEV_APP_ID,
                  "application_version": 1}
        enc.write_mesg(dev_id)
        for key, name, units, base, _ in dev_fields:
            desc: Any = {"mesg_num": m["field_description"], "developer_data_index": 0, "field_definition_number": key,
                    "fit_base_type_id": _BASE_TYPE[base], "field_name": name, "units": units,
                    "native_mesg_num": m["record"] if key != 2 else None}
            desc = {k: v for k, v in desc.items() if v is not None}
            enc.write_mesg(desc)
            enc.add_developer_field(key, dev_id, desc)
    enc.write_mesg({"mesg_num": m["event"], "timestamp": start, "event": "timer", "event_type": "start"})
    laps: list[tuple[int, int]] = []
    lap_start = 0
    for i, r in enumerate(records.itertuples(index=False)):
        cad = float(r.cadence_spm) / 2.0                       # FIT: strides per minute, whole + fraction
        mesg = {"mesg_num": m["record"], "timestamp": when(r.time_s), "cadence": int(cad),
                "fractional_cadence": cad - int(cad), "enhanced_speed": float(r.speed_mps),
                "distance": float(r.distance_m), "heart_rate": int(r.heart_rate_bpm)}
        for col, field, factor in (("ground_contact_ms", "stance_time", 1.0), ("stance_time_percent",
                                   "stance_time_percent", 1.0), ("gct_balance_pct", "stance_time_balance", 1.0),
                                   ("vertical_oscillation_cm", "vertical_oscillation", 10.0),
                                   ("step_length_cm", "step_length", 10.0), ("vertical_ratio_pct", "vertical_ratio",
                                                                             1.0)):
            if col in records.columns and col not in native_only and np.isfinite(getattr(r, col)):
                mesg[field] = float(getattr(r, col)) * factor
        if developer:
            mesg["developer_fields"] = {key: (float(getattr(r, col)) if base == "float32" else int(getattr(r, col)))
                                        for key, _, _, base, col in dev_fields}
        enc.write_mesg(mesg)
        if float(r.distance_m) >= (len(laps) + 1) * lap_m or i == len(records) - 1:
            laps.append((lap_start, i))
            lap_start = i + 1
    end_s = float(records["time_s"].iloc[-1])
    if summary:
        for a, b in laps:
            enc.write_mesg(_summary_mesg(m["lap"], records.iloc[a:b + 1], when, sport, sub_sport))
        enc.write_mesg({"mesg_num": m["event"], "timestamp": when(end_s), "event": "timer", "event_type": "stop_all"})
        session = _summary_mesg(m["session"], records, when, sport, sub_sport)
        session |= {"first_lap_index": 0, "num_laps": len(laps)}
        enc.write_mesg(session)
        enc.write_mesg({"mesg_num": m["activity"], "timestamp": when(end_s), "num_sessions": 1, "type": "manual",
                        "event": "activity", "event_type": "stop", "total_timer_time": end_s})
    else:
        enc.write_mesg({"mesg_num": m["sport"], "sport": sport, "sub_sport": sub_sport})
    path = Path(path)
    path.write_bytes(enc.close())
    return path


def _summary_mesg(num: int, part: pd.DataFrame, when, sport: str, sub_sport: str) -> dict:
    t0, t1 = float(part["time_s"].iloc[0]), float(part["time_s"].iloc[-1])
    d0 = float(part["distance_m"].iloc[0] - part["speed_mps"].iloc[0])
    cad = float(part["cadence_spm"].mean()) / 2.0
    return {"mesg_num": num, "timestamp": when(t1 + 1.0), "start_time": when(t0), "sport": sport,
            "sub_sport": sub_sport,
            "total_elapsed_time": t1 - t0 + 1.0, "total_timer_time": t1 - t0 + 1.0,
            "total_distance": float(part["distance_m"].iloc[-1]) - d0,
            "enhanced_avg_speed": float(part["speed_mps"].mean()), "avg_heart_rate": int(part["heart_rate_bpm"].mean()),
            "avg_running_cadence": int(cad), "avg_fractional_cadence": cad - int(cad),
            "avg_stance_time": float(part["ground_contact_ms"].mean()),
            "avg_vertical_oscillation": float(part["vertical_oscillation_cm"].mean()) * 10.0}
