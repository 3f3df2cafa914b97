"""Keypoint and track files exactly as the upstream tools write them (issue 11, items 1, 3, 4, 5,
7): SLAHMR's exporter, ViTPose confidences above 1 in WHAM / GVHMR / PHALP / SLAHMR files,
4D-Humans' own PHALP pickle, where SLAHMR leaves the pickle, and PHALP's crop camera.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict

import joblib
import numpy as np
import pytest
import torch

from slahmr_opt.io.common import FrameIndex
from slahmr_opt.io.folder import load_scene_folder, write_manifest_folder
from slahmr_opt.io.gvhmr_inputs import read_gvhmr_vitpose
from slahmr_opt.io.hmr import full_to_crop_camera
from slahmr_opt.io.layout import detect_layout, original_layout_manifest, phalp_pickle_path
from slahmr_opt.io.phalp import read_phalp_pickle, write_phalp_pickle
from slahmr_opt.io.slahmr_layout import read_shot_idcs, read_track_preds, write_track_preds
from slahmr_opt.io.tracks import track_to_observations
from slahmr_opt.io.wham_inputs import read_wham_tracking_results
from slahmr_opt.scene import Visibility
from slahmr_opt.synth.scene import make_scene
from tests.io.upstream import slahmr_export_phalp, slahmr_read_keypoints

NAMES = [f"{i + 1:06d}" for i in range(30)]


@pytest.fixture(scope="module")
def scene():
    """Two people, 30 frames, every track frame with keypoints and SMPL (what PHALP holds)."""
    s = make_scene(2, 30, "easy", "handheld", seed=1)[0]
    for t in s.tracks:
        assert (t.visibility == int(Visibility.VISIBLE)).all() and t.smpl_observed.all()
    return s


def _phalp(path, scene, **kwargs):
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("intrinsics", scene.cameras.intrinsics)
    write_phalp_pickle(path, scene.tracks, NAMES, scene.image_size, **kwargs)
    return path


def _clipped_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "clipped to 1" in r.getMessage()]


# ------------------------------------------------------------------------ 1. SLAHMR's exporter


def test_slahmr_exporter_nested_keypoints_read_like_the_original(tmp_path, scene):
    """export_phalp.py:49-58 writes pose_keypoints_2d as kps.tolist() of a (25, 3) array."""
    root = tmp_path / "slahmr"
    pkl = _phalp(root / "phalp_out" / "seq" / "seq.pkl", scene)
    slahmr_export_phalp(pkl, root / "track_preds" / "seq", root / "shot_idcs" / "seq.json")
    one = root / "track_preds" / "seq" / "001" / f"{NAMES[3]}_keypoints.json"
    raw = json.loads(one.read_text())["people"][0]["pose_keypoints_2d"]
    assert np.shape(raw) == (25, 3)  # nested, not OpenPose's flat 75
    names, _ = read_shot_idcs(root / "shot_idcs" / "seq.json")
    tracks = read_track_preds(root / "track_preds" / "seq", FrameIndex(names))
    assert [t.track_id for t in tracks] == ["001", "002"]
    for obs, want in zip(tracks, scene.tracks, strict=True):
        for frame in obs.frames[[0, 11, -1]]:
            theirs = slahmr_read_keypoints(
                root / "track_preds" / "seq" / obs.track_id / f"{NAMES[frame]}_keypoints.json"
            )  # data/tools.py:28-29: np.array(...).reshape([-1, 3]) in float32
            row = np.searchsorted(obs.frames, frame)
            np.testing.assert_allclose(obs.keypoints[row], theirs, rtol=1e-6)
            local = frame - want.start
            np.testing.assert_allclose(obs.keypoints[row], want.keypoints[local], atol=1e-9)


def test_our_track_preds_writer_emits_what_slahmr_emits(tmp_path, scene):
    write_track_preds(tmp_path, scene.tracks, NAMES)
    path = tmp_path / "p0" / f"{NAMES[5]}_keypoints.json"
    data = json.loads(path.read_text())
    assert list(data) == ["people"] and list(data["people"][0]) == ["pose_keypoints_2d"]
    assert np.shape(data["people"][0]["pose_keypoints_2d"]) == (25, 3)
    np.testing.assert_allclose(slahmr_read_keypoints(path), scene.track("p0").keypoints[5], 1e-6)


# ------------------------------------------------------------- 3. confidences above 1 (ViTPose)


def _wham_dump(path, keypoints: np.ndarray) -> None:
    """WHAM demo.py:87 dumps lib/models/preproc/extractor.py:99-112's defaultdict(dict), keyed by
    detector.py:128's np.unique ids, with float32 mmpose keypoints and torch features."""
    out = defaultdict(dict)
    out[np.int64(0)] = {
        "frame_id": np.arange(len(keypoints)),
        "bbox": np.tile([500.0, 400.0, 1.2], (len(keypoints), 1)),
        "keypoints": keypoints.astype(np.float32),
        "features": torch.zeros(len(keypoints), 1024),
        "init_global_orient": torch.eye(3)[None, None],
    }
    joblib.dump(out, path)


