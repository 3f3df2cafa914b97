"""The default pose prior: robust pull towards the estimate and joint limits."""

from __future__ import annotations

import math

import pytest
import roma
import torch

from slahmr_opt.body import BodyModel
from slahmr_opt.energies.pose_prior import (
    DEFAULT_JOINT_LIMITS,
    EstimatePosePrior,
    PosePrior,
    chordal_angle_sq,
    estimate_pull_energy,
    joint_limit_energy,
)

D = torch.float64


def test_chordal_angle_value():
    R = roma.rotvec_to_rotmat(torch.tensor([0.0, 0.0, math.pi / 2], dtype=D))
    # 4 sin²(θ/2) at θ = π/2 is 2
    assert float(chordal_angle_sq(R, torch.eye(3, dtype=D))) == pytest.approx(2.0)
    small = roma.rotvec_to_rotmat(torch.tensor([1e-3, 0.0, 0.0], dtype=D))
    assert float(chordal_angle_sq(small, torch.eye(3, dtype=D))) == pytest.approx(1e-6, rel=1e-6)


def test_pull_value_and_mask():
    pose = torch.zeros(1, 2, 3, 3, dtype=D)
    pose[0, 0, 1] = torch.tensor([0.0, 0.0, math.pi / 2])
    pose[0, 1, 0] = torch.tensor([1.0, 0.0, 0.0])  # masked out below
    ref = torch.eye(3, dtype=D).expand(1, 2, 3, 3, 3)
    mask = torch.tensor([[True, False]])
    # d² = 2, s = 1, k = 1: k² d² / (k² + d²) = 2/3
    e = estimate_pull_energy(pose, ref, mask, scale=1.0, robust=1.0)
    assert float(e) == pytest.approx(2.0 / 3.0)
    # with s = 0.5 the normalised d² is 8: 8 / 9
    e = estimate_pull_energy(pose, ref, mask, scale=0.5, robust=1.0)
    assert float(e) == pytest.approx(8.0 / 9.0)


def test_pull_gradient_finite_at_the_reference():
    pose = torch.zeros(1, 1, 2, 3, dtype=D, requires_grad=True)
    ref = torch.eye(3, dtype=D).expand(1, 1, 2, 3, 3)
    estimate_pull_energy(pose, ref, torch.ones(1, 1, dtype=torch.bool), 0.1, 3.0).backward()
    assert torch.all(torch.isfinite(pose.grad))


def test_joint_limit_values():
    pose = torch.zeros(1, 2, 23, 3, dtype=D)
    pose[0, 0, 3, 0] = -0.2  # left knee hyper-extended: 0.04
    pose[0, 0, 4, 0] = +0.5  # right knee flexed: allowed
    pose[0, 0, 17, 1] = +0.3  # left elbow backwards: 0.09
    pose[0, 0, 18, 1] = -0.1  # right elbow backwards: 0.01
    pose[0, 1, 3, 0] = -1.0  # masked frame
    mask = torch.tensor([[True, False]])
    assert float(joint_limit_energy(pose, mask)) == pytest.approx(0.04 + 0.09 + 0.01)


def test_limits_forbid_the_anatomically_impossible_side():
    """Flexion (the allowed side) bends knees backwards and elbows forwards on the body."""
    body = BodyModel.standin(dtype=D)
    zero = torch.zeros(3, dtype=D)
    rest = body.joints(zero, torch.zeros(23, 3, dtype=D), torch.zeros(10, dtype=D))
    child = {3: 7, 4: 8, 17: 20, 18: 21}  # knee → ankle, elbow → wrist (SMPL joint ids)
    for lim in DEFAULT_JOINT_LIMITS:
        pose = torch.zeros(23, 3, dtype=D)
        pose[lim.joint, lim.axis] = 0.8 * lim.sign
        moved = body.joints(zero, pose, torch.zeros(10, dtype=D))[child[lim.joint]]
        dz = float(moved[2] - rest[child[lim.joint]][2])  # +z is the body's front
        if "knee" in lim.name:
            assert dz < -0.1, lim.name
        else:
            assert dz > 0.1, lim.name


def test_estimate_prior_combines_terms_and_follows_the_protocol():
    ref = torch.zeros(1, 2, 23, 3, dtype=D)
    prior = EstimatePosePrior(ref, scale=1.0, robust=1.0, limit_weight=10.0)
    assert isinstance(prior, PosePrior)
    pose = ref.clone()
    pose[0, 0, 3, 0] = -0.2
    mask = torch.ones(1, 2, dtype=torch.bool)
    d2 = 4 * math.sin(0.1) ** 2
    expected = d2 / (1 + d2) + 10.0 * 0.04
    assert float(prior(pose, mask)) == pytest.approx(expected, rel=1e-9)
    with pytest.raises(ValueError, match="body_pose"):
        prior(torch.zeros(1, 3, 23, 3, dtype=D), mask)
    with pytest.raises(ValueError, match="reference"):
        EstimatePosePrior(torch.zeros(2, 3), 1.0, 1.0, 0.0)
