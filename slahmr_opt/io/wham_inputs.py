"""WHAM's preprocessing outputs (yohanshin/WHAM ``demo.py:73-88``), both written with
``joblib.dump``:

- ``tracking_results.pth``: subject id (``np.int64``, from ``np.unique``) → record with
  ``frame_id`` (N,) int, ``keypoints`` (N, 17, 3) ViTPose COCO-17 (x, y, heatmap maximum, which
  can exceed 1), ``bbox`` (N, 3) centre and scale, ``features`` (N, 1024) torch and the HMR2
  initial pose tensors (``lib/models/preproc/detector.py:122-146``,
  ``lib/models/preproc/extractor.py:90-112``);
- ``slam_results.pth``: (N, 7) DPVO rows ``tx ty tz qx qy qz qw`` camera→world
  (``lib/models/preproc/slam.py:65-70``), or, when DPVO is not installed, the static fallback
  ``np.zeros((N, 7))`` with column 3 set to 1 (``demo.py:77-79``). WHAM reads column 3 as ``qx``
  (``lib/data/datasets/dataset_custom.py:18-22``), so read as a trajectory that fallback is a
  camera turned 180° about x; WHAM only uses relative rotations, but a reader must see it as what
  it is: a static camera (:func:`is_wham_static_fallback`).
"""

from __future__ import annotations

import io
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.io.common import check_frames, read_torch_file, to_numpy
from slahmr_opt.io.keypoints import (
    ConfidenceClips,
    KeypointTrack,
    body25_to_coco17_array,
    keypoints_to_body25,
)

__all__ = [
    "WHAM_STATIC_ROW",
    "is_wham_static_fallback",
    "read_wham_tracking_results",
    "wham_tracking_results_to_keypoints",
    "write_wham_slam_results",
    "write_wham_tracking_results",
]

WHAM_STATIC_ROW = np.array([0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0])
"""Every row of WHAM's ``slam_results`` when it ran without SLAM (``demo.py:78-79``)."""


def is_wham_static_fallback(rows: np.ndarray) -> bool:
    """Whether (T, 7) trajectory rows are WHAM's static-camera fallback (every row
    :data:`WHAM_STATIC_ROW` exactly)."""
    rows = np.asarray(rows)
    return rows.ndim == 2 and rows.shape[1] == 7 and bool(np.all(rows == WHAM_STATIC_ROW))


def wham_tracking_results_to_keypoints(
    data: Any, label: str, *, clips: ConfidenceClips | None = None
) -> dict[str, KeypointTrack]:
    """Convert a loaded WHAM ``tracking_results`` dict to keypoint tracks.

    Fields read per subject id: ``frame_id`` (N,) frame indices and ``keypoints`` (N, 17, 3)
    COCO-17 x, y, confidence (numpy arrays or tensors; confidences above 1 are clipped to 1,
    see :class:`~slahmr_opt.io.keypoints.ConfidenceClips`). ``bbox``, ``features``, the
    ``init_*`` tensors and the ``flipped_*`` fields are ignored.

    Args:
        data: subject id → record.
        label: the file it came from, for messages.
        clips: collects confidences above 1 (reported here when not given).

    Returns:
        subject id (as a string) → keypoints (BODY_25).
    """
    if not isinstance(data, Mapping) or not data:
        raise ValueError(
            f"{label}: expected a non-empty dict subject id → {{'frame_id', 'keypoints'}} "
            "(WHAM tracking_results)"
        )
    own = ConfidenceClips(label) if clips is None else clips
    out = {}
    for sid, rec in data.items():
        sid = to_numpy(sid)
        tid = str(sid.item() if hasattr(sid, "item") else sid)
        if not isinstance(rec, Mapping):
            raise ValueError(f"{label}: subject {tid!r} must map to a dict")
        for key in ("frame_id", "keypoints"):
            if key not in rec:
                raise ValueError(f"{label}: subject {tid!r}: field {key!r} missing")
        sub = f"{label} (subject {tid!r})"
        kp = keypoints_to_body25(to_numpy(rec["keypoints"]), layout="coco17", label=sub, clips=own)
        if kp.ndim != 3 or kp.shape[0] == 0:
            raise ValueError(
                f"{sub}: field 'keypoints' has {kp.shape[:-2]} leading dims, expected (N, 17, 3) "
                "with N ≥ 1 (empty track otherwise)"
            )
        frames = check_frames(np.asarray(to_numpy(rec["frame_id"])).reshape(-1), sub, "frame_id")
        if frames.size != kp.shape[0]:
            raise ValueError(
                f"{sub}: field 'frame_id' has {frames.size} entries but 'keypoints' has "
                f"{kp.shape[0]} rows"
            )
        if tid in out:
            raise ValueError(f"{label}: subject id {tid!r} appears twice")
        out[tid] = KeypointTrack(tid, frames, kp)
    if clips is None:
        own.report()
    return out


