"""Joint smoothness (first differences) and acceleration (second differences)."""

from __future__ import annotations

import pytest
import torch

from slahmr_opt.energies.smoothness import (
    joint_acceleration_energy,
    joint_smoothness_energy,
    pair_mask,
    triple_mask,
)

# one person, three frames, one joint
JOINTS = torch.tensor([[[[0.0, 0.0, 0.0]], [[1.0, 2.0, 2.0]], [[1.0, 2.0, 5.0]]]])


def test_smoothness_value_all_frames():
    mask = torch.tensor([[True, True, True]])
    # ½ (‖(1,2,2)‖² + ‖(0,0,3)‖²) = ½ (9 + 9)
    assert float(joint_smoothness_energy(JOINTS, mask)) == pytest.approx(9.0)


@pytest.mark.parametrize(
    "mask, expected",
    [([True, True, False], 4.5), ([False, True, True], 4.5), ([True, False, True], 0.0)],
)
def test_smoothness_uses_pairs_inside_the_mask(mask, expected):
    m = torch.tensor([mask])
    assert float(joint_smoothness_energy(JOINTS, m)) == pytest.approx(expected)


def test_acceleration_value_and_mask():
    mask = torch.tensor([[True, True, True]])
    # J2 − 2 J1 + J0 = (−1, −2, 1): ½ · 6
    assert float(joint_acceleration_energy(JOINTS, mask)) == pytest.approx(3.0)
    assert float(joint_acceleration_energy(JOINTS, torch.tensor([[True, True, False]]))) == 0.0


def test_constant_velocity_costs_no_acceleration():
    t = torch.arange(6, dtype=torch.float64)
    joints = torch.stack([t, 2 * t, -t], dim=-1)[None, :, None, :].expand(2, 6, 4, 3)
    mask = torch.ones(2, 6, dtype=torch.bool)
    assert float(joint_acceleration_energy(joints, mask)) == pytest.approx(0.0, abs=1e-12)
    # the velocity term does not vanish: ½ · 5 pairs · 4 joints · 2 people · ‖(1,2,−1)‖²
    assert float(joint_smoothness_energy(joints, mask)) == pytest.approx(0.5 * 5 * 4 * 2 * 6)


def test_masked_frames_get_no_gradient():
    joints = torch.randn(2, 5, 3, 3, requires_grad=True)
    mask = torch.tensor([[True] * 5, [False, True, True, True, False]])
    (joint_smoothness_energy(joints, mask) + joint_acceleration_energy(joints, mask)).backward()
    assert torch.all(joints.grad[1, 0] == 0) and torch.all(joints.grad[1, 4] == 0)
    assert torch.any(joints.grad[1, 2] != 0)


def test_pair_and_triple_masks():
    m = torch.tensor([[True, True, False, True, True, True]])
    assert pair_mask(m).tolist() == [[True, False, False, True, True]]
    assert triple_mask(m).tolist() == [[False, False, False, True]]


def test_shape_checks():
    with pytest.raises(ValueError, match="joints"):
        joint_smoothness_energy(torch.zeros(2, 3, 3), torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="mask"):
        joint_acceleration_energy(torch.zeros(1, 3, 2, 3), torch.ones(1, 4, dtype=torch.bool))
