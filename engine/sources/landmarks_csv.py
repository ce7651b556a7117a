"""The landmark CSV interchange format (DESIGN.md): read, validate, write.

Optional leading ``# key=value`` lines carry ``image_width``, ``image_height``, ``fps``,
``height_cm`` and ``source``. Columns are ``frame``, ``time_s`` and ``<landmark>_x``,
``<landmark>_y`` in image pixels (origin top-left, y down), optionally ``<landmark>_visibility``, and
optionally ``camera_shift_x``/``camera_shift_y``: where the background has moved to since the first
frame (a camera that pans to follow the runner), pixels.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import BadInputError
from engine.model import LANDMARK_NAMES, REQUIRED_LANDMARKS, TRACK_META_KEYS, TRACK_POINTS, LandmarkTrack, time_problems
from engine.sources.text import decode_text, read_file

_NUMERIC_META = {"image_width": int, "image_height": int, "fps": float, "height_cm": float}


def _read_header(text: str) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line[1:].strip()
        if "=" not in body:
            continue
        key, value = (s.strip() for s in body.split("=", 1))
        if key in _NUMERIC_META:
            try:
                meta[key] = _NUMERIC_META[key](float(value))
            except ValueError:
                raise BadInputError(f"landmark CSV header: {key}={value!r} is not a number") from None
        else:
            meta[key] = value
    return meta


def read_landmark_csv(path: str | Path) -> LandmarkTrack:
    """Read a landmark CSV, naming every problem at once if it is not valid.

    Raises
    ------
    BadInputError
        Unreadable file, missing columns (each missing landmark named, with what was found),
        non-numeric cells, or time that does not increase.
    """
    path = Path(path)
    text = decode_text(read_file(path, what="landmark CSV "), path.name)
    if not text.strip():
        raise BadInputError(f"landmark CSV {path.name} is empty")
    meta = _read_header(text)
    try:
        df = pd.read_csv(io.StringIO(text), comment="#", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise BadInputError(f"landmark CSV {path.name} cannot be parsed: {exc}") from None
    df.columns = [str(c).strip() for c in df.columns]
    return track_from_frame(df, meta=meta, label=path.name)


def track_from_frame(df: pd.DataFrame, *, meta: dict[str, Any] | None = None,
                     label: str = "landmark CSV") -> LandmarkTrack:
    """Validate a landmark table (CSV columns) and build a :class:`LandmarkTrack`."""
    meta = dict(meta or {})
    problems: list[str] = []
    cols = set(df.columns)
    for c in ("frame", "time_s"):
        if c not in cols:
            problems.append(f"missing column '{c}'")
    missing = [m for m in REQUIRED_LANDMARKS if f"{m}_x" not in cols or f"{m}_y" not in cols]
    if missing:
        problems.append("missing landmarks (need <name>_x and <name>_y): " + ", ".join(missing))
    names = [m for m in TRACK_POINTS if f"{m}_x" in cols and f"{m}_y" in cols]
    bad_types = []
    for c in df.columns:
        if c == "frame" or c == "time_s" or c.endswith(("_x", "_y", "_visibility")):
            if df[c].dtype == object:
                converted = pd.to_numeric(df[c].replace(r"^\s*$", np.nan, regex=True), errors="coerce")
                n_bad = int(converted.isna().sum() - df[c].replace(r"^\s*$", np.nan, regex=True).isna().sum())
                if n_bad:
                    bad_types.append(f"{c} ({n_bad} non-numeric)")
                df[c] = converted
    if bad_types:
        problems.append("non-numeric values in: " + ", ".join(bad_types))
    if "time_s" in cols and df["time_s"].dtype != object:
        problems.extend(time_problems(df["time_s"].to_numpy(float)))
    if problems:
        found = [m for m in LANDMARK_NAMES if f"{m}_x" in cols]
        hint = f"; found {len(found)} landmarks: {', '.join(found) or 'none'}" if missing else ""
        raise BadInputError(f"{label}: " + "; ".join(problems) + hint)
    if len(df) < 2:
        raise BadInputError(f"{label}: needs at least two rows of landmarks, found {len(df)}")
    if df["frame"].isna().any():
        raise BadInputError(f"{label}: 'frame' has {int(df['frame'].isna().sum())} empty cells")

    xy = np.stack([df[[f"{m}_x", f"{m}_y"]].to_numpy(float) for m in names], axis=1)
    vis = np.stack(
        [df[f"{m}_visibility"].to_numpy(float) if f"{m}_visibility" in cols else np.full(len(df), np.nan)
         for m in names],
        axis=1,
    )
    fps = meta.get("fps")
    if "camera_shift_x" in cols and "camera_shift_y" in cols:
        meta["camera_shift_px"] = df[["camera_shift_x", "camera_shift_y"]].to_numpy(float)
    try:
        return LandmarkTrack.from_arrays(
            time_s=df["time_s"].to_numpy(float), frame=df["frame"].to_numpy(), xy=xy, names=names,
            visibility=vis, fps=fps, image_width=meta.get("image_width"),
            image_height=meta.get("image_height"),
            meta={k: v for k, v in meta.items() if k not in ("fps", "image_width", "image_height")},
        )
    except BadInputError as exc:
        raise BadInputError(f"{label}: {exc}") from None


def track_to_frame(track: LandmarkTrack) -> pd.DataFrame:
    """The track as a table with the CSV's columns."""
    data: dict[str, np.ndarray] = {"frame": track.frame, "time_s": track.time_s}
    camera = track.meta.get("camera_shift_px")
    if camera is not None and np.shape(camera) == (len(track), 2):
        data["camera_shift_x"], data["camera_shift_y"] = np.asarray(camera)[:, 0], np.asarray(camera)[:, 1]
    has_vis = ~np.all(np.isnan(track.visibility), axis=0)
    for j, name in enumerate(track.names):
        data[f"{name}_x"] = track.xy[:, j, 0]
        data[f"{name}_y"] = track.xy[:, j, 1]
        if has_vis[j]:
            data[f"{name}_visibility"] = track.visibility[:, j]
    return pd.DataFrame(data)


def write_landmark_csv(track: LandmarkTrack, path: str | Path, *, float_format: str = "%.3f") -> Path:
    """Write a track as a landmark CSV with its ``# key=value`` header."""
    path = Path(path)
    header = {"image_width": track.image_width, "image_height": track.image_height, "fps": track.fps}
    header.update({k: v for k, v in track.meta.items() if k in TRACK_META_KEYS})
    lines = [
        f"# {k}={v:g}" if isinstance(v, float) else f"# {k}={v}"
        for k, v in header.items()
        if v is not None and not (isinstance(v, float) and math.isnan(v))
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        for line in lines:
            fh.write(line + "\n")
        frame = track_to_frame(track)
        # times keep microseconds whatever the coordinates' precision: event timing depends on them
        frame["time_s"] = [f"{t:.6f}" for t in track.time_s]
        frame.to_csv(fh, index=False, float_format=float_format)
    return path
