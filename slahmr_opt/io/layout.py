"""Layout discovery, in one place: which layout a folder is in (:func:`detect_layout`), where the
upstream tools put their files, and what format a file is in when nobody said.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from slahmr_opt.io.common import read_json_file
from slahmr_opt.io.manifest import MANIFEST_NAMES, manifest_path
from slahmr_opt.io.scene_folder import FORMAT_NAME as SCENE_FORMAT_NAME

__all__ = [
    "IMAGE_EXTENSIONS",
    "LAYOUTS",
    "camera_format",
    "detect_layout",
    "is_scene_folder",
    "original_base",
    "original_layout_manifest",
    "text_columns",
    "tracks_format",
]

LAYOUTS = ("scene-folder", "manifest", "slahmr-original")

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


def original_base(folder: Path) -> Path | None:
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
    if is_scene_folder(folder):
        return "scene-folder"
    if manifest_path(folder) is not None:
        return "manifest"
    if original_base(folder) is not None:
        return "slahmr-original"
    raise ValueError(
        f"{folder}: unknown folder layout; expected a scene folder (scene.json), a manifest "
        f"({' or '.join(MANIFEST_NAMES)}), or the original SLAHMR layout "
        "(slahmr/track_preds/<seq>/ …)"
    )


def original_layout_manifest(folder: Path, seq: str | None) -> dict[str, Any]:
    """The manifest equivalent to the original SLAHMR layout under ``folder``."""
    base = original_base(folder)
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
    if path.suffix in (".npy", ".pt", ".pth"):
        return "dpvo"
    columns = text_columns(path)
    if columns in (7, 8):
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
