"""GVHMR (Shen et al., SIGGRAPH Asia 2024) demo output: ``outputs/demo/<video>/hmr4d_results.pt``.

Written by GVHMR's ``tools/demo/demo.py:299-303`` with ``torch.save(pred)``, where ``pred`` comes
from ``DemoPL.predict`` (``hmr4d/model/gvhmr/gvhmr_pl_demo.py:40-45``):

- ``smpl_params_global`` and ``smpl_params_incam``: dicts of tensors ``body_pose`` (L, 63),
  ``betas`` (L, 10), ``global_orient`` (L, 3), ``transl`` (L, 3) — **SMPL-X** parameters
  (``pipeline/gvhmr_pipeline.py:78-106``) for the neutral SMPL-X model with 10 betas, 12 PCA hand
  components left at zero and ``flat_hand_mean=False`` (``make_smplx("supermotion")``), i.e. the
  model's mean hands; the global frame is gravity-aligned and y-up;
- ``K_fullimg`` (L, 3, 3): the intrinsics it assumed (by default a focal of the image diagonal);
- ``net_outputs``: intermediate tensors (ignored).

The file holds tensors only, so it loads with ``torch.load(weights_only=True)`` and needs no
trust. One person per video (GVHMR tracks the most prominent one); frame ``i`` is video frame
``i``. Next to it, ``preprocess/vitpose.pt`` (COCO-17 keypoints) and ``preprocess/slam_results.pt``
(DPVO) are what :mod:`slahmr_opt.io.peers.folders` reads to make a scene for our solver.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.io.body_tracks import BodyTrack
from slahmr_opt.io.common import read_torch_file, to_numpy
from slahmr_opt.io.datasets.common import array, require
from slahmr_opt.io.peers.common import PeerResult, PeerTrack

__all__ = ["GVHMR_RESULTS", "read_gvhmr_results"]

GVHMR_RESULTS = "hmr4d_results.pt"
GVHMR_TRACK_ID = "0"


def _params(data: Mapping, key: str, label: str, n: int | None) -> dict[str, np.ndarray]:
    sub = require(data, key, label, Mapping)
    sl = f"{label} [{key}]"
    bp = array(to_numpy(require(sub, "body_pose", sl)), sl, "body_pose", (n, 63), "(L, 63)")
    n = bp.shape[0]
    return {
        "body_pose": bp,
        "betas": array(to_numpy(require(sub, "betas", sl)), sl, "betas", (n, None), f"({n}, 10)"),
        "global_orient": array(
            to_numpy(require(sub, "global_orient", sl)), sl, "global_orient", (n, 3), f"({n}, 3)"
        ),
        "transl": array(to_numpy(require(sub, "transl", sl)), sl, "transl", (n, 3), f"({n}, 3)"),
    }


def gvhmr_results_to_peer(data: object, label: str) -> PeerResult:
    """Convert a loaded ``hmr4d_results.pt`` dict (see the module docstring)."""
    if not isinstance(data, Mapping):
        raise InputError(f"{label}: expected a dict (GVHMR hmr4d_results)")
    incam = _params(data, "smpl_params_incam", label, None)
    n = incam["body_pose"].shape[0]
    glob = _params(data, "smpl_params_global", label, n)
    K = array(
        to_numpy(require(data, "K_fullimg", label)), label, "K_fullimg", (None, 3, 3), "(L, 3, 3)"
    )
    if K[0, 0, 0] <= 0 or K[0, 1, 1] <= 0:
        raise InputError(f"{label}: field 'K_fullimg' has non-positive focal lengths")
    frames = np.arange(n)

    def body(p: dict[str, np.ndarray]) -> BodyTrack:
        return BodyTrack(
            track_id=GVHMR_TRACK_ID,
            frames=frames,
            global_orient=p["global_orient"],
            body_pose=p["body_pose"],
            betas=p["betas"],
            transl=p["transl"],
            model="smplx",
            gender="neutral",
            hand_mean=True,
        )

    k0 = K[0]
    return PeerResult(
        method="gvhmr",
        tracks=[PeerTrack(GVHMR_TRACK_ID, camera=body(incam), world=body(glob))],
        source=label,
        intrinsics=np.array([k0[0, 0], k0[1, 1], k0[0, 2], k0[1, 2]]),
        image_size=(int(round(2 * k0[0, 2])), int(round(2 * k0[1, 2]))),
        num_frames=n,
        world_up=np.array([0.0, 1.0, 0.0]),
        notes=["GVHMR predicts SMPL-X (mean hands); one person per video"],
    )


def read_gvhmr_results(path: str | os.PathLike, *, trust_pickle: bool = False) -> PeerResult:
    """Read ``hmr4d_results.pt`` (tensors: safe without ``trust_pickle``).

    Args:
        path: the file, or the GVHMR output folder holding it.
    """
    path = Path(path)
    if path.is_dir():
        path = path / GVHMR_RESULTS
    data = read_torch_file(path, trust_pickle=trust_pickle, what="GVHMR hmr4d_results")
    return gvhmr_results_to_peer(data, str(path))
