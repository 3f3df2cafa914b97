"""The floor-aligned frame: plane to z = 0, up to +z, rigid, origin and heading from camera 0."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from slahmr_opt.body import BodyModel
from slahmr_opt.geometry.floor import (
    floor_aligned_transform,
    points_world_to_floor,
    rest_pelvis,
    smpl_world_to_floor,
    transform_plane,
    up_from_cameras,
)
from slahmr_opt.scene import Cameras


def _random_cameras(seed: int, n: int = 5) -> Cameras:
    rng = np.random.default_rng(seed)
    R = Rotation.random(n, random_state=seed).as_matrix()
    return Cameras(R=R, t=rng.normal(size=(n, 3)), intrinsics=np.tile([500, 500, 320, 240], (n, 1)))


def _plane_points(n: np.ndarray, d: float, rng: np.random.Generator, k: int = 20) -> np.ndarray:
    """k random points of the plane n·x = d (n unit)."""
    raw = rng.normal(scale=3.0, size=(k, 3))
    return raw - (raw @ n - d)[:, None] * n


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_floor_goes_to_z0_and_up_to_plus_z(seed):
    rng = np.random.default_rng(seed)
    n = rng.normal(size=3)
    n /= np.linalg.norm(n)
    d = float(rng.normal())
    cams = _random_cameras(seed)
    T = floor_aligned_transform(n, d, cams, alpha=1.7)
    R = T[:3, :3]
    np.testing.assert_allclose(R.T @ R, np.eye(3), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_array_equal(T[3], [0, 0, 0, 1])
    np.testing.assert_allclose(R @ n, [0, 0, 1], atol=1e-12)
    on_floor = points_world_to_floor(_plane_points(n, d, rng), T)
    np.testing.assert_allclose(on_floor[:, 2], 0.0, atol=1e-12)
    # z of any point = its signed height above the floor; distances are kept (rigid).
    p = rng.normal(size=(7, 3))
    q = points_world_to_floor(p, T)
    np.testing.assert_allclose(q[:, 2], p @ n - d, atol=1e-12)
    np.testing.assert_allclose(
        np.linalg.norm(q[1:] - q[:-1], axis=1), np.linalg.norm(p[1:] - p[:-1], axis=1), atol=1e-12
    )


def test_origin_and_heading_come_from_camera_0():
    n = np.array([0.0, -1.0, 0.0])  # y-down world: up is -y
    d = -1.5  # floor at y = 1.5
    # camera 0 pitched down by 20° about its x axis, 0.3 m to the right of the origin (metric).
    R0 = Rotation.from_euler("x", -20, degrees=True).as_matrix()
    centre = np.array([0.3, 0.0, 0.0])
    alpha = 2.0
    t0 = -R0 @ centre / alpha
    cams = Cameras(R=R0[None], t=t0[None], intrinsics=[[500, 500, 320, 240]])
    T = floor_aligned_transform(n, d, cams, alpha)
    np.testing.assert_allclose(points_world_to_floor(centre, T), [0, 0, 1.5], atol=1e-12)
    forward = points_world_to_floor(centre + R0[2], T) - points_world_to_floor(centre, T)
    assert forward[0] > 0.5 and abs(forward[1]) < 1e-12
    # The camera's right (+x) is the floor frame's -y (right-handed, z up).
    right = points_world_to_floor(centre + R0[0], T) - points_world_to_floor(centre, T)
    np.testing.assert_allclose(right, [0, -1, 0], atol=1e-12)


def test_straight_down_camera_uses_its_x_axis():
    n = np.array([0.0, 0.0, 1.0])
    R0 = np.diag([1.0, -1.0, -1.0])  # looks along -z (down); x axis = world +x
    cams = Cameras(R=R0[None], t=np.zeros((1, 3)), intrinsics=[[500, 500, 320, 240]])
    T = floor_aligned_transform(n, -2.0, cams, 1.0)
    np.testing.assert_allclose(T[:3, :3], np.eye(3), atol=1e-12)
    np.testing.assert_allclose(T[:3, 3], [0, 0, 2.0], atol=1e-12)


def test_non_unit_normal_is_the_same_plane():
    cams = _random_cameras(3)
    n = np.array([0.2, -0.9, 0.1])
    a = floor_aligned_transform(n, 0.7, cams, 1.0)
    b = floor_aligned_transform(3.0 * n, 2.1, cams, 1.0)
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_bad_input_names_the_field():
    cams = _random_cameras(0)
    with pytest.raises(ValueError, match="normal"):
        floor_aligned_transform(np.zeros(3), 1.0, cams, 1.0)
    with pytest.raises(ValueError, match="normal"):
        floor_aligned_transform(np.ones(2), 1.0, cams, 1.0)
    with pytest.raises(ValueError, match="alpha"):
        floor_aligned_transform(np.ones(3), 1.0, cams, -1.0)
    with pytest.raises(ValueError, match="transform"):
        points_world_to_floor(np.zeros(3), 2.0 * np.eye(4))
    with pytest.raises(ValueError, match="points"):
        points_world_to_floor(np.zeros((4, 2)), np.eye(4))


def test_up_from_cameras_is_minus_mean_y_axis():
    # Cameras with y down along world -Z, yawing around Z: up must be +Z.
    yaw = Rotation.from_euler("z", np.linspace(0, 90, 6)[:, None], degrees=True).as_matrix()
    base = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # rows: cam axes
    R = base @ np.swapaxes(yaw, 1, 2)
    cams = Cameras(R=R, t=np.zeros((6, 3)), intrinsics=np.tile([500, 500, 320, 240], (6, 1)))
    np.testing.assert_allclose(up_from_cameras(cams), [0, 0, 1], atol=1e-12)
    flipped = Cameras(
        R=np.stack([np.eye(3), np.diag([1.0, -1.0, -1.0])]),
        t=np.zeros((2, 3)),
        intrinsics=np.tile([500, 500, 320, 240], (2, 1)),
    )
    with pytest.raises(ValueError, match="up"):
        up_from_cameras(flipped)


def test_transform_plane_keeps_points_on_it():
    rng = np.random.default_rng(4)
    n = np.array([0.0, -1.0, 0.0])
    R = Rotation.random(random_state=4).as_matrix()
    t = rng.normal(size=3)
    n2, d2 = transform_plane(n, 0.5, R, t)
    pts = _plane_points(n, 0.5, rng) @ R.T + t
    np.testing.assert_allclose(pts @ n2, d2, atol=1e-12)


def test_smpl_floor_parameters_pose_the_same_body():
    body = BodyModel.standin(dtype=torch.float64)
    rng = np.random.default_rng(5)
    T_len = 4
    go = rng.normal(size=(T_len, 3))
    bp = 0.3 * rng.normal(size=(T_len, 23, 3))
    betas = rng.normal(size=10)
    transl = rng.normal(size=(T_len, 3))
    n = np.array([0.1, -0.95, 0.2])
    T = floor_aligned_transform(n, -1.2, _random_cameras(6), 1.3)
    j0 = rest_pelvis(body, betas)
    go_f, tr_f = smpl_world_to_floor(go, transl, j0, T)

    def joints(g, tr):
        with torch.no_grad():
            out = body.joints(
                torch.from_numpy(g),
                torch.from_numpy(bp),
                torch.from_numpy(betas),
                torch.from_numpy(tr),
            )
        return out.numpy()

    world = joints(go, transl)
    floor = joints(go_f, tr_f)
    np.testing.assert_allclose(floor[:, 0], points_world_to_floor(world[:, 0], T), atol=1e-9)
    # smplx's Rodrigues adds 1e-8 to every angle: other joints agree to that level.
    np.testing.assert_allclose(floor, points_world_to_floor(world, T), atol=1e-7)
    # The pelvis term matters: the stand-in's rest pelvis is well off the origin.
    assert np.linalg.norm(j0) > 0.1
    naive = points_world_to_floor(transl, T)
    assert np.abs(naive - tr_f).max() > 1e-3
