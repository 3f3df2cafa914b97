"""The energy of each pass as a function of the variables (docs/energies.md, docs/solver.md).

One body-model evaluation per energy evaluation, batched over all people and frames, on joints and
landmark vertices only (never the full mesh). The body is posed with the root at rest and no
translation (the pelvis then sits at ``J(β)[0]``) and the root rigid motion is applied afterwards:

    X_world = R_root (X_local − J(β)[0]) + pelvis_world,

which is exactly SMPL's forward kinematics. In a pass where neither ``body_pose`` nor ``betas``
is free (the root pass) ``X_local`` is computed once and reused by every evaluation.

With ``init.alpha_update = "profile"`` the world scale is eliminated: the world joints are affine
in α, ``J(α) = U + α V`` with ``V_t = −R_tᵀ t_t``, only the smoothness terms see α, and they are
quadratic in it, so every evaluation uses the exact minimiser

    α* = −(w_v Σ ΔU·ΔV + w_a Σ Δ²U·Δ²V) / (w_v Σ ‖ΔV‖² + w_a Σ ‖Δ²V‖²)

(sums over masked frame pairs / triples and the 22 joints; :func:`profiled_alpha`).
"""

from __future__ import annotations

import roma
import torch
from torch import Tensor

from slahmr_opt.body.joint_maps import NUM_SOURCE_BODY_JOINTS, SOURCE_TO_BODY25, adjust_hips
from slahmr_opt.body.model import BodyModel
from slahmr_opt.config import PassConfig, SolverConfig
from slahmr_opt.energies.pose_prior import EstimatePosePrior, PosePrior, latent_pose_energy
from slahmr_opt.energies.reprojection import reprojection_energy
from slahmr_opt.energies.shape_prior import shape_prior_energy
from slahmr_opt.energies.smoothness import (
    joint_acceleration_energy,
    joint_smoothness_energy,
    pair_mask,
    triple_mask,
)
from slahmr_opt.geometry.camera import world_to_pixels
from slahmr_opt.priors.vposer import VPoser
from slahmr_opt.solver.variables import (
    ProblemData,
    Variables,
    decoded_body_pose,
    world_pelvis_parts,
)

ENERGY_TERMS = ("joints2d", "joints3d_smooth", "joints3d_accel", "pose_prior", "shape_prior")
"""Names of the energy terms of passes 1–2 (= the fields of ``config.EnergyWeights``)."""

NUM_SMOOTH_JOINTS = 22
"""The smoothness term uses the 22 SMPL body joints (HuMoR-22), as the original."""

MIN_ALPHA_CURVATURE = 1e-12
"""Below this curvature of the smoothness energy in α (m² per unit α²), α is left unchanged by
profiling: the cameras barely translate, so the energy does not determine α."""


def profiled_alpha(
    joints0: Tensor,
    per_alpha: Tensor,
    mask: Tensor,
    w_velocity: float,
    w_acceleration: float,
    current: Tensor,
    min_alpha: float,
) -> Tensor:
    """The α minimising the smoothness energy of ``J(α) = joints0 + α · per_alpha``.

    Args:
        joints0: (B, T, J, 3) world joints at α = 0, metres.
        per_alpha: (T, 3) displacement of every joint per unit of α (``−R_tᵀ t_t``).
        mask: (B, T) bool.
        w_velocity, w_acceleration: weights of the first- and second-difference terms.
        current: (1,) the current α, returned when the energy does not determine α.
        min_alpha: lower bound of the result (> 0).

    Returns:
        (1,) α*, differentiable with respect to ``joints0``.
    """
    num = joints0.new_zeros(())
    den = joints0.new_zeros(())
    v = per_alpha[None, :, None, :]
    joint_count = joints0.shape[2]
    if w_velocity > 0:
        du = joints0[:, 1:] - joints0[:, :-1]
        dv = v[:, 1:] - v[:, :-1]
        m = pair_mask(mask)[..., None, None]
        num = num + w_velocity * torch.where(m, du * dv, torch.zeros_like(du)).sum()
        den = den + w_velocity * joint_count * (m * dv * dv).sum()
    if w_acceleration > 0:
        du = joints0[:, 2:] - 2.0 * joints0[:, 1:-1] + joints0[:, :-2]
        dv = v[:, 2:] - 2.0 * v[:, 1:-1] + v[:, :-2]
        m = triple_mask(mask)[..., None, None]
        num = num + w_acceleration * torch.where(m, du * dv, torch.zeros_like(du)).sum()
        den = den + w_acceleration * joint_count * (m * dv * dv).sum()
    if not float(den) > MIN_ALPHA_CURVATURE:
        return current.detach()
    return (-num / den).clamp(min=min_alpha).reshape(1)


def build_pose_prior(config: SolverConfig, data: ProblemData) -> PosePrior:
    """The default pose prior (:class:`EstimatePosePrior`) for these observations."""
    cfg = config.pose_prior
    return EstimatePosePrior(data.ref_body_pose, cfg.pull_scale, cfg.pull_robust, cfg.limit_weight)


