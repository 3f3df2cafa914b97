"""The original SLAHMR data layout: its exporter's track_preds, shot_idcs and DROID cameras.npz.

``slahmr/preproc/export_phalp.py`` writes ``track_preds/<seq>/<tid:03d>/<frame>_smpl.json``
(``betas``, ``body_pose`` (23, 3), ``global_orient`` (3,), ``cam_trans`` (3,)) and
``<frame>_keypoints.json`` (OpenPose, ``people[0]``), and ``shot_idcs/<seq>.json`` (image file
name → cumulative shot index); ``slahmr/preproc/run_slam.py`` writes
``cameras/<seq>/shot-<k>/cameras.npz``. Where the files lie is found in
:mod:`~slahmr_opt.io.layout`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from slahmr_opt.files import write_json_atomic, write_npz_atomic
from slahmr_opt.io.common import (
    FrameIndex,
    as_numeric_array,
    check_finite,
    frame_stem,
    read_json_file,
    read_npz_file,
)
from slahmr_opt.io.keypoints import ConfidenceClips
from slahmr_opt.io.openpose import OPENPOSE_SUFFIX, read_openpose_json
from slahmr_opt.io.scene_folder import load_cameras
from slahmr_opt.io.tracks import (
    TrackObservations,
    observations_from_frames,
    stack_betas,
    track_to_observations,
)
from slahmr_opt.scene import NUM_BODY_JOINTS, Cameras, Scene, Track

__all__ = [
    "SMPL_SUFFIX",
    "default_frame_names",
    "read_shot_idcs",
    "read_slahmr_cameras",
    "read_smpl_json",
    "read_track_preds",
    "shot_range",
    "slice_cameras",
    "write_original_layout",
    "write_shot_idcs",
    "write_slahmr_cameras",
    "write_track_preds",
]

SMPL_SUFFIX = "_smpl"
"""The original names per-frame SMPL files ``<frame>_smpl.json``."""


def read_smpl_json(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read one ``<frame>_smpl.json`` of the original's track_preds.

    Fields read: ``global_orient`` (3,) axis-angle, ``body_pose`` (23, 3) (or 69 numbers)
    axis-angle, ``betas`` (B,), ``cam_trans`` (3,) SMPL translation in the camera frame (metres).

    Returns:
        ``global_orient`` (3,), ``body_pose`` (23, 3), ``betas`` (B,), ``transl`` (3,).
    """
    label = str(path)
    data = read_json_file(path, "SMPL estimate")
    if not isinstance(data, dict):
        raise ValueError(f"{label}: expected a JSON object with the SMPL fields")
    out = {}
    expected = {
        "global_orient": ((3,),),
        "body_pose": ((NUM_BODY_JOINTS, 3), (NUM_BODY_JOINTS * 3,)),
        "cam_trans": ((3,),),
    }
    for key, shapes in expected.items():
        if key not in data:
            raise ValueError(f"{label}: field {key!r} missing; expected shape {shapes[0]}")
        arr = as_numeric_array(data[key], label, key)
        if arr.shape not in shapes:
            raise ValueError(f"{label}: field {key!r} has shape {arr.shape}, expected {shapes[0]}")
        check_finite(arr, label, key)
        out[key] = arr
    if "betas" not in data:
        raise ValueError(f"{label}: field 'betas' missing; expected shape (B,)")
    betas = as_numeric_array(data["betas"], label, "betas")
    if betas.ndim != 1 or betas.size < 1:
        raise ValueError(f"{label}: field 'betas' has shape {betas.shape}, expected (B,), B ≥ 1")
    check_finite(betas, label, "betas")
    return {
        "global_orient": out["global_orient"],
        "body_pose": out["body_pose"].reshape(NUM_BODY_JOINTS, 3),
        "betas": betas,
        "transl": out["cam_trans"],
    }


