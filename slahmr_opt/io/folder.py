"""The video-folder reader: a folder of upstream outputs (or our scene folder) → :class:`Scene`.

:func:`load_scene_folder` accepts three layouts (:func:`detect_layout`):

``scene-folder``
    Our own scene folder (``scene.json`` with format ``slahmr-opt-scene``): read with
    :func:`~slahmr_opt.io.scene_folder.load_scene`.
``manifest``
    Any folder with a ``slahmr_opt.json`` (or ``manifest.json``) naming which file is which and in
    what format (docs/formats.md, "Manifest"): e.g. DPVO cameras + OpenPose keypoints + npz
    tracks.
``slahmr-original``
    The original SLAHMR data root: ``slahmr/track_preds/<seq>/``, ``slahmr/shot_idcs/<seq>.json``,
    ``slahmr/cameras/<seq>/shot-<k>/cameras.npz`` (optional; static cameras without it, as the
    original) and ``images/<seq>/`` (optional), or the PHALP pickle
    ``slahmr/phalp_out/results/<seq>.pkl`` when track_preds is absent (``trust_pickle``).
``wham`` / ``gvhmr`` / ``tram``
    Another method's output folder for one video (:mod:`slahmr_opt.io.peers.folders`): its
    camera-frame SMPL, keypoints and SLAM cameras, read as one shot.

Then, as the original does: a **shot** is chosen (the frames of one shot; cameras are per shot
when their path holds ``{shot}``), optionally a frame sub-range, and **tracks are selected**: all
(at most ``max_tracks``, longest first), ``longest-N``, or explicit ids, keeping tracks with at
least ``min_track_len`` detected frames (explicit ids are kept whatever their length). A track's
length is its number of frames with keypoints in the chosen frames.

Nothing is partially loaded: every file is read and checked before the scene is built, and any
problem is a ValueError naming the file, the field and the expected form.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from slahmr_opt.io import cameras as camera_io
from slahmr_opt.io import keypoints as keypoint_io
from slahmr_opt.io import tracks as track_io
from slahmr_opt.io.atomic import write_json_atomic
from slahmr_opt.io.peers.folders import PEER_LAYOUTS, detect_peer_layout, load_peer_scene
from slahmr_opt.io.scene_folder import FORMAT_NAME as SCENE_FORMAT_NAME
from slahmr_opt.io.scene_folder import load_scene
from slahmr_opt.scene import Cameras, Scene, Track, Visibility

__all__ = [
    "DEFAULT_MAX_TRACKS",
    "DEFAULT_MIN_TRACK_LEN",
    "IMAGE_EXTENSIONS",
    "LAYOUTS",
    "MANIFEST_FORMAT",
    "MANIFEST_NAMES",
    "NoTracksError",
    "crop_scene",
    "detect_layout",
    "load_scene_folder",
    "load_scene_folder_shots",
    "parse_track_spec",
    "read_manifest",
    "select_tracks",
    "write_manifest_folder",
    "write_original_layout",
]

log = logging.getLogger(__name__)

LAYOUTS = ("scene-folder", "manifest", "slahmr-original", *PEER_LAYOUTS)
MANIFEST_NAMES = ("slahmr_opt.json", "manifest.json")
MANIFEST_FORMAT = "slahmr-opt-manifest"
MANIFEST_VERSION = 1

DEFAULT_MAX_TRACKS = 12
"""At most this many tracks for ``tracks="all"`` on upstream layouts (the original's)."""

DEFAULT_MIN_TRACK_LEN = 21
"""Fewest detected frames a track needs on upstream layouts: the original keeps tracks with
*more than* 20 frames with keypoints, i.e. at least 21."""

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")

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
    "cameras_optional": bool,
    "intrinsics": (str, list),
    "intrinsics_size": list,
}


class NoTracksError(ValueError):
    """No track is left after reading and selection (a ValueError)."""


# --------------------------------------------------------------------------------------------
# track selection
# --------------------------------------------------------------------------------------------


def parse_track_spec(spec: str | Sequence[str]) -> tuple[str, Any]:
    """Parse a track selection: ``"all"``, ``"longest-N"``, ``"id1,id2"`` or a list of ids.

    Returns:
        ``("all", None)``, ``("longest", N)`` or ``("ids", [ids])``.
    """
    if isinstance(spec, str):
        text = spec.strip()
        if text == "all":
            return "all", None
        m = re.fullmatch(r"longest-(\d+)", text)
        if m:
            n = int(m.group(1))
            if n < 1:
                raise ValueError(f"tracks: {spec!r} must name N ≥ 1 tracks")
            return "longest", n
        if text.startswith("longest"):
            raise ValueError(f"tracks: {spec!r} is not of the form 'longest-N'")
        ids = [s.strip() for s in text.split(",") if s.strip()]
    else:
        ids = [str(s) for s in spec]
    if not ids:
        raise ValueError(f"tracks: {spec!r} names no track; expected 'all', 'longest-N' or ids")
    if len(set(ids)) != len(ids):
        raise ValueError(f"tracks: {spec!r} names a track twice")
    return "ids", ids


