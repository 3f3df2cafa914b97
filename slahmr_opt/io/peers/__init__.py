"""Readers of other world-grounded methods' results (and of our own), as :class:`PeerResult`.

==============  ==============================================  ====================  ========
format          what is read                                    body                  pickle
==============  ==============================================  ====================  ========
``wham``        ``<seq>/wham_output.pkl``                       SMPL neutral          yes
``gvhmr``       ``<seq>/hmr4d_results.pt``                      SMPL-X neutral        no
``tram``        ``<seq>/camera.npy`` + ``<seq>/hps/*.npy``      SMPL neutral          yes
``tram-emdb``   ``camera/<seq>.npz`` + ``smpl/<seq>.npz``       SMPL neutral          no
``slahmr-opt``  ``<seq>/scene.json`` (a result folder)          as recorded           no
==============  ==============================================  ====================  ========

:func:`detect_format` tells a folder's format; :func:`read_peer` reads it;
:func:`peer_to_world_estimate` turns a result into a :class:`~slahmr_opt.result.WorldEstimate`.
:mod:`slahmr_opt.io.peers.folders` turns the first three into solver input scenes.
"""

from __future__ import annotations

import os
from pathlib import Path

from slahmr_opt.errors import InputError
from slahmr_opt.io.peers.common import PeerResult, PeerTrack
from slahmr_opt.io.peers.estimate import peer_to_world_estimate
from slahmr_opt.io.peers.folders import detect_peer_layout
from slahmr_opt.io.peers.gvhmr import GVHMR_RESULTS, read_gvhmr_results
from slahmr_opt.io.peers.own import is_result_folder, read_own_result
from slahmr_opt.io.peers.tram import read_tram_demo, read_tram_emdb
from slahmr_opt.io.peers.wham import WHAM_OUTPUT, read_wham_output

__all__ = [
    "PEER_FORMATS",
    "PeerResult",
    "PeerTrack",
    "detect_format",
    "find_sequence",
    "peer_to_world_estimate",
    "read_peer",
]

PEER_FORMATS = ("slahmr-opt", "wham", "gvhmr", "tram", "tram-emdb")


def detect_format(folder: str | os.PathLike) -> str | None:
    """The result format of one sequence folder, or None when it is none of :data:`PEER_FORMATS`
    (``tram-emdb`` is a layout of the method folder, see :func:`find_sequence`)."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    if is_result_folder(folder):
        return "slahmr-opt"
    return detect_peer_layout(folder)


def find_sequence(method_dir: str | os.PathLike, names: tuple[str, ...]) -> tuple[str, Path] | None:
    """Find the result of one sequence in a method folder.

    Looks for ``<method_dir>/<name>`` (each of ``names``, case-insensitive, ``/`` in a name may
    also be written ``_`` or ``@``) in any format of :data:`PEER_FORMATS`, then for TRAM's EMDB
    layout ``<method_dir>/camera/<name>.npz``. A method folder that is itself a result of one
    sequence is accepted when there is a single name to match.

    Returns:
        ``(format, path)`` — for ``tram-emdb`` the path is ``<method_dir>/<name>`` (not a folder)
        — or None.
    """
    root = Path(method_dir)
    if not root.is_dir():
        raise InputError(f"{root}: results folder not found")
    wanted = []
    for n in names:
        wanted += [n, n.replace("/", "_"), n.replace("/", "@")]
    lower = {w.lower() for w in wanted}
    for n in wanted:
        fmt = detect_format(root / n)
        if fmt:
            return fmt, root / n
    for child in sorted(root.iterdir()):
        if child.name.lower() in lower:
            fmt = detect_format(child)
            if fmt:
                return fmt, child
    for n in wanted:
        if "/" not in n and (root / "camera" / f"{n}.npz").is_file():
            return "tram-emdb", root / n
    return None


def read_peer(
    path: str | os.PathLike,
    fmt: str | None = None,
    *,
    trust_pickle: bool = False,
    pass_name: str | None = None,
) -> PeerResult:
    """Read one sequence's result.

    Args:
        path: the sequence folder (for ``tram-emdb``: ``<method_dir>/<seq>``).
        fmt: one of :data:`PEER_FORMATS`; default :func:`detect_format`.
        trust_pickle: allow the pickles WHAM and TRAM's demo write.
        pass_name: for our results, score that pass instead of the final one.
    """
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt is None:
        raise InputError(
            f"{path}: not a result folder of a known method (expected {WHAM_OUTPUT}, "
            f"{GVHMR_RESULTS}, TRAM's camera.npy + hps/, or a slahmr-opt scene.json)"
        )
    if fmt == "slahmr-opt":
        return read_own_result(path, pass_name)
    if pass_name is not None:
        raise InputError(f"{path}: --pass applies to slahmr-opt results only, not {fmt}")
    if fmt == "wham":
        return read_wham_output(path, trust_pickle=trust_pickle)
    if fmt == "gvhmr":
        return read_gvhmr_results(path, trust_pickle=trust_pickle)
    if fmt == "tram":
        return read_tram_demo(path, trust_pickle=trust_pickle)
    if fmt == "tram-emdb":
        return read_tram_emdb(path.parent, path.name)
    raise InputError(f"unknown result format {fmt!r}; expected one of {PEER_FORMATS}")
