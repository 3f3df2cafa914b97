"""What a method produces for a scene: world motion per person, world scale, cameras, floor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slahmr_opt.scene import Cameras, PersonMotion


@dataclass(eq=False)
class WorldEstimate:
    """A world-grounded estimate of everybody's motion in one scene.

    Attributes:
        people: world SMPL motion per track (metric, SLAM world frame).
        alpha: world scale used (metres per SLAM unit).
        cameras: the SLAM cameras (world→camera, SLAM units); metric ones are ``t·alpha``.
        fps: frame rate, Hz.
        floor: ``(up normal (3,), offset d)`` of the plane ``n·x = d``, or None if not estimated.
        method: a short name (``"naive-median"``, ``"smooth"``, ...).
        meta: JSON-serialisable extra information (config, timings, notes).
    """

    people: list[PersonMotion]
    alpha: float
    cameras: Cameras
    fps: float
    floor: tuple[np.ndarray, float] | None = None
    method: str = "estimate"
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not np.isfinite(self.alpha) or self.alpha <= 0:
            raise ValueError(
                f"WorldEstimate: alpha must be a finite positive number, got {self.alpha}"
            )
        if self.fps <= 0:
            raise ValueError(f"WorldEstimate: fps must be > 0, got {self.fps}")
        ids = [p.track_id for p in self.people]
        if len(set(ids)) != len(ids):
            raise ValueError(f"WorldEstimate: duplicate person ids {ids}")

    def person(self, track_id: str) -> PersonMotion:
        for p in self.people:
            if p.track_id == track_id:
                return p
        raise KeyError(f"no person {track_id!r}; people are {[p.track_id for p in self.people]}")
