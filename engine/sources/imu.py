"""Raw IMU recordings (accelerometer, optionally gyroscope) read into one validated signal type.

Formats recognised from the header: the generic ``time, ax, ay, az[, gx, gy, gz]`` (also ``x, y, z``
and ``acc_x`` ...), phyphox's "Acceleration x (m/s^2)" columns, Sensor Logger exports
(``TotalAcceleration.csv``, or ``Accelerometer.csv`` plus ``Gravity.csv``, alone or in the app's
zip), and GENEActiv's CSV export (device header, then time-stamped rows in g). Separators ``,``
``;`` or tab; decimal commas and UTF-16 exports are read. Acceleration in g or m/s² (from the header's
unit, else from the size of gravity: the acceleration's mean over two seconds is ~1 in g and ~9.8 in
m/s², whatever the duty factor); time in s, ms or ns (from the header, else from the sampling
interval). Everything is resampled to a fixed rate (the recording's own, rounded).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import BadInputError
from engine.notices import Notice
from engine.sources.text import decode_text, read_file

G = 9.80665
PLACEMENTS = ("waist", "foot", "wrist")

_TIME_NAMES = ("time_s", "time", "t", "seconds_elapsed", "timestamp", "time (s)", "elapsed")
_AXIS_SETS = (
    ("ax", "ay", "az"), ("acc_x", "acc_y", "acc_z"), ("accx", "accy", "accz"), ("x", "y", "z"),
    ("acceleration x", "acceleration y", "acceleration z"),
)
_GYRO_SETS = (("gx", "gy", "gz"), ("gyr_x", "gyr_y", "gyr_z"), ("gyro_x", "gyro_y", "gyro_z"),
              ("gyroscope x", "gyroscope y", "gyroscope z"))


@dataclass
class ImuSignal:
    """Accelerometer (m/s², sensor axes, gravity included) and optional gyroscope (rad/s) on a uniform clock."""

    time_s: np.ndarray
    acc_mps2: np.ndarray
    rate_hz: float
    gyro_rads: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return float(self.time_s[-1] - self.time_s[0]) if len(self.time_s) else 0.0


def _clean(name: str) -> tuple[str, str]:
    """(bare lower-case name, unit text) of a header cell such as 'Acceleration x (m/s^2)'."""
    name = str(name).strip().strip('"').lower()
    m = re.match(r"^(.*?)\s*[\(\[]([^\)\]]*)[\)\]]\s*$", name)
    return (m.group(1).strip(), m.group(2).strip()) if m else (name, "")


#: The most a zip may inflate to (all the members leanline reads): a day of 100 Hz samples fits many times.
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
#: A recording longer than this is not one run (a clock glitch, or the wrong time unit).
MAX_SPAN_S = 24 * 3600.0
#: A pause longer than this many sampling intervals (and at least a second) splits the recording.
GAP_INTERVALS = 50.0
#: No body-worn accelerometer records more than this (the largest ranges are +-200 g).
MAX_ABS_G = 500.0


def _separator(text: str) -> str:
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")), "")
    return max((",", ";", "\t"), key=first.count)


def _read_table(text: str, name: str) -> pd.DataFrame:
    sep = _separator(text)
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, comment="#", skipinitialspace=True)
        if sep != "," and _decimal_commas(df):
            df = pd.read_csv(io.StringIO(text), sep=sep, comment="#", skipinitialspace=True, decimal=",")
        return df
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise BadInputError(f"{name}: not a readable CSV ({exc})") from None


def _decimal_commas(df: pd.DataFrame) -> bool:
    """Whether text columns hold numbers written with a decimal comma (``9,81``: European exports)."""
    text_cols = [c for c in df.columns if df[c].dtype == object]
    for c in text_cols:
        sample = df[c].dropna().astype(str).head(50)
        if len(sample) and sample.str.fullmatch(r"\s*-?\d+,\d+(?:[eE][-+]?\d+)?\s*").mean() > 0.8:
            return True
    return False


def _geneactiv(text: str, name: str) -> pd.DataFrame:
    """GENEActiv's CSV export: ~100 lines of device and subject header, then headerless rows of
    ``YYYY-MM-DD hh:mm:ss:mmm, x, y, z (g), light, button, temperature``."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3},", ln)), None)
    if start is None:
        raise BadInputError(f"{name}: a GENEActiv export without data rows")
    try:
        raw = pd.read_csv(io.StringIO("\n".join(lines[start:])), header=None, usecols=[0, 1, 2, 3])
        stamps = pd.to_datetime(raw[0], format="%Y-%m-%d %H:%M:%S:%f")
    except (pd.errors.ParserError, ValueError) as exc:
        raise BadInputError(f"{name}: the GENEActiv data rows cannot be read ({exc})") from None
    seconds = (stamps - stamps.iloc[0]).dt.total_seconds()
    return pd.DataFrame({"time (s)": seconds, "x (g)": raw[1], "y (g)": raw[2], "z (g)": raw[3]})


