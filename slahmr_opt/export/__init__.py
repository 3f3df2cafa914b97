"""Exports of a result to other tools: BVH, glTF binary, rerun recordings and AMASS files.

Every exporter takes what the library hands out — a :class:`~slahmr_opt.result.Result`, a
:class:`~slahmr_opt.io.results.LoadedResult`, a :class:`~slahmr_opt.result.WorldEstimate` or a
result folder's path — and the body model the result was fitted with (default: the stand-in).
:func:`export_result` dispatches on a format name, as ``slahmr-opt export`` does. docs/export.md
describes each file.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slahmr_opt.errors import InputError
from slahmr_opt.export.amass import export_amass
from slahmr_opt.export.bvh import export_bvh
from slahmr_opt.export.gltf import export_glb
from slahmr_opt.export.rrd import export_rrd

if TYPE_CHECKING:
    from slahmr_opt.body import BodyModel

__all__ = ["FORMATS", "export_amass", "export_bvh", "export_glb", "export_result", "export_rrd"]

FORMATS: tuple[str, ...] = ("bvh", "glb", "rrd", "amass")
"""Format names of :func:`export_result` and ``slahmr-opt export --format``."""


def export_result(
    result: Any,
    fmt: str,
    out_dir: str | os.PathLike,
    *,
    body: BodyModel | None = None,
    **options: Any,
) -> list[Path]:
    """Export a result in one format into ``out_dir``.

    Args:
        result: a ``Result``, ``LoadedResult``, ``WorldEstimate`` or a result folder's path.
        fmt: one of :data:`FORMATS`.
        out_dir: the folder (created if missing).
        body: the body model the result was fitted with (default: the stand-in).
        **options: passed to the exporter (:func:`export_bvh`: ``up``, ``units``, ``pass_name``;
            :func:`export_glb`: ``pass_name``; :func:`export_rrd`: ``passes``, ``meshes``;
            :func:`export_amass`: ``gender``, ``pass_name``).

    Returns:
        the written files.
    """
    exporters = {"bvh": export_bvh, "glb": export_glb, "rrd": export_rrd, "amass": export_amass}
    if fmt not in exporters:
        raise InputError(f"format must be one of {FORMATS}, got {fmt!r}")
    accepted = set(inspect.signature(exporters[fmt]).parameters) - {"result", "out_dir", "body"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise InputError(f"format {fmt!r} takes the options {sorted(accepted)}, not {unknown}")
    written = exporters[fmt](result, out_dir, body=body, **options)
    return written if isinstance(written, list) else [written]
