"""Learned motion priors: the HuMoR CVAE, its initial-state GMM, roll-out and training.

See docs/prior.md. Training and evaluation (:mod:`slahmr_opt.priors.train`) are imported on use.
"""

from slahmr_opt.priors.gmm import GaussianMixture, fit_gmm, initial_state_energy
from slahmr_opt.priors.humor import (
    HumorConfig,
    HumorPrior,
    MotionPrior,
    Normalization,
    default_prior_dir,
    load_default_prior,
    load_original_checkpoint,
    load_original_prior,
    load_prior,
    save_weights,
)
from slahmr_opt.priors.rollout import (
    Inference,
    Rollout,
    infer_latents,
    prior_energy,
    rollout,
    sample_motion,
    scatter_tracks,
    transition_energy,
)
from slahmr_opt.priors.state import (
    FPS,
    CanonicalFrame,
    PriorState,
    canonical_frame,
    check_fps,
    label_contacts,
    pelvis_offset_from_betas,
    pelvis_offset_from_state,
    resample_smpl,
    state_from_smpl,
    to_local,
    to_world,
)

__all__ = [
    "FPS",
    "CanonicalFrame",
    "GaussianMixture",
    "HumorConfig",
    "HumorPrior",
    "Inference",
    "MotionPrior",
    "Normalization",
    "PriorState",
    "Rollout",
    "canonical_frame",
    "check_fps",
    "default_prior_dir",
    "fit_gmm",
    "infer_latents",
    "initial_state_energy",
    "label_contacts",
    "load_default_prior",
    "load_original_checkpoint",
    "load_original_prior",
    "load_prior",
    "pelvis_offset_from_betas",
    "pelvis_offset_from_state",
    "prior_energy",
    "resample_smpl",
    "rollout",
    "sample_motion",
    "save_weights",
    "scatter_tracks",
    "state_from_smpl",
    "to_local",
    "to_world",
    "transition_energy",
]
