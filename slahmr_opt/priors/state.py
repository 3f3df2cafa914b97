"""The HuMoR state: layout, construction from SMPL, velocities and the per-step canonical frame.

A state ``s_t`` is one frame of motion in a z-up world with the floor at z = 0, metres, at the
prior's frame rate (30 fps). As a vector it is 339-d, in this order (reference: humor-prior.md
§1.2):

======== ================= ===== =============================================================
slice    field             dim   content
======== ================= ===== =============================================================
0:3      ``trans``         3     SMPL ``transl``
3:6      ``trans_vel``     3     d trans / dt, m/s
6:15     ``root_orient``   9     root rotation matrix, row-major
15:18    ``root_orient_vel`` 3   world angular velocity ω (skew part of Ṙ Rᵀ), rad/s
18:207   ``pose_body``     189   21 body-joint local rotation matrices, row-major
207:273  ``joints``        66    22 body joints (SMPL order), metres
273:339  ``joints_vel``    66    their velocities, m/s
======== ================= ===== =============================================================

The canonical frame of a state (§1.3) turns the world about the vertical axis through the pelvis
so that the body's right points along +x (the body faces +y) and moves the pelvis over
``(o_x, o_y)``, where ``o = J(β)[0]`` with z = 0 is the pelvis joint of the shaped rest pose (the
"pelvis offset"; HuMoR's ``trans2joint`` is ``−o``). It is a rigid map of the world, so SMPL
parameters stay consistent: points ``x ↦ R (x − t_xy − o) + o``, SMPL translation
``trans ↦ R (trans − t_xy)``, vectors ``v ↦ R v``, root orientation ``M ↦ R M``; ``pose_body`` is
unchanged. ``t_xy`` is the frame's state's ``trans`` with z = 0.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import roma
import torch
from torch import Tensor

from slahmr_opt.body.joint_maps import HUMOR_CONTACT_JOINTS
from slahmr_opt.reprs import short_repr

__all__ = [
    "CONTACT_JOINTS",
    "FPS",
    "GMM_DIM",
    "NUM_BODY_ROTS",
    "NUM_CONTACTS",
    "NUM_JOINTS",
    "OUTPUT_DIM",
    "OUTPUT_SLICES",
    "STATE_DIM",
    "STATE_SLICES",
    "CanonicalFrame",
    "PriorState",
    "angular_velocity",
    "canonical_frame",
    "check_fps",
    "heading_angle",
    "finite_difference",
    "gmm_features",
    "label_contacts",
    "pelvis_offset_from_betas",
    "pelvis_offset_from_state",
    "resample_smpl",
    "state_from_smpl",
    "to_local",
    "to_world",
]

FPS = 30.0
"""Frame rate of the prior's states (the original's AMASS processing rate)."""

NUM_JOINTS = 22
"""Body joints in the state: SMPL 0–21 (no hand joints)."""

NUM_BODY_ROTS = 21
"""Local body rotations in the state: SMPL joints 1–21."""

CONTACT_JOINTS: tuple[int, ...] = HUMOR_CONTACT_JOINTS
"""SMPL indices of the 9 contact joints: hips, knees, ankles, toes, wrists."""

NUM_CONTACTS = len(CONTACT_JOINTS)

STATE_SLICES: dict[str, slice] = {
    "trans": slice(0, 3),
    "trans_vel": slice(3, 6),
    "root_orient": slice(6, 15),
    "root_orient_vel": slice(15, 18),
    "pose_body": slice(18, 207),
    "joints": slice(207, 273),
    "joints_vel": slice(273, 339),
}
STATE_DIM = 339

OUTPUT_SLICES: dict[str, slice] = {
    "trans": slice(0, 3),
    "trans_vel": slice(3, 6),
    "root_orient": slice(6, 9),
    "root_orient_vel": slice(9, 12),
    "pose_body": slice(12, 75),
    "joints": slice(75, 141),
    "joints_vel": slice(141, 207),
    "contacts": slice(207, 216),
}
"""Decoder output: residuals (rotations as axis-angle deltas) then the 9 contact logits."""
OUTPUT_DIM = 216

GMM_DIM = 138
"""Initial-state GMM features: joints (66), joints_vel (66), trans_vel (3), root_orient_vel (3)."""

_SHAPES: dict[str, tuple[int, ...]] = {
    "trans": (3,),
    "trans_vel": (3,),
    "root_orient": (3, 3),
    "root_orient_vel": (3,),
    "pose_body": (NUM_BODY_ROTS, 3, 3),
    "joints": (NUM_JOINTS, 3),
    "joints_vel": (NUM_JOINTS, 3),
}


@dataclass
class PriorState:
    """A batch of HuMoR states with any leading shape ``(...)`` (e.g. (B,), (B, T)).

    Attributes:
        trans: (..., 3) SMPL translation, metres.
        trans_vel: (..., 3) its velocity, m/s.
        root_orient: (..., 3, 3) root rotation matrix.
        root_orient_vel: (..., 3) world angular velocity, rad/s.
        pose_body: (..., 21, 3, 3) local rotations of SMPL joints 1–21.
        joints: (..., 22, 3) body joints, metres.
        joints_vel: (..., 22, 3) joint velocities, m/s.
    """

    __repr__ = short_repr

    trans: Tensor
    trans_vel: Tensor
    root_orient: Tensor
    root_orient_vel: Tensor
    pose_body: Tensor
    joints: Tensor
    joints_vel: Tensor

    def __post_init__(self) -> None:
        lead = self.trans.shape[:-1]
        for name, tail in _SHAPES.items():
            value = getattr(self, name)
            if not isinstance(value, Tensor) or tuple(value.shape) != (*lead, *tail):
                got = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
                raise ValueError(f"{name}: expected shape {(*lead, *tail)}, got {got}")

    @property
    def shape(self) -> torch.Size:
        """The leading shape ``(...)``."""
        return self.trans.shape[:-1]

    @property
    def dtype(self) -> torch.dtype:
        return self.trans.dtype

    def to_vector(self) -> Tensor:
        """The (..., 339) vector in the original's order."""
        lead = self.shape
        return torch.cat([getattr(self, n).reshape(*lead, -1) for n in STATE_SLICES], dim=-1)

    @classmethod
    def from_vector(cls, vector: Tensor) -> PriorState:
        """Split a (..., 339) state vector into fields."""
        if vector.shape[-1] != STATE_DIM:
            raise ValueError(
                f"vector: expected shape (..., {STATE_DIM}), got {tuple(vector.shape)}"
            )
        lead = vector.shape[:-1]
        return cls(
            **{n: vector[..., s].reshape(*lead, *_SHAPES[n]) for n, s in STATE_SLICES.items()}
        )

    def map(self, fn) -> PriorState:
        """Apply ``fn`` to every field tensor; ``fn`` must keep the field's trailing shape."""
        return PriorState(**{f.name: fn(getattr(self, f.name)) for f in fields(self)})

    def __getitem__(self, index) -> PriorState:
        """Index the leading dimensions, e.g. ``state[:, 0]``."""
        if not isinstance(index, tuple):
            index = (index,)
        return self.map(lambda x: x[index])

    def detach(self) -> PriorState:
        return self.map(Tensor.detach)

    def to(self, *args, **kwargs) -> PriorState:
        """``Tensor.to`` on every field (dtype or device)."""
        return self.map(lambda x: x.to(*args, **kwargs))

    @staticmethod
    def stack(states: list[PriorState], dim: int) -> PriorState:
        """Stack states along a new leading dimension ``dim`` (counted in the leading shape)."""
        if dim < 0:
            raise ValueError(f"dim: expected a non-negative leading dimension, got {dim}")
        return PriorState(
            **{
                f.name: torch.stack([getattr(s, f.name) for s in states], dim)
                for f in fields(PriorState)
            }
        )

    @staticmethod
    def where(mask: Tensor, a: PriorState, b: PriorState) -> PriorState:
        """Per-element choice: ``a`` where ``mask`` (leading shape, bool) is true, else ``b``."""
        return PriorState(
            **{
                f.name: torch.where(
                    mask.reshape(*mask.shape, *([1] * len(_SHAPES[f.name]))),
                    getattr(a, f.name),
                    getattr(b, f.name),
                )
                for f in fields(PriorState)
            }
        )


