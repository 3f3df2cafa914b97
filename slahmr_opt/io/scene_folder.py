"""Read and write a :class:`~slahmr_opt.scene.Scene` as a folder on disk (docs/formats.md).

Layout::

    <folder>/
      scene.json          format, version, name, fps, width, height, num_frames, tracks, provenance
      cameras.npz         w2c (T,4,4), intrins (T,4), width, height, focal, is_static
      tracks/<id>.npz     keypoints, start, visibility, smpl_observed [, SMPL arrays]
      gt.npz              ground truth of a synthetic scene (optional)

Writing is atomic per folder: every file goes into a temporary sibling folder that is renamed into
place once complete, so an interrupted write never leaves a half-written scene. Arrays are stored
with their dtype (float64 stays float64), so a save → load round trip is bit-exact.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.files import atomic_folder, remove_stale_tmp
from slahmr_opt.safe_load import load_npz
from slahmr_opt.scene import Cameras, GroundTruth, PersonMotion, Scene, Track

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "has_ground_truth",
    "load_cameras",
    "load_ground_truth",
    "load_scene",
    "save_scene",
]

FORMAT_NAME = "slahmr-opt-scene"
FORMAT_VERSION = 1

SCENE_JSON = "scene.json"
CAMERAS_NPZ = "cameras.npz"
TRACKS_DIR = "tracks"
GT_NPZ = "gt.npz"

_SMPL_FIELDS = ("global_orient", "body_pose", "betas", "transl")


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an uncompressed npz with exactly the given arrays (dtypes preserved)."""
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _cameras_arrays(cameras: Cameras, width: int, height: int) -> dict[str, np.ndarray]:
    return {
        "w2c": cameras.w2c(),
        "intrins": cameras.intrinsics,
        "width": np.int64(width),
        "height": np.int64(height),
        "focal": np.float64(np.mean(cameras.intrinsics[:, :2])),
        "is_static": np.bool_(cameras.is_static),
    }


def _track_arrays(track: Track) -> dict[str, np.ndarray]:
    arrays = {
        "start": np.int64(track.start),
        "keypoints": track.keypoints,
        "visibility": track.visibility,
        "smpl_observed": track.smpl_observed,
    }
    if track.has_smpl:
        for name in _SMPL_FIELDS:
            arrays[name] = getattr(track, name)
    return arrays


def _ground_truth_arrays(gt: GroundTruth) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {
        "alpha": np.float64(gt.alpha),
        "floor_normal": gt.floor_normal,
        "floor_offset": np.float64(gt.floor_offset),
        "floor_plane": gt.floor_plane,
        "cam_w2c": gt.cameras.w2c(),
        "cam_intrins": gt.cameras.intrinsics,
        "cam_is_static": np.bool_(gt.cameras.is_static),
        "fps": np.float64(gt.fps),
        "num_people": np.int64(len(gt.people)),
    }
    for k, p in enumerate(gt.people):
        arrays[f"p{k}_track_id"] = np.array(p.track_id)
        arrays[f"p{k}_frames"] = p.frames
        arrays[f"p{k}_global_orient"] = p.global_orient
        arrays[f"p{k}_body_pose"] = p.body_pose
        arrays[f"p{k}_betas"] = p.betas
        arrays[f"p{k}_transl"] = p.transl
        if p.contacts is not None:
            arrays[f"p{k}_contacts"] = p.contacts
    return arrays


def _scene_json(scene: Scene) -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "name": scene.name,
        "fps": scene.fps,
        "width": scene.width,
        "height": scene.height,
        "num_frames": scene.num_frames,
        "tracks": [
            {
                "id": t.track_id,
                "start": t.start,
                "end": t.end,
                "file": f"{TRACKS_DIR}/{t.track_id}.npz",
                "has_smpl": t.has_smpl,
            }
            for t in scene.tracks
        ],
        "provenance": scene.provenance,
    }


def save_scene(scene: Scene, path: str | os.PathLike, gt: GroundTruth | None = None) -> Path:
    """Write ``scene`` (and the ground truth of a synthetic scene) as a scene folder.

    The folder is written atomically: into a temporary sibling first, then renamed into place. An
    existing scene folder at ``path`` is replaced once the new one is complete.

    Args:
        scene: the scene to write.
        path: destination folder; created with its parents. If it exists it must be a scene
            folder or empty.
        gt: optional ground truth, written as gt.npz. Its cameras must have as many frames as the
            scene's.

    Returns:
        The destination folder.
    """
    if not isinstance(scene, Scene):
        raise ValueError(f"scene must be a Scene, got {type(scene).__name__}")
    if gt is not None:
        if not isinstance(gt, GroundTruth):
            raise ValueError(f"gt must be a GroundTruth or None, got {type(gt).__name__}")
        if gt.cameras.num_frames != scene.num_frames:
            raise ValueError(
                f"gt: cameras have {gt.cameras.num_frames} frames, expected the scene's "
                f"{scene.num_frames}"
            )
    path = Path(path).expanduser()
    if path.is_dir() and any(path.iterdir()) and not (path / SCENE_JSON).is_file():
        raise ValueError(
            f"{path} exists, is not empty and holds no {SCENE_JSON}; refusing to replace a "
            "folder that is not a scene folder"
        )
    remove_stale_tmp(path.parent, name=path.name)
    with atomic_folder(path, may_replace=lambda p: (p / SCENE_JSON).is_file()) as tmp:
        with open(tmp / SCENE_JSON, "w", encoding="utf-8") as f:
            json.dump(_scene_json(scene), f, indent=2, allow_nan=False)
            f.write("\n")
        _write_npz(tmp / CAMERAS_NPZ, _cameras_arrays(scene.cameras, scene.width, scene.height))
        (tmp / TRACKS_DIR).mkdir()
        for track in scene.tracks:
            _write_npz(tmp / TRACKS_DIR / f"{track.track_id}.npz", _track_arrays(track))
        if gt is not None:
            _write_npz(tmp / GT_NPZ, _ground_truth_arrays(gt))
    return path


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------


