"""Readers and writers of 2D keypoints: OpenPose JSON, COCO-17 / BODY_25 arrays, WHAM, GVHMR.

Every reader returns keypoints in OpenPose BODY_25 order, ``(..., 25, 3)``: x, y in pixels and a
confidence in [0, 1]. COCO-17 keypoints (ViTPose, WHAM, GVHMR) are scattered into BODY_25 slots
with the original SLAHMR map :data:`~slahmr_opt.body.joint_maps.COCO17_TO_BODY25`; neck (1),
mid-hip (8) and the six foot points (19–24) have no COCO source and stay zero (confidence 0).
Confidences are kept as the detector wrote them (the original zeroes joints below 0.4 later, when
it builds its data term; no reader here does).

Per-person keypoints come back as :class:`KeypointTrack` (source frame indices + BODY_25 rows).
Formats (docs/formats.md, "Readers"):

- OpenPose JSON, one file per frame: ``{"people": [{"pose_keypoints_2d": [x, y, c] × 25,
  "person_id": [id]}]}`` — :func:`read_openpose_json`, :func:`read_openpose_tracks`.
- Keypoint arrays: ``.npy`` (T, J, 3), ``.npz`` with ``keypoints`` (N, J, 3) and optional
  ``frames`` (N,), JSON in the COCO results form (``image_id``, ``keypoints`` flat, optional
  ``track_id``) or ``{"frames", "keypoints"}``; J = 17 (COCO-17) or 25 (BODY_25) —
  :func:`read_keypoint_arrays`.
- WHAM ``tracking_results.pth`` (a joblib pickle: id → ``frame_id`` (N,), ``keypoints``
  (N, 17, 3)) — :func:`read_wham_tracking_results`, behind ``trust_pickle``.
- GVHMR ``vitpose.pt`` (a torch tensor (L, 17, 3) for one person over all L frames) —
  :func:`read_gvhmr_vitpose`; read with ``torch.load(weights_only=True)``, which runs no code.

This module also holds the helpers the other readers share: :func:`read_pickle` /
:func:`read_torch_file` (pickles are refused unless ``trust_pickle=True``) and
:class:`FrameIndex` (file names → frame indices).

Every error is a ValueError that names the file, the field and the expected form.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from slahmr_opt.body.joint_maps import COCO17_TO_BODY25
from slahmr_opt.errors import InputError
from slahmr_opt.io.atomic import write_bytes_atomic, write_json_atomic, write_npz_atomic
from slahmr_opt.safe_load import load_npy, load_npz, load_pickle, load_torch

__all__ = [
    "KEYPOINT_LAYOUTS",
    "FrameIndex",
    "KeypointTrack",
    "body25_to_coco17_array",
    "coco17_to_body25_array",
    "keypoints_to_body25",
    "read_gvhmr_vitpose",
    "read_keypoint_arrays",
    "read_openpose_json",
    "read_openpose_tracks",
    "read_pickle",
    "read_torch_file",
    "read_wham_tracking_results",
    "wham_tracking_results_to_keypoints",
    "write_coco_results_json",
    "write_gvhmr_vitpose",
    "write_keypoint_array",
    "write_openpose_json",
    "write_openpose_tracks",
    "write_wham_tracking_results",
]

KEYPOINT_LAYOUTS: dict[str, int] = {"body25": 25, "coco17": 17}
"""Keypoint layouts the readers know, by name → number of joints."""

KeypointLayout = Literal["auto", "body25", "coco17"]

OPENPOSE_SUFFIX = "_keypoints"
"""OpenPose names its per-frame files ``<image name>_keypoints.json``."""


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------


def _label(path: str | os.PathLike) -> str:
    return str(path)


def as_numeric_array(value: Any, label: str, field: str) -> np.ndarray:
    """``value`` as a new float64 array, or a ValueError naming the file and the field."""
    try:
        out = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{label}: field {field!r} must be a numeric array ({err})") from None
    return out


def check_finite(array: np.ndarray, label: str, field: str) -> None:
    """Raise a ValueError naming the file, the field and the first non-finite entry."""
    if not np.all(np.isfinite(array)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(
            f"{label}: field {field!r} must be finite; found {array[bad]} at index {bad}"
        )


def check_frames(frames: Any, label: str, field: str = "frames") -> np.ndarray:
    """Validate frame indices: (N,) non-negative integers, strictly increasing, N ≥ 1."""
    arr = np.asarray(frames)
    if arr.ndim != 1:
        raise ValueError(f"{label}: field {field!r} has shape {arr.shape}, expected (N,)")
    if arr.size == 0:
        raise ValueError(f"{label}: field {field!r} is empty; expected at least one frame")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{label}: field {field!r} must hold integer frame indices")
    elif arr.dtype.kind not in "iu":
        raise ValueError(
            f"{label}: field {field!r} must hold integer frame indices, got dtype {arr.dtype}"
        )
    arr = arr.astype(np.int64)
    if arr[0] < 0 or np.any(np.diff(arr) <= 0):
        raise ValueError(
            f"{label}: field {field!r} must be non-negative and strictly increasing, got "
            f"{arr[:6].tolist()}{'…' if arr.size > 6 else ''}"
        )
    return arr


def read_json_file(path: str | os.PathLike, what: str) -> Any:
    """Parse a JSON file; ValueError naming it when missing or malformed."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{_label(path)}: file not found ({what})")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{_label(path)}: cannot parse {what} as JSON ({err})") from None