# ----------------------------------------------------------------------------- fps
def check_fps(fps: float, prior_fps: float = FPS) -> None:
    """Refuse a motion whose frame rate differs from the prior's.

    Raises:
        ValueError: naming both rates and how to resample (:func:`resample_smpl`).
    """
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps: expected a positive frame rate, got {fps}")
    if abs(float(fps) - float(prior_fps)) > 1e-6 * prior_fps:
        raise ValueError(
            f"fps: the motion prior runs at {prior_fps:g} fps, the motion is at {fps:g} fps; "
            f"resample it explicitly first (slahmr_opt.priors.state.resample_smpl)"
        )


def resample_smpl(
    global_orient: Tensor,
    body_pose: Tensor,
    transl: Tensor,
    src_fps: float,
    dst_fps: float = FPS,
) -> tuple[Tensor, Tensor, Tensor]:
    """Resample SMPL parameters to another frame rate (slerp for rotations, linear for transl).

    New frames are at times ``k / dst_fps`` for every k with ``k / dst_fps ≤ (T − 1) / src_fps``.

    Args:
        global_orient: (..., T, 3) axis-angle.
        body_pose: (..., T, K, 3) axis-angle.
        transl: (..., T, 3) metres.
        src_fps: frame rate of the input.
        dst_fps: frame rate wanted.

    Returns:
        (global_orient (..., T', 3), body_pose (..., T', K, 3), transl (..., T', 3)).
    """
    for name, value in (("src_fps", src_fps), ("dst_fps", dst_fps)):
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name}: expected a positive frame rate, got {value}")
    num = global_orient.shape[-2]
    if num < 2:
        raise ValueError(f"global_orient: need at least 2 frames to resample, got {num}")
    duration = (num - 1) / src_fps
    count = int(np.floor(duration * dst_fps + 1e-9)) + 1
    pos = torch.arange(count, dtype=torch.float64) * (src_fps / dst_fps)
    lo = pos.floor().long().clamp(max=num - 2)
    frac = (pos - lo).to(transl.dtype)

    def along_time(x: Tensor, time_dim: int, rotation: bool) -> Tensor:
        x = x.movedim(time_dim, 0)  # (T, ..., 3)
        w = frac.reshape(count, *([1] * (x.ndim - 1)))
        if not rotation:
            return (x[lo] + (x[lo + 1] - x[lo]) * w).movedim(0, time_dim)
        r0 = roma.rotvec_to_rotmat(x[lo])
        rel = roma.rotmat_to_rotvec(r0.transpose(-1, -2) @ roma.rotvec_to_rotmat(x[lo + 1]))
        out = roma.rotmat_to_rotvec(r0 @ roma.rotvec_to_rotmat(rel * w))
        return out.movedim(0, time_dim)

    root = along_time(global_orient, -2, rotation=True)
    pose = along_time(body_pose, -3, rotation=True)
    trans = along_time(transl, -2, rotation=False)
    return root, pose, trans


