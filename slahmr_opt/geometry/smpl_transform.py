"""Moving SMPL parameters between frames.

SMPL rotates the body about its pelvis joint ``j0(β)``, not about the origin, and adds ``transl``
afterwards: a posed point is ``X = R_root (X_rest − j0) + j0 + transl`` (for the root's children).
Applying a rigid map ``X ↦ R X + t`` to the posed body therefore changes the parameters as

    root' = R · root,        transl' = R (transl + j0) + t − j0,

the ``j0`` terms of the original (slahmr-original.md §2, "camera → world").
"""

from __future__ import annotations

import roma
import torch
from torch import Tensor


def transform_smpl(
    R: Tensor, t: Tensor, global_orient: Tensor, transl: Tensor, pelvis_rest: Tensor
) -> tuple[Tensor, Tensor]:
    """Apply the rigid map ``X ↦ R X + t`` to a posed SMPL body by changing its root parameters.

    Args:
        R: (..., 3, 3) rotation of the map.
        t: (..., 3) translation of the map.
        global_orient: (..., 3) root orientation, axis-angle.
        transl: (..., 3) SMPL ``transl``.
        pelvis_rest: (..., 3) the pelvis joint of the shaped rest pose, ``J(β)[0]``.

    Returns:
        (global_orient' (..., 3), transl' (..., 3)) such that the posed body with the new
        parameters equals the old posed body mapped by (R, t).
    """
    root = roma.rotvec_to_rotmat(global_orient)
    new_root = R @ root
    new_transl = torch.einsum("...ij,...j->...i", R, transl + pelvis_rest) + t - pelvis_rest
    return roma.rotmat_to_rotvec(new_root), new_transl


def camera_to_world_smpl(
    R_w2c: Tensor,
    t_w2c: Tensor,
    global_orient: Tensor,
    transl: Tensor,
    pelvis_rest: Tensor,
    alpha: Tensor | float = 1.0,
) -> tuple[Tensor, Tensor]:
    """Camera-frame SMPL parameters → world, given world→camera extrinsics.

    ``X_world = Rᵀ (X_cam − α t)``.

    Args:
        R_w2c: (..., 3, 3) world→camera rotations; t_w2c: (..., 3) translations (SLAM units).
        global_orient: (..., 3) camera-frame root orientation; transl: (..., 3) camera-frame transl.
        pelvis_rest: (..., 3) ``J(β)[0]``.
        alpha: world scale.

    Returns:
        (global_orient (..., 3), transl (..., 3)) in the world frame.
    """
    R_c2w = R_w2c.transpose(-1, -2)
    t_c2w = -torch.einsum("...ij,...j->...i", R_c2w, alpha * t_w2c)
    return transform_smpl(R_c2w, t_c2w, global_orient, transl, pelvis_rest)


def world_to_camera_smpl(
    R_w2c: Tensor,
    t_w2c: Tensor,
    global_orient: Tensor,
    transl: Tensor,
    pelvis_rest: Tensor,
    alpha: Tensor | float = 1.0,
) -> tuple[Tensor, Tensor]:
    """World SMPL parameters → camera frame: ``X_cam = R X_world + α t``. Shapes as above."""
    return transform_smpl(R_w2c, alpha * t_w2c, global_orient, transl, pelvis_rest)
