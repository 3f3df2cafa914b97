"""Geman–McClure against hand-computed values."""

from __future__ import annotations

import pytest
import torch

from slahmr_opt.energies.robust import geman_mcclure


def test_geman_mcclure_values():
    r = torch.tensor([0.0, 3.0, -4.0, 400.0], dtype=torch.float64)
    # σ² r² / (σ² + r²) with σ = 4: 0, 16·9/25, 16·16/32, → σ² for large r
    expected = torch.tensor([0.0, 5.76, 8.0, 16.0 * 160000.0 / 160016.0], dtype=torch.float64)
    torch.testing.assert_close(geman_mcclure(r, 4.0), expected)


def test_geman_mcclure_is_quadratic_near_zero_and_bounded():
    r = torch.tensor([1e-3, 1e6], dtype=torch.float64)
    out = geman_mcclure(r, 100.0)
    assert out[0] == pytest.approx(1e-6, rel=1e-9)
    assert out[1] < 100.0**2


def test_geman_mcclure_rejects_bad_sigma():
    with pytest.raises(ValueError, match="sigma"):
        geman_mcclure(torch.zeros(2), 0.0)