def read_npz_file(path: str | os.PathLike, what: str) -> dict[str, np.ndarray]:
    """Every array of an npz file (no pickled objects); InputError naming the file on failure."""
    return load_npz(path, what)


def read_npy_file(path: str | os.PathLike, what: str) -> np.ndarray:
    """A plain ``.npy`` array (no pickled objects); InputError naming the file on failure."""
    return load_npy(path, what)


def _pickle_refused(label: str, what: str) -> ValueError:
    return InputError(
        f"{label}: {what} is a Python pickle; pickles are read only when you allow it with "
        "trust_pickle=True (CLI: --trust-pickle), and then only their data (arrays, numbers, "
        "strings, containers) — a pickle that refers to code is refused either way."
    )


def read_pickle(path: str | os.PathLike, *, trust_pickle: bool, what: str) -> Any:
    """Load a pickle (plain or written by joblib), only when the caller opted in.

    The file is read by :func:`slahmr_opt.safe_load.load_pickle`: only data classes (numpy arrays,
    builtin containers, torch tensors, joblib's array wrapper) are rebuilt, so no code from the
    file runs even with ``trust_pickle=True``.

    Args:
        path: the pickle file.
        trust_pickle: must be True (the user's opt-in for reading pickles).
        what: what the file is, for messages (e.g. "PHALP tracklets").

    Returns:
        The unpickled object.
    """
    path = Path(path)
    label = _label(path)
    if not path.is_file():
        raise InputError(f"{label}: file not found ({what})")
    if not trust_pickle:
        raise _pickle_refused(label, what)
    return load_pickle(path, what)


def read_torch_file(path: str | os.PathLike, *, trust_pickle: bool, what: str) -> Any:
    """Load a ``torch.save`` file safely, or a plain/joblib pickle when the caller opted in.

    ``torch.save`` files are read with ``weights_only=True`` (tensors, containers, numpy arrays;
    runs no code) and need no opt-in. Other pickles (joblib files such as WHAM's ``.pth``) are
    read only with ``trust_pickle=True``, by the same data-only unpickler as :func:`read_pickle`.

    Args:
        path: the file.
        trust_pickle: allow reading a file that is a plain or joblib pickle.
        what: what the file is, for messages.

    Returns:
        The loaded object (torch tensors stay tensors).
    """
    path = Path(path)
    label = _label(path)
    if not path.is_file():
        raise InputError(f"{label}: file not found ({what})")
    if zipfile.is_zipfile(path):
        return load_torch(path, what)
    return read_pickle(path, trust_pickle=trust_pickle, what=what)


