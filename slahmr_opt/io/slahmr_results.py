"""Results in the original SLAHMR's output layout, so that its loaders and visualiser read them.

The original writes, per optimisation stage, ``<out>/<stage>/<seq>_<iter:06d>_world_results.npz``
(``np.savez`` of float32 arrays, ``slahmr/optim/optimizers.py:122-152``; the initial state as
``init/<seq>_000000_init_world_results.npz``, ``run_opt.py:97``, ``optim/output.py:46-55``) and
``<out>/track_info.json`` (``optim/output.py:129-146``). Its ``run_vis.py`` finds the files with
``get_results_paths`` (the last three ``_``-separated parts of the name must be the iteration,
``world`` and ``results.npz``), reads them with ``np.load`` and turns every array into a float
tensor (``load_result``, ``util/tensor.py:25-32``: a string array breaks it), and poses SMPL-H
with 16 shape coefficients (``util/loaders.py:37-59``, ``body_model/utils.py:32``: ``betas`` must
reshape to (B, 1, 16)).

:func:`write_original_results` writes that layout next to ours: stage folders ``init``,
``root_fit``, ``smooth_fit`` and ``motion_chunks`` (our passes of those names), in the
original's world, the first camera's metric frame, over the frames the tracks span, with
numeric arrays only. :func:`world_results_arrays` is our own ``world_results.npz``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from slahmr_opt.files import write_json_atomic, write_npz_atomic
from slahmr_opt.geometry.floor import transform_plane
from slahmr_opt.geometry.smpl_transform import world_to_camera_smpl
from slahmr_opt.io.amass import HUMOR_BODY_JOINTS, pelvis_rest
from slahmr_opt.result import Result, WorldEstimate
from slahmr_opt.scene import Scene, Visibility

__all__ = [
    "SLAHMR_NUM_BETAS",
    "STAGE_DIRS",
    "TRACK_INFO",
    "original_track_ids",
    "original_world_results",
    "world_results_arrays",
    "write_original_results",
]

STAGE_DIRS = {"init": "init", "root": "root_fit", "smooth": "smooth_fit", "motion": "motion_chunks"}
"""Our pass → the original's stage folder (``run_opt.py:97``, ``optim/optimizers.py:316, 400,
555``)."""

SLAHMR_NUM_BETAS = 16
"""Shape coefficients of the original's SMPL-H body (``util/loaders.py:40``)."""

TRACK_INFO = "track_info.json"


def world_results_arrays(estimate: WorldEstimate) -> dict[str, np.ndarray]:
    """Our ``world_results.npz``: the original's field names over all scene frames, float64.

    People are stacked in the estimate's order and zero outside each track (``track_mask`` says
    where the motion is defined); the cameras are given for every frame.

    Returns:
        dict: ``trans`` (B, T, 3), ``root_orient`` (B, T, 3), ``pose_body`` (B, T, 63),
        ``betas`` (B, nb) (zero-padded to the largest count), ``cam_R`` (B, T, 3, 3), ``cam_t``
        (B, T, 3) (world→camera, translation × α, metres), ``intrins`` (T, 4), ``world_scale``
        (1,), ``track_mask`` (B, T) bool, ``track_id`` (B,) str, and with a floor
        ``floor_plane`` (1, 3) = n·d (world frame) and ``floor_idcs`` (B,) int64 zeros.
    """
    cams = estimate.cameras
    T = cams.num_frames
    B = len(estimate.people)
    nb = max((p.betas.size for p in estimate.people), default=0)
    trans = np.zeros((B, T, 3))
    root = np.zeros((B, T, 3))
    body = np.zeros((B, T, 3 * HUMOR_BODY_JOINTS))
    betas = np.zeros((B, nb))
    mask = np.zeros((B, T), dtype=bool)
    for b, p in enumerate(estimate.people):
        if p.end > T:
            raise ValueError(
                f"person {p.track_id!r}: frames [{p.start}, {p.end}) exceed the cameras' {T} frames"
            )
        f = p.frames
        trans[b, f] = p.transl
        root[b, f] = p.global_orient
        body[b, f] = p.body_pose[:, :HUMOR_BODY_JOINTS].reshape(len(f), -1)
        betas[b, : p.betas.size] = p.betas
        mask[b, f] = True
    out = {
        "trans": trans,
        "root_orient": root,
        "pose_body": body,
        "betas": betas,
        "cam_R": np.broadcast_to(cams.R, (B, T, 3, 3)).copy(),
        "cam_t": np.broadcast_to(estimate.alpha * cams.t, (B, T, 3)).copy(),
        "intrins": cams.intrinsics,
        "world_scale": np.array([estimate.alpha]),
        "track_mask": mask,
        "track_id": np.array([p.track_id for p in estimate.people]),
    }
    if estimate.floor is not None:
        n, d = estimate.floor
        out["floor_plane"] = (np.asarray(n, dtype=np.float64) * float(d))[None]
        out["floor_idcs"] = np.zeros(B, dtype=np.int64)
    return out