def read_track_preds(
    folder: str | os.PathLike,
    frame_index: FrameIndex | None = None,
    *,
    clips: ConfidenceClips | None = None,
) -> list[TrackObservations]:
    """Read the original's ``track_preds/<seq>/`` folder.

    Layout: one sub-folder per track (its name is the track id, e.g. ``001``) holding
    ``<frame>_keypoints.json`` (OpenPose JSON, the person is ``people[0]``; an empty ``people``
    list is no detection) and ``<frame>_smpl.json`` (see :func:`read_smpl_json`). A frame whose
    keypoints file holds a person with any confidence > 0 is a detection (the original counts
    every keypoints file; a file of all-zero confidences differs only there).

    Args:
        folder: the ``track_preds/<seq>`` folder.
        clips: collects keypoint confidences above 1 (reported here when not given).
        frame_index: frame name → video frame index (from ``shot_idcs`` or the images);
            default: the trailing number of the name (see :class:`~slahmr_opt.io.keypoints.
            FrameIndex`).

    Returns:
        The tracks, sorted by id.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: folder not found (track_preds)")
    frame_index = frame_index if frame_index is not None else FrameIndex()
    own = ConfidenceClips(str(folder)) if clips is None else clips
    subdirs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subdirs:
        raise ValueError(f"{folder}: no track folders (expected <track id>/<frame>_smpl.json)")
    out = []
    for sub in subdirs:
        kp: dict[int, np.ndarray] = {}
        smpl: dict[int, dict[str, np.ndarray]] = {}
        files = sorted(sub.glob("*.json"))
        for f in files:
            stem = frame_stem(f.name)
            if stem.endswith(OPENPOSE_SUFFIX):
                frame = read_openpose_json(f, clips=own)
                if frame.keypoints.shape[0] > 0:
                    idx = frame_index.index(stem[: -len(OPENPOSE_SUFFIX)], str(f))
                    kp[idx] = frame.keypoints[0]
            elif stem.endswith(SMPL_SUFFIX):
                idx = frame_index.index(stem[: -len(SMPL_SUFFIX)], str(f))
                smpl[idx] = read_smpl_json(f)
        if not kp and not smpl:
            raise ValueError(
                f"{sub}: empty track {sub.name!r}: no <frame>_keypoints.json with a person and no "
                "<frame>_smpl.json"
            )
        if smpl:
            stack_betas([s["betas"] for s in smpl.values()], str(sub))
        out.append(observations_from_frames(sub.name, kp, smpl, str(sub)))
    if clips is None:
        own.report()
    return out


def write_track_preds(
    folder: str | os.PathLike, tracks: Iterable[Track], frame_names: Sequence[str]
) -> Path:
    """Write scene tracks in the original's track_preds layout.

    Files as the original's exporter writes them (``slahmr/preproc/export_phalp.py:21-58``), for
    every track ``<folder>/<track id>/``: ``<frame>_keypoints.json`` at VISIBLE frames,
    ``{"people": [{"pose_keypoints_2d": [[x, y, c] × 25]}]}`` (a nested list), and
    ``<frame>_smpl.json`` (``betas``, ``body_pose`` (23, 3), ``global_orient``, ``cam_trans``) at
    frames with ``smpl_observed``; ``json.dump(..., indent=1)``, floats in full precision.

    Args:
        folder: destination ``track_preds/<seq>`` (created).
        tracks: scene tracks.
        frame_names: names of the scene frames (index = scene frame).

    Returns:
        The folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for track in tracks:
        obs = track_to_observations(track)
        sub = folder / track.track_id
        sub.mkdir(exist_ok=True)
        for i, frame in enumerate(obs.frames):
            name = frame_names[frame]
            if obs.has_keypoints[i]:
                people = [{"pose_keypoints_2d": obs.keypoints[i].tolist()}]
                write_json_atomic(
                    sub / f"{name}{OPENPOSE_SUFFIX}.json", {"people": people}, indent=1
                )
            if obs.has_smpl[i]:
                write_json_atomic(
                    sub / f"{name}{SMPL_SUFFIX}.json",
                    {
                        "betas": obs.betas[i].tolist(),
                        "body_pose": obs.body_pose[i].tolist(),
                        "global_orient": obs.global_orient[i].tolist(),
                        "cam_trans": obs.transl[i].tolist(),
                    },
                    indent=1,
                )
    return folder


def read_shot_idcs(path: str | os.PathLike) -> tuple[list[str] | None, np.ndarray]:
    """Read shot indices: the original's ``shot_idcs/<seq>.json`` or a plain list.

    Accepted forms: an object image file name → cumulative shot index (the original; frames are
    the names sorted, as the original sorts them), or a list of shot indices, one per frame.
    Shot indices must be non-negative integers that never decrease (each shot is contiguous).

    Returns:
        (frame names (file stems, sorted) or None for a plain list, (T,) int64 shot index per
        frame).
    """
    label = str(path)
    data = read_json_file(path, "shot indices")
    if isinstance(data, dict):
        names = sorted(data)
        values = [data[n] for n in names]
        stems: list[str] | None = [frame_stem(n) for n in names]
        if len(set(stems)) != len(stems):
            raise ValueError(f"{label}: two frame names share a stem")
    elif isinstance(data, list):
        values, stems = data, None
    else:
        raise ValueError(
            f"{label}: expected an object image name → shot index, or a list of shot indices"
        )
    if not values:
        raise ValueError(f"{label}: no frames")
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in values):
        raise ValueError(f"{label}: shot indices must be non-negative integers")
    shots = np.asarray(values, dtype=np.int64)
    if np.any(np.diff(shots) < 0):
        i = int(np.flatnonzero(np.diff(shots) < 0)[0]) + 1
        raise ValueError(
            f"{label}: shot index decreases at frame {i} ({shots[i - 1]} → {shots[i]}); expected "
            "cumulative (non-decreasing) shot indices"
        )
    return stems, shots


def write_shot_idcs(
    path: str | os.PathLike, frame_files: Sequence[str], shot_ids: Sequence[int]
) -> Path:
    """Write the original's ``shot_idcs`` JSON: image file name → cumulative shot index."""
    if len(frame_files) != len(shot_ids):
        raise ValueError(f"{path}: {len(frame_files)} frame names for {len(shot_ids)} shot ids")
    return write_json_atomic(path, {n: int(s) for n, s in zip(frame_files, shot_ids, strict=True)})


