"""TRAM (Wang et al., ECCV 2024) results, in its two layouts.

**Demo layout** ``results/<seq>/`` (``yufu-wang/tram`` ``scripts/estimate_camera.py:50-57`` and
``scripts/estimate_humans.py:47-55``), both files written with ``np.save`` of a dict, i.e. pickles
(read only with ``trust_pickle=True``):

- ``camera.npy``: ``pred_cam_R`` (T, 3, 3), ``pred_cam_T`` (T, 3): camera→world of the metric
  (masked DROID-SLAM + ZoeDepth scale) trajectory; ``world_cam_R``, ``world_cam_T``: the same after
  aligning gravity (the world the demo renders; y-up); ``img_focal``, ``img_center``;
- ``hps/hps_track_<k>.npy``: ``pred_rotmat`` (N, 24, 3, 3) camera-frame SMPL rotations,
  ``pred_shape`` (N, 10), ``pred_trans`` (N, 1, 3) camera-frame SMPL ``transl``, ``pred_cam``,
  ``pred_pose`` (unused), ``frame`` (N,) frame indices (tensors).

**EMDB evaluation layout** ``<dir>/camera/<seq>.npz`` and ``<dir>/smpl/<seq>.npz``
(``scripts/emdb/run_cam.py:121-128``, ``scripts/emdb/run_smpl.py:134-142``): the same keys in
plain npz files (no pickle), one person over every frame of the sequence.

TRAM poses bodies with the neutral SMPL and the **mean** of ``pred_shape`` over the track
(``lib/pipeline/visualization.py:48-49``, ``scripts/emdb/run_eval.py:92-93``); the reader does
the same. The world body is the camera-frame body moved by the camera→world poses: the demo
layout uses ``world_cam_*`` (as its visualiser), the EMDB layout ``pred_cam_*`` (as its
evaluation). TRAM's evaluation also smooths the world joints (``traj_filter``) before scoring;
that is a post-processing step, not part of the metric, and is not applied here.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from slahmr_opt.errors import InputError
from slahmr_opt.io.body_tracks import BodyTrack, rigid_to_homogeneous
from slahmr_opt.io.common import read_npz_file, to_numpy
from slahmr_opt.io.datasets.common import array, require
from slahmr_opt.io.peers.common import PeerResult, PeerTrack
from slahmr_opt.safe_load import load_pickle

__all__ = ["is_tram_demo_folder", "read_tram_camera", "read_tram_demo", "read_tram_emdb"]

CAMERA_FILE = "camera.npy"
HPS_DIR = "hps"


def _load_npy_dict(path: Path, trust_pickle: bool, what: str) -> dict:
    """A dict saved with ``np.save`` (a ``.npy`` file holding a pickled object array).

    The ``.npy`` header is parsed with numpy's format reader and the pickle that follows goes
    through the data-only unpickler of :mod:`slahmr_opt.safe_load` (numpy arrays, containers,
    torch tensors; nothing else is rebuilt and no code runs).
    """
    if not path.is_file():
        raise InputError(f"{path}: file not found ({what})")
    if not trust_pickle:
        raise InputError(
            f"{path}: {what} is a numpy file holding a pickled dict; pickles are read only when "
            "you allow it with trust_pickle=True (CLI: --trust-pickle)"
        )
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                _, _, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                _, _, dtype = np.lib.format.read_array_header_2_0(f)
            payload = f.read()
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: not a .npy file ({what}: {err})") from None
    if dtype.kind != "O":
        raise InputError(f"{path}: holds a {dtype} array, expected np.save of a dict ({what})")
    with tempfile.TemporaryDirectory() as tmp:
        pkl = Path(tmp) / "payload.pkl"
        pkl.write_bytes(payload)
        obj = load_pickle(pkl, what)
    if isinstance(obj, np.ndarray) and obj.dtype == object and obj.shape == ():
        obj = obj.item()
    if not isinstance(obj, dict):
        raise InputError(f"{path}: expected np.save of a dict ({what}), got {type(obj).__name__}")
    return {k: to_numpy(v) for k, v in obj.items()}


def _rotvecs(mats: np.ndarray, label: str) -> np.ndarray:
    flat = mats.reshape(-1, 3, 3)
    det = np.linalg.det(flat)
    if np.any(np.abs(det - 1) > 1e-2):
        raise InputError(f"{label}: field 'pred_rotmat' holds matrices that are not rotations")
    return Rotation.from_matrix(flat).as_rotvec().reshape(*mats.shape[:-2], 3)


def _camera(data: dict, label: str, prefix: str) -> np.ndarray:
    R = array(require(data, f"{prefix}_R", label), label, f"{prefix}_R", (None, 3, 3), "(T, 3, 3)")
    T = array(
        require(data, f"{prefix}_T", label),
        label,
        f"{prefix}_T",
        (R.shape[0], 3),
        f"({R.shape[0]}, 3)",
    )
    return rigid_to_homogeneous(R, T)


def _intrinsics(data: dict, label: str) -> np.ndarray | None:
    if "img_focal" not in data or "img_center" not in data:
        return None
    f = array(np.asarray(data["img_focal"]).reshape(-1)[:1], label, "img_focal", (1,), "scalar")
    c = array(np.asarray(data["img_center"]).reshape(-1), label, "img_center", (2,), "(2,)")
    return np.array([f[0], f[0], c[0], c[1]])


def hps_to_body(data: dict, label: str, track_id: str, frames: np.ndarray | None) -> BodyTrack:
    """One TRAM HPS record (``pred_rotmat``, ``pred_shape``, ``pred_trans``) → camera frame."""
    rot = array(
        require(data, "pred_rotmat", label), label, "pred_rotmat", (None, 24, 3, 3), "(N, 24, 3, 3)"
    )
    n = rot.shape[0]
    shape = array(require(data, "pred_shape", label), label, "pred_shape", (n, None), f"({n}, 10)")
    trans = array(
        np.asarray(require(data, "pred_trans", label)).reshape(n, -1),
        label,
        "pred_trans",
        (n, 3),
        f"({n}, 1, 3)",
    )
    if frames is None:
        frames = np.asarray(to_numpy(require(data, "frame", label))).reshape(-1)
        if frames.shape != (n,) or frames.dtype.kind not in "iu":
            raise InputError(f"{label}: field 'frame' must be integer ({n},)")
    aa = _rotvecs(rot, label)
    return BodyTrack(
        track_id=track_id,
        frames=frames,
        global_orient=aa[:, 0],
        body_pose=aa[:, 1:],
        betas=shape.mean(axis=0),
        transl=trans,
        model="smpl",
        gender="neutral",
    )


def read_tram_camera(
    folder: str | os.PathLike, *, trust_pickle: bool = False, prefix: str = "pred_cam"
) -> np.ndarray:
    """(T, 4, 4) camera→world poses of a TRAM demo folder's ``camera.npy``: ``prefix`` is
    ``"pred_cam"`` (the metric SLAM trajectory) or ``"world_cam"`` (gravity-aligned)."""
    path = Path(folder) / CAMERA_FILE
    return _camera(_load_npy_dict(path, trust_pickle, "TRAM camera"), str(path), prefix)


def is_tram_demo_folder(folder: str | os.PathLike) -> bool:
    folder = Path(folder)
    return (folder / CAMERA_FILE).is_file() and (folder / HPS_DIR).is_dir()


def read_tram_demo(folder: str | os.PathLike, *, trust_pickle: bool = False) -> PeerResult:
    """Read TRAM's demo output folder ``results/<seq>/`` (pickles: ``trust_pickle=True``)."""
    folder = Path(folder)
    cam_path = folder / CAMERA_FILE
    cam = _load_npy_dict(cam_path, trust_pickle, "TRAM camera")
    c2w = _camera(cam, str(cam_path), "world_cam")
    files = sorted((folder / HPS_DIR).glob("*.npy"))
    if not files:
        raise InputError(f"{folder / HPS_DIR}: no hps_track_<k>.npy file")
    tracks = []
    for f in files:
        tid = f.stem.removeprefix("hps_track_")
        body = hps_to_body(_load_npy_dict(f, trust_pickle, "TRAM HPS track"), str(f), tid, None)
        if body.frames[-1] >= c2w.shape[0]:
            raise InputError(
                f"{f}: frame {int(body.frames[-1])} is beyond the {c2w.shape[0]} camera poses of "
                f"{cam_path}"
            )
        tracks.append(PeerTrack(tid, camera=body, cam_to_world=c2w[body.frames]))
    return PeerResult(
        method="tram",
        tracks=tracks,
        source=str(folder),
        intrinsics=_intrinsics(cam, str(cam_path)),
        num_frames=int(c2w.shape[0]),
        world_up=np.array([0.0, 1.0, 0.0]),
        notes=["TRAM betas: mean over each track, as TRAM poses them"],
    )


