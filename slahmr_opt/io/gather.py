"""Reading every file an upstream folder's manifest names: frames, shots, tracks, keypoints, the
frame count, the image size, the frame rate and (whole-video) cameras → :class:`Gathered`.

:mod:`~slahmr_opt.io.folder` then cuts a shot out of it and builds the scene. The manifest is a
dict from :func:`~slahmr_opt.io.manifest.read_manifest` or
:func:`~slahmr_opt.io.layout.original_layout_manifest` (its ``_path`` names it in messages).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from slahmr_opt.io.cameras import read_cameras
from slahmr_opt.io.common import FrameIndex, frame_stem, read_text_file
from slahmr_opt.io.dpvo import read_pose7_rows
from slahmr_opt.io.gvhmr_inputs import read_gvhmr_vitpose
from slahmr_opt.io.keypoints import ConfidenceClips, KeypointTrack, read_keypoint_arrays
from slahmr_opt.io.layout import IMAGE_EXTENSIONS, camera_format, keypoints_format, tracks_format
from slahmr_opt.io.megasam import read_megasam_npz
from slahmr_opt.io.npz_tracks import read_npz_tracks
from slahmr_opt.io.openpose import is_untracked_openpose, read_openpose_frames, read_openpose_tracks
from slahmr_opt.io.phalp import read_phalp_pickle
from slahmr_opt.io.selection import NoTracksError
from slahmr_opt.io.slahmr_layout import read_shot_idcs, read_slahmr_cameras, read_track_preds
from slahmr_opt.io.tracks import TrackObservations, associate_keypoints, detected_rows
from slahmr_opt.io.tum import read_tum_trajectory
from slahmr_opt.io.wham_inputs import read_wham_tracking_results
from slahmr_opt.scene import Cameras

__all__ = ["Gathered", "camera_path", "cameras_per_shot", "gather", "read_folder_cameras"]


@dataclass
class Gathered:
    """Everything read from an upstream folder, before a shot is chosen.

    Attributes:
        folder: the folder (absolute).
        layout: ``"manifest"`` or ``"slahmr-original"``.
        manifest: the manifest dict (with ``_tracks_note`` / ``_keypoints_note`` added).
        name: scene name.
        fps: frame rate, Hz.
        image_size: ``(W, H)`` of the keypoints.
        num_frames: frames of the video.
        frames_source: where the frame count comes from.
        frame_names: names of the video frames, or None.
        shot_ids: (num_frames,) shot index per frame.
        tracks: the people read (video frame indices).
        focal: focal for default intrinsics, or None.
        notes: what the readers decided, for provenance.
        cameras: whole-video cameras and their note, read once (None for per-shot files).
    """

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
    cameras: tuple[Cameras, dict] | None = None


def resolve_path(folder: Path, rel: str) -> Path:
    """``rel`` relative to ``folder`` (absolute paths and ``~`` work too)."""
    p = Path(rel).expanduser()
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
        text = read_text_file(path, "frame names")
        names = [ln.strip() for ln in text.splitlines() if ln.strip()]
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


def camera_path(m: dict[str, Any], folder: Path, shot: int) -> Path | None:
    """The camera file of ``shot`` (None for static cameras)."""
    if m.get("cameras_format") == "static" or "cameras" not in m:
        return None
    return resolve_path(folder, m["cameras"].replace("{shot}", str(shot)))


def cameras_per_shot(m: dict[str, Any]) -> bool:
    """Whether the manifest names one camera file per shot (``{shot}`` in its path)."""
    return "{shot}" in m.get("cameras", "")


def _camera_file_size(m: dict, folder: Path, shot: int) -> tuple[int, int] | None:
    path = camera_path(m, folder, shot)
    if path is None or not path.is_file() or camera_format(m, path) != "slahmr":
        return None  # MegaSaM's images are resized: they do not give the video's size
    return read_slahmr_cameras(path)[1]


def _read_keypoints(
    m: dict[str, Any],
    folder: Path,
    frame_index: FrameIndex,
    tracks: list[TrackObservations],
    trust_pickle: bool,
    clips: ConfidenceClips,
) -> tuple[dict[str, KeypointTrack], dict[str, Any]]:
    path = resolve_path(folder, m["keypoints"])
    fmt = keypoints_format(m, path)
    note: dict[str, Any] = {"format": fmt, "file": str(path)}
    if fmt == "openpose":
        if is_untracked_openpose(path):
            people = read_openpose_frames(path, frame_index, clips=clips)
            kps, summary = associate_keypoints(
                tracks, {f: p.keypoints for f, p in people.items()}, label=str(path)
            )
            note["association"] = summary
            return kps, note
        return read_openpose_tracks(path, frame_index, clips=clips), note
    if fmt == "arrays":
        layout = m.get("keypoints_layout", "auto")
        return read_keypoint_arrays(path, layout=layout, clips=clips), note
    if fmt == "wham":
        return read_wham_tracking_results(path, trust_pickle=trust_pickle, clips=clips), note
    tid = m.get("keypoints_track")
    if tid is None:
        tid = tracks[0].track_id if len(tracks) == 1 else "0"
    return read_gvhmr_vitpose(path, track_id=tid, trust_pickle=trust_pickle, clips=clips), note


def _merge_keypoints(
    tracks: list[TrackObservations], kps: dict[str, KeypointTrack], kpath: str, tpath: str
) -> list[TrackObservations]:
    if not tracks:
        return [
            TrackObservations(
                track_id=k.track_id,
                frames=k.frames,
                keypoints=k.keypoints,
                has_keypoints=detected_rows(k.keypoints),
                source=kpath,
            )
            for k in kps.values()
        ]
    by_id = {t.track_id: t for t in tracks}
    unknown = sorted(set(kps) - set(by_id))
    if unknown:
        raise ValueError(
            f"{kpath}: keypoints of tracks {unknown} that {tpath} does not hold (tracks: "
            f"{sorted(by_id)}); expected matching track ids"
        )
    return [t.with_keypoints(kps[t.track_id], kpath) if t.track_id in kps else t for t in tracks]


def _count_poses(m: dict[str, Any], path: Path, trust_pickle: bool) -> int:
    """Frames of the video when the camera file is the only frame count."""
    if not path.is_file():
        raise ValueError(f"{path}: file not found (cameras)")
    fmt = camera_format(m, path)
    if fmt == "slahmr":
        return read_slahmr_cameras(path)[0].num_frames
    if fmt == "megasam":
        return read_megasam_npz(path)[0].shape[0]
    if m.get("camera_timestamps", "rows") != "rows" or m.get("camera_stride", 1) != 1:
        raise ValueError(
            f"{path}: with strided or timed poses the frame count must come from a frame list, "
            "shots or the manifest's 'num_frames'"
        )
    if fmt == "tum":
        return read_tum_trajectory(path)[0].size
    return read_pose7_rows(path, key=m.get("camera_key"), trust_pickle=trust_pickle).shape[0]


def read_folder_cameras(
    g: Gathered, path: Path | None, num_frames: int, frames_source: str, trust_pickle: bool
) -> tuple[Cameras, dict]:
    """The cameras of ``path`` (None: static) for ``num_frames`` frames, as the manifest says."""
    m = g.manifest
    intr = m.get("intrinsics")
    if isinstance(intr, str):
        intr = resolve_path(g.folder, intr)
    elif isinstance(intr, list):
        intr = np.asarray(intr, dtype=np.float64)
    times = m.get("camera_frame_times")
    return read_cameras(
        path,
        camera_format(m, path),
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
        stride=m.get("camera_stride", 1),
        skip=m.get("camera_skip", 0),
        frame_times=None if times is None else resolve_path(g.folder, times),
        start_time=m.get("camera_start_time"),
        max_time_diff=m.get("camera_max_time_diff", 0.01),
        fps=g.fps,
        trust_pickle=trust_pickle,
    )


def _frames_and_shots(m: dict[str, Any], folder: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"names": None, "source": "", "first_image": None}
    out.update(shot_ids=None, shots_source="")
    if "frames" in m:
        path = resolve_path(folder, m["frames"])
        out["names"], out["first_image"] = _frame_list(path)
        out["source"] = str(path)
    if "shots" in m:
        path = resolve_path(folder, m["shots"])
        shot_names, out["shot_ids"] = read_shot_idcs(path)
        out["shots_source"] = str(path)
        if shot_names is not None:
            if out["names"] is None:
                out["names"], out["source"] = shot_names, str(path)
            elif shot_names != out["names"]:
                raise ValueError(
                    f"{path}: its {len(shot_names)} frame names differ from the "
                    f"{len(out['names'])} of {out['source']}"
                )
        elif out["names"] is not None and len(out["shot_ids"]) != len(out["names"]):
            raise ValueError(
                f"{path}: holds {len(out['shot_ids'])} shot indices but {out['source']} has "
                f"{len(out['names'])} frames"
            )
    return out


def gather(
    folder: Path,
    m: dict[str, Any],
    layout: str,
    *,
    trust_pickle: bool,
    fps: float | None,
    image_size: tuple[int, int] | None,
    focal: float | None,
) -> Gathered:
    """Read every file ``m`` names (see the module docstring)."""
    label = m["_path"]
    notes: list[str] = []
    focal = focal if focal is not None else m.get("focal")
    fr = _frames_and_shots(m, folder)
    names, frames_source = fr["names"], fr["source"]
    shot_ids, shots_source = fr["shot_ids"], fr["shots_source"]

    # ---- tracks (a PHALP pickle also gives frames, shots and the image size)
    tracks: list[TrackObservations] = []
    phalp_size = None
    tracks_note: dict[str, Any] | None = None
    clips = ConfidenceClips(label)
    tpath = resolve_path(folder, m["tracks"]) if "tracks" in m else None
    if tpath is not None:
        if not tpath.exists():
            raise ValueError(f"{tpath}: file not found (tracks)")
        tfmt = tracks_format(m, tpath)
        tracks_note = {"format": tfmt, "file": str(tpath)}
        if tfmt == "phalp":
            ph = read_phalp_pickle(
                tpath,
                trust_pickle=trust_pickle,
                focal=focal,
                keypoints=m.get("phalp_keypoints", "auto"),
                box_size=m.get("phalp_box_size", "scale"),
                clips=clips,
            )
            if names is None:
                names, frames_source = ph.frame_names, str(tpath)
            elif ph.frame_names != names:
                raise ValueError(
                    f"{tpath}: its {len(ph.frame_names)} frames differ from the {len(names)} "
                    f"of {frames_source}"
                )
            if shot_ids is None and ph.shot_ids is not None:
                shot_ids, shots_source = ph.shot_ids, str(tpath)
            phalp_size, tracks = ph.image_size, ph.tracks
            tracks_note.update(keypoints=ph.keypoints, box_size=m.get("phalp_box_size", "scale"))
            notes += ph.notes
    frame_index = FrameIndex(names, m.get("first_frame", 0), frames_source)
    if tracks_note is not None and tracks_note["format"] == "track_preds":
        tracks = read_track_preds(tpath, frame_index, clips=clips)
    elif tracks_note is not None and tracks_note["format"] == "npz":
        tracks = read_npz_tracks(tpath, clips=clips)

    # ---- keypoints from their own file
    keypoints_note = None
    if "keypoints" in m:
        kps, keypoints_note = _read_keypoints(m, folder, frame_index, tracks, trust_pickle, clips)
        tracks = _merge_keypoints(tracks, kps, keypoints_note["file"], str(tpath))
    if not tracks:
        raise NoTracksError(f"{label}: empty tracks: no track was read")
    clipped = clips.report()
    if clipped:
        notes.append(clipped)

    # ---- number of frames
    candidates: list[tuple[int, str]] = []
    if names is not None:
        candidates.append((len(names), frames_source))
    if shot_ids is not None:
        candidates.append((len(shot_ids), shots_source))
    if "num_frames" in m:
        candidates.append((m["num_frames"], f"{label} field 'num_frames'"))
    cams_path = camera_path(m, folder, 0)
    if cams_path is not None and not cameras_per_shot(m) and not candidates:
        # the camera file is the only frame count: read it once without a size check
        candidates.append((_count_poses(m, cams_path, trust_pickle), str(cams_path)))
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
    if size is None and fr["first_image"] is not None:
        size, size_source = _image_size_of(fr["first_image"]), str(fr["first_image"])
    if size is None and phalp_size is not None:
        size, size_source = phalp_size, f"{tracks_note['file']} field 'size'"
    if size is None:
        first_shot = int(shot_ids[0])
        cam_size = _camera_file_size(m, folder, first_shot)
        if cam_size is not None:
            size, size_source = cam_size, str(camera_path(m, folder, first_shot))
    if size is None:
        raise ValueError(
            f"{label}: image size unknown; give image_size=(W, H) (CLI --image-size), an "
            "'image_size' manifest field, or an images folder"
        )
    size = (int(size[0]), int(size[1]))
    notes.append(f"image size {size} from {size_source}")

    # ---- fps
    fps = fps if fps is not None else m.get("fps")
    if fps is None:
        raise ValueError(
            f"{label}: the frame rate is unknown: this layout does not record it (the original "
            "extracts 25 fps by default); pass fps= (CLI --fps) or a manifest 'fps' field"
        )

    g = Gathered(
        folder=folder,
        layout=layout,
        manifest=dict(m, _tracks_note=tracks_note, _keypoints_note=keypoints_note),
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
    if cams_path is not None and not cameras_per_shot(m):
        g.cameras = read_folder_cameras(g, cams_path, num_frames, count_source, trust_pickle)
    return g
