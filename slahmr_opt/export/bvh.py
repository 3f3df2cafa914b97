"""BVH motion capture files: one per person, the body's skeleton with its rest offsets (β applied).

Each file holds the body model's kinematic tree (SMPL-24, or SMPL-H/SMPL-X joints) with the joint
names of :func:`slahmr_opt.export.source.joint_names`, rest offsets from the person's shaped joint
template ``J(β)``, and one frame per frame of the person's track at the scene's frame rate. The
root (pelvis) has six channels ``Xposition Yposition Zposition Zrotation Xrotation Yrotation`` and
a zero OFFSET, so its channel values are its position; every other joint has the three rotation
channels. Rotations are intrinsic Z-X-Y Euler angles in degrees (``R = Rz · Rx · Ry``, the usual
BVH reading). Positions are in the floor-aligned frame (floor at height 0), z-up (the rest pose
stands along +z, facing −y) or y-up (the rest pose is SMPL's: +y up, facing +z).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.spatial.transform import Rotation

from slahmr_opt.errors import InputError
from slahmr_opt.export.skeleton import (
    Z_UP_FROM_SMPL_REST,
    PersonSkeleton,
    output_transform,
    person_skeleton,
)
from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.vis.source import as_source, resolve_body

if TYPE_CHECKING:
    from slahmr_opt.body import BodyModel

__all__ = ["BVH_UNITS", "export_bvh", "skeleton_to_bvh"]

BVH_UNITS = {"m": 1.0, "cm": 100.0}
"""Length units a BVH file can be written in, and their factor from metres."""

EULER_ORDER = "ZXY"
"""Intrinsic rotation order of the channels (scipy's upper-case notation)."""

_END_SITE_FRACTION = 0.5
"""End sites of leaf joints continue their bone by this fraction of its length."""


def _children(parents: np.ndarray) -> list[list[int]]:
    kids: list[list[int]] = [[] for _ in parents]
    for j, p in enumerate(parents):
        if p >= 0:
            kids[int(p)].append(j)
    return kids


def _fmt(values: np.ndarray) -> str:
    return " ".join(f"{v:.6f}" for v in values)


def skeleton_to_bvh(skel: PersonSkeleton, fps: float, units: str = "m") -> str:
    """The text of a BVH file of one :class:`PersonSkeleton`.

    Args:
        skel: the skeleton animation (output frame, metres).
        fps: frames per second (``Frame Time`` is ``1 / fps``).
        units: ``"m"`` or ``"cm"`` (lengths are scaled by :data:`BVH_UNITS`).

    Returns:
        the file's text.
    """
    if units not in BVH_UNITS:
        raise InputError(f"units must be one of {sorted(BVH_UNITS)}, got {units!r}")
    if not (np.isfinite(fps) and fps > 0):
        raise InputError(f"fps must be a finite positive number, got {fps}")
    scale = BVH_UNITS[units]
    kids = _children(skel.parents)
    order: list[int] = []  # joints in the order their channels appear in a MOTION line
    lines = ["HIERARCHY"]

    def joint(j: int, depth: int) -> None:
        pad = "  " * depth
        order.append(j)
        head = "ROOT" if j == 0 else "JOINT"
        offset = np.zeros(3) if j == 0 else skel.offsets[j] * scale
        lines.extend([f"{pad}{head} {skel.names[j]}", f"{pad}{{", f"{pad}  OFFSET {_fmt(offset)}"])
        if j == 0:
            lines.append(
                f"{pad}  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"
            )
        else:
            lines.append(f"{pad}  CHANNELS 3 Zrotation Xrotation Yrotation")
        for k in kids[j]:
            joint(k, depth + 1)
        if not kids[j]:
            end = skel.offsets[j] * _END_SITE_FRACTION * scale if j else np.array([0, 0.1, 0])
            lines.extend(
                [f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET {_fmt(end)}", f"{pad}  }}"]
            )
        lines.append(f"{pad}}}")

    joint(0, 0)
    T, J = skel.rotations.shape[:2]
    euler = Rotation.from_matrix(skel.rotations.reshape(-1, 3, 3)).as_euler(
        EULER_ORDER, degrees=True
    )
    euler = euler.reshape(T, J, 3)[:, order].reshape(T, -1)
    motion = np.concatenate([skel.position * scale, euler], axis=1)
    lines += ["MOTION", f"Frames: {T}", f"Frame Time: {1.0 / fps:.8f}"]
    lines += [_fmt(row) for row in motion]
    return "\n".join(lines) + "\n"


def export_bvh(
    result: Any,
    out_dir: str | os.PathLike,
    *,
    body: BodyModel | None = None,
    up: str = "z",
    units: str = "m",
    pass_name: str | None = None,
) -> list[Path]:
    """Write one BVH file per person, ``out_dir/person_<id>.bvh``.

    Args:
        result: a ``Result``, ``LoadedResult`` or ``WorldEstimate``.
        out_dir: the folder (created if missing).
        body: the body model the result was fitted with (default: the stand-in).
        up: ``"z"`` or ``"y"``.
        units: ``"m"`` or ``"cm"``.
        pass_name: which pass to write (default: the final one).

    Returns:
        the written files, in the result's person order. A person's file starts at the
        person's first frame (``frames[0]`` of the track, recorded in the result folder).
    """
    if units not in BVH_UNITS:
        raise InputError(f"units must be one of {sorted(BVH_UNITS)}, got {units!r}")
    source = as_source(result)
    body = resolve_body(source, body)
    (name,) = source.pass_names([pass_name] if pass_name else None)
    estimate = source.passes[name]
    transform, _ = output_transform(source, up)
    rest = Z_UP_FROM_SMPL_REST if up == "z" else np.eye(3)
    out = Path(out_dir)
    written = []
    for person in estimate.people:
        skel = person_skeleton(person, body, transform, rest)
        text = skeleton_to_bvh(skel, estimate.fps, units)
        written.append(
            write_bytes_atomic(out / f"person_{person.track_id}.bvh", text.encode("ascii"))
        )
    return written
