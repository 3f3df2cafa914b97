"""The manifest (``slahmr_opt.json``): a JSON file naming which file of a folder is which and in
what format, and :func:`write_manifest_folder`, which writes a scene as upstream-tool files plus
a manifest.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from slahmr_opt.files import write_json_atomic
from slahmr_opt.io.cameras import CAMERA_FORMATS, TIMESTAMPS
from slahmr_opt.io.common import read_json_file
from slahmr_opt.io.dpvo import write_dpvo_trajectory
from slahmr_opt.io.gvhmr_inputs import write_gvhmr_vitpose
from slahmr_opt.io.intrinsics import write_intrinsics_txt
from slahmr_opt.io.keypoints import KeypointTrack, write_keypoint_array
from slahmr_opt.io.megasam import write_megasam_npz
from slahmr_opt.io.npz_tracks import write_npz_tracks
from slahmr_opt.io.openpose import write_openpose_tracks
from slahmr_opt.io.phalp import BOX_SIZES, PHALP_KEYPOINTS, write_phalp_pickle
from slahmr_opt.io.slahmr_layout import default_frame_names, write_slahmr_cameras, write_track_preds
from slahmr_opt.io.tracks import track_to_observations
from slahmr_opt.io.tum import write_tum_trajectory
from slahmr_opt.io.wham_inputs import write_wham_tracking_results
from slahmr_opt.scene import Scene

__all__ = [
    "KEYPOINT_FORMATS",
    "MANIFEST_FORMAT",
    "MANIFEST_NAMES",
    "MANIFEST_VERSION",
    "TRACK_FORMATS",
    "check_size",
    "manifest_path",
    "read_manifest",
    "write_manifest_folder",
]

MANIFEST_NAMES = ("slahmr_opt.json", "manifest.json")

MANIFEST_FORMAT = "slahmr-opt-manifest"

MANIFEST_VERSION = 1

TRACK_FORMATS = ("track_preds", "phalp", "npz")

KEYPOINT_FORMATS = ("openpose", "arrays", "wham", "gvhmr")

_MANIFEST_KEYS = {
    "format": str,
    "version": int,
    "name": str,
    "fps": (int, float),
    "image_size": list,
    "frames": str,
    "first_frame": int,
    "num_frames": int,
    "shots": str,
    "tracks": str,
    "tracks_format": str,
    "focal": (int, float),
    "keypoints": str,
    "keypoints_format": str,
    "keypoints_layout": str,
    "keypoints_track": str,
    "cameras": str,
    "cameras_format": str,
    "camera_pose": str,
    "quat_order": str,
    "camera_key": str,
    "camera_timestamps": str,
    "camera_stride": int,
    "camera_skip": int,
    "camera_frame_times": str,
    "camera_start_time": (int, float),
    "camera_max_time_diff": (int, float),
    "cameras_optional": bool,
    "phalp_keypoints": str,
    "phalp_box_size": str,
    "intrinsics": (str, list),
    "intrinsics_size": list,
}


def manifest_path(folder: Path) -> Path | None:
    for name in MANIFEST_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def check_size(value: Any, label: str, key: str) -> tuple[int, int]:
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        raise ValueError(f"{label}: field {key!r} is {value!r}, expected [width, height] > 0")
    return int(value[0]), int(value[1])


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """Read and check a manifest (``slahmr_opt.json`` / ``manifest.json``).

    Args:
        path: the manifest file, or the folder holding it.

    Returns:
        The manifest's fields (unknown keys are errors, so a typo is never ignored).
    """
    path = Path(path)
    if path.is_dir():
        found = manifest_path(path)
        if found is None:
            raise ValueError(f"{path}: no manifest ({' or '.join(MANIFEST_NAMES)})")
        path = found
    label = str(path)
    data = read_json_file(path, "manifest")
    if not isinstance(data, dict):
        raise ValueError(f"{label}: expected a JSON object")
    if data.get("format") != MANIFEST_FORMAT:
        raise ValueError(
            f"{label}: field 'format' is {data.get('format')!r}, expected {MANIFEST_FORMAT!r}"
        )
    if data.get("version") != MANIFEST_VERSION:
        raise ValueError(
            f"{label}: field 'version' is {data.get('version')!r}, expected {MANIFEST_VERSION}"
        )
    for key, value in data.items():
        if key not in _MANIFEST_KEYS:
            raise ValueError(f"{label}: unknown field {key!r}; known: {sorted(_MANIFEST_KEYS)}")
        kinds = _MANIFEST_KEYS[key]
        if isinstance(value, bool) and kinds is not bool:
            raise ValueError(f"{label}: field {key!r} must not be a bool")
        if not isinstance(value, kinds):
            raise ValueError(f"{label}: field {key!r} has type {type(value).__name__}")
    if "image_size" in data:
        data["image_size"] = check_size(data["image_size"], label, "image_size")
    if "intrinsics_size" in data:
        data["intrinsics_size"] = check_size(data["intrinsics_size"], label, "intrinsics_size")
    checks = {
        "tracks_format": TRACK_FORMATS,
        "keypoints_format": KEYPOINT_FORMATS,
        "keypoints_layout": ("auto", "body25", "coco17"),
        "cameras_format": CAMERA_FORMATS,
        "camera_pose": ("c2w", "w2c"),
        "quat_order": ("xyzw", "wxyz"),
        "camera_timestamps": TIMESTAMPS,
        "phalp_keypoints": PHALP_KEYPOINTS,
        "phalp_box_size": BOX_SIZES,
    }
    for key, allowed in checks.items():
        if key in data and data[key] not in allowed:
            raise ValueError(f"{label}: field {key!r} is {data[key]!r}, expected one of {allowed}")
    if "fps" in data and not data["fps"] > 0:
        raise ValueError(f"{label}: field 'fps' must be > 0")
    for key, least in (("camera_stride", 1), ("camera_skip", 0), ("camera_max_time_diff", 0)):
        if key in data and not data[key] >= least:
            raise ValueError(f"{label}: field {key!r} is {data[key]!r}, expected ≥ {least}")
    if "tracks" not in data and "keypoints" not in data:
        raise ValueError(f"{label}: names neither 'tracks' nor 'keypoints'; nothing to read")
    if isinstance(data.get("intrinsics"), list) and len(data["intrinsics"]) != 4:
        raise ValueError(f"{label}: field 'intrinsics' must be a file or [fx, fy, cx, cy]")
    data["_path"] = str(path)
    return data


def write_manifest_folder(
    folder: str | os.PathLike,
    scene: Scene,
    *,
    tracks_format: str = "npz",
    keypoints_format: str | None = "openpose",
    keypoints_layout: str = "coco17",
    cameras_format: str = "dpvo",
    quat_order: str = "xyzw",
    shot_ids: Sequence[int] | None = None,
    write_fps: bool = True,
    focal: float | None = None,
) -> Path:
    """Write a scene as upstream-tool files plus a ``slahmr_opt.json`` manifest.

    Frames are named ``000000 …`` (``first_frame`` 0). Files: tracks ``tracks/`` (npz),
    ``track_preds/`` or ``phalp.pkl``; keypoints (when ``keypoints_format`` is given; the tracks
    then hold none) ``openpose/<id>/`` (OpenPose), ``keypoints/<id>.npz`` (arrays, in
    ``keypoints_layout``), ``tracking_results.pth`` (WHAM) or ``vitpose.pt`` (GVHMR, one track
    covering every frame); cameras ``traj.txt`` (dpvo) or ``traj_tum.txt`` (tum) with
    ``calib.txt``, ``megasam.npz``, ``cameras.npz`` (slahmr), or none (static); and ``shots.json``
    when ``shot_ids`` is given.

    Returns:
        The folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    T = scene.num_frames
    names = default_frame_names(T, 0)
    m: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "name": scene.name,
        "image_size": list(scene.image_size),
        "first_frame": 0,
        "num_frames": T,
    }
    if write_fps:
        m["fps"] = scene.fps
    if tracks_format not in TRACK_FORMATS:
        raise ValueError(f"tracks_format must be one of {TRACK_FORMATS}, got {tracks_format!r}")
    kp_tracks = [
        KeypointTrack(o.track_id, o.frames[o.has_keypoints], o.keypoints[o.has_keypoints])
        for o in (track_to_observations(t) for t in scene.tracks)
    ]
    if tracks_format == "npz":
        out = folder / "tracks"
        # with a keypoints source the npz tracks hold SMPL only
        write_npz_tracks(out, scene.tracks, keypoints=keypoints_format is None)
        m.update(tracks="tracks", tracks_format="npz")
    elif tracks_format == "track_preds":
        write_track_preds(folder / "track_preds", scene.tracks, names)
        m.update(tracks="track_preds", tracks_format="track_preds")
    else:
        write_phalp_pickle(
            folder / "phalp.pkl",
            scene.tracks,
            names,
            scene.image_size,
            shot_ids=shot_ids,
            intrinsics=scene.cameras.intrinsics,
        )
        m.update(tracks="phalp.pkl", tracks_format="phalp")
    if focal is not None:
        m["focal"] = focal
    if keypoints_format == "openpose":
        write_openpose_tracks(folder / "openpose", kp_tracks, names)
        m.update(keypoints="openpose", keypoints_format="openpose")
    elif keypoints_format == "arrays":
        for kt in kp_tracks:
            write_keypoint_array(
                folder / "keypoints" / f"{kt.track_id}.npz", kt, layout=keypoints_layout
            )
        m.update(keypoints="keypoints", keypoints_format="arrays")
    elif keypoints_format == "wham":
        write_wham_tracking_results(folder / "tracking_results.pth", kp_tracks)
        m.update(keypoints="tracking_results.pth", keypoints_format="wham")
    elif keypoints_format == "gvhmr":
        if len(scene.tracks) != 1:
            raise ValueError("GVHMR vitpose holds one person; the scene must have one track")
        kt = kp_tracks[0]
        full = np.zeros((T, 25, 3))
        full[kt.frames] = kt.keypoints
        write_gvhmr_vitpose(folder / "vitpose.pt", KeypointTrack(kt.track_id, np.arange(T), full))
        m.update(keypoints="vitpose.pt", keypoints_format="gvhmr", keypoints_track=kt.track_id)
    elif keypoints_format is not None:
        raise ValueError(f"keypoints_format must be one of {KEYPOINT_FORMATS} or None")

    cams = scene.cameras
    const = bool(np.all(cams.intrinsics == cams.intrinsics[0]))
    calib = cams.intrinsics[0] if const else cams.intrinsics
    if cameras_format in ("dpvo", "droid"):
        write_dpvo_trajectory(folder / "traj.txt", cams, quat_order=quat_order)
        write_intrinsics_txt(folder / "calib.txt", calib)
        m.update(
            cameras="traj.txt",
            cameras_format=cameras_format,
            intrinsics="calib.txt",
            quat_order=quat_order,
        )
    elif cameras_format == "tum":
        write_tum_trajectory(folder / "traj_tum.txt", cams, quat_order=quat_order)
        write_intrinsics_txt(folder / "calib.txt", calib)
        m.update(
            cameras="traj_tum.txt",
            cameras_format="tum",
            intrinsics="calib.txt",
            quat_order=quat_order,
        )
    elif cameras_format == "megasam":
        write_megasam_npz(folder / "megasam.npz", cams, scene.image_size)
        m.update(cameras="megasam.npz", cameras_format="megasam")
    elif cameras_format == "slahmr":
        write_slahmr_cameras(folder / "cameras.npz", cams, scene.image_size)
        m.update(cameras="cameras.npz", cameras_format="slahmr")
    elif cameras_format == "static":
        m.update(cameras_format="static", intrinsics=[float(v) for v in cams.intrinsics[0]])
    else:
        raise ValueError(f"cameras_format must be one of {CAMERA_FORMATS}")
    if shot_ids is not None and tracks_format != "phalp":
        write_json_atomic(folder / "shots.json", [int(s) for s in shot_ids])
        m["shots"] = "shots.json"
    write_json_atomic(folder / MANIFEST_NAMES[0], m)
    return folder
