"""Pass 3 with ``method = "rollout"``: the original's parameterisation and energy
(slahmr/optim/moving_scene.py, optimizers.py:452-589, losses.py:197-337).

Per track an initial state (SMPL translation, root orientation, body pose — a VPoser latent when
a VPoser is given — and linear / angular / joint velocities in the prior frame) and one latent
per transition; the motion is the CVAE roll-out from each track's own first frame
(:class:`~slahmr_opt.priors.rollout_fast.SequentialRollout`), mapped back to the world with the
original's inverse map and reprojected. Lengths follow the original: the roll-out covers
``min(H, L)`` frames (L: the longest track, the latents' count + 1), while the GMM scale, the
shape prior and the floor term use the problem length T (the union of the tracks, ``seq_len``).
The :class:`~slahmr_opt.config.QuirkConfig` flags select the original's numerical forms.

These are functions of a :class:`~slahmr_opt.solver.motion.MotionProblem` (which calls them);
they hold no state of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import roma
import torch
from torch import Tensor

from slahmr_opt.body.joint_maps import NUM_SOURCE_BODY_JOINTS
from slahmr_opt.energies.motion import (
    COLLAR_NECK_PARENTS,
    bone_length_energy,
    contact_height_energy,
    contact_skate_energy,
    expand_contacts,
    floor_regularizer_energy,
    joint_consistency_energy,
)
from slahmr_opt.energies.pose_prior import latent_pose_energy
from slahmr_opt.energies.shape_prior import shape_prior_energy
from slahmr_opt.energies.smoothness import joint_acceleration_energy
from slahmr_opt.priors.gmm import GaussianMixture
from slahmr_opt.priors.rollout import gaussian_nll, infer_latents
from slahmr_opt.priors.state import (
    NUM_BODY_ROTS,
    NUM_JOINTS,
    CanonicalFrame,
    PriorState,
    gmm_features,
    to_local,
)
from slahmr_opt.priors.vposer import NUM_POSE_JOINTS
from slahmr_opt.solver.floor_plane import (
    RAY_EPSILON,
    plane_to_normal_offset,
    points_world_to_prior,
    prior_frames,
    prior_frames_ray,
)
from slahmr_opt.solver.variables import Variables, decoded_body_pose, world_pelvis

if TYPE_CHECKING:
    from slahmr_opt.solver.motion import MotionOutput, MotionProblem

INIT_STATE = (
    "init_trans",
    "init_orient",
    "init_pose",
    "init_trans_vel",
    "init_orient_vel",
    "init_joints_vel",
)
"""The initial-state variables; ``init_pose`` is a VPoser latent (B, D) with a VPoser, else the
21 body rotations (B, 21, 3)."""


def cvae_step_mask(mask: Tensor, past_end: bool) -> Tensor:
    """Which latents of a horizon count in the CVAE term.

    Args:
        mask: (B, H) local frames inside each track (within the horizon).
        past_end: the original's form (losses.py:236-241): latent j counts while j < n_b, the
            number of the track's frames in the horizon, one more than its transitions when the
            track ends inside the horizon; otherwise only latents whose transition ends inside the
            track (j < n_b − 1).

    Returns:
        (B, H − 1) bool.
    """
    return mask[:, :-1] if past_end else mask[:, 1:]


def _gather(x: Tensor, index: Tensor) -> Tensor:
    idx = index.reshape(*index.shape, *([1] * (x.ndim - 2))).expand(*index.shape, *x.shape[2:])
    return torch.gather(x, 1, idx)


def prior_frame(
    problem: MotionProblem, n: Tensor, d: Tensor, R0: Tensor, trans0: Tensor, pelvis0: Tensor
) -> tuple[Tensor, Tensor]:
    """World → prior frame ``x ↦ A (x − o)`` of each track (exact, or the original's rays)."""
    if problem.config.quirks.plane_ray_epsilon:
        return prior_frames_ray(n, d, R0, trans0, pelvis0, RAY_EPSILON)
    return prior_frames(n, d, R0, pelvis0)


def states_in_prior(
    problem: MotionProblem,
    root_aa: Tensor,
    pelvis: Tensor,
    joints: Tensor,
    pose: Tensor,
    j0: Tensor,
    n: Tensor,
    d: Tensor,
    mask: Tensor,
) -> PriorState:
    """States of local-time world motion in each track's prior frame (velocities by finite
    differences at the scene's fps, as moving_scene.py:672-726).

    Args: root_aa (B, L, 3); pelvis (B, L, 3) world pelvis; joints (B, L, 22, 3); pose
    (B, L, K, 3); j0 (B, 3) rest pelvis; n, d the floor; mask (B, L).
    """
    from slahmr_opt.solver.motion import masked_angular_velocity, masked_velocity

    R = roma.rotvec_to_rotmat(root_aa)
    A, o = prior_frame(problem, n, d, R[:, 0], pelvis[:, 0] - j0, pelvis[:, 0])
    root_p = A[:, None] @ R
    trans_p = points_world_to_prior(pelvis, A, o) - j0[:, None]
    joints_p = points_world_to_prior(joints, A, o)
    fps = problem.fps
    return PriorState(
        trans=trans_p,
        trans_vel=masked_velocity(trans_p, mask, fps),
        root_orient=root_p,
        root_orient_vel=masked_angular_velocity(root_p, mask, fps),
        pose_body=roma.rotvec_to_rotmat(pose[..., :NUM_BODY_ROTS, :]),
        joints=joints_p,
        joints_vel=masked_velocity(joints_p, mask, fps),
    )


def init_rollout_variables(
    problem: MotionProblem, previous: Variables, points: Tensor
) -> dict[str, Tensor]:
    """The initial state and the posterior-mean latents of the pass-2 motion
    (moving_scene.py:162-209, 352-420).

    Args:
        problem: the motion problem (floor already set).
        previous: the pass-2 variables.
        points: (B, T, 22 + L, 3) their world keypoint sources.
    """
    quirks = problem.config.quirks
    with torch.no_grad():
        betas = previous.betas
        j0 = problem._rest_pelvis(betas)
        pelvis = world_pelvis(previous, problem.data, j0)
        idx = problem.local.index
        root = _gather(previous.root_orient, idx)
        pose = _gather(
            decoded_body_pose(previous.body_pose, previous.latent_pose, problem.vposer), idx
        )
        pel = _gather(pelvis, idx)
        joints = _gather(points[..., :NUM_JOINTS, :], idx)
        n, d = plane_to_normal_offset(problem.floor_observed, problem.up)
        states = states_in_prior(problem, root, pel, joints, pose, j0, n, d, problem.local.mask)
        problem.hands = pose[:, :, NUM_BODY_ROTS:].clone()
        offset = problem._pelvis_offset(j0)
        if states.shape[1] >= 2:
            latents = infer_latents(
                problem.model, states, offset, heading_epsilon=quirks.heading_epsilon
            ).posterior_mean
        else:
            latents = root.new_zeros(root.shape[0], 0, problem.model.latent_dim)
        if previous.latent_pose is not None and problem.vposer is not None:
            init_pose = _gather(previous.latent_pose, idx)[:, 0]
        else:
            init_pose = pose[:, 0, :NUM_BODY_ROTS]
    return {
        "init_trans": (pel[:, 0] - j0).clone(),
        "init_orient": root[:, 0].clone(),
        "init_pose": init_pose.clone(),
        "init_trans_vel": states.trans_vel[:, 0].clone(),
        "init_orient_vel": states.root_orient_vel[:, 0].clone(),
        "init_joints_vel": states.joints_vel[:, 0].clone(),
        "latents": latents.detach().clone(),
    }


def initial_state_gmm_energy(gmm: GaussianMixture, init: PriorState, offset: Tensor) -> Tensor:
    """(B,) −log GMM of the initial states as the original evaluates them: in the prior frame,
    whose heading is the state's own, translated so that the SMPL translation's xy is 0
    (losses.py:537-553 on ``joints3d_init`` and the velocity variables; no re-alignment)."""
    eye = torch.eye(3, dtype=init.dtype, device=init.trans.device).expand(init.shape[0], 3, 3)
    trans_xy = torch.cat([init.trans[:, :2], torch.zeros_like(init.trans[:, 2:])], -1)
    local = to_local(init, CanonicalFrame(eye, trans_xy, offset))
    return gmm.nll(gmm_features(local))


def evaluate_rollout(problem: MotionProblem, H: int) -> MotionOutput:
    """The motion rolled out over the schedule's horizon ``H`` and its weighted terms."""
    from slahmr_opt.solver.motion import MotionOutput

    v, w, loc, quirks = problem.variables, problem.weights, problem.local, problem.config.quirks
    T = problem.data.num_frames
    Hr = max(1, min(int(H), loc.num_local))  # frames rolled out: the latents end at L − 1
    betas = v["betas"]
    n, d = problem.floor()
    j0 = problem._rest_pelvis(betas)
    hands0 = problem.hands[:, 0]
    vposer = problem.vposer
    if vposer is not None:
        pose0_rot = vposer.decode_rotmat(v["init_pose"])
        pose0_body = roma.rotmat_to_rotvec(pose0_rot)
    else:
        pose0_body = v["init_pose"]
        pose0_rot = roma.rotvec_to_rotmat(pose0_body)
    pose0 = torch.cat([pose0_body, hands0], 1)
    out0 = problem.body(v["init_orient"], pose0, betas, v["init_trans"])
    R0 = roma.rotvec_to_rotmat(v["init_orient"])
    A, o = prior_frame(problem, n, d, R0, v["init_trans"], out0.joints[:, 0])
    trans_p0 = points_world_to_prior(v["init_trans"][:, None] + j0[:, None], A, o)[:, 0] - j0
    init = PriorState(
        trans=trans_p0,
        trans_vel=v["init_trans_vel"],
        root_orient=A @ R0,
        root_orient_vel=v["init_orient_vel"],
        pose_body=pose0_rot[:, :NUM_BODY_ROTS],
        joints=points_world_to_prior(out0.joints[:, :NUM_JOINTS], A, o),
        joints_vel=v["init_joints_vel"],
    )
    offset = problem._pelvis_offset(j0)
    roll = problem.sequential(
        init,
        offset,
        v["latents"][:, : Hr - 1],
        heading_epsilon=quirks.heading_epsilon,
        rotate_first=False,
    )
    st = roll.states
    # back to the world as the original (moving_scene.py:262-303, inverse=True):
    # trans_w = Aᵀ (trans_p − trans_p[0]) + trans_w[0], root_w = Aᵀ root_p
    At = A.transpose(-1, -2)
    root_w = At[:, None] @ st.root_orient
    transl = (At[:, None] @ (st.trans - st.trans[:, :1])[..., None])[..., 0] + v["init_trans"][
        :, None
    ]
    root_aa = roma.rotmat_to_rotvec(root_w)
    pose_body = roma.rotmat_to_rotvec(st.pose_body)
    pose = torch.cat([pose_body, problem.hands[:, :Hr]], 2)
    body_out = problem.body(root_aa, pose, betas[:, None], transl, landmarks=True)
    points = torch.cat([body_out.joints[..., :NUM_SOURCE_BODY_JOINTS, :], body_out.landmarks], -2)
    mask = loc.mask[:, :Hr]
    terms: dict[str, Tensor] = {}
    if w.joints2d > 0:
        terms["joints2d"] = w.joints2d * problem._reprojection(
            points,
            loc.cam_R[:, :Hr],
            loc.cam_t[:, :Hr],
            loc.intrinsics[:, :Hr],
            loc.keypoints[:, :Hr],
            loc.weights[:, :Hr],
        )
    if w.pose_prior > 0:
        if vposer is not None:
            enc = vposer.encode_mean(pose_body[..., :NUM_POSE_JOINTS, :])
            terms["pose_prior"] = w.pose_prior * latent_pose_energy(enc, mask)
        else:
            terms["pose_prior"] = w.pose_prior * problem._pose_prior("local", Hr)(pose, mask)
    if w.shape_prior > 0:
        terms["shape_prior"] = w.shape_prior * shape_prior_energy(betas, T)
    if w.motion_prior > 0 and Hr > 1:
        steps = cvae_step_mask(mask, quirks.cvae_mask_past_end)
        nll = gaussian_nll(roll.latents, roll.prior_mean, roll.prior_logvar)
        terms["motion_prior"] = (
            w.motion_prior * torch.where(steps, nll, torch.zeros_like(nll)).sum()
        )
    if w.init_motion_prior > 0 and problem.gmm is not None:
        scale = max(1.0, T / max(int(H), 1))  # optimizers.py:584-586, seq_len / end_idx
        e = initial_state_gmm_energy(problem.gmm, init, offset)
        terms["init_motion_prior"] = w.init_motion_prior * scale * e.sum()
    smpl_p = points_world_to_prior(body_out.joints[..., :NUM_JOINTS, :], A, o)
    if w.joint_consistency > 0:
        terms["joint_consistency"] = w.joint_consistency * joint_consistency_energy(
            smpl_p, st.joints, mask
        )
    if w.bone_length > 0:
        parents = COLLAR_NECK_PARENTS if quirks.collar_parents_neck else None
        terms["bone_length"] = w.bone_length * bone_length_energy(st.joints, mask, parents)
    contacts = roll.contacts
    c22 = expand_contacts(contacts)
    if w.contact_vel > 0:
        terms["contact_vel"] = w.contact_vel * contact_skate_energy(smpl_p, c22, mask)
    if w.contact_height > 0:
        terms["contact_height"] = w.contact_height * contact_height_energy(
            smpl_p[..., 2], c22, mask
        )
    if w.floor_reg > 0:
        terms["floor_reg"] = w.floor_reg * floor_regularizer_energy(
            v["floor"], problem.floor_observed, T
        )
    if w.joints3d_accel > 0:
        terms["joints3d_accel"] = w.joints3d_accel * joint_acceleration_energy(
            body_out.joints[..., :NUM_JOINTS, :], mask
        )
    return MotionOutput(root_aa, transl, pose, contacts, terms, mask)