def original_track_ids(ids: list[str]) -> list[int]:
    """The integer track ids the original keys ``track_info.json`` by (it calls ``int(tid)``):
    our ids when they are all distinct integers (SLAHMR's ``001``…), else 1, 2, …"""
    if all(i.isdigit() for i in ids) and len({int(i) for i in ids}) == len(ids):
        return [int(i) for i in ids]
    return list(range(1, len(ids) + 1))


def _span(estimate: WorldEstimate) -> tuple[int, int]:
    """The frames the tracks span (the original's ``seq_interval``, ``data/dataset.py:139-161``)."""
    if not estimate.people:
        return 0, estimate.cameras.num_frames
    return min(p.start for p in estimate.people), max(p.end for p in estimate.people)


def original_world_results(
    estimate: WorldEstimate, body, span: tuple[int, int] | None = None
) -> dict[str, np.ndarray]:
    """One stage's ``*_world_results.npz`` arrays as the original writes them.

    The world is the original's: the first camera's frame made metric (``x_c0 = R₀ x + α t₀``),
    so ``cam_R[:, 0]`` is the identity, and the floor plane ``n·d`` is in that frame (it parses
    it with ``n_y ≤ 0``, ``geometry/plane.py:49-65``). Arrays are float32 as torch's; frames
    outside a person's track repeat its first / last pose (``track_mask`` is False there).

    Args:
        estimate: the state of one pass.
        body: the body model the motion was fitted with (its rest pelvis moves SMPL parameters).
        span: scene frames ``[s, e)`` to write (default: those the tracks span).

    Returns:
        ``trans``, ``root_orient`` (B, S, 3), ``pose_body`` (B, S, 63), ``betas`` (B, 16 or the
        body's count if larger, zero-padded), ``cam_R`` (B, S, 3, 3), ``cam_t`` (B, S, 3)
        (world→camera, metres), ``intrins`` (4,), ``world_scale`` (1, 1), ``track_mask`` (B, S)
        bool and, with a floor, ``floor_plane`` (1, 3) and ``floor_idcs`` (B,) int64.
    """
    cams, alpha = estimate.cameras, estimate.alpha
    s, e = span if span is not None else _span(estimate)
    S, B = e - s, len(estimate.people)
    R0, t0 = cams.R[0], alpha * cams.t[0]
    cam_R = cams.R[s:e] @ R0.T
    cam_t = alpha * cams.t[s:e] - np.einsum("tij,j->ti", cam_R, t0)
    nb = max(SLAHMR_NUM_BETAS, int(body.num_betas))
    out = {
        "trans": np.zeros((B, S, 3)),
        "root_orient": np.zeros((B, S, 3)),
        "pose_body": np.zeros((B, S, 3 * HUMOR_BODY_JOINTS)),
        "betas": np.zeros((B, nb)),
        "track_mask": np.zeros((B, S), dtype=bool),
    }
    for b, p in enumerate(estimate.people):
        pelvis = torch.from_numpy(pelvis_rest(body, p.betas)).expand(p.num_frames, 3)
        go, tr = world_to_camera_smpl(
            torch.from_numpy(R0).expand(p.num_frames, 3, 3),
            torch.from_numpy(t0).expand(p.num_frames, 3),
            torch.from_numpy(p.global_orient),
            torch.from_numpy(p.transl),
            pelvis,
        )
        rows = np.clip(np.arange(s, e) - p.start, 0, p.num_frames - 1)
        out["trans"][b] = tr.numpy()[rows]
        out["root_orient"][b] = go.numpy()[rows]
        out["pose_body"][b] = p.body_pose[rows, :HUMOR_BODY_JOINTS].reshape(S, -1)
        out["betas"][b, : p.betas.size] = p.betas
        out["track_mask"][b] = (np.arange(s, e) >= p.start) & (np.arange(s, e) < p.end)
    out["cam_R"] = np.broadcast_to(cam_R, (B, S, 3, 3))
    out["cam_t"] = np.broadcast_to(cam_t, (B, S, 3))
    out["intrins"] = cams.intrinsics[s]
    out["world_scale"] = np.array([[alpha]])
    if estimate.floor is not None:
        n_c, d_c = transform_plane(*estimate.floor, R0, t0)
        out["floor_plane"] = (n_c * d_c)[None]
        out["floor_idcs"] = np.zeros(B, dtype=np.int64)
    return {
        k: v.astype(np.float32) if v.dtype.kind == "f" else np.ascontiguousarray(v)
        for k, v in out.items()
    }


