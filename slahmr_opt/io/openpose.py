"""OpenPose JSON: one ``<frame>_keypoints.json`` per frame (BODY_25).

Fields read: ``people[i].pose_keypoints_2d`` and ``people[i].person_id``. OpenPose writes the
keypoints as a flat list of 75 numbers (x, y, confidence × 25; CMU-Perceptual-Computing-Lab/openpose
``doc/02_output.md``); SLAHMR's exporter (``slahmr/preproc/export_phalp.py:49-58``) writes the same
field as a nested ``[[x, y, c] × 25]`` list (``kps.tolist()`` of a (25, 3) array) and reads it
back with ``reshape(-1, 3)`` (``slahmr/data/tools.py:28-29``): both are read.

Keypoints come in three arrangements: one folder per track (the original SLAHMR export, the
person is ``people[0]``), per-frame files whose people carry ``person_id`` (OpenPose with
tracking), and per-frame files of untracked people (``person_id`` −1, OpenPose's default), which
:func:`read_openpose_frames` returns per frame for association with tracks
(:func:`~slahmr_opt.io.tracks.associate_keypoints`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slahmr_opt.files import write_json_atomic
from slahmr_opt.io.common import FrameIndex, as_numeric_array, frame_stem, read_json_file
from slahmr_opt.io.keypoints import ConfidenceClips, KeypointTrack, keypoints_to_body25

__all__ = [
    "OPENPOSE_SUFFIX",
    "OpenPoseFrame",
    "is_untracked_openpose",
    "read_openpose_frames",
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


def read_openpose_json(
    path: str | os.PathLike, *, clips: ConfidenceClips | None = None
) -> OpenPoseFrame:
    """Read one OpenPose JSON file (BODY_25).

    Fields read: ``people[i].pose_keypoints_2d`` (x, y, confidence for the 25 BODY_25 joints:
    75 numbers as OpenPose writes them, or 25 ``[x, y, c]`` rows as SLAHMR's exporter writes
    them) and ``people[i].person_id`` (``[id]`` or an int; −1 means none). Other fields (face,
    hands, 3D) are ignored.

    Args:
        path: the ``*_keypoints.json`` file.
        clips: collects confidences above 1 clipped to 1 (reported by the caller).

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
        values = as_numeric_array(person["pose_keypoints_2d"], label, field)
        if values.shape == (25, 3):  # SLAHMR's exporter: a nested [[x, y, c] × 25] list
            values = values.reshape(-1)
        if values.ndim != 1 or values.size % 3 != 0:
            raise ValueError(
                f"{label}: field {field!r} has shape {values.shape}, expected 75 numbers "
                "(x, y, confidence × 25 BODY_25 joints) as a flat list or 25 [x, y, c] rows"
            )
        if values.size != 75:
            raise ValueError(
                f"{label}: field {field!r} holds {values.size // 3} joints, an unknown keypoint "
                "layout; expected 25 (OpenPose BODY_25, 75 numbers)"
            )
        rows.append(
            keypoints_to_body25(
                values.reshape(25, 3), layout="body25", label=label, field=field, clips=clips
            )
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
    """Write one OpenPose JSON file (BODY_25) as OpenPose's ``--write_json`` does, atomically.

    Every person gets OpenPose's fields: ``person_id`` (``[id]``, −1 = untracked),
    ``pose_keypoints_2d`` (75 numbers), and empty face, hand and 3D lists; the file has
    ``version`` 1.3.

    Args:
        path: destination ``*_keypoints.json``.
        keypoints: (P, 25, 3) x, y, confidence per person.
        person_ids: P non-negative ids; default −1 (none), OpenPose's default.

    Returns:
        The path written.
    """
    kp = keypoints_to_body25(keypoints, layout="body25", label=str(path))
    if kp.ndim != 3:
        raise ValueError(f"{path}: keypoints must have shape (P, 25, 3), got {kp.shape}")
    if person_ids is not None and len(person_ids) != kp.shape[0]:
        raise ValueError(f"{path}: {len(person_ids)} person_ids for {kp.shape[0]} people")
    empty = ("face_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d")
    empty_3d = ("pose_keypoints_3d", "face_keypoints_3d", "hand_left_keypoints_3d")
    people = []
    for i in range(kp.shape[0]):
        person: dict = {
            "person_id": [int(person_ids[i]) if person_ids is not None else -1],
            "pose_keypoints_2d": [float(v) for v in kp[i].reshape(-1)],
        }
        for key in (*empty, *empty_3d, "hand_right_keypoints_3d"):
            person[key] = []
        people.append(person)
    return write_json_atomic(path, {"version": 1.3, "people": people}, indent=None)


def _openpose_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".json")


