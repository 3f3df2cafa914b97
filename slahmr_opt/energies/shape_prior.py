"""The shape prior (docs/energies.md §4)."""

from __future__ import annotations

from torch import Tensor


def shape_prior_energy(betas: Tensor, num_frames: int) -> Tensor:
    """``T · Σ_b ‖β_b‖²``: the original's Gaussian shape prior multiplied by the frame count T.

    Args:
        betas: (B, S) one shape per person.
        num_frames: T, the number of frames of the problem (the original's ``nsteps``).

    Returns:
        () energy (dimensionless).
    """
    if betas.ndim != 2:
        raise ValueError(f"betas must have shape (B, S), got {tuple(betas.shape)}")
    if num_frames < 0:
        raise ValueError(f"num_frames must be ≥ 0, got {num_frames}")
    return float(num_frames) * (betas * betas).sum()
