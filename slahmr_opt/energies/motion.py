"""Motion-pass terms besides the CVAE and GMM (docs/energies.md §5–§9).

All are sums (not means) over the masked batch, like every other term; the CVAE term is
:func:`slahmr_opt.priors.rollout.prior_energy` and the initial-state GMM term is
:func:`slahmr_opt.priors.gmm.initial_state_energy`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from slahmr_opt.body.joint_maps import HUMOR_CONTACT_JOINTS, SMPL_PARENTS
from slahmr_opt.energies.smoothness import pair_mask

CONTACT_HEIGHT_THRESHOLD = 0.08
"""Height (m) below which a contacting joint costs nothing (the original's value)."""

NUM_PRIOR_JOINTS = 22

COLLAR_NECK_PARENTS: tuple[int, ...] = tuple(
    12 if j in (13, 14) else p for j, p in enumerate(SMPL_PARENTS[:NUM_PRIOR_JOINTS])
)
"""The original's SMPL_PARENTS (slahmr/body_model/specs.py:27-50): the collars (13, 14) hang from
the neck (12) instead of spine2 (9), which changes two of the bone-length term's 21 bones."""


def _check_points(points: Tensor, name: str) -> None:
    if points.ndim != 4 or points.shape[-1] != 3:
        raise ValueError(f"{name} must have shape (B, T, J, 3), got {tuple(points.shape)}")


def _check_mask(mask: Tensor, shape: torch.Size, name: str = "mask") -> None:
    if mask.shape != shape:
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(mask.shape)}")


def expand_contacts(contacts: Tensor, num_joints: int = NUM_PRIOR_JOINTS) -> Tensor:
    """Per-joint contact weights from the prior's 9 contact channels.

    Args:
        contacts: (B, T, 9) contact probabilities for SMPL joints
            :data:`~slahmr_opt.body.joint_maps.HUMOR_CONTACT_JOINTS`.
        num_joints: J of the output.

    Returns:
        (B, T, J), zero for joints without a contact channel.
    """
    if contacts.shape[-1] != len(HUMOR_CONTACT_JOINTS):
        raise ValueError(
            f"contacts must have {len(HUMOR_CONTACT_JOINTS)} channels, got {contacts.shape[-1]}"
        )
    out = contacts.new_zeros(*contacts.shape[:-1], num_joints)
    out[..., list(HUMOR_CONTACT_JOINTS)] = contacts
    return out


def joint_consistency_energy(smpl_joints: Tensor, prior_joints: Tensor, mask: Tensor) -> Tensor:
    """``½ Σ_{b,t∈M} Σ_j ‖J^SMPL_{btj} − J^prior_{btj}‖²``: the body model's joints of the rolled
    out parameters against the joints the prior regressed (original: joint_consistency).

    Args:
        smpl_joints, prior_joints: (B, T, 22, 3), metres, same frame.
        mask: (B, T) bool.

    Returns:
        () m².
    """
    _check_points(smpl_joints, "smpl_joints")
    if prior_joints.shape != smpl_joints.shape:
        raise ValueError(
            f"prior_joints must have shape {tuple(smpl_joints.shape)}, "
            f"got {tuple(prior_joints.shape)}"
        )
    _check_mask(mask, smpl_joints.shape[:2])
    diff = smpl_joints - prior_joints
    diff = torch.where(mask[..., None, None], diff, torch.zeros_like(diff))
    return 0.5 * (diff * diff).sum()


def bone_lengths(joints: Tensor, parents: tuple[int, ...] | None = None) -> Tensor:
    """Lengths of the 21 parent–child bones of the 22 body joints.

    Args:
        joints: (..., 22, 3).
        parents: parent of each of the 22 joints (default: the SMPL kinematic tree).

    Returns:
        (..., 21) metres.
    """
    parents = SMPL_PARENTS if parents is None else parents
    child = torch.arange(1, NUM_PRIOR_JOINTS, device=joints.device)
    parent = torch.tensor(parents[1:NUM_PRIOR_JOINTS], device=joints.device)
    return (joints[..., child, :] - joints[..., parent, :]).norm(dim=-1)


