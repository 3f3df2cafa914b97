"""The floor-aligned frame of a result: +z up, the floor at z = 0 (the AMASS / HuMoR convention).

The solver's world is the SLAM world made metric (docs/conventions.md); its floor is the plane
``{x : n·x = d}`` with ``n`` the unit up normal. :func:`floor_aligned_transform` builds the rigid
world→floor map whose frame has

- +z along ``n`` and the floor at z = 0;
- its origin at the first camera's centre (metric) dropped onto the floor;
- +x along the first camera's viewing direction projected onto the floor (the camera's x axis
  projected when it looks straight down or up), +y = z × x (right-handed).

Points move with :func:`points_world_to_floor`; SMPL parameters with :func:`smpl_world_to_floor`,
which keeps the pelvis terms SMPL needs (:mod:`slahmr_opt.geometry.smpl_transform`). Without an
estimated floor, :func:`up_from_cameras` gives an up direction from the cameras alone.
"""

from __future__ import annotations

import numpy as np
import torch

from slahmr_opt.geometry.smpl_transform import transform_smpl
from slahmr_opt.scene import Cameras

__all__ = [
    "HEADING_MIN_NORM",
    "floor_aligned_transform",
    "points_world_to_floor",
    "rest_pelvis",
    "smpl_world_to_floor",
    "transform_plane",
    "up_from_cameras",
]

HEADING_MIN_NORM = 1e-2
"""Smallest length of the projected viewing direction (sine of its angle to the normal) that
still defines the heading; below it the camera's x axis is used."""


def _unit_normal(
    normal: np.ndarray, offset: float, name: str = "normal"
) -> tuple[np.ndarray, float]:
    n = np.asarray(normal, dtype=np.float64)
    if n.shape != (3,):
        raise ValueError(f"{name} must have shape (3,), got {n.shape}")
    d = float(offset)
    if not (np.all(np.isfinite(n)) and np.isfinite(d)):
        raise ValueError(f"{name} and offset must be finite, got {n.tolist()} and {d}")
    length = float(np.linalg.norm(n))
    if length < 1e-9:
        raise ValueError(f"{name} must be a non-zero vector, got {n.tolist()}")
    return n / length, d / length


