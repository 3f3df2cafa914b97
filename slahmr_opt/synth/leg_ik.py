"""Rest-pose leg geometry of a SMPL-topology body and analytic leg inverse kinematics.

Everything here works for any body with the SMPL kinematic tree (the stand-in, SMPL, SMPL-H,
SMPL-X): bone lengths, rest offsets and foot landmarks are read from the body's own shaped rest
pose, never assumed.

Frames: the SMPL rest frame is +y up, the body faces +z, body-left is +x. The world of the
procedural clips is +z up with the floor at z = 0. :func:`heading_to_rotmat` gives the rotation
that stands a rest-pose body upright in the world facing a heading ψ (its forward direction is
``(cos ψ, sin ψ, 0)``). Rotation matrices act on column vectors. Computations use float64 torch.

:func:`solve_leg_ik` is exact for the kinematic chain; :func:`refine_feet_on_landmarks` then
corrects, on bodies whose sole landmarks are not rigid with the foot joints, the skinned landmark
positions by a few damped Gauss–Newton steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import roma
import torch
from torch import Tensor

from slahmr_opt.body.joint_maps import LANDMARK_NAMES

__all__ = [
    "BodyGeometry",
    "LegGeometry",
    "LegSolution",
    "axis_angle_to_rotmat",
    "body_geometry",
    "frame_from_vectors",
    "heading_to_rotmat",
    "refine_feet_on_landmarks",
    "shortest_arc_rotmat",
    "solve_leg_ik",
]

DTYPE = torch.float64

# SMPL topology (indices of the kinematic tree, the same for SMPL, SMPL-H and SMPL-X).
PELVIS = 0
LEG_JOINTS = {"left": (1, 4, 7, 10), "right": (2, 5, 8, 11)}  # hip, knee, ankle, toe base
FOOT_LANDMARKS = {
    "left": ("LHeel", "LBigToe", "LSmallToe"),
    "right": ("RHeel", "RBigToe", "RSmallToe"),
}


def axis_angle_to_rotmat(axis: Tensor, angle: Tensor) -> Tensor:
    """Rotation by ``angle`` about a unit ``axis``.

    Args:
        axis: (..., 3) unit vectors (broadcast against ``angle``).
        angle: (...,) radians.

    Returns:
        (..., 3, 3) rotation matrices.
    """
    return roma.rotvec_to_rotmat(axis * angle[..., None])


def heading_to_rotmat(heading: Tensor) -> Tensor:
    """Rotation taking the SMPL rest frame (y up, z forward) to the z-up world, facing ``heading``.

    The rest frame's forward +z goes to ``(cos ψ, sin ψ, 0)``, its up +y to world +z and its left
    +x to ``(−sin ψ, cos ψ, 0)``.

    Args:
        heading: (...,) ψ, radians, counter-clockwise from world +x seen from above.

    Returns:
        (..., 3, 3).
    """
    c, s = torch.cos(heading), torch.sin(heading)
    zero, one = torch.zeros_like(c), torch.ones_like(c)
    cols = [
        torch.stack([-s, c, zero], -1),
        torch.stack([zero, zero, one], -1),
        torch.stack([c, s, zero], -1),
    ]
    return torch.stack(cols, -1)


def frame_from_vectors(primary: Tensor, secondary: Tensor) -> Tensor:
    """Orthonormal frame whose first axis is ``primary`` and second lies towards ``secondary``.

    Args:
        primary: (..., 3), any length > 0.
        secondary: (..., 3), not parallel to ``primary``.

    Returns:
        (..., 3, 3) rotation matrix with columns ``(e1, e2, e1 × e2)``.
    """
    e1 = primary / primary.norm(dim=-1, keepdim=True)
    e2 = secondary - (secondary * e1).sum(-1, keepdim=True) * e1
    e2 = e2 / e2.norm(dim=-1, keepdim=True)
    return torch.stack([e1, e2, torch.cross(e1, e2, dim=-1)], -1)


def shortest_arc_rotmat(source: Tensor, target: Tensor) -> Tensor:
    """The smallest rotation taking direction ``source`` to direction ``target``.

    Args:
        source: (..., 3) non-zero vectors; target: (..., 3) non-zero vectors (not opposite).

    Returns:
        (..., 3, 3).
    """
    a = source / source.norm(dim=-1, keepdim=True)
    b = target / target.norm(dim=-1, keepdim=True)
    axis = torch.cross(a, b, dim=-1)
    sin = axis.norm(dim=-1)
    cos = (a * b).sum(-1)
    angle = torch.atan2(sin, cos)
    axis = axis / sin.clamp_min(1e-12)[..., None]
    return axis_angle_to_rotmat(axis, angle)


@dataclass(frozen=True)
class LegGeometry:
    """Rest geometry of one leg and foot, SMPL rest frame, metres (float64 tensors).

    Attributes:
        side: ``"left"`` or ``"right"``.
        joints: (hip, knee, ankle, toe) SMPL joint indices.
        hip, knee, ankle, toe: (3,) rest joint positions.
        heel, big_toe, small_toe: (3,) rest landmark positions (``LHeel``, ``LBigToe``, ...).
        sole_level: (3, 3) smallest rotation that makes the sole plane through the three foot
            landmarks horizontal (applied to the foot before any yaw or pitch).
        ankle_height: height of the ankle joint above the levelled sole, metres.
        knee_straight: knee flexion (radians, about the rest +x axis) at which the hip–ankle
            distance is largest.
        reach: largest hip–ankle distance with the knee flexion ≥ max(0, knee_straight).
    """

    side: str
    joints: tuple[int, int, int, int]
    hip: Tensor
    knee: Tensor
    ankle: Tensor
    toe: Tensor
    heel: Tensor
    big_toe: Tensor
    small_toe: Tensor
    sole_level: Tensor
    ankle_height: float
    knee_straight: float
    reach: float

    @property
    def thigh(self) -> Tensor:
        """(3,) rest hip → knee vector."""
        return self.knee - self.hip

    @property
    def shank(self) -> Tensor:
        """(3,) rest knee → ankle vector."""
        return self.ankle - self.knee

    @property
    def sign(self) -> float:
        """+1 for the left leg (body-left is +x), −1 for the right."""
        return 1.0 if self.side == "left" else -1.0

    def sole_points(self) -> Tensor:
        """(3, 3) heel, big toe and small toe rest positions relative to the ankle joint."""
        return torch.stack([self.heel, self.big_toe, self.small_toe]) - self.ankle


@dataclass(frozen=True)
class BodyGeometry:
    """Shaped rest pose of a body, SMPL rest frame (float64 tensors).

    Attributes:
        joints: (J, 3) rest joints ``J(β)``, metres (J ≥ 22).
        parents: (J,) parent indices.
        landmarks: (L, 3) rest landmarks, :data:`LANDMARK_NAMES` order.
        legs: ``{"left": LegGeometry, "right": LegGeometry}``.
        pelvis_height: pelvis joint height above the rest sole (the lowest foot landmark).
        hip_width: distance between the two hip joints.
    """

    joints: Tensor
    parents: Tensor
    landmarks: Tensor
    legs: dict[str, LegGeometry]
    pelvis_height: float
    hip_width: float


def _knee_terms(thigh: Tensor, shank: Tensor) -> tuple[float, float, float]:
    """|u + R_x(θ) v|² = base + 2 C cos(θ − φ): return (base, C, φ)."""
    a = float(thigh[1] * shank[1] + thigh[2] * shank[2])
    b = float(thigh[2] * shank[1] - thigh[1] * shank[2])
    base = float(thigh @ thigh + shank @ shank + 2.0 * thigh[0] * shank[0])
    return base, float(np.hypot(a, b)), float(np.arctan2(b, a))


def _leg_geometry(side: str, joints: Tensor, landmarks: Tensor) -> LegGeometry:
    hip_i, knee_i, ankle_i, toe_i = LEG_JOINTS[side]
    heel, big, small = (landmarks[LANDMARK_NAMES.index(n)] for n in FOOT_LANDMARKS[side])
    normal = torch.cross(big - heel, small - heel, dim=-1)
    if normal[1] < 0:
        normal = -normal
    level = shortest_arc_rotmat(normal, torch.tensor([0.0, 1.0, 0.0], dtype=DTYPE))
    ankle = joints[ankle_i]
    sole = (torch.stack([heel, big, small]) - ankle) @ level.T
    thigh, shank = joints[knee_i] - joints[hip_i], ankle - joints[knee_i]
    base, c, phi = _knee_terms(thigh, shank)
    theta = max(phi, 0.0)
    reach = float(np.sqrt(base + 2.0 * c * np.cos(theta - phi)))
    return LegGeometry(
        side=side,
        joints=(hip_i, knee_i, ankle_i, toe_i),
        hip=joints[hip_i],
        knee=joints[knee_i],
        ankle=ankle,
        toe=joints[toe_i],
        heel=heel,
        big_toe=big,
        small_toe=small,
        sole_level=level,
        ankle_height=float(-sole[:, 1].mean()),
        knee_straight=phi,
        reach=reach,
    )


def body_geometry(body, betas: np.ndarray | Tensor) -> BodyGeometry:
    """Read the shaped rest pose of ``body`` (a :class:`slahmr_opt.body.BodyModel`).

    Args:
        body: a SMPL-topology BodyModel (SMPL, SMPL-H, SMPL-X or the stand-in).
        betas: (S,) shape coefficients.

    Returns:
        :class:`BodyGeometry` in float64.
    """
    dtype = body.joint_template0.dtype
    b = torch.as_tensor(np.asarray(betas, dtype=np.float64), dtype=dtype)
    if b.ndim != 1:
        raise ValueError(f"betas: expected shape (S,), got {tuple(b.shape)}")
    with torch.no_grad():
        joints = body.joint_template(b).to(DTYPE)
        zero = torch.zeros(3, dtype=dtype)
        out = body.forward(
            zero, torch.zeros(body.num_body_joints, 3, dtype=dtype), b, joints=False, landmarks=True
        )
        landmarks = out.landmarks.to(DTYPE)
    legs = {side: _leg_geometry(side, joints, landmarks) for side in ("left", "right")}
    foot_ids = [LANDMARK_NAMES.index(n) for side in legs for n in FOOT_LANDMARKS[side]]
    sole_y = float(landmarks[foot_ids, 1].min())
    return BodyGeometry(
        joints=joints,
        parents=body.parents.clone(),
        landmarks=landmarks,
        legs=legs,
        pelvis_height=float(joints[PELVIS, 1]) - sole_y,
        hip_width=float((joints[LEG_JOINTS["left"][0]] - joints[LEG_JOINTS["right"][0]]).norm()),
    )


@dataclass(frozen=True)
class LegSolution:
    """Local joint rotations of one leg (SMPL ``body_pose`` convention) for N frames.

    Attributes:
        hip, knee, ankle: (N, 3, 3) local rotations.
        knee_flexion: (N,) knee rotation about the rest +x axis, radians (≥ 0: bends forward).
        ankle_error: (N,) distance between the reached and the requested ankle position, metres.
    """

    hip: Tensor
    knee: Tensor
    ankle: Tensor
    knee_flexion: Tensor
    ankle_error: Tensor


def solve_leg_ik(
    leg: LegGeometry,
    pelvis_joint: Tensor,
    pelvis_position: Tensor,
    pelvis_rotation: Tensor,
    ankle_target: Tensor,
    foot_rotation: Tensor,
    knee_axis: Tensor,
) -> LegSolution:
    """Analytic two-bone IK on hip–knee–ankle, then the ankle rotation giving the foot orientation.

    The knee rotates about its rest +x (lateral) axis only, by θ ≥ max(0, knee_straight), so it
    bends forward. θ follows from the hip–ankle distance in closed form with the shaped,
    non-collinear rest bones; the hip rotation then aligns the bent leg with the hip → target
    direction and turns the knee's flexion axis towards ``knee_axis``. Targets beyond reach are
    met as closely as the straight leg allows (``ankle_error`` reports it).

    Args:
        leg: rest geometry of the leg.
        pelvis_joint: (3,) rest position of the pelvis joint.
        pelvis_position: (N, 3) world position of the pelvis joint.
        pelvis_rotation: (N, 3, 3) world rotation of the pelvis (SMPL ``global_orient``).
        ankle_target: (N, 3) world ankle joint position.
        foot_rotation: (N, 3, 3) world rotation of the ankle joint's frame.
        knee_axis: (N, 3) world direction the knee's flexion axis (body-left) should lie towards.

    Returns:
        :class:`LegSolution`.
    """
    thigh, shank = leg.thigh, leg.shank
    hip_world = pelvis_position + pelvis_rotation @ (leg.hip - pelvis_joint)
    rot_t = pelvis_rotation.transpose(-1, -2)
    d = (rot_t @ (ankle_target - hip_world)[..., None])[..., 0]
    base, c, phi = _knee_terms(thigh, shank)
    dist2 = (d * d).sum(-1)
    cos = ((dist2 - base) / (2.0 * c)).clamp(-1.0, 1.0)
    theta = (phi + torch.acos(cos)).clamp_min(max(phi, 0.0))
    ex = torch.tensor([1.0, 0.0, 0.0], dtype=DTYPE)
    knee = axis_angle_to_rotmat(ex.expand_as(d), theta)
    bent = thigh + (knee @ shank[:, None])[..., 0]
    axis_local = (rot_t @ knee_axis[..., None])[..., 0]
    rest_frame = frame_from_vectors(bent, ex.expand_as(bent))
    hip = frame_from_vectors(d, axis_local) @ rest_frame.transpose(-1, -2)
    chain = pelvis_rotation @ hip @ knee
    ankle = chain.transpose(-1, -2) @ foot_rotation
    reached = hip_world + (pelvis_rotation @ hip @ bent[..., None])[..., 0]
    return LegSolution(hip, knee, ankle, theta, (reached - ankle_target).norm(dim=-1))


# Pose variables the refinement may change, as (joint, axis-angle component): hip (3), knee
# flexion only (1), ankle (3), toe (3).
_REFINE_VARIABLES = {
    side: [(hip, a) for a in range(3)]
    + [(knee, 0)]
    + [(ankle, a) for a in range(3)]
    + [(toe, a) for a in range(3)]
    for side, (hip, knee, ankle, toe) in LEG_JOINTS.items()
}
_ANKLE_WEIGHT = 0.1  # relative weight of the ankle-joint residual against the sole landmarks


def _foot_points(
    body, global_orient: Tensor, body_pose: Tensor, betas: Tensor, transl: Tensor
) -> Tensor:
    """(T, 2, 4, 3): per leg the ankle joint, heel, big toe and small toe landmarks."""
    out = body.forward(global_orient, body_pose, betas, transl, landmarks=True)
    parts = []
    for side in ("left", "right"):
        ids = [LANDMARK_NAMES.index(n) for n in FOOT_LANDMARKS[side]]
        ankle = out.joints[:, LEG_JOINTS[side][2]]
        parts.append(torch.cat([ankle[:, None], out.landmarks[:, ids]], 1))
    return torch.stack(parts, 1)


def _leg_jacobians(body, go: Tensor, pose: Tensor, betas: Tensor, transl: Tensor) -> Tensor:
    """(T, 2, 4, 3, V) derivatives of :func:`_foot_points` by each leg's refinement variables.

    Frames are independent, so one backward pass per output coordinate, summed over frames,
    gives every frame's own derivatives (24 passes in all).
    """
    with torch.enable_grad():
        pose = pose.detach().requires_grad_(True)
        pts = _foot_points(body, go, pose, betas, transl)
        out = torch.zeros(*pts.shape, len(_REFINE_VARIABLES["left"]), dtype=DTYPE)
        for leg, side in enumerate(("left", "right")):
            joints = torch.tensor([j - 1 for j, _ in _REFINE_VARIABLES[side]])
            axes = torch.tensor([a for _, a in _REFINE_VARIABLES[side]])
            for point in range(pts.shape[2]):
                for coord in range(3):
                    (grad,) = torch.autograd.grad(
                        pts[:, leg, point, coord].sum(), pose, retain_graph=True
                    )
                    out[:, leg, point, coord] = grad[:, joints, axes].to(DTYPE)
    return out


def refine_feet_on_landmarks(
    body,
    global_orient: np.ndarray,
    body_pose: np.ndarray,
    betas: np.ndarray,
    transl: np.ndarray,
    targets: np.ndarray,
    *,
    iterations: int = 6,
    tolerance: float = 1e-4,
    damping: float = 1e-3,
    max_step: float = 0.2,
) -> tuple[np.ndarray, float]:
    """Levenberg–Marquardt on the leg rotations: the skinned sole landmarks go onto their targets.

    The analytic IK places the ankle joint and a rigid foot exactly. On a body whose foot
    landmarks are not rigid with the ankle and toe joints (pose blend shapes, skinning weights
    shared with the shank) the skinned landmarks drift by millimetres; this step moves hip,
    knee flexion, ankle and toe rotations (per frame and leg, with derivatives of the body's own
    forward pass) to put heel, big toe and small toe back on the planned positions, with a
    small weight keeping the ankle joint on its plan. A step is kept only for the frames whose
    error it lowers. Nothing changes when every residual is already below ``tolerance``.

    Args:
        body: the BodyModel.
        global_orient: (T, 3); body_pose: (T, 23, 3); betas: (S,); transl: (T, 3).
        targets: (T, 2, 4, 3) per leg (left, right): ankle joint, heel, big toe, small toe, world.
        iterations: at most this many steps.
        tolerance: stop when every landmark residual is below this, metres.
        damping: Levenberg damping of the normal equations, m²/rad².
        max_step: largest change of the pose variables in one step, rad.

    Returns:
        the refined (T, 23, 3) body pose and the largest landmark residual left, metres.
    """
    dtype = body.joint_template0.dtype
    as_t = lambda a: torch.as_tensor(np.asarray(a), dtype=dtype)  # noqa: E731
    go, be, tr = as_t(global_orient), as_t(betas), as_t(transl)
    pose = torch.as_tensor(np.asarray(body_pose), dtype=DTYPE).clone()
    target = torch.as_tensor(np.asarray(targets), dtype=DTYPE)
    weight = torch.tensor([_ANKLE_WEIGHT, 1.0, 1.0, 1.0], dtype=DTYPE)[None, :, None]
    n = pose.shape[0]

    def points(p: Tensor) -> Tensor:
        return _foot_points(body, go, p.to(dtype), be, tr).to(DTYPE)

    def cost(residual: Tensor) -> Tensor:  # (T, 2) weighted squared error per leg
        return ((residual * weight) ** 2).sum((-1, -2))

    with torch.no_grad():
        residual = points(pose) - target  # (T, 2, 4, 3)
        for _ in range(iterations):
            if float(residual[:, :, 1:].norm(dim=-1).max()) < tolerance:
                break
            jacobians = _leg_jacobians(body, go, pose.to(dtype), be, tr)
            candidate = pose.clone()
            for leg, side in enumerate(("left", "right")):
                jac = (jacobians[:, leg] * weight[..., None]).reshape(n, -1, jacobians.shape[-1])
                r = (residual[:, leg] * weight).reshape(n, -1, 1)
                normal = jac.transpose(-1, -2) @ jac
                normal = normal + damping * torch.eye(normal.shape[-1], dtype=DTYPE)
                step = torch.linalg.solve(normal, -(jac.transpose(-1, -2) @ r))[..., 0]
                step = step * (max_step / step.norm(dim=-1, keepdim=True).clamp_min(max_step))
                for k, (joint, axis) in enumerate(_REFINE_VARIABLES[side]):
                    candidate[:, joint - 1, axis] += step[:, k]
            new_residual = points(candidate) - target
            better = cost(new_residual) < cost(residual)  # (T, 2)
            for leg, side in enumerate(("left", "right")):
                rows = better[:, leg]
                for joint, axis in _REFINE_VARIABLES[side]:
                    pose[rows, joint - 1, axis] = candidate[rows, joint - 1, axis]
            if not better.any():
                break
            residual = points(pose) - target
    return pose.numpy(), float(residual[:, :, 1:].norm(dim=-1).max())