def read_slahmr_cameras(path: str | os.PathLike) -> tuple[Cameras, tuple[int, int] | None]:
    """Read SLAHMR's ``cameras.npz`` (``run_slam.py`` output; also our scene folder's).

    Fields read: ``w2c`` (T, 4, 4) world→camera, ``intrins`` (T, 4) ``fx fy cx cy`` pixels,
    ``width`` and ``height`` (the image size of the intrinsics, optional), ``is_static``
    (optional, ours).

    Returns:
        (cameras, ``(W, H)`` of the intrinsics or None).
    """
    cameras = load_cameras(path)
    z = read_npz_file(path, "cameras")
    size = None
    if "width" in z and "height" in z:
        try:
            size = (int(z["width"].reshape(())), int(z["height"].reshape(())))
        except (TypeError, ValueError):
            raise ValueError(f"{path}: fields 'width', 'height' must be scalars") from None
        if size[0] <= 0 or size[1] <= 0:
            raise ValueError(f"{path}: fields 'width', 'height' must be positive, got {size}")
    return cameras, size


def write_slahmr_cameras(
    path: str | os.PathLike, cameras: Cameras, image_size: tuple[int, int]
) -> Path:
    """Write SLAHMR's ``cameras.npz`` as its ``run_slam.py`` does (``save_cameras``, lines
    270-285): ``np.savez`` of float32 ``height``, ``width`` (0-d), ``focal`` (mean of every fx
    and fy), ``intrins`` (T, 4) and ``w2c`` (T, 4, 4), as DROID-SLAM's float32 tensors are.

    The original's loader (``slahmr/data/dataset.py:396-417``) takes ``w2c`` as it is and
    composes it with float32 tensors, so a float64 file makes it fail; this one loads unchanged.
    """
    w, h = image_size
    return write_npz_atomic(
        path,
        {
            "height": np.float32(h),
            "width": np.float32(w),
            "focal": np.float32(np.mean(cameras.intrinsics[:, :2])),
            "intrins": cameras.intrinsics.astype(np.float32),
            "w2c": cameras.w2c().astype(np.float32),
        },
    )


def shot_range(shot_ids: np.ndarray, shot: int, label: str) -> tuple[int, int]:
    idx = np.flatnonzero(shot_ids == shot)
    if idx.size == 0:
        raise ValueError(f"{label}: no shot {shot} (shots: {np.unique(shot_ids).tolist()})")
    return int(idx[0]), int(idx[-1]) + 1


def slice_cameras(cameras: Cameras, start: int, end: int) -> Cameras:
    return Cameras(
        R=cameras.R[start:end],
        t=cameras.t[start:end],
        intrinsics=cameras.intrinsics[start:end],
        is_static=cameras.is_static,
    )


def default_frame_names(num_frames: int, first: int) -> list[str]:
    return [f"{i + first:06d}" for i in range(num_frames)]


def write_original_layout(
    root: str | os.PathLike,
    scene: Scene,
    *,
    seq: str = "seq",
    shot_ids: Sequence[int] | None = None,
    frame_names: Sequence[str] | None = None,
    static: bool = False,
    image_ext: str = ".jpg",
) -> Path:
    """Write a scene in the original SLAHMR data layout (for tests and conversions).

    Writes ``<root>/slahmr/track_preds/<seq>/`` (:func:`~slahmr_opt.io.tracks.write_track_preds`),
    ``<root>/slahmr/shot_idcs/<seq>.json`` and, unless ``static``, one
    ``<root>/slahmr/cameras/<seq>/shot-<k>/cameras.npz`` per shot holding that shot's cameras.
    No images are written: a reader learns the image size from cameras.npz (or pass it).

    Args:
        root: the data root.
        scene: the scene.
        seq: sequence name.
        shot_ids: (T,) non-decreasing shot index per frame (default: one shot).
        frame_names: name of every frame (default ``000001 …`` as ffmpeg numbers them).
        static: write no cameras (the original then uses static cameras).
        image_ext: extension of the image names in ``shot_idcs``.

    Returns:
        ``root``.
    """
    root = Path(root)
    T = scene.num_frames
    names = list(frame_names) if frame_names is not None else default_frame_names(T, 1)
    shots = np.zeros(T, dtype=np.int64) if shot_ids is None else np.asarray(shot_ids, np.int64)
    if len(names) != T or shots.shape != (T,):
        raise ValueError(f"frame_names and shot_ids must have {T} entries (the scene's frames)")
    base = root / "slahmr"
    write_track_preds(base / "track_preds" / seq, scene.tracks, names)
    write_shot_idcs(base / "shot_idcs" / f"{seq}.json", [n + image_ext for n in names], shots)
    if not static:
        for k in np.unique(shots):
            s, e = shot_range(shots, int(k), "shot_ids")
            write_slahmr_cameras(
                base / "cameras" / seq / f"shot-{int(k)}" / "cameras.npz",
                slice_cameras(scene.cameras, s, e),
                scene.image_size,
            )
    return root