def _find(cols: dict[str, str], names) -> str | None:
    for n in names:
        if n in cols:
            return cols[n]
    return None


def _columns(df: pd.DataFrame, name: str) -> tuple[str, tuple[str, ...], tuple[str, ...] | None, dict]:
    bare: dict[str, str] = {}
    units: dict[str, str] = {}
    for c in df.columns:
        b, u = _clean(c)
        bare.setdefault(b, c)
        units[c] = u
    time_col = _find(bare, _TIME_NAMES)
    acc = next((tuple(bare[a] for a in s) for s in _AXIS_SETS if all(a in bare for a in s)), None)
    gyro = next((tuple(bare[a] for a in s) for s in _GYRO_SETS if all(a in bare for a in s)), None)
    linear = any(b.startswith("linear acceleration") for b in bare)
    problems = []
    if time_col is None:
        problems.append("no time column (time_s, time, t, seconds_elapsed or 'Time (s)')")
    if acc is None:
        problems.append("no accelerometer columns (ax, ay, az / x, y, z / acc_x ... / 'Acceleration x (m/s^2)')"
                        + (" - 'Linear Acceleration' has gravity removed: export 'Acceleration with g'"
                           if linear else ""))
    if problems:
        raise BadInputError(f"{name}: {'; '.join(problems)}; found columns: {', '.join(map(str, df.columns))}")
    assert time_col is not None and acc is not None   # refused above otherwise
    return time_col, acc, gyro, {c: units[c] for c in df.columns}


def _clock_times(column: pd.Series) -> np.ndarray | None:
    """Seconds from the first sample of a column of date-time text, or None when it is not one."""
    text = column.astype(str).str.strip()
    for fmt in ("ISO8601", "%Y-%m-%d %H:%M:%S:%f", "%H:%M:%S.%f"):
        try:
            stamps = pd.to_datetime(text, format=fmt, errors="coerce")
        except (ValueError, TypeError):
            continue
        if stamps.notna().mean() > 0.95:
            seconds = (stamps - stamps.dropna().iloc[0]).dt.total_seconds()
            return seconds.to_numpy(float)
    return None


def _time_seconds(t: np.ndarray, unit: str, declared: str) -> tuple[np.ndarray, str]:
    unit = (declared if declared != "auto" else unit).lower()
    if unit in ("s", "sec", "seconds"):
        return t - t[0], "s"
    if unit in ("ms", "millis", "milliseconds"):
        return (t - t[0]) / 1e3, "ms"
    if unit in ("ns", "nanoseconds"):
        return (t - t[0]) / 1e9, "ns"
    dt = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    # plausible IMU rates are 10-2000 Hz; pick the unit that puts the interval in 0.5-100 ms
    for scale, name in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns")):
        if 5e-4 <= dt * scale <= 0.1:
            return (t - t[0]) * scale, name
    raise BadInputError(f"cannot tell the time unit: the median sampling interval is {dt:g} in the file's units")


def gravity_magnitude(acc: np.ndarray, rate_hz: float, *, window_s: float = 2.0) -> float:
    """The size of gravity in the recording's units: the median length of the acceleration's 2-s mean vector.

    Averaged over whole strides the body neither speeds up nor slows down, so the mean specific force is
    gravity, whatever the duty factor. The median magnitude is not: a fast runner is in flight (0 g) for
    most of the time and on the ground (3-5 g) for the rest. Acceleration with gravity removed averages to
    about zero.
    """
    from scipy.ndimage import uniform_filter1d

    n = int(np.clip(round(window_s * rate_hz), 3, max(3, len(acc))))
    mean = uniform_filter1d(acc, size=n, axis=0, mode="nearest")
    return float(np.median(np.linalg.norm(mean, axis=1)))