def _read_npz(path: Path, label: str) -> dict[str, np.ndarray]:
    """Load every array of an npz file (no pickles); ValueError naming ``label`` on failure."""
    if not path.is_file():
        raise InputError(f"{label}: file not found ({path})")
    return load_npz(path, label)


def _require(arrays: dict[str, np.ndarray], key: str, label: str) -> np.ndarray:
    if key not in arrays:
        raise ValueError(f"{label}: missing field {key!r} (has {sorted(arrays)})")
    return arrays[key]


def _scalar(
    arrays: dict[str, np.ndarray], key: str, label: str, kinds: str, cast: Callable[[Any], Any]
) -> Any:
    value = _require(arrays, key, label)
    if value.shape not in ((), (1,)) or value.dtype.kind not in kinds:
        raise ValueError(
            f"{label}: field {key!r} must be a scalar of kind {kinds!r}, got dtype {value.dtype} "
            f"shape {value.shape}"
        )
    return cast(value.reshape(()).item())


def _build(label: str, build: Callable[..., Any], **kwargs: Any) -> Any:
    """Return ``build(**kwargs)``, prefixing any ValueError with the file label."""
    try:
        return build(**kwargs)
    except ValueError as err:
        raise ValueError(f"{label}: {err}") from None


def _folder_of(path: str | os.PathLike, file_name: str) -> Path:
    path = Path(path)
    return path.parent if path.name == file_name and path.is_file() else path


def load_cameras(
    path: str | os.PathLike, width: int | None = None, height: int | None = None
) -> Cameras:
    """Read a cameras.npz (ours or SLAHMR's ``run_slam.py`` output).

    Args:
        path: the cameras.npz file.
        width, height: expected image size in pixels; if given and the file holds ``width`` /
            ``height``, they must agree.

    Returns:
        The cameras; ``is_static`` is False when the file does not hold it (SLAHMR's files).
    """
    path = Path(path)
    label = path.name
    z = _read_npz(path, label)
    w2c = _require(z, "w2c", label)
    intrins = _require(z, "intrins", label)
    if w2c.ndim != 3 or w2c.shape[1:] != (4, 4):
        raise ValueError(f"{label}: field 'w2c' has shape {w2c.shape}, expected (T, 4, 4)")
    if intrins.shape not in ((w2c.shape[0], 4), (4,)):
        raise ValueError(
            f"{label}: field 'intrins' has shape {intrins.shape}, expected (T, 4) with "
            f"T = {w2c.shape[0]}"
        )
    for key, expected in (("width", width), ("height", height)):
        if key in z and expected is not None:
            value = _scalar(z, key, label, "iuf", int)
            if value != expected:
                raise ValueError(
                    f"{label}: field {key!r} is {value}, but scene.json says {expected}"
                )
    is_static = _scalar(z, "is_static", label, "b", bool) if "is_static" in z else False
    return _build(label, Cameras.from_w2c, w2c=w2c, intrinsics=intrins, is_static=is_static)


def _load_track(folder: Path, entry: Any, index: int) -> Track:
    if not isinstance(entry, dict) or not {"id", "file"} <= set(entry):
        raise ValueError(f"{SCENE_JSON}: tracks[{index}] must be an object with 'id' and 'file'")
    rel = PurePosixPath(str(entry["file"]))
    if rel.is_absolute() or ".." in rel.parts:
        raise ValueError(
            f"{SCENE_JSON}: tracks[{index}] file {str(rel)!r} must be a relative path inside the "
            "scene folder"
        )
    label = str(rel)
    z = _read_npz(folder / rel, label)
    has_smpl = all(k in z for k in _SMPL_FIELDS)
    if entry.get("has_smpl", has_smpl) != has_smpl:
        raise ValueError(
            f"{label}: scene.json says has_smpl = {entry['has_smpl']} but the file "
            f"{'holds' if has_smpl else 'lacks'} {list(_SMPL_FIELDS)}"
        )
    smpl = {k: z[k] for k in _SMPL_FIELDS} if has_smpl else {}
    start = _scalar(z, "start", label, "iu", int)
    track = _build(
        label,
        Track,
        track_id=entry["id"],
        start=start,
        keypoints=_require(z, "keypoints", label),
        smpl_observed=z.get("smpl_observed"),
        visibility=z.get("visibility"),
        **smpl,
    )
    for key, value in (("start", track.start), ("end", track.end)):
        if key in entry and entry[key] != value:
            raise ValueError(
                f"{label}: track {track.track_id!r} has {key} = {value} but scene.json says "
                f"{entry[key]}"
            )
    return track


