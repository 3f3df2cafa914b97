"""HMR's per-detection outputs as trackers store them (PHALP, 4D-Humans, SLAHMR's exporter): the
weak-perspective crop camera ↔ the SMPL translation in the full image, and SMPL rotations as
matrices ↔ axis-angle.

HMR (HMR 2.0 in 4D-Humans) sees a square crop of side ``b`` pixels centred at ``(u, v)`` and
predicts ``s, tx, ty``: the body seen through a camera of focal ``f`` lies at depth
``tz = 2 f / (b s)`` (PHALP ``phalp/models/hmar/hmar.py:104-120``, SLAHMR
``preproc/export_phalp.py:90-101``).
"""

from __future__ import annotations

import numpy as np
import roma
import torch

from slahmr_opt.io.common import as_numeric_array, check_finite
from slahmr_opt.scene import ROTATION_TOLERANCE

__all__ = [
    "crop_camera_to_full",
    "crop_rows_to_transl",
    "full_to_crop_camera",
    "rotmats_to_rotvecs",
    "rotvecs_to_rotmats",
]


def crop_camera_to_full(
    cam_bbox: np.ndarray, center: np.ndarray, box_size: np.ndarray, intrinsics: np.ndarray
) -> np.ndarray:
    """HMR's weak-perspective crop camera → SMPL translation in the full-image camera.

    With ``fx, fy, cx, cy`` the intrinsics, ``b`` the crop side, ``(u, v)`` its centre:
    ``tz = 2 fx / (b s)``, ``tx = cam_tx + tz (u − cx) / fx``, ``ty = cam_ty + tz (v − cy) / fy``.
    With ``[f, f, W/2, H/2]`` this is SLAHMR's ``export_phalp.py:90-101``.

    Args:
        cam_bbox: (N, 3) ``s, tx, ty`` of the crop camera (s > 0).
        center: (N, 2) crop centres, pixels.
        box_size: (N,) crop side, pixels.
        intrinsics: (N, 4) or (4,) ``fx, fy, cx, cy``, pixels.

    Returns:
        (N, 3) translation, metres, OpenCV camera axes.
    """
    cam = np.asarray(cam_bbox, np.float64)
    center = np.asarray(center, np.float64)
    b = np.asarray(box_size, np.float64)
    K = np.broadcast_to(np.asarray(intrinsics, np.float64), (cam.shape[0], 4))
    tz = 2.0 * K[:, 0] / (b * cam[:, 0])
    tx = cam[:, 1] + tz * (center[:, 0] - K[:, 2]) / K[:, 0]
    ty = cam[:, 2] + tz * (center[:, 1] - K[:, 3]) / K[:, 1]
    return np.stack([tx, ty, tz], axis=-1)


def full_to_crop_camera(
    transl: np.ndarray, center: np.ndarray, box_size: np.ndarray, intrinsics: np.ndarray
) -> np.ndarray:
    """Inverse of :func:`crop_camera_to_full`: (N, 3) translation (tz > 0) → (N, 3) crop camera."""
    transl = np.asarray(transl, np.float64)
    center = np.asarray(center, np.float64)
    b = np.asarray(box_size, np.float64)
    K = np.broadcast_to(np.asarray(intrinsics, np.float64), (transl.shape[0], 4))
    tz = transl[:, 2]
    s = 2.0 * K[:, 0] / (b * tz)
    tx = transl[:, 0] - tz * (center[:, 0] - K[:, 2]) / K[:, 0]
    ty = transl[:, 1] - tz * (center[:, 1] - K[:, 3]) / K[:, 1]
    return np.stack([s, tx, ty], axis=-1)


def crop_rows_to_transl(crop: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """Translations of :attr:`TrackObservations.crop` rows (s, tx, ty, u, v, b) for intrinsics.

    Args:
        crop: (K, 6) crop cameras.
        intrinsics: (K, 4) or (4,) ``fx, fy, cx, cy``.

    Returns:
        (K, 3) metres.
    """
    crop = np.asarray(crop, np.float64)
    return crop_camera_to_full(crop[:, :3], crop[:, 3:5], crop[:, 5], intrinsics)


def rotmats_to_rotvecs(mats: np.ndarray, label: str, field: str) -> np.ndarray:
    """(..., 3, 3) rotation matrices → (..., 3) axis-angle; ValueError for non-rotations."""
    mats = as_numeric_array(mats, label, field)
    check_finite(mats, label, field)
    ortho = np.abs(np.swapaxes(mats, -1, -2) @ mats - np.eye(3)).max(axis=(-2, -1))
    det = np.linalg.det(mats)
    bad = (ortho > ROTATION_TOLERANCE) | (np.abs(det - 1.0) > ROTATION_TOLERANCE)
    if np.any(bad):
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        raise ValueError(
            f"{label}: field {field!r} entry {i} is not a rotation matrix (max |RᵀR − I| = "
            f"{ortho[i]:.3g}, det = {det[i]:.6g}); expected RᵀR = I, det R = +1 within "
            f"{ROTATION_TOLERANCE:g}"
        )
    return roma.rotmat_to_rotvec(torch.from_numpy(mats)).numpy()


def rotvecs_to_rotmats(rotvecs: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle → (..., 3, 3) rotation matrices (float64)."""
    return roma.rotvec_to_rotmat(torch.from_numpy(np.asarray(rotvecs, np.float64))).numpy()
