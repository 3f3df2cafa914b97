"""GVHMR's preprocessing output ``vitpose.pt`` (``tools/demo/demo.py``): one person's ViTPose
COCO-17 keypoints over every frame, a torch tensor (L, 17, 3).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.io.common import read_torch_file, to_numpy
from slahmr_opt.io.keypoints import (
    ConfidenceClips,
    KeypointTrack,
    body25_to_coco17_array,
    keypoint_array_track,
)

__all__ = [
    "read_gvhmr_vitpose",
    "write_gvhmr_vitpose",
]


def read_gvhmr_vitpose(
    path: str | os.PathLike,
    *,
    track_id: str = "0",
    trust_pickle: bool = False,
    clips: ConfidenceClips | None = None,
) -> dict[str, KeypointTrack]:
    """Read GVHMR's ``vitpose.pt``: COCO-17 keypoints of one person over every video frame.

    Field read: the saved tensor (L, 17, 3) x, y, confidence (mmpose heatmap maxima: values above
    1 are clipped to 1, :class:`~slahmr_opt.io.keypoints.ConfidenceClips`); row i is frame i
    (``hmr4d/utils/preproc/vitpose.py:60-72``, saved by ``tools/demo/demo.py:112-115``). Loaded with
    ``torch.load(weights_only=True)`` (no code runs); a file that needs a full unpickle is read
    only with ``trust_pickle=True``.

    Args:
        path: the ``vitpose.pt`` file.
        track_id: id to give the person.
        trust_pickle: see :func:`~slahmr_opt.io.common.read_torch_file`.
        clips: collects confidences above 1 (reported here when not given).

    Returns:
        ``{track_id: keypoints}`` (BODY_25) at frames ``0 … L−1``.
    """
    label = str(path)
    data = to_numpy(read_torch_file(path, trust_pickle=trust_pickle, what="GVHMR vitpose"))
    own = ConfidenceClips(label) if clips is None else clips
    out = {track_id: keypoint_array_track(track_id, data, None, label, "coco17", own)}
    if clips is None:
        own.report()
    return out


def write_gvhmr_vitpose(path: str | os.PathLike, track: KeypointTrack) -> Path:
    """Write one person's keypoints as GVHMR's ``vitpose.pt``: ``torch.save`` of a float32
    tensor (L, 17, 3), as GVHMR does.

    The track must cover frames ``0 … L−1`` (GVHMR stores every frame).

    Returns:
        The path written.
    """
    import io

    import torch

    if not np.array_equal(track.frames, np.arange(track.frames.size)):
        raise ValueError(f"{str(path)}: GVHMR vitpose covers frames 0…L−1 with no gaps")
    buf = io.BytesIO()
    torch.save(torch.from_numpy(body25_to_coco17_array(track.keypoints).astype(np.float32)), buf)
    return write_bytes_atomic(path, buf.getvalue())