def select_tracks(
    lengths: dict[str, int],
    spec: str | Sequence[str] = "all",
    *,
    max_tracks: int | None = DEFAULT_MAX_TRACKS,
    min_track_len: int = DEFAULT_MIN_TRACK_LEN,
    label: str = "tracks",
) -> tuple[list[str], dict[str, str]]:
    """Choose tracks as the original does, with configurable limits.

    ``"all"``: tracks with at least ``min_track_len`` detected frames, the ``max_tracks``
    longest (None: no limit). ``"longest-N"``: the same with N as the limit. Explicit ids: those
    tracks whatever their length (an unknown id or one with no detected frame is an error).

    Args:
        lengths: track id → detected frames, in source order.
        spec: see :func:`parse_track_spec`.
        max_tracks: limit for ``"all"``.
        min_track_len: fewest detected frames for ``"all"`` / ``"longest-N"`` (≥ 1).
        label: where the tracks come from, for messages.

    Returns:
        (kept ids in source order, dropped id → reason).
    """
    kind, arg = parse_track_spec(spec)
    if isinstance(min_track_len, bool) or not isinstance(min_track_len, int) or min_track_len < 1:
        raise ValueError(f"min_track_len must be an integer ≥ 1, got {min_track_len!r}")
    if max_tracks is not None and (
        isinstance(max_tracks, bool) or not isinstance(max_tracks, int) or max_tracks < 1
    ):
        raise ValueError(f"max_tracks must be an integer ≥ 1 or None, got {max_tracks!r}")
    order = list(lengths)
    dropped: dict[str, str] = {}
    if kind == "ids":
        unknown = [i for i in arg if i not in lengths]
        if unknown:
            raise ValueError(f"{label}: no track {unknown} (tracks: {order})")
        for i in arg:
            if lengths[i] < 1:
                raise ValueError(
                    f"{label}: empty track {i!r}: no detected frame in the frames read"
                )
        kept = set(arg)
        dropped = {i: "not requested" for i in order if i not in kept}
        return [i for i in order if i in kept], dropped
    limit = arg if kind == "longest" else max_tracks
    long_enough = [i for i in order if lengths[i] >= min_track_len]
    for i in order:
        if lengths[i] < min_track_len:
            dropped[i] = f"{lengths[i]} detected frames < min_track_len {min_track_len}"
    ranked = sorted(long_enough, key=lambda i: -lengths[i])  # stable: ties keep source order
    chosen = set(ranked[:limit] if limit is not None else ranked)
    for i in ranked[len(chosen) :]:
        dropped[i] = f"beyond the {limit} longest tracks"
    return [i for i in order if i in chosen], dropped


# --------------------------------------------------------------------------------------------
# layouts and the manifest
# --------------------------------------------------------------------------------------------


def _is_scene_folder(folder: Path) -> bool:
    meta = folder / "scene.json"
    if not meta.is_file():
        return False
    try:
        data = keypoint_io.read_json_file(meta, "scene.json")
    except ValueError:
        return True  # let load_scene report it
    return not isinstance(data, dict) or data.get("format") == SCENE_FORMAT_NAME


def _manifest_path(folder: Path) -> Path | None:
    for name in MANIFEST_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def _original_base(folder: Path) -> Path | None:
    for base in (folder / "slahmr", folder):
        if (base / "track_preds").is_dir() or (base / "phalp_out" / "results").is_dir():
            return base
    return None


def detect_layout(path: str | os.PathLike) -> str:
    """Which layout a folder is in: ``"scene-folder"``, ``"manifest"`` or ``"slahmr-original"``.

    Checked in that order: ``scene.json`` of format ``slahmr-opt-scene``; a manifest
    (:data:`MANIFEST_NAMES`); ``slahmr/track_preds`` or ``slahmr/phalp_out/results`` (or the
    same without the ``slahmr/`` level).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise ValueError(f"{folder}: folder not found")
    if _is_scene_folder(folder):
        return "scene-folder"
    if _manifest_path(folder) is not None:
        return "manifest"
    if _original_base(folder) is not None:
        return "slahmr-original"
    peer = detect_peer_layout(folder)  # WHAM / GVHMR / TRAM output (io/peers/folders.py)
    if peer is not None:
        return peer
    raise ValueError(
        f"{folder}: unknown folder layout; expected a scene folder (scene.json), a manifest "
        f"({' or '.join(MANIFEST_NAMES)}), or the original SLAHMR layout "
        "(slahmr/track_preds/<seq>/ …), or a WHAM / GVHMR / TRAM output folder"
    )


def _check_size(value: Any, label: str, key: str) -> tuple[int, int]:
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
        found = _manifest_path(path)
        if found is None:
            raise ValueError(f"{path}: no manifest ({' or '.join(MANIFEST_NAMES)})")
        path = found
    label = str(path)
    data = keypoint_io.read_json_file(path, "manifest")
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
        data["image_size"] = _check_size(data["image_size"], label, "image_size")
    if "intrinsics_size" in data:
        data["intrinsics_size"] = _check_size(data["intrinsics_size"], label, "intrinsics_size")
    checks = {
        "tracks_format": TRACK_FORMATS,
        "keypoints_format": KEYPOINT_FORMATS,
        "keypoints_layout": ("auto", "body25", "coco17"),
        "cameras_format": camera_io.CAMERA_FORMATS,
        "camera_pose": ("c2w", "w2c"),
        "quat_order": ("xyzw", "wxyz"),
        "camera_timestamps": ("rows", "frame_index", "seconds"),
    }
    for key, allowed in checks.items():
        if key in data and data[key] not in allowed:
            raise ValueError(f"{label}: field {key!r} is {data[key]!r}, expected one of {allowed}")
    if "fps" in data and not data["fps"] > 0:
        raise ValueError(f"{label}: field 'fps' must be > 0")
    if "tracks" not in data and "keypoints" not in data:
        raise ValueError(f"{label}: names neither 'tracks' nor 'keypoints'; nothing to read")
    if isinstance(data.get("intrinsics"), list) and len(data["intrinsics"]) != 4:
        raise ValueError(f"{label}: field 'intrinsics' must be a file or [fx, fy, cx, cy]")
    data["_path"] = str(path)
    return data


def _original_manifest(folder: Path, seq: str | None) -> dict[str, Any]:
    """The manifest equivalent to the original SLAHMR layout under ``folder``."""
    base = _original_base(folder)
    assert base is not None
    track_root = base / "track_preds"
    phalp_root = base / "phalp_out" / "results"
    seqs = sorted(p.name for p in track_root.iterdir() if p.is_dir()) if track_root.is_dir() else []
    if not seqs and phalp_root.is_dir():
        seqs = sorted(p.stem for p in phalp_root.glob("*.pkl"))
    if seq is None:
        if len(seqs) != 1:
            raise ValueError(
                f"{track_root}: holds sequences {seqs}; choose one with seq="
                if seqs
                else f"{track_root}: no sequence folders (track_preds/<seq>/)"
            )
        seq = seqs[0]
    elif seq not in seqs:
        raise ValueError(f"{base}: no sequence {seq!r} (sequences: {seqs})")
    m: dict[str, Any] = {"name": seq, "_path": str(folder), "_seq": seq}
    if (track_root / seq).is_dir():
        m.update(tracks=str(track_root / seq), tracks_format="track_preds")
    else:
        m.update(tracks=str(phalp_root / f"{seq}.pkl"), tracks_format="phalp")
    shots = base / "shot_idcs" / f"{seq}.json"
    if shots.is_file():
        m["shots"] = str(shots)
    for images in (folder / "images" / seq, base.parent / "images" / seq):
        if images.is_dir():
            m["frames"] = str(images)
            break
    m.update(
        cameras=str(base / "cameras" / seq / "shot-{shot}" / "cameras.npz"),
        cameras_format="slahmr",
        cameras_optional=True,
        first_frame=1,  # ffmpeg numbers frames from 1 (used only without a frame list)
    )
    return m


# --------------------------------------------------------------------------------------------
# gathering everything an upstream folder holds
# --------------------------------------------------------------------------------------------


@dataclass
class _Gathered:
    folder: Path
    layout: str
    manifest: dict[str, Any]
    name: str
    fps: float
    image_size: tuple[int, int]
    num_frames: int
    frames_source: str
    frame_names: list[str] | None
    shot_ids: np.ndarray
    tracks: list[track_io.TrackObservations]
    focal: float | None
    notes: list[str] = field(default_factory=list)
    cameras: tuple[Cameras, dict] | None = None  # whole-video cameras, read once


def _resolve(folder: Path, rel: str) -> Path:
    p = Path(rel)
    return p if p.is_absolute() else folder / p


def _frame_list(path: Path) -> tuple[list[str], Path | None]:
    """Frame names from an images folder (sorted stems) or a text file (one per line)."""
    if path.is_dir():
        files = sorted(
            p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
        )
        if not files:
            raise ValueError(f"{path}: no images ({', '.join(IMAGE_EXTENSIONS)}) to list frames")
        return [p.stem for p in files], files[0]
    if path.is_file():
        names = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        if not names:
            raise ValueError(f"{path}: no frame names")
        return [keypoint_io.frame_stem(n) for n in names], None
    raise ValueError(f"{path}: file not found (frames: an images folder or a list of names)")


def _image_size_of(path: Path) -> tuple[int, int]:
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f"{path}: cannot read the image to learn the image size")
    return int(img.shape[1]), int(img.shape[0])


def _camera_path(m: dict[str, Any], folder: Path, shot: int) -> Path | None:
    if m.get("cameras_format") == "static" or "cameras" not in m:
        return None
    return _resolve(folder, m["cameras"].replace("{shot}", str(shot)))


def _cameras_per_shot(m: dict[str, Any]) -> bool:
    return "{shot}" in m.get("cameras", "")


def _text_columns(path: Path) -> int | None:
    """Number of columns of the first data line of a text file (None if it has none)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].replace(",", " ").strip()
            if line:
                return len(line.split())
    return None


