"""What every dataset reader returns: :class:`DatasetSequence`, one evaluation sequence.

A sequence holds the ground truth of one video as the dataset defines it: the true metric
cameras (world→camera, OpenCV axes), every annotated person's SMPL/SMPL-X parameters in the
dataset's world frame (:class:`~slahmr_opt.io.body_tracks.BodyTrack`), and per person the frames
the evaluation protocol scores (EMDB's ``good_frames_mask``, 3DPW's ``campose_valid``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.io.body_tracks import BodyTrack, shape_matches
from slahmr_opt.safe_load import load_pickle
from slahmr_opt.scene import Cameras, GroundTruth

__all__ = ["DatasetSequence", "first_image_size", "read_dataset_pickle"]


@dataclass(eq=False)
class DatasetSequence:
    """Ground truth of one evaluation sequence of a dataset.

    Attributes:
        dataset: ``"emdb"``, ``"3dpw"`` or ``"rich"``.
        name: canonical sequence name (``P0_09_outdoor_walk``, ``downtown_bar_00``,
            ``Gym_013_burpee4/cam_06``).
        aliases: other names a result folder may carry for this sequence (e.g. ``09_outdoor_walk``).
        split: the split it was read for (``emdb1``, ``emdb2``, ``test`` …).
        fps: frame rate, Hz.
        image_size: ``(width, height)`` in pixels.
        cameras: true metric world→camera cameras, one per video frame (frame ``i`` is the
            ``i``-th image of the sequence).
        people: ground-truth people in the dataset's world frame.
        valid: person id → (T_i,) bool, aligned with that person's ``frames``: the frames the
            protocol scores.
        up: (3,) up direction of the world frame when the dataset documents it, else None.
        source: the file(s) it was read from.
    """

    dataset: str
    name: str
    split: str
    fps: float
    image_size: tuple[int, int]
    cameras: Cameras
    people: list[BodyTrack]
    valid: dict[str, np.ndarray]
    aliases: tuple[str, ...] = ()
    up: np.ndarray | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = f"{self.dataset} sequence {self.name!r}"
        if not self.people:
            raise InputError(f"{owner}: no annotated person")
        ids = [p.track_id for p in self.people]
        if len(set(ids)) != len(ids):
            raise InputError(f"{owner}: person ids {ids} repeat")
        n = self.cameras.num_frames
        for p in self.people:
            if p.frames[-1] >= n:
                raise InputError(
                    f"{owner}: person {p.track_id!r} has frame {int(p.frames[-1])}, but the "
                    f"cameras hold {n} frames"
                )
            mask = np.asarray(self.valid.get(p.track_id))
            if mask.dtype != bool or mask.shape != (p.num_frames,):
                raise InputError(
                    f"{owner}: valid mask of person {p.track_id!r} must be bool "
                    f"({p.num_frames},), got {mask.dtype} {mask.shape}"
                )
            if not mask.any():
                raise InputError(f"{owner}: person {p.track_id!r} has no valid frame")
            self.valid[p.track_id] = mask
        if self.up is not None:
            up = np.asarray(self.up, dtype=np.float64)
            self.up = up / np.linalg.norm(up)

    def __repr__(self) -> str:
        return (
            f"DatasetSequence({self.dataset}:{self.name}, {len(self.people)} people, "
            f"{self.num_frames} frames)"
        )

    @property
    def num_frames(self) -> int:
        """Number of video frames (= camera frames)."""
        return self.cameras.num_frames

    def names(self) -> tuple[str, ...]:
        """The canonical name followed by the aliases."""
        return (self.name, *self.aliases)

    def person(self, track_id: str) -> BodyTrack:
        for p in self.people:
            if p.track_id == track_id:
                return p
        raise KeyError(f"{self.name}: no person {track_id!r}")

    def to_ground_truth(self, floor: tuple[np.ndarray, float]) -> GroundTruth:
        """This sequence as a :class:`~slahmr_opt.scene.GroundTruth` (SMPL people only).

        Args:
            floor: ``(up normal (3,), offset d)`` of the world floor ``n·x = d``: no dataset
                stores one, so the caller states it (e.g.
                :func:`slahmr_opt.eval.baselines.floor_from_truth`, fitted to the true feet).

        Frames of a person that have gaps are split into consecutive pieces named
        ``<id>``, ``<id>.1`` …; SMPL-X people are refused (a GroundTruth holds SMPL motion).
        """
        people = []
        for p in self.people:
            if p.model != "smpl":
                raise InputError(
                    f"{self.name}: person {p.track_id!r} is {p.model}; a GroundTruth holds SMPL"
                )
            cuts = np.flatnonzero(np.diff(p.frames) != 1) + 1
            for k, rows in enumerate(np.split(np.arange(p.num_frames), cuts)):
                tid = p.track_id if k == 0 else f"{p.track_id}.{k}"
                people.append(p.select(rows).to_person_motion(tid))
        normal, offset = floor
        return GroundTruth(
            alpha=1.0,
            floor_normal=np.asarray(normal, dtype=np.float64),
            floor_offset=float(offset),
            cameras=self.cameras,
            people=people,
            fps=self.fps,
        )


def _refused(path: Path, what: str) -> ValueError:
    return ValueError(
        f"{path}: {what} is a Python pickle, and loading a pickle can run arbitrary code; it is "
        "read only with trust_pickle=True (CLI: --trust-pickle). Pass it only for dataset files "
        "you downloaded from the dataset's site."
    )


def read_dataset_pickle(
    path: str | os.PathLike, *, trust_pickle: bool, what: str, latin1: bool = False
) -> Any:
    """Load a dataset's pickle (EMDB's ``*_data.pkl``, RICH's body files, 3DPW's
    ``sequenceFiles``), refused unless ``trust_pickle``; read by the data-only unpickler of
    :mod:`slahmr_opt.safe_load`, so no code from the file runs.

    Args:
        latin1: Python 2 pickles (3DPW): Python 2 wrote numpy's raw buffers as byte strings,
            which ``encoding="latin1"`` maps one to one, as every 3DPW reader loads them.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found ({what})")
    if not trust_pickle:
        raise _refused(path, what)
    return load_pickle(path, what, encoding="latin1" if latin1 else "ASCII")


