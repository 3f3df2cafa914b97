"""WHAM (Shin et al., CVPR 2024) demo output: ``<output_pth>/<video>/wham_output.pkl``.

Written by WHAM's ``demo.py`` (``yohanshin/WHAM``, ``demo.py:155-171``) with
``joblib.dump(results, ...)``: a dict subject id → record with

- ``pose`` (T, 72): camera-frame SMPL axis-angle (root, then 23 body joints);
- ``trans`` (T, 3): camera-frame SMPL ``transl`` (``trans_cam − offset``, so that smplx's SMPL
  with this ``transl`` puts the body where WHAM renders it);
- ``pose_world`` (T, 72), ``trans_world`` (T, 3): world-frame root and ``transl`` (WHAM's own
  EMDB evaluation poses ``trans_world`` as smplx's ``transl``, ``lib/eval/evaluate_emdb.py:148``);
  the demo asks for a y-up world (``return_y_up=True``); every subject has its own world;
- ``betas`` (T, 10) per frame, ``verts`` (T, 6890, 3) camera-frame mesh (not needed),
  ``frame_ids`` (T,) video frame indices.

The body is the neutral SMPL (``build_body_model`` in WHAM). Next to it the demo writes
``tracking_results.pth`` (ViTPose COCO-17 keypoints per subject) and ``slam_results.pth`` (DPVO
camera→world poses), both joblib pickles, which :mod:`slahmr_opt.io.peers.folders` reads to make a
scene for our solver.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.io.body_tracks import BodyTrack
from slahmr_opt.io.common import read_pickle, to_numpy
from slahmr_opt.io.datasets.common import array, require
from slahmr_opt.io.peers.common import PeerResult, PeerTrack

__all__ = ["WHAM_OUTPUT", "read_wham_output"]

WHAM_OUTPUT = "wham_output.pkl"


def _frames(value: object, label: str, n: int) -> np.ndarray:
    frames = np.asarray(to_numpy(value)).reshape(-1)
    if frames.shape != (n,) or frames.dtype.kind not in "iu":
        raise InputError(
            f"{label}: field 'frame_ids' has {frames.dtype} {frames.shape}, expected integer ({n},)"
        )
    return frames.astype(np.int64)


def wham_output_to_peer(data: object, label: str) -> PeerResult:
    """Convert a loaded ``wham_output.pkl`` dict (see the module docstring)."""
    if not isinstance(data, Mapping) or not data:
        raise InputError(f"{label}: expected a non-empty dict subject id → record (wham_output)")
    tracks = []
    for sid, rec in data.items():
        tid = str(to_numpy(sid).item() if hasattr(to_numpy(sid), "item") else sid)
        sub = f"{label} (subject {tid})"
        if not isinstance(rec, Mapping):
            raise InputError(f"{sub}: expected a dict record")
        rec = {k: to_numpy(v) for k, v in rec.items()}
        pose = array(require(rec, "pose", sub), sub, "pose", (None, 72), "(T, 72)")
        n = pose.shape[0]
        trans = array(require(rec, "trans", sub), sub, "trans", (n, 3), f"({n}, 3)")
        pose_w = array(require(rec, "pose_world", sub), sub, "pose_world", (n, 72), f"({n}, 72)")
        trans_w = array(require(rec, "trans_world", sub), sub, "trans_world", (n, 3), f"({n}, 3)")
        betas = array(require(rec, "betas", sub), sub, "betas", (n, None), f"({n}, 10)")
        frames = _frames(require(rec, "frame_ids", sub), sub, n)
        if np.any(np.diff(frames) <= 0):
            raise InputError(f"{sub}: field 'frame_ids' must be strictly increasing")

        def body(root, transl, tid=tid, pose=pose, frames=frames, betas=betas) -> BodyTrack:
            return BodyTrack(tid, frames, root, pose[:, 3:], betas, transl, "smpl", "neutral")

        tracks.append(
            PeerTrack(
                track_id=tid,
                camera=body(pose[:, :3], trans),
                world=body(pose_w[:, :3], trans_w),
            )
        )
    return PeerResult(
        method="wham",
        tracks=tracks,
        source=label,
        world_up=np.array([0.0, 1.0, 0.0]),
        notes=["each WHAM subject lives in its own y-up world frame (WHAM issue #30)"],
    )


def read_wham_output(path: str | os.PathLike, *, trust_pickle: bool = False) -> PeerResult:
    """Read ``wham_output.pkl`` (a joblib pickle: read only with ``trust_pickle=True``).

    Args:
        path: the file, or the WHAM output folder holding it.
    """
    path = Path(path)
    if path.is_dir():
        path = path / WHAM_OUTPUT
    data = read_pickle(path, trust_pickle=trust_pickle, what="WHAM wham_output")
    return wham_output_to_peer(data, str(path))
