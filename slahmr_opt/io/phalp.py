"""PHALP / 4D-Humans results pickles (brjathu/PHALP ``phalp/trackers/PHALP.py:264``:
``joblib.dump(final_visuals_dic, pkl_path, compress=3)``).

Frame key (the image path, or ``(video path, pts)`` for a video read without extracting frames,
``phalp/utils/io.py:46-88``) → record with ``time``, ``shot`` (1 at a shot change),
``frame_path``, ``tracked_ids`` (tracks detected in this frame) and, one entry per confirmed
track (``tid``), the detection's fields (``PHALP.py:441-468``):

- ``bbox`` (x, y, w, h) the detector's box; ``center`` the centre of the box padded to the HMR
  aspect (192 × 256 in 4D-Humans and SLAHMR); ``scale`` = the padded box's larger side / max(H, W)
  (``phalp/external/deep_sort_/detection.py:42``); ``size`` [H, W];
- ``camera_bbox`` (s, tx, ty): HMR's crop camera for the padded crop of side ``scale · max(H, W)``;
- ``smpl``: ``global_orient`` (1, 3, 3), ``body_pose`` (23, 3, 3), ``betas`` (10,), float32;
- ``2d_joints`` (90,): the SMPL joints projected by PHALP, normalised by the padded square image
  (first 25 in OpenPose BODY_25 order, ``phalp/utils/smpl_utils.py:37-38``);
- ``extra_data``: what ``run_additional_models`` returned: ViTPose keypoints in BODY_25 slots
  (25, 3) in SLAHMR's tracker (``slahmr/preproc/track.py:170-194``), the detection index (an
  int) in PHALP's and 4D-Humans' own ``track.py`` (``PHALP.py:378-379``).

Pickles run code when loaded: read only with ``trust_pickle=True``.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.io.common import as_numeric_array, check_finite, frame_stem, read_pickle, to_numpy
from slahmr_opt.io.hmr import (
    crop_rows_to_transl,
    full_to_crop_camera,
    rotmats_to_rotvecs,
    rotvecs_to_rotmats,
)
from slahmr_opt.io.intrinsics import default_intrinsics
from slahmr_opt.io.keypoints import ConfidenceClips, keypoints_to_body25
from slahmr_opt.io.tracks import TrackObservations, observations_from_frames, stack_betas
from slahmr_opt.scene import NUM_BODY_JOINTS, Track, Visibility

__all__ = [
    "BOX_SIZES",
    "HMR_ASPECT",
    "PHALP_KEYPOINTS",
    "PhalpTracks",
    "phalp_to_tracks",
    "read_phalp_pickle",
    "write_phalp_pickle",
]

log = logging.getLogger(__name__)

PHALP_KEYPOINTS = ("auto", "extra_data", "2d_joints", "none")
"""Where a PHALP pickle's keypoints come from: ``extra_data`` (SLAHMR's ViTPose), ``2d_joints``
(PHALP's projected SMPL joints), none, or ``auto`` (``extra_data`` when it holds keypoints,
else ``2d_joints``)."""

BOX_SIZES = ("scale", "bbox")
"""The crop side for the crop camera: PHALP's ``scale`` (the crop HMR saw) or, as SLAHMR's
``export_phalp.py:95-98`` does, the larger side of the unpadded ``bbox``."""

HMR_ASPECT = (192, 256)
"""Width : height the detections are padded to before HMR (4D-Humans ``track.py:170``)."""

JOINTS2D_CONFIDENCE = 1.0
"""Confidence given to ``2d_joints`` keypoints (model projections, not detections)."""

KeypointSource = Literal["auto", "extra_data", "2d_joints", "none"]


@dataclass(eq=False)
class PhalpTracks:
    """What a PHALP pickle holds: tracks plus the video's frames, shots and image size.

    Attributes:
        tracks: the tracked people (ids ``f"{tid:03d}"`` as SLAHMR exports them); each keeps its
            crop cameras (``crop``) and boxes (``boxes``).
        frame_names: name (file stem) of every video frame, in the pickle's sorted order.
        shot_ids: (T,) cumulative shot index per frame, or None without ``shot`` fields.
        image_size: ``(W, H)`` from the records' ``size``.
        intrinsics: how ``transl`` was computed (``"default f = 0.5 (W + H)"``, a focal, given).
        keypoints: where the keypoints came from: ``extra_data``, ``2d_joints`` or ``none``.
        notes: what the reader decided, for provenance.
    """

    tracks: list[TrackObservations]
    frame_names: list[str]
    shot_ids: np.ndarray | None
    image_size: tuple[int, int] | None
    intrinsics: str = ""
    keypoints: str = "none"
    notes: list[str] = field(default_factory=list)


def _phalp_tid(tid: Any) -> str:
    tid = to_numpy(tid)
    if hasattr(tid, "item"):
        tid = tid.item()
    if isinstance(tid, (int, np.integer)) and not isinstance(tid, bool):
        return f"{int(tid):03d}"
    return str(tid)


def _frame_name(key: Any) -> str:
    if isinstance(key, tuple) and len(key) == 2:  # (video path, pts): frames not extracted
        return str(to_numpy(key[1]).item() if hasattr(key[1], "item") else key[1])
    return frame_stem(str(key).replace("\\", "/").split("/")[-1])


def _detection_list(rec: Mapping, key: str, n: int, label: str) -> list:
    if key not in rec:
        raise ValueError(f"{label}: field {key!r} missing")
    try:
        items = list(rec[key])
    except TypeError:
        raise ValueError(f"{label}: field {key!r} must be a list, one per detection") from None
    if len(items) != n:
        raise ValueError(
            f"{label}: field {key!r} has {len(items)} entries, expected {n} (one per 'tid')"
        )
    return items


def _extra_is_keypoints(value: Any) -> bool:
    return value is not None and np.ndim(to_numpy(value)) >= 2


def _keypoint_source(data: Mapping, mode: str, label: str) -> str:
    """Decide, once per pickle, where the keypoints come from."""
    if mode not in PHALP_KEYPOINTS:
        raise ValueError(f"{label}: keypoints must be one of {PHALP_KEYPOINTS}, got {mode!r}")
    if mode != "auto":
        return mode
    seen_joints = False
    for rec in data.values():
        if isinstance(rec, Mapping):
            if any(_extra_is_keypoints(e) for e in rec.get("extra_data", []) or []):
                return "extra_data"
            seen_joints |= bool(rec.get("2d_joints"))
    return "2d_joints" if seen_joints else "none"


def _joints2d_to_body25(value: Any, H: float, W: float, label: str) -> np.ndarray:
    """PHALP's ``2d_joints`` (normalised by the padded max(H, W) square) → (25, 3) BODY_25."""
    j = as_numeric_array(to_numpy(value), label, "2d_joints").reshape(-1)
    if j.size < 50 or j.size % 2:
        raise ValueError(
            f"{label}: field '2d_joints' has {j.size} numbers, expected (x, y) of ≥ 25 joints"
        )
    check_finite(j, label, "2d_joints")
    side = max(H, W)
    left, top = (side - W) // 2, (side - H) // 2  # PHALP.py:183-184 pads to a centred square
    xy = j.reshape(-1, 2)[:25] * side - np.array([left, top])
    return np.concatenate([xy, np.full((25, 1), JOINTS2D_CONFIDENCE)], axis=1)