def _camera_format(m: dict[str, Any], path: Path | None) -> str:
    if path is None:
        return "static"
    if "cameras_format" in m:
        return m["cameras_format"]
    if not path.is_file():
        raise ValueError(f"{path}: file not found (cameras)")
    if path.name.lower() == "cameras.npz":
        return "slahmr"
    if path.suffix == ".npz":
        return "megasam"
    if path.suffix in (".npy", ".pt", ".pth"):
        return "dpvo"
    columns = _text_columns(path)
    if columns in (7, 8):
        return "dpvo" if columns == 7 else "tum"
    raise ValueError(
        f"{path}: cannot tell the camera format ({columns} text columns); set 'cameras_format'"
    )


def _camera_file_size(m: dict, folder: Path, shot: int) -> tuple[int, int] | None:
    path = _camera_path(m, folder, shot)
    if path is None or not path.is_file():
        return None
    fmt = _camera_format(m, path)
    if fmt == "slahmr":
        return camera_io.read_slahmr_cameras(path)[1]
    if fmt == "megasam":
        return camera_io.read_megasam_npz(path)[2]
    return None


def _tracks_format(m: dict[str, Any], path: Path) -> str:
    if "tracks_format" in m:
        return m["tracks_format"]
    if path.suffix in (".pkl", ".pth"):
        return "phalp"
    if path.suffix == ".npz" or (path.is_dir() and any(path.glob("*.npz"))):
        return "npz"
    if path.is_dir():
        return "track_preds"
    raise ValueError(f"{path}: cannot tell the tracks format; set 'tracks_format'")


def _read_keypoint_source(
    m: dict[str, Any],
    folder: Path,
    frame_index: keypoint_io.FrameIndex,
    track_ids: list[str],
    trust_pickle: bool,
) -> dict[str, keypoint_io.KeypointTrack]:
    path = _resolve(folder, m["keypoints"])
    fmt = m.get("keypoints_format")
    if fmt is None:
        if path.suffix in (".pt",):
            fmt = "gvhmr"
        elif path.suffix in (".pth", ".pkl"):
            fmt = "wham"
        elif path.is_dir() and (
            any(path.glob("*.json")) or any(p.is_dir() for p in path.iterdir())
        ):
            fmt = "openpose"
        else:
            fmt = "arrays"
    if fmt == "openpose":
        return keypoint_io.read_openpose_tracks(path, frame_index)
    if fmt == "arrays":
        return keypoint_io.read_keypoint_arrays(path, layout=m.get("keypoints_layout", "auto"))
    if fmt == "wham":
        return keypoint_io.read_wham_tracking_results(path, trust_pickle=trust_pickle)
    tid = m.get("keypoints_track")
    if tid is None:
        tid = track_ids[0] if len(track_ids) == 1 else "0"
    return keypoint_io.read_gvhmr_vitpose(path, track_id=tid, trust_pickle=trust_pickle)


