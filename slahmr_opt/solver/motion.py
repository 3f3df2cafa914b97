"""Pass 3, "motion": the learned motion prior, skate, contacts and the ground plane.

Two parameterisations of the same energies (docs/solver.md, "Pass 3"):

- ``method = "rollout"`` (the original): each track's motion is its initial state (translation,
  orientation, body pose, linear / angular / joint velocities) plus one latent per transition;
  the trajectory is the prior's roll-out from the track's own first frame, expressed in the
  track's prior frame (up = floor normal, heading from the first frame, floor at z = 0) and
  mapped back to the world (``solver/rollout_pass.py``). The horizon grows in chunks (the
  original's schedule, ``solver/schedule.py``).
- ``method = "collocation"`` (ours, preset ``fast``): the per-frame motion of pass 2 stays the
  variable; every transition (s_{t−1}, s_t) is scored by the prior in parallel: the CVAE term at
  the posterior latent, the decoder's reconstruction of s_t, and the decoder's contacts weight
  the skate and contact-height terms. No sequential roll-out, so a closure costs one batched
  network evaluation.

Both share the floor (one plane for everybody, ``solver/floor_plane.py``), β and α.
All tensors are in track-local time here: row b, index l is problem frame ``starts[b] + l``.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass

import numpy as np
import roma
import torch
from torch import Tensor

from slahmr_opt.body.joint_maps import LANDMARK_NAMES, NUM_SOURCE_BODY_JOINTS
from slahmr_opt.body.model import BodyModel
from slahmr_opt.config import MotionPassConfig, SolverConfig
from slahmr_opt.energies.motion import (
    contact_height_energy,
    contact_skate_energy,
    expand_contacts,
    floor_regularizer_energy,
)
from slahmr_opt.energies.pose_prior import EstimatePosePrior
from slahmr_opt.energies.reprojection import reprojection_energy
from slahmr_opt.energies.shape_prior import shape_prior_energy
from slahmr_opt.energies.smoothness import joint_acceleration_energy
from slahmr_opt.geometry.camera import world_to_pixels
from slahmr_opt.priors.gmm import initial_state_energy
from slahmr_opt.priors.humor import MotionPrior
from slahmr_opt.priors.rollout import gaussian_nll, residual_between
from slahmr_opt.priors.rollout_fast import SequentialRollout
from slahmr_opt.priors.state import (
    NUM_BODY_ROTS,
    NUM_JOINTS,
    OUTPUT_SLICES,
    PriorState,
    canonical_frame,
    to_local,
)
from slahmr_opt.priors.vposer import VPoser
from slahmr_opt.scene import PersonMotion
from slahmr_opt.solver.floor_plane import (
    fit_floor_to_feet,
    normal_offset_to_plane,
    original_floor_guess,
    plane_to_normal_offset,
    points_world_to_prior,
    prior_frames,
    up_from_camera_rotations,
)
from slahmr_opt.solver.stages import PassObjective
from slahmr_opt.solver.variables import ProblemData, Variables, alpha_of, decoded_body_pose

FOOT_LANDMARKS = tuple(
    NUM_SOURCE_BODY_JOINTS + LANDMARK_NAMES.index(n)
    for n in ("LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel")
)
"""Indices of the foot landmarks among the solver's keypoint sources (22 joints + landmarks)."""

MOTION_TERMS = (
    "joints2d",
    "pose_prior",
    "shape_prior",
    "motion_prior",
    "init_motion_prior",
    "joint_consistency",
    "bone_length",
    "contact_vel",
    "contact_height",
    "floor_reg",
    "motion_recon",
    "joints3d_accel",
)


# ----------------------------------------------------------------------------- time helpers
def masked_velocity(x: Tensor, mask: Tensor, fps: float) -> Tensor:
    """Finite-difference velocity over frames inside the mask: central where both neighbours
    are inside, one-sided at a track's ends, 0 on isolated frames.

    Args:
        x: (B, T, ...) values.
        mask: (B, T) bool.
        fps: frames per second.

    Returns:
        (B, T, ...) per second.
    """
    extra = (1,) * (x.ndim - 2)
    fwd = torch.zeros_like(x)
    bwd = torch.zeros_like(x)
    fwd[:, :-1] = x[:, 1:] - x[:, :-1]
    bwd[:, 1:] = x[:, 1:] - x[:, :-1]
    has_f = torch.zeros_like(mask)
    has_b = torch.zeros_like(mask)
    has_f[:, :-1] = mask[:, 1:] & mask[:, :-1]
    has_b[:, 1:] = mask[:, 1:] & mask[:, :-1]
    both = (has_f & has_b).reshape(*mask.shape, *extra)
    f_only = (has_f & ~has_b).reshape(*mask.shape, *extra)
    b_only = (has_b & ~has_f).reshape(*mask.shape, *extra)
    v = torch.where(both, 0.5 * (fwd + bwd), torch.zeros_like(x))
    v = torch.where(f_only, fwd, v)
    v = torch.where(b_only, bwd, v)
    return v * fps