def _acc_scale(acc: np.ndarray, unit: str, declared: str, name: str, rate_hz: float) -> tuple[float, str]:
    unit = (declared if declared != "auto" else unit).lower().replace(" ", "")
    norm = gravity_magnitude(acc, rate_hz)
    if unit == "g":
        scale, text = G, "g"
    elif unit in ("m/s^2", "m/s2", "m/s²", "mps2"):
        scale, text = 1.0, "m/s^2"
    elif 0.3 <= norm <= 3.0:
        scale, text = G, "g (detected)"
    elif 3.0 < norm <= 30.0:
        scale, text = 1.0, "m/s^2 (detected)"
    elif norm < 0.3:
        scale, text = 1.0, "unknown"
    else:
        raise BadInputError(f"{name}: acceleration whose mean is {norm:.1f} is neither g nor m/s^2; declare the "
                            "unit (--acc-unit g or m/s^2)")
    if norm * scale > 3.0 * G:                # an ankle sensor that clips its impacts reads ~2 g
        raise BadInputError(f"{name}: in {text} gravity would be {norm * scale / G:.1f} g; is the unit right?")
    if norm * scale < 0.5 * G:
        raise BadInputError(f"{name}: the acceleration has no gravity in it (its mean is "
                            f"{norm * scale / G:.2f} g in {text}); leanline needs acceleration including gravity "
                            "(phyphox 'Acceleration with g', Sensor Logger TotalAcceleration)")
    return scale, text


def _value_problems(acc: np.ndarray) -> list[str]:
    """Values no accelerometer records: infinities, and magnitudes past any sensor's range."""
    problems = []
    bad = ~np.isfinite(acc).all(axis=1)
    if bad.any():
        problems.append(f"{int(bad.sum())} samples are infinite (first at file line {int(np.argmax(bad)) + 2})")
    big = np.isfinite(acc).all(axis=1) & (np.abs(acc).max(axis=1) > MAX_ABS_G * G)
    if big.any():
        problems.append(f"{int(big.sum())} samples exceed {MAX_ABS_G:g} g in any unit (up to "
                        f"{float(np.abs(acc[big]).max()):.3g}; first at file line {int(np.argmax(big)) + 2}): "
                        "not accelerometer values")
    return problems


def split_at_gaps(t_s: np.ndarray) -> tuple[slice, list[str]]:
    """The longest stretch of samples without a pause (a clock glitch, a paused recording), and what was
    left out. A gap is an interval over ``GAP_INTERVALS`` median intervals and over 1 s."""
    dt = np.diff(t_s)
    typical = float(np.median(dt))
    gaps = np.flatnonzero(dt > max(1.0, GAP_INTERVALS * typical))
    if not gaps.size:
        return slice(0, len(t_s)), []
    edges = np.concatenate([[0], gaps + 1, [len(t_s)]])
    k = int(np.argmax(np.diff(edges)))
    keep = slice(int(edges[k]), int(edges[k + 1]))
    kept_s = float(t_s[keep.stop - 1] - t_s[keep.start])
    biggest = int(gaps[np.argmax(dt[gaps])])
    note = (f"the time jumps {len(gaps)} time{'s' if len(gaps) > 1 else ''} (largest {dt[biggest]:.4g} s after "
            f"{t_s[biggest]:.1f} s); analysed the longest stretch without a jump, "
            f"{f'{kept_s:.0f} s' if kept_s < 120 else f'{kept_s / 60:.1f} min'} "
            f"({keep.stop - keep.start} of {len(t_s)} samples)")
    return keep, [Notice("time_gap", note)]


