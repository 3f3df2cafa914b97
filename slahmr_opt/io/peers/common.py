"""What every reader of another method's results returns: :class:`PeerResult`.

Other world-grounded methods store, per tracked person, SMPL(-X) parameters in the camera frame
and either world-frame parameters (WHAM, GVHMR: each person in its own gravity-aligned world) or
the camera→world poses that carry the camera-frame bodies into one world (TRAM). A
:class:`PeerTrack` keeps exactly that, so that scoring poses each side with the body the method
used, and the camera-frame parameters can be the input tracks of our solver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.io.body_tracks import BodyTrack

__all__ = ["PeerResult", "PeerTrack"]


def _transforms(value: Any, n: int, owner: str, name: str) -> np.ndarray:
    m = np.asarray(value, dtype=np.float64)
    if m.shape != (n, 4, 4) or not np.all(np.isfinite(m)):
        raise InputError(f"{owner}: {name} must be finite ({n}, 4, 4), got {m.shape}")
    return m


@dataclass(eq=False)
class PeerTrack:
    """One person as another method stores it.

    Attributes:
        track_id: the method's id for the person.
        camera: camera-frame parameters, or None.
        world: world-frame parameters (in the method's world), or None.
        cam_to_world: (T, 4, 4) rigid camera→world transforms aligned with ``camera.frames``: the
            world body is the camera-frame body moved by them (TRAM), or None.
        world_to_cam: (T, 4, 4) world→camera transforms aligned with ``world.frames`` (metric),
            giving the camera-frame body of a method that stores world motion only, or None.
    """

    track_id: str
    camera: BodyTrack | None = None
    world: BodyTrack | None = None
    cam_to_world: np.ndarray | None = None
    world_to_cam: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.track_id = str(self.track_id)
        owner = f"peer track {self.track_id!r}"
        if self.camera is None and self.world is None:
            raise InputError(f"{owner}: needs camera-frame or world-frame parameters")
        if self.cam_to_world is not None:
            if self.camera is None:
                raise InputError(f"{owner}: cam_to_world needs camera-frame parameters")
            self.cam_to_world = _transforms(
                self.cam_to_world, self.camera.num_frames, owner, "cam_to_world"
            )
        if self.world_to_cam is not None:
            if self.world is None:
                raise InputError(f"{owner}: world_to_cam needs world-frame parameters")
            self.world_to_cam = _transforms(
                self.world_to_cam, self.world.num_frames, owner, "world_to_cam"
            )

    def __repr__(self) -> str:
        parts = [n for n in ("camera", "world") if getattr(self, n) is not None]
        return f"PeerTrack({self.track_id!r}, {'+'.join(parts)})"

    @property
    def model(self) -> str:
        """Body model family of the parameters (``"smpl"`` or ``"smplx"``)."""
        return (self.camera or self.world).model  # type: ignore[union-attr]

    @property
    def has_world(self) -> bool:
        return self.world is not None or self.cam_to_world is not None

    @property
    def has_camera(self) -> bool:
        return self.camera is not None or self.world_to_cam is not None

    @property
    def frames(self) -> np.ndarray:
        """Frames where the person has parameters (camera-frame ones when present)."""
        return (self.camera or self.world).frames  # type: ignore[union-attr]


@dataclass(eq=False)
class PeerResult:
    """Everything a method wrote for one video.

    Attributes:
        method: ``"wham"``, ``"gvhmr"``, ``"tram"`` or ``"slahmr-opt"``.
        tracks: the people.
        source: the folder or files read.
        intrinsics: (4,) ``fx, fy, cx, cy`` the method assumed, or None when it does not say.
        image_size: ``(width, height)`` when known.
        num_frames: video frames when known.
        world_up: (3,) up direction of the method's world frame when it is gravity-aligned.
        notes: what the reader assumed or dropped.
        meta: free-form facts (e.g. the body model file recorded in a result).
    """

    method: str
    tracks: list[PeerTrack]
    source: str = ""
    intrinsics: np.ndarray | None = None
    image_size: tuple[int, int] | None = None
    num_frames: int | None = None
    world_up: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.tracks:
            raise InputError(f"{self.source}: {self.method} result holds no person")
        ids = [t.track_id for t in self.tracks]
        if len(set(ids)) != len(ids):
            raise InputError(f"{self.source}: {self.method} track ids {ids} repeat")

    def __repr__(self) -> str:
        return f"PeerResult({self.method}, {len(self.tracks)} tracks, {self.source!r})"

    def track(self, track_id: str) -> PeerTrack:
        for t in self.tracks:
            if t.track_id == track_id:
                return t
        raise KeyError(
            f"{self.source}: no track {track_id!r}; tracks: {[t.track_id for t in self.tracks]}"
        )