def floor_aligned_transform(
    normal: np.ndarray, offset: float, cameras: Cameras, alpha: float
) -> np.ndarray:
    """World→floor-aligned rigid transform.

    Args:
        normal: (3,) up normal of the floor plane ``n·x = d`` in the world frame. A non-unit
            vector is accepted and the plane normalised (``n/|n|``, ``d/|n|``).
        offset: ``d``, metres.
        cameras: the SLAM cameras (world→camera, SLAM units); frame 0 sets origin and heading.
        alpha: world scale, metres per SLAM unit (camera 0's metric centre is ``−R₀ᵀ α t₀``).

    Returns:
        (4, 4) float64 ``T`` with ``[x_floor; 1] = T [x_world; 1]``: rotation rows are the floor
        frame's x, y, z axes in world coordinates; the floor maps to z = 0 and ``n`` to +z.
    """
    n, d = _unit_normal(normal, offset)
    if not isinstance(cameras, Cameras):
        raise ValueError(f"cameras must be a Cameras, got {type(cameras).__name__}")
    if not (np.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha must be a finite positive number, got {alpha}")
    centre = cameras.centers(alpha)[0]
    origin = centre - (n @ centre - d) * n
    heading = None
    for axis in (cameras.R[0, 2], cameras.R[0, 0]):  # viewing direction, then camera x axis
        flat = axis - (axis @ n) * n
        length = float(np.linalg.norm(flat))
        if length >= HEADING_MIN_NORM:
            heading = flat / length
            break
    if heading is None:  # unreachable for a proper rotation: z and x cannot both be ∥ n
        raise ValueError("cameras: camera 0 gives no heading on the floor")
    y_axis = np.cross(n, heading)
    rot = np.stack([heading, y_axis, n])
    out = np.eye(4)
    out[:3, :3] = rot
    out[:3, 3] = -rot @ origin
    return out


def _check_transform(transform: np.ndarray) -> np.ndarray:
    T = np.asarray(transform, dtype=np.float64)
    if T.shape != (4, 4):
        raise ValueError(f"transform must have shape (4, 4), got {T.shape}")
    R = T[:3, :3]
    if (
        not np.all(np.isfinite(T))
        or np.abs(R.T @ R - np.eye(3)).max() > 1e-6
        or abs(np.linalg.det(R) - 1.0) > 1e-6
        or np.abs(T[3] - [0.0, 0.0, 0.0, 1.0]).max() > 1e-12
    ):
        raise ValueError("transform must be a rigid 4×4 matrix [R t; 0 0 0 1] with R a rotation")
    return T


def points_world_to_floor(points: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """Map world points into the floor-aligned frame.

    Args:
        points: (..., 3) world points, metres.
        transform: (4, 4) from :func:`floor_aligned_transform`.

    Returns:
        (..., 3) floor-frame points, metres (z = height above the floor).
    """
    T = _check_transform(transform)
    p = np.asarray(points, dtype=np.float64)
    if p.ndim < 1 or p.shape[-1] != 3:
        raise ValueError(f"points must have shape (..., 3), got {p.shape}")
    return p @ T[:3, :3].T + T[:3, 3]


def smpl_world_to_floor(
    global_orient: np.ndarray,
    transl: np.ndarray,
    pelvis_rest: np.ndarray,
    transform: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Move SMPL root parameters from the world into the floor-aligned frame.

    SMPL rotates the body about its rest pelvis ``J(β)[0]`` before adding ``transl``, so the new
    translation is ``R (transl + j0) + t − j0`` (see :mod:`slahmr_opt.geometry.smpl_transform`).

    Args:
        global_orient: (..., 3) world root orientation, axis-angle (radians).
        transl: (..., 3) world SMPL ``transl``, metres.
        pelvis_rest: (3,) or (..., 3) rest-pose pelvis joint of the person's shape, metres.
        transform: (4, 4) world→floor transform.

    Returns:
        (global_orient (..., 3), transl (..., 3)) of the same posed body in the floor frame.
    """
    T = _check_transform(transform)
    go = np.asarray(global_orient, dtype=np.float64)
    tr = np.asarray(transl, dtype=np.float64)
    j0 = np.asarray(pelvis_rest, dtype=np.float64)
    if go.ndim < 1 or go.shape[-1] != 3:
        raise ValueError(f"global_orient must have shape (..., 3), got {go.shape}")
    if tr.shape != go.shape:
        raise ValueError(f"transl must have the shape of global_orient {go.shape}, got {tr.shape}")
    if j0.shape[-1:] != (3,):
        raise ValueError(f"pelvis_rest must have shape (3,) or (..., 3), got {j0.shape}")
    lead = go.shape[:-1]
    R = torch.from_numpy(T[:3, :3]).expand(*lead, 3, 3)
    t = torch.from_numpy(T[:3, 3]).expand(*lead, 3)
    j0_t = torch.from_numpy(np.broadcast_to(j0, go.shape).copy())
    new_go, new_tr = transform_smpl(R, t, torch.from_numpy(go), torch.from_numpy(tr), j0_t)
    return new_go.numpy(), new_tr.numpy()


def rest_pelvis(body, betas: np.ndarray) -> np.ndarray:
    """The rest-pose pelvis ``J(β)[0]`` that SMPL rotates the body about.

    Args:
        body: a :class:`~slahmr_opt.body.BodyModel` (anything with ``joint_template`` and
            ``num_betas``).
        betas: (B,) shape coefficients, B ≤ ``body.num_betas`` (missing ones are zero).

    Returns:
        (3,) float64, metres.
    """
    b = np.asarray(betas, dtype=np.float64)
    if b.ndim != 1 or b.size > body.num_betas:
        raise ValueError(
            f"betas must have shape (B,) with B ≤ {body.num_betas} (the body model's), "
            f"got {b.shape}"
        )
    dtype = body.joint_template0.dtype
    with torch.no_grad():
        j = body.joint_template(torch.as_tensor(b, dtype=dtype, device=body.joint_template0.device))
    return j[0].detach().cpu().to(torch.float64).numpy()


def transform_plane(
    normal: np.ndarray, offset: float, R: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, float]:
    """Express the plane ``n·x = d`` in another frame ``x' = R x + t``.

    Args:
        normal: (3,) plane normal (normalised on the way, as the offset).
        offset: ``d``, metres.
        R: (3, 3) rotation; t: (3,) translation (metres) of the frame change.

    Returns:
        (n' (3,), d') with ``n' = R n`` and ``d' = d + n'·t``.
    """
    n, d = _unit_normal(normal, offset)
    R = np.asarray(R, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if R.shape != (3, 3) or t.shape != (3,):
        raise ValueError(f"R must be (3, 3) and t (3,), got {R.shape} and {t.shape}")
    n_new = R @ n
    return n_new, float(d + n_new @ t)


def up_from_cameras(cameras: Cameras) -> np.ndarray:
    """An up direction from the cameras alone: minus the mean camera y axis (OpenCV y is down).

    Args:
        cameras: world→camera cameras.

    Returns:
        (3,) unit vector in the world frame.
    """
    if not isinstance(cameras, Cameras):
        raise ValueError(f"cameras must be a Cameras, got {type(cameras).__name__}")
    down = cameras.R[:, 1].mean(axis=0)  # row 1 of R = the camera y axis in world coordinates
    length = float(np.linalg.norm(down))
    if length < 1e-6:
        raise ValueError("cameras: the camera y axes cancel out; no up direction can be derived")
    return -down / length
