"""The validated input of the solver: cameras, tracked people and their observations.

Everything here is plain numpy. A :class:`Scene` holds what the upstream tools produced for one
video (SLAM cameras of unknown scale, and per person 2D keypoints and per-frame SMPL estimates in
the camera frame); :class:`GroundTruth` holds what a synthetic scene was generated from.

Conventions (docs/conventions.md, docs/formats.md):

- Cameras are world→camera: a world point ``X`` projects as ``x = Π_K(R X + α t)`` with OpenCV axes
  (x right, y down, z forward) and intrinsics ``(fx, fy, cx, cy)`` in pixels. ``t`` is in SLAM
  units; the world scale ``α`` (metres per SLAM unit) is what the solver recovers.
- Rotations are axis-angle (radians) in every public array.
- Frame indices are scene frame indices; a track covers the half-open range ``[start, end)``.

Every constructor validates its input and raises a ``ValueError`` naming the field, the owner
(track id, ``cameras`` ...) and what was expected. Arrays are copied to float64 on construction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from slahmr_opt.reprs import short_repr

__all__ = [
    "NUM_BODY_JOINTS",
    "NUM_CONTACT_JOINTS",
    "NUM_KEYPOINTS",
    "CONTACT_JOINTS",
    "Cameras",
    "GroundTruth",
    "PersonMotion",
    "Scene",
    "Track",
    "Visibility",
    "fill_unobserved_rotations",
    "fill_unobserved_linear",
]

NUM_KEYPOINTS = 25
"""Rows of the 2D keypoint arrays (OpenPose BODY_25 order)."""

NUM_BODY_JOINTS = 23
"""SMPL body joints (all joints but the root) in ``body_pose``."""

CONTACT_JOINTS = (0, 4, 5, 7, 8, 10, 11, 20, 21)
"""SMPL joint indices of the contact channels of :attr:`PersonMotion.contacts` (HuMoR order)."""

NUM_CONTACT_JOINTS = len(CONTACT_JOINTS)

ROTATION_TOLERANCE = 1e-4
"""Largest accepted ``|RᵀR − I|`` entry and ``|det R − 1|`` for a camera rotation."""

# Physical ranges checked on construction: values outside them are not measurements but a wrong
# unit, a wrong field or a corrupt file, and fitting them would only produce an absurd result.
MAX_DISTANCE_M = 1000.0
"""Largest accepted ``|transl|`` of a per-frame SMPL estimate (metres from the camera): beyond
1 km a person is a couple of pixels tall at any usual focal length."""

MAX_CAMERA_TRANSLATION = 1e6
"""Largest accepted ``|t|`` of a camera (SLAM units)."""

FOCAL_RANGE = (0.05, 100.0)
"""Accepted focal lengths as multiples of the larger image side (fisheye to extreme tele)."""

KEYPOINT_MARGIN = 10.0
"""Detected keypoints must lie within this many image sizes of the image (pixels)."""

MAX_ABS_BETA = 100.0
"""Largest accepted ``|β|`` of a per-frame shape estimate (typical values lie within ±5)."""

UNIT_NORMAL_TOLERANCE = 1e-6
"""Largest accepted ``| |n| − 1 |`` for the ground-truth floor normal."""

_TRACK_ID_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


class Visibility(IntEnum):
    """Per-frame visibility code of a tracked person (stored as int8)."""

    VISIBLE = 1
    OCCLUDED = 0
    OUTSIDE_IMAGE = -1


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _as_float_array(value: Any, name: str, owner: str) -> np.ndarray:
    """Copy ``value`` into a new float64 array, or raise a ValueError naming the field.

    Text is refused rather than parsed: numbers stored as strings mean the file was written by
    something else than the tool it claims to come from.
    """
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{owner}: {name} must be a numeric array ({err})") from None
    if raw.dtype.kind in "USO" and _holds_text(raw):
        raise ValueError(
            f"{owner}: {name} holds text (dtype {raw.dtype}); expected numbers, not strings"
        )
    try:
        return np.array(raw, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{owner}: {name} must be a numeric array ({err})") from None


def _holds_text(array: np.ndarray) -> bool:
    if array.dtype.kind in "US":
        return True
    return any(isinstance(v, (str, bytes)) for v in array.ravel())


def _check_shape(
    array: np.ndarray,
    expected: tuple,
    name: str,
    owner: str,
    sizes: dict[str, int] | None = None,
) -> None:
    """Raise unless ``array.shape`` matches ``expected``.

    Entries of ``expected`` are ints (must match) or names of dimensions: a name found in
    ``sizes`` must match that size, any other name matches any size.
    """
    sizes = sizes or {}
    want = [sizes.get(e, None) if isinstance(e, str) else e for e in expected]
    ok = array.ndim == len(want) and all(
        w is None or s == w for s, w in zip(array.shape, want, strict=False)
    )
    if not ok:
        shown = ", ".join(str(e) for e in expected) + ("," if len(expected) == 1 else "")
        used = [f"{k} = {v}" for k, v in sizes.items() if k in expected]
        note = f" with {', '.join(used)}" if used else ""
        raise ValueError(
            f"{owner}: {name} has shape {tuple(array.shape)}, expected ({shown}){note}"
        )


def _check_finite(array: np.ndarray, name: str, owner: str, where: str = "") -> None:
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{owner}: {name} must be finite{where}; found {array[tuple(bad)]} at index "
            f"{tuple(int(i) for i in bad)}"
        )


def _as_int(value: Any, name: str, owner: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{owner}: {name} must be an integer, got {value!r}")
    return int(value)


def _as_positive_float(value: Any, name: str, owner: str) -> float:
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise ValueError(f"{owner}: {name} must be a positive finite number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner}: {name} must be a positive finite number, got {value!r}"
        ) from None
    if not (np.isfinite(out) and out > 0):
        raise ValueError(f"{owner}: {name} must be a positive finite number, got {value!r}")
    return out


def _as_bool(value: Any, name: str, owner: str) -> bool:
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{owner}: {name} must be a bool, got {value!r}")
    return bool(value)


def _check_range(array: np.ndarray, limit: float, name: str, owner: str, what: str) -> None:
    """Raise unless every entry of ``array`` (frames first) lies within ``±limit``."""
    if array.size and np.abs(array).max() > limit:
        bad = np.argwhere(np.abs(array) > limit)[0]
        raise ValueError(
            f"{owner}: {name} is {array[tuple(bad)]:.4g} at frame {int(bad[0])}, beyond "
            f"±{limit:g} ({what}); check the file's units and fields"
        )


# --------------------------------------------------------------------------------------------
# gap filling
# --------------------------------------------------------------------------------------------


def _bracket(observed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split the unobserved frames into (inside, before, after) and return the observed indices.

    ``inside`` are unobserved frames strictly between the first and the last observed frame.
    """
    obs = np.flatnonzero(observed)
    missing = np.flatnonzero(~observed)
    before = missing[missing < obs[0]]
    after = missing[missing > obs[-1]]
    inside = missing[(missing > obs[0]) & (missing < obs[-1])]
    return obs, inside, before, after


