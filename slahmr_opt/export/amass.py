"""AMASS-style motion files, one per person, in the floor-aligned frame (+z up, floor at z = 0).

AMASS (and HuMoR, which trains on it) stores each sequence z-up with the floor at height 0. This
exporter writes, for the floor-aligned frame of the result
(:func:`slahmr_opt.export.skeleton.output_transform`), the io package's AMASS person file
(:func:`slahmr_opt.io.amass.person_arrays`: ``poses``, ``trans``, ``root_orient``, ``pose_body``
in that frame, ``betas``, ``gender``, ``mocap_framerate``, ``frames``, the world motion under
``*_world`` names) to ``person_<id>.npz``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slahmr_opt.export.skeleton import output_transform
from slahmr_opt.files import write_npz_atomic
from slahmr_opt.io.amass import person_arrays, person_file_name
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
        arrays = person_arrays(person, estimate.fps, gender, body, transform)
        written.append(write_npz_atomic(Path(out_dir) / person_file_name(person.track_id), arrays))
    return written
