"""AMASS-style motion files, one per person, in the floor-aligned frame (+z up, floor at z = 0).

AMASS (and HuMoR, which trains on it) stores each sequence z-up with the floor at height 0. This
exporter moves each person's root into the floor-aligned frame of the result
(:func:`slahmr_opt.export.skeleton.output_transform`) and writes the arrays of the io package's
AMASS writer (:func:`slahmr_opt.io.results.person_to_amass`: ``poses``, ``trans``, ``betas``,
``gender``, ``mocap_framerate``, ``frames`` …) to ``person_<id>.npz``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slahmr_opt.export.skeleton import output_transform
from slahmr_opt.geometry.floor import rest_pelvis, smpl_world_to_floor
from slahmr_opt.io.atomic import write_npz_atomic
from slahmr_opt.io.results import person_to_amass
from slahmr_opt.scene import PersonMotion
from slahmr_opt.vis.source import as_source, resolve_body

if TYPE_CHECKING:
    from slahmr_opt.body import BodyModel

__all__ = ["export_amass"]


def export_amass(
    result: Any,
    out_dir: str | os.PathLike,
    *,
    body: BodyModel | None = None,
    gender: str = "neutral",
    pass_name: str | None = None,
) -> list[Path]:
    """Write one AMASS-style ``person_<id>.npz`` per person into ``out_dir``, z-up, floor at 0.

    Args:
        result: a ``Result``, ``LoadedResult``, ``WorldEstimate`` or a result folder's path.
        out_dir: the folder (created if missing).
        body: the body model the result was fitted with (its rest pelvis ``J(β)[0]`` moves the
            SMPL root; default: the stand-in).
        gender: written into every file.
        pass_name: which pass to write (default: the final one).

    Returns:
        the written files, in the result's person order.
    """
    source = as_source(result)
    body = resolve_body(source, body)
    (name,) = source.pass_names([pass_name] if pass_name else None)
    estimate = source.passes[name]
    transform, _ = output_transform(source, "z")
    written = []
    for person in estimate.people:
        go, tr = smpl_world_to_floor(
            person.global_orient, person.transl, rest_pelvis(body, person.betas), transform
        )
        moved = PersonMotion(
            track_id=person.track_id,
            frames=person.frames,
            global_orient=go,
            body_pose=person.body_pose,
            betas=person.betas,
            transl=tr,
            contacts=person.contacts,
        )
        arrays = person_to_amass(moved, estimate.fps, gender)
        written.append(write_npz_atomic(Path(out_dir) / f"person_{person.track_id}.npz", arrays))
    return written