def _gather(
    folder: Path,
    m: dict[str, Any],
    layout: str,
    *,
    trust_pickle: bool,
    fps: float | None,
    image_size: tuple[int, int] | None,
    focal: float | None,
) -> _Gathered:
    label = m["_path"]
    notes: list[str] = []
    focal = focal if focal is not None else m.get("focal")

    # ---- frame list: images / frame file, shots, PHALP
    names: list[str] | None = None
    frames_source = ""
    first_image: Path | None = None
    if "frames" in m:
        names, first_image = _frame_list(_resolve(folder, m["frames"]))
        frames_source = str(_resolve(folder, m["frames"]))
    shot_ids: np.ndarray | None = None
    shots_source = ""
    if "shots" in m:
        shots_path = _resolve(folder, m["shots"])
        shot_names, shot_ids = track_io.read_shot_idcs(shots_path)
        shots_source = str(shots_path)
        if shot_names is not None:
            if names is None:
                names, frames_source = shot_names, shots_source
            elif shot_names != names:
                raise ValueError(
                    f"{shots_path}: its {len(shot_names)} frame names differ from the "
                    f"{len(names)} of {frames_source}"
                )
        elif names is not None and len(shot_ids) != len(names):
            raise ValueError(
                f"{shots_path}: holds {len(shot_ids)} shot indices but {frames_source} has "
                f"{len(names)} frames"
            )

    # ---- tracks
    tracks: list[track_io.TrackObservations] = []
    phalp_size = None
    tracks_note: dict[str, Any] | None = None
    if "tracks" in m:
        tpath = _resolve(folder, m["tracks"])
        if not tpath.exists():
            raise ValueError(f"{tpath}: file not found (tracks)")
        tfmt = _tracks_format(m, tpath)
        tracks_note = {"format": tfmt, "file": str(tpath)}
        if tfmt == "phalp":
            ph = track_io.read_phalp_pickle(tpath, trust_pickle=trust_pickle, focal=focal)
            if names is None:
                names, frames_source = ph.frame_names, str(tpath)
            elif ph.frame_names != names:
                raise ValueError(
                    f"{tpath}: its {len(ph.frame_names)} frames differ from the {len(names)} "
                    f"of {frames_source}"
                )
            if shot_ids is None and ph.shot_ids is not None:
                shot_ids, shots_source = ph.shot_ids, str(tpath)
            phalp_size = ph.image_size
            tracks = ph.tracks
            tracks_note["focal"] = ph.focal
            notes += ph.notes
    frame_index = keypoint_io.FrameIndex(names, m.get("first_frame", 0), frames_source)
    if "tracks" in m and tracks_note is not None and tracks_note["format"] != "phalp":
        tpath = Path(tracks_note["file"])
        if tracks_note["format"] == "track_preds":
            tracks = track_io.read_track_preds(tpath, frame_index)
        else:
            tracks = track_io.read_npz_tracks(tpath)

    # ---- keypoints from their own file
    keypoints_note = None
    if "keypoints" in m:
        kps = _read_keypoint_source(
            m, folder, frame_index, [t.track_id for t in tracks], trust_pickle
        )
        kpath = _resolve(folder, m["keypoints"])
        keypoints_note = {"format": m.get("keypoints_format", "auto"), "file": str(kpath)}
        if tracks:
            by_id = {t.track_id: t for t in tracks}
            unknown = sorted(set(kps) - set(by_id))
            if unknown:
                raise ValueError(
                    f"{kpath}: keypoints of tracks {unknown} that {tracks_note['file']} does not "
                    f"hold (tracks: {sorted(by_id)}); expected matching track ids"
                )
            tracks = [
                t.with_keypoints(kps[t.track_id], str(kpath)) if t.track_id in kps else t
                for t in tracks
            ]
        else:
            tracks = [
                track_io.TrackObservations(
                    track_id=k.track_id,
                    frames=k.frames,
                    keypoints=k.keypoints,
                    has_keypoints=track_io.detected_rows(k.keypoints),
                    source=str(kpath),
                )
                for k in kps.values()
            ]
    if not tracks:
        raise NoTracksError(f"{label}: empty tracks: no track was read")

    # ---- number of frames
    candidates: list[tuple[int, str]] = []
    if names is not None:
        candidates.append((len(names), frames_source))
    if shot_ids is not None:
        candidates.append((len(shot_ids), shots_source))
    if "num_frames" in m:
        candidates.append((m["num_frames"], f"{label} field 'num_frames'"))
    cams_path = _camera_path(m, folder, 0)
    if cams_path is not None and not _cameras_per_shot(m) and not candidates:
        # the camera file is the only frame count: read it once without a size check
        n_cams = _count_poses(m, cams_path, trust_pickle)
        candidates.append((n_cams, str(cams_path)))
    if not candidates:
        last = max(int(t.frames[-1]) for t in tracks)
        candidates.append((last + 1, "the last frame of the tracks"))
        notes.append("the number of frames was taken from the last frame of the tracks")
    num_frames, count_source = candidates[0]
    for n, src in candidates[1:]:
        if n != num_frames:
            raise ValueError(
                f"{src}: holds {n} frames but {count_source} holds {num_frames}; expected the "
                "same frame count"
            )
    for t in tracks:
        if t.frames[-1] >= num_frames:
            raise ValueError(
                f"{t.source}: track {t.track_id!r} has frame {int(t.frames[-1])} but the video "
                f"has {num_frames} frames ({count_source}); expected frames < {num_frames}"
            )
    if shot_ids is None:
        shot_ids = np.zeros(num_frames, dtype=np.int64)

    # ---- image size (of the keypoints)
    size = image_size or m.get("image_size")
    size_source = "argument image_size" if image_size else f"{label} field 'image_size'"
    if size is None and first_image is not None:
        size, size_source = _image_size_of(first_image), str(first_image)
    if size is None and phalp_size is not None:
        size, size_source = phalp_size, f"{tracks_note['file']} field 'size'"
    if size is None:
        first_shot = int(shot_ids[0])
        cam_size = _camera_file_size(m, folder, first_shot)
        if cam_size is not None:
            size, size_source = cam_size, str(_camera_path(m, folder, first_shot))
    if size is None:
        raise ValueError(
            f"{label}: image size unknown; give image_size=(W, H), an 'image_size' manifest "
            "field, or an images folder"
        )
    size = (int(size[0]), int(size[1]))
    notes.append(f"image size {size} from {size_source}")

    # ---- fps
    if fps is None:
        fps = m.get("fps")
    if fps is None:
        raise ValueError(
            f"{label}: the frame rate is unknown: this layout does not record it (the original "
            "extracts 25 fps by default); pass fps= (CLI --fps) or a manifest 'fps' field"
        )

    gathered = _Gathered(
        folder=folder,
        layout=layout,
        manifest=m,
        name=m.get("name", folder.name),
        fps=float(fps),
        image_size=size,
        num_frames=num_frames,
        frames_source=count_source,
        frame_names=names,
        shot_ids=shot_ids,
        tracks=tracks,
        focal=focal,
        notes=notes,
    )
    gathered.manifest = dict(m, _tracks_note=tracks_note, _keypoints_note=keypoints_note)
    if cams_path is not None and not _cameras_per_shot(m):
        gathered.cameras = _read_cameras(
            gathered, cams_path, num_frames, count_source, trust_pickle
        )
    return gathered