def fill_unobserved_rotations(rotvecs: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Fill unobserved frames of axis-angle rotations by spherical linear interpolation.

    Each of the K rotation channels is interpolated on its own (shortest-arc slerp between the
    nearest observed frames before and after); frames before the first or after the last observed
    frame take the nearest observed value. Observed frames are returned bit-identical.

    Args:
        rotvecs: (T, K, 3) axis-angle in radians; values at unobserved frames are ignored
            (they may be NaN).
        observed: (T,) bool, at least one True.

    Returns:
        (T, K, 3) float64 axis-angle with every frame finite where the observed ones are.
    """
    rotvecs = np.asarray(rotvecs, dtype=np.float64)
    observed = np.asarray(observed, dtype=bool)
    if rotvecs.ndim != 3 or rotvecs.shape[-1] != 3 or observed.shape != rotvecs.shape[:1]:
        raise ValueError(
            f"rotvecs must have shape (T, K, 3) and observed (T,), got {rotvecs.shape} and "
            f"{observed.shape}"
        )
    if not observed.any():
        raise ValueError("observed must mark at least one frame")
    out = rotvecs.copy()
    obs, inside, before, after = _bracket(observed)
    out[before] = rotvecs[obs[0]]
    out[after] = rotvecs[obs[-1]]
    if inside.size:
        for k in range(rotvecs.shape[1]):
            slerp = Slerp(obs.astype(np.float64), Rotation.from_rotvec(rotvecs[obs, k]))
            out[inside, k] = slerp(inside.astype(np.float64)).as_rotvec()
    return out


def fill_unobserved_linear(values: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Fill unobserved frames of a vector signal by linear interpolation in time.

    Frames before the first or after the last observed frame take the nearest observed value.
    Observed frames are returned bit-identical.

    Args:
        values: (T, ...) float; values at unobserved frames are ignored (they may be NaN).
        observed: (T,) bool, at least one True.

    Returns:
        (T, ...) float64.
    """
    values = np.asarray(values, dtype=np.float64)
    observed = np.asarray(observed, dtype=bool)
    if values.ndim < 1 or observed.shape != values.shape[:1]:
        raise ValueError(
            f"values must have shape (T, ...) and observed (T,), got {values.shape} and "
            f"{observed.shape}"
        )
    if not observed.any():
        raise ValueError("observed must mark at least one frame")
    out = values.copy()
    obs, inside, before, after = _bracket(observed)
    out[before] = values[obs[0]]
    out[after] = values[obs[-1]]
    if inside.size:
        right = np.searchsorted(obs, inside)  # first observed index > frame (frame not observed)
        t0, t1 = obs[right - 1], obs[right]
        w = ((inside - t0) / (t1 - t0)).reshape((-1,) + (1,) * (values.ndim - 1))
        out[inside] = (1.0 - w) * values[t0] + w * values[t1]
    return out


# --------------------------------------------------------------------------------------------
# cameras
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Cameras:
    """Per-frame pinhole cameras, world→camera, OpenCV axes (x right, y down, z forward).

    A world point ``X`` (metres) maps to the camera frame as ``R X + α t`` where ``α`` is the world
    scale (metres per SLAM unit); for ground-truth cameras ``t`` is already metric (``α = 1``).

    Attributes:
        R: (T, 3, 3) world→camera rotations.
        t: (T, 3) world→camera translations in SLAM units.
        intrinsics: (T, 4) ``fx, fy, cx, cy`` in pixels.
        is_static: True when the camera is known not to move (no SLAM); the solver then does not
            optimise the world scale.
    """

    __repr__ = short_repr

    R: np.ndarray
    t: np.ndarray
    intrinsics: np.ndarray
    is_static: bool = False

    def __post_init__(self) -> None:
        owner = "cameras"
        self.R = _as_float_array(self.R, "R", owner)
        _check_shape(self.R, ("T", 3, 3), "R", owner)
        n = self.R.shape[0]
        if n < 1:
            raise ValueError(f"{owner}: R must hold at least one frame, got shape {self.R.shape}")
        dims = {"T": n}
        self.t = _as_float_array(self.t, "t", owner)
        _check_shape(self.t, ("T", 3), "t", owner, dims)
        self.intrinsics = _as_float_array(self.intrinsics, "intrinsics", owner)
        _check_shape(self.intrinsics, ("T", 4), "intrinsics", owner, dims)
        self.is_static = _as_bool(self.is_static, "is_static", owner)
        _check_finite(self.R, "R", owner)
        _check_finite(self.t, "t", owner)
        _check_finite(self.intrinsics, "intrinsics", owner)

        ortho = np.abs(np.swapaxes(self.R, -1, -2) @ self.R - np.eye(3)).max(axis=(-2, -1))
        det = np.linalg.det(self.R)
        bad = np.flatnonzero(
            (ortho > ROTATION_TOLERANCE) | (np.abs(det - 1.0) > ROTATION_TOLERANCE)
        )
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"{owner}: R[{i}] is not a proper rotation (max |RᵀR − I| = {ortho[i]:.3g}, "
                f"det = {det[i]:.6g}); expected RᵀR = I and det R = +1 within "
                f"{ROTATION_TOLERANCE:g}"
            )
        far = np.abs(self.t).max(axis=1) > MAX_CAMERA_TRANSLATION
        if far.any():
            i = int(np.flatnonzero(far)[0])
            raise ValueError(
                f"{owner}: t[{i}] = {self.t[i].tolist()} is beyond ±{MAX_CAMERA_TRANSLATION:g} "
                "SLAM units; expected world→camera translations of a SLAM trajectory"
            )
        focal = self.intrinsics[:, :2]
        if np.any(focal <= 0):
            i = int(np.flatnonzero(np.any(focal <= 0, axis=1))[0])
            raise ValueError(
                f"{owner}: intrinsics[{i}] has fx, fy = {tuple(focal[i])}, expected fx > 0 and "
                "fy > 0 (pixels)"
            )

    @property
    def num_frames(self) -> int:
        """Number of frames T."""
        return int(self.R.shape[0])

    def w2c(self) -> np.ndarray:
        """World→camera homogeneous matrices (T, 4, 4), translation in SLAM units."""
        out = np.zeros((self.num_frames, 4, 4))
        out[:, :3, :3] = self.R
        out[:, :3, 3] = self.t
        out[:, 3, 3] = 1.0
        return out

    def c2w(self) -> np.ndarray:
        """Camera→world homogeneous matrices (T, 4, 4): ``[Rᵀ | −Rᵀ t]``, SLAM units."""
        rt = np.swapaxes(self.R, -1, -2)
        out = np.zeros((self.num_frames, 4, 4))
        out[:, :3, :3] = rt
        out[:, :3, 3] = -np.einsum("tij,tj->ti", rt, self.t)
        out[:, 3, 3] = 1.0
        return out

    def centers(self, alpha: float = 1.0) -> np.ndarray:
        """Camera centres in the world frame (T, 3): ``−Rᵀ (α t)``.

        Args:
            alpha: world scale in metres per SLAM unit; the default 1 gives SLAM units.
        """
        return -np.einsum("tji,tj->ti", self.R, alpha * self.t)

    def K(self) -> np.ndarray:
        """Calibration matrices (T, 3, 3) in pixels."""
        fx, fy, cx, cy = self.intrinsics.T
        out = np.zeros((self.num_frames, 3, 3))
        out[:, 0, 0] = fx
        out[:, 1, 1] = fy
        out[:, 0, 2] = cx
        out[:, 1, 2] = cy
        out[:, 2, 2] = 1.0
        return out

    @classmethod
    def from_w2c(cls, w2c: np.ndarray, intrinsics: np.ndarray, is_static: bool = False) -> Cameras:
        """Build from world→camera matrices.

        Args:
            w2c: (T, 4, 4) world→camera matrices (bottom row ``0 0 0 1``), translation in SLAM
                units.
            intrinsics: (T, 4) or (4,) ``fx, fy, cx, cy`` in pixels; (4,) is used for every frame.
            is_static: see :class:`Cameras`.
        """
        w2c = _as_float_array(w2c, "w2c", "cameras")
        _check_homogeneous(w2c, "w2c")
        return cls(
            R=w2c[:, :3, :3],
            t=w2c[:, :3, 3],
            intrinsics=_broadcast_intrinsics(intrinsics, w2c.shape[0]),
            is_static=is_static,
        )

    @classmethod
    def from_c2w(cls, c2w: np.ndarray, intrinsics: np.ndarray, is_static: bool = False) -> Cameras:
        """Build from camera→world matrices (camera poses).

        Args:
            c2w: (T, 4, 4) camera→world matrices (bottom row ``0 0 0 1``), SLAM units.
            intrinsics: (T, 4) or (4,) ``fx, fy, cx, cy`` in pixels.
            is_static: see :class:`Cameras`.
        """
        c2w = _as_float_array(c2w, "c2w", "cameras")
        _check_homogeneous(c2w, "c2w")
        r = np.swapaxes(c2w[:, :3, :3], -1, -2)
        t = -np.einsum("tij,tj->ti", r, c2w[:, :3, 3])
        return cls(
            R=r,
            t=t,
            intrinsics=_broadcast_intrinsics(intrinsics, c2w.shape[0]),
            is_static=is_static,
        )

    @classmethod
    def static(
        cls, num_frames: int, width: int, height: int, focal: float | None = None
    ) -> Cameras:
        """Identity cameras for a video without SLAM (the world frame is the camera frame).

        Args:
            num_frames: T ≥ 1.
            width, height: image size in pixels; the principal point is the image centre.
            focal: focal length in pixels; default ``0.5 (width + height)`` as SLAHMR.
        """
        num_frames = _as_int(num_frames, "num_frames", "cameras")
        if num_frames < 1:
            raise ValueError(f"cameras: num_frames must be ≥ 1, got {num_frames}")
        width = _as_positive_float(width, "width", "cameras")
        height = _as_positive_float(height, "height", "cameras")
        f = (
            0.5 * (width + height)
            if focal is None
            else _as_positive_float(focal, "focal", "cameras")
        )
        intrinsics = np.tile([f, f, 0.5 * width, 0.5 * height], (num_frames, 1))
        return cls(
            R=np.tile(np.eye(3), (num_frames, 1, 1)),
            t=np.zeros((num_frames, 3)),
            intrinsics=intrinsics,
            is_static=True,
        )


