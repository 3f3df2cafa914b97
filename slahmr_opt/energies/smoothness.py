"""The 3D joint smoothness term (docs/energies.md §2)."""

from __future__ import annotations

import torch
from torch import Tensor


def pair_mask(mask: Tensor) -> Tensor:
    """Consecutive-frame pairs inside the mask: ``m_t ∧ m_{t−1}``.

    Args:
        mask: (B, T) bool, frames inside each track.

    Returns:
        (B, T − 1) bool, entry t for the pair (t, t + 1).
    """
    return mask[:, 1:] & mask[:, :-1]


def joint_smoothness_energy(joints: Tensor, mask: Tensor) -> Tensor:
    """``½ Σ_{b, t: m_t ∧ m_{t−1}} Σ_j ‖J_{b,t,j} − J_{b,t−1,j}‖²`` (a sum, not a mean).

    Frame pairs with either frame outside the mask contribute nothing and give no gradient.

    Args:
        joints: (B, T, J, 3) world joints, metres (the original uses the 22 SMPL body joints).
        mask: (B, T) bool.

    Returns:
        () energy, m².
    """
    if joints.ndim != 4 or joints.shape[-1] != 3:
        raise ValueError(f"joints must have shape (B, T, J, 3), got {tuple(joints.shape)}")
    if mask.shape != joints.shape[:2]:
        raise ValueError(f"mask must have shape {tuple(joints.shape[:2])}, got {tuple(mask.shape)}")
    diff = joints[:, 1:] - joints[:, :-1]
    pairs = pair_mask(mask)
    diff = torch.where(pairs[..., None, None], diff, torch.zeros_like(diff))
    return 0.5 * (diff * diff).sum()


def triple_mask(mask: Tensor) -> Tensor:
    """Frame triples inside the mask: ``m_{t−1} ∧ m_t ∧ m_{t+1}``.

    Args:
        mask: (B, T) bool.

    Returns:
        (B, T − 2) bool, entry t for the triple (t, t + 1, t + 2).
    """
    return mask[:, 2:] & mask[:, 1:-1] & mask[:, :-2]


def joint_acceleration_energy(joints: Tensor, mask: Tensor) -> Tensor:
    """``½ Σ_{b, t: m_{t−1} ∧ m_t ∧ m_{t+1}} Σ_j ‖J_{t+1} − 2 J_t + J_{t−1}‖²`` (a sum).

    Second differences per frame (m), not divided by the frame time: a constant-velocity motion
    costs nothing, unlike :func:`joint_smoothness_energy`, which penalises any motion and so
    favours a world scale that makes people slow. Not in the original.

    Args:
        joints: (B, T, J, 3) world joints, metres.
        mask: (B, T) bool.

    Returns:
        () energy, m².
    """
    if joints.ndim != 4 or joints.shape[-1] != 3:
        raise ValueError(f"joints must have shape (B, T, J, 3), got {tuple(joints.shape)}")
    if mask.shape != joints.shape[:2]:
        raise ValueError(f"mask must have shape {tuple(joints.shape[:2])}, got {tuple(mask.shape)}")
    second = joints[:, 2:] - 2.0 * joints[:, 1:-1] + joints[:, :-2]
    triples = triple_mask(mask)
    second = torch.where(triples[..., None, None], second, torch.zeros_like(second))
    return 0.5 * (second * second).sum()
