"""Layout discovery, in one place: which layout a folder is in (:func:`detect_layout`), where the
upstream tools put their files, and what format a file is in when nobody said.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from slahmr_opt.io.common import read_json_file
from slahmr_opt.io.manifest import MANIFEST_NAMES, manifest_path
from slahmr_opt.io.peers.folders import PEER_LAYOUTS, detect_peer_layout
from slahmr_opt.io.scene_folder import FORMAT_NAME as SCENE_FORMAT_NAME

__all__ = [
    "IMAGE_EXTENSIONS",
    "LAYOUTS",
    "camera_format",
    "detect_layout",
    "folder_path",
    "phalp_pickle_path",
    "is_scene_folder",
    "keypoints_format",
    "original_base",
    "original_layout_manifest",
    "text_columns",
    "tracks_format",
]

LAYOUTS = ("scene-folder", "manifest", "slahmr-original", *PEER_LAYOUTS)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")


def is_scene_folder(folder: Path) -> bool:
    meta = folder / "scene.json"
    if not meta.is_file():
        return False
    try:
        data = read_json_file(meta, "scene.json")
    except ValueError:
        return True  # let load_scene report it
    return not isinstance(data, dict) or data.get("format") == SCENE_FORMAT_NAME


def folder_path(path: str | os.PathLike) -> Path:
    """``path`` as an absolute path with ``~`` expanded (symlinks are kept, not resolved), so
    that paths built from it never depend on the working directory again."""
    return Path(os.path.abspath(Path(path).expanduser()))


def _has_original_outputs(base: Path) -> bool:
    return (base / "track_preds").is_dir() or (base / "phalp_out").is_dir()


def original_base(folder: Path) -> Path | None:
    """The folder holding ``track_preds`` / ``phalp_out`` in the original layout, if any.

    SLAHMR writes them under ``<root>/slahmr/`` for videos and custom data and under
    ``<root>/slahmr/<split>/`` for PoseTrack and 3DPW (``preproc/launch_phalp.py:100``,
    ``confs/data/posetrack.yaml``); ``<root>`` itself may also be that folder.
    """
    for base in (folder / "slahmr", folder):
        if _has_original_outputs(base):
            return base
    splits = [p for p in sorted((folder / "slahmr").glob("*")) if p.is_dir()]
    splits = [p for p in splits if _has_original_outputs(p)]
    return splits[0] if len(splits) == 1 else None


def phalp_pickle_path(base: Path, seq: str) -> Path | None:
    """Where the PHALP pickle of ``seq`` is in the original layout, if anywhere.

    SLAHMR runs PHALP with ``video.output_dir=<base>/phalp_out/<seq>``; PHALP writes
    ``results/demo_<seq>.pkl`` there (``phalp/trackers/PHALP.py:155``) and SLAHMR renames it to
    ``<base>/phalp_out/<seq>/<seq>.pkl`` (``preproc/launch_phalp.py:53-60``).
    """
    root = base / "phalp_out" / seq
    for path in (root / f"{seq}.pkl", root / "results" / f"demo_{seq}.pkl"):
        if path.is_file():
            return path
    return None


def detect_layout(path: str | os.PathLike) -> str:
    """Which layout a folder is in: ``"scene-folder"``, ``"manifest"`` or ``"slahmr-original"``.

    Checked in that order: ``scene.json`` of format ``slahmr-opt-scene``; a manifest
    (:data:`MANIFEST_NAMES`); ``slahmr/track_preds`` or ``slahmr/phalp_out`` (or the same under
    ``slahmr/<split>/``, or without the ``slahmr/`` level); a WHAM, GVHMR or TRAM output folder
    (``"wham"``, ``"gvhmr"``, ``"tram"``: :func:`~slahmr_opt.io.peers.folders.detect_peer_layout`).
    ``~`` is expanded.
    """
    folder = folder_path(path)
    if not folder.is_dir():
        raise ValueError(f"{path}: folder not found")
    if is_scene_folder(folder):
        return "scene-folder"
    if manifest_path(folder) is not None:
        return "manifest"
    if original_base(folder) is not None:
        return "slahmr-original"
    peer = detect_peer_layout(folder)  # WHAM / GVHMR / TRAM output (io/peers/folders.py)
    if peer is not None:
        return peer
    raise ValueError(
        f"{path}: unknown folder layout; expected a scene folder (scene.json), a manifest "
        f"({' or '.join(MANIFEST_NAMES)}), the original SLAHMR layout "
        "(slahmr/track_preds/<seq>/ or slahmr/phalp_out/<seq>/<seq>.pkl …), or a WHAM / GVHMR / "
        "TRAM output folder"
    )


def original_layout_manifest(folder: Path, seq: str | None) -> dict[str, Any]:
    """The manifest equivalent to the original SLAHMR layout under ``folder`` (absolute paths).

    Files, as SLAHMR's preprocessing writes them (``confs/data/video.yaml`` ``sources``):
    ``images/<seq>/`` (frames), ``slahmr/track_preds/<seq>/`` (its exporter's per-frame JSON;
    without it, the PHALP pickle, :func:`phalp_pickle_path`), ``slahmr/shot_idcs/<seq>.json``,
    ``slahmr/cameras/<seq>/shot-<k>/cameras.npz`` (static cameras where missing).
    """
    folder = folder_path(folder)
    base = original_base(folder)
    if base is None:
        raise ValueError(f"{folder}: not the original SLAHMR layout (no slahmr/track_preds)")
    track_root = base / "track_preds"
    seqs = sorted(p.name for p in track_root.iterdir() if p.is_dir()) if track_root.is_dir() else []
    phalp_root = base / "phalp_out"
    if phalp_root.is_dir():
        with_pickle = [p.name for p in phalp_root.iterdir() if p.is_dir()]
        seqs = sorted(set(seqs) | {s for s in with_pickle if phalp_pickle_path(base, s)})
    if seq is None:
        if len(seqs) != 1:
            raise ValueError(
                f"{base}: holds sequences {seqs}; choose one with seq= (CLI --seq)"
                if seqs
                else f"{base}: no sequence (track_preds/<seq>/ or phalp_out/<seq>/<seq>.pkl)"
            )
        seq = seqs[0]
    elif seq not in seqs:
        raise ValueError(f"{base}: no sequence {seq!r} (sequences: {seqs})")
    m: dict[str, Any] = {"name": seq, "_path": str(folder), "_seq": seq}
    if (track_root / seq).is_dir():
        m.update(tracks=str(track_root / seq), tracks_format="track_preds")
    else:
        m.update(tracks=str(phalp_pickle_path(base, seq)), tracks_format="phalp")
    shots = base / "shot_idcs" / f"{seq}.json"
    if shots.is_file():
        m["shots"] = str(shots)
    split = base.name if base.parent.name == "slahmr" else None
    candidates = [folder / "images" / seq, base.parent / "images" / seq]
    if split is not None:
        candidates.insert(1, folder / "images" / split / seq)
    for images in candidates:
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


def text_columns(path: Path) -> int | None:
    """Number of columns of the first data line of a text file (None if it has none)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].replace(",", " ").strip()
            if line:
                return len(line.split())
    return None