def _check_homogeneous(m: np.ndarray, name: str) -> None:
    _check_shape(m, ("T", 4, 4), name, "cameras")
    if m.shape[0] < 1:
        raise ValueError(f"cameras: {name} must hold at least one frame, got shape {m.shape}")
    bottom = m[:, 3, :]
    if not np.allclose(bottom, [0.0, 0.0, 0.0, 1.0], atol=1e-6, rtol=0):
        i = int(np.flatnonzero(~np.all(np.isclose(bottom, [0, 0, 0, 1], atol=1e-6), axis=1))[0])
        raise ValueError(f"cameras: {name}[{i}] bottom row is {bottom[i]}, expected [0, 0, 0, 1]")


def _broadcast_intrinsics(intrinsics: np.ndarray, num_frames: int) -> np.ndarray:
    intrinsics = _as_float_array(intrinsics, "intrinsics", "cameras")
    if intrinsics.shape == (4,):
        return np.tile(intrinsics, (num_frames, 1))
    return intrinsics


# --------------------------------------------------------------------------------------------
# tracks
# --------------------------------------------------------------------------------------------


def _check_track_id(track_id: Any, what: str) -> str:
    if not isinstance(track_id, str) or not _TRACK_ID_PATTERN.fullmatch(track_id):
        raise ValueError(
            f"{what} id {track_id!r} is invalid: expected a non-empty string of letters, digits, "
            "'_', '-', '.' not starting with '.' or '-' (it names a file)"
        )
    return track_id


