"""Camera conventions of docs/conventions.md, one test per claim."""

from __future__ import annotations

import math

import roma
import torch

from slahmr_opt.geometry import camera as cam

K = torch.tensor([1000.0, 900.0, 960.0, 540.0])


def test_optical_axis_projects_to_principal_point():
    X = torch.tensor([[0.0, 0.0, 4.0]])
    uv = cam.world_to_pixels(X, torch.eye(3), torch.zeros(3), K)
    torch.testing.assert_close(uv, torch.tensor([[960.0, 540.0]]))


def test_opencv_axes_x_right_y_down_z_forward():
    X = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, 2.0]])
    uv = cam.world_to_pixels(X, torch.eye(3), torch.zeros(3), K)
    assert uv[0, 0] > 960 and uv[0, 1] == 540  # +x is to the right
    assert uv[1, 1] > 540 and uv[1, 0] == 960  # +y is down
    torch.testing.assert_close(uv[0, 0], torch.tensor(960.0 + 1000.0 * 0.5))


def test_world_scale_multiplies_the_slam_translation():
    R = roma.rotvec_to_rotmat(torch.tensor([0.1, -0.2, 0.3]))
    t = torch.tensor([0.3, -0.1, 0.5])
    X = torch.randn(5, 3)
    alpha = 2.5
    expected = X @ R.T + alpha * t
    torch.testing.assert_close(cam.world_to_camera(X, R, t, alpha), expected)
    torch.testing.assert_close(cam.camera_to_world(expected, R, t, alpha), X, atol=1e-6, rtol=0)
    # The camera centre is where the camera-frame origin lands in the world.
    centre = cam.camera_centers(R, t, alpha)
    torch.testing.assert_close(
        cam.world_to_camera(centre[None], R, t, alpha)[0], torch.zeros(3), atol=1e-6, rtol=0
    )


def test_c2w_w2c_inversion_round_trip():
    R = roma.random_rotmat(4)
    t = torch.randn(4, 3)
    Ri, ti = cam.invert_rigid(R, t)
    R2, t2 = cam.invert_rigid(Ri, ti)
    torch.testing.assert_close(R2, R)
    torch.testing.assert_close(t2, t, atol=1e-6, rtol=0)
    X = torch.randn(4, 7, 3)
    torch.testing.assert_close(
        cam.world_to_camera(cam.world_to_camera(X, R, t), Ri, ti), X, atol=1e-5, rtol=0
    )


def test_quaternion_orders():
    eye = torch.eye(3)
    torch.testing.assert_close(cam.quat_xyzw_to_rotmat(torch.tensor([0.0, 0.0, 0.0, 1.0])), eye)
    torch.testing.assert_close(cam.quat_wxyz_to_rotmat(torch.tensor([1.0, 0.0, 0.0, 0.0])), eye)
    s = math.sin(math.pi / 4)
    rz90 = cam.quat_xyzw_to_rotmat(torch.tensor([0.0, 0.0, s, s]))
    torch.testing.assert_close(
        rz90 @ torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0]), atol=1e-6, rtol=0
    )
    torch.testing.assert_close(cam.quat_wxyz_to_rotmat(torch.tensor([s, 0.0, 0.0, s])), rz90)
    R = roma.random_rotmat(3)
    torch.testing.assert_close(
        cam.quat_xyzw_to_rotmat(cam.rotmat_to_quat_xyzw(R)), R, atol=1e-6, rtol=0
    )
    torch.testing.assert_close(
        cam.quat_wxyz_to_rotmat(cam.rotmat_to_quat_wxyz(R)), R, atol=1e-6, rtol=0
    )


def test_intrinsics_matrix_and_default_focal():
    Km = cam.intrinsics_to_K(K)
    X = torch.tensor([0.3, -0.2, 2.0])
    h = Km @ X
    torch.testing.assert_close(h[:2] / h[2], cam.project(X[None], K)[0])
    assert cam.default_focal(1920, 1080) == 1500.0