def signal_from_table(df: pd.DataFrame, *, name: str, acc_unit: str = "auto", time_unit: str = "auto",
                      rate_hz: float | None = None) -> ImuSignal:
    """Validate a table of samples and resample it to ``rate_hz`` (default: the recording's own rate, rounded,
    within 50-1000 Hz); every problem is named at once."""
    time_col, acc_cols, gyro_cols, units = _columns(df, name)
    cols = [time_col, *acc_cols, *(gyro_cols or ())]
    data = df[cols].apply(pd.to_numeric, errors="coerce")
    stamps = _clock_times(df[time_col]) if data[time_col].isna().mean() > 0.5 else None
    if stamps is not None:                  # "2026-10-01 07:00:00.010" or ISO 8601: seconds from the first
        data[time_col] = stamps
        units[time_col] = "s"
    problems = []
    bad = data.index[data.isna().any(axis=1)]
    if len(bad):
        rows = ", ".join(str(i + 2) for i in bad[:5]) + (" ..." if len(bad) > 5 else "")
        problems.append(f"{len(bad)} rows with empty or non-numeric values (file lines {rows})")
    t = data[time_col].to_numpy(float)
    back = np.flatnonzero(np.diff(t) <= 0) if len(bad) == 0 else np.array([], int)
    if len(back):
        problems.append(f"time does not increase at {len(back)} places (first at file line {back[0] + 3})")
    if len(data) < 2 or (len(bad) == 0 and t[-1] - t[0] <= 0):
        problems.append("fewer than two samples")
    if problems:
        raise BadInputError(f"{name}: " + "; ".join(problems))
    t_s, t_unit = _time_seconds(t, units.get(time_col, ""), time_unit)
    acc = data[list(acc_cols)].to_numpy(float)
    value_problems = _value_problems(acc)
    if value_problems:
        raise BadInputError(f"{name}: " + "; ".join(value_problems))
    if t_s[-1] > MAX_SPAN_S:
        jump = int(np.argmax(np.diff(t_s)))
        raise BadInputError(f"{name}: the samples span {t_s[-1] / 3600:,.0f} h, more than any run (the time jumps "
                            f"by {t_s[jump + 1] - t_s[jump]:,.0f} s at file line {jump + 3}); a clock glitch, or "
                            f"the wrong time unit (read as {t_unit})?")
    keep, notes = split_at_gaps(t_s)
    t_s, acc = t_s[keep] - t_s[keep][0], acc[keep]
    rate_in = 1.0 / float(np.median(np.diff(t_s)))
    scale, a_unit = _acc_scale(acc, units.get(acc_cols[0], ""), acc_unit, name, rate_in)
    if t_s[-1] < 10.0:
        raise BadInputError(f"{name}: only {t_s[-1]:.1f} s of data; a run needs at least 10 s")
    rate = float(rate_hz) if rate_hz else float(np.clip(round(rate_in), 50, 1000))
    grid = np.arange(0.0, t_s[-1], 1.0 / rate)
    acc_u = np.column_stack([np.interp(grid, t_s, acc[:, k] * scale) for k in range(3)])
    meta = {"acc_unit": a_unit, "time_unit": t_unit, "source_rate_hz": round(rate_in, 2), "samples_in": int(len(t)),
            "warnings": notes}
    gyro_u = None
    if gyro_cols:
        g = data[list(gyro_cols)].to_numpy(float)[keep]
        g_unit = _gyro_unit(g, units.get(gyro_cols[0], ""))
        if g_unit == "deg/s":
            g = np.deg2rad(g)
        if not np.isfinite(g).all():
            raise BadInputError(f"{name}: {int((~np.isfinite(g)).any(axis=1).sum())} gyroscope samples are infinite")
        gyro_u = np.column_stack([np.interp(grid, t_s, g[:, k]) for k in range(3)])
        meta["gyro_unit"] = g_unit
    return ImuSignal(time_s=grid, acc_mps2=acc_u, rate_hz=rate, gyro_rads=gyro_u, meta=meta)


def _gyro_unit(g: np.ndarray, unit: str) -> str:
    """deg/s or rad/s: from the header's unit, else from the size (no body segment turns at 50 rad/s)."""
    if "deg" in unit or "°" in unit or "dps" in unit:
        return "deg/s"
    if "rad" in unit:
        return "rad/s"
    return "deg/s" if float(np.percentile(np.abs(g), 99)) > 50.0 else "rad/s"


