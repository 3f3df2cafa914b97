"""What every exporter and the overlay renderer start from: a result, its passes, its body.

:func:`as_source` accepts what the library hands out — a :class:`~slahmr_opt.result.Result`
(what :func:`slahmr_opt.solve` returns), a :class:`~slahmr_opt.io.results.LoadedResult` (what
:func:`slahmr_opt.load_result` reads back) or a single :class:`~slahmr_opt.result.WorldEstimate` —
and gives one :class:`ExportSource`. :func:`output_transform` is the frame every exporter writes
in: the floor-aligned frame (+z up, floor at z = 0, as AMASS/HuMoR), optionally turned y-up.
:func:`person_skeleton` turns one person's SMPL parameters into a skeleton animation (rest
offsets with β applied, local rotations, root path) in that frame.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from slahmr_opt.body.joint_maps import SMPL_JOINT_NAMES
from slahmr_opt.result import Result, WorldEstimate
from slahmr_opt.scene import PersonMotion

if TYPE_CHECKING:
    from slahmr_opt.body import BodyModel

__all__ = [
    "UP_AXES",
    "Y_UP_FROM_Z_UP",
    "ExportSource",
    "PersonSkeleton",
    "as_source",
    "joint_names",
    "output_transform",
    "person_skeleton",
    "posed_joints",
    "resolve_body",
]

log = logging.getLogger(__name__)

UP_AXES = ("z", "y")
"""Up axes an exporter can write: ``"z"`` (AMASS, Blender) or ``"y"`` (glTF, most game tools)."""

Y_UP_FROM_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
"""Rotation taking z-up coordinates ``(x, y, z)`` to y-up ``(x, z, −y)``: −90° about x."""

Z_UP_FROM_SMPL_REST = Y_UP_FROM_Z_UP.T
"""Rotation taking SMPL's rest frame (+y up, facing +z) to a z-up frame (+z up, facing −y)."""


@dataclass(eq=False)
class ExportSource:
    """One result, ready for the exporters.

    Attributes:
        final: the final state (last pass).
        passes: pass name → state after that pass, in run order (``{"final": final}`` for a
            lone :class:`WorldEstimate`).
        energies: pass name → term → weighted energy after each outer step (a :class:`Result`
            keeps the whole history; a folder only the final values, one per pass).
        floor_transform: (4, 4) world→floor-aligned transform of the final floor, or None.
        body_source: the body model the result was fitted with, when the folder records it.
        name: the scene's (or the method's) name.
    """

    final: WorldEstimate
    passes: dict[str, WorldEstimate]
    energies: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    floor_transform: np.ndarray | None = None
    body_source: str | None = None
    name: str = "result"

    def __repr__(self) -> str:
        return (
            f"ExportSource({self.name!r}, people={[p.track_id for p in self.final.people]}, "
            f"passes={list(self.passes)}, floor={self.floor_transform is not None})"
        )

    @property
    def fps(self) -> float:
        return self.final.fps

    @property
    def num_frames(self) -> int:
        return self.final.cameras.num_frames

    def pass_names(self, passes: str | list[str] | tuple[str, ...] | None) -> list[str]:
        """Check a selection of passes (None: the final pass only; ``"all"``: every pass)."""
        if passes is None:
            return [list(self.passes)[-1]]
        if isinstance(passes, str):
            passes = list(self.passes) if passes == "all" else [s for s in passes.split(",") if s]
        names = [str(p).strip() for p in passes]
        unknown = [p for p in names if p not in self.passes]
        if unknown or not names:
            raise ValueError(
                f"passes: unknown {unknown or names!r}; this result has {list(self.passes)}"
            )
        return names


def as_source(result: Any) -> ExportSource:
    """Wrap a :class:`Result`, a ``LoadedResult`` or a :class:`WorldEstimate`."""
    from slahmr_opt.geometry.floor import floor_aligned_transform
    from slahmr_opt.io.results import LoadedResult

    if isinstance(result, ExportSource):
        return result
    if isinstance(result, Result):
        passes = {name: result.to_estimate(name) for name in result.passes}
        energies = {name: dict(p.history) for name, p in result.passes.items() if p.history}
        final, body_source, name = passes[result.last_pass], None, result.scene_name
    elif isinstance(result, LoadedResult):
        passes = dict(result.passes)
        energies = {}
        for pname, summary in (result.info.get("passes") or {}).items():
            final_energy = summary.get("final_energy") if isinstance(summary, dict) else None
            if isinstance(final_energy, dict) and final_energy:
                energies[pname] = {k: [float(v)] for k, v in final_energy.items()}
        final = result.estimate
        body_info = result.info.get("body") or {}
        body_source = body_info.get("source") if isinstance(body_info, dict) else None
        name = str(result.info.get("scene", final.method))
    elif isinstance(result, WorldEstimate):
        final, passes, energies, body_source, name = result, {}, {}, None, result.method
        passes["final"] = result
    else:
        raise ValueError(
            "result must be a Result (slahmr_opt.solve), a LoadedResult (slahmr_opt.load_result) "
            f"or a WorldEstimate, got {type(result).__name__}"
        )
    if not final.people:
        raise ValueError(f"{name}: the result holds no people to export")
    floor_T = None
    if final.floor is not None:
        floor_T = floor_aligned_transform(*final.floor, final.cameras, final.alpha)
    return ExportSource(final, passes, energies, floor_T, body_source or None, name)


def resolve_body(source: ExportSource, body: BodyModel | None) -> BodyModel:
    """The body model to pose the result with: ``body`` or the stand-in.

    Raises:
        ValueError: when the result was fitted with a model file (recorded in ``scene.json``
            field ``body.source``) and no body was given: posing it with the stand-in would show
            another shape.
    """
    from slahmr_opt.body import BodyModel

    recorded = source.body_source
    if body is None:
        if recorded not in (None, "stand-in"):
            raise ValueError(
                f"{source.name}: the result was fitted with the body model {recorded!r} "
                "(scene.json field 'body.source'); pass it (body=BodyModel.from_file(...) or "
                "--body FILE)"
            )
        return BodyModel.standin()
    if recorded not in (None, body.source):
        log.warning("result fitted with body %r, posed with %r", recorded, body.source)
    return body


def output_transform(source: ExportSource, up: str = "z") -> tuple[np.ndarray, bool]:
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
        raise ValueError(f"up must be one of {UP_AXES}, got {up!r}")
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