def read_tram_emdb(root: str | os.PathLike, seq: str) -> PeerResult:
    """Read TRAM's EMDB evaluation outputs ``<root>/camera/<seq>.npz`` + ``<root>/smpl/<seq>.npz``.

    Args:
        root: the ``--input_dir`` of TRAM's ``scripts/emdb/run_eval.py`` (``results/emdb``).
        seq: the sequence folder name (``09_outdoor_walk``).
    """
    root = Path(root)
    cam_path, smpl_path = root / "camera" / f"{seq}.npz", root / "smpl" / f"{seq}.npz"
    for p in (cam_path, smpl_path):
        if not zipfile.is_zipfile(p):
            raise InputError(f"{p}: not found or not an npz file (TRAM EMDB layout)")
    cam = read_npz_file(cam_path, "TRAM camera")
    smpl = read_npz_file(smpl_path, "TRAM SMPL")
    c2w = _camera(cam, str(cam_path), "pred_cam")
    n = c2w.shape[0]
    body = hps_to_body(smpl, str(smpl_path), "0", np.arange(n))
    if body.num_frames != n:
        raise InputError(f"{smpl_path}: {body.num_frames} frames but {cam_path} has {n}")
    return PeerResult(
        method="tram",
        tracks=[PeerTrack("0", camera=body, cam_to_world=c2w)],
        source=f"{cam_path} + {smpl_path}",
        intrinsics=_intrinsics(smpl, str(smpl_path)),
        num_frames=n,
        notes=["TRAM betas: mean over the sequence, as TRAM's evaluation poses them"],
    )