def phalp_to_tracks(
    data: Mapping[Any, Any],
    label: str,
    *,
    focal: float | None = None,
    intrinsics: np.ndarray | None = None,
    keypoints: KeypointSource = "auto",
    box_size: Literal["scale", "bbox"] = "scale",
    clips: ConfidenceClips | None = None,
) -> PhalpTracks:
    """Convert a loaded PHALP / 4D-Humans results dict (frame key → record) to tracks.

    Only ``tracked_ids`` detections are kept, as SLAHMR's exporter does. Rotation matrices
    become axis-angle; the crop camera becomes a full-image translation with
    :func:`crop_camera_to_full`, crop side ``scale · max(H, W)`` (``box_size="bbox"``: the larger
    side of ``bbox``, SLAHMR's choice) and centre ``center``. Each track keeps its crop cameras,
    so the folder reader recomputes ``transl`` with the scene's final intrinsics.

    Args:
        data: frame key → record.
        label: the file, for messages.
        focal: focal (pixels) of the default intrinsics ``[f, f, W/2, H/2]`` (default
            ``0.5 (W + H)``).
        intrinsics: (4,) or (T, 4) ``fx, fy, cx, cy`` per video frame (overrides ``focal``).
        keypoints: see :data:`PHALP_KEYPOINTS`.
        box_size: see :data:`BOX_SIZES`.
        clips: collects keypoint confidences above 1 (reported here when not given).

    Returns:
        The tracks, frames, shots and image size.
    """
    if not isinstance(data, Mapping) or not data:
        raise ValueError(f"{label}: expected a non-empty dict frame path → record (PHALP)")
    if box_size not in BOX_SIZES:
        raise ValueError(f"{label}: box_size must be one of {BOX_SIZES}, got {box_size!r}")
    keys = sorted(data)
    names = [_frame_name(k) for k in keys]
    if len(set(names)) != len(names):
        raise ValueError(f"{label}: two frame paths share a file name")
    source = _keypoint_source(data, keypoints, label)
    own = ConfidenceClips(label) if clips is None else clips
    K_given = None if intrinsics is None else np.atleast_2d(np.asarray(intrinsics, np.float64))
    shots: list[int] = []
    per_track: dict[str, dict[str, dict[int, Any]]] = {}
    sizes: set[tuple[int, int]] = set()
    no_scale = 0
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
        lists = {k: _detection_list(rec, k, n, rlabel) for k in ("camera_bbox", "center", "bbox")}
        lists["size"] = _detection_list(rec, "size", n, rlabel)
        lists["smpl"] = _detection_list(rec, "smpl", n, rlabel)
        for opt in ("scale", "extra_data", "2d_joints"):
            lists[opt] = _detection_list(rec, opt, n, rlabel) if opt in rec else [None] * n
        for j, tid in enumerate(tids):
            if tid not in tracked:
                continue
            dlabel = f"{rlabel} detection {j}"
            det = _detection(lists, j, dlabel, box_size, source, own)
            H, W = det.pop("size")
            sizes.add((int(W), int(H)))
            no_scale += det.pop("no_scale")
            if K_given is None:
                K = default_intrinsics(int(W), int(H), focal)
            else:
                K = K_given[0] if K_given.shape[0] == 1 else K_given[index]
            crop = det.pop("crop")
            det["smpl"]["transl"] = crop_rows_to_transl(crop[None], K)[0]
            entry = per_track.setdefault(tid, {"kp": {}, "smpl": {}, "crop": {}, "boxes": {}})
            if index in entry["smpl"]:
                raise ValueError(f"{dlabel}: track {tid!r} is detected twice in this frame")
            entry["smpl"][index] = det["smpl"]
            entry["crop"][index] = crop
            entry["boxes"][index] = det["box"]
            if det["keypoints"] is not None:
                entry["kp"][index] = det["keypoints"]
    if shots and len(shots) != len(keys):
        raise ValueError(f"{label}: field 'shot' is present in some frame records only")
    if len(sizes) > 1:
        raise ValueError(f"{label}: field 'size' differs between detections: {sorted(sizes)}")
    if not per_track:
        raise ValueError(f"{label}: empty tracks: no tracked detection in any frame")
    if clips is None:
        own.report()
    tracks = []
    for tid in sorted(per_track):
        entry = per_track[tid]
        stack_betas([s["betas"] for s in entry["smpl"].values()], f"{label} (track {tid!r})")
        extras = {"crop": entry["crop"], "boxes": entry["boxes"]}
        tracks.append(observations_from_frames(tid, entry["kp"], entry["smpl"], label, extras))
    notes = _notes(label, source, no_scale, box_size)
    for note in notes:
        log.warning(note)
    if K_given is not None:
        how = "given intrinsics"
    else:
        how = f"default f = {'given focal' if focal is not None else '0.5 (W + H)'}"
    return PhalpTracks(
        tracks=tracks,
        frame_names=names,
        shot_ids=np.cumsum(shots).astype(np.int64) if shots else None,
        image_size=next(iter(sizes)) if sizes else None,
        intrinsics=how,
        keypoints=source,
        notes=notes,
    )