@dataclass(eq=False)
class Track:
    """Observations of one tracked person over consecutive scene frames ``[start, end)``.

    Attributes:
        track_id: unique name in the scene (letters, digits, ``_ - .``; it names a file).
        start: first scene frame index (≥ 0).
        keypoints: (T_i, 25, 3) float: x, y in pixels and a confidence in [0, 1], OpenPose BODY_25
            order; a joint that was not detected has confidence 0.
        global_orient: (T_i, 3) SMPL root orientation, axis-angle, camera frame; or None.
        body_pose: (T_i, 23, 3) SMPL body joint rotations, axis-angle; or None.
        betas: (T_i, B) per-frame SMPL shape coefficients, B ≥ 1; or None.
        transl: (T_i, 3) SMPL translation in the camera frame, metres (the upstream tool's
            metric guess); or None. The four SMPL fields are all given or all None.
        smpl_observed: (T_i,) bool, True where the SMPL estimate came from the upstream tool.
            Default when SMPL is given: frames where all four SMPL arrays are finite. Frames with
            False are (re)computed on construction from the observed ones: slerp for
            ``global_orient`` and each body joint, linear for ``transl`` and ``betas``, nearest
            observed value before the first and after the last observed frame. The mask is kept as
            given so the fill stays marked. All False when there is no SMPL.
        visibility: (T_i,) int8 :class:`Visibility` codes; default VISIBLE where any keypoint has
            confidence > 0, else OCCLUDED.
    """

    __repr__ = short_repr

    track_id: str
    start: int
    keypoints: np.ndarray
    global_orient: np.ndarray | None = None
    body_pose: np.ndarray | None = None
    betas: np.ndarray | None = None
    transl: np.ndarray | None = None
    smpl_observed: np.ndarray | None = None
    visibility: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.track_id = _check_track_id(self.track_id, "track")
        owner = f"track {self.track_id!r}"
        self.start = _as_int(self.start, "start", owner)
        if self.start < 0:
            raise ValueError(f"{owner}: start must be ≥ 0, got {self.start}")

        self.keypoints = _as_float_array(self.keypoints, "keypoints", owner)
        n = self.keypoints.shape[0] if self.keypoints.ndim >= 1 else 0
        _check_shape(self.keypoints, ("T_i", NUM_KEYPOINTS, 3), "keypoints", owner)
        dims = {"T_i": n}
        if n < 1:
            raise ValueError(f"{owner}: keypoints must hold at least one frame (T_i ≥ 1)")
        _check_finite(self.keypoints, "keypoints", owner)
        conf = self.keypoints[..., 2]
        if np.any((conf < 0) | (conf > 1)):
            bad = np.argwhere((conf < 0) | (conf > 1))[0]
            raise ValueError(
                f"{owner}: keypoints confidence must lie in [0, 1]; found {conf[tuple(bad)]} at "
                f"frame {int(bad[0])}, joint {int(bad[1])}"
            )

        self._init_smpl(owner, dims)

        if self.visibility is None:
            vis = np.where(np.any(conf > 0, axis=1), Visibility.VISIBLE, Visibility.OCCLUDED)
            self.visibility = vis.astype(np.int8)
        else:
            vis = np.asarray(self.visibility)
            _check_shape(vis, ("T_i",), "visibility", owner, dims)
            if vis.dtype.kind not in "iub":
                raise ValueError(f"{owner}: visibility must hold integer codes, got {vis.dtype}")
            codes = [int(v) for v in Visibility]
            if not np.all(np.isin(vis, codes)):
                bad = np.unique(vis[~np.isin(vis, codes)])
                raise ValueError(
                    f"{owner}: visibility holds codes {bad.tolist()}, expected Visibility codes "
                    f"{codes}"
                )
            self.visibility = vis.astype(np.int8)

    def _init_smpl(self, owner: str, dims: dict[str, int]) -> None:
        n = dims["T_i"]
        names = ("global_orient", "body_pose", "betas", "transl")
        given = [getattr(self, k) is not None for k in names]
        if any(given) and not all(given):
            missing = [k for k, g in zip(names, given, strict=True) if not g]
            raise ValueError(
                f"{owner}: SMPL fields must be all given or all None; missing {missing}"
            )
        if not all(given):
            if self.smpl_observed is not None and np.any(self.smpl_observed):
                raise ValueError(f"{owner}: smpl_observed marks frames but no SMPL is given")
            self.smpl_observed = np.zeros(n, dtype=bool)
            return

        go = _as_float_array(self.global_orient, "global_orient", owner)
        _check_shape(go, ("T_i", 3), "global_orient", owner, dims)
        bp = _as_float_array(self.body_pose, "body_pose", owner)
        _check_shape(bp, ("T_i", NUM_BODY_JOINTS, 3), "body_pose", owner, dims)
        betas = _as_float_array(self.betas, "betas", owner)
        _check_shape(betas, ("T_i", "B"), "betas", owner, dims)
        if betas.shape[1] < 1:
            raise ValueError(f"{owner}: betas has shape {betas.shape}, expected B ≥ 1 columns")
        transl = _as_float_array(self.transl, "transl", owner)
        _check_shape(transl, ("T_i", 3), "transl", owner, dims)

        if self.smpl_observed is None:
            observed = np.ones(n, dtype=bool)
            for a in (go, bp, betas, transl):
                observed &= np.all(np.isfinite(a.reshape(n, -1)), axis=1)
        else:
            observed = np.asarray(self.smpl_observed)
            _check_shape(observed, ("T_i",), "smpl_observed", owner, dims)
            if observed.dtype != bool:
                raise ValueError(f"{owner}: smpl_observed must be bool, got {observed.dtype}")
            observed = observed.copy()
        if not observed.any():
            raise ValueError(f"{owner}: smpl_observed must mark at least one observed SMPL frame")
        for name, a in (
            ("global_orient", go),
            ("body_pose", bp),
            ("betas", betas),
            ("transl", transl),
        ):
            _check_finite(a[observed], name, owner, " where smpl_observed")

        _check_range(transl[observed], MAX_DISTANCE_M, "transl", owner, "metres from the camera")
        _check_range(betas[observed], MAX_ABS_BETA, "betas", owner, "shape coefficients")
        if np.all(transl[observed, 2] <= 0):
            raise ValueError(
                f"{owner}: transl has z ≤ 0 on every observed frame (the person is behind the "
                "camera); expected camera-frame translations with z > 0 (OpenCV axes: z forward)"
            )

        rot = fill_unobserved_rotations(np.concatenate([go[:, None], bp], axis=1), observed)
        self.global_orient = rot[:, 0]
        self.body_pose = rot[:, 1:]
        self.betas = fill_unobserved_linear(betas, observed)
        self.transl = fill_unobserved_linear(transl, observed)
        self.smpl_observed = observed

    @property
    def num_frames(self) -> int:
        """Number of frames T_i."""
        return int(self.keypoints.shape[0])

    @property
    def end(self) -> int:
        """One past the last scene frame index of the track."""
        return self.start + self.num_frames

    @property
    def frames(self) -> np.ndarray:
        """(T_i,) int64 scene frame indices."""
        return np.arange(self.start, self.end, dtype=np.int64)

    @property
    def has_smpl(self) -> bool:
        """Whether per-frame SMPL estimates are present."""
        return self.global_orient is not None