# ----------------------------------------------------------------------------- velocities
def finite_difference(x: Tensor, fps: float, dim: int = -1) -> Tensor:
    """Time derivative by finite differences: forward at the first frame, central inside,
    backward at the last (the original's fitting initialisation).

    Args:
        x: (..., T, ...) values; ``dim`` is the time axis (T ≥ 2).
        fps: frames per second.
        dim: time axis of ``x``.

    Returns:
        same shape as ``x``, units of x per second.
    """
    num = x.shape[dim]
    if num < 2:
        raise ValueError(f"x: need at least 2 frames along dim {dim}, got {num}")
    x = x.movedim(dim, 0)
    first = x[1:2] - x[0:1]
    last = x[-1:] - x[-2:-1]
    inner = 0.5 * (x[2:] - x[:-2])
    return (torch.cat([first, inner, last], 0) * fps).movedim(0, dim)


def angular_velocity(rotations: Tensor, fps: float) -> Tensor:
    """World angular velocity from a rotation sequence: the skew part of Ṙ Rᵀ, with Ṙ from
    :func:`finite_difference`.

    Args:
        rotations: (..., T, 3, 3) rotation matrices.
        fps: frames per second.

    Returns:
        (..., T, 3) ω in rad/s (for a constant rate ω₀ the central estimate is sin(ω₀/fps)·fps).
    """
    if rotations.shape[-2:] != (3, 3) or rotations.ndim < 3:
        raise ValueError(f"rotations: expected shape (..., T, 3, 3), got {tuple(rotations.shape)}")
    rdot = finite_difference(rotations, fps, dim=-3)
    w = rdot @ rotations.transpose(-1, -2)
    w = 0.5 * (w - w.transpose(-1, -2))
    return torch.stack([w[..., 2, 1], w[..., 0, 2], w[..., 1, 0]], dim=-1)


