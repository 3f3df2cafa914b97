"""2D reprojection term against hand-computed values."""

from __future__ import annotations

import pytest
import torch

from slahmr_opt.energies.reprojection import keypoint_weights, reprojection_energy


def test_keypoint_weights_square_threshold_and_ignore():
    conf = torch.tensor([[0.3, 0.4, 0.9, 1.0]], dtype=torch.float64)
    w = keypoint_weights(conf, threshold=0.4, ignore_joints=(3,))
    torch.testing.assert_close(w, torch.tensor([[0.0, 0.16, 0.81, 0.0]], dtype=torch.float64))
    # without ignored joints the last one keeps conf² = 1
    assert keypoint_weights(conf, 0.4)[0, 3] == 1.0


def test_reprojection_energy_value():
    pred = torch.tensor([[[10.0, 20.0], [0.0, 0.0]]], dtype=torch.float64)
    obs = torch.tensor([[[13.0, 16.0], [5.0, 5.0]]], dtype=torch.float64)
    w = torch.tensor([[0.25, 0.0]], dtype=torch.float64)
    # residuals (−3, 4), σ = 5: ρ(3) = 25·9/34, ρ(4) = 25·16/41; times w = 0.25
    expected = 0.25 * (25 * 9 / 34 + 25 * 16 / 41)
    assert float(reprojection_energy(pred, obs, w, 5.0)) == pytest.approx(expected, rel=1e-12)


def test_reprojection_is_a_sum_over_batch():
    pred = torch.zeros(3, 4, 25, 2, dtype=torch.float64)
    obs = torch.ones(3, 4, 25, 2, dtype=torch.float64)
    w = torch.ones(3, 4, 25, dtype=torch.float64)
    sigma = 100.0
    one = sigma**2 / (sigma**2 + 1.0)
    assert float(reprojection_energy(pred, obs, w, sigma)) == pytest.approx(3 * 4 * 25 * 2 * one)


def test_zero_weight_entries_give_nothing_even_when_not_finite():
    pred = torch.tensor([[[1.0, 2.0], [float("nan"), float("inf")]]], requires_grad=True)
    obs = torch.zeros(1, 2, 2)
    w = torch.tensor([[1.0, 0.0]])
    e = reprojection_energy(pred, obs, w, 100.0)
    assert torch.isfinite(e)
    e.backward()
    assert torch.all(pred.grad[0, 1] == 0)
    assert torch.all(pred.grad[0, 0] != 0)


def test_reprojection_shape_errors():
    with pytest.raises(ValueError, match="predicted and observed"):
        reprojection_energy(torch.zeros(2, 2), torch.zeros(2, 3), torch.zeros(2), 1.0)
    with pytest.raises(ValueError, match="weights"):
        reprojection_energy(torch.zeros(2, 2), torch.zeros(2, 2), torch.zeros(3), 1.0)