def read_wham_tracking_results(
    path: str | os.PathLike,
    *,
    trust_pickle: bool = False,
    clips: ConfidenceClips | None = None,
) -> dict[str, KeypointTrack]:
    """Read WHAM's ``tracking_results.pth`` (a joblib pickle) as keypoint tracks.

    See :func:`wham_tracking_results_to_keypoints` for the fields read. The file is a pickle, so
    it is read only with ``trust_pickle=True``.
    """
    data = read_torch_file(path, trust_pickle=trust_pickle, what="WHAM tracking_results")
    return wham_tracking_results_to_keypoints(data, str(path), clips=clips)


def _joblib_bytes(obj: Any) -> bytes:
    import joblib

    buf = io.BytesIO()
    joblib.dump(obj, buf)
    return buf.getvalue()


def write_wham_tracking_results(path: str | os.PathLike, tracks: Iterable[KeypointTrack]) -> Path:
    """Write keypoint tracks as WHAM's ``tracking_results.pth`` (``joblib.dump``, as WHAM does).

    The container is a ``defaultdict(dict)`` keyed by ``np.int64`` subject ids (other ids stay
    strings); per subject ``frame_id`` (N,) int64, ``keypoints`` (N, 17, 3) COCO-17 float32,
    ``bbox`` (N, 3) centre x, y and scale (max side × 1.2 / 200 of the confident keypoints' box,
    ``detector.py:61-77``), ``features`` (N, 1024) float32 torch zeros and the
    ``init_global_orient`` (1, 1, 3, 3), ``init_body_pose`` (1, 23, 3, 3), ``init_betas``
    (1, 10) torch tensors that ``extractor.py:93-96`` adds (identity rotations, zero betas).

    Returns:
        The path written.
    """
    import torch

    data: defaultdict = defaultdict(dict)
    for kt in tracks:
        coco = body25_to_coco17_array(kt.keypoints).astype(np.float32)
        key: Any = np.int64(kt.track_id) if kt.track_id.isdigit() else kt.track_id
        n = kt.frames.size
        data[key] = {
            "frame_id": kt.frames.astype(np.int64),
            "bbox": _center_scale(coco),
            "keypoints": coco,
            "features": torch.zeros(n, 1024),
            "init_global_orient": torch.eye(3).expand(1, 1, 3, 3).clone(),
            "init_body_pose": torch.eye(3).expand(1, 23, 3, 3).clone(),
            "init_betas": torch.zeros(1, 10),
        }
    return write_bytes_atomic(path, _joblib_bytes(data))


def write_wham_slam_results(path: str | os.PathLike, rows: np.ndarray) -> Path:
    """Write (N, 7) trajectory rows as WHAM's ``slam_results.pth`` (``joblib.dump`` of the array).

    Pass ``np.tile(WHAM_STATIC_ROW, (N, 1))`` for the file WHAM writes without SLAM.
    """
    rows = np.asarray(rows, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != 7:
        raise ValueError(f"{path}: rows must have shape (N, 7), got {rows.shape}")
    return write_bytes_atomic(path, _joblib_bytes(rows))


def _center_scale(coco: np.ndarray) -> np.ndarray:
    out = np.zeros((coco.shape[0], 3))
    for i, row in enumerate(coco):
        pts = row[row[:, 2] > 0.3, :2]  # detector.py VIS_THRESH
        if len(pts) == 0:
            continue
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        out[i] = [*(0.5 * (lo + hi)), max(hi - lo) * 1.2 / 200.0]
    return out