def bone_length_energy(
    joints: Tensor, mask: Tensor, parents: tuple[int, ...] | None = None
) -> Tensor:
    """``½ Σ_{b,t: m_t ∧ m_{t−1}} Σ_bones (ℓ_t − ℓ_{t−1})²`` on the prior's regressed joints
    (original: bone_length).

    Args:
        joints: (B, T, 22, 3) metres.
        mask: (B, T) bool.
        parents: the bones' parents (default SMPL's; :data:`COLLAR_NECK_PARENTS` = the
            original's).

    Returns:
        () m².
    """
    _check_points(joints, "joints")
    if joints.shape[2] != NUM_PRIOR_JOINTS:
        raise ValueError(f"joints must hold the 22 body joints, got {joints.shape[2]}")
    _check_mask(mask, joints.shape[:2])
    lengths = bone_lengths(joints, parents)
    diff = lengths[:, 1:] - lengths[:, :-1]
    diff = torch.where(pair_mask(mask)[..., None], diff, torch.zeros_like(diff))
    return 0.5 * (diff * diff).sum()


def contact_skate_energy(joints: Tensor, contacts: Tensor, mask: Tensor) -> Tensor:
    """Skate: ``½ Σ_{b,t: m_t ∧ m_{t−1}} Σ_j c_{btj} ‖J_{btj} − J_{b,t−1,j}‖²`` — joints in contact
    should not move (original: contact_vel; per-frame displacement, no 1/dt).

    Args:
        joints: (B, T, J, 3) metres (any rigid frame: distances are frame-independent).
        contacts: (B, T, J) contact probabilities in [0, 1] (:func:`expand_contacts`).
        mask: (B, T) bool.

    Returns:
        () m².
    """
    _check_points(joints, "joints")
    _check_mask(contacts, joints.shape[:3], "contacts")
    _check_mask(mask, joints.shape[:2])
    step = joints[:, 1:] - joints[:, :-1]
    sq = (step * step).sum(-1) * contacts[:, 1:]
    sq = torch.where(pair_mask(mask)[..., None], sq, torch.zeros_like(sq))
    return 0.5 * sq.sum()


def contact_height_energy(
    heights: Tensor, contacts: Tensor, mask: Tensor, threshold: float = CONTACT_HEIGHT_THRESHOLD
) -> Tensor:
    """``Σ_{b,t∈M} Σ_j c_{btj} · relu(|h_{btj}| − threshold)``: contacting joints lie on the floor.

    Args:
        heights: (B, T, J) signed height above the floor, metres (z in the prior frame).
        contacts: (B, T, J) contact probabilities.
        mask: (B, T) bool.
        threshold: metres.

    Returns:
        () metres.
    """
    if heights.ndim != 3:
        raise ValueError(f"heights must have shape (B, T, J), got {tuple(heights.shape)}")
    _check_mask(contacts, heights.shape, "contacts")
    _check_mask(mask, heights.shape[:2])
    cost = contacts * torch.relu(heights.abs() - threshold)
    cost = torch.where(mask[..., None], cost, torch.zeros_like(cost))
    return cost.sum()


def floor_regularizer_energy(plane: Tensor, plane_observed: Tensor, num_frames: int) -> Tensor:
    """``½ ‖p − p_obs‖² · T`` for the floor plane vector ``p = n·d`` (original: floor_reg).

    Args:
        plane: (3,) current floor vector. plane_observed: (3,) the initial one.
        num_frames: T.

    Returns:
        () m².
    """
    if plane.shape != (3,) or plane_observed.shape != (3,):
        raise ValueError(
            f"plane and plane_observed must have shape (3,), got {tuple(plane.shape)} and "
            f"{tuple(plane_observed.shape)}"
        )
    diff = plane - plane_observed
    return 0.5 * (diff * diff).sum() * num_frames
