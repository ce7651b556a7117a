"""Decoding phone clips with PyAV: display orientation, real timestamps, streamed frames.

PyAV (FFmpeg's libraries) decodes what phones record (H.264 and HEVC in .mp4/.mov, VP9 in .webm),
exposes each frame's presentation time (variable frame rate clips keep their real timing) and the
display matrix (portrait clips are stored landscape with a rotation tag). Frames are yielded one at
a time so memory stays flat whatever the clip's length.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from engine.errors import BadInputError

#: Clips shorter than this cannot hold the three contacts the engine needs.
MIN_DURATION_S = 1.0


@dataclass(frozen=True)
class VideoInfo:
    """What a clip is, as displayed (after rotation).

    ``width``/``height`` are the displayed frame size; ``rotation_deg`` the counter-clockwise turn
    applied to the stored frames to display them; ``fps`` the average frame rate.
    """

    width: int
    height: int
    fps: float
    duration_s: float
    frame_count: int
    rotation_deg: int
    codec: str


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise BadInputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise BadInputError(f"{path.name} is empty")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise BadInputError(f"{path.name} is not a video leanline can read ({_reason(exc)})") from None
    if not container.streams.video:
        container.close()
        raise BadInputError(f"{path.name} has no video stream")
    return container


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[0].strip() or type(exc).__name__


def _rotation_of(frame: av.VideoFrame) -> int:
    """Counter-clockwise display rotation in whole quarter turns (degrees)."""
    rot = frame.rotation or 0
    return int(round(rot / 90.0)) * 90 % 360


def probe(path: str | Path) -> VideoInfo:
    """Read a clip's size, rate, length and rotation, decoding its first frame to be sure it decodes.

    Raises
    ------
    BadInputError : not a video, empty, no video stream, no decodable frame, or shorter than a second.
    """
    path = Path(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        try:
            first = next(container.decode(stream))
        except (av.error.FFmpegError, StopIteration):
            raise BadInputError(f"{path.name}: no frame could be decoded (the file is damaged or truncated)") from None
        rotation = _rotation_of(first)
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else math.nan
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        else:
            duration = math.nan
        frames = stream.frames or (int(round(duration * fps)) if math.isfinite(duration * fps) else 0)
        w, h = first.width, first.height
        if rotation in (90, 270):
            w, h = h, w
        if not math.isfinite(fps) or fps <= 0:
            raise BadInputError(f"{path.name}: the video stream has no frame rate")
        info = VideoInfo(width=w, height=h, fps=fps, duration_s=duration, frame_count=int(frames),
                         rotation_deg=rotation, codec=stream.codec_context.name)
    if math.isfinite(info.duration_s) and info.duration_s < MIN_DURATION_S:
        raise BadInputError(
            f"{path.name} is only {info.duration_s:.2f} s long; at least {MIN_DURATION_S:.0f} s of running "
            "(a few strides) is needed"
        )
    return info


def _to_display(frame: av.VideoFrame, rotation_deg: int, scale: float) -> np.ndarray:
    img: np.ndarray = frame.to_ndarray(format="rgb24")
    if scale < 1.0:
        # OpenCV's bilinear resize is several times faster than swscale's default bicubic here
        w = max(2, int(round(frame.width * scale)))
        h = max(2, int(round(frame.height * scale)))
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
    if rotation_deg:
        img = np.ascontiguousarray(np.rot90(img, k=rotation_deg // 90))
    return img


def iter_frames(
    path: str | Path,
    *,
    start_s: float = 0.0,
    end_s: float = math.inf,
    max_short_side_px: int | None = None,
    threaded: bool = True,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(time_s, rgb)`` for every frame with ``start_s <= time_s < end_s``, upright.

    Parameters
    ----------
    start_s, end_s : the span to decode; decoding seeks to the key frame before ``start_s``.
    max_short_side_px : shrink frames whose shorter side exceeds this. BlazePose crops the person
        from the frame it is given into a 256 x 256 input, so a runner filling half of a 720-pixel
        frame loses nothing, while converting full 1080p or 4K frames costs time; landmarks are scaled
        back to the full frame by the caller.
    threaded : let FFmpeg decode on several threads; off in worker processes that already use one
        core each, where extra threads only compete.

    Times are the frames' presentation times in seconds from the stream's start, so variable frame
    rate clips keep their real timing. A clip that breaks off mid-way yields what decoded and stops.
    """
    path = Path(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO" if threaded else "NONE"
        base = stream.time_base or Fraction(1, 90000)
        t0 = float(stream.start_time * base) if stream.start_time is not None else 0.0
        if start_s > 0:
            try:
                container.seek(int((start_s + t0) / base), stream=stream, backward=True, any_frame=False)
            except av.error.FFmpegError:
                return  # a damaged index: nothing past here can be reached; the caller reports the coverage
        scale = 1.0
        rotation = None
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                t = float(frame.pts * base) - t0
                if t < start_s - 1e-6:
                    continue
                if t >= end_s - 1e-6:
                    break
                if rotation is None:
                    rotation = _rotation_of(frame)
                    if max_short_side_px and min(frame.width, frame.height) > max_short_side_px:
                        scale = max_short_side_px / min(frame.width, frame.height)
                yield t, _to_display(frame, rotation, scale)
        except av.error.FFmpegError:
            return  # truncated clip: keep what decoded; the caller judges whether it is enough


def write_h264(
    path: str | Path,
    frames: Iterable[tuple[float, np.ndarray]],
    *,
    fps: float,
    width: int,
    height: int,
    crf: int = 23,
    rotate_display_deg: int = 0,
    threads: int | None = None,
) -> Path:
    """Encode ``(time_s, rgb)`` frames of ``width`` x ``height`` (as displayed) to H.264 in .mp4.

    yuv420p with the index at the front (``+faststart``), so browsers play it. Frame times become
    presentation times (variable frame rate survives). ``rotate_display_deg`` stores the frames
    turned back by that angle and tags the stream with the display rotation, as phones store
    portrait clips (e.g. -90). ``threads``: the encoder's threads (default: as many as it likes). With more
    than one its choices depend on the threads' timing, and the same frames encode to different bytes
    from run to run; ``threads=1`` makes a clip reproducible.
    """
    path = Path(path)
    k_store = (-rotate_display_deg // 90) % 4
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height = (height, width) if k_store % 2 else (width, height)
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast", **({"threads": str(threads)} if threads else {})}
        if rotate_display_deg:
            stream.set_display_rotation(rotate_display_deg)
        rate = stream.codec_context.rate
        last_pts = -1
        for t, img in frames:
            if k_store:
                img = np.ascontiguousarray(np.rot90(img, k=k_store))
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            last_pts = max(last_pts + 1, int(round(t * rate)))
            frame.pts = last_pts
            frame.time_base = 1 / rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
