"""The video-folder reader: a folder of upstream outputs (or our scene folder) → :class:`Scene`.

:func:`load_scene_folder` accepts three layouts (:func:`~slahmr_opt.io.layout.detect_layout`):

``scene-folder``
    Our own scene folder (``scene.json`` with format ``slahmr-opt-scene``): read with
    :func:`~slahmr_opt.io.scene_folder.load_scene`.
``manifest``
    Any folder with a ``slahmr_opt.json`` (or ``manifest.json``) naming which file is which and in
    what format (docs/formats.md, "Manifest"): e.g. DPVO cameras + OpenPose keypoints + a PHALP
    pickle.
``slahmr-original``
    The original SLAHMR data root (:func:`~slahmr_opt.io.layout.original_layout_manifest` says
    where its exporter puts each file).

Then, as the original does: a **shot** is chosen (the frames of one shot; cameras are per shot
when their path holds ``{shot}``), optionally a frame sub-range, and **tracks are selected**
(:mod:`~slahmr_opt.io.selection`).

Nothing is partially loaded: every file is read and checked before the scene is built, and any
problem is a ValueError naming the file, the field and the expected form.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from slahmr_opt.io.cameras import read_cameras
from slahmr_opt.io.common import FrameIndex, frame_stem
from slahmr_opt.io.dpvo import read_pose7_trajectory
from slahmr_opt.io.gvhmr_inputs import read_gvhmr_vitpose
from slahmr_opt.io.keypoints import KeypointTrack, read_keypoint_arrays
from slahmr_opt.io.layout import (
    IMAGE_EXTENSIONS,
    LAYOUTS,
    camera_format,
    detect_layout,
    original_layout_manifest,
    tracks_format,
)
from slahmr_opt.io.manifest import read_manifest, write_manifest_folder
from slahmr_opt.io.megasam import read_megasam_npz
from slahmr_opt.io.npz_tracks import read_npz_tracks
from slahmr_opt.io.openpose import read_openpose_tracks
from slahmr_opt.io.phalp import read_phalp_pickle
from slahmr_opt.io.scene_folder import load_scene
from slahmr_opt.io.selection import (
    DEFAULT_MAX_TRACKS,
    DEFAULT_MIN_TRACK_LEN,
    NoTracksError,
    crop_scene,
    parse_track_spec,
    select_tracks,
    sub_range,
)
from slahmr_opt.io.slahmr_layout import (
    read_shot_idcs,
    read_slahmr_cameras,
    read_track_preds,
    shot_range,
    slice_cameras,
    write_original_layout,
)
from slahmr_opt.io.tracks import TrackObservations, detected_rows
from slahmr_opt.io.tum import read_tum_trajectory
from slahmr_opt.io.wham_inputs import read_wham_tracking_results
from slahmr_opt.scene import Cameras, Scene, Visibility

__all__ = [
    "DEFAULT_MAX_TRACKS",
    "DEFAULT_MIN_TRACK_LEN",
    "LAYOUTS",
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
    tracks: list[TrackObservations]
    focal: float | None
    notes: list[str] = field(default_factory=list)
    cameras: tuple[Cameras, dict] | None = None  # whole-video cameras, read once


def resolve_path(folder: Path, rel: str) -> Path:
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
        return [frame_stem(n) for n in names], None
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
    return resolve_path(folder, m["cameras"].replace("{shot}", str(shot)))


def _cameras_per_shot(m: dict[str, Any]) -> bool:
    return "{shot}" in m.get("cameras", "")


def _camera_file_size(m: dict, folder: Path, shot: int) -> tuple[int, int] | None:
    path = _camera_path(m, folder, shot)
    if path is None or not path.is_file():
        return None
    fmt = camera_format(m, path)
    if fmt == "slahmr":
        return read_slahmr_cameras(path)[1]
    if fmt == "megasam":
        return read_megasam_npz(path)[2]
    return None


def _read_keypoint_source(
    m: dict[str, Any],
    folder: Path,
    frame_index: FrameIndex,
    track_ids: list[str],
    trust_pickle: bool,
) -> dict[str, KeypointTrack]:
    path = resolve_path(folder, m["keypoints"])
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
        return read_openpose_tracks(path, frame_index)
    if fmt == "arrays":
        return read_keypoint_arrays(path, layout=m.get("keypoints_layout", "auto"))
    if fmt == "wham":
        return read_wham_tracking_results(path, trust_pickle=trust_pickle)
    tid = m.get("keypoints_track")
    if tid is None:
        tid = track_ids[0] if len(track_ids) == 1 else "0"
    return read_gvhmr_vitpose(path, track_id=tid, trust_pickle=trust_pickle)


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
        names, first_image = _frame_list(resolve_path(folder, m["frames"]))
        frames_source = str(resolve_path(folder, m["frames"]))
    shot_ids: np.ndarray | None = None
    shots_source = ""
    if "shots" in m:
        shots_path = resolve_path(folder, m["shots"])
        shot_names, shot_ids = read_shot_idcs(shots_path)
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
    tracks: list[TrackObservations] = []
    phalp_size = None
    tracks_note: dict[str, Any] | None = None
    if "tracks" in m:
        tpath = resolve_path(folder, m["tracks"])
        if not tpath.exists():
            raise ValueError(f"{tpath}: file not found (tracks)")
        tfmt = tracks_format(m, tpath)
        tracks_note = {"format": tfmt, "file": str(tpath)}
        if tfmt == "phalp":
            ph = read_phalp_pickle(tpath, trust_pickle=trust_pickle, focal=focal)
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
    frame_index = FrameIndex(names, m.get("first_frame", 0), frames_source)
    if "tracks" in m and tracks_note is not None and tracks_note["format"] != "phalp":
        tpath = Path(tracks_note["file"])
        if tracks_note["format"] == "track_preds":
            tracks = read_track_preds(tpath, frame_index)
        else:
            tracks = read_npz_tracks(tpath)

    # ---- keypoints from their own file
    keypoints_note = None
    if "keypoints" in m:
        kps = _read_keypoint_source(
            m, folder, frame_index, [t.track_id for t in tracks], trust_pickle
        )
        kpath = resolve_path(folder, m["keypoints"])
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
                TrackObservations(
                    track_id=k.track_id,
                    frames=k.frames,
                    keypoints=k.keypoints,
                    has_keypoints=detected_rows(k.keypoints),
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
    fmt = camera_format(m, path)
    if fmt == "slahmr":
        return read_slahmr_cameras(path)[0].num_frames
    if fmt == "megasam":
        return read_megasam_npz(path)[0].shape[0]
    if fmt == "tum":
        if m.get("camera_timestamps", "rows") != "rows":
            raise ValueError(
                f"{path}: with interpolated TUM poses the frame count must come from a frame "
                "list, shots or 'num_frames'"
            )
        return read_tum_trajectory(path)[0].size
    return read_pose7_trajectory(
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
        intr = resolve_path(g.folder, intr)
    elif isinstance(intr, list):
        intr = np.asarray(intr, dtype=np.float64)
    fmt = camera_format(m, path)
    return read_cameras(
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
    s0, e0 = shot_range(g.shot_ids, shot, label)
    a, b = sub_range(frame_range, e0 - s0, label)
    start, end = s0 + a, s0 + b

    # ---- cameras for [start, end)
    path = _camera_path(m, g.folder, shot)
    if g.cameras is not None:
        cams, note = g.cameras
        cameras = slice_cameras(cams, start, end)
    elif path is not None and _cameras_per_shot(m):
        if not path.is_file() and m.get("cameras_optional"):
            log.warning("%s not found: static cameras (the original's fallback)", path)
            cams, note = read_cameras(
                None, "static", image_size=g.image_size, num_frames=e0 - s0, focal=g.focal
            )
            note["missing_file"] = str(path)
        else:
            cams, note = _read_cameras(
                g, path, e0 - s0, f"shot {shot} of {g.frames_source}", trust_pickle
            )
        cameras = slice_cameras(cams, a, b)
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
) -> Scene:
    scene = load_scene(folder)
    if shot not in (None, 0):
        raise ValueError(f"{folder}: a scene folder holds one shot (0), got shot={shot}")
    if fps is not None and float(fps) != scene.fps:
        raise ValueError(f"{folder}: fps={fps} given but scene.json says {scene.fps}")
    if image_size is not None and tuple(image_size) != scene.image_size:
        raise ValueError(
            f"{folder}: image_size={tuple(image_size)} given but scene.json says {scene.image_size}"
        )
    start, end = sub_range(frame_range, scene.num_frames, str(folder))
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
    m = read_manifest(folder) if layout == "manifest" else original_layout_manifest(folder, seq)
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
    if layout == "scene-folder":
        return _load_own_scene(
            folder,
            shot=shot,
            tracks=tracks,
            max_tracks=max_tracks,
            min_track_len=min_track_len,
            frame_range=frame_range,
            fps=fps,
            image_size=image_size,
        )
    g = _prepare(folder, seq, trust_pickle, fps, image_size, focal)
    shots = np.unique(g.shot_ids).tolist()
    if shot is None:
        if len(shots) != 1:
            ranges = {s: list(shot_range(g.shot_ids, s, "")) for s in shots}
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
    if layout == "scene-folder":
        return {
            0: load_scene_folder(
                folder,
                tracks=tracks,
                max_tracks=max_tracks,
                min_track_len=min_track_len,
                fps=fps,
                image_size=image_size,
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
