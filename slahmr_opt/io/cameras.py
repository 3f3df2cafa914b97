"""Readers and writers of camera trajectories: SLAHMR cameras.npz, DPVO / DROID, TUM, MegaSaM.

Every reader returns :class:`~slahmr_opt.scene.Cameras`: world→camera ``R (T, 3, 3)``,
``t (T, 3)`` in SLAM units, intrinsics ``fx, fy, cx, cy`` in pixels at the scene's image size,
OpenCV axes (x right, y down, z forward). Conventions of the sources, named in each signature:

===================  ==========================================  ===========================
format               fields read                                 pose convention
===================  ==========================================  ===========================
``slahmr``           ``w2c`` (T,4,4), ``intrins`` (T,4),          world→camera
                     ``width``, ``height``
``dpvo`` / DROID     (T, 7) ``tx ty tz qx qy qz qw``              camera→world, quaternion
                     (``.npy``, ``.txt``, ``.npz``, ``.pt``)       xyzw (both switchable)
``tum``              text ``timestamp tx ty tz qx qy qz qw``      camera→world, xyzw
``megasam``          ``cam_c2w`` (T,4,4), ``intrinsic`` (3,3),    camera→world
                     image size from ``images``/``depths``
``static``           nothing (identity cameras)                   —
===================  ==========================================  ===========================

Intrinsics come from, in order: an intrinsics file or values the caller gives, the camera file's
own, or the default ``[f, f, W/2, H/2]`` with ``f`` given or ``0.5 (W + H)`` (the original's).
When the intrinsics belong to another image size than the scene's (the keypoints'), they are
rescaled per axis: ``fx, cx`` by ``W_scene / W_cam`` and ``fy, cy`` by ``H_scene / H_cam``.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from scipy.spatial.transform import Rotation, Slerp

from slahmr_opt.errors import InputError
from slahmr_opt.geometry.camera import (
    default_focal,
    quat_xyzw_to_rotmat,
    rotmat_to_quat_wxyz,
    rotmat_to_quat_xyzw,
)
from slahmr_opt.io.atomic import write_bytes_atomic, write_npz_atomic
from slahmr_opt.io.keypoints import (
    as_numeric_array,
    check_finite,
    read_npy_file,
    read_npz_file,
    read_torch_file,
    to_numpy,
)
from slahmr_opt.io.scene_folder import load_cameras
from slahmr_opt.safe_load import load_npz
from slahmr_opt.scene import Cameras

__all__ = [
    "CAMERA_FORMATS",
    "QUATERNION_NORM_TOLERANCE",
    "cameras_to_pose7",
    "default_intrinsics",
    "interpolate_c2w",
    "pose7_to_c2w",
    "read_cameras",
    "read_intrinsics",
    "read_megasam_npz",
    "read_pose7_trajectory",
    "read_slahmr_cameras",
    "read_tum_trajectory",
    "rescale_intrinsics",
    "write_dpvo_trajectory",
    "write_intrinsics_txt",
    "write_megasam_npz",
    "write_slahmr_cameras",
    "write_tum_trajectory",
]

CAMERA_FORMATS = ("slahmr", "dpvo", "droid", "tum", "megasam", "static")
"""Names accepted by :func:`read_cameras` (``droid`` is the same (N, 7) layout as ``dpvo``)."""

QUATERNION_NORM_TOLERANCE = 1e-3
"""Largest accepted ``| |q| − 1 |`` of a trajectory quaternion (it is then normalised)."""

PoseConvention = Literal["c2w", "w2c"]
QuatOrder = Literal["xyzw", "wxyz"]


# --------------------------------------------------------------------------------------------
# intrinsics
# --------------------------------------------------------------------------------------------


def default_intrinsics(width: int, height: int, focal: float | None = None) -> np.ndarray:
    """``[f, f, W/2, H/2]`` with ``f = focal`` or ``0.5 (W + H)`` (the original's default).

    Returns:
        (4,) float64 pixels.
    """
    f = default_focal(width, height) if focal is None else float(focal)
    if not (np.isfinite(f) and f > 0):
        raise ValueError(f"focal must be a positive number of pixels, got {focal!r}")
    return np.array([f, f, 0.5 * width, 0.5 * height])


def rescale_intrinsics(
    intrinsics: np.ndarray, from_size: tuple[float, float], to_size: tuple[float, float]
) -> np.ndarray:
    """Intrinsics of an image resized from ``from_size`` to ``to_size`` (both ``(W, H)``).

    ``fx, cx`` scale by ``W_to / W_from`` and ``fy, cy`` by ``H_to / H_from``.

    Args:
        intrinsics: (..., 4) ``fx, fy, cx, cy`` pixels.

    Returns:
        (..., 4) float64.
    """
    sx = float(to_size[0]) / float(from_size[0])
    sy = float(to_size[1]) / float(from_size[1])
    return np.asarray(intrinsics, np.float64) * np.array([sx, sy, sx, sy])


def read_intrinsics(path: str | os.PathLike) -> tuple[np.ndarray, tuple[int, int] | None]:
    """Read an intrinsics text file (the original's ``--intrins_path``, WHAM's ``calib.txt``).

    One row for every frame, or one row per frame: ``fx fy cx cy`` or ``fx fy cx cy W H``
    (whitespace or commas; ``#`` starts a comment).

    Returns:
        ((K, 4) intrinsics with K = 1 or T, the ``(W, H)`` they belong to or None).
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise ValueError(f"{label}: file not found (intrinsics)")
    rows = []
    for k, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        line = line.split("#", 1)[0].replace(",", " ").strip()
        if not line:
            continue
        try:
            values = [float(v) for v in line.split()]
        except ValueError:
            raise ValueError(f"{label}: line {k + 1} is not numbers: {line!r}") from None
        if len(values) not in (4, 6):
            raise ValueError(
                f"{label}: line {k + 1} has {len(values)} numbers, expected 4 (fx fy cx cy) or 6 "
                "(fx fy cx cy W H)"
            )
        rows.append(values)
    if not rows:
        raise ValueError(f"{label}: no intrinsics rows")
    if len({len(r) for r in rows}) != 1:
        raise ValueError(f"{label}: rows mix 4 and 6 numbers")
    arr = np.array(rows)
    check_finite(arr, label, "intrinsics")
    _check_focal(arr[:, :4], label, "intrinsics")
    size = None
    if arr.shape[1] == 6:
        sizes = {(int(w), int(h)) for w, h in arr[:, 4:]}
        if len(sizes) != 1:
            raise ValueError(f"{label}: the image size (W H columns) differs between rows")
        size = next(iter(sizes))
    return arr[:, :4], size


def write_intrinsics_txt(
    path: str | os.PathLike, intrinsics: np.ndarray, size: tuple[int, int] | None = None
) -> Path:
    """Write intrinsics as text rows ``fx fy cx cy [W H]`` (full precision).

    Args:
        intrinsics: (4,) or (K, 4) pixels.
        size: ``(W, H)`` to append to every row.
    """
    arr = np.atleast_2d(np.asarray(intrinsics, np.float64))
    lines = []
    for row in arr:
        vals = [repr(float(v)) for v in row]
        if size is not None:
            vals += [str(int(size[0])), str(int(size[1]))]
        lines.append(" ".join(vals))
    return write_bytes_atomic(path, ("\n".join(lines) + "\n").encode())


def _check_focal(intrinsics: np.ndarray, label: str, field: str) -> None:
    if np.any(intrinsics[..., :2] <= 0):
        raise ValueError(f"{label}: field {field!r} has fx or fy ≤ 0; expected positive pixels")


# --------------------------------------------------------------------------------------------
# 7-number poses and quaternions
# --------------------------------------------------------------------------------------------


def pose7_to_c2w(
    poses: np.ndarray,
    *,
    pose: PoseConvention = "c2w",
    quat_order: QuatOrder = "xyzw",
    label: str = "trajectory",
) -> np.ndarray:
    """(T, 7) ``tx ty tz`` + quaternion → (T, 4, 4) camera→world matrices.

    Args:
        poses: (T, 7) translation then quaternion, in ``quat_order``.
        pose: whether the rows are camera→world ("c2w": DPVO, DROID, TUM) or world→camera.
        quat_order: "xyzw" (scalar last: TUM, DPVO, roma) or "wxyz" (scalar first).
        label: the file, for messages.

    Returns:
        (T, 4, 4) float64 camera→world.
    """
    arr = as_numeric_array(poses, label, "poses")
    if arr.ndim != 2 or arr.shape[1] != 7 or arr.shape[0] < 1:
        raise ValueError(
            f"{label}: trajectory has shape {arr.shape}, expected (T, 7) rows "
            "tx ty tz qx qy qz qw with T ≥ 1"
        )
    check_finite(arr, label, "poses")
    if quat_order not in ("xyzw", "wxyz"):
        raise ValueError(f"{label}: quat_order must be 'xyzw' or 'wxyz', got {quat_order!r}")
    if pose not in ("c2w", "w2c"):
        raise ValueError(f"{label}: pose must be 'c2w' or 'w2c', got {pose!r}")
    q = arr[:, 3:] if quat_order == "xyzw" else arr[:, [4, 5, 6, 3]]
    norm = np.linalg.norm(q, axis=1)
    bad = np.abs(norm - 1.0) > QUATERNION_NORM_TOLERANCE
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{label}: row {i} quaternion has norm {norm[i]:.6g}, not a rotation; expected unit "
            f"quaternions (|q| = 1 within {QUATERNION_NORM_TOLERANCE:g}), order {quat_order}"
        )
    R = quat_xyzw_to_rotmat(torch.from_numpy(q)).numpy()
    m = np.zeros((arr.shape[0], 4, 4))
    m[:, :3, :3] = R
    m[:, :3, 3] = arr[:, :3]
    m[:, 3, 3] = 1.0
    return m if pose == "c2w" else _invert(m)


def _invert(m: np.ndarray) -> np.ndarray:
    out = np.zeros_like(m)
    rt = np.swapaxes(m[:, :3, :3], -1, -2)
    out[:, :3, :3] = rt
    out[:, :3, 3] = -np.einsum("tij,tj->ti", rt, m[:, :3, 3])
    out[:, 3, 3] = 1.0
    return out


def cameras_to_pose7(
    cameras: Cameras, *, pose: PoseConvention = "c2w", quat_order: QuatOrder = "xyzw"
) -> np.ndarray:
    """Cameras → (T, 7) ``tx ty tz`` + quaternion (the inverse of :func:`pose7_to_c2w`)."""
    m = cameras.c2w() if pose == "c2w" else cameras.w2c()
    R = torch.from_numpy(m[:, :3, :3].copy())
    q = rotmat_to_quat_xyzw(R) if quat_order == "xyzw" else rotmat_to_quat_wxyz(R)
    return np.concatenate([m[:, :3, 3], q.numpy()], axis=1)


def interpolate_c2w(times: np.ndarray, c2w: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Camera→world poses at ``query`` times: slerp for rotation, linear for the centre.

    Query times before the first or after the last pose take that pose.

    Args:
        times: (K,) strictly increasing pose times.
        c2w: (K, 4, 4) camera→world.
        query: (T,) times.

    Returns:
        (T, 4, 4).
    """
    times = np.asarray(times, np.float64)
    q = np.clip(np.asarray(query, np.float64), times[0], times[-1])
    out = np.zeros((q.size, 4, 4))
    out[:, 3, 3] = 1.0
    if times.size == 1:
        out[:] = c2w[0]
        return out
    out[:, :3, :3] = Slerp(times, Rotation.from_matrix(c2w[:, :3, :3]))(q).as_matrix()
    for k in range(3):
        out[:, k, 3] = np.interp(q, times, c2w[:, k, 3])
    return out


# --------------------------------------------------------------------------------------------
# file readers (poses and a file's own intrinsics)
# --------------------------------------------------------------------------------------------


def read_slahmr_cameras(path: str | os.PathLike) -> tuple[Cameras, tuple[int, int] | None]:
    """Read SLAHMR's ``cameras.npz`` (``run_slam.py`` output; also our scene folder's).

    Fields read: ``w2c`` (T, 4, 4) world→camera, ``intrins`` (T, 4) ``fx fy cx cy`` pixels,
    ``width`` and ``height`` (the image size of the intrinsics, optional), ``is_static``
    (optional, ours).

    Returns:
        (cameras, ``(W, H)`` of the intrinsics or None).
    """
    cameras = load_cameras(path)
    z = read_npz_file(path, "cameras")
    size = None
    if "width" in z and "height" in z:
        try:
            size = (int(z["width"].reshape(())), int(z["height"].reshape(())))
        except (TypeError, ValueError):
            raise ValueError(f"{path}: fields 'width', 'height' must be scalars") from None
        if size[0] <= 0 or size[1] <= 0:
            raise ValueError(f"{path}: fields 'width', 'height' must be positive, got {size}")
    return cameras, size


def write_slahmr_cameras(
    path: str | os.PathLike, cameras: Cameras, image_size: tuple[int, int]
) -> Path:
    """Write SLAHMR's ``cameras.npz``: ``w2c``, ``intrins``, ``focal``, ``width``, ``height``."""
    return write_npz_atomic(
        path,
        {
            "w2c": cameras.w2c(),
            "intrins": cameras.intrinsics,
            "focal": np.float64(np.mean(cameras.intrinsics[:, :2])),
            "width": np.int64(image_size[0]),
            "height": np.int64(image_size[1]),
        },
    )


def _trajectory_array(path: Path, trust_pickle: bool, key: str | None) -> np.ndarray:
    label = str(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return read_npy_file(path, "trajectory")
    if suffix == ".npz":
        z = read_npz_file(path, "trajectory")
        if key is None:
            if len(z) != 1:
                raise ValueError(
                    f"{label}: holds {sorted(z)}; name the (T, 7) trajectory field (key=...)"
                )
            key = next(iter(z))
        if key not in z:
            raise ValueError(f"{label}: field {key!r} missing (has {sorted(z)})")
        return z[key]
    if suffix in (".pt", ".pth", ".pkl"):
        data = to_numpy(read_torch_file(path, trust_pickle=trust_pickle, what="trajectory"))
        if isinstance(data, (tuple, list)) and data and not np.isscalar(data[0]):
            data = to_numpy(data[0])  # DPVO terminate() returns (poses, timestamps)
        return np.asarray(data)
    if suffix in (".txt", ".csv", ".tum", ""):
        return _read_text_rows(path)
    raise ValueError(
        f"{label}: unknown trajectory file type {path.suffix!r}; expected .npy, .npz, .txt, .pt"
    )


def _read_text_rows(path: Path) -> np.ndarray:
    label = str(path)
    if not path.is_file():
        raise ValueError(f"{label}: file not found (trajectory)")
    rows = []
    for k, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        line = line.split("#", 1)[0].replace(",", " ").strip()
        if not line:
            continue
        try:
            rows.append([float(v) for v in line.split()])
        except ValueError:
            raise ValueError(f"{label}: line {k + 1} is not numbers: {line!r}") from None
    if not rows:
        raise ValueError(f"{label}: no trajectory rows")
    if len({len(r) for r in rows}) != 1:
        raise ValueError(f"{label}: rows have different numbers of columns")
    return np.array(rows)


def read_pose7_trajectory(
    path: str | os.PathLike,
    *,
    pose: PoseConvention = "c2w",
    quat_order: QuatOrder = "xyzw",
    key: str | None = None,
    trust_pickle: bool = False,
) -> np.ndarray:
    """Read a DPVO / DROID-SLAM trajectory: (T, 7) ``tx ty tz qx qy qz qw`` per frame.

    DPVO and DROID write camera→world poses with scalar-last quaternions (WHAM and GVHMR read
    them that way); ``pose`` and ``quat_order`` switch for other tools. Files: ``.npy``,
    ``.npz`` (``key``, or its only array), text with 7 columns, or ``.pt``/``.pth`` (a tensor
    loads safely; a pickle such as WHAM's ``slam_results.pth`` needs ``trust_pickle=True``).

    Returns:
        (T, 4, 4) camera→world matrices (SLAM units).
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: file not found (trajectory)")
    arr = _trajectory_array(path, trust_pickle, key)
    return pose7_to_c2w(arr, pose=pose, quat_order=quat_order, label=str(path))


def write_dpvo_trajectory(
    path: str | os.PathLike,
    cameras: Cameras,
    *,
    pose: PoseConvention = "c2w",
    quat_order: QuatOrder = "xyzw",
) -> Path:
    """Write cameras as a DPVO-style (T, 7) trajectory: ``.npy`` or text (full precision)."""
    path = Path(path)
    arr = cameras_to_pose7(cameras, pose=pose, quat_order=quat_order)
    if path.suffix == ".npy":
        import io

        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        return write_bytes_atomic(path, buf.getvalue())
    text = "".join(" ".join(repr(float(v)) for v in row) + "\n" for row in arr)
    return write_bytes_atomic(path, text.encode())


def read_tum_trajectory(
    path: str | os.PathLike, *, pose: PoseConvention = "c2w", quat_order: QuatOrder = "xyzw"
) -> tuple[np.ndarray, np.ndarray]:
    """Read a TUM trajectory text file: ``timestamp tx ty tz qx qy qz qw`` per line.

    TUM poses are camera→world with scalar-last quaternions (MASt3R-SLAM, evo); ``#`` starts a
    comment. Timestamps must increase strictly.

    Returns:
        ((K,) timestamps, (K, 4, 4) camera→world).
    """
    path = Path(path)
    label = str(path)
    rows = _read_text_rows(path)
    if rows.shape[1] != 8:
        raise ValueError(
            f"{label}: TUM trajectory has {rows.shape[1]} columns, expected 8 "
            "(timestamp tx ty tz qx qy qz qw)"
        )
    check_finite(rows, label, "trajectory")
    stamps = rows[:, 0]
    if np.any(np.diff(stamps) <= 0):
        raise ValueError(f"{label}: timestamps must increase strictly")
    return stamps, pose7_to_c2w(rows[:, 1:], pose=pose, quat_order=quat_order, label=label)


def write_tum_trajectory(
    path: str | os.PathLike,
    cameras: Cameras,
    timestamps: np.ndarray | None = None,
    *,
    quat_order: QuatOrder = "xyzw",
) -> Path:
    """Write cameras as TUM text ``timestamp tx ty tz qx qy qz qw`` (camera→world).

    Args:
        timestamps: (T,) strictly increasing; default the frame indices.
    """
    arr = cameras_to_pose7(cameras, pose="c2w", quat_order=quat_order)
    stamps = np.arange(len(arr), dtype=np.float64) if timestamps is None else timestamps
    lines = ["# timestamp tx ty tz qx qy qz qw"]
    for s, row in zip(stamps, arr, strict=True):
        lines.append(" ".join([repr(float(s))] + [repr(float(v)) for v in row]))
    return write_bytes_atomic(path, ("\n".join(lines) + "\n").encode())


def _npz_member_shape(path: Path, key: str) -> tuple[int, ...] | None:
    """Shape of one array of an npz without loading it (None when absent)."""
    try:
        with zipfile.ZipFile(path) as zf:
            name = f"{key}.npy"
            if name not in zf.namelist():
                return None
            with zf.open(name) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, _ = np.lib.format.read_array_header_1_0(f)
                else:
                    shape, _, _ = np.lib.format.read_array_header_2_0(f)
                return tuple(shape)
    except (OSError, ValueError, zipfile.BadZipFile):
        return None


def read_megasam_npz(
    path: str | os.PathLike,
) -> tuple[np.ndarray, np.ndarray, tuple[int, int] | None]:
    """Read MegaSaM's output npz.

    Fields read: ``cam_c2w`` (T, 4, 4) camera→world, ``intrinsic`` (3, 3) calibration matrix
    (pixels of MegaSaM's images); the image size of the intrinsics is read from the shape of
    ``images`` (T, H, W, 3) or ``depths`` (T, H, W) without loading them.

    Returns:
        ((T, 4, 4) camera→world, (4,) ``fx fy cx cy``, ``(W, H)`` or None).
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise ValueError(f"{label}: file not found (MegaSaM cameras)")
    z = {}
    data = load_npz(path, "MegaSaM cameras")
    for key in ("cam_c2w", "intrinsic"):
        if key not in data:
            raise InputError(f"{label}: field {key!r} missing (has {sorted(data)})")
        z[key] = data[key]
    c2w = as_numeric_array(z["cam_c2w"], label, "cam_c2w")
    if c2w.ndim != 3 or c2w.shape[1:] != (4, 4) or c2w.shape[0] < 1:
        raise ValueError(f"{label}: field 'cam_c2w' has shape {c2w.shape}, expected (T, 4, 4)")
    check_finite(c2w, label, "cam_c2w")
    K = as_numeric_array(z["intrinsic"], label, "intrinsic")
    if K.shape != (3, 3):
        raise ValueError(f"{label}: field 'intrinsic' has shape {K.shape}, expected (3, 3)")
    check_finite(K, label, "intrinsic")
    intrinsics = np.array([K[0, 0], K[1, 1], K[0, 2], K[1, 2]])
    _check_focal(intrinsics, label, "intrinsic")
    size = None
    for key, hw in (("images", slice(1, 3)), ("depths", slice(1, 3))):
        shape = _npz_member_shape(path, key)
        if shape is not None and len(shape) >= 3:
            h, w = shape[hw]
            size = (int(w), int(h))
            break
    return c2w, intrinsics, size


def write_megasam_npz(path: str | os.PathLike, cameras: Cameras) -> Path:
    """Write cameras as a MegaSaM-style npz: ``cam_c2w`` (T, 4, 4), ``intrinsic`` (3, 3).

    MegaSaM has one calibration for the video, so the intrinsics must not vary over frames.
    """
    intr = cameras.intrinsics
    if not np.allclose(intr, intr[0], rtol=0, atol=1e-9):
        raise ValueError(f"{path}: MegaSaM stores one 'intrinsic'; the cameras' intrinsics vary")
    return write_npz_atomic(path, {"cam_c2w": cameras.c2w(), "intrinsic": cameras.K()[0]})


# --------------------------------------------------------------------------------------------
# one entry point
# --------------------------------------------------------------------------------------------


def _resolve_intrinsics(
    given: str | os.PathLike | np.ndarray | None,
    own: np.ndarray | None,
    own_size: tuple[int, int] | None,
    intrinsics_size: tuple[int, int] | None,
    image_size: tuple[int, int],
    focal: float | None,
    num_frames: int,
    label: str,
) -> tuple[np.ndarray, str]:
    if given is not None:
        if isinstance(given, (str, os.PathLike)):
            values, file_size = read_intrinsics(given)
            source = f"file {given}"
        else:
            values = as_numeric_array(given, "intrinsics", "intrinsics")
            if values.shape not in ((4,), (num_frames, 4)) and not (
                values.ndim == 2 and values.shape[1] == 4
            ):
                raise ValueError(
                    f"intrinsics: shape {values.shape}, expected (4,) or (T, 4) fx fy cx cy"
                )
            check_finite(values, "intrinsics", "intrinsics")
            _check_focal(values, "intrinsics", "intrinsics")
            file_size, source = None, "given values"
        size = intrinsics_size or file_size or image_size
    elif own is not None:
        values, source = own, f"{label} (its own)"
        size = intrinsics_size or own_size or image_size
    else:
        values = default_intrinsics(*image_size, focal)
        source = "default f = " + ("given focal" if focal is not None else "0.5 (W + H)")
        size = image_size
    values = np.atleast_2d(np.asarray(values, np.float64))
    if values.shape[0] not in (1, num_frames):
        raise ValueError(
            f"{source}: holds {values.shape[0]} intrinsics rows, expected 1 or one per frame "
            f"({num_frames}, the frames of {label})"
        )
    if tuple(size) != tuple(image_size):
        values = rescale_intrinsics(values, size, image_size)
        source += f", rescaled from {tuple(size)} to {tuple(image_size)}"
    return np.broadcast_to(values, (num_frames, 4)).copy(), source


def read_cameras(
    path: str | os.PathLike | None,
    format: str,
    *,
    image_size: tuple[int, int],
    num_frames: int | None = None,
    frames_source: str = "",
    intrinsics: str | os.PathLike | np.ndarray | None = None,
    intrinsics_size: tuple[int, int] | None = None,
    focal: float | None = None,
    pose: PoseConvention = "c2w",
    quat_order: QuatOrder = "xyzw",
    key: str | None = None,
    timestamps: Literal["rows", "frame_index", "seconds"] = "rows",
    fps: float | None = None,
    trust_pickle: bool = False,
) -> tuple[Cameras, dict[str, Any]]:
    """Read cameras in any supported format and return them at the scene's image size.

    Args:
        path: the camera file (ignored for "static").
        format: one of :data:`CAMERA_FORMATS`.
        image_size: ``(W, H)`` of the keypoints (the scene); intrinsics are rescaled to it.
        num_frames: the video's (or shot's) frame count; the cameras must match it.
        frames_source: where ``num_frames`` comes from, for messages.
        intrinsics: an intrinsics text file or ``(4,)``/``(T, 4)`` values; default: the file's
            own, else ``[f, f, W/2, H/2]``.
        intrinsics_size: ``(W, H)`` the intrinsics belong to, when the file does not say.
        focal: focal length (pixels) of the default intrinsics.
        pose: "c2w" or "w2c" for the 7-number formats (dpvo, droid, tum).
        quat_order: "xyzw" or "wxyz" for the 7-number formats.
        key: the trajectory field of an npz holding several arrays.
        timestamps: TUM only. "rows": one pose per frame, in order; "frame_index": the
            timestamps are frame indices; "seconds": frame i is at time ``i / fps``. With the last
            two the poses are interpolated at every frame (slerp; held at the ends).
        fps: frame rate, for ``timestamps="seconds"``.
        trust_pickle: allow pickled trajectories (``.pth`` from WHAM).

    Returns:
        (cameras, a JSON-able note of what was read, for provenance).
    """
    if format not in CAMERA_FORMATS:
        raise ValueError(f"unknown camera format {format!r}; expected one of {CAMERA_FORMATS}")
    W, H = int(image_size[0]), int(image_size[1])
    label = str(path) if path is not None else "static cameras"
    own = own_size = None
    w2c_cams: Cameras | None = None
    is_static = False
    if format == "static":
        if num_frames is None:
            raise ValueError("static cameras need the number of frames (num_frames)")
        c2w = np.tile(np.eye(4), (num_frames, 1, 1))
        is_static = True
    elif path is None or not Path(path).exists():
        raise ValueError(f"{label}: file not found ({format} cameras)")
    elif format == "slahmr":
        w2c_cams, own_size = read_slahmr_cameras(path)
        c2w, own, is_static = w2c_cams.c2w(), w2c_cams.intrinsics, w2c_cams.is_static
    elif format in ("dpvo", "droid"):
        c2w = read_pose7_trajectory(
            path, pose=pose, quat_order=quat_order, key=key, trust_pickle=trust_pickle
        )
    elif format == "tum":
        stamps, c2w = read_tum_trajectory(path, pose=pose, quat_order=quat_order)
        if timestamps != "rows":
            if num_frames is None:
                raise ValueError(f"{label}: interpolating TUM poses needs num_frames")
            if timestamps == "frame_index":
                query = np.arange(num_frames, dtype=np.float64)
            elif timestamps == "seconds":
                if fps is None:
                    raise ValueError(f"{label}: timestamps='seconds' needs fps")
                query = np.arange(num_frames) / float(fps)
            else:
                raise ValueError(
                    f"{label}: timestamps must be 'rows', 'frame_index' or 'seconds', got "
                    f"{timestamps!r}"
                )
            c2w = interpolate_c2w(stamps, c2w, query)
    else:  # megasam
        c2w, own, own_size = read_megasam_npz(path)
    n = c2w.shape[0]
    if num_frames is not None and n != num_frames:
        raise ValueError(
            f"{label}: holds {n} camera poses but the video has {num_frames} frames"
            f"{f' ({frames_source})' if frames_source else ''}; expected one pose per frame"
        )
    intr, intr_source = _resolve_intrinsics(
        intrinsics, own, own_size, intrinsics_size, (W, H), focal, n, label
    )
    try:
        if w2c_cams is not None:  # keep the file's world→camera numbers bit-exact
            cameras = Cameras(R=w2c_cams.R, t=w2c_cams.t, intrinsics=intr, is_static=is_static)
        else:
            cameras = Cameras.from_c2w(c2w, intr, is_static=is_static)
    except ValueError as err:
        raise ValueError(f"{label}: {err}") from None
    note = {
        "format": format,
        "file": None if format == "static" else str(path),
        "intrinsics": intr_source,
    }
    if format in ("dpvo", "droid", "tum"):
        note.update(pose=pose, quat_order=quat_order)
    if format == "tum":
        note["timestamps"] = timestamps
    return cameras, note