def _track_info(estimate: WorldEstimate, scene: Scene | None) -> dict[str, Any]:
    T = estimate.cameras.num_frames
    ids = [p.track_id for p in estimate.people]
    tracks = {}
    for i, (p, key) in enumerate(zip(estimate.people, original_track_ids(ids), strict=True)):
        seen = np.zeros(T, dtype=bool)
        if scene is not None and p.track_id in scene.track_ids:
            t = scene.track(p.track_id)
            seen[t.start : t.end] = t.visibility == int(Visibility.VISIBLE)
        else:
            seen[p.frames] = True
        tracks[str(key)] = {"index": i, "vis_mask": seen.tolist(), "name": p.track_id}
    return {
        "tracks": tracks,
        "meta": {"seq_interval": list(_span(estimate)), "data_interval": [0, T]},
    }


def write_original_results(
    folder: str | os.PathLike,
    result: Result,
    body,
    *,
    scene: Scene | None = None,
    seq: str = "seq",
) -> list[Path]:
    """Write ``result`` in the original's layout under ``folder`` (see the module docstring).

    Writes ``track_info.json`` (keys: integer track ids, :func:`original_track_ids`; per track
    ``index``, ``vis_mask`` over the scene frames, and ``name``, our id),
    ``init/<seq>_000000_init_world_results.npz`` and, for every stage that ran,
    ``<stage>/<seq>_<iter:06d>_world_results.npz`` with the pass's outer steps as the iteration
    (older ``*_world_results.npz`` files in those folders are removed first).

    Returns:
        The files written.
    """
    folder = Path(folder)
    seq = seq.replace("/", "_")
    estimate = result.to_estimate()
    written = [write_json_atomic(folder / TRACK_INFO, _track_info(estimate, scene), indent=None)]
    span = _span(estimate)
    for stage in STAGE_DIRS.values():  # a rerun's iteration counts may differ: no stale files
        for old in (folder / stage).glob("*_world_results.npz"):
            old.unlink()
    for name, p in result.passes.items():
        if name not in STAGE_DIRS:
            continue
        it = f"{0:06d}_init" if name == "init" else f"{p.steps:06d}"
        path = folder / STAGE_DIRS[name] / f"{seq}_{it}_world_results.npz"
        arrays = original_world_results(result.to_estimate(name), body, span)
        written.append(write_npz_atomic(path, arrays))
    return written
