"""PHALP / 4D-Humans results pickles (``joblib.dump(final_visuals_dic, …, compress=3)``).

Frame path → record; per detection ``tid``, ``camera_bbox`` (the HMR crop camera), ``center``,
``scale``, ``bbox``, ``size``, ``smpl`` (rotation matrices) and ``extra_data`` (ViTPose BODY_25
keypoints in SLAHMR's tracker, the detection index in 4D-Humans' own ``track.py``); per frame
``tracked_ids`` and ``shot``. Pickles run code when loaded: read only with ``trust_pickle=True``.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import roma
import torch

from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.io.common import as_numeric_array, check_finite, frame_stem, read_pickle, to_numpy
from slahmr_opt.io.keypoints import keypoints_to_body25
from slahmr_opt.io.tracks import TrackObservations, observations_from_frames, stack_betas
from slahmr_opt.scene import NUM_BODY_JOINTS, ROTATION_TOLERANCE, Track, Visibility

__all__ = [
    "PhalpTracks",
    "crop_camera_to_full",
    "full_to_crop_camera",
    "phalp_to_tracks",
    "read_phalp_pickle",
    "rotmats_to_rotvecs",
    "rotvecs_to_rotmats",
    "write_phalp_pickle",
]


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


def rotmats_to_rotvecs(mats: np.ndarray, label: str, field: str) -> np.ndarray:
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


def rotvecs_to_rotmats(rotvecs: np.ndarray) -> np.ndarray:
    return roma.rotvec_to_rotmat(torch.from_numpy(np.asarray(rotvecs, np.float64))).numpy()


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
                "global_orient": rotmats_to_rotvecs(go.reshape(3, 3), dlabel, "smpl.global_orient"),
                "body_pose": rotmats_to_rotvecs(
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
        stack_betas([s["betas"] for s in entry["smpl"].values()], f"{label} (track {tid!r})")
        tracks.append(observations_from_frames(tid, entry["kp"], entry["smpl"], label))
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
        rotmats_go = rotvecs_to_rotmats(track.global_orient)
        rotmats_bp = rotvecs_to_rotmats(track.body_pose)
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
