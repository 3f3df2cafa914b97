"""Putting per-frame camera-frame SMPL estimates into the SLAM world.

This is the solver's initialisation and, on its own, the *naive composition* baseline
("SLAM + HMR"): every frame's camera-frame body is carried into the world by that frame's SLAM
camera at a chosen world scale α, with no optimisation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch

from slahmr_opt.body.model import BodyModel
from slahmr_opt.geometry.smpl_transform import camera_to_world_smpl
from slahmr_opt.scene import PersonMotion, Scene, Track

log = logging.getLogger(__name__)


def track_to_world(track: Track, scene: Scene, body: BodyModel, alpha: float = 1.0) -> PersonMotion:
    """One track's per-frame camera-frame SMPL → world SMPL with the SLAM cameras at scale α.

    ``X_world = R_tᵀ (X_cam − α t_t)`` applied to the posed body, i.e. to the root parameters with
    the pelvis (j0) terms. Betas are the per-track median of the per-frame estimates (the world
    body has one shape).

    Args:
        track: a track with SMPL estimates (frames without one were filled on construction).
        scene: its scene (cameras).
        body: body model (for the rest pelvis j0(β)).
        alpha: world scale (metres per SLAM unit).

    Returns:
        the track's world motion, frames ``track.frames``.
    """
    if not track.has_smpl:
        raise ValueError(f"track {track.track_id!r}: has no per-frame SMPL estimates to compose")
    frames = track.frames
    betas = np.median(track.betas, axis=0)
    num_betas = min(body.num_betas, betas.shape[0])
    betas_t = torch.as_tensor(betas[:num_betas], dtype=torch.float64)
    dtype = body.joint_template0.dtype
    with torch.no_grad():
        j0 = body.joint_template(betas_t.to(dtype)).to(torch.float64)[0]
    R = torch.as_tensor(scene.cameras.R[frames], dtype=torch.float64)
    t = torch.as_tensor(scene.cameras.t[frames], dtype=torch.float64)
    go, transl = camera_to_world_smpl(
        R,
        t,
        torch.as_tensor(track.global_orient, dtype=torch.float64),
        torch.as_tensor(track.transl, dtype=torch.float64),
        j0.expand(len(frames), 3),
        alpha=float(alpha),
    )
    return PersonMotion(
        track_id=track.track_id,
        frames=frames,
        global_orient=go.numpy(),
        body_pose=track.body_pose.copy(),
        betas=betas,
        transl=transl.numpy(),
    )


def pelvis_world_parts(
    track: Track, scene: Scene, body: BodyModel
) -> tuple[np.ndarray, np.ndarray]:
    """Split a track's world pelvis trajectory into its scale-free and scale-dependent parts.

    With ``X_world(α) = R_tᵀ X_cam − α R_tᵀ t_t``, the pelvis is ``A_t + α B_t`` with
    ``A_t = R_tᵀ X_cam,t`` (metres) and ``B_t = −R_tᵀ t_t`` (the SLAM camera centre).

    Returns:
        (A (T_i, 3), B (T_i, 3)).
    """
    betas = torch.as_tensor(
        np.median(track.betas, axis=0)[: body.num_betas], dtype=body.joint_template0.dtype
    )
    with torch.no_grad():
        j0 = body.joint_template(betas).to(torch.float64)[0].numpy()
    pelvis_cam = track.transl + j0  # the pelvis in the camera frame (root rotation is about j0)
    R = scene.cameras.R[track.frames]
    t = scene.cameras.t[track.frames]
    A = np.einsum("tji,tj->ti", R, pelvis_cam)
    B = -np.einsum("tji,tj->ti", R, t)
    return A, B


def alpha_from_median_displacement(
    scene: Scene, body: BodyModel, min_camera_step: float = 1e-6
) -> float:
    """World scale α from the median of per-step scales that keep people still.

    For each person and consecutive frames, the world pelvis displacement is ``ΔA + α ΔB``
    (:func:`pelvis_world_parts`). The α that makes that step's displacement smallest is
    ``α_t = −ΔA·ΔB / ‖ΔB‖²``; the estimate is the median over all steps with a moving camera
    (``‖ΔB‖ > min_camera_step``), clamped to be positive. It assumes people move less than the
    camera between frames — crude, and exactly as good as that assumption: it is the naive
    baseline's scale, not the solver's.

    Args:
        scene: the scene (SLAM cameras, tracks with SMPL).
        body: body model.
        min_camera_step: ignore steps whose SLAM camera moved less than this (SLAM units).

    Returns:
        α > 0; 1.0 when the cameras never translate (α is then unobservable) or when the
        median is not positive (people moving along with the camera defeat the assumption).
    """
    ratios = []
    for track in scene.tracks:
        if not track.has_smpl or track.num_frames < 2:
            continue
        A, B = pelvis_world_parts(track, scene, body)
        dA, dB = np.diff(A, axis=0), np.diff(B, axis=0)
        nb = np.einsum("ti,ti->t", dB, dB)
        ok = nb > min_camera_step**2
        ratios.append(-np.einsum("ti,ti->t", dA[ok], dB[ok]) / nb[ok])
    values = np.concatenate(ratios) if ratios else np.zeros(0)
    if values.size == 0:
        return 1.0
    alpha = float(np.median(values))
    if not np.isfinite(alpha) or alpha <= 0:
        log.warning(
            "median-displacement α is %.3g (people move with the camera); using α = 1", alpha
        )
        return 1.0
    return alpha


def naive_composition(
    scene: Scene,
    body: BodyModel,
    alpha: float | str = 1.0,
    track_ids: Sequence[str] | None = None,
) -> tuple[list[PersonMotion], float]:
    """The naive "SLAM + per-frame SMPL" baseline.

    Args:
        scene: input scene.
        body: body model.
        alpha: a number, ``"slam"`` (α = 1, the SLAM units as they are) or ``"median"``
            (:func:`alpha_from_median_displacement`).
        track_ids: tracks to compose (default: all with SMPL).

    Returns:
        (world motion per track, the α used).
    """
    if alpha == "slam":
        alpha = 1.0
    elif alpha == "median":
        alpha = alpha_from_median_displacement(scene, body)
    elif isinstance(alpha, str):
        raise ValueError(f"alpha must be a number, 'slam' or 'median', got {alpha!r}")
    ids = track_ids if track_ids is not None else [t.track_id for t in scene.tracks if t.has_smpl]
    people = [track_to_world(scene.track(i), scene, body, float(alpha)) for i in ids]
    return people, float(alpha)