def test_confidences_above_one_are_clipped_and_reported_once(tmp_path, scene, caplog):
    """mmpose's heatmap maxima exceed 1 (open-mmlab/mmpose issues #666, #884, #1324)."""
    rng = np.random.default_rng(0)
    coco = np.concatenate([rng.uniform(100, 900, (12, 17, 2)), np.full((12, 17, 1), 0.9)], -1)
    coco[3, 5, 2], coco[7, 0, 2] = 1.02, 1.0625
    caplog.set_level(logging.WARNING)

    _wham_dump(tmp_path / "tracking_results.pth", coco)
    wham = read_wham_tracking_results(tmp_path / "tracking_results.pth", trust_pickle=True)["0"]
    assert wham.keypoints[..., 2].max() == 1.0 and wham.keypoints[3, 5, 2] == 1.0
    np.testing.assert_allclose(wham.keypoints[0, 5, :2], coco[0, 5, :2], rtol=1e-6)
    (msg,) = _clipped_warnings(caplog)
    assert "tracking_results.pth: 2 keypoint confidence(s) above 1 (largest 1.062" in msg

    caplog.clear()  # GVHMR tools/demo/demo.py:112-115: torch.save of the (L, 17, 3) tensor
    torch.save(torch.from_numpy(coco.astype(np.float32)), tmp_path / "vitpose.pt")
    gvhmr = read_gvhmr_vitpose(tmp_path / "vitpose.pt")["0"]
    assert gvhmr.keypoints[..., 2].max() == 1.0 and len(_clipped_warnings(caplog)) == 1

    caplog.clear()  # SLAHMR's tracker stores ViTPose in extra_data (preproc/track.py:183-194)
    pkl = _phalp(tmp_path / "phalp.pkl", scene)
    data = joblib.load(pkl)
    for rec in list(data.values())[:4]:
        rec["extra_data"][0][2, 2] = 1.3
    joblib.dump(data, pkl, compress=3)
    ph = read_phalp_pickle(pkl, trust_pickle=True)
    assert max(t.keypoints[..., 2].max() for t in ph.tracks) == 1.0
    (msg,) = _clipped_warnings(caplog)
    assert "phalp.pkl: 4 keypoint confidence(s) above 1 (largest 1.3" in msg

    caplog.clear()  # and the per-frame JSON SLAHMR exports from it: one report per folder
    slahmr_export_phalp(pkl, tmp_path / "track_preds", tmp_path / "shots.json")
    read_track_preds(tmp_path / "track_preds", FrameIndex(NAMES))
    assert len(_clipped_warnings(caplog)) == 1


def test_negative_or_nan_confidences_are_errors(tmp_path):
    coco = np.full((3, 17, 3), 0.5)
    coco[1, 2, 2] = -0.2
    _wham_dump(tmp_path / "a.pth", coco)
    with pytest.raises(ValueError, match=r"a\.pth.*confidence -0\.2.*expected confidences ≥ 0"):
        read_wham_tracking_results(tmp_path / "a.pth", trust_pickle=True)
    coco[1, 2, 2] = np.nan
    _wham_dump(tmp_path / "b.pth", coco)
    with pytest.raises(ValueError, match=r"b\.pth.*must be finite"):
        read_wham_tracking_results(tmp_path / "b.pth", trust_pickle=True)


