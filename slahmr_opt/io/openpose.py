"""OpenPose JSON: one ``<frame>_keypoints.json`` per frame (BODY_25).

Fields read: ``people[i].pose_keypoints_2d`` (x, y, confidence × 25) and ``people[i].person_id``.
Tracks are folders of such files, one per person (the original SLAHMR export), or per-frame files
whose people carry ``person_id`` (OpenPose run with tracking).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slahmr_opt.files import write_json_atomic
from slahmr_opt.io.common import FrameIndex, as_numeric_array, frame_stem, read_json_file
from slahmr_opt.io.keypoints import KeypointTrack, keypoints_to_body25

__all__ = [
    "OPENPOSE_SUFFIX",
    "OpenPoseFrame",
    "read_openpose_json",
    "read_openpose_tracks",
    "write_openpose_json",
    "write_openpose_tracks",
]

OPENPOSE_SUFFIX = "_keypoints"
"""OpenPose names its per-frame files ``<image name>_keypoints.json``."""


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
    label = str(path)
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
    kp = keypoints_to_body25(keypoints, layout="body25", label=str(path))
    if kp.ndim != 3:
        raise ValueError(f"{str(path)}: keypoints must have shape (P, 25, 3), got {kp.shape}")
    if person_ids is not None and len(person_ids) != kp.shape[0]:
        raise ValueError(f"{str(path)}: {len(person_ids)} person_ids for {kp.shape[0]} people")
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
    label = str(folder)
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
                    f"{str(sub)}: empty track: no OpenPose *_keypoints.json files in it"
                )
            per_frame: dict[int, np.ndarray] = {}
            for f in files:
                frame = read_openpose_json(f)
                if frame.keypoints.shape[0] == 0:
                    continue
                per_frame[frame_index.index(frame_stem(f.name, OPENPOSE_SUFFIX), str(f))] = (
                    frame.keypoints[0]
                )
            rows[sub.name] = per_frame
    else:
        files = _openpose_files(folder)
        if not files:
            raise ValueError(f"{label}: no OpenPose *_keypoints.json files or track folders")
        for f in files:
            frame = read_openpose_json(f)
            index = frame_index.index(frame_stem(f.name, OPENPOSE_SUFFIX), str(f))
            for k, pid in enumerate(frame.person_ids):
                if pid is None:
                    raise ValueError(
                        f"{str(f)}: field 'people[{k}].person_id' is -1 (untracked); expected "
                        "track ids, or one folder per track (<folder>/<track id>/*.json)"
                    )
                per_frame = rows.setdefault(str(pid), {})
                if index in per_frame:
                    raise ValueError(f"{str(f)}: person_id {pid} appears twice in frame {index}")
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
