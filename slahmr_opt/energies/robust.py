"""Robust penalty functions."""

from __future__ import annotations

from torch import Tensor


def geman_mcclure(residual: Tensor, sigma: float) -> Tensor:
    """Geman–McClure penalty ``ρ(r) = σ² r² / (σ² + r²)``, elementwise.

    Quadratic (≈ r²) for ``|r| ≪ σ``, saturating at σ² for ``|r| ≫ σ``; the original's
    ``GMoF`` with ``rho = σ``.

    Args:
        residual: (...) residuals, any units.
        sigma: scale σ > 0, same units as ``residual``.

    Returns:
        (...) penalties, units of ``residual``².
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    sq = residual * residual
    s2 = float(sigma) ** 2
    return s2 * sq / (s2 + sq)
