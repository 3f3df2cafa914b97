"""Known-answer tests of the motion-pass terms (energies/motion.py)."""

from __future__ import annotations

import pytest
import torch

from slahmr_opt.body.joint_maps import HUMOR_CONTACT_JOINTS, SMPL_PARENTS
from slahmr_opt.energies.motion import (
    bone_length_energy,
    bone_lengths,
    contact_height_energy,
    contact_skate_energy,
    expand_contacts,
    floor_regularizer_energy,
    joint_consistency_energy,
)


def test_expand_contacts_places_channels_on_their_joints():
    c = torch.arange(1, 10, dtype=torch.float64).reshape(1, 1, 9) / 10
    out = expand_contacts(c)
    assert out.shape == (1, 1, 22)
    for k, j in enumerate(HUMOR_CONTACT_JOINTS):
        assert out[0, 0, j] == c[0, 0, k]
    others = [j for j in range(22) if j not in HUMOR_CONTACT_JOINTS]
    assert torch.all(out[0, 0, others] == 0)
    with pytest.raises(ValueError, match="channels"):
        expand_contacts(torch.zeros(1, 1, 8))


def test_joint_consistency_is_half_squared_distance_on_masked_frames():
    a = torch.zeros(1, 3, 22, 3, dtype=torch.float64)
    b = a.clone()
    b[0, 1, 4] = torch.tensor([0.3, 0.0, 0.4])  # distance 0.5 at frame 1
    b[0, 2, 4] = torch.tensor([1.0, 0.0, 0.0])  # frame 2 is masked out
    mask = torch.tensor([[True, True, False]])
    assert joint_consistency_energy(a, b, mask).item() == pytest.approx(0.5 * 0.25)


def test_bone_length_energy_ignores_rigid_motion_and_sees_stretch():
    gen = torch.Generator().manual_seed(0)
    j = torch.randn(1, 1, 22, 3, generator=gen, dtype=torch.float64)
    R = torch.linalg.qr(torch.randn(3, 3, generator=gen, dtype=torch.float64))[0]
    moved = j @ R.T + torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    seq = torch.cat([j, moved], 1)
    mask = torch.ones(1, 2, dtype=torch.bool)
    assert bone_length_energy(seq, mask).item() == pytest.approx(0.0, abs=1e-20)
    stretched = seq.clone()
    stretched[0, 1, 4] = seq[0, 1, 1] + 1.5 * (seq[0, 1, 4] - seq[0, 1, 1])  # knee, parent hip
    assert SMPL_PARENTS[4] == 1
    before = bone_lengths(seq[0, 1])
    after = bone_lengths(stretched[0, 1])
    expected = 0.5 * ((after - before) ** 2).sum()
    assert bone_length_energy(stretched, mask).item() == pytest.approx(expected.item())
    assert expected > 0
    assert bone_length_energy(stretched, torch.tensor([[True, False]])).item() == 0


def test_skate_weights_displacement_by_contact():
    j = torch.zeros(1, 3, 22, 3, dtype=torch.float64)
    j[0, 1, 10, 0] = 0.1  # left toe slides 10 cm between frames 0 and 1
    j[0, 2, 10, 0] = 0.1
    c = torch.zeros(1, 3, 22, dtype=torch.float64)
    c[0, 1, 10] = 0.5
    mask = torch.ones(1, 3, dtype=torch.bool)
    assert contact_skate_energy(j, c, mask).item() == pytest.approx(0.5 * 0.5 * 0.01)
    c[0, 1, 10] = 0.0  # not in contact: sliding is free
    assert contact_skate_energy(j, c, mask).item() == 0.0


def test_contact_height_is_free_within_8cm():
    h = torch.tensor([[[0.05, -0.07, 0.20, -0.30]]], dtype=torch.float64)
    c = torch.tensor([[[1.0, 1.0, 0.5, 1.0]]], dtype=torch.float64)
    mask = torch.ones(1, 1, dtype=torch.bool)
    expected = 0.5 * (0.20 - 0.08) + 1.0 * (0.30 - 0.08)
    assert contact_height_energy(h, c, mask).item() == pytest.approx(expected)
    assert contact_height_energy(h, c, ~mask).item() == 0.0


def test_floor_regulariser():
    p = torch.tensor([0.0, -1.5, 0.0])
    q = torch.tensor([0.0, -1.2, 0.1])
    assert floor_regularizer_energy(p, q, 10).item() == pytest.approx(0.5 * (0.09 + 0.01) * 10)
    with pytest.raises(ValueError, match="shape"):
        floor_regularizer_energy(p[:2], q, 10)
