"""WHAM's preprocessing outputs (``demo.py``): ``tracking_results.pth`` (ViTPose COCO-17 keypoints
per subject), written with ``joblib.dump``.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.io.common import check_frames, read_torch_file, to_numpy
from slahmr_opt.io.keypoints import KeypointTrack, body25_to_coco17_array, keypoints_to_body25

__all__ = [
    "read_wham_tracking_results",
    "wham_tracking_results_to_keypoints",
    "write_wham_tracking_results",
]


def wham_tracking_results_to_keypoints(data: Any, label: str) -> dict[str, KeypointTrack]:
    """Convert a loaded WHAM ``tracking_results`` dict to keypoint tracks.

    Fields read per subject id: ``frame_id`` (N,) frame indices and ``keypoints`` (N, 17, 3)
    COCO-17 x, y, confidence (numpy arrays or tensors). ``bbox``, ``features`` and the rest are
    ignored.

    Args:
        data: subject id → record.
        label: the file it came from, for messages.

    Returns:
        subject id (as a string) → keypoints (BODY_25).
    """
    if not isinstance(data, Mapping) or not data:
        raise ValueError(
            f"{label}: expected a non-empty dict subject id → {{'frame_id', 'keypoints'}} "
            "(WHAM tracking_results)"
        )
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
        kp = keypoints_to_body25(to_numpy(rec["keypoints"]), layout="coco17", label=sub)
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
    return out


def read_wham_tracking_results(
    path: str | os.PathLike, *, trust_pickle: bool = False
) -> dict[str, KeypointTrack]:
    """Read WHAM's ``tracking_results.pth`` (a joblib pickle) as keypoint tracks.

    See :func:`wham_tracking_results_to_keypoints` for the fields read. The file is a pickle, so
    it is read only with ``trust_pickle=True``.
    """
    data = read_torch_file(path, trust_pickle=trust_pickle, what="WHAM tracking_results")
    return wham_tracking_results_to_keypoints(data, str(path))


def write_wham_tracking_results(path: str | os.PathLike, tracks: Iterable[KeypointTrack]) -> Path:
    """Write keypoint tracks in WHAM's ``tracking_results`` layout (a plain pickle).

    Per track: ``frame_id`` (N,) int64, ``keypoints`` (N, 17, 3) COCO-17 float64, ``bbox``
    (N, 3) centre x, y and scale (max side / 200) of the confident keypoints' box.
    Track ids that are integers are written as ints (as WHAM does).

    Returns:
        The path written.
    """
    data = {}
    for kt in tracks:
        coco = body25_to_coco17_array(kt.keypoints)
        key: Any = int(kt.track_id) if kt.track_id.isdigit() else kt.track_id
        data[key] = {
            "frame_id": kt.frames.copy(),
            "keypoints": coco,
            "bbox": _center_scale(coco),
            "features": [],
        }
    return write_bytes_atomic(path, pickle.dumps(data, protocol=4))


def _center_scale(coco: np.ndarray) -> np.ndarray:
    out = np.zeros((coco.shape[0], 3))
    for i, row in enumerate(coco):
        pts = row[row[:, 2] > 0, :2]
        if len(pts) == 0:
            continue
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        out[i] = [*(0.5 * (lo + hi)), max(hi - lo) / 200.0]
    return out