# --------------------------------------------------------------------------------------------
# scene
# --------------------------------------------------------------------------------------------


def _check_keypoints_in_view(track: Track, width: int, height: int) -> None:
    """Detected keypoints (confidence > 0) lie within :data:`KEYPOINT_MARGIN` image sizes."""
    detected = track.keypoints[..., 2] > 0
    xy = track.keypoints[..., :2]
    lo = -KEYPOINT_MARGIN * np.array([width, height])
    hi = (1 + KEYPOINT_MARGIN) * np.array([width, height])
    bad = detected & np.any((xy < lo) | (xy > hi), axis=-1)
    if bad.any():
        f, j = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"track {track.track_id!r}: keypoint {j} at frame {f} is at {xy[f, j].tolist()} px, "
            f"far outside the {width}x{height} image (more than {KEYPOINT_MARGIN:g} image sizes "
            "away); expected pixel coordinates of this image"
        )


def _check_focal_range(cameras: Cameras, width: int, height: int) -> None:
    side = max(width, height)
    lo, hi = FOCAL_RANGE[0] * side, FOCAL_RANGE[1] * side
    focal = cameras.intrinsics[:, :2]
    bad = np.any((focal < lo) | (focal > hi), axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"cameras: intrinsics[{i}] has fx, fy = {focal[i].tolist()} px, outside "
            f"[{lo:g}, {hi:g}] ({FOCAL_RANGE[0]:g}–{FOCAL_RANGE[1]:g}× the larger side of the "
            f"{width}x{height} image); expected a focal length in pixels of this image"
        )


