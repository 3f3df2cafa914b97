"""The motion pass's floor: decoding, fitting to feet, the original guess, prior frames."""

from __future__ import annotations

import math

import pytest
import roma
import torch

from slahmr_opt.solver.floor_plane import (
    fit_floor_to_feet,
    normal_offset_to_plane,
    original_floor_guess,
    plane_to_normal_offset,
    points_prior_to_world,
    points_world_to_prior,
    prior_frames,
    up_from_camera_rotations,
)


def _tilted(deg: float) -> torch.Tensor:
    a = math.radians(deg)
    return torch.tensor([0.0, -math.cos(a), -math.sin(a)], dtype=torch.float64)


def test_plane_decoding_flips_towards_up():
    n = _tilted(10)
    up = torch.tensor([0.0, -1.0, 0.0], dtype=torch.float64)
    for d in (-1.6, 0.7):
        plane = normal_offset_to_plane(n, d)
        n2, d2 = plane_to_normal_offset(plane, up)
        torch.testing.assert_close(n2, n)
        assert float(d2) == pytest.approx(d, abs=1e-12)
        assert float(n2 @ up) > 0  # the decoded normal points up whatever the sign of d


def test_up_from_upright_cameras_is_minus_y():
    R = roma.rotvec_to_rotmat(
        torch.tensor([[0.0, 0.3, 0.0], [0.0, -0.2, 0.0]], dtype=torch.float64)
    )
    torch.testing.assert_close(up_from_camera_rotations(R), torch.tensor([0.0, -1.0, 0.0]).double())


def test_original_guess_is_half_a_metre_below_the_first_camera():
    R0 = torch.eye(3, dtype=torch.float64)
    t0 = torch.tensor([0.0, 0.2, 0.0], dtype=torch.float64)  # camera centre at y = -0.2·α
    n, d = original_floor_guess(R0, t0, 2.0)
    torch.testing.assert_close(n, torch.tensor([0.0, -1.0, 0.0]).double())
    centre = torch.tensor([0.0, -0.4, 0.0], dtype=torch.float64)
    assert float(n @ centre - d) == pytest.approx(0.5, abs=1e-12)


def test_fit_recovers_a_tilted_floor_from_slow_feet_and_ignores_swinging_ones():
    gen = torch.Generator().manual_seed(0)
    n_true, d_true = _tilted(8), -1.4
    e1 = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    e2 = torch.linalg.cross(n_true, e1)
    B, T = 3, 300
    # three people on slow circles (≈0.13 m/s) around different centres
    phase = torch.arange(T, dtype=torch.float64) * 2 * math.pi / T
    centres = torch.tensor([[0.0, 0.0], [2.0, 0.5], [-1.0, 2.5]], dtype=torch.float64)
    uv = centres[:, None] + 0.2 * torch.stack([phase.cos(), phase.sin()], -1)[None]
    base = uv[..., :1] * e1 + uv[..., 1:] * e2 + d_true * n_true
    feet = base[:, :, None].repeat(1, 1, 6, 1)
    feet[:, :, 1:] += 0.1 * n_true  # the other foot points are higher
    feet[:, :, 0] += 0.003 * torch.randn(B, T, 3, generator=gen, dtype=torch.float64)
    feet[:, ::10] += 0.3 * n_true  # swinging frames: fast and high, must not count
    mask = torch.ones(B, T, dtype=torch.bool)
    up = torch.tensor([0.0, -1.0, 0.0], dtype=torch.float64)
    n, d, used = fit_floor_to_feet(feet, mask, up, fps=30.0, ridge=1e-3)
    angle = math.degrees(math.acos(min(1.0, float(n @ n_true))))
    assert angle < 1.0 and abs(float(d) - d_true) < 0.02 and used > 10


def test_prior_frames_put_the_floor_at_zero_and_face_forward():
    n, d = _tilted(12), -1.3
    gen = torch.Generator().manual_seed(1)
    root = roma.random_rotmat(3, generator=gen).double()
    pelvis = torch.randn(3, 3, generator=gen, dtype=torch.float64)
    A, o = prior_frames(n, torch.tensor(d, dtype=torch.float64), root, pelvis)
    torch.testing.assert_close(A @ A.transpose(-1, -2), torch.eye(3).double().expand(3, 3, 3))
    assert torch.allclose(torch.linalg.det(A), torch.ones(3, dtype=torch.float64))
    torch.testing.assert_close(A[:, 2], n.expand(3, 3))  # +z = up
    p = points_world_to_prior(pelvis[:, None], A, o)[:, 0]
    torch.testing.assert_close(p[:, :2], torch.zeros(3, 2, dtype=torch.float64))
    torch.testing.assert_close(p[:, 2], pelvis @ n - d)  # height above the floor
    right = -(A @ root)[:, :, 0]  # body right in the prior frame: along +x, no y part
    assert torch.all(right[:, 0] > 0) and torch.allclose(right[:, 1], torch.zeros(3).double())
    pts = torch.randn(3, 5, 4, 3, generator=gen, dtype=torch.float64)
    back = points_prior_to_world(points_world_to_prior(pts, A, o), A, o)
    torch.testing.assert_close(back, pts)