def masked_angular_velocity(R: Tensor, mask: Tensor, fps: float) -> Tensor:
    """World angular velocity (skew part of Ṙ Rᵀ) of (B, T, 3, 3) rotations → (B, T, 3)."""
    w = masked_velocity(R, mask, fps) @ R.transpose(-1, -2)
    w = 0.5 * (w - w.transpose(-1, -2))
    return torch.stack([w[..., 2, 1], w[..., 0, 2], w[..., 1, 0]], dim=-1)


def _gather_time(x: Tensor, index: Tensor) -> Tensor:
    """x (B, T, ...) gathered at index (B, L) along time → (B, L, ...)."""
    idx = index.reshape(*index.shape, *([1] * (x.ndim - 2))).expand(*index.shape, *x.shape[2:])
    return torch.gather(x, 1, idx)


@dataclass
class MotionData:
    """Observations in track-local time.

    Attributes:
        starts: (B,) problem frame of each track's first frame. lengths: (B,) frames per track.
        index: (B, L) problem frame of each local frame (clamped past a track's end).
        mask: (B, L) bool, local frames inside the track.
        keypoints: (B, L, 25, 2). weights: (B, L, 25).
        cam_R: (B, L, 3, 3). cam_t: (B, L, 3) SLAM units. intrinsics: (B, L, 4).
        ref_body_pose: (B, L, K, 3) the estimator's poses (pose prior reference).
    """

    starts: Tensor
    lengths: Tensor
    index: Tensor
    mask: Tensor
    keypoints: Tensor
    weights: Tensor
    cam_R: Tensor
    cam_t: Tensor
    intrinsics: Tensor
    ref_body_pose: Tensor

    @property
    def num_local(self) -> int:
        """L, the longest track."""
        return int(self.mask.shape[1])


def local_time(data: ProblemData) -> MotionData:
    """The observations of ``data`` re-indexed to track-local time."""
    mask = data.mask
    B, T = mask.shape
    starts = mask.float().argmax(1)
    lengths = mask.sum(1)
    L = int(lengths.max())
    local = torch.arange(L, device=mask.device)
    index = (starts[:, None] + local[None]).clamp(max=T - 1)
    lmask = local[None] < lengths[:, None]
    weights = _gather_time(data.weights, index) * lmask[..., None]
    return MotionData(
        starts=starts,
        lengths=lengths,
        index=index,
        mask=lmask,
        keypoints=_gather_time(data.keypoints, index),
        weights=weights,
        cam_R=data.cam_R[index],
        cam_t=data.cam_t[index],
        intrinsics=data.intrinsics[index],
        ref_body_pose=_gather_time(data.ref_body_pose, index),
    )


# ----------------------------------------------------------------------------- the pass
@dataclass
class MotionOutput:
    """One evaluation of the motion: world SMPL, contacts and the energy terms.

    Attributes:
        root_orient: (B, H, 3) world axis-angle. transl: (B, H, 3) world SMPL translation.
        body_pose: (B, H, K, 3). contacts: (B, H, 9) probabilities. terms: name → () energy.
        mask: (B, H) local frames inside the tracks.
    """

    root_orient: Tensor
    transl: Tensor
    body_pose: Tensor
    contacts: Tensor
    terms: dict[str, Tensor]
    mask: Tensor