def camera_format(m: dict[str, Any], path: Path | None) -> str:
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
    if path.name.startswith("slam_results") and path.suffix in (".pth", ".pt"):
        return "wham"
    if path.suffix in (".npy", ".pt", ".pth"):
        return "dpvo"
    columns = text_columns(path)
    if columns in (7, 8):  # DPVO's demo.py --save_trajectory writes 8 (TUM) columns
        return "dpvo" if columns == 7 else "tum"
    raise ValueError(
        f"{path}: cannot tell the camera format ({columns} text columns); set 'cameras_format'"
    )


def tracks_format(m: dict[str, Any], path: Path) -> str:
    if "tracks_format" in m:
        return m["tracks_format"]
    if path.suffix in (".pkl", ".pth"):
        return "phalp"
    if path.suffix == ".npz" or (path.is_dir() and any(path.glob("*.npz"))):
        return "npz"
    if path.is_dir():
        return "track_preds"
    raise ValueError(f"{path}: cannot tell the tracks format; set 'tracks_format'")


def keypoints_format(m: dict[str, Any], path: Path) -> str:
    """The manifest's ``keypoints_format``, or a guess from the path: ``.pt`` GVHMR's
    ``vitpose.pt``, ``.pth``/``.pkl`` WHAM's ``tracking_results.pth``, a folder of JSON files or
    track folders OpenPose, anything else keypoint arrays."""
    if "keypoints_format" in m:
        return m["keypoints_format"]
    if path.suffix == ".pt":
        return "gvhmr"
    if path.suffix in (".pth", ".pkl"):
        return "wham"
    if path.is_dir() and (any(path.glob("*.json")) or any(p.is_dir() for p in path.iterdir())):
        return "openpose"
    return "arrays"