def _count_poses(m: dict[str, Any], path: Path, trust_pickle: bool) -> int:
    if not path.is_file():
        raise ValueError(f"{path}: file not found (cameras)")
    fmt = _camera_format(m, path)
    if fmt == "slahmr":
        return camera_io.read_slahmr_cameras(path)[0].num_frames
    if fmt == "megasam":
        return camera_io.read_megasam_npz(path)[0].shape[0]
    if fmt == "tum":
        if m.get("camera_timestamps", "rows") != "rows":
            raise ValueError(
                f"{path}: with interpolated TUM poses the frame count must come from a frame "
                "list, shots or 'num_frames'"
            )
        return camera_io.read_tum_trajectory(path)[0].size
    return camera_io.read_pose7_trajectory(
        path,
        pose=m.get("camera_pose", "c2w"),
        quat_order=m.get("quat_order", "xyzw"),
        key=m.get("camera_key"),
        trust_pickle=trust_pickle,
    ).shape[0]


def _read_cameras(
    g: _Gathered, path: Path | None, num_frames: int, frames_source: str, trust_pickle: bool
) -> tuple[Cameras, dict]:
    m = g.manifest
    intr = m.get("intrinsics")
    if isinstance(intr, str):
        intr = _resolve(g.folder, intr)
    elif isinstance(intr, list):
        intr = np.asarray(intr, dtype=np.float64)
    fmt = _camera_format(m, path)
    return camera_io.read_cameras(
        path,
        fmt,
        image_size=g.image_size,
        num_frames=num_frames,
        frames_source=frames_source,
        intrinsics=intr,
        intrinsics_size=m.get("intrinsics_size"),
        focal=g.focal,
        pose=m.get("camera_pose", "c2w"),
        quat_order=m.get("quat_order", "xyzw"),
        key=m.get("camera_key"),
        timestamps=m.get("camera_timestamps", "rows"),
        fps=g.fps,
        trust_pickle=trust_pickle,
    )


def _slice_cameras(cameras: Cameras, start: int, end: int) -> Cameras:
    return Cameras(
        R=cameras.R[start:end],
        t=cameras.t[start:end],
        intrinsics=cameras.intrinsics[start:end],
        is_static=cameras.is_static,
    )


def _shot_range(shot_ids: np.ndarray, shot: int, label: str) -> tuple[int, int]:
    idx = np.flatnonzero(shot_ids == shot)
    if idx.size == 0:
        raise ValueError(f"{label}: no shot {shot} (shots: {np.unique(shot_ids).tolist()})")
    return int(idx[0]), int(idx[-1]) + 1


def _sub_range(frame_range: tuple[int, int] | None, length: int, label: str) -> tuple[int, int]:
    if frame_range is None:
        return 0, length
    try:
        a, b = (int(v) for v in frame_range)
    except (TypeError, ValueError):
        raise ValueError(f"frame_range must be (start, end), got {frame_range!r}") from None
    if b < 0:
        b += length + 1
    if not 0 <= a < b <= length:
        raise ValueError(
            f"{label}: frame_range {tuple(frame_range)} must satisfy 0 ≤ start < end ≤ {length} "
            "(frames of the chosen shot)"
        )
    return a, b


