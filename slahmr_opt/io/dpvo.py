"""DPVO and DROID-SLAM trajectories: (T, 7) ``tx ty tz qx qy qz qw`` camera→world rows.

``DPVO.terminate()`` returns ``(poses, tstamps)`` with ``poses`` (N, 7) "x y z qx qy qz qw"
camera→world (princeton-vl/DPVO ``dpvo/dpvo.py:173-198``); DROID-SLAM's ``terminate`` the same
rows; WHAM saves them as ``slam_results.pth`` (:mod:`~slahmr_opt.io.wham_inputs`). Files read
here: ``.npy``, ``.npz``, 7-column text, or ``.pt``/``.pth``.

DPVO's ``demo.py --save_trajectory`` writes TUM text through evo instead (``demo.py:84-95``):
one row per *processed* frame, timestamps ``0 … N−1``, and ``--stride`` defaults to 2
(``demo.py:66``) while ``image_stream`` keeps ``image_list[skip::stride]`` (``dpvo/stream.py:21``):
row ``r`` is video frame ``skip + stride · r``. :func:`write_dpvo_saved_trajectory` writes that
file; :func:`~slahmr_opt.io.cameras.read_cameras` reads it with ``stride`` / ``skip``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from scipy.spatial.transform import Rotation, Slerp

from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.geometry.camera import quat_xyzw_to_rotmat, rotmat_to_quat_wxyz, rotmat_to_quat_xyzw
from slahmr_opt.io.common import (
    as_numeric_array,
    check_finite,
    read_npy_file,
    read_npz_file,
    read_text_rows,
    read_torch_file,
    to_numpy,
)
from slahmr_opt.scene import Cameras

__all__ = [
    "PoseConvention",
    "QUATERNION_NORM_TOLERANCE",
    "QuatOrder",
    "cameras_to_pose7",
    "interpolate_c2w",
    "pose7_to_c2w",
    "read_pose7_rows",
    "read_pose7_trajectory",
    "write_dpvo_saved_trajectory",
    "write_dpvo_trajectory",
]

QUATERNION_NORM_TOLERANCE = 1e-3
"""Largest accepted ``| |q| − 1 |`` of a trajectory quaternion (it is then normalised)."""

PoseConvention = Literal["c2w", "w2c"]

QuatOrder = Literal["xyzw", "wxyz"]


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


def interpolate_c2w(
    times: np.ndarray,
    c2w: np.ndarray,
    query: np.ndarray,
    *,
    before: float = 0.0,
    after: float = 0.0,
    label: str = "trajectory",
    unit: str = "",
) -> np.ndarray:
    """Camera→world poses at ``query`` times: slerp for rotation, linear for the centre.

    A query up to ``before`` ahead of the first pose or ``after`` past the last takes that pose;
    one further out is an error (the trajectory does not cover it).

    Args:
        times: (K,) strictly increasing pose times.
        c2w: (K, 4, 4) camera→world.
        query: (T,) times.
        before, after: how far outside the poses a query may lie.
        label: the trajectory file, for messages.
        unit: the unit of the times, for messages (e.g. " s").

    Returns:
        (T, 4, 4).
    """
    times = np.asarray(times, np.float64)
    q = np.asarray(query, np.float64)
    outside = (q < times[0] - before) | (q > times[-1] + after)
    if np.any(outside):
        i = int(np.flatnonzero(outside)[0])
        raise ValueError(
            f"{label}: frame {i} (at {q[i]:.6g}{unit}) lies outside the trajectory, whose poses "
            f"span {times[0]:.6g}{unit} … {times[-1]:.6g}{unit}; {int(outside.sum())} of "
            f"{q.size} frames are not covered (check the frame times, stride or first frame)"
        )
    q = np.clip(q, times[0], times[-1])
    out = np.zeros((q.size, 4, 4))
    out[:, 3, 3] = 1.0
    if times.size == 1:
        out[:] = c2w[0]
        return out
    out[:, :3, :3] = Slerp(times, Rotation.from_matrix(c2w[:, :3, :3]))(q).as_matrix()
    for k in range(3):
        out[:, k, 3] = np.interp(q, times, c2w[:, k, 3])
    return out


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
        return read_text_rows(path, "trajectory")
    raise ValueError(
        f"{label}: unknown trajectory file type {path.suffix!r}; expected .npy, .npz, .txt, .pt"
    )


def read_pose7_rows(
    path: str | os.PathLike, *, key: str | None = None, trust_pickle: bool = False
) -> np.ndarray:
    """The (T, 7) rows of a DPVO / DROID-SLAM trajectory file, unconverted (see
    :func:`read_pose7_trajectory` for the files)."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: file not found (trajectory)")
    arr = as_numeric_array(_trajectory_array(path, trust_pickle, key), str(path), "poses")
    if arr.ndim != 2 or arr.shape[1] != 7 or arr.shape[0] < 1:
        hint = (
            " (8 columns: a TUM file with timestamps, format 'tum')"
            if arr.ndim == 2 and arr.shape[1] == 8
            else ""
        )
        raise ValueError(
            f"{path}: trajectory has shape {arr.shape}, expected (T, 7) rows "
            f"tx ty tz qx qy qz qw with T ≥ 1{hint}"
        )
    return arr


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
    rows = read_pose7_rows(path, key=key, trust_pickle=trust_pickle)
    return pose7_to_c2w(rows, pose=pose, quat_order=quat_order, label=str(path))


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
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        return write_bytes_atomic(path, buf.getvalue())
    text = "".join(" ".join(repr(float(v)) for v in row) + "\n" for row in arr)
    return write_bytes_atomic(path, text.encode())


def write_dpvo_saved_trajectory(
    path: str | os.PathLike, cameras: Cameras, *, stride: int = 2, skip: int = 0
) -> Path:
    """Write what DPVO's ``demo.py --save_trajectory`` writes for a video of these cameras.

    Rows for frames ``skip, skip + stride, …`` (``image_list[skip::stride]``), timestamps
    ``0 … N−1`` (the stream's counter), camera→world ``x y z qx qy qz qw``, through
    ``np.savetxt(..., delimiter=" ")`` as evo's ``write_tum_trajectory_file`` does.
    """
    arr = cameras_to_pose7(cameras)[skip::stride]
    mat = np.column_stack([np.arange(len(arr), dtype=np.float64), arr])
    buf = io.BytesIO()
    np.savetxt(buf, mat, delimiter=" ")
    return write_bytes_atomic(path, buf.getvalue())