def _notes(label: str, source: str, no_scale: int, box_size: str) -> list[str]:
    notes = []
    if source == "2d_joints":
        notes.append(
            f"{label}: 'extra_data' holds no keypoints (PHALP's and 4D-Humans' track.py store "
            "the detection index there): keypoints are PHALP's '2d_joints' (its SMPL joints "
            f"projected, confidence {JOINTS2D_CONFIDENCE:g}) unless a keypoint file replaces them"
        )
    elif source == "none":
        notes.append(f"{label}: the pickle holds no keypoints; give them from another file")
    if no_scale and box_size == "scale":
        notes.append(
            f"{label}: {no_scale} detection(s) without 'scale': their crop side is the larger "
            "side of 'bbox' (SLAHMR's choice)"
        )
    return notes


def _numbers(lists: Mapping, key: str, j: int, label: str, count: int) -> np.ndarray:
    arr = as_numeric_array(to_numpy(lists[key][j]), label, key).reshape(-1)
    if arr.shape != (count,):
        raise ValueError(f"{label}: field {key!r} has {arr.size} numbers, expected {count}")
    check_finite(arr, label, key)
    return arr


def _detection(
    lists: Mapping, j: int, label: str, box_size: str, source: str, clips: ConfidenceClips
) -> dict[str, Any]:
    """One detection's SMPL (no transl yet), crop row, box, keypoints and size."""
    hw = _numbers(lists, "size", j, label, 2)
    if np.any(hw <= 0):
        raise ValueError(f"{label}: field 'size' is {hw}, expected (H, W) > 0")
    H, W = float(hw[0]), float(hw[1])
    cam = _numbers(lists, "camera_bbox", j, label, 3)
    ctr = _numbers(lists, "center", j, label, 2)
    box = _numbers(lists, "bbox", j, label, 4)
    scale = lists["scale"][j]
    no_scale = scale is None
    if box_size == "scale" and not no_scale:
        side = float(_numbers(lists, "scale", j, label, 1)[0]) * max(H, W)
    else:
        side = float(max(box[2:]))
    if cam[0] <= 0 or side <= 0:
        raise ValueError(
            f"{label}: field 'camera_bbox' scale {cam[0]} and crop side {side} must be > 0"
        )
    s = lists["smpl"][j]
    if not isinstance(s, Mapping):
        raise ValueError(f"{label}: field 'smpl' must be a dict")
    for key in ("global_orient", "body_pose", "betas"):
        if key not in s:
            raise ValueError(f"{label}: field 'smpl.{key}' missing")
    go = as_numeric_array(to_numpy(s["global_orient"]), label, "smpl.global_orient")
    bp = as_numeric_array(to_numpy(s["body_pose"]), label, "smpl.body_pose")
    if go.size != 9:
        raise ValueError(
            f"{label}: field 'smpl.global_orient' has shape {go.shape}, expected (1, 3, 3)"
        )
    if bp.size != NUM_BODY_JOINTS * 9:
        raise ValueError(
            f"{label}: field 'smpl.body_pose' has shape {bp.shape}, expected "
            f"({NUM_BODY_JOINTS}, 3, 3) rotation matrices"
        )
    betas = as_numeric_array(to_numpy(s["betas"]), label, "smpl.betas").reshape(-1)
    check_finite(betas, label, "smpl.betas")
    keypoints = None
    extra = lists["extra_data"][j]
    if source == "extra_data" and _extra_is_keypoints(extra):
        keypoints = keypoints_to_body25(
            to_numpy(extra), label=label, field="extra_data", clips=clips
        )
        if keypoints.shape != (25, 3):
            raise ValueError(
                f"{label}: field 'extra_data' has shape {keypoints.shape}, expected (25, 3) or "
                "(17, 3) keypoints of one person"
            )
    elif source == "2d_joints" and lists["2d_joints"][j] is not None:
        keypoints = _joints2d_to_body25(lists["2d_joints"][j], H, W, label)
    return {
        "size": (H, W),
        "no_scale": int(no_scale),
        "crop": np.array([*cam, *ctr, side]),
        "box": box,
        "keypoints": keypoints,
        "smpl": {
            "global_orient": rotmats_to_rotvecs(go.reshape(3, 3), label, "smpl.global_orient"),
            "body_pose": rotmats_to_rotvecs(
                bp.reshape(NUM_BODY_JOINTS, 3, 3), label, "smpl.body_pose"
            ),
            "betas": betas,
        },
    }