def _build(
    g: _Gathered,
    shot: int,
    *,
    tracks: str | Sequence[str],
    max_tracks: int | None,
    min_track_len: int,
    frame_range: tuple[int, int] | None,
    trust_pickle: bool,
) -> Scene:
    m = g.manifest
    label = m["_path"]
    s0, e0 = _shot_range(g.shot_ids, shot, label)
    a, b = _sub_range(frame_range, e0 - s0, label)
    start, end = s0 + a, s0 + b

    # ---- cameras for [start, end)
    path = _camera_path(m, g.folder, shot)
    if g.cameras is not None:
        cams, note = g.cameras
        cameras = _slice_cameras(cams, start, end)
    elif path is not None and _cameras_per_shot(m):
        if not path.is_file() and m.get("cameras_optional"):
            log.warning("%s not found: static cameras (the original's fallback)", path)
            cams, note = camera_io.read_cameras(
                None, "static", image_size=g.image_size, num_frames=e0 - s0, focal=g.focal
            )
            note["missing_file"] = str(path)
        else:
            cams, note = _read_cameras(
                g, path, e0 - s0, f"shot {shot} of {g.frames_source}", trust_pickle
            )
        cameras = _slice_cameras(cams, a, b)
    else:
        cameras, note = _read_cameras(g, None, end - start, "", trust_pickle)

    # ---- tracks
    lengths = {t.track_id: t.num_detections(start, end) for t in g.tracks}
    if len(lengths) != len(g.tracks):
        raise ValueError(f"{label}: two tracks share an id")
    kept, dropped = select_tracks(
        lengths,
        tracks,
        max_tracks=max_tracks,
        min_track_len=min_track_len,
        label=f"{label} (shot {shot})",
    )
    by_id = {t.track_id: t for t in g.tracks}
    built = []
    for tid in kept:
        track = by_id[tid].to_track(start, end)
        if track is None:
            raise ValueError(f"{by_id[tid].source}: empty track {tid!r} in frames [{start}, {end})")
        built.append(track)
    if not built:
        raise NoTracksError(
            f"{label}: no track left in shot {shot} frames [{start}, {end}) after selection "
            f"(tracks={tracks!r}, max_tracks={max_tracks}, min_track_len={min_track_len}); "
            f"dropped: {dropped}"
        )

    provenance = {
        "reader": "slahmr_opt.io.folder.load_scene_folder",
        "layout": g.layout,
        "folder": str(g.folder),
        "manifest": m["_path"] if g.layout == "manifest" else None,
        "frames": {
            "video_frames": g.num_frames,
            "source": g.frames_source,
            "range": [start, end],
            "first_name": g.frame_names[start] if g.frame_names else None,
            "last_name": g.frame_names[end - 1] if g.frame_names else None,
        },
        "shot": shot,
        "num_shots": int(np.unique(g.shot_ids).size),
        "tracks": m.get("_tracks_note"),
        "keypoints": m.get("_keypoints_note"),
        "cameras": note,
        "selection": {
            "tracks": tracks if isinstance(tracks, str) else list(tracks),
            "max_tracks": max_tracks,
            "min_track_len": min_track_len,
            "kept": kept,
            "dropped": dropped,
        },
        "notes": g.notes,
    }
    if "_seq" in m:
        provenance["seq"] = m["_seq"]
    name = g.name if np.unique(g.shot_ids).size == 1 else f"{g.name}-shot-{shot}"
    try:
        return Scene(
            fps=g.fps,
            image_size=g.image_size,
            cameras=cameras,
            tracks=built,
            name=name,
            provenance=provenance,
        )
    except ValueError as err:
        raise ValueError(f"{label}: {err}") from None


# --------------------------------------------------------------------------------------------
# our scene folder
# --------------------------------------------------------------------------------------------


def crop_scene(scene: Scene, start: int, end: int) -> Scene:
    """The frames ``[start, end)`` of a scene; tracks are cut (and dropped when empty there).

    Args:
        scene: the scene.
        start, end: scene frame range, ``0 ≤ start < end ≤ num_frames``.

    Returns:
        A new scene whose frame 0 is ``start``.
    """
    if not 0 <= start < end <= scene.num_frames:
        raise ValueError(
            f"scene {scene.name!r}: frame range [{start}, {end}) must lie in [0, "
            f"{scene.num_frames})"
        )
    tracks = []
    for t in scene.tracks:
        if t.end <= start or t.start >= end:
            continue
        a, b = max(start, t.start) - t.start, min(end, t.end) - t.start
        smpl: dict[str, Any] = {}
        if t.has_smpl and t.smpl_observed[a:b].any():
            smpl = {
                "global_orient": t.global_orient[a:b],
                "body_pose": t.body_pose[a:b],
                "betas": t.betas[a:b],
                "transl": t.transl[a:b],
                "smpl_observed": t.smpl_observed[a:b],
            }
        tracks.append(
            Track(
                track_id=t.track_id,
                start=t.start + a - start,
                keypoints=t.keypoints[a:b],
                visibility=t.visibility[a:b],
                **smpl,
            )
        )
    if not tracks:
        raise NoTracksError(f"scene {scene.name!r}: no track in frames [{start}, {end})")
    return Scene(
        fps=scene.fps,
        image_size=scene.image_size,
        cameras=_slice_cameras(scene.cameras, start, end),
        tracks=tracks,
        name=scene.name,
        provenance=scene.provenance,
    )


def _load_own_scene(
    folder: Path,
    *,
    shot: int | None,
    tracks: str | Sequence[str],
    max_tracks: int | None,
    min_track_len: int,
    frame_range: tuple[int, int] | None,
    fps: float | None,
    image_size: tuple[int, int] | None,
    scene: Scene | None = None,
) -> Scene:
    scene = load_scene(folder) if scene is None else scene
    if shot not in (None, 0):
        raise ValueError(f"{folder}: a scene folder holds one shot (0), got shot={shot}")
    if fps is not None and float(fps) != scene.fps:
        raise ValueError(f"{folder}: fps={fps} given but scene.json says {scene.fps}")
    if image_size is not None and tuple(image_size) != scene.image_size:
        raise ValueError(
            f"{folder}: image_size={tuple(image_size)} given but scene.json says {scene.image_size}"
        )
    start, end = _sub_range(frame_range, scene.num_frames, str(folder))
    visible = int(Visibility.VISIBLE)
    lengths = {}
    for t in scene.tracks:
        a, b = max(start, t.start) - t.start, min(end, t.end) - t.start
        lengths[t.track_id] = int(np.count_nonzero(t.visibility[max(a, 0) : max(b, 0)] == visible))
    kept, dropped = select_tracks(
        lengths, tracks, max_tracks=max_tracks, min_track_len=min_track_len, label=str(folder)
    )
    if not kept:
        raise NoTracksError(
            f"{folder}: no track left after selection (tracks={tracks!r}, max_tracks="
            f"{max_tracks}, min_track_len={min_track_len}); dropped: {dropped}"
        )
    if not dropped and (start, end) == (0, scene.num_frames):
        return scene
    provenance = dict(scene.provenance)
    provenance["folder_reader"] = {
        "frame_range": [start, end],
        "selection": {
            "tracks": tracks if isinstance(tracks, str) else list(tracks),
            "max_tracks": max_tracks,
            "min_track_len": min_track_len,
            "kept": kept,
            "dropped": dropped,
        },
    }
    chosen = Scene(
        fps=scene.fps,
        image_size=scene.image_size,
        cameras=scene.cameras,
        tracks=[scene.track(i) for i in kept],
        name=scene.name,
        provenance=provenance,
    )
    return chosen if (start, end) == (0, scene.num_frames) else crop_scene(chosen, start, end)


