"""Skeleton animations of people in an export frame, shared by the BVH and glTF writers.

:func:`output_transform` is the frame every exporter writes in: the floor-aligned frame (+z up,
floor at z = 0, as AMASS/HuMoR), optionally turned y-up. :func:`person_skeleton` turns one
person's SMPL parameters into a skeleton animation (rest offsets with β applied, local rotations,
root path) in that frame whose forward kinematics equal the body model's joints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from slahmr_opt.body.joint_maps import SMPL_JOINT_NAMES
from slahmr_opt.errors import InputError
from slahmr_opt.scene import PersonMotion
from slahmr_opt.vis.source import ResultSource

if TYPE_CHECKING:
    from slahmr_opt.body import BodyModel

__all__ = [
    "UP_AXES",
    "Y_UP_FROM_Z_UP",
    "Z_UP_FROM_SMPL_REST",
    "PersonSkeleton",
    "joint_names",
    "output_transform",
    "person_skeleton",
    "posed_joints",
    "skeleton_forward",
]

UP_AXES = ("z", "y")
"""Up axes an exporter can write: ``"z"`` (AMASS, Blender) or ``"y"`` (glTF, most game tools)."""

Y_UP_FROM_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
"""Rotation taking z-up coordinates ``(x, y, z)`` to y-up ``(x, z, −y)``: −90° about x."""

Z_UP_FROM_SMPL_REST = Y_UP_FROM_Z_UP.T
"""Rotation taking SMPL's rest frame (+y up, facing +z) to a z-up frame (+z up, facing −y)."""


def output_transform(source: ResultSource, up: str = "z") -> tuple[np.ndarray, bool]:
    """World→output rigid transform of the exporters.

    The output frame is the floor-aligned frame of the final floor
    (:func:`slahmr_opt.geometry.floor.floor_aligned_transform`: floor at height 0, origin below
    the first camera, x along its heading); without a floor, the plane through the first camera
    orthogonal to the cameras' mean up direction takes the floor's place.

    Args:
        source: the result.
        up: ``"z"`` (+z up) or ``"y"`` (+y up, the z-up frame turned by :data:`Y_UP_FROM_Z_UP`).

    Returns:
        ((4, 4) transform, whether it comes from an estimated floor).
    """
    from slahmr_opt.vis.trajectory import plot_transform

    if up not in UP_AXES:
        raise InputError(f"up must be one of {UP_AXES}, got {up!r}")
    if source.floor_transform is not None:
        T, has_floor = source.floor_transform.copy(), True
    else:
        T, has_floor = plot_transform(source.final)
    if up == "y":
        T = np.block([[Y_UP_FROM_Z_UP, np.zeros((3, 1))], [np.zeros((1, 3)), np.ones((1, 1))]]) @ T
    return T, has_floor


def joint_names(body: BodyModel) -> tuple[str, ...]:
    """Unique names of the body's joints: SMPL-24, SMPL-H-52 or SMPL-X-55 (smplx's names)."""
    import smplx.joint_names as names

    J = body.num_joints
    if J == len(SMPL_JOINT_NAMES):
        return SMPL_JOINT_NAMES
    table = names.SMPLH_JOINT_NAMES if body.model_type == "smplh" else names.JOINT_NAMES
    out = tuple(table[:J])
    if len(out) < J or len(set(out)) < J:
        out = tuple(f"joint_{j:02d}" for j in range(J))
    return out


def _body_tensors(person: PersonMotion, body: BodyModel) -> tuple[torch.Tensor, ...]:
    dtype = body.joint_template0.dtype
    device = body.joint_template0.device
    return tuple(
        torch.as_tensor(a, dtype=dtype, device=device)
        for a in (person.global_orient, person.body_pose, person.betas, person.transl)
    )


def posed_joints(person: PersonMotion, body: BodyModel, transform: np.ndarray) -> np.ndarray:
    """The body model's posed joints of one person, mapped by ``transform``.

    Returns:
        (T_i, J, 3) float64, metres, in the frame ``transform`` maps to.
    """
    with torch.no_grad():
        joints = body.joints(*_body_tensors(person, body)).cpu().double().numpy()
    return joints @ transform[:3, :3].T + transform[:3, 3]


