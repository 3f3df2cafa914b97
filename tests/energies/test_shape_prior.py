"""Shape prior T·Σ‖β‖²."""

from __future__ import annotations

import pytest
import torch

from slahmr_opt.energies.shape_prior import shape_prior_energy


def test_shape_prior_value():
    betas = torch.tensor([[1.0, 2.0], [0.0, -1.0]])
    assert float(shape_prior_energy(betas, 10)) == pytest.approx(60.0)
    assert float(shape_prior_energy(betas, 0)) == 0.0


def test_shape_prior_checks():
    with pytest.raises(ValueError, match="betas"):
        shape_prior_energy(torch.zeros(3), 5)
    with pytest.raises(ValueError, match="num_frames"):
        shape_prior_energy(torch.zeros(1, 3), -1)
