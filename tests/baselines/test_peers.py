"""Readers of WHAM, GVHMR and TRAM outputs (files written as their demos write them, see
fixtures.py) and ``slahmr-opt run`` on their output folders."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from slahmr_opt.cli import main
from slahmr_opt.io.folder import detect_layout, load_scene_folder
from slahmr_opt.io.keypoints import body25_to_coco17_array
from slahmr_opt.io.peers import detect_format, find_sequence, read_peer
from slahmr_opt.io.peers.gvhmr import read_gvhmr_results
from slahmr_opt.io.peers.own import read_own_result
from slahmr_opt.io.peers.tram import read_tram_demo, read_tram_emdb
from slahmr_opt.io.peers.wham import read_wham_output
from tests.baselines import fixtures as F

joblib = pytest.importorskip("joblib")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("peers")
    body = F.standin64()
    scene, gt = F.synthetic_truth(seed=11, frames=40, people=2)
    F.write_wham(root / "wham" / "vid", scene, gt, body)
    F.write_gvhmr(root / "gvhmr" / "vid", scene, gt, body)
    F.write_tram(root / "tram" / "vid", scene, gt)
    F.write_tram_emdb(root / "tram_emdb", scene, gt, "vid")
    F.write_ours(root / "ours" / "vid", scene, body)
    return {"root": root, "scene": scene, "gt": gt}


def test_wham_output(made):
    path = made["root"] / "wham" / "vid"
    with pytest.raises(ValueError, match="wham_output.pkl.*trust_pickle"):
        read_wham_output(path)
    peer = read_wham_output(path, trust_pickle=True)
    raw = joblib.load(path / "wham_output.pkl")
    assert [t.track_id for t in peer.tracks] == ["0", "1"]
    t = peer.track("1")  # subject 1 is scene track p0
    np.testing.assert_array_equal(t.camera.frames, raw[1]["frame_ids"])
    np.testing.assert_allclose(t.camera.global_orient, raw[1]["pose"][:, :3])
    np.testing.assert_allclose(t.camera.body_pose.reshape(-1, 69), raw[1]["pose"][:, 3:])
    np.testing.assert_allclose(t.world.transl, raw[1]["trans_world"])
    np.testing.assert_allclose(t.camera.betas, raw[1]["betas"])  # per-frame betas kept
    assert t.model == "smpl" and t.camera.gender == "neutral"
    np.testing.assert_allclose(peer.world_up, [0, 1, 0])


def test_wham_missing_field(made, tmp_path):
    raw = joblib.load(made["root"] / "wham" / "vid" / "wham_output.pkl")
    del raw[0]["trans_world"]
    joblib.dump(raw, tmp_path / "wham_output.pkl")
    with pytest.raises(ValueError, match=r"wham_output\.pkl \(subject 0\): field 'trans_world'"):
        read_wham_output(tmp_path, trust_pickle=True)


def test_gvhmr_results_load_without_trust(made):
    peer = read_gvhmr_results(made["root"] / "gvhmr" / "vid")
    raw = torch.load(made["root"] / "gvhmr" / "vid" / "hmr4d_results.pt", weights_only=True)
    (t,) = peer.tracks
    assert t.model == "smplx" and t.camera.hand_mean and t.camera.body_pose.shape == (40, 21, 3)
    np.testing.assert_allclose(t.world.transl, raw["smpl_params_global"]["transl"].numpy())
    np.testing.assert_allclose(peer.intrinsics, made["scene"].cameras.intrinsics[0], rtol=1e-6)
    assert peer.image_size == (1920, 1080)


def test_tram_demo_and_emdb_layouts(made):
    folder = made["root"] / "tram" / "vid"
    with pytest.raises(ValueError, match="camera.npy.*trust_pickle"):
        read_tram_demo(folder)
    peer = read_tram_demo(folder, trust_pickle=True)
    raw = np.load(folder / "hps" / "hps_track_0.npy", allow_pickle=True).item()
    cam = np.load(folder / "camera.npy", allow_pickle=True).item()
    t = peer.track("0")
    # TRAM poses each track with its mean shape
    np.testing.assert_allclose(t.camera.betas[0], raw["pred_shape"].numpy().mean(0), rtol=1e-6)
    np.testing.assert_allclose(t.camera.transl, raw["pred_trans"].numpy()[:, 0])
    np.testing.assert_allclose(t.cam_to_world[:, :3, :3], cam["world_cam_R"][t.camera.frames])
    emdb = read_tram_emdb(made["root"] / "tram_emdb", "vid")  # npz: no trust needed
    assert emdb.tracks[0].camera.num_frames == 40


def test_detect_and_find(made):
    r = made["root"]
    assert detect_format(r / "wham" / "vid") == "wham"
    assert detect_format(r / "gvhmr" / "vid") == "gvhmr"
    assert detect_format(r / "tram" / "vid") == "tram"
    assert detect_format(r / "ours" / "vid") == "slahmr-opt"
    assert detect_format(r) is None
    assert find_sequence(r / "wham", ("VID",)) == ("wham", r / "wham" / "vid")
    assert find_sequence(r / "tram_emdb", ("x/vid", "vid")) == (
        "tram-emdb",
        r / "tram_emdb" / "vid",
    )
    assert find_sequence(r / "wham", ("other",)) is None
    with pytest.raises(ValueError, match="--pass applies to slahmr-opt results only"):
        read_peer(r / "wham" / "vid", trust_pickle=True, pass_name="root")


def test_own_result_is_world_motion_with_metric_cameras(made):
    peer = read_own_result(made["root"] / "ours" / "vid")
    info = json.loads((made["root"] / "ours" / "vid" / "scene.json").read_text())
    t = peer.track("p0")
    assert t.world is not None and t.camera is None
    cams = made["scene"].cameras
    np.testing.assert_allclose(
        t.world_to_cam[:, :3, 3], info["world_scale"] * cams.t[t.world.frames]
    )


# ------------------------------------------------------------------------------ run hook


def test_layout_detection_and_scenes(made):
    r = made["root"]
    scene = made["scene"]
    assert detect_layout(r / "wham" / "vid") == "wham"
    with pytest.raises(ValueError, match="--image-size"):
        load_scene_folder(r / "wham" / "vid", trust_pickle=True)
    s = load_scene_folder(r / "wham" / "vid", trust_pickle=True, image_size=(1920, 1080))
    assert sorted(s.track_ids) == ["0", "1"] and s.provenance["peer"]["layout"] == "wham"
    np.testing.assert_allclose(s.cameras.R, scene.cameras.R, atol=1e-9)  # DPVO c2w xyzw read back
    np.testing.assert_allclose(s.cameras.t, scene.cameras.t, atol=1e-9)
    t, src = s.track("1"), scene.track("p0")  # WHAM subject 1 is p0; frames 30–32 are missing
    rows = np.setdiff1d(np.arange(40), np.arange(30, 33))
    np.testing.assert_allclose(t.global_orient[rows], src.global_orient[rows], atol=1e-6)
    assert not t.smpl_observed[30:33].any() and t.smpl_observed[rows].all()
    np.testing.assert_allclose(
        body25_to_coco17_array(t.keypoints[rows]), body25_to_coco17_array(src.keypoints[rows])
    )
    np.testing.assert_allclose(s.cameras.intrinsics[0, 0], np.hypot(1920, 1080))  # WHAM's focal

    g = load_scene_folder(r / "gvhmr" / "vid", trust_pickle=True)
    assert g.track_ids == ["0"] and g.provenance["peer"]["body_model"] == "smplx"
    assert np.all(g.track("0").body_pose[:, 21:] == 0)  # SMPL's hand joints at rest

    tr = load_scene_folder(r / "tram" / "vid", trust_pickle=True)
    assert sorted(tr.track_ids) == ["0", "1"]
    assert np.all(tr.track("0").keypoints == 0)  # TRAM stores no keypoints


def test_run_on_a_wham_folder(made, tmp_path, capsys):
    out = tmp_path / "fit"
    code = main(
        [
            "run",
            str(made["root"] / "wham" / "vid"),
            "--out",
            str(out),
            "--until",
            "root",
            "--set",
            "root.iterations=2",
            "--trust-pickle",
            "--image-size",
            "1920x1080",
            "--no-plot",
            "--min-track-len",
            "10",
        ]
    )
    assert code == 0
    info = json.loads((out / "scene.json").read_text())
    assert sorted(p["id"] for p in info["people"]) == ["0", "1"]  # both subjects, one world


def test_tram_npy_payload_is_refused(tmp_path, capfd):
    """TRAM's files are np.save'd dicts (pickles inside .npy): read by the data-only unpickler."""
    import os

    from slahmr_opt.errors import UnsafeFileError

    class Payload:
        def __reduce__(self):
            return (os.system, ("echo payload-ran",))

    folder = tmp_path / "vid"
    (folder / "hps").mkdir(parents=True)
    np.save(folder / "camera.npy", {"pred_cam_R": Payload()}, allow_pickle=True)
    np.save(folder / "hps" / "hps_track_0.npy", {"pred_rotmat": np.zeros((1, 24, 3, 3))})
    with pytest.raises(UnsafeFileError):
        read_tram_demo(folder, trust_pickle=True)
    assert "payload-ran" not in capfd.readouterr().out


# ------------------------------------------------------------------------------ WorldEstimate


def _posed_joints(body, p):
    t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64))  # noqa: E731
    with torch.no_grad():
        return body(t(p.global_orient), t(p.body_pose), t(p.betas), t(p.transl)).joints.numpy()


def test_world_estimate_of_tram_moves_camera_bodies_by_its_trajectory(made, tmp_path):
    from slahmr_opt.io.peers import peer_to_world_estimate
    from slahmr_opt.io.peers.tram import read_tram_camera
    from slahmr_opt.io.results import load_estimate, save_estimate

    folder = made["root"] / "tram" / "vid"
    body = F.standin64()
    peer = read_tram_demo(folder, trust_pickle=True)
    c2w = read_tram_camera(folder, trust_pickle=True, prefix="world_cam")
    est = peer_to_world_estimate(peer, body, cam_to_world=c2w)
    assert est.alpha == 1.0 and est.meta["body_model"] == "smpl"
    cam = peer.track("0").camera
    world = est.person("0")
    jc = _posed_joints(body, cam.to_person_motion())
    jw = _posed_joints(body, world)
    R, t = c2w[cam.frames, :3, :3], c2w[cam.frames, :3, 3]
    np.testing.assert_allclose(jw, np.einsum("nij,npj->npi", R, jc) + t[:, None], atol=1e-9)
    np.testing.assert_allclose(est.cameras.c2w(), c2w, atol=1e-5)  # float32 rotations in file
    back = load_estimate(save_estimate(est, tmp_path / "tram_as_ours"))  # a result folder
    assert sorted(p.track_id for p in back.people) == ["0", "1"]


def test_world_estimate_of_wham_derives_cameras_and_splits_gaps(made):
    from slahmr_opt.io.peers import peer_to_world_estimate

    body = F.standin64()
    peer = read_wham_output(made["root"] / "wham" / "vid", trust_pickle=True)
    with pytest.raises(ValueError, match="pass intrinsics"):
        peer_to_world_estimate(peer, body)
    est = peer_to_world_estimate(peer, body, intrinsics=np.array([1000.0, 1000, 960, 540]))
    ids = sorted(p.track_id for p in est.people)
    gaps = [t.track_id for t in peer.tracks if np.any(np.diff(t.camera.frames) != 1)]
    assert gaps and ids == sorted([t.track_id for t in peer.tracks] + [f"{g}.1" for g in gaps])
    cam_track = peer.track(est.meta["camera_track"])
    first = est.person(cam_track.track_id)
    rows = np.arange(first.num_frames)
    jw = _posed_joints(body, first)
    cam_body = cam_track.camera.select(rows).to_person_motion()
    cam_body.betas = cam_track.camera.betas.mean(axis=0)  # one shape per track, as the estimate
    jc = _posed_joints(body, cam_body)
    w2c = est.cameras.w2c()[first.frames]
    got = np.einsum("nij,npj->npi", w2c[:, :3, :3], jw) + w2c[:, None, :3, 3]
    np.testing.assert_allclose(got, jc, atol=1e-6)  # the derived cameras see the camera bodies
