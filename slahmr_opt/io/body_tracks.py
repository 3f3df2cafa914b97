"""SMPL-family parameter tracks as datasets and other methods store them.

A :class:`BodyTrack` is one person's SMPL or SMPL-X parameters over a set of frames, in one frame
of reference (a dataset's world, a camera, a method's own world). Unlike
:class:`~slahmr_opt.scene.PersonMotion` it keeps what the files hold: per-frame ``betas`` (WHAM and
GVHMR predict them per frame), frames that need not be consecutive (trackers drop frames), the body
model family and gender the parameters belong to, and SMPL-X hands (RICH ground truth uses 12 PCA
hand coefficients on top of the model's mean hand; GVHMR stores none and uses the mean hand).

Everything is numpy float64 after validation; errors are ValueErrors naming the owner and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.scene import NUM_BODY_JOINTS, PersonMotion

__all__ = [
    "BODY_MODELS",
    "GENDERS",
    "SMPLX_BODY_JOINTS",
    "BodyTrack",
    "rigid_to_homogeneous",
]

BODY_MODELS = ("smpl", "smplx")
"""Body model families a track can belong to."""

GENDERS = ("neutral", "male", "female")

SMPLX_BODY_JOINTS = 21
"""Body joints after the pelvis in SMPL-X's ``body_pose`` (SMPL's first 21)."""

_BODY_JOINTS = {"smpl": NUM_BODY_JOINTS, "smplx": SMPLX_BODY_JOINTS}


def _float(value: Any, owner: str, name: str) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{owner}: field {name!r} must be a numeric array") from None
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{owner}: field {name!r} holds NaN or inf values")
    return arr


def shape_matches(arr: np.ndarray, want: tuple) -> bool:
    """Whether ``arr.shape`` equals ``want``, where None matches any size."""
    if arr.ndim != len(want):
        return False
    return all(w is None or s == w for s, w in zip(arr.shape, want, strict=True))


def _shape(arr: np.ndarray, want: tuple, owner: str, name: str, shown: str) -> None:
    if not shape_matches(arr, want):
        raise InputError(f"{owner}: field {name!r} has shape {arr.shape}, expected {shown}")


@dataclass(eq=False)
class BodyTrack:
    """One person's SMPL-family parameters over frames, in one frame of reference.

    Attributes:
        track_id: the person's id in its source (a dataset's person index, a tracker's id).
        frames: (T,) int64 strictly increasing frame indices (gaps allowed).
        global_orient: (T, 3) root orientation, axis-angle.
        body_pose: (T, K, 3) body joint rotations, K = 23 (SMPL) or 21 (SMPL-X); a (T, 3K) array
            is reshaped.
        betas: (T, B) per-frame shape coefficients; a (B,) array is repeated over frames.
        transl: (T, 3) the model's ``transl`` parameter, metres.
        model: ``"smpl"`` or ``"smplx"``.
        gender: ``"neutral"``, ``"male"`` or ``"female"``.
        hand_pca: (T, 2, C) SMPL-X PCA hand coefficients (left, right) or None (no coefficients).
        hand_mean: SMPL-X only: whether the model's mean hand pose is added (smplx's
            ``flat_hand_mean=False``, as GVHMR and RICH use); with False and no ``hand_pca`` the
            hands are flat.
        face_pose: (T, 3, 3) SMPL-X jaw, left eye and right eye rotations, or None (rest).
    """

    track_id: str
    frames: np.ndarray
    global_orient: np.ndarray
    body_pose: np.ndarray
    betas: np.ndarray
    transl: np.ndarray
    model: str = "smpl"
    gender: str = "neutral"
    hand_pca: np.ndarray | None = None
    hand_mean: bool = False
    face_pose: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.track_id = str(self.track_id)
        owner = f"body track {self.track_id!r}"
        if self.model not in BODY_MODELS:
            raise InputError(f"{owner}: model must be one of {BODY_MODELS}, got {self.model!r}")
        if self.gender not in GENDERS:
            raise InputError(f"{owner}: gender must be one of {GENDERS}, got {self.gender!r}")
        frames = np.asarray(self.frames)
        if frames.ndim != 1 or frames.size < 1 or frames.dtype.kind not in "iu":
            raise InputError(
                f"{owner}: field 'frames' must be a non-empty 1-D integer array, got "
                f"{frames.dtype} {frames.shape}"
            )
        frames = frames.astype(np.int64)
        if frames[0] < 0 or np.any(np.diff(frames) <= 0):
            raise InputError(
                f"{owner}: field 'frames' must be non-negative and strictly increasing"
            )
        self.frames = frames
        n = frames.size
        k = _BODY_JOINTS[self.model]
        self.global_orient = _float(self.global_orient, owner, "global_orient")
        _shape(self.global_orient, (n, 3), owner, "global_orient", f"({n}, 3)")
        bp = _float(self.body_pose, owner, "body_pose")
        if bp.ndim == 2 and bp.shape == (n, 3 * k):
            bp = bp.reshape(n, k, 3)
        _shape(bp, (n, k, 3), owner, "body_pose", f"({n}, {k}, 3) for {self.model}")
        self.body_pose = bp
        betas = _float(self.betas, owner, "betas")
        if betas.ndim == 1:
            betas = np.tile(betas, (n, 1))
        _shape(betas, (n, None), owner, "betas", f"({n}, B) or (B,)")
        if betas.shape[1] < 1:
            raise InputError(f"{owner}: field 'betas' must hold at least one coefficient")
        self.betas = betas
        self.transl = _float(self.transl, owner, "transl")
        _shape(self.transl, (n, 3), owner, "transl", f"({n}, 3)")
        self.hand_mean = bool(self.hand_mean)
        if self.hand_pca is not None:
            self.hand_pca = _float(self.hand_pca, owner, "hand_pca")
            _shape(self.hand_pca, (n, 2, None), owner, "hand_pca", f"({n}, 2, C)")
        if self.face_pose is not None:
            self.face_pose = _float(self.face_pose, owner, "face_pose")
            _shape(self.face_pose, (n, 3, 3), owner, "face_pose", f"({n}, 3, 3)")
        if self.model == "smpl" and (
            self.hand_pca is not None or self.hand_mean or self.face_pose is not None
        ):
            raise InputError(f"{owner}: hand and face parameters are for SMPL-X tracks only")

    def __repr__(self) -> str:
        return (
            f"BodyTrack({self.track_id!r}, {self.model}, {self.gender}, {self.num_frames} frames "
            f"[{int(self.frames[0])}, {int(self.frames[-1])}])"
        )

    @property
    def num_frames(self) -> int:
        """Number of frames T."""
        return int(self.frames.size)

    def select(self, index: np.ndarray) -> BodyTrack:
        """The track at rows ``index`` (an increasing integer array into :attr:`frames`)."""
        idx = np.asarray(index, dtype=np.int64)

        def sub(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[idx]

        return BodyTrack(
            track_id=self.track_id,
            frames=self.frames[idx],
            global_orient=self.global_orient[idx],
            body_pose=self.body_pose[idx],
            betas=self.betas[idx],
            transl=self.transl[idx],
            model=self.model,
            gender=self.gender,
            hand_pca=sub(self.hand_pca),
            hand_mean=self.hand_mean,
            face_pose=sub(self.face_pose),
        )

    def with_root(self, global_orient: np.ndarray, transl: np.ndarray) -> BodyTrack:
        """The same track with new root parameters (e.g. moved to another frame)."""
        return self._replace(global_orient=global_orient, transl=transl)

    def with_betas(self, betas: np.ndarray) -> BodyTrack:
        """The same track with other shape coefficients ((T, B) or (B,))."""
        return self._replace(betas=betas)

    def _replace(self, **fields: np.ndarray) -> BodyTrack:
        values = {
            "global_orient": self.global_orient,
            "betas": self.betas,
            "transl": self.transl,
            **fields,
        }
        return BodyTrack(
            track_id=self.track_id,
            frames=self.frames,
            global_orient=values["global_orient"],
            body_pose=self.body_pose,
            betas=values["betas"],
            transl=values["transl"],
            model=self.model,
            gender=self.gender,
            hand_pca=self.hand_pca,
            hand_mean=self.hand_mean,
            face_pose=self.face_pose,
        )

    def body_pose_smpl(self) -> np.ndarray:
        """(T, 23, 3) body pose in SMPL's layout: SMPL-X's 21 joints plus two hands at rest."""
        if self.model == "smpl":
            return self.body_pose
        pad = np.zeros((self.num_frames, NUM_BODY_JOINTS - SMPLX_BODY_JOINTS, 3))
        return np.concatenate([self.body_pose, pad], axis=1)

    def to_person_motion(self, track_id: str | None = None) -> PersonMotion:
        """The track as a :class:`~slahmr_opt.scene.PersonMotion` (consecutive frames only).

        ``betas`` become their mean over frames; an SMPL-X body pose is padded to SMPL's 23 joints
        with the two hand joints at rest (a SMPL-X body model keeps the first 21).
        """
        if np.any(np.diff(self.frames) != 1):
            raise InputError(
                f"body track {self.track_id!r}: frames have gaps; a PersonMotion needs consecutive "
                "frames (select a gap-free range first)"
            )
        return PersonMotion(
            track_id=track_id or self.track_id,
            frames=self.frames,
            global_orient=self.global_orient,
            body_pose=self.body_pose_smpl(),
            betas=self.betas.mean(axis=0),
            transl=self.transl,
        )


def rigid_to_homogeneous(R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Stack rotations (T, 3, 3) and translations (T, 3) into (T, 4, 4) rigid transforms."""
    R = np.asarray(R, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    out = np.zeros((R.shape[0], 4, 4))
    out[:, :3, :3] = R
    out[:, :3, 3] = t
    out[:, 3, 3] = 1.0
    return out
