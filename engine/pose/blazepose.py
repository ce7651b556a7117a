"""BlazePose through MediaPipe's legacy solution, with the model bundled in the wheel.

``mp.solutions.pose`` (mediapipe 0.10.21) ships its detector and ``model_complexity=1`` landmark
model inside the wheel, so nothing is downloaded. In video mode it follows one person: it detects
once, then tracks a region of interest from the previous frame's landmarks until it loses the pose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.model import LANDMARK_NAMES

N_LANDMARKS = len(LANDMARK_NAMES)


@dataclass(frozen=True)
class PoseSettings:
    """Settings of the pose stage; part of the landmark cache key.

    Parameters
    ----------
    model_complexity : BlazePose landmark model (0 lite, 1 full); only 1 is bundled and tested.
    min_detection_confidence, min_tracking_confidence : MediaPipe's thresholds.
    smooth_landmarks : MediaPipe's own causal filter. Off: it lags fast foot motion, and the gait
        engine applies a zero-phase filter of its own.
    max_short_side_px : frames are shrunk to this shorter side before inference (see ``iter_frames``).
    """

    model_complexity: int = 1
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    smooth_landmarks: bool = False
    max_short_side_px: int = 720

    def get_params(self) -> dict:
        return dict(self.__dict__)


class BlazePose:
    """One MediaPipe pose tracker; feed it a clip's frames in order.

    ``process`` returns, for one RGB frame, pixel landmarks (33, 2), visibility (33,) and world
    landmarks in metres (33, 3), or ``None`` when no person is found.
    """

    def __init__(self, settings: PoseSettings | None = None):
        import mediapipe as mp

        self.settings = settings or PoseSettings()
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=False,
            model_complexity=self.settings.model_complexity,
            smooth_landmarks=self.settings.smooth_landmarks,
            enable_segmentation=False,
            min_detection_confidence=self.settings.min_detection_confidence,
            min_tracking_confidence=self.settings.min_tracking_confidence,
        )

    def process(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        h, w = rgb.shape[:2]
        res = self._pose.process(rgb)
        if res.pose_landmarks is None:
            return None
        lm = res.pose_landmarks.landmark
        xy = np.array([(p.x * w, p.y * h) for p in lm], dtype=float)
        vis = np.array([p.visibility for p in lm], dtype=float)
        if res.pose_world_landmarks is not None:
            world = np.array([(p.x, p.y, p.z) for p in res.pose_world_landmarks.landmark], dtype=float)
        else:
            world = np.full((N_LANDMARKS, 3), np.nan)
        return xy, vis, world

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> BlazePose:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