# ------------------------------------------------------------ 4. 4D-Humans' own track.py pickle


def test_4dhumans_extra_data_is_an_index_and_2d_joints_give_keypoints(tmp_path, scene, caplog):
    """PHALP.py:378-379 (run_additional_models) returns the detection index; 4D-Humans'
    track.py:145-164 does not override it. The keypoints then come from PHALP's '2d_joints'
    (its SMPL joints projected, normalised by the padded square image, PHALP.py:414-432)."""
    pkl = _phalp(tmp_path / "demo_seq.pkl", scene, extra_data="index")
    raw = joblib.load(pkl)
    rec = raw[f"images/{NAMES[10]}.jpg"]
    assert rec["extra_data"] == [0, 1] and np.shape(rec["2d_joints"][0]) == (90,)
    caplog.set_level(logging.WARNING)
    ph = read_phalp_pickle(pkl, trust_pickle=True)
    assert ph.keypoints == "2d_joints"
    assert any("detection index" in r.getMessage() for r in caplog.records)
    for obs, want in zip(ph.tracks, scene.tracks, strict=True):
        np.testing.assert_allclose(obs.keypoints[..., :2], want.keypoints[..., :2], atol=2e-3)
        np.testing.assert_array_equal(obs.keypoints[..., 2], 1.0)
    with pytest.raises(ValueError, match="keypoints must be one of"):
        read_phalp_pickle(pkl, trust_pickle=True, keypoints="vitpose")
    none = read_phalp_pickle(pkl, trust_pickle=True, keypoints="none")
    assert not any(t.has_keypoints.any() for t in none.tracks)


def test_4dhumans_pickle_with_keypoints_from_their_own_file(tmp_path, scene):
    """A 4D-Humans pickle plus OpenPose keypoints: the file's keypoints replace 2d_joints."""
    folder = write_manifest_folder(
        tmp_path, scene, tracks_format="phalp", keypoints_format=None, cameras_format="dpvo"
    )
    _phalp(folder / "phalp.pkl", scene, extra_data="index", frame_dir="frames")
    kp = {
        t.track_id: track_to_observations(t) for t in scene.tracks
    }  # OpenPose folders keyed by PHALP's ids
    from slahmr_opt.io.keypoints import KeypointTrack
    from slahmr_opt.io.openpose import write_openpose_tracks

    write_openpose_tracks(
        folder / "openpose",
        [KeypointTrack(f"{k + 1:03d}", o.frames, o.keypoints) for k, o in enumerate(kp.values())],
        NAMES,
    )
    m = json.loads((folder / "slahmr_opt.json").read_text())
    m.update(keypoints="openpose", keypoints_format="openpose")
    (folder / "slahmr_opt.json").write_text(json.dumps(m))
    got = load_scene_folder(folder, trust_pickle=True, min_track_len=1)
    for t, want in zip(got.tracks, scene.tracks, strict=True):
        np.testing.assert_allclose(t.keypoints, want.keypoints, atol=1e-12)  # not 2d_joints


# --------------------------------------------------------------- 5. where SLAHMR leaves the pickle


@pytest.mark.parametrize("where", ["renamed", "before-rename"])
def test_phalp_pickle_found_where_slahmr_leaves_it(tmp_path, scene, where):
    """preproc/launch_phalp.py:53-60: PHALP writes <res_root>/results/demo_<seq>.pkl
    (PHALP.py:155), SLAHMR renames it to phalp_out/<seq>/<seq>.pkl."""
    base = tmp_path / "slahmr"
    if where == "renamed":
        pkl = base / "phalp_out" / "seq" / "seq.pkl"
    else:
        pkl = base / "phalp_out" / "seq" / "results" / "demo_seq.pkl"
    _phalp(pkl, scene)
    assert detect_layout(tmp_path) == "slahmr-original"
    assert phalp_pickle_path(base, "seq") == pkl
    m = original_layout_manifest(tmp_path, None)
    assert m["tracks"] == str(pkl) and m["tracks_format"] == "phalp"
    got = load_scene_folder(tmp_path, fps=30, trust_pickle=True, min_track_len=1)
    assert got.track_ids == ["001", "002"] and got.num_frames == 30