class MotionProblem:
    """Variables, initialisation and energy of pass 3 for both methods.

    Args:
        data: batched observations (problem time).
        body: body model (solver device and dtype).
        config: solver config (observation model, pose prior settings).
        pass_config: the motion pass.
        prior: the motion prior (CVAE + GMM).
        previous: the pass-2 variables (not modified).
        fps: scene frame rate (must equal the prior's).
        vposer: the VPoser of a VPoser-parameterised pass 2 (``previous.latent_pose`` set): the
            roll-out's initial pose is then a latent and the pose prior acts on encoder means.
    """

    def __init__(
        self,
        data: ProblemData,
        body: BodyModel,
        config: SolverConfig,
        pass_config: MotionPassConfig,
        prior: MotionPrior,
        previous: Variables,
        fps: float,
        vposer: VPoser | None = None,
    ) -> None:
        self.data = data
        self.body = body
        self.config = config
        self.pass_config = pass_config
        self.weights = pass_config.weights
        self.fps = float(fps)
        dtype, device = data.keypoints.dtype, data.keypoints.device
        self.model = copy.deepcopy(prior.model).to(device=device, dtype=dtype).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.gmm = prior.gmm
        if self.gmm is not None and torch.device(device).type != "cpu":
            self.gmm = copy.copy(self.gmm)
            for name in ("weights", "means", "covariances", "_chol"):
                setattr(self.gmm, name, getattr(self.gmm, name).to(device))
        self.local = local_time(data)
        self.up = up_from_camera_rotations(data.cam_R)
        every = dataclasses.replace(
            config.smooth, free=("root_orient", "trans", "body_pose", "betas")
        )
        self.vposer = None
        if vposer is not None and previous.latent_pose is not None:
            self.vposer = vposer.to(device=device, dtype=dtype)
        self.alpha_space = previous.alpha_space
        self.pass2 = PassObjective(data, body, config, every, None, previous, vposer=self.vposer)
        self.method = pass_config.method
        if self.method == "rollout":
            self.sequential = SequentialRollout(self.model)
        self.variables = self._init_variables(previous)
        self._pose_priors: dict[tuple[str, int], EstimatePosePrior] = {}

    # ------------------------------------------------------------------ initialisation
    def _init_variables(self, previous: Variables) -> dict[str, Tensor]:
        with torch.no_grad():
            points, per_alpha = self.pass2.world_keypoints(previous)
            alpha = previous.alpha
            if per_alpha is not None:
                points = points + alpha * per_alpha[None, :, None, :]
            feet = points[..., list(FOOT_LANDMARKS), :]
            if self.pass_config.floor_init == "feet":
                n, d, _ = fit_floor_to_feet(feet, self.data.mask, self.up, self.fps)
                n, d = n.to(points.dtype), d.to(points.dtype)
            else:
                n, d = original_floor_guess(self.data.cam_R[0], self.data.cam_t[0], alpha[0])
            self.floor_observed = normal_offset_to_plane(n, d).detach().clone()
        out: dict[str, Tensor] = {
            "betas": previous.betas.detach().clone(),
            "alpha": previous.log_alpha.detach().clone(),
            "floor": self.floor_observed.clone(),
        }
        if self.method == "collocation":
            out.update(
                root_orient=previous.root_orient.detach().clone(),
                trans=previous.trans.detach().clone(),
                body_pose=decoded_body_pose(previous.body_pose, previous.latent_pose, self.vposer)
                .detach()
                .clone(),
            )
            self.trans_frame = previous.trans_frame
            return out
        from slahmr_opt.solver.rollout_pass import init_rollout_variables

        out.update(init_rollout_variables(self, previous, points))
        return out

    def free_names(self) -> tuple[str, ...]:
        """The variable keys optimised, from ``pass_config.free``."""
        names: list[str] = []
        groups = {
            "init_state": (
                "init_trans",
                "init_orient",
                "init_pose",
                "init_trans_vel",
                "init_orient_vel",
                "init_joints_vel",
            ),
            "motion": ("root_orient", "trans", "body_pose"),
        }
        for name in self.pass_config.free:
            names.extend(groups.get(name, (name,)))
        if self.data.is_static and "alpha" in names:
            names.remove("alpha")
        return tuple(names)

    # ------------------------------------------------------------------ pieces
    def _rest_pelvis(self, betas: Tensor) -> Tensor:
        """(B, 3) ``J(β)[0]``, the pelvis of each shaped rest pose."""
        return self.body.joint_template(betas)[:, 0].to(betas.dtype)

    @staticmethod
    def _pelvis_offset(j0: Tensor) -> Tensor:
        """(B, 3) the prior's pelvis offset: the rest pelvis with z = 0."""
        return torch.cat([j0[:, :2], torch.zeros_like(j0[:, 2:])], -1)

    def floor(self) -> tuple[Tensor, Tensor]:
        """Current (up normal (3,), offset ()) of the floor."""
        return plane_to_normal_offset(self.variables["floor"], self.up)

    def _states_in_prior(
        self,
        root_aa: Tensor,
        pelvis: Tensor,
        joints: Tensor,
        pose: Tensor,
        j0: Tensor,
        n: Tensor,
        d: Tensor,
        mask: Tensor,
    ) -> tuple[PriorState, Tensor, Tensor]:
        """Per-frame states of local-time world motion in each track's prior frame.

        Args: root_aa (B, L, 3); pelvis (B, L, 3) world pelvis joint; joints (B, L, 22, 3);
        pose (B, L, K, 3); j0 (B, 3) rest pelvis; n, d the floor; mask (B, L).
        """
        R = roma.rotvec_to_rotmat(root_aa)
        A, o = prior_frames(n, d, R[:, 0], pelvis[:, 0])
        root_p = A[:, None] @ R
        trans_p = points_world_to_prior(pelvis, A, o) - j0[:, None]
        joints_p = points_world_to_prior(joints, A, o)
        states = PriorState(
            trans=trans_p,
            trans_vel=masked_velocity(trans_p, mask, self.fps),
            root_orient=root_p,
            root_orient_vel=masked_angular_velocity(root_p, mask, self.fps),
            pose_body=roma.rotvec_to_rotmat(pose[..., :NUM_BODY_ROTS, :]),
            joints=joints_p,
            joints_vel=masked_velocity(joints_p, mask, self.fps),
        )
        return states, A, o

    def _pose_prior(self, key: str, length: int) -> EstimatePosePrior:
        if (key, length) not in self._pose_priors:
            cfg = self.config.pose_prior
            ref = self.local.ref_body_pose if key == "local" else self.data.ref_body_pose
            self._pose_priors[(key, length)] = EstimatePosePrior(
                ref[:, :length], cfg.pull_scale, cfg.pull_robust, cfg.limit_weight
            )
        return self._pose_priors[(key, length)]

    def _reprojection(
        self, points: Tensor, cam_R: Tensor, cam_t: Tensor, intr: Tensor, kp: Tensor, w: Tensor
    ) -> Tensor:
        pixels = world_to_pixels(
            self.pass2.body25(points),
            cam_R,
            cam_t,
            intr,
            alpha_of(self.variables["alpha"], self.alpha_space),
        )
        return reprojection_energy(pixels, kp, w, self.config.reprojection.sigma)

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, horizon: int | None = None) -> MotionOutput:
        """The motion and its weighted energy terms at the current variables.

        Args:
            horizon: frames per track to roll out and score (``rollout`` only; None = all).
                Collocation always scores every frame.
        """
        if self.method == "collocation":
            return self._evaluate_collocation()
        return self._evaluate_rollout(horizon or self.local.num_local)

    def _evaluate_rollout(self, H: int) -> MotionOutput:
        from slahmr_opt.solver.rollout_pass import evaluate_rollout

        return evaluate_rollout(self, H)

    def _collocation_variables(self) -> Variables:
        v = self.variables
        return Variables(
            root_orient=v["root_orient"],
            trans=v["trans"],
            body_pose=v["body_pose"],
            betas=v["betas"],
            log_alpha=v["alpha"],
            trans_frame=self.trans_frame,
            alpha_space=self.alpha_space,
        )

    def _evaluate_collocation(self) -> MotionOutput:
        v, w, data = self.variables, self.weights, self.data
        var = self._collocation_variables()
        points, per_alpha = self.pass2.world_keypoints(var)
        alpha = v["alpha"].exp()
        if per_alpha is not None:
            points = points + alpha * per_alpha[None, :, None, :]
        mask = data.mask
        terms: dict[str, Tensor] = {}
        if w.joints2d > 0:
            terms["joints2d"] = w.joints2d * self._reprojection(
                points, data.cam_R, data.cam_t, data.intrinsics, data.keypoints, data.weights
            )
        if w.pose_prior > 0:
            terms["pose_prior"] = w.pose_prior * self._pose_prior("problem", data.num_frames)(
                v["body_pose"], mask
            )
        if w.shape_prior > 0:
            terms["shape_prior"] = w.shape_prior * shape_prior_energy(v["betas"], data.num_frames)
        joints = points[..., :NUM_JOINTS, :]
        if w.joints3d_accel > 0:
            terms["joints3d_accel"] = w.joints3d_accel * joint_acceleration_energy(joints, mask)
        # prior-frame states of the motion, local time
        betas = v["betas"]
        j0 = self._rest_pelvis(betas)
        idx, lmask = self.local.index, self.local.mask
        root_aa = _gather_time(v["root_orient"], idx)
        pose = _gather_time(v["body_pose"], idx)
        pel = _gather_time(points[..., 0, :], idx)
        jl = _gather_time(joints, idx)
        n, d = self.floor()
        states, A, o = self._states_in_prior(root_aa, pel, jl, pose, j0, n, d, lmask)
        offset = self._pelvis_offset(j0)
        L = lmask.shape[1]
        contacts = jl.new_zeros(*lmask.shape, 9)
        if L >= 2:
            prev, nxt = states[:, :-1], states[:, 1:]
            off = offset[:, None].expand(-1, L - 1, -1)
            frame = canonical_frame(prev, off)
            prev_l, nxt_l = to_local(prev, frame), to_local(nxt, frame)
            pv, nv = prev_l.to_vector(), nxt_l.to_vector()
            z, _ = self.model.posterior(pv, nv)
            mean, logvar = self.model.prior(pv)
            pair = lmask[:, 1:] & lmask[:, :-1]
            if w.motion_prior > 0:
                nll = gaussian_nll(z, mean, logvar)
                terms["motion_prior"] = (
                    w.motion_prior * torch.where(pair, nll, torch.zeros_like(nll)).sum()
                )
            out = self.model.decode(pv, z)
            if w.motion_recon > 0:
                target = residual_between(prev_l, nxt_l)
                k = OUTPUT_SLICES["contacts"].start
                scale = self.model.output_scale[:k].to(out.dtype)
                r = (out[..., :k] - target[..., :k]) / scale
                r = (r * r).sum(-1)
                terms["motion_recon"] = (
                    w.motion_recon * torch.where(pair, r, torch.zeros_like(r)).sum()
                )
            logits = out[..., OUTPUT_SLICES["contacts"]]
            probs = torch.sigmoid(logits)
            contacts = torch.cat([probs[:, :1], probs], 1)
        if w.init_motion_prior > 0 and self.gmm is not None:
            e = initial_state_energy(self.gmm, states[:, 0], offset)
            terms["init_motion_prior"] = w.init_motion_prior * e.sum()
        c22 = expand_contacts(contacts)
        heights = (jl * n).sum(-1) - d
        if w.contact_vel > 0:
            terms["contact_vel"] = w.contact_vel * contact_skate_energy(jl, c22, lmask)
        if w.contact_height > 0:
            terms["contact_height"] = w.contact_height * contact_height_energy(heights, c22, lmask)
        if w.floor_reg > 0:
            terms["floor_reg"] = w.floor_reg * floor_regularizer_energy(
                v["floor"], self.floor_observed, data.num_frames
            )
        transl = _gather_time(points[..., 0, :], idx) - j0[:, None]
        return MotionOutput(root_aa, transl, pose, contacts, terms, lmask)

    # ------------------------------------------------------------------ results
    def people(self) -> list[PersonMotion]:
        """World SMPL motion per track with contact probabilities, from the full horizon."""
        with torch.no_grad():
            out = self.evaluate(self.local.num_local)
        root = out.root_orient.double().cpu().numpy()
        transl = out.transl.double().cpu().numpy()
        pose = out.body_pose.double().cpu().numpy()
        contacts = out.contacts.clamp(0, 1).double().cpu().numpy()
        betas = self.variables["betas"].detach().double().cpu().numpy()
        starts = self.local.starts.cpu().numpy()
        lengths = self.local.lengths.cpu().numpy()
        result = []
        for b, track_id in enumerate(self.data.track_ids):
            n = int(lengths[b])
            full_pose = np.zeros((n, 23, 3))
            full_pose[:, : pose.shape[2]] = pose[b, :n]
            result.append(
                PersonMotion(
                    track_id=track_id,
                    frames=np.arange(n) + int(starts[b]) + self.data.frame0,
                    global_orient=root[b, :n],
                    body_pose=full_pose,
                    betas=betas[b],
                    transl=transl[b, :n],
                    contacts=contacts[b, :n],
                )
            )
        return result

    def floor_numpy(self) -> tuple[np.ndarray, float]:
        """The floor as ``(up normal (3,), offset)`` in numpy."""
        with torch.no_grad():
            n, d = self.floor()
        n = n.double().cpu().numpy()
        return n / np.linalg.norm(n), float(d)
