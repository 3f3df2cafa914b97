"""Moving posed SMPL bodies between frames: the j0 terms."""

from __future__ import annotations

import numpy as np
import roma
import torch

from slahmr_opt.body import BodyModel
from slahmr_opt.geometry.camera import world_to_camera
from slahmr_opt.geometry.smpl_transform import (
    camera_to_world_smpl,
    transform_smpl,
    world_to_camera_smpl,
)
from tests.body.conftest import random_model_data


def _body(tmp_path) -> BodyModel:
    np.savez(tmp_path / "m.npz", **random_model_data("smpl", seed=5))
    return BodyModel.from_file(tmp_path / "m.npz", dtype=torch.float64)


def test_transform_moves_the_posed_body_rigidly(tmp_path):
    body = _body(tmp_path)
    g = torch.Generator().manual_seed(0)
    go = torch.randn(6, 3, generator=g, dtype=torch.float64)
    bp = 0.3 * torch.randn(6, 23, 3, generator=g, dtype=torch.float64)
    betas = torch.randn(6, 10, generator=g, dtype=torch.float64)
    transl = torch.randn(6, 3, generator=g, dtype=torch.float64)
    R = roma.random_rotmat(6, dtype=torch.float64)
    t = torch.randn(6, 3, generator=g, dtype=torch.float64)
    j0 = body.joint_template(betas)[:, 0]
    go2, transl2 = transform_smpl(R, t, go, transl, j0)
    before, lms = body.keypoints(go, bp, betas, transl)
    after, lms2 = body.keypoints(go2, bp, betas, transl2)
    torch.testing.assert_close(after, world_to_camera(before, R, t), atol=1e-7, rtol=0)
    torch.testing.assert_close(lms2, world_to_camera(lms, R, t), atol=1e-7, rtol=0)
    # Without the j0 terms the result would be wrong whenever the pelvis is off the origin.
    naive = body.joints(go2, bp, betas, (R @ transl[..., None])[..., 0] + t)
    assert (naive - after).abs().max() > 1e-3


def test_camera_world_round_trip_with_scale(tmp_path):
    body = _body(tmp_path)
    betas = torch.randn(4, 10, dtype=torch.float64)
    go = torch.randn(4, 3, dtype=torch.float64)
    transl = torch.randn(4, 3, dtype=torch.float64)
    R = roma.random_rotmat(4, dtype=torch.float64)
    t = torch.randn(4, 3, dtype=torch.float64)
    j0 = body.joint_template(betas)[:, 0]
    gw, tw = camera_to_world_smpl(R, t, go, transl, j0, alpha=2.0)
    gc, tc = world_to_camera_smpl(R, t, gw, tw, j0, alpha=2.0)
    torch.testing.assert_close(roma.rotvec_to_rotmat(gc), roma.rotvec_to_rotmat(go))
    torch.testing.assert_close(tc, transl)