def to_numpy(value: Any) -> Any:
    """Tensors (CPU or not) → numpy arrays; other values unchanged."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu().numpy()
    return value


_TRAILING_NUMBER = re.compile(r"(\d+)$")


def frame_stem(file_name: str, suffix: str = "") -> str:
    """A frame's name from a file name: extension dropped, then ``suffix`` if it ends with it.

    ``"000012_keypoints.json"`` with suffix ``"_keypoints"`` → ``"000012"``;
    ``"000012.jpg"`` → ``"000012"``.
    """
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    if suffix and stem.endswith(suffix):
        stem = stem[: -len(suffix)]
    return stem


class FrameIndex:
    """Maps frame names (file stems) to 0-based frame indices of the video.

    With a frame list (sorted image names, the keys of a ``shot_idcs`` JSON...), a name's index
    is its position in the list and a name not in it is an error. Without one, the index is the
    trailing integer of the name minus ``first_frame`` (ffmpeg numbers frames from 1, OpenPose on
    a video from 0).

    Args:
        names: frame names in video order (stems, no extension), or None.
        first_frame: number of the first frame when indices are parsed from names.
        source: where the frame list comes from, for messages.
    """

    def __init__(
        self, names: Sequence[str] | None = None, first_frame: int = 0, source: str = ""
    ) -> None:
        self.names = list(names) if names is not None else None
        self.first_frame = int(first_frame)
        self.source = source
        self._lookup = {n: i for i, n in enumerate(self.names)} if self.names is not None else None
        if self.names is not None and len(self._lookup) != len(self.names):
            raise ValueError(f"{source or 'frame list'}: frame names must be unique")

    @property
    def num_frames(self) -> int | None:
        """Number of frames of the frame list, or None without one."""
        return None if self.names is None else len(self.names)

    def index(self, name: str, label: str) -> int:
        """Frame index of ``name``; ``label`` names the file it came from, for errors."""
        if self._lookup is not None:
            if name not in self._lookup:
                raise ValueError(
                    f"{label}: frame {name!r} is not in the frame list ({self.source}, "
                    f"{len(self._lookup)} frames)"
                )
            return self._lookup[name]
        m = _TRAILING_NUMBER.search(name)
        if m is None:
            raise ValueError(
                f"{label}: cannot tell the frame index of {name!r}: expected a name ending in a "
                "frame number, or a frame list (images folder or shots file)"
            )
        index = int(m.group(1)) - self.first_frame
        if index < 0:
            raise ValueError(
                f"{label}: frame number {m.group(1)} is below first_frame = {self.first_frame}"
            )
        return index


# --------------------------------------------------------------------------------------------
# layouts
# --------------------------------------------------------------------------------------------


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


def keypoints_to_body25(
    keypoints: Any, *, layout: KeypointLayout = "auto", label: str, field: str = "keypoints"
) -> np.ndarray:
    """Validate 2D keypoints and return them in BODY_25 order.

    Args:
        keypoints: (..., J, 3) x, y (pixels), confidence in [0, 1]; J = 25 (BODY_25) or 17
            (COCO-17).
        layout: "body25", "coco17", or "auto" (by J).
        label, field: file and field, for messages.

    Returns:
        (..., 25, 3) float64.
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
    if np.any((conf < 0) | (conf > 1)):
        bad = tuple(int(i) for i in np.argwhere((conf < 0) | (conf > 1))[0])
        raise ValueError(
            f"{label}: field {field!r} holds confidence {conf[bad]} at index {bad}; expected "
            "confidences in [0, 1]"
        )
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


# --------------------------------------------------------------------------------------------
# OpenPose JSON
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class OpenPoseFrame:
    """The people of one OpenPose JSON file.

    Attributes:
        keypoints: (P, 25, 3) BODY_25, one row per person (P may be 0).
        person_ids: P ids; None where the file has ``person_id`` −1 or none.
    """

    keypoints: np.ndarray
    person_ids: list[int | None]