def read_phalp_pickle(
    path: str | os.PathLike,
    *,
    trust_pickle: bool = False,
    focal: float | None = None,
    intrinsics: np.ndarray | None = None,
    keypoints: KeypointSource = "auto",
    box_size: Literal["scale", "bbox"] = "scale",
    clips: ConfidenceClips | None = None,
) -> PhalpTracks:
    """Read a PHALP / 4D-Humans results pickle (SLAHMR: ``phalp_out/<seq>/<seq>.pkl``; PHALP:
    ``<output_dir>/results/demo_<seq>.pkl``).

    Pickles can run code when loaded, so the file is read only with ``trust_pickle=True``
    (through joblib, which PHALP writes it with). See :func:`phalp_to_tracks` for the rest.
    """
    data = read_pickle(path, trust_pickle=trust_pickle, what="PHALP tracklets")
    return phalp_to_tracks(
        data,
        str(path),
        focal=focal,
        intrinsics=intrinsics,
        keypoints=keypoints,
        box_size=box_size,
        clips=clips,
    )


def _padded_box(keypoints: np.ndarray, image_size: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """A detection box around the keypoints (x, y, w, h), and its HMR-aspect padding
    (centre, (w, h)) as 4D-Humans' ``expand_bbox_to_aspect_ratio`` makes it."""
    pts = keypoints[keypoints[:, 2] > 0, :2]
    if len(pts) == 0:
        w, h = image_size
        lo, hi = np.array([0.5 * w - 50.0, 0.5 * h - 50.0]), np.array([0.5 * w + 50, 0.5 * h + 50])
    else:
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = 0.1 * np.maximum(hi - lo, 1.0)
        lo, hi = lo - pad, hi + pad
    wh = hi - lo
    centre = 0.5 * (lo + hi)
    wt, ht = HMR_ASPECT
    if wh[1] / wh[0] < ht / wt:
        padded = np.array([wh[0], max(wh[0] * ht / wt, wh[1])])
    else:
        padded = np.array([max(wh[1] * wt / ht, wh[0]), wh[1]])
    return np.array([*lo, *wh]), centre, padded


def write_phalp_pickle(
    path: str | os.PathLike,
    tracks: Sequence[Track],
    frame_names: Sequence[str],
    image_size: tuple[int, int],
    *,
    shot_ids: Sequence[int] | None = None,
    focal: float | None = None,
    intrinsics: np.ndarray | None = None,
    extra_data: Literal["keypoints", "index"] = "keypoints",
    frame_dir: str = "images",
) -> dict[str, int]:
    """Write scene tracks as PHALP writes its results: ``joblib.dump(..., compress=3)``.

    Every VISIBLE frame of a track becomes a tracked detection with PHALP's fields: the box
    around its keypoints (``bbox``), its padding to the 192 × 256 HMR aspect (``center``,
    ``scale``), ``size`` [H, W], the crop camera of the SMPL translation (:func:
    `full_to_crop_camera` with crop side ``scale · max(H, W)`` and the given intrinsics, default
    ``[f, f, W/2, H/2]``), ``smpl`` as float32 rotation matrices (the filled value where the frame
    has no SMPL observation: PHALP has no detection without one), ``2d_joints`` (the keypoints,
    normalised as PHALP normalises its projected joints; 45 joints, the last 20 zero) and
    ``extra_data``: the (25, 3) keypoints (SLAHMR's tracker) or the detection index (PHALP's and
    4D-Humans' ``track.py``).

    Args:
        path: destination ``.pkl``.
        tracks: scene tracks with SMPL.
        frame_names: name of every scene frame; the keys are ``<frame_dir>/<name>.jpg``.
        image_size: ``(W, H)`` pixels.
        shot_ids: (T,) cumulative shot index per frame (default: one shot).
        focal: focal of the default intrinsics.
        intrinsics: (4,) or (T, 4) ``fx, fy, cx, cy`` for the crop cameras.
        extra_data: what ``extra_data`` holds.
        frame_dir: folder part of the frame keys.

    Returns:
        track id → the integer PHALP ``tid`` used (the id itself if it is a number, else its
        1-based position).
    """
    import joblib

    W, H = image_size
    T = len(frame_names)
    K_all = np.atleast_2d(
        default_intrinsics(W, H, focal) if intrinsics is None else np.asarray(intrinsics)
    )
    shots = np.zeros(T, dtype=np.int64) if shot_ids is None else np.asarray(shot_ids)
    flags = np.concatenate([[0], np.diff(shots)]).astype(int)
    keys = [f"{frame_dir}/{frame_names[i]}.jpg" for i in range(T)]
    fields = ("tid", "bbox", "tracked_time", "tracked_ids", "tracked_bbox", "center", "scale")
    fields += ("size", "img_path", "img_name", "class_name", "conf", "annotations", "smpl")
    fields += ("camera", "camera_bbox", "3d_joints", "2d_joints", "mask", "extra_data")
    records: dict[str, dict] = {}
    for i, key in enumerate(keys):
        records[key] = {"time": i, "shot": int(flags[i]), "frame_path": key}
        records[key].update({k: [] for k in fields})
    side = max(W, H)
    left, top = (side - W) // 2, (side - H) // 2
    tid_map: dict[str, int] = {}
    for k, track in enumerate(tracks):
        if not track.has_smpl:
            raise ValueError(f"{path}: track {track.track_id!r} has no SMPL; PHALP needs it")
        tid = int(track.track_id) if track.track_id.isdigit() else k + 1
        tid_map[track.track_id] = tid
        go = rotvecs_to_rotmats(track.global_orient).astype(np.float32)
        bp = rotvecs_to_rotmats(track.body_pose).astype(np.float32)
        for i in np.flatnonzero(track.visibility == int(Visibility.VISIBLE)):
            frame = track.start + int(i)
            box, centre, padded = _padded_box(track.keypoints[i], image_size)
            if track.transl[i, 2] <= 0:
                raise ValueError(
                    f"{path}: track {track.track_id!r} frame {frame}: transl z = "
                    f"{track.transl[i, 2]} must be > 0 for a crop camera"
                )
            K = K_all[0] if K_all.shape[0] == 1 else K_all[frame]
            cam = full_to_crop_camera(track.transl[i][None], centre[None], [max(padded)], K)[0]
            joints = np.zeros((45, 2))
            joints[:25] = (track.keypoints[i, :, :2] + np.array([left, top])) / side
            rec = records[keys[frame]]
            rec["tid"].append(tid)
            rec["tracked_ids"].append(tid)
            rec["tracked_time"].append(0)
            rec["bbox"].append(box)
            rec["tracked_bbox"].append(box)
            rec["center"].append(centre.astype(np.float32))
            rec["scale"].append(float(max(padded)) / side)
            rec["size"].append([int(H), int(W)])
            rec["img_path"].append(keys[frame])
            rec["img_name"].append(keys[frame].split("/")[-1])
            rec["class_name"].append(np.int64(0))
            rec["conf"].append(np.float32(0.99))
            rec["annotations"].append([])
            rec["smpl"].append(
                {
                    "global_orient": go[i][None],
                    "body_pose": bp[i],
                    "betas": track.betas[i].astype(np.float32),
                }
            )
            rec["camera"].append(track.transl[i].astype(np.float32))
            rec["camera_bbox"].append(cam.astype(np.float32))
            rec["3d_joints"].append(np.zeros((45, 3), np.float32))
            rec["2d_joints"].append(joints.reshape(-1).astype(np.float32))
            rec["mask"].append({"size": [int(H), int(W)], "counts": ""})
            index = len(rec["tid"]) - 1
            extra = track.keypoints[i].copy() if extra_data == "keypoints" else index
            rec["extra_data"].append(extra)
    buf = io.BytesIO()
    joblib.dump(records, buf, compress=3)
    write_bytes_atomic(path, buf.getvalue())
    return tid_map
