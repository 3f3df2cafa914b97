"""2D keypoints: joint layouts (OpenPose BODY_25, COCO-17) and keypoint array files.

Every reader returns keypoints in OpenPose BODY_25 order, ``(..., 25, 3)``: x, y in pixels and a
confidence. COCO-17 keypoints (ViTPose, WHAM, GVHMR) are scattered into BODY_25 slots with the
original SLAHMR map :data:`~slahmr_opt.body.joint_maps.COCO17_TO_BODY25`; neck (1), mid-hip (8)
and the six foot points (19–24) have no COCO source and stay zero (confidence 0).

Per-person keypoints are :class:`KeypointTrack` (source frame indices + BODY_25 rows). Files
read here (docs/formats.md, "Keypoints"): ``.npy`` (T, J, 3), ``.npz`` with ``keypoints``
(N, J, 3) and optional ``frames`` (N,), JSON in the COCO results form (``image_id``,
``keypoints`` flat, optional ``track_id``) or ``{"frames", "keypoints"}``; J = 17 or 25.
OpenPose JSON is in :mod:`~slahmr_opt.io.openpose`, WHAM's and GVHMR's files in
:mod:`~slahmr_opt.io.wham_inputs` and :mod:`~slahmr_opt.io.gvhmr_inputs`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from slahmr_opt.body.joint_maps import COCO17_TO_BODY25
from slahmr_opt.files import write_bytes_atomic, write_json_atomic, write_npz_atomic
from slahmr_opt.io.common import (
    as_numeric_array,
    check_finite,
    check_frames,
    npy_bytes,
    read_json_file,
    read_npy_file,
    read_npz_file,
)

__all__ = [
    "KEYPOINT_LAYOUTS",
    "ConfidenceClips",
    "KeypointLayout",
    "KeypointTrack",
    "body25_to_coco17_array",
    "coco17_to_body25_array",
    "keypoint_array_track",
    "keypoints_to_body25",
    "read_keypoint_arrays",
    "write_coco_results_json",
    "write_keypoint_array",
]

KEYPOINT_LAYOUTS: dict[str, int] = {"body25": 25, "coco17": 17}
"""Keypoint layouts the readers know, by name → number of joints."""

KeypointLayout = Literal["auto", "body25", "coco17"]

log = logging.getLogger(__name__)


def coco17_to_body25_array(coco: np.ndarray) -> np.ndarray:
    """Scatter COCO-17 keypoints into BODY_25 slots (numpy; the original SLAHMR map).

    Args:
        coco: (..., 17, C) keypoints, COCO order.

    Returns:
        (..., 25, C) float64; neck, mid-hip and the six foot slots are zero.
    """
    coco = np.asarray(coco, dtype=np.float64)
    out = np.zeros(coco.shape[:-2] + (25, coco.shape[-1]))
    out[..., list(COCO17_TO_BODY25), :] = coco
    return out


def body25_to_coco17_array(body25: np.ndarray) -> np.ndarray:
    """Gather the COCO-17 keypoints out of BODY_25 slots (inverse of the scatter above).

    Args:
        body25: (..., 25, C) keypoints, BODY_25 order.

    Returns:
        (..., 17, C) float64 in COCO order.
    """
    return np.asarray(body25, dtype=np.float64)[..., list(COCO17_TO_BODY25), :]


@dataclass(eq=False)
class ConfidenceClips:
    """Keypoint confidences above 1 clipped to 1 while reading one source.

    ViTPose (through mmpose) reports each joint's confidence as the heatmap maximum, which can
    exceed 1 (mmpose issues #666, #884, #1324); WHAM's ``tracking_results.pth``, GVHMR's
    ``vitpose.pt`` and SLAHMR's PHALP pickle carry them as written. The policy: values above 1
    become 1 and the reader says so once (:meth:`report`); negative or non-finite values are
    errors. The solver's confidence threshold and weights apply afterwards as usual.

    Attributes:
        source: the file or folder read, for the message.
        count: confidences clipped so far.
        largest: the largest confidence seen (1.0 when none was clipped).
    """

    source: str
    count: int = 0
    largest: float = 1.0
    _reported: bool = False

    def clip(self, conf: np.ndarray) -> np.ndarray:
        """``conf`` with values above 1 set to 1, counted here."""
        over = conf > 1.0
        if np.any(over):
            self.count += int(np.count_nonzero(over))
            self.largest = max(self.largest, float(conf[over].max()))
            conf = np.minimum(conf, 1.0)
        return conf

    def message(self) -> str | None:
        """What was clipped, or None when nothing was."""
        if self.count == 0:
            return None
        return (
            f"{self.source}: {self.count} keypoint confidence(s) above 1 (largest "
            f"{self.largest:.4g}, heatmap maxima as ViTPose/mmpose write them) were clipped to 1"
        )

    def report(self) -> str | None:
        """Log :meth:`message` once (WARNING) and return it; later calls only return it."""
        msg = self.message()
        if msg is not None and not self._reported:
            log.warning(msg)
            self._reported = True
        return msg


def keypoints_to_body25(
    keypoints: Any,
    *,
    layout: KeypointLayout = "auto",
    label: str,
    field: str = "keypoints",
    clips: ConfidenceClips | None = None,
) -> np.ndarray:
    """Validate 2D keypoints and return them in BODY_25 order.

    Confidences above 1 are clipped to 1 (:class:`ConfidenceClips`): counted in ``clips`` when
    given (the caller reports once for its whole source), else reported here.

    Args:
        keypoints: (..., J, 3) x, y (pixels), confidence ≥ 0; J = 25 (BODY_25) or 17 (COCO-17).
        layout: "body25", "coco17", or "auto" (by J).
        label, field: file and field, for messages.
        clips: collects clipped confidences for one report per source.

    Returns:
        (..., 25, 3) float64, confidences in [0, 1].
    """
    arr = as_numeric_array(keypoints, label, field)
    if arr.ndim < 2 or arr.shape[-1] != 3:
        raise ValueError(
            f"{label}: field {field!r} has shape {arr.shape}, expected (..., J, 3) with x, y, "
            "confidence per joint"
        )
    joints = arr.shape[-2]
    if layout == "auto":
        by_count = {n: name for name, n in KEYPOINT_LAYOUTS.items()}
        if joints not in by_count:
            raise ValueError(
                f"{label}: field {field!r} has {joints} joints per person, an unknown keypoint "
                "layout; expected 25 (OpenPose BODY_25) or 17 (COCO-17)"
            )
        layout = by_count[joints]  # type: ignore[assignment]
    elif layout not in KEYPOINT_LAYOUTS:
        raise ValueError(
            f"{label}: unknown keypoint layout {layout!r}; expected one of "
            f"{sorted(KEYPOINT_LAYOUTS)} or 'auto'"
        )
    elif joints != KEYPOINT_LAYOUTS[layout]:
        raise ValueError(
            f"{label}: field {field!r} has {joints} joints per person, expected "
            f"{KEYPOINT_LAYOUTS[layout]} for layout {layout!r}"
        )
    check_finite(arr, label, field)
    conf = arr[..., 2]
    if np.any(conf < 0):
        bad = tuple(int(i) for i in np.argwhere(conf < 0)[0])
        raise ValueError(
            f"{label}: field {field!r} holds confidence {conf[bad]} at index {bad}; expected "
            "confidences ≥ 0 (values above 1 are clipped to 1)"
        )
    if np.any(conf > 1):
        own = clips is None
        clips = ConfidenceClips(label) if own else clips
        arr[..., 2] = clips.clip(conf)
        if own:
            clips.report()
    return coco17_to_body25_array(arr) if layout == "coco17" else arr


@dataclass(eq=False)
class KeypointTrack:
    """2D keypoints of one person at some frames of a video.

    Attributes:
        track_id: the person's id in its source.
        frames: (N,) int64 strictly increasing 0-based frame indices of the video.
        keypoints: (N, 25, 3) BODY_25 x, y (pixels), confidence.
    """

    track_id: str
    frames: np.ndarray
    keypoints: np.ndarray

    def __post_init__(self) -> None:
        label = f"keypoints of track {self.track_id!r}"
        self.frames = check_frames(self.frames, label)
        self.keypoints = keypoints_to_body25(self.keypoints, layout="body25", label=label)
        if self.keypoints.shape != (self.frames.size, 25, 3):
            raise ValueError(
                f"{label}: keypoints have shape {self.keypoints.shape}, expected "
                f"({self.frames.size}, 25, 3) (one row per frame)"
            )


def _coco_results(
    data: list, label: str, default_id: str, layout: KeypointLayout, clips: ConfidenceClips
) -> dict:
    grouped: dict[str, dict[int, np.ndarray]] = {}
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or "image_id" not in entry or "keypoints" not in entry:
            raise ValueError(
                f"{label}: entry [{i}] must be an object with 'image_id' (frame index) and "
                "'keypoints' (flat x, y, score list), as in COCO results"
            )
        frame = entry["image_id"]
        if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
            raise ValueError(
                f"{label}: field '[{i}].image_id' is {frame!r}, expected a frame index ≥ 0"
            )
        flat = as_numeric_array(entry["keypoints"], label, f"[{i}].keypoints")
        if flat.ndim != 1 or flat.size % 3 != 0:
            raise ValueError(
                f"{label}: field '[{i}].keypoints' has shape {flat.shape}, expected a flat list "
                "of x, y, score triples"
            )
        row = keypoints_to_body25(
            flat.reshape(-1, 3), layout=layout, label=label, field=f"[{i}].keypoints", clips=clips
        )
        tid = str(entry["track_id"]) if "track_id" in entry else default_id
        per_frame = grouped.setdefault(tid, {})
        if frame in per_frame:
            raise ValueError(
                f"{label}: track {tid!r} has two entries for image_id {frame}; expected one "
                "detection per track and frame (add 'track_id' to tell people apart)"
            )
        per_frame[frame] = row
    if not grouped:
        raise ValueError(f"{label}: empty track: the JSON list holds no detections")
    return {
        tid: KeypointTrack(
            tid, np.array(sorted(pf), dtype=np.int64), np.stack([pf[f] for f in sorted(pf)])
        )
        for tid, pf in grouped.items()
    }


def keypoint_array_track(
    tid: str,
    keypoints: Any,
    frames: Any,
    label: str,
    layout: KeypointLayout,
    clips: ConfidenceClips | None = None,
) -> KeypointTrack:
    """One person's keypoints from an (N, J, 3) array and its (N,) frames (default 0 … N−1)."""
    kp = keypoints_to_body25(keypoints, layout=layout, label=label, clips=clips)
    if kp.ndim != 3:
        raise ValueError(
            f"{label}: field 'keypoints' has shape {kp.shape}, expected (N, J, 3) for one person"
        )
    if kp.shape[0] == 0:
        raise ValueError(f"{label}: empty track: field 'keypoints' holds no frames")
    if frames is None:
        frames = np.arange(kp.shape[0])
    frames = check_frames(frames, label)
    if frames.size != kp.shape[0]:
        raise ValueError(
            f"{label}: field 'frames' has {frames.size} entries but 'keypoints' has "
            f"{kp.shape[0]} rows; expected one frame index per row"
        )
    return KeypointTrack(tid, frames, kp)


def _read_keypoint_file(
    path: Path, layout: KeypointLayout, clips: ConfidenceClips
) -> dict[str, KeypointTrack]:
    label = str(path)
    tid = path.stem
    if path.suffix == ".npy":
        return {
            tid: keypoint_array_track(
                tid, read_npy_file(path, "keypoints"), None, label, layout, clips
            )
        }
    if path.suffix == ".npz":
        z = read_npz_file(path, "keypoints")
        if "keypoints" not in z:
            raise ValueError(f"{label}: field 'keypoints' missing (has {sorted(z)})")
        return {
            tid: keypoint_array_track(tid, z["keypoints"], z.get("frames"), label, layout, clips)
        }
    if path.suffix == ".json":
        data = read_json_file(path, "keypoints")
        if isinstance(data, list):
            return _coco_results(data, label, tid, layout, clips)
        if isinstance(data, dict) and "keypoints" in data:
            return {
                tid: keypoint_array_track(
                    tid, data["keypoints"], data.get("frames"), label, layout, clips
                )
            }
        raise ValueError(
            f"{label}: expected a COCO results list [{{'image_id', 'keypoints'}}] or an object "
            "{'keypoints': (N, J, 3), 'frames': (N,)}"
        )
    raise ValueError(
        f"{label}: unknown keypoint file type {path.suffix!r}; expected .npy, .npz or .json"
    )


def read_keypoint_arrays(
    path: str | os.PathLike,
    *,
    layout: KeypointLayout = "auto",
    clips: ConfidenceClips | None = None,
) -> dict[str, KeypointTrack]:
    """Read keypoint arrays (ViTPose COCO-17 or BODY_25) from a file or a folder of files.

    Files (track id = file stem unless the JSON names it):

    - ``.npy``: (T, J, 3) for one person at frames ``0 … T−1``;
    - ``.npz``: ``keypoints`` (N, J, 3) and optional ``frames`` (N,) frame indices;
    - ``.json``: a COCO results list ``[{"image_id": frame, "keypoints": [x, y, s] × J,
      "track_id": id (optional)}]``, or ``{"keypoints": (N, J, 3), "frames": (N,)}``.

    J = 17 is COCO-17 (scattered into BODY_25 slots), J = 25 is BODY_25.

    Args:
        path: a file, or a folder whose ``.npy``/``.npz``/``.json`` files are each read.
        layout: "auto" (by J), "coco17" or "body25".
        clips: collects confidences above 1 (reported here when not given).

    Returns:
        track id → keypoints (BODY_25).
    """
    path = Path(path)
    own = ConfidenceClips(str(path)) if clips is None else clips
    if path.is_dir():
        files = sorted(
            p for p in path.iterdir() if p.is_file() and p.suffix in (".npy", ".npz", ".json")
        )
        if not files:
            raise ValueError(f"{path}: no .npy, .npz or .json keypoint files")
        out: dict[str, KeypointTrack] = {}
        for f in files:
            for tid, kt in _read_keypoint_file(f, layout, own).items():
                if tid in out:
                    raise ValueError(f"{f}: track id {tid!r} appears in two files")
                out[tid] = kt
    elif path.is_file():
        out = _read_keypoint_file(path, layout, own)
    else:
        raise ValueError(f"{path}: file not found (keypoints)")
    if clips is None:
        own.report()
    return out


def write_keypoint_array(
    path: str | os.PathLike,
    track: KeypointTrack,
    *,
    layout: Literal["coco17", "body25"] = "coco17",
) -> Path:
    """Write one person's keypoints as ``.npy`` (frames must be ``0 … N−1``) or ``.npz``.

    Args:
        path: destination; its suffix picks the format.
        track: the keypoints (BODY_25; COCO-17 is gathered out of them for layout "coco17").
        layout: joint layout to write.

    Returns:
        The path written.
    """
    path = Path(path)
    kp = body25_to_coco17_array(track.keypoints) if layout == "coco17" else track.keypoints
    if path.suffix == ".npy":
        if not np.array_equal(track.frames, np.arange(track.frames.size)):
            raise ValueError(f"{str(path)}: .npy holds no frame indices; frames must be 0…N−1")
        buf = npy_bytes(kp)
        return write_bytes_atomic(path, buf)
    if path.suffix == ".npz":
        return write_npz_atomic(path, {"keypoints": kp, "frames": track.frames})
    raise ValueError(f"{str(path)}: expected a .npy or .npz destination")


def write_coco_results_json(
    path: str | os.PathLike, tracks: Iterable[KeypointTrack], *, with_track_ids: bool = True
) -> Path:
    """Write keypoint tracks as a COCO results JSON list (COCO-17, one entry per detection).

    Each entry: ``image_id`` (frame index), ``category_id`` 1, ``keypoints`` (51 numbers),
    ``score`` (mean confidence) and, with ``with_track_ids``, ``track_id``.

    Returns:
        The path written.
    """
    entries = []
    for kt in tracks:
        coco = body25_to_coco17_array(kt.keypoints)
        for frame, row in zip(kt.frames, coco, strict=True):
            entry = {
                "image_id": int(frame),
                "category_id": 1,
                "keypoints": [float(v) for v in row.reshape(-1)],
                "score": float(row[:, 2].mean()),
            }
            if with_track_ids:
                entry["track_id"] = kt.track_id
            entries.append(entry)
    return write_json_atomic(path, entries)