def _normalise_json(value: Any, name: str, owner: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{owner}: {name} must be a dict, got {type(value).__name__}")
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as err:
        raise ValueError(f"{owner}: {name} must be JSON-serialisable ({err})") from None


@dataclass(eq=False)
class Scene:
    """Everything the solver needs about one video.

    Attributes:
        fps: frame rate of the frames in the scene (Hz).
        image_size: ``(width, height)`` in pixels.
        cameras: per-frame cameras; their count defines the scene frames ``0 … num_frames − 1``.
        tracks: at least one :class:`Track`, unique ids, each inside ``[0, num_frames)``.
        name: free-form scene name.
        provenance: JSON-serialisable free-form information (source tools, preset, seed…); it is
            normalised through a JSON round trip on construction (tuples become lists).
    """

    __repr__ = short_repr

    fps: float
    image_size: tuple[int, int]
    cameras: Cameras
    tracks: list[Track]
    name: str = "scene"
    provenance: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        owner = "scene"
        self.fps = _as_positive_float(self.fps, "fps", owner)
        try:
            size = tuple(self.image_size)
        except TypeError:
            size = ()
        if len(size) != 2:
            raise ValueError(
                f"{owner}: image_size must be (width, height), got {self.image_size!r}"
            )
        width = _as_int(size[0], "image_size width", owner)
        height = _as_int(size[1], "image_size height", owner)
        if width <= 0 or height <= 0:
            raise ValueError(f"{owner}: image_size must be positive, got {(width, height)}")
        self.image_size = (width, height)
        if not isinstance(self.cameras, Cameras):
            raise ValueError(
                f"{owner}: cameras must be a Cameras, got {type(self.cameras).__name__}"
            )
        if not isinstance(self.name, str):
            raise ValueError(f"{owner}: name must be a str, got {self.name!r}")
        self.tracks = list(self.tracks)
        if not self.tracks:
            raise ValueError(f"{owner}: tracks must hold at least one Track")
        seen: set[str] = set()
        n = self.cameras.num_frames
        for track in self.tracks:
            if not isinstance(track, Track):
                raise ValueError(
                    f"{owner}: tracks must hold Track objects, got {type(track).__name__}"
                )
            if track.track_id in seen:
                raise ValueError(f"{owner}: track id {track.track_id!r} appears more than once")
            seen.add(track.track_id)
            if track.end > n:
                raise ValueError(
                    f"track {track.track_id!r}: frames [{track.start}, {track.end}) must lie "
                    f"inside the scene frames [0, {n}) given by the cameras"
                )
            _check_keypoints_in_view(track, width, height)
        _check_focal_range(self.cameras, width, height)
        self.provenance = _normalise_json(self.provenance, "provenance", owner)

    @property
    def num_frames(self) -> int:
        """Number of scene frames (= camera frames)."""
        return self.cameras.num_frames

    @property
    def width(self) -> int:
        """Image width in pixels."""
        return self.image_size[0]

    @property
    def height(self) -> int:
        """Image height in pixels."""
        return self.image_size[1]

    @property
    def track_ids(self) -> list[str]:
        """Track ids in scene order."""
        return [t.track_id for t in self.tracks]

    def track(self, track_id: str) -> Track:
        """The track named ``track_id``; KeyError naming the known ids if absent."""
        for t in self.tracks:
            if t.track_id == track_id:
                return t
        raise KeyError(f"no track {track_id!r} in scene {self.name!r}; tracks: {self.track_ids}")


# --------------------------------------------------------------------------------------------
# ground truth
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class PersonMotion:
    """World motion of one person (ground truth, or a solver result), world frame, metric.

    Attributes:
        track_id: id of the matching :class:`Track`.
        frames: (T_i,) int64 consecutive scene frame indices (≥ 0).
        global_orient: (T_i, 3) SMPL root orientation in the world frame, axis-angle.
        body_pose: (T_i, 23, 3) SMPL body joint rotations, axis-angle.
        betas: (B,) SMPL shape coefficients, B ≥ 1.
        transl: (T_i, 3) SMPL translation in the world frame, metres.
        contacts: (T_i, 9) foot/body contact in [0, 1] for SMPL joints :data:`CONTACT_JOINTS`
            (HuMoR order), or None.
    """

    __repr__ = short_repr

    track_id: str
    frames: np.ndarray
    global_orient: np.ndarray
    body_pose: np.ndarray
    betas: np.ndarray
    transl: np.ndarray
    contacts: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.track_id = _check_track_id(self.track_id, "person")
        owner = f"person {self.track_id!r}"
        frames = np.asarray(self.frames)
        _check_shape(frames, ("T_i",), "frames", owner)
        if frames.size < 1:
            raise ValueError(f"{owner}: frames must hold at least one frame (T_i ≥ 1)")
        if frames.dtype.kind not in "iu":
            raise ValueError(f"{owner}: frames must be integers, got dtype {frames.dtype}")
        frames = frames.astype(np.int64)
        if frames[0] < 0 or np.any(np.diff(frames) != 1):
            raise ValueError(
                f"{owner}: frames must be consecutive non-negative scene frame indices, got "
                f"{frames[:5].tolist()}{'…' if frames.size > 5 else ''}"
            )
        self.frames = frames
        n = frames.size
        dims = {"T_i": n}
        self.global_orient = _as_float_array(self.global_orient, "global_orient", owner)
        _check_shape(self.global_orient, ("T_i", 3), "global_orient", owner, dims)
        self.body_pose = _as_float_array(self.body_pose, "body_pose", owner)
        _check_shape(self.body_pose, ("T_i", NUM_BODY_JOINTS, 3), "body_pose", owner, dims)
        self.betas = _as_float_array(self.betas, "betas", owner)
        _check_shape(self.betas, ("B",), "betas", owner)
        if self.betas.size < 1:
            raise ValueError(
                f"{owner}: betas has shape {self.betas.shape}, expected (B,) with B ≥ 1"
            )
        self.transl = _as_float_array(self.transl, "transl", owner)
        _check_shape(self.transl, ("T_i", 3), "transl", owner, dims)
        for name in ("global_orient", "body_pose", "betas", "transl"):
            _check_finite(getattr(self, name), name, owner)
        if self.contacts is not None:
            self.contacts = _as_float_array(self.contacts, "contacts", owner)
            _check_shape(self.contacts, ("T_i", NUM_CONTACT_JOINTS), "contacts", owner, dims)
            _check_finite(self.contacts, "contacts", owner)
            if np.any((self.contacts < 0) | (self.contacts > 1)):
                raise ValueError(f"{owner}: contacts must lie in [0, 1]")

    @property
    def num_frames(self) -> int:
        """Number of frames T_i."""
        return int(self.frames.size)

    @property
    def start(self) -> int:
        """First scene frame index."""
        return int(self.frames[0])

    @property
    def end(self) -> int:
        """One past the last scene frame index."""
        return int(self.frames[-1]) + 1


@dataclass(eq=False)
class GroundTruth:
    """What a synthetic scene was generated from; world frame = the SLAM world made metric.

    Attributes:
        alpha: true world scale, metres per SLAM unit: ``x = Π_K(R X + α t_slam)``.
        floor_normal: (3,) unit "up" normal of the floor in the world frame.
        floor_offset: d of the floor plane ``{x : n · x = d}``, metres.
        cameras: true metric world→camera cameras.
        people: at least one :class:`PersonMotion`, unique ids, inside the camera frames.
        fps: frame rate (Hz).
    """

    __repr__ = short_repr

    alpha: float
    floor_normal: np.ndarray
    floor_offset: float
    cameras: Cameras
    people: list[PersonMotion]
    fps: float

    def __post_init__(self) -> None:
        owner = "ground truth"
        self.alpha = _as_positive_float(self.alpha, "alpha", owner)
        self.fps = _as_positive_float(self.fps, "fps", owner)
        self.floor_normal = _as_float_array(self.floor_normal, "floor_normal", owner)
        _check_shape(self.floor_normal, (3,), "floor_normal", owner)
        _check_finite(self.floor_normal, "floor_normal", owner)
        norm = float(np.linalg.norm(self.floor_normal))
        if abs(norm - 1.0) > UNIT_NORMAL_TOLERANCE:
            raise ValueError(f"{owner}: floor_normal must be a unit vector, got norm {norm:.9g}")
        if isinstance(self.floor_offset, (bool, np.bool_)):
            raise ValueError(f"{owner}: floor_offset must be a finite number")
        try:
            self.floor_offset = float(self.floor_offset)
        except (TypeError, ValueError):
            raise ValueError(
                f"{owner}: floor_offset must be a finite number, got {self.floor_offset!r}"
            ) from None
        if not np.isfinite(self.floor_offset):
            raise ValueError(f"{owner}: floor_offset must be finite, got {self.floor_offset}")
        if not isinstance(self.cameras, Cameras):
            raise ValueError(
                f"{owner}: cameras must be a Cameras, got {type(self.cameras).__name__}"
            )
        self.people = list(self.people)
        if not self.people:
            raise ValueError(f"{owner}: people must hold at least one PersonMotion")
        seen: set[str] = set()
        for p in self.people:
            if not isinstance(p, PersonMotion):
                raise ValueError(
                    f"{owner}: people must hold PersonMotion objects, got {type(p).__name__}"
                )
            if p.track_id in seen:
                raise ValueError(f"{owner}: person id {p.track_id!r} appears more than once")
            seen.add(p.track_id)
            if p.end > self.cameras.num_frames:
                raise ValueError(
                    f"person {p.track_id!r}: frames [{p.start}, {p.end}) must lie inside the "
                    f"camera frames [0, {self.cameras.num_frames})"
                )

    @property
    def floor_plane(self) -> np.ndarray:
        """(3,) SLAHMR's floor parameterisation ``n · d``."""
        return self.floor_normal * self.floor_offset

    @property
    def track_ids(self) -> list[str]:
        """Person ids in order."""
        return [p.track_id for p in self.people]

    def person(self, track_id: str) -> PersonMotion:
        """The person named ``track_id``; KeyError naming the known ids if absent."""
        for p in self.people:
            if p.track_id == track_id:
                return p
        raise KeyError(f"no person {track_id!r} in ground truth; people: {self.track_ids}")
