"""Energy terms, one module per family (docs/energies.md). Every term is a pure function that
returns a sum (not a mean) over the masked batch, people × frames × joints × coordinates."""

from slahmr_opt.energies.pose_prior import (
    DEFAULT_JOINT_LIMITS,
    EstimatePosePrior,
    JointLimit,
    PosePrior,
    chordal_angle_sq,
    estimate_pull_energy,
    joint_limit_energy,
)
from slahmr_opt.energies.reprojection import keypoint_weights, reprojection_energy
from slahmr_opt.energies.robust import geman_mcclure
from slahmr_opt.energies.shape_prior import shape_prior_energy
from slahmr_opt.energies.smoothness import (
    joint_acceleration_energy,
    joint_smoothness_energy,
    pair_mask,
    triple_mask,
)

__all__ = [
    "DEFAULT_JOINT_LIMITS",
    "EstimatePosePrior",
    "JointLimit",
    "PosePrior",
    "chordal_angle_sq",
    "estimate_pull_energy",
    "geman_mcclure",
    "joint_acceleration_energy",
    "joint_limit_energy",
    "joint_smoothness_energy",
    "keypoint_weights",
    "pair_mask",
    "reprojection_energy",
    "shape_prior_energy",
    "triple_mask",
]