# ----------------------------------------------------------------------------- construction
def pelvis_offset_from_betas(body, betas: Tensor) -> Tensor:
    """The pelvis offset ``o = (J(β)[0]_x, J(β)[0]_y, 0)`` of a body shape.

    Args:
        body: a :class:`~slahmr_opt.body.BodyModel`.
        betas: (..., S) shape coefficients.

    Returns:
        (..., 3) metres.
    """
    pelvis = body.joint_template(betas)[..., 0, :]
    return torch.cat([pelvis[..., :2], torch.zeros_like(pelvis[..., 2:])], dim=-1)


def pelvis_offset_from_state(state: PriorState) -> Tensor:
    """The pelvis offset read off a state: ``(J_0 − trans)`` with z = 0, (..., 3).

    This is how the original fixes it for a roll-out (from the initial state).
    """
    d = state.joints[..., 0, :] - state.trans
    return torch.cat([d[..., :2], torch.zeros_like(d[..., 2:])], dim=-1)


def state_from_smpl(
    body,
    global_orient: Tensor,
    body_pose: Tensor,
    betas: Tensor,
    transl: Tensor,
    fps: float,
    *,
    prior_fps: float = FPS,
) -> tuple[PriorState, Tensor]:
    """Build the states of a motion from SMPL parameters in the z-up floor frame.

    Joints come from ``body`` (its first 22); velocities from :func:`finite_difference` and
    :func:`angular_velocity` at ``fps``, which must equal the prior's rate (see :func:`check_fps`).

    Args:
        body: a :class:`~slahmr_opt.body.BodyModel` (SMPL, SMPL-H or SMPL-X).
        global_orient: (..., T, 3) root orientation, axis-angle.
        body_pose: (..., T, K, 3) body rotations, K ≥ 21 (only the first 21 enter the state).
        betas: (..., S) shape coefficients, one per motion.
        transl: (..., T, 3) SMPL translation, metres.
        fps: frame rate of the motion.
        prior_fps: frame rate of the prior.

    Returns:
        (states with leading shape (..., T), pelvis offset (..., 3)).
    """
    check_fps(fps, prior_fps)
    if global_orient.ndim < 2 or global_orient.shape[-1] != 3:
        raise ValueError(
            f"global_orient: expected shape (..., T, 3), got {tuple(global_orient.shape)}"
        )
    lead = global_orient.shape[:-1]
    if transl.shape != global_orient.shape:
        raise ValueError(
            f"transl: expected shape {tuple(global_orient.shape)}, got {tuple(transl.shape)}"
        )
    if (
        body_pose.shape[:-2] != lead
        or body_pose.shape[-1] != 3
        or body_pose.shape[-2] < NUM_BODY_ROTS
    ):
        raise ValueError(
            f"body_pose: expected shape {(*lead, 'K≥21', 3)}, got {tuple(body_pose.shape)}"
        )
    if betas.shape[:-1] != lead[:-1]:
        raise ValueError(f"betas: expected shape {(*lead[:-1], 'S')}, got {tuple(betas.shape)}")
    joints = body.joints(global_orient, body_pose, betas[..., None, :], transl)[..., :NUM_JOINTS, :]
    root = roma.rotvec_to_rotmat(global_orient)
    pose = roma.rotvec_to_rotmat(body_pose[..., :NUM_BODY_ROTS, :])
    time_dim = global_orient.ndim - 2
    state = PriorState(
        trans=transl,
        trans_vel=finite_difference(transl, fps, dim=time_dim),
        root_orient=root,
        root_orient_vel=angular_velocity(root, fps),
        pose_body=pose,
        joints=joints,
        joints_vel=finite_difference(joints, fps, dim=time_dim),
    )
    return state, pelvis_offset_from_betas(body, betas)


