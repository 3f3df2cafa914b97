"""Pose priors (docs/energies.md §3).

VPoser, the original's prior, is licensed and cannot ship: with the user's checkpoint
(``slahmr_opt.priors.vposer``) the poses are VPoser latents and the prior is
:func:`latent_pose_energy` (pass 2) or the same on the encoder means of the rolled-out poses
(pass 3). The default prior here is :class:`EstimatePosePrior`: a robust pull of every joint
rotation towards the per-frame estimator's, plus a penalty on anatomically impossible knee and
elbow angles. Any object with the :class:`PosePrior` call signature can be given to the solver
instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import roma
import torch
from torch import Tensor

__all__ = [
    "DEFAULT_JOINT_LIMITS",
    "EstimatePosePrior",
    "JointLimit",
    "PosePrior",
    "chordal_angle_sq",
    "estimate_pull_energy",
    "joint_limit_energy",
    "latent_pose_energy",
]


@runtime_checkable
class PosePrior(Protocol):
    """A pose prior: energy of the body poses of a batch of tracks."""

    def __call__(self, body_pose: Tensor, mask: Tensor) -> Tensor:
        """Energy of the poses on the masked frames.

        Args:
            body_pose: (B, T, K, 3) body joint rotations (after the pelvis), axis-angle.
            mask: (B, T) bool, frames inside each track; others must contribute nothing.

        Returns:
            () energy.
        """
        ...


@dataclass(frozen=True)
class JointLimit:
    """A one-sided limit ``sign · θ_axis ≥ 0`` on one axis-angle component of a body joint.

    Attributes:
        joint: index into ``body_pose`` (SMPL joint index − 1).
        axis: 0, 1, 2 for the x, y, z component.
        sign: +1 or −1, the direction of the allowed (flexion) side.
        name: what it forbids.
    """

    joint: int
    axis: int
    sign: float
    name: str


DEFAULT_JOINT_LIMITS: tuple[JointLimit, ...] = (
    JointLimit(3, 0, +1.0, "left knee hyper-extension"),
    JointLimit(4, 0, +1.0, "right knee hyper-extension"),
    JointLimit(17, 1, -1.0, "left elbow bending backwards"),
    JointLimit(18, 1, +1.0, "right elbow bending backwards"),
)
"""In the SMPL rest frame (y up, facing +z, left +x) knees flex about +x, the left elbow about −y
and the right elbow about +y (checked against the body model in the tests)."""


def latent_pose_energy(latent: Tensor, mask: Tensor) -> Tensor:
    """``Σ_{b,t∈M} ‖z_{bt}‖²``: VPoser's latent is N(0, I) (the original's ``pose_prior_loss``,
    slahmr/optim/losses.py:466-476).

    Args:
        latent: (B, T, D) VPoser latents (or encoder means).
        mask: (B, T) bool.

    Returns:
        () energy.
    """
    if latent.ndim != 3 or mask.shape != latent.shape[:2]:
        raise ValueError(
            f"latent must be (B, T, D) with mask (B, T); got {tuple(latent.shape)} and "
            f"{tuple(mask.shape)}"
        )
    sq = (latent * latent).sum(-1)
    return torch.where(mask, sq, torch.zeros_like(sq)).sum()


def chordal_angle_sq(R_a: Tensor, R_b: Tensor) -> Tensor:
    """Squared chordal rotation distance ``½‖R_a − R_b‖²_F = 4 sin²(θ/2)`` (≈ θ² for small θ).

    Smooth everywhere (unlike the geodesic angle θ at 0), which keeps gradients finite when a
    joint sits exactly on its reference.

    Args:
        R_a, R_b: (..., 3, 3) rotation matrices.

    Returns:
        (...) rad² (chordal).
    """
    d = R_a - R_b
    return 0.5 * (d * d).sum(dim=(-1, -2))


def estimate_pull_energy(
    body_pose: Tensor, reference_rotmats: Tensor, mask: Tensor, scale: float, robust: float
) -> Tensor:
    """``Σ_{b,t∈M} Σ_j ρ(d_j / s)`` with ``d_j`` the chordal angle to the reference rotation.

    ``ρ(x) = k² x² / (k² + x²)`` (Geman–McClure with constant k = ``robust``), so a joint costs
    ≈ ``(d/s)²`` near its reference and at most ``k²`` however far it is.

    Args:
        body_pose: (B, T, K, 3) axis-angle.
        reference_rotmats: (B, T, K, 3, 3) reference rotations (the per-frame estimate).
        mask: (B, T) bool.
        scale: s, radians.
        robust: k, in units of s.

    Returns:
        () energy.
    """
    R = roma.rotvec_to_rotmat(body_pose)
    d2 = chordal_angle_sq(R, reference_rotmats) / (scale * scale)
    # ρ(x) with x² = d2; write it on d2 directly to avoid a square root at 0.
    k2 = robust * robust
    rho = k2 * d2 / (k2 + d2)
    return torch.where(mask[..., None], rho, torch.zeros_like(rho)).sum()


def joint_limit_energy(
    body_pose: Tensor, mask: Tensor, limits: Sequence[JointLimit] = DEFAULT_JOINT_LIMITS
) -> Tensor:
    """``Σ_{b,t∈M} Σ_limits relu(−sign · θ_axis)²`` in rad².

    Args:
        body_pose: (B, T, K, 3) axis-angle.
        mask: (B, T) bool.
        limits: the one-sided limits (joints beyond K are skipped).

    Returns:
        () energy, rad².
    """
    usable = [lim for lim in limits if lim.joint < body_pose.shape[-2]]
    if not usable:
        return body_pose.new_zeros(())
    joints = [lim.joint for lim in usable]
    axes = [lim.axis for lim in usable]
    signs = body_pose.new_tensor([lim.sign for lim in usable])
    values = body_pose[..., joints, axes] * signs
    violation = torch.relu(-values)
    sq = torch.where(mask[..., None], violation * violation, torch.zeros_like(violation))
    return sq.sum()


class EstimatePosePrior:
    """The default pose prior: robust pull towards the per-frame estimate + joint limits.

    ``E = Σ_{b,t∈M} Σ_j ρ_k(d_{btj} / s) + λ Σ_{b,t∈M} Σ_limits relu(−sign·θ)²``
    (:func:`estimate_pull_energy`, :func:`joint_limit_energy`).

    Args:
        reference: (B, T, K, 3) the per-frame estimated body poses, axis-angle (any value on
            frames outside the mask).
        scale: s, radians (``PosePriorConfig.pull_scale``).
        robust: k (``PosePriorConfig.pull_robust``).
        limit_weight: λ per rad² (``PosePriorConfig.limit_weight``).
        limits: the joint limits.
    """

    def __init__(
        self,
        reference: Tensor,
        scale: float,
        robust: float,
        limit_weight: float,
        limits: Sequence[JointLimit] = DEFAULT_JOINT_LIMITS,
    ) -> None:
        if reference.ndim != 4 or reference.shape[-1] != 3:
            raise ValueError(
                f"reference must have shape (B, T, K, 3), got {tuple(reference.shape)}"
            )
        if not scale > 0 or not robust > 0 or limit_weight < 0:
            raise ValueError(
                f"need scale > 0, robust > 0, limit_weight ≥ 0; got {scale}, {robust}, "
                f"{limit_weight}"
            )
        self.reference_rotmats = roma.rotvec_to_rotmat(reference.detach())
        self.scale = float(scale)
        self.robust = float(robust)
        self.limit_weight = float(limit_weight)
        self.limits = tuple(limits)

    def __call__(self, body_pose: Tensor, mask: Tensor) -> Tensor:
        """See :class:`PosePrior`; shapes must match the reference."""
        if body_pose.shape != self.reference_rotmats.shape[:-1]:
            raise ValueError(
                f"body_pose must have shape {tuple(self.reference_rotmats.shape[:-1])}, got "
                f"{tuple(body_pose.shape)}"
            )
        energy = estimate_pull_energy(
            body_pose, self.reference_rotmats, mask, self.scale, self.robust
        )
        if self.limit_weight > 0:
            energy = energy + self.limit_weight * joint_limit_energy(body_pose, mask, self.limits)
        return energy
