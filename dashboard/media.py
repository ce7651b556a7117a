"""Pictures for the Session page: the clip's frame at any moment with the skeleton and lean line."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from engine.model import LandmarkTrack
from engine.render import blank_canvas, crop_to_runner, draw_lean_line, draw_skeleton, frames_at, points_at
from engine.sources.landmarks_csv import read_landmark_csv
from engine.store import StoredSession


@lru_cache(maxsize=8)
def _track(path: str) -> LandmarkTrack:
    return read_landmark_csv(path)


def frame_at(stored: StoredSession, t: float, *, max_side_px: int = 960, crop: bool = True) -> tuple[np.ndarray, str]:
    """The frame nearest ``t`` (or a plain canvas without a clip) with the skeleton drawn.

    The lean line and the step's numbers are drawn when ``t`` is within one frame of a contact;
    ``crop`` cuts the picture to the runner.
    """
    track = _track(str(stored.media["landmarks"])) if "landmarks" in stored.media else None
    video: Path | None = stored.media.get("video")
    if video is not None:
        img = next(iter(frames_at(video, [t])))[1].copy()
    elif track is not None:
        img = blank_canvas(track)
    else:
        raise FileNotFoundError("this session has neither a clip nor landmarks")
    caption = f"{t:.2f} s"
    if track is not None:
        pts = points_at(track, t)
        if crop:
            img, pts = crop_to_runner(img, pts)
        draw_skeleton(img, pts, thickness=max(1, int(min(img.shape[:2]) / 540)))
        rows = stored.result.rows
        if "ic_s" in rows.columns and len(rows):
            dt = (rows["ic_s"] - t).abs()
            i = int(dt.idxmin())
            if dt[i] <= 1.0 / float(stored.result.source.get("fps") or 30.0) + 1e-6:
                draw_lean_line(img, pts, rows.loc[i].to_dict())
                caption += f" · contact #{rows.index.get_loc(i) + 1} ({rows.loc[i, 'side']})"
    f = min(1.0, max_side_px / max(img.shape[:2]))
    if f < 1.0:
        img = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    return img, caption