def _sensor_logger(files: dict[str, str], name: str) -> pd.DataFrame | None:
    """Sensor Logger: TotalAcceleration, or Accelerometer + Gravity (both without/with g split), plus
    Gyroscope (rad/s) when the zip has it, on the accelerometer's clock."""
    low = {Path(k).name.lower(): v for k, v in files.items()}
    if "totalacceleration.csv" in low:
        out = _read_table(low["totalacceleration.csv"], name)
    elif "accelerometer.csv" in low and "gravity.csv" in low:
        acc = _read_table(low["accelerometer.csv"], name)
        grav = _read_table(low["gravity.csv"], name)
        n = min(len(acc), len(grav))
        out = acc.iloc[:n].copy()
        for ax in ("x", "y", "z"):
            out[ax] = acc[ax].to_numpy()[:n] + grav[ax].to_numpy()[:n]
    elif "accelerometer.csv" in low:
        out = _read_table(low["accelerometer.csv"], name)
    else:
        return None
    if "gyroscope.csv" in low and "seconds_elapsed" in out.columns:
        gyro = _read_table(low["gyroscope.csv"], name)
        if {"seconds_elapsed", "x", "y", "z"} <= set(gyro.columns):
            gyro = gyro.apply(pd.to_numeric, errors="coerce").dropna().sort_values("seconds_elapsed")
            t = pd.to_numeric(out["seconds_elapsed"], errors="coerce").to_numpy(float)
            for ax in ("x", "y", "z"):
                out[f"gyro_{ax} (rad/s)"] = np.interp(t, gyro["seconds_elapsed"].to_numpy(float),
                                                      gyro[ax].to_numpy(float))
    return out


#: The members of a Sensor Logger zip that leanline reads (others, such as Location.csv, are never inflated).
_ZIP_MEMBERS = ("totalacceleration.csv", "accelerometer.csv", "gravity.csv", "gyroscope.csv")


def _zip_table(path: Path) -> pd.DataFrame:
    """The sample table of a zip: Sensor Logger's members, or its one CSV. The sizes the zip declares are
    checked before anything is inflated, and each member is read through a bounded stream (a zip can
    lie about its sizes), so a small zip that inflates to gigabytes is refused without the memory."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            csvs = [i for i in zf.infolist() if i.filename.lower().endswith(".csv") and not i.is_dir()]
            wanted = [i for i in csvs if Path(i.filename).name.lower() in _ZIP_MEMBERS]
            wanted = wanted or (csvs if len(csvs) == 1 else [])
            if not wanted:
                raise BadInputError(f"{name}: no TotalAcceleration.csv or Accelerometer.csv inside "
                                    f"(found: {', '.join(sorted(i.filename for i in csvs)) or 'no CSV files'})")
            declared = sum(i.file_size for i in wanted)
            if declared > MAX_UNZIPPED_BYTES:
                raise BadInputError(f"{name}: its recordings inflate to {declared / 2**20:.0f} MB, more than the "
                                    f"{MAX_UNZIPPED_BYTES / 2**20:.0f} MB leanline reads from a zip")
            if any(i.flag_bits & 0x1 for i in wanted):
                raise BadInputError(f"{name} is encrypted; export the recording without a password")
            files = {i.filename: decode_text(_bounded_read(zf, i, name), name) for i in wanted}
    except zipfile.BadZipFile:
        raise BadInputError(f"{name} is not a readable zip file") from None
    except NotImplementedError as exc:
        raise BadInputError(f"{name} uses a zip compression leanline cannot read ({exc}); re-zip it with the "
                            "usual (deflate) compression") from None
    except (RuntimeError, OSError, EOFError, zlib.error) as exc:   # zipfile's errors for passwords and damage
        raise BadInputError(f"{name}: the zip cannot be read ({exc})") from None
    df = _sensor_logger(files, name)
    return df if df is not None else _read_table(next(iter(files.values())), name)


def _bounded_read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytearray:
    out = bytearray()
    with zf.open(info) as fh:
        while chunk := fh.read(1 << 20):
            out += chunk
            if len(out) > MAX_UNZIPPED_BYTES:
                raise BadInputError(f"{name}: {info.filename} inflates to more than "
                                    f"{MAX_UNZIPPED_BYTES / 2**20:.0f} MB, more than leanline reads from a zip")
    return out


def read_imu(path: str | Path, *, acc_unit: str = "auto", time_unit: str = "auto",
             rate_hz: float | None = None) -> ImuSignal:
    """Read a CSV or a Sensor Logger zip into an :class:`ImuSignal`.

    Raises
    ------
    BadInputError : unreadable file, missing columns, NaNs, time going backwards, unknown units.
    """
    path = Path(path)
    name = path.name
    if path.suffix.lower() == ".zip":
        df = _zip_table(path)
    else:
        text = decode_text(read_file(path), name)
        df = _geneactiv(text, name) if text.startswith("Device Type,GENEActiv") else _read_table(text, name)
    sig = signal_from_table(df, name=name, acc_unit=acc_unit, time_unit=time_unit, rate_hz=rate_hz)
    sig.meta["format"] = "zip" if path.suffix.lower() == ".zip" else "csv"
    return sig