def test_original_layout_without_tracks_or_pickle_is_refused(tmp_path):
    (tmp_path / "slahmr" / "phalp_out" / "seq" / "results").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"no sequence \(track_preds/<seq>/ or phalp_out"):
        load_scene_folder(tmp_path, fps=30)


# ----------------------------------------------------------------------- 7. PHALP's crop camera


def _wide_box_pickle(path, transl, side_of_crop):
    """One tracked detection whose box is wide (300 × 150 px): 4D-Humans pads it to the 192 × 256
    HMR aspect (track.py:152-164, hmr2/datasets/utils.py:14-59) and HMR's crop camera is for that
    padded crop; PHALP stores its side as scale = max(padded w, h) / max(H, W)
    (PHALP.py:360-366, 453; deep_sort_/detection.py:42)."""
    H, W = 1080, 1920
    K = np.array([1500.0, 1500.0, 960.0, 540.0])
    center = np.array([1000.0, 600.0])
    cam = full_to_crop_camera(transl[None], center[None], [side_of_crop], K)[0]
    rec = {
        "time": 0,
        "shot": 0,
        "tid": [1],
        "tracked_ids": [1],
        "bbox": [np.array([850.0, 525.0, 300.0, 150.0])],
        "center": [center.astype(np.float32)],
        "scale": [side_of_crop / max(H, W)],
        "size": [[H, W]],
        "camera_bbox": [cam.astype(np.float32)],
        "smpl": [
            {
                "global_orient": np.eye(3, dtype=np.float32)[None],
                "body_pose": np.tile(np.eye(3, dtype=np.float32), (23, 1, 1)),
                "betas": np.zeros(10, np.float32),
            }
        ],
        "extra_data": [np.full((25, 3), 0.5)],
    }
    joblib.dump({"images/000001.jpg": rec}, path, compress=3)
    return path


def test_phalp_crop_side_is_the_padded_crop_not_the_box(tmp_path):
    truth = np.array([0.3, 0.1, 6.0])
    side = 300.0 * 256 / 192  # the 300 px wide box padded to 192:256 is 400 px tall
    pkl = _wide_box_pickle(tmp_path / "a.pkl", truth, side)
    ours = read_phalp_pickle(pkl, trust_pickle=True).tracks[0].transl[0]
    np.testing.assert_allclose(ours, truth, rtol=1e-5)
    # SLAHMR's exporter (export_phalp.py:95-98) takes max(bbox w, h) = 300: a third too deep
    slahmr = read_phalp_pickle(pkl, trust_pickle=True, box_size="bbox").tracks[0].transl[0]
    assert slahmr[2] == pytest.approx(truth[2] * side / 300.0, rel=1e-5)
    assert slahmr[2] / truth[2] == pytest.approx(4 / 3, rel=1e-5)


def test_phalp_depth_uses_the_intrinsics_file_focal(tmp_path, scene):
    """With a calibration file, the crop cameras are converted with its focal, not 0.5 (W + H)
    (the depth scales with the focal: tz = 2 f / (b s))."""
    folder = write_manifest_folder(
        tmp_path, scene, tracks_format="phalp", keypoints_format=None, cameras_format="dpvo"
    )
    assert json.loads((folder / "slahmr_opt.json").read_text())["intrinsics"] == "calib.txt"
    got = load_scene_folder(folder, trust_pickle=True, min_track_len=1)
    for t, want in zip(got.tracks, scene.tracks, strict=True):
        np.testing.assert_allclose(t.transl, want.transl, rtol=1e-5)
    (folder / "calib.txt").unlink()  # the same files without the calibration
    m = json.loads((folder / "slahmr_opt.json").read_text())
    del m["intrinsics"]
    (folder / "slahmr_opt.json").write_text(json.dumps(m))
    guessed = load_scene_folder(folder, trust_pickle=True, min_track_len=1)
    f_true, f_default = scene.cameras.intrinsics[0, 0], 0.5 * sum(scene.image_size)
    ratio = guessed.tracks[0].transl[:, 2] / got.tracks[0].transl[:, 2]
    np.testing.assert_allclose(ratio, f_default / f_true, rtol=1e-6)
    assert abs(f_default / f_true - 1) > 0.02  # the depth error the calibration removes