def load_scene(path: str | os.PathLike) -> Scene:
    """Read a scene folder written by :func:`save_scene` (or assembled by hand, docs/formats.md).

    Args:
        path: the scene folder, or its scene.json.

    Returns:
        The validated scene. Errors are ValueErrors naming the file and the field.
    """
    folder = _folder_of(path, SCENE_JSON)
    if not folder.is_dir():
        raise ValueError(f"scene folder not found: {folder}")
    meta_path = folder / SCENE_JSON
    if not meta_path.is_file():
        raise InputError(f"{meta_path}: file not found (a scene folder holds {SCENE_JSON})")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(f"{meta_path}: cannot parse as JSON ({err})") from None
    if not isinstance(meta, dict):
        raise InputError(f"{meta_path}: expected a JSON object")
    if meta.get("format") != FORMAT_NAME:
        raise ValueError(
            f"{SCENE_JSON}: field 'format' is {meta.get('format')!r}, expected {FORMAT_NAME!r}"
        )
    version = meta.get("version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise ValueError(
            f"{SCENE_JSON}: field 'version' is {version!r}, this library reads versions 1 to "
            f"{FORMAT_VERSION}"
        )
    for key in ("fps", "width", "height", "tracks"):
        if key not in meta:
            raise ValueError(f"{SCENE_JSON}: missing field {key!r}")
    if not isinstance(meta["tracks"], list):
        raise ValueError(f"{SCENE_JSON}: field 'tracks' must be a list")

    cameras = load_cameras(folder / CAMERAS_NPZ, meta["width"], meta["height"])
    tracks = [_load_track(folder, entry, i) for i, entry in enumerate(meta["tracks"])]
    for entry, track in zip(meta["tracks"], tracks, strict=True):
        if track.end > cameras.num_frames:
            raise ValueError(
                f"{entry['file']}: track {track.track_id!r} ends at frame {track.end} but "
                f"{CAMERAS_NPZ} holds only {cameras.num_frames} frames"
            )
    if "num_frames" in meta and meta["num_frames"] != cameras.num_frames:
        raise ValueError(
            f"{SCENE_JSON}: num_frames is {meta['num_frames']} but {CAMERAS_NPZ} holds "
            f"{cameras.num_frames} frames"
        )
    return _build(
        SCENE_JSON,
        Scene,
        fps=meta["fps"],
        image_size=(meta["width"], meta["height"]),
        cameras=cameras,
        tracks=tracks,
        name=meta.get("name", folder.name),
        provenance=meta.get("provenance", {}),
    )


def has_ground_truth(path: str | os.PathLike) -> bool:
    """Whether ``path`` (a scene folder, or a gt.npz file) holds ground truth."""
    path = Path(path)
    if path.is_file():
        return path.name == GT_NPZ
    return (path / GT_NPZ).is_file()


def load_ground_truth(path: str | os.PathLike) -> GroundTruth:
    """Read the ground truth of a synthetic scene.

    Args:
        path: the scene folder or its gt.npz file.

    Returns:
        The validated ground truth. Errors are ValueErrors naming gt.npz and the field.
    """
    path = Path(path)
    file = path if path.is_file() else path / GT_NPZ
    label = GT_NPZ
    z = _read_npz(file, label)
    w2c = _require(z, "cam_w2c", label)
    intrins = _require(z, "cam_intrins", label)
    is_static = _scalar(z, "cam_is_static", label, "b", bool) if "cam_is_static" in z else False
    cameras = _build(label, Cameras.from_w2c, w2c=w2c, intrinsics=intrins, is_static=is_static)
    num_people = _scalar(z, "num_people", label, "iu", int)
    people = []
    for k in range(num_people):
        track_id = _require(z, f"p{k}_track_id", label)
        if track_id.dtype.kind != "U" or track_id.shape != ():
            raise ValueError(f"{label}: field 'p{k}_track_id' must be a string scalar")
        fields = {
            name: _require(z, f"p{k}_{name}", label)
            for name in ("frames", "global_orient", "body_pose", "betas", "transl")
        }
        contacts = z.get(f"p{k}_contacts")
        people.append(
            _build(label, PersonMotion, track_id=track_id.item(), contacts=contacts, **fields)
        )
    alpha = _scalar(z, "alpha", label, "iuf", float)
    floor_normal = _require(z, "floor_normal", label)
    floor_offset = _scalar(z, "floor_offset", label, "iuf", float)
    fps = _scalar(z, "fps", label, "iuf", float)
    return _build(
        label,
        GroundTruth,
        alpha=alpha,
        floor_normal=floor_normal,
        floor_offset=floor_offset,
        cameras=cameras,
        people=people,
        fps=fps,
    )