def label_contacts(
    joints: Tensor,
    fps: float,
    *,
    max_step: float = 0.005,
    toe_height: float = 0.04,
    other_height: float = 0.08,
) -> Tensor:
    """Contact labels by the original's rule: a joint is in contact when it moved less than
    ``max_step`` since the previous frame and is low enough (toes < 4 cm; ankles, knees and
    wrists < 8 cm). The hips are never labelled. The first frame copies the second.

    The step threshold is per frame at ``fps``; the original applied 5 mm at the capture rate.

    Args:
        joints: (..., T, ≥22, 3) joints in the z-up floor frame, metres.
        fps: frame rate (only checked; the rule is per frame).
        max_step: largest per-frame displacement, metres.
        toe_height: height limit of the toe joints, metres.
        other_height: height limit of ankles, knees and wrists, metres.

    Returns:
        (..., T, 9) float 0/1 in :data:`CONTACT_JOINTS` order.
    """
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps: expected a positive frame rate, got {fps}")
    if joints.ndim < 3 or joints.shape[-1] != 3 or joints.shape[-2] < NUM_JOINTS:
        raise ValueError(f"joints: expected shape (..., T, ≥22, 3), got {tuple(joints.shape)}")
    j = joints[..., list(CONTACT_JOINTS), :]
    step = (j[..., 1:, :, :] - j[..., :-1, :, :]).norm(dim=-1)
    step = torch.cat([step[..., :1, :], step], dim=-2)
    limit = torch.full((NUM_CONTACTS,), other_height, dtype=joints.dtype)
    limit[[CONTACT_JOINTS.index(10), CONTACT_JOINTS.index(11)]] = toe_height
    contact = (step < max_step) & (j[..., 2] < limit)
    contact[..., 0] = False
    return contact.to(joints.dtype)


# ----------------------------------------------------------------------------- canonical frame
@dataclass
class CanonicalFrame:
    """The heading-aligned frame of a state (module docstring).

    Attributes:
        rotation: (..., 3, 3) world → local, a rotation about +z.
        trans_xy: (..., 3) the frame state's SMPL translation with z = 0, metres.
        pelvis_offset: (..., 3) ``o`` (z = 0), metres.
    """

    __repr__ = short_repr

    rotation: Tensor
    trans_xy: Tensor
    pelvis_offset: Tensor

    def points_to_local(self, x: Tensor) -> Tensor:
        """Points (..., N, 3) → local; ``...`` matches the frame's leading shape."""
        o = self.pelvis_offset[..., None, :]
        return _rot(self.rotation[..., None, :, :], x - self.trans_xy[..., None, :] - o) + o

    def points_to_world(self, x: Tensor) -> Tensor:
        """Inverse of :meth:`points_to_local`."""
        o = self.pelvis_offset[..., None, :]
        return _rot_t(self.rotation[..., None, :, :], x - o) + self.trans_xy[..., None, :] + o


def _rot(R: Tensor, v: Tensor) -> Tensor:
    return (R @ v[..., None])[..., 0]


def _rot_t(R: Tensor, v: Tensor) -> Tensor:
    return (R.transpose(-1, -2) @ v[..., None])[..., 0]


