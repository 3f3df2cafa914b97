"""EMDB (Kaufmann et al., ICCV 2023): ``P*/<seq>/<P>_<seq>_data.pkl`` → :class:`DatasetSequence`.

The layout and keys are those of the EMDB repository (``eth-ait/emdb`` ``dataset.md``, read by its
``evaluation_engine.py``): a plain pickle per sequence with

- ``name`` (``"P0_09_outdoor_walk"``), ``gender``, ``n_frames``, ``emdb1`` / ``emdb2`` (bool split
  flags), ``good_frames_mask`` (n_frames,) bool;
- ``smpl``: ``poses_root`` (n, 3), ``poses_body`` (n, 69), ``trans`` (n, 3), ``betas`` (10,) —
  SMPL parameters in EMDB's world frame;
- ``camera``: ``intrinsics`` (3, 3), ``extrinsics`` (n, 4, 4) world→camera, ``width``, ``height``;
- ``kp2d``, ``bboxes`` (not needed for scoring).

Protocol (WHAM ``lib/eval/evaluate_emdb.py``, GVHMR ``metric_emdb.py``): EMDB-1 (``emdb1``) is
scored in the camera frame, EMDB-2 (``emdb2``) in the world frame, both on the frames of
``good_frames_mask`` only, at 30 fps. EMDB's world is y-up (WHAM's evaluation flips its y-down
output to compare with it).
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
    intrinsics_from_K,
    read_dataset_pickle,
    require,
    w2c_cameras,
)

__all__ = [
    "EMDB1_NAMES",
    "EMDB2_NAMES",
    "EMDB_FPS",
    "EMDB_SPLITS",
    "read_emdb",
    "read_emdb_sequence",
]

EMDB_FPS = 30.0
EMDB_SPLITS = ("emdb1", "emdb2", "all")

# The sequences the papers evaluate: the pickles' own flags decide; these lists (as GVHMR's
# hmr4d/dataset/emdb/utils.py spells them) only cross-check a user's copy.
EMDB1_NAMES = (
    "P1_14_outdoor_climb",
    "P2_23_outdoor_hug_tree",
    "P3_31_outdoor_workout",
    "P3_32_outdoor_soccer_warmup_a",
    "P3_33_outdoor_soccer_warmup_b",
    "P5_42_indoor_dancing",
    "P5_44_indoor_rom",
    "P6_49_outdoor_big_stairs_down",
    "P6_50_outdoor_workout",
    "P6_51_outdoor_dancing",
    "P7_57_outdoor_rock_chair",
    "P7_59_outdoor_rom",
    "P7_60_outdoor_workout",
    "P8_64_outdoor_skateboard",
    "P8_68_outdoor_handstand",
    "P8_69_outdoor_cartwheel",
    "P9_76_outdoor_sitting",
)
EMDB2_NAMES = (
    "P0_09_outdoor_walk",
    "P2_19_indoor_walk_off_mvs",
    "P2_20_outdoor_walk",
    "P2_24_outdoor_long_walk",
    "P3_27_indoor_walk_off_mvs",
    "P3_28_outdoor_walk_lunges",
    "P3_29_outdoor_stairs_up",
    "P3_30_outdoor_stairs_down",
    "P4_35_indoor_walk",
    "P4_36_outdoor_long_walk",
    "P4_37_outdoor_run_circle",
    "P5_40_indoor_walk_big_circle",
    "P6_48_outdoor_walk_downhill",
    "P6_49_outdoor_big_stairs_down",
    "P7_55_outdoor_walk",
    "P7_56_outdoor_stairs_up_down",
    "P7_57_outdoor_rock_chair",
    "P7_58_outdoor_parcours",
    "P7_61_outdoor_sit_lie_walk",
    "P8_64_outdoor_skateboard",
    "P8_65_outdoor_walk_straight",
    "P9_77_outdoor_stairs_up",
    "P9_78_outdoor_stairs_up_down",
    "P9_79_outdoor_walk_rectangle",
    "P9_80_outdoor_walk_big_circle",
)


def _gender(value: object, label: str) -> str:
    text = value.decode() if isinstance(value, bytes) else str(value)
    if text not in ("neutral", "male", "female"):
        raise InputError(f"{label}: field 'gender' is {text!r}, expected neutral, male or female")
    return text


def read_emdb_sequence(
    path: str | os.PathLike, *, trust_pickle: bool = False, split: str = "all"
) -> DatasetSequence:
    """Read one EMDB ``*_data.pkl`` file.

    Args:
        path: the ``<P>_<seq>_data.pkl`` file.
        trust_pickle: must be True (the file is a pickle).
        split: recorded in the result (``emdb1``, ``emdb2`` or ``all``).

    Returns:
        One sequence with one person ``"0"`` (EMDB annotates one subject per sequence).
    """
    path = Path(path)
    data = read_dataset_pickle(path, trust_pickle=trust_pickle, what="EMDB annotations")
    return _sequence(data, str(path), split)


def _sequence(data: object, label: str, split: str) -> DatasetSequence:
    name = str(require(data, "name", label))
    n = require(data, "n_frames", label)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or int(n) < 1:
        raise InputError(f"{label}: field 'n_frames' must be a positive integer, got {n!r}")
    n = int(n)
    gender = _gender(require(data, "gender", label), label)
    mask = bool_mask(require(data, "good_frames_mask", label), label, "good_frames_mask", n)
    smpl = require(data, "smpl", label, dict)
    sl = f"{label} [smpl]"
    root = array(require(smpl, "poses_root", sl), sl, "poses_root", (n, 3), f"({n}, 3)")
    body = array(require(smpl, "poses_body", sl), sl, "poses_body", (n, 69), f"({n}, 69)")
    trans = array(require(smpl, "trans", sl), sl, "trans", (n, 3), f"({n}, 3)")
    betas = array(require(smpl, "betas", sl), sl, "betas", (None,), "(10,)")
    cam = require(data, "camera", label, dict)
    cl = f"{label} [camera]"
    intr = intrinsics_from_K(require(cam, "intrinsics", cl), cl, "intrinsics", n)
    cameras = w2c_cameras(require(cam, "extrinsics", cl), intr, cl, "extrinsics", n)
    size = []
    for key in ("width", "height"):
        v = require(cam, key, cl)
        if isinstance(v, bool) or not isinstance(v, (int, np.integer, float)) or v <= 0:
            raise InputError(f"{cl}: field {key!r} must be a positive number, got {v!r}")
        size.append(int(v))
    person = BodyTrack(
        track_id="0",
        frames=np.arange(n),
        global_orient=root,
        body_pose=body,
        betas=betas,
        transl=trans,
        model="smpl",
        gender=gender,
    )
    short = name.split("_", 1)[1] if "_" in name else name
    return DatasetSequence(
        dataset="emdb",
        name=name,
        split=split,
        fps=EMDB_FPS,
        image_size=(size[0], size[1]),
        cameras=cameras,
        people=[person],
        valid={"0": mask},
        aliases=(short, f"{name[:2]}/{short}"),
        up=np.array([0.0, 1.0, 0.0]),
        source=label,
    )


def _flag(data: object, key: str, label: str) -> bool:
    value = require(data, key, label)
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"{label}: field {key!r} must be a bool, got {value!r}")
    return bool(value)


def read_emdb(
    root: str | os.PathLike,
    split: str = "emdb2",
    *,
    trust_pickle: bool = False,
    sequences: list[str] | None = None,
) -> list[DatasetSequence]:
    """Read the EMDB sequences of a split from ``root`` (the folder holding ``P0`` … ``P9``).

    Args:
        root: EMDB root, laid out as in EMDB's ``dataset.md``.
        split: ``"emdb1"``, ``"emdb2"`` (the pickles' flags) or ``"all"``.
        trust_pickle: must be True (the annotations are pickles).
        sequences: keep only these (canonical names or aliases).

    Returns:
        The sequences in sorted path order.
    """
    if split not in EMDB_SPLITS:
        raise InputError(f"EMDB split must be one of {EMDB_SPLITS}, got {split!r}")
    root = Path(root)
    files = sorted(root.glob("P*/*/*_data.pkl"))
    if not files:
        raise InputError(
            f"{root}: no EMDB annotations found (expected P<k>/<sequence>/<P>_<sequence>_data.pkl)"
        )
    out = []
    for f in files:
        data = read_dataset_pickle(f, trust_pickle=trust_pickle, what="EMDB annotations")
        if split != "all" and not _flag(data, split, str(f)):
            continue
        seq = _sequence(data, str(f), split)
        if sequences and not set(seq.names()) & set(sequences):
            continue
        out.append(seq)
    if not out:
        among = f" among {sequences}" if sequences else ""
        raise InputError(f"{root}: no EMDB sequence in split {split!r}{among}")
    return out