# --------------------------------------------------------------------------------------------
# public entry points
# --------------------------------------------------------------------------------------------


def _prepare(
    path: str | os.PathLike,
    seq: str | None,
    trust_pickle: bool,
    fps: float | None,
    image_size: tuple[int, int] | None,
    focal: float | None,
) -> _Gathered:
    folder = Path(path)
    layout = detect_layout(folder)
    m = read_manifest(folder) if layout == "manifest" else _original_manifest(folder, seq)
    return _gather(
        folder, m, layout, trust_pickle=trust_pickle, fps=fps, image_size=image_size, focal=focal
    )


def _limits(layout: str, max_tracks: int | None, min_track_len: int | None):
    own = layout == "scene-folder"
    if max_tracks is None and not own:
        max_tracks = DEFAULT_MAX_TRACKS
    if min_track_len is None:
        min_track_len = 1 if own else DEFAULT_MIN_TRACK_LEN
    return max_tracks, min_track_len


def load_scene_folder(
    path: str | os.PathLike,
    *,
    trust_pickle: bool = False,
    shot: int | None = None,
    tracks: str | Sequence[str] = "all",
    max_tracks: int | None = None,
    min_track_len: int | None = None,
    frame_range: tuple[int, int] | None = None,
    fps: float | None = None,
    image_size: tuple[int, int] | None = None,
    focal: float | None = None,
    seq: str | None = None,
) -> Scene:
    """Read a video folder — our scene folder, a manifest folder, or the original's layout.

    Args:
        path: the folder (see the module docstring and docs/formats.md, "Readers").
        trust_pickle: allow reading pickles (PHALP results, WHAM files); they can run code.
        shot: shot index to read; required when the folder holds several shots (see
            :func:`load_scene_folder_shots` to read them all).
        tracks: ``"all"``, ``"longest-N"``, ``"id1,id2"`` or a list of ids.
        max_tracks: limit for ``"all"``; default 12 on upstream layouts (the original's), no
            limit on our scene folders.
        min_track_len: fewest frames with keypoints a track needs (``"all"``/``"longest-N"``);
            default 21 on upstream layouts (the original's "more than 20"), 1 on scene folders.
        frame_range: ``(start, end)`` frames within the shot (the original's
            ``start_idx``/``end_idx``); default all.
        fps: frame rate (Hz); required unless the folder records it (scene.json, manifest).
        image_size: ``(W, H)`` of the keypoints; default from the manifest, the images, the
            PHALP pickle or the cameras file.
        focal: focal length (pixels) for the PHALP crop cameras and default intrinsics; default
            ``0.5 (W + H)``.
        seq: sequence name in the original layout when ``track_preds`` holds several.

    Returns:
        The validated scene; ``provenance`` records what was read and what was dropped.
    """
    folder = Path(path)
    layout = detect_layout(folder)
    max_tracks, min_track_len = _limits(layout, max_tracks, min_track_len)
    if layout == "scene-folder" or layout in PEER_LAYOUTS:
        peer = None
        if layout in PEER_LAYOUTS:
            peer = load_peer_scene(
                folder,
                layout,
                trust_pickle=trust_pickle,
                fps=fps,
                image_size=image_size,
                focal=focal,
            )
            fps = image_size = None
        return _load_own_scene(
            folder,
            shot=shot,
            tracks=tracks,
            max_tracks=max_tracks,
            min_track_len=min_track_len,
            frame_range=frame_range,
            fps=fps,
            image_size=image_size,
            scene=peer,
        )
    g = _prepare(folder, seq, trust_pickle, fps, image_size, focal)
    shots = np.unique(g.shot_ids).tolist()
    if shot is None:
        if len(shots) != 1:
            ranges = {s: list(_shot_range(g.shot_ids, s, "")) for s in shots}
            raise ValueError(
                f"{g.manifest['_path']}: holds {len(shots)} shots (frames {ranges}); choose one "
                "with shot= (CLI --shot) or read them all with load_scene_folder_shots"
            )
        shot = shots[0]
    return _build(
        g,
        int(shot),
        tracks=tracks,
        max_tracks=max_tracks,
        min_track_len=min_track_len,
        frame_range=frame_range,
        trust_pickle=trust_pickle,
    )


def load_scene_folder_shots(
    path: str | os.PathLike,
    *,
    trust_pickle: bool = False,
    tracks: str | Sequence[str] = "all",
    max_tracks: int | None = None,
    min_track_len: int | None = None,
    fps: float | None = None,
    image_size: tuple[int, int] | None = None,
    focal: float | None = None,
    seq: str | None = None,
) -> dict[int, Scene]:
    """Split a video folder into one scene per shot (arguments as :func:`load_scene_folder`).

    Files are read once. Shots where no track is left after selection are skipped (and
    logged); every other problem raises.

    Returns:
        shot index → scene, for the shots with at least one track.
    """
    folder = Path(path)
    layout = detect_layout(folder)
    max_tracks, min_track_len = _limits(layout, max_tracks, min_track_len)
    if layout == "scene-folder" or layout in PEER_LAYOUTS:
        return {
            0: load_scene_folder(
                folder,
                trust_pickle=trust_pickle,
                tracks=tracks,
                max_tracks=max_tracks,
                min_track_len=min_track_len,
                fps=fps,
                image_size=image_size,
                focal=focal,
            )
        }
    g = _prepare(folder, seq, trust_pickle, fps, image_size, focal)
    out = {}
    for shot in np.unique(g.shot_ids).tolist():
        try:
            out[int(shot)] = _build(
                g,
                int(shot),
                tracks=tracks,
                max_tracks=max_tracks,
                min_track_len=min_track_len,
                frame_range=None,
                trust_pickle=trust_pickle,
            )
        except NoTracksError as err:
            log.info("shot %d skipped: %s", shot, err)
    if not out:
        raise NoTracksError(f"{folder}: no shot has a track left after selection")
    return out