def read_openpose_json(path: str | os.PathLike) -> OpenPoseFrame:
    """Read one OpenPose JSON file (BODY_25).

    Fields read: ``people[i].pose_keypoints_2d`` (75 numbers: x, y, confidence for the 25
    BODY_25 joints) and ``people[i].person_id`` (``[id]`` or an int; −1 means none). Other
    fields (face, hands, 3D) are ignored.

    Args:
        path: the ``*_keypoints.json`` file.

    Returns:
        The people of the frame.
    """
    label = _label(path)
    data = read_json_file(path, "OpenPose keypoints")
    if not isinstance(data, dict) or not isinstance(data.get("people"), list):
        raise ValueError(
            f"{label}: field 'people' missing; expected an OpenPose JSON object "
            '{"people": [{"pose_keypoints_2d": [...]}]}'
        )
    rows, ids = [], []
    for i, person in enumerate(data["people"]):
        field = f"people[{i}].pose_keypoints_2d"
        if not isinstance(person, dict) or "pose_keypoints_2d" not in person:
            raise ValueError(f"{label}: field {field!r} missing")
        flat = as_numeric_array(person["pose_keypoints_2d"], label, field)
        if flat.ndim != 1 or flat.size % 3 != 0:
            raise ValueError(
                f"{label}: field {field!r} has shape {flat.shape}, expected a flat list of 75 "
                "numbers (x, y, confidence × 25 BODY_25 joints)"
            )
        if flat.size != 75:
            raise ValueError(
                f"{label}: field {field!r} holds {flat.size // 3} joints, an unknown keypoint "
                "layout; expected 25 (OpenPose BODY_25, 75 numbers)"
            )
        rows.append(
            keypoints_to_body25(flat.reshape(25, 3), layout="body25", label=label, field=field)
        )
        pid = person.get("person_id", -1)
        if isinstance(pid, list):
            pid = pid[0] if pid else -1
        if isinstance(pid, bool) or not isinstance(pid, (int, float)) or pid != int(pid):
            raise ValueError(
                f"{label}: field 'people[{i}].person_id' is {pid!r}, expected an integer or [id]"
            )
        ids.append(None if int(pid) < 0 else int(pid))
    kp = np.stack(rows) if rows else np.zeros((0, 25, 3))
    return OpenPoseFrame(keypoints=kp, person_ids=ids)


def write_openpose_json(
    path: str | os.PathLike, keypoints: np.ndarray, person_ids: Sequence[int] | None = None
) -> Path:
    """Write one OpenPose JSON file (BODY_25), atomically.

    Args:
        path: destination ``*_keypoints.json``.
        keypoints: (P, 25, 3) x, y, confidence per person.
        person_ids: P non-negative ids (written as ``person_id: [id]``); default −1 (none).

    Returns:
        The path written.
    """
    kp = keypoints_to_body25(keypoints, layout="body25", label=_label(path))
    if kp.ndim != 3:
        raise ValueError(f"{_label(path)}: keypoints must have shape (P, 25, 3), got {kp.shape}")
    if person_ids is not None and len(person_ids) != kp.shape[0]:
        raise ValueError(f"{_label(path)}: {len(person_ids)} person_ids for {kp.shape[0]} people")
    people = [
        {
            "person_id": [int(person_ids[i]) if person_ids is not None else -1],
            "pose_keypoints_2d": [float(v) for v in kp[i].reshape(-1)],
        }
        for i in range(kp.shape[0])
    ]
    return write_json_atomic(path, {"version": 1.3, "people": people})


def _openpose_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".json")


