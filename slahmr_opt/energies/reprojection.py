"""The robust 2D reprojection term (docs/energies.md §1)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from slahmr_opt.energies.robust import geman_mcclure


def keypoint_weights(
    confidence: Tensor, threshold: float, ignore_joints: Sequence[int] = ()
) -> Tensor:
    """Per-keypoint weights of the 2D term: confidence², 0 below the threshold or if ignored.

    As the original: keypoints with ``confidence < threshold`` are dropped and the remaining
    confidences are squared; ``ignore_joints`` (the neck, BODY_25 index 1, in the original) get
    weight 0.

    Args:
        confidence: (..., K) detector confidences in [0, 1].
        threshold: drop keypoints with confidence strictly below this.
        ignore_joints: keypoint indices (last axis) given weight 0.

    Returns:
        (..., K) weights in [0, 1].
    """
    w = torch.where(confidence < threshold, torch.zeros_like(confidence), confidence**2)
    if len(ignore_joints):
        w = w.clone()
        w[..., list(ignore_joints)] = 0.0
    return w


def reprojection_energy(
    predicted: Tensor, observed: Tensor, weights: Tensor, sigma: float
) -> Tensor:
    """``Σ w_k [ρ(u_k − û_k) + ρ(v_k − v̂_k)]`` with Geman–McClure ρ of scale σ (a sum, not a mean).

    Residuals are taken per pixel coordinate, as in the original. Entries with weight 0 contribute
    exactly nothing and receive no gradient, even where the prediction is not finite.

    Args:
        predicted: (..., K, 2) projected model keypoints, pixels.
        observed: (..., K, 2) detected keypoints, pixels.
        weights: (..., K) per-keypoint weights (:func:`keypoint_weights`, 0 outside a track).
        sigma: Geman–McClure scale, pixels.

    Returns:
        () energy, pixels².
    """
    if predicted.shape != observed.shape or predicted.shape[-1] != 2:
        raise ValueError(
            f"predicted and observed must both have shape (..., K, 2), got "
            f"{tuple(predicted.shape)} and {tuple(observed.shape)}"
        )
    if weights.shape != predicted.shape[:-1]:
        raise ValueError(
            f"weights must have shape {tuple(predicted.shape[:-1])}, got {tuple(weights.shape)}"
        )
    active = weights > 0
    residual = torch.where(active[..., None], predicted - observed, torch.zeros_like(observed))
    return (weights[..., None] * geman_mcclure(residual, sigma)).sum()
