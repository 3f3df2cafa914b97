"""Readers and writers of per-frame SMPL tracks: SLAHMR's track_preds, PHALP pickles, plain npz.

All three give :class:`TrackObservations`: one person's detections at some frames of a video
(0-based video frame indices), each with BODY_25 keypoints and/or a camera-frame SMPL estimate
(axis-angle, SMPL ``transl`` in metres in the OpenCV camera frame). :meth:`TrackObservations.
to_track` turns them into a :class:`~slahmr_opt.scene.Track` over a frame range: the track spans
its first to last detection, frames without keypoints get confidence 0 and visibility OCCLUDED,
and frames without SMPL are filled by the Track (slerp / linear), marked in ``smpl_observed``.

Formats (docs/formats.md, "Readers"):

- **track_preds** (the original's export, ``preproc/export_phalp.py``):
  ``<folder>/<track id>/<frame>_smpl.json`` (``betas`` (B,), ``body_pose`` (23, 3),
  ``global_orient`` (3,), ``cam_trans`` (3,)) and ``<frame>_keypoints.json`` (OpenPose,
  ``people[0]``); ``shot_idcs/<seq>.json`` maps image file name → cumulative shot index.
- **PHALP / 4DHumans pickle** (frame path → record; per detection ``tid``, ``camera_bbox``,
  ``center``, ``bbox``, ``size``, ``smpl`` rotation matrices, ``extra_data`` keypoints; per frame
  ``tracked_ids``, ``shot``): read only with ``trust_pickle=True``. The crop camera becomes a
  full-image translation with :func:`crop_camera_to_full`.
- **npz**: one ``<track id>.npz`` per person with ``frames`` (or ``start``), optional
  ``keypoints`` (N, 25|17, 3) and the optional SMPL arrays.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import roma
import torch

from slahmr_opt.files import write_bytes_atomic, write_json_atomic, write_npz_atomic
from slahmr_opt.io.keypoints import (
    OPENPOSE_SUFFIX,
    FrameIndex,
    KeypointTrack,
    as_numeric_array,
    check_finite,
    check_frames,
    frame_stem,
    keypoints_to_body25,
    read_json_file,
    read_npz_file,
    read_openpose_json,
    read_pickle,
    to_numpy,
    write_openpose_json,
)
from slahmr_opt.scene import NUM_BODY_JOINTS, ROTATION_TOLERANCE, Track, Visibility

__all__ = [
    "SMPL_SUFFIX",
    "PhalpTracks",
    "TrackObservations",
    "crop_camera_to_full",
    "detected_rows",
    "full_to_crop_camera",
    "phalp_to_tracks",
    "read_npz_tracks",
    "read_phalp_pickle",
    "read_shot_idcs",
    "read_smpl_json",
    "read_track_preds",
    "track_to_observations",
    "write_npz_tracks",
    "write_phalp_pickle",
    "write_shot_idcs",
    "write_track_preds",
]

SMPL_SUFFIX = "_smpl"
"""The original names per-frame SMPL files ``<frame>_smpl.json``."""

_SMPL_FIELDS = ("global_orient", "body_pose", "betas", "transl")


# --------------------------------------------------------------------------------------------
# the common in-memory form
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class TrackObservations:
    """One person's detections at some frames of a video, as an upstream tool wrote them.

    Attributes:
        track_id: the person's id.
        frames: (N,) int64 strictly increasing 0-based video frame indices.
        keypoints: (N, 25, 3) BODY_25 x, y (pixels), confidence; rows without keypoints are 0.
        has_keypoints: (N,) bool, True where the tool gave keypoints with any confidence > 0
            (a detection).
        global_orient: (N, 3) camera-frame root orientation, axis-angle; or None.
        body_pose: (N, 23, 3) axis-angle; or None.
        betas: (N, B) shape coefficients; or None.
        transl: (N, 3) SMPL translation in the camera frame (OpenCV axes), metres; or None.
        has_smpl: (N,) bool, True where the tool gave an SMPL estimate (all False without SMPL).
        source: the file or folder it came from, for messages.
    """

    track_id: str
    frames: np.ndarray
    keypoints: np.ndarray
    has_keypoints: np.ndarray
    global_orient: np.ndarray | None = None
    body_pose: np.ndarray | None = None
    betas: np.ndarray | None = None
    transl: np.ndarray | None = None
    has_smpl: np.ndarray | None = None
    source: str = ""

    def __post_init__(self) -> None:
        label = f"{self.source or 'tracks'} (track {self.track_id!r})"
        self.frames = check_frames(self.frames, label)
        n = self.frames.size
        self.keypoints = keypoints_to_body25(self.keypoints, layout="body25", label=label)
        if self.keypoints.shape != (n, 25, 3):
            raise ValueError(
                f"{label}: field 'keypoints' has shape {self.keypoints.shape}, expected "
                f"({n}, 25, 3)"
            )
        self.has_keypoints = _bool_mask(self.has_keypoints, n, label, "has_keypoints")
        given = [getattr(self, k) is not None for k in _SMPL_FIELDS]
        if any(given) and not all(given):
            missing = [k for k, g in zip(_SMPL_FIELDS, given, strict=True) if not g]
            raise ValueError(f"{label}: SMPL fields must be all given or none; missing {missing}")
        if all(given):
            self.has_smpl = (
                np.ones(n, dtype=bool)
                if self.has_smpl is None
                else _bool_mask(self.has_smpl, n, label, "has_smpl")
            )
            shapes = {
                "global_orient": (n, 3),
                "body_pose": (n, NUM_BODY_JOINTS, 3),
                "transl": (n, 3),
            }
            for name, shape in shapes.items():
                arr = as_numeric_array(getattr(self, name), label, name)
                if arr.shape != shape:
                    raise ValueError(
                        f"{label}: field {name!r} has shape {arr.shape}, expected {shape}"
                    )
                setattr(self, name, arr)
            betas = as_numeric_array(self.betas, label, "betas")
            if betas.ndim != 2 or betas.shape[0] != n or betas.shape[1] < 1:
                raise ValueError(
                    f"{label}: field 'betas' has shape {betas.shape}, expected ({n}, B), B ≥ 1"
                )
            self.betas = betas
            for name in _SMPL_FIELDS:
                check_finite(getattr(self, name)[self.has_smpl], label, name)
        else:
            self.has_smpl = np.zeros(n, dtype=bool)
        if not (self.has_keypoints | self.has_smpl).any():
            raise ValueError(f"{label}: empty track: no frame has keypoints or an SMPL estimate")

    @property
    def smpl_given(self) -> bool:
        """Whether the source holds SMPL estimates at all."""
        return self.global_orient is not None

    def num_detections(self, start: int = 0, end: int | None = None) -> int:
        """Frames with keypoints inside ``[start, end)`` (the original's track length)."""
        sel = (self.frames >= start) & (self.frames < (end if end is not None else np.inf))
        return int(np.count_nonzero(self.has_keypoints & sel))

    def with_keypoints(self, keypoints: KeypointTrack, source: str = "") -> TrackObservations:
        """A copy whose keypoints come from ``keypoints`` (they replace any of its own).

        Frames are the union of both; ``has_keypoints`` is True at the frames of ``keypoints``
        whose row has a confidence > 0.
        """
        frames = np.union1d(self.frames, keypoints.frames)
        n = frames.size
        pos_self = np.searchsorted(frames, self.frames)
        pos_kp = np.searchsorted(frames, keypoints.frames)
        kp = np.zeros((n, 25, 3))
        kp[pos_kp] = keypoints.keypoints
        has_kp = detected_rows(kp)
        smpl: dict[str, Any] = {}
        has_smpl = np.zeros(n, dtype=bool)
        if self.smpl_given:
            for name in _SMPL_FIELDS:
                arr = getattr(self, name)
                full = np.full((n,) + arr.shape[1:], np.nan)
                full[pos_self] = arr
                smpl[name] = full
            has_smpl[pos_self] = self.has_smpl
        return TrackObservations(
            track_id=self.track_id,
            frames=frames,
            keypoints=kp,
            has_keypoints=has_kp,
            has_smpl=has_smpl if self.smpl_given else None,
            source=source or self.source,
            **smpl,
        )

    def to_track(self, start: int = 0, end: int | None = None) -> Track | None:
        """The :class:`Track` of this person over the video frames ``[start, end)``.

        Scene frame 0 is video frame ``start``. The track spans the first to the last frame in
        the range with keypoints or SMPL; frames in between without keypoints have confidence 0
        and visibility OCCLUDED, frames without SMPL are filled by the Track.

        Returns:
            The track, or None when the person has nothing in the range.
        """
        end = int(self.frames[-1]) + 1 if end is None else end
        sel = (self.frames >= start) & (self.frames < end)
        present = sel & (self.has_keypoints | self.has_smpl)
        if not present.any():
            return None
        rows = np.flatnonzero(present)
        local = self.frames[rows] - start
        first = int(local[0])
        n = int(local[-1]) + 1 - first
        idx = local - first
        hk = self.has_keypoints[rows]
        hs = self.has_smpl[rows]
        keypoints = np.zeros((n, 25, 3))
        keypoints[idx[hk]] = self.keypoints[rows[hk]]
        visibility = np.full(n, int(Visibility.OCCLUDED), dtype=np.int8)
        visibility[idx[hk]] = int(Visibility.VISIBLE)
        smpl: dict[str, Any] = {}
        if hs.any():
            for name in _SMPL_FIELDS:
                arr = getattr(self, name)
                full = np.full((n,) + arr.shape[1:], np.nan)
                full[idx[hs]] = arr[rows[hs]]
                smpl[name] = full
            observed = np.zeros(n, dtype=bool)
            observed[idx[hs]] = True
            smpl["smpl_observed"] = observed
        try:
            return Track(
                track_id=self.track_id,
                start=first,
                keypoints=keypoints,
                visibility=visibility,
                **smpl,
            )
        except ValueError as err:
            raise ValueError(f"{self.source or 'tracks'}: {err}") from None


def detected_rows(keypoints: np.ndarray) -> np.ndarray:
    """(N, 25, 3) keypoints → (N,) bool: a row is a detection when any confidence is > 0."""
    return np.any(np.asarray(keypoints)[..., 2] > 0, axis=-1)


def _bool_mask(value: Any, n: int, label: str, name: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.shape != (n,) or arr.dtype != bool:
        raise ValueError(
            f"{label}: field {name!r} must be a bool array of shape ({n},), got dtype "
            f"{arr.dtype} shape {arr.shape}"
        )
    return arr.copy()


def track_to_observations(track: Track, start: int = 0) -> TrackObservations:
    """The detections of a scene :class:`Track` (the inverse of :meth:`TrackObservations.to_track`).

    Keypoints count as given where the visibility is VISIBLE; SMPL where ``smpl_observed``.

    Args:
        track: the track.
        start: video frame index of scene frame 0.
    """
    has_kp = track.visibility == int(Visibility.VISIBLE)
    keep = has_kp | track.smpl_observed
    if not keep.any():
        raise ValueError(
            f"track {track.track_id!r}: empty track: no VISIBLE frame and no SMPL observation"
        )
    smpl: dict[str, Any] = {}
    if track.has_smpl:
        smpl = {name: getattr(track, name)[keep] for name in _SMPL_FIELDS}
        smpl["has_smpl"] = track.smpl_observed[keep]
    keypoints = np.where(has_kp[:, None, None], track.keypoints, 0.0)[keep]
    return TrackObservations(
        track_id=track.track_id,
        frames=track.frames[keep] + start,
        keypoints=keypoints,
        has_keypoints=has_kp[keep],
        source=f"track {track.track_id!r}",
        **smpl,
    )


# --------------------------------------------------------------------------------------------
# rotation matrices (PHALP) → axis-angle
# --------------------------------------------------------------------------------------------


def _rotmats_to_rotvecs(mats: np.ndarray, label: str, field: str) -> np.ndarray:
    """(..., 3, 3) rotation matrices → (..., 3) axis-angle; ValueError for non-rotations."""
    mats = as_numeric_array(mats, label, field)
    check_finite(mats, label, field)
    ortho = np.abs(np.swapaxes(mats, -1, -2) @ mats - np.eye(3)).max(axis=(-2, -1))
    det = np.linalg.det(mats)
    bad = (ortho > ROTATION_TOLERANCE) | (np.abs(det - 1.0) > ROTATION_TOLERANCE)
    if np.any(bad):
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        raise ValueError(
            f"{label}: field {field!r} entry {i} is not a rotation matrix (max |RᵀR − I| = "
            f"{ortho[i]:.3g}, det = {det[i]:.6g}); expected RᵀR = I, det R = +1 within "
            f"{ROTATION_TOLERANCE:g}"
        )
    return roma.rotmat_to_rotvec(torch.from_numpy(mats)).numpy()


def _rotvecs_to_rotmats(rotvecs: np.ndarray) -> np.ndarray:
    return roma.rotvec_to_rotmat(torch.from_numpy(np.asarray(rotvecs, np.float64))).numpy()


# --------------------------------------------------------------------------------------------
# track_preds (the original's per-frame JSON export) and shot_idcs
# --------------------------------------------------------------------------------------------


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


def _stack_betas(rows: list[np.ndarray], label: str) -> np.ndarray:
    sizes = {r.size for r in rows}
    if len(sizes) != 1:
        raise ValueError(f"{label}: field 'betas' has different lengths {sorted(sizes)} per frame")
    return np.stack(rows)


def _observations(
    tid: str,
    kp: Mapping[int, np.ndarray],
    smpl: Mapping[int, Mapping[str, np.ndarray]],
    source: str,
) -> TrackObservations:
    frames = np.array(sorted(set(kp) | set(smpl)), dtype=np.int64)
    if frames.size == 0:
        raise ValueError(f"{source}: empty track {tid!r}: no detections")
    n = frames.size
    keypoints = np.zeros((n, 25, 3))
    for i, f in enumerate(frames):
        if f in kp:
            keypoints[i] = kp[f]
    has_kp = detected_rows(keypoints)
    fields: dict[str, Any] = {}
    if smpl:
        has_smpl = np.array([f in smpl for f in frames])
        ref = next(iter(smpl.values()))
        for name in _SMPL_FIELDS:
            full = np.full((n,) + ref[name].shape, np.nan)
            for i, f in enumerate(frames):
                if f in smpl:
                    if smpl[f][name].shape != ref[name].shape:
                        raise ValueError(
                            f"{source}: track {tid!r}: field {name!r} has shape "
                            f"{smpl[f][name].shape} at frame {f} but {ref[name].shape} elsewhere"
                        )
                    full[i] = smpl[f][name]
            fields[name] = full
        fields["has_smpl"] = has_smpl
    return TrackObservations(
        track_id=tid,
        frames=frames,
        keypoints=keypoints,
        has_keypoints=has_kp,
        source=source,
        **fields,
    )


def read_track_preds(
    folder: str | os.PathLike, frame_index: FrameIndex | None = None
) -> list[TrackObservations]:
    """Read the original's ``track_preds/<seq>/`` folder.

    Layout: one sub-folder per track (its name is the track id, e.g. ``001``) holding
    ``<frame>_keypoints.json`` (OpenPose JSON, the person is ``people[0]``; an empty ``people``
    list is no detection) and ``<frame>_smpl.json`` (see :func:`read_smpl_json`). A frame whose
    keypoints file holds a person with any confidence > 0 is a detection (the original counts
    every keypoints file; a file of all-zero confidences differs only there).

    Args:
        folder: the ``track_preds/<seq>`` folder.
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
                frame = read_openpose_json(f)
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
            _stack_betas([s["betas"] for s in smpl.values()], str(sub))
        out.append(_observations(sub.name, kp, smpl, str(sub)))
    return out


def write_track_preds(
    folder: str | os.PathLike, tracks: Iterable[Track], frame_names: Sequence[str]
) -> Path:
    """Write scene tracks in the original's track_preds layout.

    For every track ``<folder>/<track id>/``: ``<frame>_keypoints.json`` at VISIBLE frames and
    ``<frame>_smpl.json`` (``betas``, ``body_pose`` (23, 3), ``global_orient``, ``cam_trans``) at
    frames with ``smpl_observed``. Floats are written in full precision.

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
                write_openpose_json(sub / f"{name}{OPENPOSE_SUFFIX}.json", obs.keypoints[i][None])
            if obs.has_smpl[i]:
                write_json_atomic(
                    sub / f"{name}{SMPL_SUFFIX}.json",
                    {
                        "betas": obs.betas[i].tolist(),
                        "body_pose": obs.body_pose[i].tolist(),
                        "global_orient": obs.global_orient[i].tolist(),
                        "cam_trans": obs.transl[i].tolist(),
                    },
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


# --------------------------------------------------------------------------------------------
# PHALP / 4DHumans pickles
# --------------------------------------------------------------------------------------------


def crop_camera_to_full(
    cam_bbox: np.ndarray,
    center: np.ndarray,
    bbox_size: np.ndarray,
    image_size: np.ndarray,
    focal: np.ndarray | float,
) -> np.ndarray:
    """Weak-perspective crop camera → SMPL translation in the full-image camera (the original's).

    With ``f`` the focal length, ``b`` the box size, ``(cx, cy)`` its centre and ``W × H`` the
    image: ``tz = 2 f / (b s)``, ``tx = cam_tx + tz / f · (cx − W/2)``,
    ``ty = cam_ty + tz / f · (cy − H/2)``.

    Args:
        cam_bbox: (N, 3) ``s, tx, ty`` of the crop camera (s > 0).
        center: (N, 2) box centres, pixels.
        bbox_size: (N,) box size, pixels (the original: the larger box side).
        image_size: (N, 2) ``(W, H)`` pixels.
        focal: (N,) or scalar focal length, pixels.

    Returns:
        (N, 3) translation, metres, OpenCV camera axes.
    """
    cam_bbox = np.asarray(cam_bbox, np.float64)
    center = np.asarray(center, np.float64)
    size = np.asarray(image_size, np.float64)
    bbox_size = np.asarray(bbox_size, np.float64)
    f = np.broadcast_to(np.asarray(focal, np.float64), bbox_size.shape)
    tz = 2.0 * f / (bbox_size * cam_bbox[:, 0])
    tx = cam_bbox[:, 1] + tz / f * (center[:, 0] - 0.5 * size[:, 0])
    ty = cam_bbox[:, 2] + tz / f * (center[:, 1] - 0.5 * size[:, 1])
    return np.stack([tx, ty, tz], axis=-1)


def full_to_crop_camera(
    transl: np.ndarray,
    center: np.ndarray,
    bbox_size: np.ndarray,
    image_size: np.ndarray,
    focal: np.ndarray | float,
) -> np.ndarray:
    """Inverse of :func:`crop_camera_to_full`: (N, 3) translation (tz > 0) → (N, 3) crop camera."""
    transl = np.asarray(transl, np.float64)
    center = np.asarray(center, np.float64)
    size = np.asarray(image_size, np.float64)
    bbox_size = np.asarray(bbox_size, np.float64)
    f = np.broadcast_to(np.asarray(focal, np.float64), bbox_size.shape)
    tz = transl[:, 2]
    s = 2.0 * f / (bbox_size * tz)
    tx = transl[:, 0] - tz / f * (center[:, 0] - 0.5 * size[:, 0])
    ty = transl[:, 1] - tz / f * (center[:, 1] - 0.5 * size[:, 1])
    return np.stack([s, tx, ty], axis=-1)


@dataclass(eq=False)
class PhalpTracks:
    """What a PHALP pickle holds: tracks plus the video's frames, shots and image size.

    Attributes:
        tracks: the tracked people (ids ``f"{tid:03d}"`` as the original exports them).
        frame_names: name (file stem) of every video frame, sorted.
        shot_ids: (T,) cumulative shot index per frame, or None without ``shot`` fields.
        image_size: ``(W, H)`` from the records' ``size``.
        focal: the focal length used for the crop-camera conversion, pixels.
    """

    tracks: list[TrackObservations]
    frame_names: list[str]
    shot_ids: np.ndarray | None
    image_size: tuple[int, int] | None
    focal: float | None = None
    notes: list[str] = field(default_factory=list)


def _phalp_tid(tid: Any) -> str:
    tid = to_numpy(tid)
    if hasattr(tid, "item"):
        tid = tid.item()
    if isinstance(tid, (int, np.integer)) and not isinstance(tid, bool):
        return f"{int(tid):03d}"
    return str(tid)


def _detection_list(rec: Mapping, key: str, n: int, label: str) -> list:
    if key not in rec:
        raise ValueError(f"{label}: field {key!r} missing")
    value = rec[key]
    try:
        items = list(value)
    except TypeError:
        raise ValueError(
            f"{label}: field {key!r} must be a list, one entry per detection"
        ) from None
    if len(items) != n:
        raise ValueError(
            f"{label}: field {key!r} has {len(items)} entries, expected {n} (one per 'tid')"
        )
    return items


def phalp_to_tracks(
    data: Mapping[str, Any], label: str, *, focal: float | None = None
) -> PhalpTracks:
    """Convert a loaded PHALP / 4DHumans results dict (frame path → record) to tracks.

    Per frame record: ``tid`` (ids of the detections), ``tracked_ids`` (only these are kept, as
    the original does), ``shot`` (1 at a shot change; cumulated into shot indices), and per
    detection ``camera_bbox`` (s, tx, ty), ``center`` (2,), ``bbox`` (x, y, w, h), ``size``
    (H, W), ``smpl`` (``global_orient`` (1, 3, 3) or (3, 3), ``body_pose`` (23, 3, 3) rotation
    matrices, ``betas`` (B,)) and ``extra_data`` (keypoints (25, 3) BODY_25 as SLAHMR's tracker
    writes them, or (17, 3) COCO-17; a missing or None entry is a detection without keypoints).

    Rotation matrices become axis-angle; the crop camera becomes a full-image translation with
    :func:`crop_camera_to_full` and box size ``max(w, h)``, with focal ``focal`` or
    ``0.5 (W + H)``.

    Args:
        data: frame path → record.
        label: the file, for messages.
        focal: focal length in pixels for the translation (default ``0.5 (W + H)``).

    Returns:
        The tracks, frames, shots and image size.
    """
    if not isinstance(data, Mapping) or not data:
        raise ValueError(f"{label}: expected a non-empty dict frame path → record (PHALP)")
    keys = sorted(data)
    names = [frame_stem(str(k).split("/")[-1]) for k in keys]
    if len(set(names)) != len(names):
        raise ValueError(f"{label}: two frame paths share a file name")
    shots: list[int] = []
    per_track: dict[str, dict[str, dict[int, Any]]] = {}
    sizes: set[tuple[int, int]] = set()
    used_focal: float | None = None
    notes: list[str] = []
    for index, key in enumerate(keys):
        rec = data[key]
        rlabel = f"{label} [frame {key!r}]"
        if not isinstance(rec, Mapping):
            raise ValueError(f"{rlabel}: record must be a dict")
        if "shot" in rec:
            shot = np.asarray(to_numpy(rec["shot"])).reshape(-1)
            if shot.size != 1 or shot[0] not in (0, 1):
                raise ValueError(f"{rlabel}: field 'shot' must be 0 or 1, got {rec['shot']!r}")
            shots.append(int(shot[0]))
        if "tid" not in rec:
            raise ValueError(f"{rlabel}: field 'tid' missing")
        tids = [_phalp_tid(t) for t in list(rec["tid"])]
        n = len(tids)
        if n == 0:
            continue
        if "tracked_ids" not in rec:
            raise ValueError(f"{rlabel}: field 'tracked_ids' missing")
        tracked = {_phalp_tid(t) for t in list(rec["tracked_ids"])}
        cam = _detection_list(rec, "camera_bbox", n, rlabel)
        center = _detection_list(rec, "center", n, rlabel)
        bbox = _detection_list(rec, "bbox", n, rlabel)
        size = _detection_list(rec, "size", n, rlabel)
        smpl = _detection_list(rec, "smpl", n, rlabel)
        extra = _detection_list(rec, "extra_data", n, rlabel) if "extra_data" in rec else [None] * n
        for j, tid in enumerate(tids):
            if tid not in tracked:
                continue
            dlabel = f"{rlabel} detection {j}"
            hw = as_numeric_array(to_numpy(size[j]), dlabel, "size").reshape(-1)
            if hw.shape != (2,) or np.any(hw <= 0):
                raise ValueError(f"{dlabel}: field 'size' is {hw}, expected (H, W) > 0")
            H, W = float(hw[0]), float(hw[1])
            sizes.add((int(W), int(H)))
            f = float(focal) if focal is not None else 0.5 * (W + H)
            used_focal = f
            c = as_numeric_array(to_numpy(cam[j]), dlabel, "camera_bbox").reshape(-1)
            ctr = as_numeric_array(to_numpy(center[j]), dlabel, "center").reshape(-1)
            box = as_numeric_array(to_numpy(bbox[j]), dlabel, "bbox").reshape(-1)
            for name, arr, shape in (("camera_bbox", c, 3), ("center", ctr, 2), ("bbox", box, 4)):
                if arr.shape != (shape,):
                    raise ValueError(
                        f"{dlabel}: field {name!r} has {arr.size} numbers, expected {shape}"
                    )
                check_finite(arr, dlabel, name)
            b = float(max(box[2:]))
            if c[0] <= 0 or b <= 0:
                raise ValueError(
                    f"{dlabel}: field 'camera_bbox' scale {c[0]} and box size {b} must be > 0"
                )
            transl = crop_camera_to_full(c[None], ctr[None], np.array([b]), [[W, H]], f)[0]
            s = smpl[j]
            if not isinstance(s, Mapping):
                raise ValueError(f"{dlabel}: field 'smpl' must be a dict")
            for key2 in ("global_orient", "body_pose", "betas"):
                if key2 not in s:
                    raise ValueError(f"{dlabel}: field 'smpl.{key2}' missing")
            go = as_numeric_array(to_numpy(s["global_orient"]), dlabel, "smpl.global_orient")
            bp = as_numeric_array(to_numpy(s["body_pose"]), dlabel, "smpl.body_pose")
            if go.size != 9:
                raise ValueError(
                    f"{dlabel}: field 'smpl.global_orient' has shape {go.shape}, expected "
                    "(1, 3, 3) rotation matrix"
                )
            if bp.size != NUM_BODY_JOINTS * 9:
                raise ValueError(
                    f"{dlabel}: field 'smpl.body_pose' has shape {bp.shape}, expected "
                    f"({NUM_BODY_JOINTS}, 3, 3) rotation matrices"
                )
            betas = as_numeric_array(to_numpy(s["betas"]), dlabel, "smpl.betas").reshape(-1)
            check_finite(betas, dlabel, "smpl.betas")
            rec_smpl = {
                "global_orient": _rotmats_to_rotvecs(
                    go.reshape(3, 3), dlabel, "smpl.global_orient"
                ),
                "body_pose": _rotmats_to_rotvecs(
                    bp.reshape(NUM_BODY_JOINTS, 3, 3), dlabel, "smpl.body_pose"
                ),
                "betas": betas,
                "transl": transl,
            }
            entry = per_track.setdefault(tid, {"kp": {}, "smpl": {}})
            if index in entry["smpl"]:
                raise ValueError(f"{dlabel}: track {tid!r} is detected twice in this frame")
            entry["smpl"][index] = rec_smpl
            if extra[j] is not None:
                kp = keypoints_to_body25(to_numpy(extra[j]), label=dlabel, field="extra_data")
                if kp.shape != (25, 3):
                    raise ValueError(
                        f"{dlabel}: field 'extra_data' has shape {kp.shape}, expected (25, 3) "
                        "or (17, 3) keypoints of one person"
                    )
                entry["kp"][index] = kp
    if shots and len(shots) != len(keys):
        raise ValueError(f"{label}: field 'shot' is present in some frame records only")
    if len(sizes) > 1:
        raise ValueError(f"{label}: field 'size' differs between detections: {sorted(sizes)}")
    if not per_track:
        raise ValueError(f"{label}: empty tracks: no tracked detection in any frame")
    tracks = []
    for tid in sorted(per_track):
        entry = per_track[tid]
        _stack_betas([s["betas"] for s in entry["smpl"].values()], f"{label} (track {tid!r})")
        tracks.append(_observations(tid, entry["kp"], entry["smpl"], label))
    if all(not t.has_keypoints.any() for t in tracks):
        notes.append("the pickle holds no keypoints ('extra_data'); give them from another file")
    return PhalpTracks(
        tracks=tracks,
        frame_names=names,
        shot_ids=np.cumsum(shots).astype(np.int64) if shots else None,
        image_size=next(iter(sizes)) if sizes else None,
        focal=used_focal,
        notes=notes,
    )


def read_phalp_pickle(
    path: str | os.PathLike, *, trust_pickle: bool = False, focal: float | None = None
) -> PhalpTracks:
    """Read a PHALP / 4DHumans results pickle (``phalp_out/results/<seq>.pkl``).

    Pickles can run code when loaded, so the file is read only with ``trust_pickle=True``
    (joblib is used if installed, else ``pickle``). See :func:`phalp_to_tracks` for the fields.
    """
    data = read_pickle(path, trust_pickle=trust_pickle, what="PHALP tracklets")
    return phalp_to_tracks(data, str(path), focal=focal)


def _keypoint_box(keypoints: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    pts = keypoints[keypoints[:, 2] > 0, :2]
    if len(pts) == 0:
        w, h = image_size
        return np.array([0.5 * w - 50.0, 0.5 * h - 50.0, 100.0, 100.0])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    wh = np.maximum(hi - lo, 1.0) * 1.2
    centre = 0.5 * (lo + hi)
    return np.array([*(centre - 0.5 * wh), *wh])


def write_phalp_pickle(
    path: str | os.PathLike,
    tracks: Sequence[Track],
    frame_names: Sequence[str],
    image_size: tuple[int, int],
    *,
    shot_ids: Sequence[int] | None = None,
    focal: float | None = None,
) -> dict[str, int]:
    """Write scene tracks as a PHALP results pickle (plain ``pickle``, protocol 4).

    Every VISIBLE frame of a track becomes a detection with the track's keypoints as
    ``extra_data`` (BODY_25) and its SMPL (rotation matrices; the filled value where the frame has
    no SMPL observation) — PHALP has no detection without an SMPL estimate. The box is the
    confident keypoints' extent padded by 20 %, and the crop camera is
    :func:`full_to_crop_camera` of the SMPL translation with focal ``focal`` or ``0.5 (W + H)``.

    Args:
        path: destination ``.pkl``.
        tracks: scene tracks with SMPL.
        frame_names: name of every scene frame; the keys are ``images/<name>.jpg``.
        image_size: ``(W, H)`` pixels.
        shot_ids: (T,) cumulative shot index per frame (default: one shot).
        focal: focal length for the crop camera, pixels.

    Returns:
        track id → the integer PHALP ``tid`` used (the id itself if it is a number, else its
        1-based position).
    """
    W, H = image_size
    f = float(focal) if focal is not None else 0.5 * (W + H)
    T = len(frame_names)
    shots = np.zeros(T, dtype=np.int64) if shot_ids is None else np.asarray(shot_ids)
    flags = np.concatenate([[0], np.diff(shots)]).astype(int)
    records = {
        i: {
            "tid": [],
            "tracked_ids": [],
            "bbox": [],
            "center": [],
            "size": [],
            "camera_bbox": [],
            "smpl": [],
            "extra_data": [],
            "shot": int(flags[i]),
        }
        for i in range(T)
    }
    tid_map: dict[str, int] = {}
    for k, track in enumerate(tracks):
        if not track.has_smpl:
            raise ValueError(f"{path}: track {track.track_id!r} has no SMPL; PHALP needs it")
        tid = int(track.track_id) if track.track_id.isdigit() else k + 1
        tid_map[track.track_id] = tid
        rotmats_go = _rotvecs_to_rotmats(track.global_orient)
        rotmats_bp = _rotvecs_to_rotmats(track.body_pose)
        for i in np.flatnonzero(track.visibility == int(Visibility.VISIBLE)):
            frame = track.start + int(i)
            box = _keypoint_box(track.keypoints[i], image_size)
            centre = box[:2] + 0.5 * box[2:]
            if track.transl[i, 2] <= 0:
                raise ValueError(
                    f"{path}: track {track.track_id!r} frame {frame}: transl z = "
                    f"{track.transl[i, 2]} must be > 0 for a crop camera"
                )
            cam = full_to_crop_camera(
                track.transl[i][None], centre[None], np.array([max(box[2:])]), [[W, H]], f
            )[0]
            rec = records[frame]
            rec["tid"].append(tid)
            rec["tracked_ids"].append(tid)
            rec["bbox"].append(box)
            rec["center"].append(centre)
            rec["size"].append(np.array([H, W]))
            rec["camera_bbox"].append(cam)
            rec["smpl"].append(
                {
                    "global_orient": rotmats_go[i][None],
                    "body_pose": rotmats_bp[i],
                    "betas": track.betas[i].copy(),
                }
            )
            rec["extra_data"].append(track.keypoints[i].copy())
    data = {f"images/{frame_names[i]}.jpg": records[i] for i in range(T)}
    write_bytes_atomic(path, pickle.dumps(data, protocol=4))
    return tid_map


# --------------------------------------------------------------------------------------------
# plain npz
# --------------------------------------------------------------------------------------------


def _read_npz_track(path: Path) -> TrackObservations:
    label = str(path)
    z = read_npz_file(path, "track")
    tid = path.stem
    smpl_given = [k in z for k in _SMPL_FIELDS]
    if any(smpl_given) and not all(smpl_given):
        missing = [k for k, g in zip(_SMPL_FIELDS, smpl_given, strict=True) if not g]
        raise ValueError(f"{label}: SMPL fields must be all present or none; missing {missing}")
    if "keypoints" not in z and not all(smpl_given):
        raise ValueError(
            f"{label}: empty track: neither 'keypoints' nor the SMPL fields "
            f"{list(_SMPL_FIELDS)} are present"
        )
    rows_from = z["keypoints"] if "keypoints" in z else z["transl"]
    if rows_from.ndim < 1 or rows_from.shape[0] == 0:
        raise ValueError(f"{label}: empty track: the arrays hold no frames")
    n = rows_from.shape[0]
    if "frames" in z:
        frames = check_frames(z["frames"], label)
    elif "start" in z:
        start = z["start"]
        if start.shape != () or start.dtype.kind not in "iu" or int(start) < 0:
            raise ValueError(f"{label}: field 'start' must be a non-negative integer scalar")
        frames = int(start) + np.arange(n)
    else:
        raise ValueError(f"{label}: field 'frames' missing; expected (N,) video frame indices")
    if frames.size != n:
        raise ValueError(
            f"{label}: field 'frames' has {frames.size} entries but the arrays have {n} rows"
        )
    if "keypoints" in z:
        keypoints = keypoints_to_body25(z["keypoints"], label=label)
        if keypoints.shape != (n, 25, 3):
            raise ValueError(
                f"{label}: field 'keypoints' has shape {z['keypoints'].shape}, expected (N, J, 3)"
            )
        if "visibility" in z:
            vis = z["visibility"]
            if vis.shape != (n,):
                raise ValueError(
                    f"{label}: field 'visibility' has shape {vis.shape}, expected ({n},)"
                )
            has_kp = vis == int(Visibility.VISIBLE)
        else:
            has_kp = detected_rows(keypoints)
    else:
        keypoints = np.zeros((n, 25, 3))
        has_kp = np.zeros(n, dtype=bool)
    fields: dict[str, Any] = {}
    if all(smpl_given):
        bp = as_numeric_array(z["body_pose"], label, "body_pose")
        if bp.shape == (n, NUM_BODY_JOINTS * 3):
            bp = bp.reshape(n, NUM_BODY_JOINTS, 3)
        betas = as_numeric_array(z["betas"], label, "betas")
        if betas.ndim == 1:
            betas = np.broadcast_to(betas, (n, betas.size)).copy()
        fields = {
            "global_orient": z["global_orient"],
            "body_pose": bp,
            "betas": betas,
            "transl": z["transl"],
        }
        if "smpl_observed" in z:
            fields["has_smpl"] = z["smpl_observed"]
        else:  # a row holding NaN has no estimate (inf stays an error)
            observed = np.ones(n, dtype=bool)
            for name in _SMPL_FIELDS:
                arr = as_numeric_array(fields[name], label, name)
                if arr.ndim >= 1 and arr.shape[0] == n:
                    observed &= ~np.any(np.isnan(arr.reshape(n, -1)), axis=1)
            fields["has_smpl"] = observed
    return TrackObservations(
        track_id=tid,
        frames=frames,
        keypoints=keypoints,
        has_keypoints=has_kp,
        source=label,
        **fields,
    )


def read_npz_tracks(path: str | os.PathLike) -> list[TrackObservations]:
    """Read plain npz tracks: a folder of ``<track id>.npz`` files, or one such file.

    Fields (N rows, one per frame the person has data):

    - ``frames`` (N,) int video frame indices, strictly increasing — or ``start`` (scalar) for
      consecutive frames ``start … start + N − 1`` (our scene folder's track files);
    - ``keypoints`` (N, 25, 3) BODY_25 or (N, 17, 3) COCO-17, optional; a row counts as a
      detection where any confidence is > 0, or where ``visibility`` (N,) is 1 when given;
    - ``global_orient`` (N, 3), ``body_pose`` (N, 23, 3) or (N, 69), ``betas`` (N, B) or (B,),
      ``transl`` (N, 3): camera-frame SMPL, axis-angle and metres, optional but all together;
      rows holding NaN (or False in ``smpl_observed`` (N,) when given) have no estimate;
      infinite values are errors.

    Returns:
        The tracks, sorted by id.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix == ".npz")
        if not files:
            raise ValueError(f"{path}: no <track id>.npz files")
        return [_read_npz_track(f) for f in files]
    if not path.is_file():
        raise ValueError(f"{path}: file not found (npz tracks)")
    return [_read_npz_track(path)]


def write_npz_tracks(
    folder: str | os.PathLike, tracks: Iterable[Track], start: int = 0, *, keypoints: bool = True
) -> Path:
    """Write scene tracks as plain npz tracks, ``<folder>/<track id>.npz``.

    Rows are the frames with keypoints (VISIBLE) or an SMPL observation: ``frames`` (video
    index = scene frame + ``start``), ``keypoints`` (N, 25, 3) (zero where not VISIBLE; left out
    with ``keypoints=False``, when they come from another file), and the SMPL arrays with NaN rows
    where ``smpl_observed`` is False.

    Returns:
        The folder.
    """
    folder = Path(folder)
    for track in tracks:
        obs = track_to_observations(track, start)
        arrays: dict[str, np.ndarray] = {"frames": obs.frames}
        if keypoints:
            arrays["keypoints"] = obs.keypoints
        if obs.smpl_given:
            for name in _SMPL_FIELDS:
                arr = getattr(obs, name).copy()
                arr[~obs.has_smpl] = np.nan
                arrays[name] = arr
        write_npz_atomic(folder / f"{track.track_id}.npz", arrays)
    return folder