def read_openpose_tracks(
    folder: str | os.PathLike, frame_index: FrameIndex | None = None
) -> dict[str, KeypointTrack]:
    """Read a folder of OpenPose JSON files as per-person keypoint tracks.

    Two layouts are accepted:

    - **one folder per track** (the original SLAHMR export): ``<folder>/<track id>/<frame>_
      keypoints.json``, each file holding the person as ``people[0]``;
    - **one file per frame** (OpenPose run with tracking): ``<folder>/<frame>_keypoints.json``
      with ``people[i].person_id`` naming each person's track.

    A file with an empty ``people`` list is a frame where the person was not detected (so is a
    row whose confidences are all 0, when the tracks are built).

    Args:
        folder: the folder.
        frame_index: maps frame names (file names without ``_keypoints.json``) to frame indices;
            default: the trailing number of the name.

    Returns:
        track id → keypoints; empty tracks are errors.
    """
    folder = Path(folder)
    label = _label(folder)
    if not folder.is_dir():
        raise ValueError(f"{label}: folder not found (OpenPose keypoints)")
    frame_index = frame_index if frame_index is not None else FrameIndex()
    subdirs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    rows: dict[str, dict[int, np.ndarray]] = {}
    if subdirs:
        for sub in subdirs:
            files = _openpose_files(sub)
            if not files:
                raise ValueError(
                    f"{_label(sub)}: empty track: no OpenPose *_keypoints.json files in it"
                )
            per_frame: dict[int, np.ndarray] = {}
            for f in files:
                frame = read_openpose_json(f)
                if frame.keypoints.shape[0] == 0:
                    continue
                per_frame[frame_index.index(frame_stem(f.name, OPENPOSE_SUFFIX), _label(f))] = (
                    frame.keypoints[0]
                )
            rows[sub.name] = per_frame
    else:
        files = _openpose_files(folder)
        if not files:
            raise ValueError(f"{label}: no OpenPose *_keypoints.json files or track folders")
        for f in files:
            frame = read_openpose_json(f)
            index = frame_index.index(frame_stem(f.name, OPENPOSE_SUFFIX), _label(f))
            for k, pid in enumerate(frame.person_ids):
                if pid is None:
                    raise ValueError(
                        f"{_label(f)}: field 'people[{k}].person_id' is -1 (untracked); expected "
                        "track ids, or one folder per track (<folder>/<track id>/*.json)"
                    )
                per_frame = rows.setdefault(str(pid), {})
                if index in per_frame:
                    raise ValueError(f"{_label(f)}: person_id {pid} appears twice in frame {index}")
                per_frame[index] = frame.keypoints[k]
    out = {}
    for tid, per_frame in rows.items():
        if not per_frame:
            raise ValueError(
                f"{label}: empty track {tid!r}: every file of it has an empty 'people' list"
            )
        frames = np.array(sorted(per_frame), dtype=np.int64)
        out[tid] = KeypointTrack(tid, frames, np.stack([per_frame[i] for i in frames]))
    return out


def write_openpose_tracks(
    folder: str | os.PathLike,
    tracks: Mapping[str, KeypointTrack] | Iterable[KeypointTrack],
    frame_names: Sequence[str],
) -> Path:
    """Write keypoint tracks as ``<folder>/<track id>/<frame name>_keypoints.json``.

    Args:
        folder: destination (created).
        tracks: the tracks (each row becomes ``people[0]`` of its frame's file).
        frame_names: name of every video frame, indexed by frame index.

    Returns:
        The folder.
    """
    folder = Path(folder)
    items = tracks.values() if isinstance(tracks, Mapping) else tracks
    for kt in items:
        for frame, row in zip(kt.frames, kt.keypoints, strict=True):
            write_openpose_json(
                folder / kt.track_id / f"{frame_names[frame]}{OPENPOSE_SUFFIX}.json", row[None]
            )
    return folder


# --------------------------------------------------------------------------------------------
# keypoint arrays (COCO-17 or BODY_25): npy, npz, JSON
# --------------------------------------------------------------------------------------------


def _coco_results(data: list, label: str, default_id: str, layout: KeypointLayout) -> dict:
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
            flat.reshape(-1, 3), layout=layout, label=label, field=f"[{i}].keypoints"
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


def _array_track(
    tid: str, keypoints: Any, frames: Any, label: str, layout: KeypointLayout
) -> KeypointTrack:
    kp = keypoints_to_body25(keypoints, layout=layout, label=label)
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


