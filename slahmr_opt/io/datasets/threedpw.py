"""3DPW (von Marcard et al., ECCV 2018): ``sequenceFiles/<split>/<seq>.pkl`` → sequences.

The files are Python 2 pickles, read with ``encoding="latin1"`` as every 3DPW loader does (VIBE
``lib/data_utils/threedpw_utils.py``, WHAM ``lib/data_utils/threedpw_eval_utils.py``, GVHMR
``hmr4d/dataset/threedpw/utils.py``). Fields used, per the dataset's readme and those loaders:

- ``sequence`` (str), ``img_frame_ids`` (N,) — one row per image of ``imageFiles/<seq>/``;
- per actor (lists): ``poses`` (N, 72) SMPL axis-angle in the world frame, ``trans`` (N, 3),
  ``betas`` (10 or more; the first 10 are used), ``genders`` (``'m'`` / ``'f'``; the readme
  spells the key ``gender``, which is accepted too), ``campose_valid`` (N,) 0/1;
- ``cam_poses`` (N, 4, 4) world→camera, ``cam_intrinsics`` (3, 3).

Protocol: frames where ``campose_valid`` is set, 30 fps, camera-frame metrics (VIBE, WHAM and
GVHMR report PA-MPJPE, MPJPE, PVE and accel on 3DPW). The published WHAM/GVHMR frame lists
additionally drop frames VIBE's preprocessing discards (a smoothed-box window and at least 6
confident 2D joints); this reader keeps every ``campose_valid`` frame (docs/baselines.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.io.body_tracks import BodyTrack
from slahmr_opt.io.datasets.common import (
    DatasetSequence,
    array,
    bool_mask,
    first_image_size,
    intrinsics_from_K,
    read_dataset_pickle,
    require,
    w2c_cameras,
)

__all__ = ["THREEDPW_FPS", "THREEDPW_SPLITS", "read_3dpw", "read_3dpw_sequence"]

THREEDPW_FPS = 30.0
THREEDPW_SPLITS = ("train", "validation", "test")
_GENDERS = {"m": "male", "f": "female", "male": "male", "female": "female"}


def _text(value: object) -> str:
    return value.decode("latin1") if isinstance(value, bytes) else str(value)


def _per_actor(data: dict, key: str, label: str, count: int | None) -> list:
    value = require(data, key, label)
    if not isinstance(value, (list, tuple)) or not value:
        raise InputError(f"{label}: field {key!r} must be a non-empty list (one entry per actor)")
    if count is not None and len(value) != count:
        raise InputError(f"{label}: field {key!r} has {len(value)} actors, 'poses' has {count}")
    return list(value)


def _image_size(root: Path | None, seq: str, K: np.ndarray) -> tuple[int, int]:
    size = first_image_size(root / "imageFiles" / seq, ("image_*.jpg",)) if root else None
    return size or (int(round(2 * K[0, 2])), int(round(2 * K[1, 2])))


def read_3dpw_sequence(
    path: str | os.PathLike,
    *,
    trust_pickle: bool = False,
    split: str = "test",
    root: str | os.PathLike | None = None,
) -> DatasetSequence:
    """Read one 3DPW sequence file.

    Args:
        path: ``sequenceFiles/<split>/<seq>.pkl``.
        trust_pickle: must be True (the file is a pickle).
        split: recorded in the result.
        root: the 3DPW root, to take the image size from ``imageFiles/<seq>/image_00000.jpg``;
            without it (or the images) the size is twice the principal point.

    Returns:
        One sequence, people ``"0"``, ``"1"`` in the file's actor order.
    """
    path = Path(path)
    label = str(path)
    data = read_dataset_pickle(path, trust_pickle=trust_pickle, what="3DPW sequence", latin1=True)
    if not isinstance(data, dict):
        raise InputError(f"{label}: expected a dict, got {type(data).__name__}")
    data = {_text(k): v for k, v in data.items()}
    seq = _text(require(data, "sequence", label))
    poses = _per_actor(data, "poses", label, None)
    count = len(poses)
    trans = _per_actor(data, "trans", label, count)
    betas = _per_actor(data, "betas", label, count)
    gkey = "genders" if "genders" in data else "gender"
    genders = _per_actor(data, gkey, label, count)
    valid = _per_actor(data, "campose_valid", label, count)
    n = len(np.asarray(require(data, "img_frame_ids", label)).reshape(-1))
    K = array(require(data, "cam_intrinsics", label), label, "cam_intrinsics", (3, 3), "(3, 3)")
    intr = intrinsics_from_K(K, label, "cam_intrinsics", n)
    cameras = w2c_cameras(require(data, "cam_poses", label), intr, label, "cam_poses", n)
    people, masks = [], {}
    for i in range(count):
        pid = str(i)
        al = f"{label} (actor {i})"
        p = array(poses[i], al, "poses", (n, 72), f"({n}, 72)")
        t = array(trans[i], al, "trans", (n, 3), f"({n}, 3)")
        b = array(np.asarray(betas[i]).reshape(-1), al, "betas", (None,), "(≥ 10,)")
        if b.size < 10:
            raise InputError(f"{al}: field 'betas' has {b.size} values, expected at least 10")
        g = _GENDERS.get(_text(genders[i]).strip().lower())
        if g is None:
            raise InputError(f"{al}: field {gkey!r} is {genders[i]!r}, expected 'm' or 'f'")
        people.append(
            BodyTrack(
                track_id=pid,
                frames=np.arange(n),
                global_orient=p[:, :3],
                body_pose=p[:, 3:],
                betas=b[:10],
                transl=t,
                model="smpl",
                gender=g,
            )
        )
        masks[pid] = bool_mask(valid[i], al, "campose_valid", n)
    size = _image_size(Path(root) if root is not None else None, seq, K)
    return DatasetSequence(
        dataset="3dpw",
        name=seq,
        split=split,
        fps=THREEDPW_FPS,
        image_size=size,
        cameras=cameras,
        people=people,
        valid=masks,
        aliases=(path.stem,) if path.stem != seq else (),
        up=None,
        source=label,
    )


def read_3dpw(
    root: str | os.PathLike,
    split: str = "test",
    *,
    trust_pickle: bool = False,
    sequences: list[str] | None = None,
) -> list[DatasetSequence]:
    """Read every 3DPW sequence of a split from ``root`` (holding ``sequenceFiles/``).

    Args:
        root: 3DPW root.
        split: ``"train"``, ``"validation"`` or ``"test"``.
        trust_pickle: must be True.
        sequences: keep only these names.
    """
    if split not in THREEDPW_SPLITS:
        raise InputError(f"3DPW split must be one of {THREEDPW_SPLITS}, got {split!r}")
    root = Path(root)
    files = sorted((root / "sequenceFiles" / split).glob("*.pkl"))
    if sequences:
        files = [f for f in files if f.stem in sequences]
    if not files:
        raise InputError(
            f"{root}: no 3DPW sequence found in sequenceFiles/{split}/"
            + (f" named {sequences}" if sequences else "")
        )
    return [read_3dpw_sequence(f, trust_pickle=trust_pickle, split=split, root=root) for f in files]