def first_image_size(folder: Path, patterns: tuple[str, ...]) -> tuple[int, int] | None:
    """``(width, height)`` of the first image (sorted) matching ``patterns`` in ``folder``."""
    if not folder.is_dir():
        return None
    files = sorted(p for pat in patterns for p in folder.glob(pat))
    if not files:
        return None
    import cv2

    img = cv2.imread(str(files[0]))
    return None if img is None else (int(img.shape[1]), int(img.shape[0]))


def require(data: Any, key: str, label: str, kind: type | tuple[type, ...] | None = None) -> Any:
    """``data[key]`` or a ValueError naming the file and the field."""
    if not isinstance(data, dict):
        raise InputError(f"{label}: expected a dict, got {type(data).__name__}")
    if key not in data:
        raise InputError(f"{label}: field {key!r} missing (fields: {sorted(map(str, data))})")
    value = data[key]
    if kind is not None and not isinstance(value, kind):
        raise InputError(f"{label}: field {key!r} is {type(value).__name__}, expected {kind}")
    return value


def array(value: Any, label: str, key: str, shape: tuple, shown: str) -> np.ndarray:
    """A finite float64 array of the given shape (None = any size) or a ValueError."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{label}: field {key!r} must be numeric, expected {shown}") from None
    if not shape_matches(arr, shape):
        raise InputError(f"{label}: field {key!r} has shape {arr.shape}, expected {shown}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{label}: field {key!r} holds NaN or inf")
    return arr


def bool_mask(value: Any, label: str, key: str, n: int) -> np.ndarray:
    """A (n,) boolean mask from bool or 0/1 integer data, or a ValueError."""
    arr = np.asarray(value)
    if arr.shape != (n,) or arr.dtype.kind not in "biu":
        raise InputError(
            f"{label}: field {key!r} has {arr.dtype} {arr.shape}, expected bool ({n},)"
        )
    if arr.dtype.kind != "b" and not np.all(np.isin(arr, (0, 1))):
        raise InputError(f"{label}: field {key!r} must hold 0/1 or booleans")
    return arr.astype(bool)


def intrinsics_from_K(K: Any, label: str, key: str, n: int) -> np.ndarray:
    """(n, 4) ``fx, fy, cx, cy`` from one (3, 3) calibration matrix."""
    K = array(K, label, key, (3, 3), "(3, 3)")
    if K[0, 0] <= 0 or K[1, 1] <= 0:
        raise InputError(
            f"{label}: field {key!r} has non-positive focal lengths {K[0, 0], K[1, 1]}"
        )
    return np.tile([K[0, 0], K[1, 1], K[0, 2], K[1, 2]], (n, 1))


def w2c_cameras(w2c: Any, intrinsics: np.ndarray, label: str, key: str, n: int | None) -> Cameras:
    """Cameras from (T, 4, 4) world→camera matrices, with checks that name the file."""
    m = array(w2c, label, key, (n, 4, 4), f"({n if n else 'T'}, 4, 4) world→camera")
    if intrinsics.shape[0] != m.shape[0]:
        intrinsics = np.tile(intrinsics[0], (m.shape[0], 1))
    try:
        return Cameras.from_w2c(m, intrinsics)
    except ValueError as err:
        raise InputError(f"{label}: field {key!r}: {err}") from None
