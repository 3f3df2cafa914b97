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
``wham`` / ``gvhmr`` / ``tram``
    Another method's output folder for one video (:mod:`slahmr_opt.io.peers.folders`): its
    camera-frame SMPL, keypoints and SLAM cameras, read as one shot.

Then, as the original does: a **shot** is chosen (the frames of one shot; cameras are per shot
when their path holds ``{shot}``), optionally a frame sub-range, and **tracks are selected**
(:mod:`~slahmr_opt.io.selection`).

Nothing is partially loaded: every file is read and checked before the scene is built, and any
problem is a ValueError naming the file, the field and the expected form.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from slahmr_opt.io.cameras import read_cameras
from slahmr_opt.io.gather import (
    Gathered,
    camera_path,
    cameras_per_shot,
    gather,
    read_folder_cameras,
)
from slahmr_opt.io.hmr import crop_rows_to_transl
from slahmr_opt.io.intrinsics import undistort_points
from slahmr_opt.io.layout import (
    IMAGE_EXTENSIONS,
    LAYOUTS,
    detect_layout,
    folder_path,
    original_layout_manifest,
)
from slahmr_opt.io.manifest import read_manifest, write_manifest_folder
from slahmr_opt.io.peers.folders import PEER_LAYOUTS, load_peer_scene
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
from slahmr_opt.io.slahmr_layout import shot_range, slice_cameras, write_original_layout
from slahmr_opt.io.tracks import TrackObservations
from slahmr_opt.scene import Cameras, Scene, Visibility

__all__ = [
    "DEFAULT_MAX_TRACKS",
    "DEFAULT_MIN_TRACK_LEN",
    "IMAGE_EXTENSIONS",
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


def _dropped_tracks(dropped: dict[str, str], label: str) -> list[dict[str, str]]:
    """The tracks selection left out, as ``scene.provenance["dropped_tracks"]`` entries (the
    solver reports them with the result); those not left out on request are logged."""
    unasked = {tid: why for tid, why in dropped.items() if why != "not requested"}
    if unasked:
        listed = "; ".join(f"{tid}: {why}" for tid, why in unasked.items())
        log.warning("%s: %d track(s) left out: %s", label, len(unasked), listed)
    return [{"track_id": tid, "reason": why} for tid, why in dropped.items()]


def _fit_to_cameras(
    obs: TrackObservations, cameras: Cameras, start: int, end: int, distortion: list | None
) -> TrackObservations:
    """The observations made consistent with the scene's cameras over video frames [start, end).

    PHALP translations are recomputed from their crop cameras with each frame's intrinsics (the
    same camera the solver projects with), and with a distortion model the keypoints are
    undistorted as DPVO / DROID-SLAM undistort the images they track on.
    """
    rows = np.flatnonzero((obs.frames >= start) & (obs.frames < end))
    K = cameras.intrinsics[obs.frames[rows] - start]
    changes = {}
    if obs.crop is not None and obs.smpl_given:
        sel = obs.has_smpl[rows] & np.all(np.isfinite(obs.crop[rows]), axis=1)
        if sel.any():
            transl = obs.transl.copy()
            transl[rows[sel]] = crop_rows_to_transl(obs.crop[rows[sel]], K[sel])
            changes["transl"] = transl
    if distortion is not None:
        kp = obs.keypoints.copy()
        for r, k in zip(rows, K, strict=True):
            seen = kp[r, :, 2] > 0
            if seen.any():
                kp[r, seen, :2] = undistort_points(kp[r, seen, :2], k, np.asarray(distortion))
        changes["keypoints"] = kp
    return dataclasses.replace(obs, **changes) if changes else obs


def _build(
    g: Gathered,
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
    path = camera_path(m, g.folder, shot)
    if g.cameras is not None:
        cams, note = g.cameras
        cameras = slice_cameras(cams, start, end)
    elif path is not None and cameras_per_shot(m):
        if not path.is_file() and m.get("cameras_optional"):
            log.warning("%s not found: static cameras (the original's fallback)", path)
            cams, note = read_cameras(
                None, "static", image_size=g.image_size, num_frames=e0 - s0, focal=g.focal
            )
            note["missing_file"] = str(path)
        else:
            cams, note = read_folder_cameras(
                g, path, e0 - s0, f"shot {shot} of {g.frames_source}", trust_pickle
            )
        cameras = slice_cameras(cams, a, b)
    else:
        cameras, note = read_folder_cameras(g, None, end - start, "", trust_pickle)

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
        obs = _fit_to_cameras(by_id[tid], cameras, start, end, note.get("distortion"))
        track = obs.to_track(start, end)
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
        "dropped_tracks": _dropped_tracks(dropped, f"{label} (shot {shot})"),
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
    provenance["dropped_tracks"] = _dropped_tracks(dropped, str(folder))
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
) -> Gathered:
    folder = folder_path(path)
    layout = detect_layout(folder)
    m = read_manifest(folder) if layout == "manifest" else original_layout_manifest(folder, seq)
    return gather(
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
        path: the folder (see the module docstring and docs/formats.md, "Readers"); relative
            paths, ``~`` and symlinks work.
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
    folder = folder_path(path)
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
    folder = folder_path(path)
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