def _frame_of(f: Path, frame_index: FrameIndex) -> int:
    return frame_index.index(frame_stem(f.name, OPENPOSE_SUFFIX), str(f))


def read_openpose_frames(
    folder: str | os.PathLike,
    frame_index: FrameIndex | None = None,
    *,
    clips: ConfidenceClips | None = None,
) -> dict[int, OpenPoseFrame]:
    """Read a folder of per-frame OpenPose JSON files (any ``person_id``), frame by frame.

    Args:
        folder: holds ``<frame>_keypoints.json`` files (OpenPose ``--write_json``).
        frame_index: frame name → video frame index (default: the trailing number of the name).
        clips: collects confidences above 1 (reported here when not given).

    Returns:
        video frame index → the people of that frame (frames without a file are absent).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: folder not found (OpenPose keypoints)")
    files = _openpose_files(folder)
    if not files:
        raise ValueError(f"{folder}: no OpenPose *_keypoints.json files")
    own = ConfidenceClips(str(folder)) if clips is None else clips
    frame_index = frame_index if frame_index is not None else FrameIndex()
    out: dict[int, OpenPoseFrame] = {}
    for f in files:
        index = _frame_of(f, frame_index)
        if index in out:
            raise ValueError(f"{f}: a second file for frame {index}")
        out[index] = read_openpose_json(f, clips=own)
    if clips is None:
        own.report()
    return out


def is_untracked_openpose(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds per-frame OpenPose files whose people have no ``person_id``."""
    folder = Path(folder)
    if not folder.is_dir() or any(
        p.is_dir() and not p.name.startswith(".") for p in folder.iterdir()
    ):
        return False
    for f in _openpose_files(folder):
        frame = read_openpose_json(f)
        if frame.person_ids:
            return any(pid is None for pid in frame.person_ids)
    return False


def read_openpose_tracks(
    folder: str | os.PathLike,
    frame_index: FrameIndex | None = None,
    *,
    clips: ConfidenceClips | None = None,
) -> dict[str, KeypointTrack]:
    """Read a folder of OpenPose JSON files as per-person keypoint tracks.

    Two layouts are accepted:

    - **one folder per track** (the original SLAHMR export): ``<folder>/<track id>/<frame>_
      keypoints.json``, each file holding the person as ``people[0]``;
    - **one file per frame** (OpenPose run with tracking): ``<folder>/<frame>_keypoints.json``
      with ``people[i].person_id`` naming each person's track.

    Untracked per-frame files (``person_id`` −1) are refused here: read them with
    :func:`read_openpose_frames` and associate them with tracks. A file with an empty ``people``
    list is a frame where the person was not detected.

    Args:
        folder: the folder.
        frame_index: maps frame names (file names without ``_keypoints.json``) to frame indices;
            default: the trailing number of the name.
        clips: collects confidences above 1 (reported here when not given).

    Returns:
        track id → keypoints; empty tracks are errors.
    """
    folder = Path(folder)
    label = str(folder)
    if not folder.is_dir():
        raise ValueError(f"{label}: folder not found (OpenPose keypoints)")
    own = ConfidenceClips(label) if clips is None else clips
    frame_index = frame_index if frame_index is not None else FrameIndex()
    subdirs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    rows: dict[str, dict[int, np.ndarray]] = {}
    if subdirs:
        for sub in subdirs:
            files = _openpose_files(sub)
            if not files:
                raise ValueError(f"{sub}: empty track: no OpenPose *_keypoints.json files in it")
            per_frame: dict[int, np.ndarray] = {}
            for f in files:
                frame = read_openpose_json(f, clips=own)
                if frame.keypoints.shape[0] > 0:
                    per_frame[_frame_of(f, frame_index)] = frame.keypoints[0]
            rows[sub.name] = per_frame
    else:
        for index, frame in read_openpose_frames(folder, frame_index, clips=own).items():
            for k, pid in enumerate(frame.person_ids):
                if pid is None:
                    raise ValueError(
                        f"{label}: frame {index}: field 'people[{k}].person_id' is -1 "
                        "(untracked); expected track ids, one folder per track "
                        "(<folder>/<track id>/*.json), or tracks to associate the people with "
                        "(a PHALP pickle: manifest 'tracks')"
                    )
                per_frame = rows.setdefault(str(pid), {})
                if index in per_frame:
                    raise ValueError(f"{label}: person_id {pid} appears twice in frame {index}")
                per_frame[index] = frame.keypoints[k]
    if clips is None:
        own.report()
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