@dataclass(eq=False)
class PersonSkeleton:
    """A person as a skeleton animation in an output frame.

    Joint ``j`` of frame ``t`` sits at ``position[t]`` for the root and at
    ``p[parent] + G[parent] @ offsets[j]`` otherwise, with ``G`` the product of ``rotations``
    along the chain (the root's entry is its global rotation).

    Attributes:
        track_id: the person's id.
        frames: (T_i,) scene frames.
        names: (J,) joint names.
        parents: (J,) parent index, −1 for the root.
        rest: (J, 3) rest-pose joints ``J(β)`` in the output rest frame, metres.
        offsets: (J, 3) rest offsets to the parent (the root's is its rest position), metres.
        rotations: (T_i, J, 3, 3) local rotations (the root's: global in the output frame).
        position: (T_i, 3) root joint (pelvis) position in the output frame, metres.
    """

    track_id: str
    frames: np.ndarray
    names: tuple[str, ...]
    parents: np.ndarray
    rest: np.ndarray
    offsets: np.ndarray
    rotations: np.ndarray
    position: np.ndarray

    def __repr__(self) -> str:
        return (
            f"PersonSkeleton({self.track_id!r}, frames={self.frames[0]}..{self.frames[-1]}, "
            f"joints={len(self.names)})"
        )


def person_skeleton(
    person: PersonMotion,
    body: BodyModel,
    transform: np.ndarray,
    rest_rotation: np.ndarray | None = None,
) -> PersonSkeleton:
    """One person's motion as a skeleton animation in the frame ``transform`` maps to.

    Args:
        person: world motion (SMPL parameters).
        body: the body model (its joint template gives the rest offsets, β applied).
        transform: (4, 4) world→output rigid transform (:func:`output_transform`).
        rest_rotation: (3, 3) rotation from SMPL's rest frame (+y up, facing +z) to the output
            rest frame (default identity); local rotations are conjugated by it so that the
            posed joints are unchanged.

    Returns:
        :class:`PersonSkeleton` whose forward kinematics equal the body model's joints mapped by
        ``transform``.
    """
    M = np.asarray(transform, dtype=np.float64)
    Q = np.eye(3) if rest_rotation is None else np.asarray(rest_rotation, dtype=np.float64)
    go, bp, betas, tr = _body_tensors(person, body)
    with torch.no_grad():
        rest = body.joint_template(betas).cpu().double().numpy()  # (J, 3)
        pose = body.full_pose(go, bp).cpu().double().numpy()  # (T, J, 3)
    parents = body.parents.cpu().numpy().astype(np.int64)
    T, J = pose.shape[:2]
    local = Rotation.from_rotvec(pose.reshape(-1, 3)).as_matrix().reshape(T, J, 3, 3)
    rotations = Q @ local @ Q.T
    rotations[:, 0] = M[:3, :3] @ local[:, 0] @ Q.T
    position = (person.transl + rest[0]) @ M[:3, :3].T + M[:3, 3]
    rest_out = rest @ Q.T
    offsets = rest_out.copy()
    offsets[1:] -= rest_out[parents[1:]]
    return PersonSkeleton(
        track_id=person.track_id,
        frames=person.frames.copy(),
        names=joint_names(body),
        parents=parents,
        rest=rest_out,
        offsets=offsets,
        rotations=rotations,
        position=position,
    )


def skeleton_forward(skel: PersonSkeleton) -> np.ndarray:
    """Forward kinematics of a :class:`PersonSkeleton`: (T_i, J, 3) joint positions."""
    T, J = skel.rotations.shape[:2]
    glob = np.empty_like(skel.rotations)
    pos = np.empty((T, J, 3))
    glob[:, 0], pos[:, 0] = skel.rotations[:, 0], skel.position
    for j in range(1, J):
        p = skel.parents[j]
        glob[:, j] = glob[:, p] @ skel.rotations[:, j]
        pos[:, j] = pos[:, p] + glob[:, p] @ skel.offsets[j]
    return pos