class PassObjective:
    """The weighted energy terms of one pass.

    Args:
        data: batched observations.
        body: body model on the data's device and dtype.
        config: solver config (observation model).
        pass_config: the pass (weights, free variables).
        pose_prior: the pose prior (used when its weight is > 0).
        variables: the variables (the body's local keypoints are cached from them when neither
            ``body_pose`` nor ``betas`` is free).
        profile_alpha: set α to its exact minimiser in every evaluation (the variables' α is
            overwritten with it; needs ``trans_frame = "camera"``).
        vposer: with variables that hold VPoser latents, the decoder of the body pose; the pose
            prior is then ``Σ‖z‖²`` (:func:`~slahmr_opt.energies.pose_prior.latent_pose_energy`).
    """

    def __init__(
        self,
        data: ProblemData,
        body: BodyModel,
        config: SolverConfig,
        pass_config: PassConfig,
        pose_prior: PosePrior | None,
        variables: Variables,
        profile_alpha: bool = False,
        vposer: VPoser | None = None,
    ) -> None:
        if profile_alpha and variables.trans_frame != "camera":
            raise ValueError("profile_alpha needs the camera-frame translation (trans_frame)")
        self.profile_alpha = profile_alpha
        self.min_alpha = 1e-3 * float(variables.alpha.detach()[0])
        self.data = data
        self.body = body
        self.reprojection = config.reprojection
        self.weights = pass_config.weights
        self.pose_prior = pose_prior
        self.free = tuple(pass_config.free)
        self.vposer = vposer
        self._body25_index = list(SOURCE_TO_BODY25)
        self._local: tuple[Tensor, Tensor] | None = None
        if "body_pose" not in self.free and "betas" not in self.free:
            with torch.no_grad():
                self._local = self.local_keypoints(self.body_pose_of(variables), variables.betas)

    def body_pose_of(self, variables: Variables) -> Tensor:
        """(B, T, K, 3) the body pose: VPoser's decoding of the latents, or the variable."""
        return decoded_body_pose(variables.body_pose, variables.latent_pose, self.vposer)

    def local_keypoints(self, body_pose: Tensor, betas: Tensor) -> tuple[Tensor, Tensor]:
        """Keypoint sources of the body posed with the root at rest and no translation.

        Args:
            body_pose: (B, T, K, 3). betas: (B, S).

        Returns:
            (points (B, T, 22 + L, 3): the 22 body joints then the landmarks;
            pelvis_rest (B, 3): ``J(β)[0]``).
        """
        b, t = body_pose.shape[:2]
        zero = body_pose.new_zeros(b, t, 3)
        out = self.body(zero, body_pose, betas[:, None, :], landmarks=True)
        points = torch.cat([out.joints[..., :NUM_SOURCE_BODY_JOINTS, :], out.landmarks], dim=-2)
        return points, out.joints[:, 0, 0]

    def world_keypoints(self, variables: Variables) -> tuple[Tensor, Tensor | None]:
        """World keypoint sources split as ``base + α · per_alpha``.

        Returns:
            (base (B, T, 22 + L, 3) metres; per_alpha (T, 3) or None when the keypoints do not
            depend on α).
        """
        if self._local is not None:
            local, pelvis_rest = self._local
        else:
            local, pelvis_rest = self.local_keypoints(self.body_pose_of(variables), variables.betas)
        R = roma.rotvec_to_rotmat(variables.root_orient)
        base, per_alpha = world_pelvis_parts(variables, self.data, pelvis_rest)
        centred = local - local[..., :1, :]
        points = torch.einsum("btij,btnj->btni", R, centred) + base[..., None, :]
        return points, per_alpha

    def body25(self, points: Tensor) -> Tensor:
        """BODY_25 model keypoints (B, T, 25, 3) from world keypoint sources."""
        out = points[..., self._body25_index, :]
        return adjust_hips(out) if self.reprojection.hip_adjust else out

    def terms(self, variables: Variables) -> dict[str, Tensor]:
        """The weighted energy terms with a non-zero weight, name → () tensor."""
        w = self.weights
        data = self.data
        out: dict[str, Tensor] = {}
        points, per_alpha = self.world_keypoints(variables)
        alpha = variables.alpha
        if self.profile_alpha:
            alpha = profiled_alpha(
                points[..., :NUM_SMOOTH_JOINTS, :],
                per_alpha,
                data.mask,
                w.joints3d_smooth,
                w.joints3d_accel,
                alpha,
                self.min_alpha,
            )
            with torch.no_grad():
                a = alpha.detach()
                variables.log_alpha.copy_(a.log() if variables.alpha_space == "log" else a)
        if per_alpha is not None:
            points = points + alpha * per_alpha[None, :, None, :]
        if w.joints2d > 0:
            pixels = world_to_pixels(
                self.body25(points), data.cam_R, data.cam_t, data.intrinsics, alpha
            )
            out["joints2d"] = w.joints2d * reprojection_energy(
                pixels, data.keypoints, data.weights, self.reprojection.sigma
            )
        if w.joints3d_smooth > 0:
            joints = points[..., :NUM_SMOOTH_JOINTS, :]
            out["joints3d_smooth"] = w.joints3d_smooth * joint_smoothness_energy(joints, data.mask)
        if w.joints3d_accel > 0:
            joints = points[..., :NUM_SMOOTH_JOINTS, :]
            out["joints3d_accel"] = w.joints3d_accel * joint_acceleration_energy(joints, data.mask)
        if w.pose_prior > 0 and variables.latent_pose is not None:
            out["pose_prior"] = w.pose_prior * latent_pose_energy(variables.latent_pose, data.mask)
        elif w.pose_prior > 0:
            if self.pose_prior is None:
                raise ValueError("pose_prior weight is > 0 but no pose prior was given")
            out["pose_prior"] = w.pose_prior * self.pose_prior(variables.body_pose, data.mask)
        if w.shape_prior > 0:
            out["shape_prior"] = w.shape_prior * shape_prior_energy(
                variables.betas, data.num_frames
            )
        return out