def heading_angle(rx: Tensor, ry: Tensor, epsilon: bool) -> Tensor:
    """Angle φ of the body's right ``(rx, ry)`` in the floor plane; the canonical frame turns the
    world by −φ about +z.

    Args:
        rx, ry: (...) horizontal components of the body's right.
        epsilon: the original's form: ``φ = sign(r_y)·|r_y|/(|r_y| + 1e-6) · acos(x/(|xy| +
            1e-6))`` (the axis ``r_xy × x̂`` normalised with + 1e-6, humor/transforms.py:28-44);
            otherwise the exact ``atan2(r_y, r_x)``.
    """
    if not epsilon:
        return torch.atan2(ry, rx)
    cos = (rx / (torch.sqrt(rx * rx + ry * ry) + 1e-6)).clamp(-1.0, 1.0)
    return ry / (ry.abs() + 1e-6) * torch.acos(cos)


def canonical_frame(
    state: PriorState, pelvis_offset: Tensor, eps: float = 1e-6, heading_epsilon: bool = False
) -> CanonicalFrame:
    """The canonical frame of each state: body right → +x, SMPL translation xy → 0.

    Args:
        state: leading shape (...).
        pelvis_offset: (..., 3) or (3,) ``o`` with z = 0 (broadcast).
        eps: smallest horizontal length of the body-right axis used in its normalisation (the
            frame is exactly a rotation whenever the axis is not within ``eps`` of vertical).
        heading_epsilon: the original's heading form (:func:`heading_angle`).

    Returns:
        :class:`CanonicalFrame` with leading shape (...).
    """
    right = -state.root_orient[..., :2, 0]  # body x points left; its xy part
    if heading_epsilon:
        phi = heading_angle(right[..., 0], right[..., 1], True)
        c, s = torch.cos(phi), torch.sin(phi)
    else:
        norm = torch.sqrt((right * right).sum(-1).clamp_min(eps * eps))
        c, s = right[..., 0] / norm, right[..., 1] / norm
    zero, one = torch.zeros_like(c), torch.ones_like(c)
    rotation = torch.stack([c, s, zero, -s, c, zero, zero, zero, one], -1)
    rotation = rotation.reshape(*c.shape, 3, 3)
    trans_xy = torch.cat([state.trans[..., :2], torch.zeros_like(state.trans[..., 2:])], -1)
    offset = torch.broadcast_to(pelvis_offset, trans_xy.shape)
    return CanonicalFrame(rotation, trans_xy, offset)


def to_local(state: PriorState, frame: CanonicalFrame) -> PriorState:
    """Express ``state`` (leading shape (...)) in ``frame`` (same leading shape)."""
    R = frame.rotation
    return PriorState(
        trans=_rot(R, state.trans - frame.trans_xy),
        trans_vel=_rot(R, state.trans_vel),
        root_orient=R @ state.root_orient,
        root_orient_vel=_rot(R, state.root_orient_vel),
        pose_body=state.pose_body,
        joints=frame.points_to_local(state.joints),
        joints_vel=_rot(R[..., None, :, :], state.joints_vel),
    )


def to_world(state: PriorState, frame: CanonicalFrame) -> PriorState:
    """Inverse of :func:`to_local`."""
    R = frame.rotation
    return PriorState(
        trans=_rot_t(R, state.trans) + frame.trans_xy,
        trans_vel=_rot_t(R, state.trans_vel),
        root_orient=R.transpose(-1, -2) @ state.root_orient,
        root_orient_vel=_rot_t(R, state.root_orient_vel),
        pose_body=state.pose_body,
        joints=frame.points_to_world(state.joints),
        joints_vel=_rot_t(R[..., None, :, :], state.joints_vel),
    )


def gmm_features(local: PriorState) -> Tensor:
    """Initial-state GMM features of a state in its own canonical frame.

    Args:
        local: states with leading shape (...), already canonical.

    Returns:
        (..., 138): joints (66), joints_vel (66), trans_vel (3), root_orient_vel (3).
    """
    lead = local.shape
    return torch.cat(
        [
            local.joints.reshape(*lead, -1),
            local.joints_vel.reshape(*lead, -1),
            local.trans_vel,
            local.root_orient_vel,
        ],
        dim=-1,
    )
