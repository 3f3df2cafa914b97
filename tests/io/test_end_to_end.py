"""Folders of real-format files, end to end (issue 11, "Done when"):

- the original SLAHMR layout produced the way its own preprocessing produces it (PHALP pickle →
  ``export_phalp.py`` → ``track_preds`` + ``shot_idcs``; DROID cameras saved by ``run_slam.py``;
  frames as ffmpeg names them);
- a folder of real-format files: OpenPose per-frame JSON (untracked people, ``person_id`` −1),
  4D-Humans' PHALP pickle, DPVO's saved trajectory (``--stride 2``) and a calib file with
  distortion, named by a manifest;

both read with ``python -m slahmr_opt.cli run <relative path>``, and every layout read through
relative paths, ``~``, symlinks and folder names with spaces.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from slahmr_opt.io.dpvo import write_dpvo_saved_trajectory
from slahmr_opt.io.folder import load_scene_folder, write_manifest_folder, write_original_layout
from slahmr_opt.io.intrinsics import write_intrinsics_txt
from slahmr_opt.io.openpose import write_openpose_json
from slahmr_opt.io.phalp import write_phalp_pickle
from slahmr_opt.io.results import load_result
from slahmr_opt.io.scene_folder import save_scene
from slahmr_opt.io.tracks import track_to_observations
from slahmr_opt.synth.scene import make_scene
from tests.io.upstream import run_slam_save_cameras, slahmr_export_phalp

ROOT = Path(__file__).parents[2]
DATA = Path(__file__).parents[1] / "data"
QUICK = ["--set", "root.iterations=2", "--set", "smooth.iterations=2"]
QUICK += ["--set", "motion.iterations=1", "--no-plot", "--threads", "1"]


@pytest.fixture(scope="module")
def scene():
    """Two people, 24 frames, keypoints and SMPL on every track frame (what PHALP holds)."""
    s = make_scene(2, 24, "easy", "handheld", seed=1)[0]
    assert all(t.smpl_observed.all() and (t.visibility == 1).all() for t in s.tracks)
    return s


def run_cli(cwd: Path, *argv: str, home: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    if home is not None:
        env["HOME"] = str(home)
    cmd = [sys.executable, "-m", "slahmr_opt.cli", "run", *argv]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def slahmr_preprocessed(root: Path, scene, seq: str = "seq") -> Path:
    """``root`` as SLAHMR's preprocessing leaves it for a video (confs/data/video.yaml sources):
    images/<seq>/%06d.jpg from 1 (preproc/extract_frames.py), PHALP's pickle at
    slahmr/phalp_out/<seq>/<seq>.pkl (preproc/launch_phalp.py:53-60), its export
    (export_phalp.py), DROID cameras per shot (run_slam.py:270-285)."""
    names = [f"{i + 1:06d}" for i in range(scene.num_frames)]
    images = root / "images" / seq
    images.mkdir(parents=True)
    W, H = scene.image_size
    for name in names:
        cv2.imwrite(str(images / f"{name}.jpg"), np.zeros((H, W, 3), np.uint8))
    base = root / "slahmr"
    pkl = base / "phalp_out" / seq / f"{seq}.pkl"
    pkl.parent.mkdir(parents=True)
    write_phalp_pickle(
        pkl,
        scene.tracks,
        names,
        scene.image_size,
        intrinsics=scene.cameras.intrinsics,
        frame_dir=str(images),
    )
    slahmr_export_phalp(pkl, base / "track_preds" / seq, base / "shot_idcs" / f"{seq}.json")
    cams = scene.cameras
    run_slam_save_cameras(base / "cameras" / seq / "shot-0", cams.w2c(), cams.intrinsics, W, H)
    return root


def test_original_layout_from_its_own_preprocessing_runs_from_a_relative_path(tmp_path, scene):
    slahmr_preprocessed(tmp_path / "my videos", scene)
    args = ["--fps", "30", "--min-track-len", "1", *QUICK]
    done = run_cli(tmp_path, "my videos", "--out", "out", *args)
    assert done.returncode == 0, done.stderr
    loaded = load_result(tmp_path / "out")
    assert [p.track_id for p in loaded.estimate.people] == ["001", "002"]
    assert loaded.info["pass_order"] == ["init", "root", "smooth", "motion"]
    # what the original's run_vis reads: motion_chunks/<seq>_<iter>_world_results.npz
    assert sorted(p.name for p in (tmp_path / "out" / "motion_chunks").iterdir()) == [
        "seq_000001_world_results.npz"
    ]
    info = json.loads((tmp_path / "out" / "track_info.json").read_text())
    assert sorted(info["tracks"]) == ["1", "2"]
    # the same through ~, a symlink and the slahmr/ folder itself
    (tmp_path / "link").symlink_to(tmp_path / "my videos")
    for path in ("~/my videos", "link", "link/slahmr"):
        done = run_cli(tmp_path, path, "--out", "out2", *args, "--until", "init", home=tmp_path)
        assert done.returncode == 0, (path, done.stderr)


def real_format_folder(folder: Path, scene) -> Path:
    """OpenPose per-frame files (every person untracked: OpenPose's --write_json), 4D-Humans'
    PHALP pickle (results/demo_<seq>.pkl, extra_data = detection index), DPVO's
    --save_trajectory output (stride 2) and DPVO's iPhone calib (with the scene's K)."""
    names = [f"{i:06d}" for i in range(scene.num_frames)]
    dist = np.loadtxt(DATA / "dpvo_calib_iphone.txt")[4:]
    K = scene.cameras.intrinsics[0]
    Kmat = np.array([[K[0], 0, K[2]], [0, K[1], K[3]], [0, 0, 1.0]])
    per_frame: dict[int, list[np.ndarray]] = {}
    for t in scene.tracks:
        obs = track_to_observations(t)
        for f, kp in zip(obs.frames, obs.keypoints, strict=True):
            kp = kp.copy()
            seen = kp[:, 2] > 0
            rays = np.stack(
                [(kp[seen, 0] - K[2]) / K[0], (kp[seen, 1] - K[3]) / K[1], np.ones(seen.sum())], 1
            )
            kp[seen, :2] = cv2.projectPoints(rays, np.zeros(3), np.zeros(3), Kmat, dist)[0][:, 0]
            per_frame.setdefault(int(f), []).append(kp)
    for f, name in enumerate(names):
        people = np.stack(per_frame.get(f, [])) if f in per_frame else np.zeros((0, 25, 3))
        write_openpose_json(folder / "openpose" / f"{name}_keypoints.json", people[::-1])
    write_phalp_pickle(
        folder / "results" / "demo_seq.pkl",
        scene.tracks,
        names,
        scene.image_size,
        intrinsics=K,
        extra_data="index",
        frame_dir="/data/seq/img",
    )
    write_dpvo_saved_trajectory(folder / "saved_trajectories" / "seq.txt", scene.cameras)
    write_intrinsics_txt(folder / "calib.txt", K, distortion=dist)
    manifest = {
        "format": "slahmr-opt-manifest",
        "version": 1,
        "fps": 30,
        "tracks": "results/demo_seq.pkl",
        "keypoints": "openpose",
        "cameras": "saved_trajectories/seq.txt",
        "camera_stride": 2,
        "intrinsics": "calib.txt",
    }
    (folder / "slahmr_opt.json").write_text(json.dumps(manifest, indent=2))
    return folder


def test_real_format_folder_runs_from_a_relative_path(tmp_path, scene):
    folder = real_format_folder(tmp_path / "shoot 1", scene)
    got = load_scene_folder(folder, trust_pickle=True, min_track_len=1)
    assert got.provenance["keypoints"]["association"]["unmatched_people"] == 0
    for t, want in zip(got.tracks, scene.tracks, strict=True):  # undistorted, associated
        np.testing.assert_allclose(t.keypoints, want.keypoints, atol=1e-3)
        np.testing.assert_allclose(t.transl, want.transl, rtol=1e-5)
    np.testing.assert_allclose(got.cameras.R[::2], scene.cameras.R[::2], atol=1e-12)
    done = run_cli(
        tmp_path, "shoot 1", "--out", "res", "--trust-pickle", "--min-track-len", "1", *QUICK
    )
    assert done.returncode == 0, done.stderr
    loaded = load_result(tmp_path / "res")
    assert [p.track_id for p in loaded.estimate.people] == ["001", "002"]
    # without --trust-pickle: one clear line, no traceback
    done = run_cli(tmp_path, "shoot 1", "--out", "res2", "--min-track-len", "1")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "demo_seq.pkl: PHALP tracklets is a Python pickle" in done.stderr


@pytest.mark.parametrize("layout", ["scene-folder", "manifest", "slahmr-original"])
def test_every_layout_reads_through_relative_home_symlink_and_spaces(
    tmp_path, monkeypatch, scene, layout
):
    """Issue 11 item 2: a relative path to the original layout used to be prepended twice."""
    target = tmp_path / "data dir" / "my scene"
    if layout == "scene-folder":
        save_scene(scene, target)
        kwargs = {}
    elif layout == "manifest":
        write_manifest_folder(target, scene)
        kwargs = {}
    else:
        write_original_layout(target, scene)
        kwargs = {"fps": 30.0, "min_track_len": 1}
    want = load_scene_folder(target, **kwargs)
    monkeypatch.chdir(tmp_path / "data dir")
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "ln").symlink_to(target)
    for path in ("my scene", "./my scene/", "~/data dir/my scene", "../ln", str(tmp_path / "ln")):
        got = load_scene_folder(path, **kwargs)
        assert got.track_ids == want.track_ids and got.num_frames == want.num_frames, path
        for g, w in zip(got.tracks, want.tracks, strict=True):
            np.testing.assert_array_equal(g.keypoints, w.keypoints)
