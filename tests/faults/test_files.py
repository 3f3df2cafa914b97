"""Corrupt, empty, truncated and wrong-type files, for every reader of a user file.

Each reader gets: a missing file, a folder where a file is expected, an empty file, random
bytes, text, a file of another format, and (where the format has a header) a truncated copy of a
valid file. The outcome must be an :class:`~slahmr_opt.errors.InputError` (a ValueError) on one
line naming the file — never a traceback of numpy/torch/pickle/json, never a hint to load
anything unsafely.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from slahmr_opt.body.model_files import read_model_file
from slahmr_opt.errors import InputError
from slahmr_opt.io.common import (
    read_json_file,
    read_npy_file,
    read_npz_file,
    read_pickle,
    read_text_rows,
    read_torch_file,
)
from slahmr_opt.io.datasets.emdb import read_emdb_sequence
from slahmr_opt.io.datasets.rich import read_rich_calibration
from slahmr_opt.io.datasets.threedpw import read_3dpw_sequence
from slahmr_opt.io.dpvo import read_pose7_trajectory
from slahmr_opt.io.gvhmr_inputs import read_gvhmr_vitpose
from slahmr_opt.io.intrinsics import read_intrinsics
from slahmr_opt.io.manifest import read_manifest
from slahmr_opt.io.megasam import read_megasam_npz
from slahmr_opt.io.npz_tracks import read_npz_tracks
from slahmr_opt.io.openpose import read_openpose_json
from slahmr_opt.io.peers.gvhmr import read_gvhmr_results
from slahmr_opt.io.peers.wham import read_wham_output
from slahmr_opt.io.phalp import read_phalp_pickle
from slahmr_opt.io.scene_folder import load_cameras
from slahmr_opt.io.slahmr_layout import read_shot_idcs, read_slahmr_cameras, read_smpl_json
from slahmr_opt.io.tum import read_frame_times, read_tum_trajectory
from slahmr_opt.io.wham_inputs import read_wham_tracking_results
from slahmr_opt.priors.gmm import GaussianMixture
from slahmr_opt.priors.humor import load_original_checkpoint, load_prior, load_weights

UNSAFE = ("allow_pickle", "weights_only=False", "pickle.load(", "unsafely", "file an issue")

READERS: dict[str, tuple[str, Callable[[Path], object]]] = {
    # name: (file name, reader)
    "json": ("x.json", lambda p: read_json_file(p, "test json")),
    "npz": ("x.npz", lambda p: read_npz_file(p, "test npz")),
    "npy": ("x.npy", lambda p: read_npy_file(p, "test npy")),
    "pickle (trusted)": ("x.pkl", lambda p: read_pickle(p, trust_pickle=True, what="test")),
    "torch file": ("x.pt", lambda p: read_torch_file(p, trust_pickle=True, what="test")),
    "text rows": ("x.txt", lambda p: read_text_rows(p, "test rows")),
    "body model pkl": ("SMPL_NEUTRAL.pkl", read_model_file),
    "body model npz": ("SMPL_NEUTRAL.npz", read_model_file),
    "prior weights": ("humor_prior.pt", load_weights),
    "prior (generic)": ("prior.pt", load_prior),
    "original checkpoint": ("best_model.pth", load_original_checkpoint),
    "GMM": ("prior_gmm.npz", GaussianMixture.load),
    "OpenPose json": ("000001_keypoints.json", read_openpose_json),
    "SLAHMR smpl json": ("000001_smpl.json", read_smpl_json),
    "SLAHMR shot_idcs": ("shot_idcs.json", read_shot_idcs),
    "SLAHMR cameras": ("cameras.npz", read_slahmr_cameras),
    "scene cameras": ("cameras.npz", load_cameras),
    "manifest": ("slahmr_opt.json", read_manifest),
    "npz tracks": ("p1.npz", read_npz_tracks),
    "PHALP pickle": ("demo.pkl", lambda p: read_phalp_pickle(p, trust_pickle=True)),
    "WHAM tracking_results": (
        "tracking_results.pth",
        lambda p: read_wham_tracking_results(p, trust_pickle=True),
    ),
    "GVHMR vitpose": ("vitpose.pt", lambda p: read_gvhmr_vitpose(p, trust_pickle=True)),
    "DPVO trajectory txt": ("traj.txt", read_pose7_trajectory),
    "DPVO trajectory npy": ("traj.npy", read_pose7_trajectory),
    "TUM trajectory": ("groundtruth.txt", read_tum_trajectory),
    "TUM frame times": ("rgb.txt", read_frame_times),
    "calib": ("calib.txt", read_intrinsics),
    "MegaSaM": ("sgd_cvd_hr.npz", read_megasam_npz),
    "EMDB pickle": ("P0_00_walk_data.pkl", lambda p: read_emdb_sequence(p, trust_pickle=True)),
    "3DPW pickle": ("outdoors_walk.pkl", lambda p: read_3dpw_sequence(p, trust_pickle=True)),
    "RICH calibration": ("cam_00.xml", read_rich_calibration),
    "WHAM output": ("wham_output.pkl", lambda p: read_wham_output(p, trust_pickle=True)),
    "GVHMR results": ("hmr4d_results.pt", read_gvhmr_results),
}

# A plain JSON list is valid for the generic JSON reader and for shot indices (one per frame).
VALID_ELSEWHERE = {("json", "json list"), ("SLAHMR shot_idcs", "json list")}

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)

CONTENTS: dict[str, bytes | None] = {
    "missing": None,
    "empty": b"",
    "random bytes": bytes(np.random.default_rng(0).integers(0, 256, 512, dtype=np.uint8)),
    "text": b"this is not the file you are looking for\n",
    "png image": PNG,
    "json list": b"[1, 2, 3]",
    "NUL bytes": bytes(256),
}


def _check(err: BaseException, path: Path) -> None:
    text = str(err)
    assert str(path.name) in text, text
    assert "\n" not in text, text
    for hint in UNSAFE:
        assert hint not in text, text


def _call(reader: Callable[[Path], object], path: Path) -> BaseException:
    with pytest.raises((InputError, ValueError, FileNotFoundError)) as info:
        reader(path)
    return info.value


@pytest.mark.parametrize("content", sorted(CONTENTS))
@pytest.mark.parametrize("reader", sorted(READERS))
def test_broken_files_are_one_clear_line(tmp_path, reader, content):
    name, read = READERS[reader]
    path = tmp_path / name
    data = CONTENTS[content]
    if (reader, content) in VALID_ELSEWHERE:
        pytest.skip("a valid file for this reader")
    if data is not None:
        path.write_bytes(data)
    _check(_call(read, path), path)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_folder_where_a_file_is_expected(tmp_path, reader):
    name, read = READERS[reader]
    path = tmp_path / name
    path.mkdir()
    if reader in ("npz tracks",):  # a folder of track files is a valid input; an empty one is not
        pass
    _check(_call(read, path), path)


def _valid_npz(path: Path) -> None:
    np.savez(path, a=np.arange(5000, dtype=np.float64), b=np.ones((50, 50)))


def _valid_torch(path: Path) -> None:
    torch.save({"model": {"w": torch.arange(5000.0)}, "config": "{}"}, path)


TRUNCATABLE = {
    "npz": _valid_npz,
    "scene cameras": _valid_npz,
    "SLAHMR cameras": _valid_npz,
    "MegaSaM": _valid_npz,
    "GMM": _valid_npz,
    "body model npz": _valid_npz,
    "npz tracks": _valid_npz,
    "prior weights": _valid_torch,
    "original checkpoint": _valid_torch,
    "torch file": _valid_torch,
    "GVHMR vitpose": _valid_torch,
    "GVHMR results": _valid_torch,
}


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.95])
@pytest.mark.parametrize("reader", sorted(TRUNCATABLE))
def test_truncated_archives_are_one_clear_line(tmp_path, reader, keep):
    name, read = READERS[reader]
    path = tmp_path / name
    TRUNCATABLE[reader](path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    _check(_call(read, path), path)


@pytest.mark.parametrize(
    "reader, payload",
    [
        ("OpenPose json", {"people": [{"pose_keypoints_2d": ["a"] * 75}]}),
        ("OpenPose json", {"people": [{"pose_keypoints_2d": [1.0] * 74}]}),
        ("OpenPose json", {"people": "none"}),
        ("SLAHMR smpl json", {"global_orient": [0, 0], "body_pose": [0] * 69}),
        ("SLAHMR smpl json", {"global_orient": "x"}),
        ("SLAHMR shot_idcs", {"a.jpg": -1}),
        ("manifest", {"cameras": 3}),
        ("manifest", {"unknown_key": 1}),
        ("json", "truncated"),
    ],
)
def test_json_with_wrong_structure_names_the_field(tmp_path, reader, payload):
    name, read = READERS[reader]
    path = tmp_path / name
    if payload == "truncated":
        path.write_text('{"people": [{"pose_keypoints_2d": [1, 2')
    else:
        path.write_text(json.dumps(payload))
    _check(_call(read, path), path)


@pytest.mark.parametrize(
    "rows",
    [
        "1 2 3\n4 5\n",
        "0 0 0 0 0 0 nan\n",
        "0 0 0 0 0 0 inf 1\n",
        "a b c d e f g\n",
        "# only a comment\n",
    ],
)
@pytest.mark.parametrize("reader", ["DPVO trajectory txt", "TUM trajectory", "calib"])
def test_bad_text_rows_are_refused(tmp_path, reader, rows):
    name, read = READERS[reader]
    path = tmp_path / name
    path.write_text(rows)
    _check(_call(read, path), path)
