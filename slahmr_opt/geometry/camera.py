"""Pinhole cameras: world→camera transforms, projection, and c2w/w2c and quaternion conversions.

Conventions (docs/conventions.md): extrinsics are world→camera ``R (…, 3, 3)``, ``t (…, 3)``
with ``X_cam = R X_world + α t`` (``t`` in SLAM units, α the world scale); OpenCV axes (x right,
y down, z forward); intrinsics ``(fx, fy, cx, cy)`` in pixels;
``u = fx·x/z + cx``, ``v = fy·y/z + cy``.
All functions work on torch tensors with any leading batch shape.
"""

from __future__ import annotations

import roma
import torch
from torch import Tensor


def world_to_camera(points: Tensor, R: Tensor, t: Tensor, alpha: Tensor | float = 1.0) -> Tensor:
    """Map world points into the camera frame: ``R X + α t``.

    Args:
        points: (..., N, 3) world points, metres.
        R: (..., 3, 3) world→camera rotations.
        t: (..., 3) world→camera translations in SLAM units.
        alpha: world scale (scalar or broadcastable tensor); metric t = α t.

    Returns:
        (..., N, 3) camera-frame points, metres.
    """
    return torch.einsum("...ij,...nj->...ni", R, points) + (alpha * t)[..., None, :]


def camera_to_world(points: Tensor, R: Tensor, t: Tensor, alpha: Tensor | float = 1.0) -> Tensor:
    """Inverse of :func:`world_to_camera`: ``Rᵀ (X_cam − α t)``.

    Args:
        points: (..., N, 3) camera-frame points; R: (..., 3, 3); t: (..., 3).

    Returns:
        (..., N, 3) world points.
    """
    return torch.einsum("...ji,...nj->...ni", R, points - (alpha * t)[..., None, :])


def project(points_cam: Tensor, intrinsics: Tensor, min_depth: float = 1e-3) -> Tensor:
    """Perspective projection of camera-frame points to pixels.

    Args:
        points_cam: (..., N, 3) camera-frame points (z forward).
        intrinsics: (..., 4) fx, fy, cx, cy in pixels.
        min_depth: depths are clamped to at least this (metres) to keep the division finite.

    Returns:
        (..., N, 2) pixel coordinates (u right, v down).
    """
    z = points_cam[..., 2:3].clamp(min=min_depth)
    xy = points_cam[..., :2] / z
    f = intrinsics[..., None, :2]
    c = intrinsics[..., None, 2:]
    return xy * f + c


def world_to_pixels(
    points: Tensor, R: Tensor, t: Tensor, intrinsics: Tensor, alpha: Tensor | float = 1.0
) -> Tensor:
    """``x = Π_K(R X + α t)``: (..., N, 3) world points → (..., N, 2) pixels."""
    return project(world_to_camera(points, R, t, alpha), intrinsics)


def invert_rigid(R: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
    """Invert rigid transforms: (R, t) ↦ (Rᵀ, −Rᵀ t). Works for c2w→w2c and back.

    Args:
        R: (..., 3, 3); t: (..., 3).

    Returns:
        (R_inv (..., 3, 3), t_inv (..., 3)).
    """
    R_inv = R.transpose(-1, -2)
    return R_inv, -torch.einsum("...ij,...j->...i", R_inv, t)


def camera_centers(R: Tensor, t: Tensor, alpha: Tensor | float = 1.0) -> Tensor:
    """Camera centres in the world, ``−Rᵀ α t``: (..., 3, 3), (..., 3) → (..., 3)."""
    return -torch.einsum("...ji,...j->...i", R, alpha * t)


def quat_xyzw_to_rotmat(q: Tensor) -> Tensor:
    """Unit quaternions in scalar-last order (TUM, DPVO, roma) → rotation matrices.

    Args:
        q: (..., 4) as (qx, qy, qz, qw); normalised here.

    Returns:
        (..., 3, 3).
    """
    return roma.unitquat_to_rotmat(q / q.norm(dim=-1, keepdim=True))


def quat_wxyz_to_rotmat(q: Tensor) -> Tensor:
    """Unit quaternions in scalar-first order (pytorch3d, Eigen's coeffs constructor) → matrices.

    Args:
        q: (..., 4) as (qw, qx, qy, qz).

    Returns:
        (..., 3, 3).
    """
    return quat_xyzw_to_rotmat(roma.quat_wxyz_to_xyzw(q))


def rotmat_to_quat_xyzw(R: Tensor) -> Tensor:
    """Rotation matrices (..., 3, 3) → unit quaternions (qx, qy, qz, qw), scalar last (..., 4)."""
    return roma.rotmat_to_unitquat(R)


def rotmat_to_quat_wxyz(R: Tensor) -> Tensor:
    """Rotation matrices (..., 3, 3) → unit quaternions (qw, qx, qy, qz), scalar first."""
    return roma.quat_xyzw_to_wxyz(roma.rotmat_to_unitquat(R))


def intrinsics_to_K(intrinsics: Tensor) -> Tensor:
    """(..., 4) fx, fy, cx, cy → (..., 3, 3) calibration matrices."""
    fx, fy, cx, cy = intrinsics.unbind(-1)
    zero, one = torch.zeros_like(fx), torch.ones_like(fx)
    rows = [fx, zero, cx, zero, fy, cy, zero, zero, one]
    return torch.stack(rows, dim=-1).reshape(*intrinsics.shape[:-1], 3, 3)


def default_focal(width: int, height: int) -> float:
    """The focal length the original uses when none is known: ``0.5 (W + H)`` pixels."""
    return 0.5 * (width + height)