# --------------------------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------------------------


def _default_names(num_frames: int, first: int) -> list[str]:
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
    names = list(frame_names) if frame_names is not None else _default_names(T, 1)
    shots = np.zeros(T, dtype=np.int64) if shot_ids is None else np.asarray(shot_ids, np.int64)
    if len(names) != T or shots.shape != (T,):
        raise ValueError(f"frame_names and shot_ids must have {T} entries (the scene's frames)")
    base = root / "slahmr"
    track_io.write_track_preds(base / "track_preds" / seq, scene.tracks, names)
    track_io.write_shot_idcs(
        base / "shot_idcs" / f"{seq}.json", [n + image_ext for n in names], shots
    )
    if not static:
        for k in np.unique(shots):
            s, e = _shot_range(shots, int(k), "shot_ids")
            camera_io.write_slahmr_cameras(
                base / "cameras" / seq / f"shot-{int(k)}" / "cameras.npz",
                _slice_cameras(scene.cameras, s, e),
                scene.image_size,
            )
    return root


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
    names = _default_names(T, 0)
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
        keypoint_io.KeypointTrack(
            o.track_id, o.frames[o.has_keypoints], o.keypoints[o.has_keypoints]
        )
        for o in (track_io.track_to_observations(t) for t in scene.tracks)
    ]
    if tracks_format == "npz":
        out = folder / "tracks"
        # with a keypoints source the npz tracks hold SMPL only
        track_io.write_npz_tracks(out, scene.tracks, keypoints=keypoints_format is None)
        m.update(tracks="tracks", tracks_format="npz")
    elif tracks_format == "track_preds":
        track_io.write_track_preds(folder / "track_preds", scene.tracks, names)
        m.update(tracks="track_preds", tracks_format="track_preds")
    else:
        track_io.write_phalp_pickle(
            folder / "phalp.pkl",
            scene.tracks,
            names,
            scene.image_size,
            shot_ids=shot_ids,
            focal=focal,
        )
        m.update(tracks="phalp.pkl", tracks_format="phalp")
    if focal is not None:
        m["focal"] = focal
    if keypoints_format == "openpose":
        keypoint_io.write_openpose_tracks(folder / "openpose", kp_tracks, names)
        m.update(keypoints="openpose", keypoints_format="openpose")
    elif keypoints_format == "arrays":
        for kt in kp_tracks:
            keypoint_io.write_keypoint_array(
                folder / "keypoints" / f"{kt.track_id}.npz", kt, layout=keypoints_layout
            )
        m.update(keypoints="keypoints", keypoints_format="arrays")
    elif keypoints_format == "wham":
        keypoint_io.write_wham_tracking_results(folder / "tracking_results.pth", kp_tracks)
        m.update(keypoints="tracking_results.pth", keypoints_format="wham")
    elif keypoints_format == "gvhmr":
        if len(scene.tracks) != 1:
            raise ValueError("GVHMR vitpose holds one person; the scene must have one track")
        kt = kp_tracks[0]
        full = np.zeros((T, 25, 3))
        full[kt.frames] = kt.keypoints
        keypoint_io.write_gvhmr_vitpose(
            folder / "vitpose.pt", keypoint_io.KeypointTrack(kt.track_id, np.arange(T), full)
        )
        m.update(keypoints="vitpose.pt", keypoints_format="gvhmr", keypoints_track=kt.track_id)
    elif keypoints_format is not None:
        raise ValueError(f"keypoints_format must be one of {KEYPOINT_FORMATS} or None")

    cams = scene.cameras
    const = bool(np.all(cams.intrinsics == cams.intrinsics[0]))
    calib = cams.intrinsics[0] if const else cams.intrinsics
    if cameras_format in ("dpvo", "droid"):
        camera_io.write_dpvo_trajectory(folder / "traj.txt", cams, quat_order=quat_order)
        camera_io.write_intrinsics_txt(folder / "calib.txt", calib)
        m.update(
            cameras="traj.txt",
            cameras_format=cameras_format,
            intrinsics="calib.txt",
            quat_order=quat_order,
        )
    elif cameras_format == "tum":
        camera_io.write_tum_trajectory(folder / "traj_tum.txt", cams, quat_order=quat_order)
        camera_io.write_intrinsics_txt(folder / "calib.txt", calib)
        m.update(
            cameras="traj_tum.txt",
            cameras_format="tum",
            intrinsics="calib.txt",
            quat_order=quat_order,
        )
    elif cameras_format == "megasam":
        camera_io.write_megasam_npz(folder / "megasam.npz", cams)
        m.update(cameras="megasam.npz", cameras_format="megasam")
    elif cameras_format == "slahmr":
        camera_io.write_slahmr_cameras(folder / "cameras.npz", cams, scene.image_size)
        m.update(cameras="cameras.npz", cameras_format="slahmr")
    elif cameras_format == "static":
        m.update(cameras_format="static", intrinsics=[float(v) for v in cams.intrinsics[0]])
    else:
        raise ValueError(f"cameras_format must be one of {camera_io.CAMERA_FORMATS}")
    if shot_ids is not None and tracks_format != "phalp":
        write_json_atomic(folder / "shots.json", [int(s) for s in shot_ids])
        m["shots"] = "shots.json"
    write_json_atomic(folder / MANIFEST_NAMES[0], m)
    return folder