def _read_keypoint_file(path: Path, layout: KeypointLayout) -> dict[str, KeypointTrack]:
    label = _label(path)
    tid = path.stem
    if path.suffix == ".npy":
        return {tid: _array_track(tid, read_npy_file(path, "keypoints"), None, label, layout)}
    if path.suffix == ".npz":
        z = read_npz_file(path, "keypoints")
        if "keypoints" not in z:
            raise ValueError(f"{label}: field 'keypoints' missing (has {sorted(z)})")
        return {tid: _array_track(tid, z["keypoints"], z.get("frames"), label, layout)}
    if path.suffix == ".json":
        data = read_json_file(path, "keypoints")
        if isinstance(data, list):
            return _coco_results(data, label, tid, layout)
        if isinstance(data, dict) and "keypoints" in data:
            return {tid: _array_track(tid, data["keypoints"], data.get("frames"), label, layout)}
        raise ValueError(
            f"{label}: expected a COCO results list [{{'image_id', 'keypoints'}}] or an object "
            "{'keypoints': (N, J, 3), 'frames': (N,)}"
        )
    raise ValueError(
        f"{label}: unknown keypoint file type {path.suffix!r}; expected .npy, .npz or .json"
    )


def read_keypoint_arrays(
    path: str | os.PathLike, *, layout: KeypointLayout = "auto"
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

    Returns:
        track id → keypoints (BODY_25).
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(
            p for p in path.iterdir() if p.is_file() and p.suffix in (".npy", ".npz", ".json")
        )
        if not files:
            raise ValueError(f"{_label(path)}: no .npy, .npz or .json keypoint files")
        out: dict[str, KeypointTrack] = {}
        for f in files:
            for tid, kt in _read_keypoint_file(f, layout).items():
                if tid in out:
                    raise ValueError(f"{_label(f)}: track id {tid!r} appears in two files")
                out[tid] = kt
        return out
    if not path.is_file():
        raise ValueError(f"{_label(path)}: file not found (keypoints)")
    return _read_keypoint_file(path, layout)


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
            raise ValueError(f"{_label(path)}: .npy holds no frame indices; frames must be 0…N−1")
        buf = _npy_bytes(kp)
        return write_bytes_atomic(path, buf)
    if path.suffix == ".npz":
        return write_npz_atomic(path, {"keypoints": kp, "frames": track.frames})
    raise ValueError(f"{_label(path)}: expected a .npy or .npz destination")


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


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


# --------------------------------------------------------------------------------------------
# WHAM tracking_results, GVHMR vitpose
# --------------------------------------------------------------------------------------------


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
    return wham_tracking_results_to_keypoints(data, _label(path))


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


def read_gvhmr_vitpose(
    path: str | os.PathLike, *, track_id: str = "0", trust_pickle: bool = False
) -> dict[str, KeypointTrack]:
    """Read GVHMR's ``vitpose.pt``: COCO-17 keypoints of one person over every video frame.

    Field read: the saved tensor (L, 17, 3) x, y, confidence; row i is frame i. Loaded with
    ``torch.load(weights_only=True)`` (no code runs); a file that needs a full unpickle is read
    only with ``trust_pickle=True``.

    Args:
        path: the ``vitpose.pt`` file.
        track_id: id to give the person.
        trust_pickle: see :func:`read_torch_file`.

    Returns:
        ``{track_id: keypoints}`` (BODY_25) at frames ``0 … L−1``.
    """
    label = _label(path)
    data = to_numpy(read_torch_file(path, trust_pickle=trust_pickle, what="GVHMR vitpose"))
    return {track_id: _array_track(track_id, data, None, label, "coco17")}


def write_gvhmr_vitpose(path: str | os.PathLike, track: KeypointTrack) -> Path:
    """Write one person's keypoints as GVHMR's ``vitpose.pt`` (tensor (L, 17, 3), float64).

    The track must cover frames ``0 … L−1`` (GVHMR stores every frame).

    Returns:
        The path written.
    """
    import io

    import torch

    if not np.array_equal(track.frames, np.arange(track.frames.size)):
        raise ValueError(f"{_label(path)}: GVHMR vitpose covers frames 0…L−1 with no gaps")
    buf = io.BytesIO()
    torch.save(torch.from_numpy(body25_to_coco17_array(track.keypoints)), buf)
    return write_bytes_atomic(path, buf.getvalue())
