"""RICH (Huang et al., CVPR 2022), as released: per-frame SMPL-X pickles and static cameras.

Layout (the official toolkit ``paulchhuang/rich_toolkit``: ``README.md``, ``smplx2images.py``,
``utils.py``)::

    <root>/bodies/<split>/<Scene>_<subject>_<action>/<frame:05d>/<subject>.pkl
    <root>/images/<split>/<sequence>/cam_<cc>/<frame:05d>_<cc>.<ext>      (optional)
    <root>/scan_calibration/<Scene>/calibration/<cam:03d>.xml
    <root>/gender.json   (or resource/gender.json: the toolkit's subject → gender map)

- A body file is a plain pickle of SMPL-X parameters with a leading batch axis of 1:
  ``global_orient`` (1, 3), ``body_pose`` (1, 63), ``transl`` (1, 3), ``betas`` (1, B), and
  optionally ``left_hand_pose`` / ``right_hand_pose`` (1, 12) PCA coefficients (the toolkit builds
  SMPL-X with ``num_pca_comps=12, flat_hand_mean=False``), ``jaw_pose``, ``leye_pose``,
  ``reye_pose`` (1, 3) and ``expression`` (ignored here).
- A calibration file holds ``CameraMatrix/data`` (12 numbers, the 3×4 world→camera ``[R | t]``
  row by row), ``Intrinsics/data`` (9 numbers, K row by row) and ``Distortion/data``.
- The bodies live in the multi-camera frame (camera 0 is the identity); cameras are static.

One evaluation sequence is one (sequence, camera) pair, named ``<sequence>/cam_<cc>`` (GVHMR's
``test/<sequence>/cam_<cc>`` is accepted as an alias). Frame ``i`` is the ``i``-th body frame.
The frame rate is 30 fps, as GVHMR's RICH metrics assume. Every frame is valid: the frame list of
the WHAM/GVHMR RICH labels is not public (docs/baselines.md).
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.io.body_tracks import BodyTrack
from slahmr_opt.io.datasets.common import (
    DatasetSequence,
    array,
    first_image_size,
    read_dataset_pickle,
    require,
)
from slahmr_opt.scene import Cameras

__all__ = ["RICH_FPS", "RICH_SPLITS", "read_rich", "read_rich_calibration"]

RICH_FPS = 30.0
RICH_SPLITS = ("train", "val", "test")
_HAND_KEYS = ("left_hand_pose", "right_hand_pose")
_FACE_KEYS = ("jaw_pose", "leye_pose", "reye_pose")


def read_rich_calibration(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """One RICH camera file → (w2c (4, 4), intrinsics (4,) ``fx, fy, cx, cy``)."""
    path = Path(path)
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError) as err:
        raise InputError(f"{path}: cannot read RICH calibration XML ({err})") from None

    def numbers(tag: str, count: int) -> np.ndarray:
        node = tree.find(f"./{tag}/data")
        if node is None or node.text is None:
            raise InputError(f"{path}: element {tag}/data missing")
        try:
            values = np.array([float(s) for s in node.text.split()])
        except ValueError:
            raise InputError(f"{path}: element {tag}/data must hold numbers") from None
        if values.size != count or not np.all(np.isfinite(values)):
            raise InputError(
                f"{path}: element {tag}/data holds {values.size} values, expected {count}"
            )
        return values

    ext = numbers("CameraMatrix", 12).reshape(3, 4)
    K = numbers("Intrinsics", 9).reshape(3, 3)
    w2c = np.eye(4)
    w2c[:3] = ext
    return w2c, np.array([K[0, 0], K[1, 1], K[0, 2], K[1, 2]])


def _genders(root: Path) -> dict[str, str]:
    for cand in (root / "gender.json", root / "resource" / "gender.json"):
        if cand.is_file():
            try:
                data = json.loads(cand.read_text())
            except json.JSONDecodeError as err:
                raise InputError(f"{cand}: not valid JSON ({err})") from None
            if not isinstance(data, dict):
                raise InputError(f"{cand}: expected a JSON object subject id → gender")
            return {str(int(k)): str(v) for k, v in data.items()}
    raise InputError(
        f"{root}: gender.json not found (the RICH toolkit's resource/gender.json, subject id → "
        "'male'/'female'); copy it into the RICH root"
    )


def _frame_dirs(seq_dir: Path) -> list[Path]:
    dirs = [d for d in seq_dir.iterdir() if d.is_dir() and d.name.isdigit()]
    if not dirs:
        raise InputError(f"{seq_dir}: no frame folders (<frame:05d>/<subject>.pkl)")
    return sorted(dirs, key=lambda d: int(d.name))


def _body_row(data: object, label: str) -> dict[str, np.ndarray]:
    row = {}
    for key, size in (("global_orient", 3), ("body_pose", 63), ("transl", 3)):
        row[key] = array(
            np.asarray(require(data, key, label)).reshape(-1), label, key, (size,), f"(1, {size})"
        )
    row["betas"] = array(
        np.asarray(require(data, "betas", label)).reshape(-1), label, "betas", (None,), "(1, B)"
    )
    if all(k in data for k in _HAND_KEYS):
        row["hand_pca"] = np.stack(
            [
                array(np.asarray(data[k]).reshape(-1), label, k, (None,), "(1, C)")
                for k in _HAND_KEYS
            ]
        )
    if all(k in data for k in _FACE_KEYS):
        row["face_pose"] = np.stack(
            [array(np.asarray(data[k]).reshape(-1), label, k, (3,), "(1, 3)") for k in _FACE_KEYS]
        )
    return row


def _read_people(seq_dir: Path, trust_pickle: bool, genders: dict[str, str]) -> list[BodyTrack]:
    dirs = _frame_dirs(seq_dir)
    first = int(dirs[0].name)
    rows: dict[str, list[tuple[int, dict]]] = {}
    for d in dirs:
        for f in sorted(d.glob("*.pkl")):
            data = read_dataset_pickle(f, trust_pickle=trust_pickle, what="RICH SMPL-X parameters")
            rows.setdefault(f.stem, []).append((int(d.name) - first, _body_row(data, str(f))))
    if not rows:
        raise InputError(f"{seq_dir}: no body files")
    people = []
    for sub, items in sorted(rows.items()):
        key = str(int(sub)) if sub.isdigit() else sub
        if key not in genders:
            raise InputError(f"{seq_dir}: subject {sub!r} is not in gender.json")
        keys = set(items[0][1])
        if any(set(r) != keys for _, r in items):
            raise InputError(f"{seq_dir}: subject {sub!r}: body files disagree on their fields")

        def stack(k: str, items=items) -> np.ndarray:
            return np.stack([r[k] for _, r in items])

        people.append(
            BodyTrack(
                track_id=key,
                frames=np.array([i for i, _ in items]),
                global_orient=stack("global_orient"),
                body_pose=stack("body_pose"),
                betas=stack("betas"),
                transl=stack("transl"),
                model="smplx",
                gender=genders[key],
                hand_pca=stack("hand_pca") if "hand_pca" in keys else None,
                hand_mean=True,
                face_pose=stack("face_pose") if "face_pose" in keys else None,
            )
        )
    return people


def _camera_ids(root: Path, split: str, seq: str, scene: str) -> list[int]:
    img = root / "images" / split / seq
    if img.is_dir():
        ids = [int(m.group(1)) for d in img.iterdir() if (m := re.fullmatch(r"cam_(\d+)", d.name))]
        if ids:
            return sorted(ids)
    calib = root / "scan_calibration" / scene / "calibration"
    ids = [int(f.stem) for f in calib.glob("*.xml") if f.stem.isdigit()]
    if not ids:
        raise InputError(f"{calib}: no camera calibration files (<cam:03d>.xml)")
    return sorted(ids)


def _image_size(root: Path, split: str, seq: str, cam: int, intr: np.ndarray) -> tuple[int, int]:
    folder = root / "images" / split / seq / f"cam_{cam:02d}"
    size = first_image_size(folder, ("*.png", "*.bmp", "*.jpg"))
    return size or (int(round(2 * intr[2])), int(round(2 * intr[3])))


def read_rich(
    root: str | os.PathLike,
    split: str = "test",
    *,
    trust_pickle: bool = False,
    sequences: list[str] | None = None,
) -> list[DatasetSequence]:
    """Read the RICH sequences of a split, one per (sequence, camera).

    Args:
        root: the RICH data folder (holding ``bodies/``, ``scan_calibration/``).
        split: ``"train"``, ``"val"`` or ``"test"``.
        trust_pickle: must be True (body files are pickles).
        sequences: keep only these (``<sequence>`` or ``<sequence>/cam_<cc>``).
    """
    if split not in RICH_SPLITS:
        raise InputError(f"RICH split must be one of {RICH_SPLITS}, got {split!r}")
    root = Path(root)
    body_root = root / "bodies" / split
    if not body_root.is_dir():
        raise InputError(f"{root}: bodies/{split}/ not found (RICH layout, see docs/baselines.md)")
    genders = _genders(root)
    out = []
    for seq_dir in sorted(d for d in body_root.iterdir() if d.is_dir()):
        seq = seq_dir.name
        scene = seq.split("_")[0]
        cams = _camera_ids(root, split, seq, scene)
        names = {c: f"{seq}/cam_{c:02d}" for c in cams}
        if sequences:
            cams = [c for c in cams if seq in sequences or names[c] in sequences]
            if not cams:
                continue
        people = _read_people(seq_dir, trust_pickle, genders)
        n = max(int(p.frames[-1]) for p in people) + 1
        for cam in cams:
            calib = root / "scan_calibration" / scene / "calibration" / f"{cam:03d}.xml"
            w2c, intr = read_rich_calibration(calib)
            try:
                cameras = Cameras.from_w2c(np.tile(w2c, (n, 1, 1)), intr, is_static=True)
            except ValueError as err:
                raise InputError(f"{calib}: {err}") from None
            name = names[cam]
            out.append(
                DatasetSequence(
                    dataset="rich",
                    name=name,
                    split=split,
                    fps=RICH_FPS,
                    image_size=_image_size(root, split, seq, cam, intr),
                    cameras=cameras,
                    people=people,
                    valid={p.track_id: np.ones(p.num_frames, dtype=bool) for p in people},
                    aliases=(f"{split}/{name}", f"{seq}_cam_{cam:02d}", f"{seq}@cam_{cam:02d}"),
                    source=str(seq_dir),
                )
            )
    if not out:
        raise InputError(
            f"{body_root}: no RICH sequence" + (f" named {sequences}" if sequences else "")
        )
    return out
