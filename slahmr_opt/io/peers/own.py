"""Our own result folders (``slahmr-opt run``/``naive``) as a :class:`PeerResult`, for scoring
next to other methods with one code path.

The world motion is the folder's final pass (or a named pass under ``passes/``); the camera-frame
body is the world body seen by the metric cameras ``(R, α t)``. The body model the run used is
recorded in ``scene.json`` (``body``: ``source``, ``model_type``; ``gender``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.io.body_tracks import BodyTrack, rigid_to_homogeneous
from slahmr_opt.io.peers.common import PeerResult, PeerTrack
from slahmr_opt.io.results import PASSES_DIR, RESULT_FORMAT, RESULT_JSON, load_estimate
from slahmr_opt.result import WorldEstimate

__all__ = ["estimate_to_peer", "is_result_folder", "read_own_result"]


def is_result_folder(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a slahmr-opt result (``scene.json`` of our result format)."""
    meta = Path(folder) / RESULT_JSON
    if not meta.is_file():
        return False
    try:
        return json.loads(meta.read_text()).get("format") == RESULT_FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def estimate_to_peer(
    estimate: WorldEstimate,
    *,
    model: str = "smpl",
    gender: str = "neutral",
    source: str = "",
    meta: dict | None = None,
) -> PeerResult:
    """A :class:`WorldEstimate` as a :class:`PeerResult` (world motion + metric world→camera)."""
    cams = estimate.cameras
    w2c = rigid_to_homogeneous(cams.R, estimate.alpha * cams.t)
    tracks = []
    for p in estimate.people:
        bp = p.body_pose if model == "smpl" else p.body_pose[:, :21]
        world = BodyTrack(
            p.track_id, p.frames, p.global_orient, bp, p.betas, p.transl, model, gender
        )
        tracks.append(PeerTrack(p.track_id, world=world, world_to_cam=w2c[p.frames]))
    return PeerResult(
        method="slahmr-opt",
        tracks=tracks,
        source=source,
        intrinsics=cams.intrinsics[0].copy(),
        num_frames=cams.num_frames,
        world_up=None if estimate.floor is None else np.asarray(estimate.floor[0]),
        meta=dict(meta or {}),
    )


def read_own_result(path: str | os.PathLike, pass_name: str | None = None) -> PeerResult:
    """Read a result folder written by ``slahmr-opt run`` / ``naive`` / ``save_estimate``.

    Args:
        path: the result folder.
        pass_name: score this pass (``init``, ``root``, ``smooth``, ``motion``) from
            ``passes/<name>/`` instead of the final one.
    """
    folder = Path(path)
    info = json.loads((folder / RESULT_JSON).read_text()) if is_result_folder(folder) else None
    if info is None:
        raise InputError(f"{folder}: not a slahmr-opt result folder ({RESULT_JSON} missing)")
    sub = folder if pass_name is None else folder / PASSES_DIR / pass_name
    if pass_name is not None and not (sub / RESULT_JSON).is_file():
        raise InputError(f"{sub}: pass {pass_name!r} not in this result")
    estimate = load_estimate(sub)
    body = info.get("body") or {}
    model = str(body.get("model_type") or "smpl")
    if model == "smplh":
        raise InputError(f"{folder}: fitted with SMPL-H; scoring supports SMPL and SMPL-X results")
    gender = str(info.get("gender") or "neutral")
    meta = {"body_source": str(body.get("source", "")), "pass": pass_name or info.get("final_pass")}
    return estimate_to_peer(estimate, model=model, gender=gender, source=str(sub), meta=meta)
