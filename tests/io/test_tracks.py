"""Track readers and writers: track_preds + shot_idcs, PHALP pickles, plain npz; their errors."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from slahmr_opt.io.common import FrameIndex
from slahmr_opt.io.hmr import crop_camera_to_full, full_to_crop_camera
from slahmr_opt.io.npz_tracks import read_npz_tracks, write_npz_tracks
from slahmr_opt.io.phalp import read_phalp_pickle, write_phalp_pickle
from slahmr_opt.io.scene_folder import save_scene
from slahmr_opt.io.slahmr_layout import (
    read_shot_idcs,
    read_smpl_json,
    read_track_preds,
    write_shot_idcs,
    write_track_preds,
)
from slahmr_opt.io.tracks import TrackObservations, track_to_observations
from slahmr_opt.scene import Track, Visibility
from slahmr_opt.synth.scene import make_scene

SMPL = ("global_orient", "body_pose", "betas", "transl")


@pytest.fixture(scope="module")
def gappy_scene():
    """Two people, 40 frames; p0 has occluded frames inside its track and frames without SMPL."""
    scene, _ = make_scene(2, 40, "medium", "handheld", seed=2)
    p0 = scene.track("p0")
    inner = p0.visibility[1:-1]
    assert (inner == int(Visibility.OCCLUDED)).any() and not p0.smpl_observed.all()
    return scene


@pytest.fixture(scope="module")
def clean_scene():
    """Every frame of every track has keypoints and SMPL (what PHALP can represent)."""
    scene, _ = make_scene(2, 40, "easy", "handheld", seed=0)
    for t in scene.tracks:
        assert (t.visibility == int(Visibility.VISIBLE)).all() and t.smpl_observed.all()
    return scene


def assert_tracks_equal(got: Track, want: Track, atol: float = 0.0, ids: bool = True) -> None:
    """Same track up to ``atol``; keypoints compared where visible (others must have conf 0)."""
    if ids:
        assert got.track_id == want.track_id
    assert (got.start, got.num_frames) == (want.start, want.num_frames)
    vis = want.visibility == int(Visibility.VISIBLE)
    np.testing.assert_array_equal(got.visibility == int(Visibility.VISIBLE), vis)
    np.testing.assert_allclose(got.keypoints[vis], want.keypoints[vis], rtol=0, atol=atol)
    np.testing.assert_array_equal(got.keypoints[~vis][..., 2], 0.0)
    assert got.has_smpl == want.has_smpl
    if want.has_smpl:
        np.testing.assert_array_equal(got.smpl_observed, want.smpl_observed)
        for name in SMPL:
            np.testing.assert_allclose(
                getattr(got, name), getattr(want, name), rtol=0, atol=atol + 1e-12, err_msg=name
            )


def names(n: int) -> list[str]:
    return [f"{i + 1:06d}" for i in range(n)]


# ---------------------------------------------------------------------------------------------
# track_preds and shot_idcs
# ---------------------------------------------------------------------------------------------


def test_track_preds_round_trip_keeps_gaps_and_missing_smpl(tmp_path, gappy_scene):
    frame_names = names(gappy_scene.num_frames)
    write_track_preds(tmp_path / "vid", gappy_scene.tracks, frame_names)
    obs = read_track_preds(tmp_path / "vid", FrameIndex(frame_names))
    assert [o.track_id for o in obs] == ["p0", "p1"]
    for o, want in zip(obs, gappy_scene.tracks, strict=True):
        assert_tracks_equal(o.to_track(0, gappy_scene.num_frames), want)


def test_track_preds_files_use_the_original_field_names(tmp_path, gappy_scene):
    t = gappy_scene.track("p1")
    write_track_preds(tmp_path, [t], names(40))
    frame = names(40)[t.start]
    raw = json.loads((tmp_path / "p1" / f"{frame}_smpl.json").read_text())
    assert set(raw) == {"betas", "body_pose", "global_orient", "cam_trans"}
    assert np.shape(raw["body_pose"]) == (23, 3)
    got = read_smpl_json(tmp_path / "p1" / f"{frame}_smpl.json")
    np.testing.assert_array_equal(got["transl"], t.transl[0])
    kp = json.loads((tmp_path / "p1" / f"{frame}_keypoints.json").read_text())
    # slahmr/preproc/export_phalp.py:49-58 writes kps_all[i].tolist() of a (25, 3) array
    assert np.shape(kp["people"][0]["pose_keypoints_2d"]) == (25, 3)


def test_shot_idcs_round_trip(tmp_path):
    files = [f"{n}.jpg" for n in names(6)]
    write_shot_idcs(tmp_path / "seq.json", files, [0, 0, 0, 1, 1, 2])
    stems, shots = read_shot_idcs(tmp_path / "seq.json")
    assert stems == names(6)
    np.testing.assert_array_equal(shots, [0, 0, 0, 1, 1, 2])
    (tmp_path / "list.json").write_text("[0, 0, 1]")
    assert read_shot_idcs(tmp_path / "list.json")[0] is None


def test_observations_to_track_crops_to_a_frame_range(gappy_scene):
    want = gappy_scene.track("p0")
    obs = track_to_observations(want)
    cropped = obs.to_track(10, 30)
    assert cropped.start >= 0 and cropped.end <= 20
    first = 10 + cropped.start
    np.testing.assert_array_equal(
        cropped.keypoints,
        np.where(
            (want.visibility == 1)[first : first + cropped.num_frames, None, None],
            want.keypoints[first : first + cropped.num_frames],
            0.0,
        ),
    )
    assert obs.to_track(100, 120) is None


# ---------------------------------------------------------------------------------------------
# PHALP
# ---------------------------------------------------------------------------------------------


def test_crop_camera_formula_matches_the_original():
    # slahmr/preproc/export_phalp.py:90-101 with f = 1500 and the principal point at the centre
    cam = np.array([[0.8, 0.05, -0.1]])
    center, size, f = np.array([[700.0, 300.0]]), np.array([250.0]), 1500.0
    K = np.array([f, f, 960.0, 540.0])
    tz = 2 * f / (250.0 * 0.8)
    want = [0.05 + tz / f * (700 - 960), -0.1 + tz / f * (300 - 540), tz]
    np.testing.assert_allclose(crop_camera_to_full(cam, center, size, K)[0], want)
    back = full_to_crop_camera(np.array([want]), center, size, K)
    np.testing.assert_allclose(back, cam, rtol=1e-12)


def test_phalp_round_trip_needs_trust_and_keeps_everything(tmp_path, clean_scene):
    frame_names = names(40)
    shots = np.repeat([0, 1], 20)
    path = tmp_path / "seq.pkl"
    tid_map = write_phalp_pickle(
        path, clean_scene.tracks, frame_names, clean_scene.image_size, shot_ids=shots
    )
    assert tid_map == {"p0": 1, "p1": 2}
    with pytest.raises(ValueError, match=r"seq\.pkl: PHALP tracklets is a Python pickle.*trust"):
        read_phalp_pickle(path)
    ph = read_phalp_pickle(path, trust_pickle=True)
    assert ph.frame_names == frame_names
    assert ph.image_size == clean_scene.image_size
    np.testing.assert_array_equal(ph.shot_ids, shots)
    assert ph.intrinsics == "default f = 0.5 (W + H)" and ph.keypoints == "extra_data"
    assert [o.track_id for o in ph.tracks] == ["001", "002"]
    for o, want in zip(ph.tracks, clean_scene.tracks, strict=True):
        # PHALP stores float32 (rotation matrices, crop cameras)
        assert_tracks_equal(o.to_track(0, 40), want, atol=1e-4, ids=False)


def test_phalp_translation_depth_scales_with_the_focal(tmp_path, clean_scene):
    path = tmp_path / "seq.pkl"
    write_phalp_pickle(path, clean_scene.tracks, names(40), clean_scene.image_size, focal=1000.0)
    exact = read_phalp_pickle(path, trust_pickle=True, focal=1000.0).tracks[0]
    default = read_phalp_pickle(path, trust_pickle=True).tracks[0]
    np.testing.assert_allclose(exact.transl, clean_scene.tracks[0].transl, atol=1e-4)
    ratio = default.transl[:, 2] / exact.transl[:, 2]
    np.testing.assert_allclose(ratio, 0.5 * sum(clean_scene.image_size) / 1000.0, rtol=1e-12)


def _phalp_record(tid=1, tracked=(1,), rot=None):
    R = np.eye(3) if rot is None else rot
    return {
        "tid": [tid],
        "tracked_ids": list(tracked),
        "bbox": [np.array([100.0, 100.0, 80.0, 200.0])],
        "center": [np.array([140.0, 200.0])],
        "size": [np.array([480, 640])],
        "camera_bbox": [np.array([0.9, 0.0, 0.1])],
        "smpl": [
            {
                "global_orient": R[None],
                "body_pose": np.tile(np.eye(3), (23, 1, 1)),
                "betas": np.zeros(10),
            }
        ],
        "extra_data": [np.full((25, 3), 0.5)],
        "shot": 0,
    }


def _write(path, data):
    path.write_bytes(pickle.dumps(data))
    return path


def test_phalp_keeps_only_tracked_ids(tmp_path):
    data = {
        f"img/{i:06d}.jpg": _phalp_record(tid=1 if i < 2 else 4, tracked=(1,)) for i in range(3)
    }
    ph = read_phalp_pickle(_write(tmp_path / "a.pkl", data), trust_pickle=True)
    assert [o.track_id for o in ph.tracks] == ["001"]
    np.testing.assert_array_equal(ph.tracks[0].frames, [0, 1])
    assert ph.image_size == (640, 480)


def test_error_phalp_non_rotation_matrix(tmp_path):
    bad = np.diag([1.0, 1.0, 2.0])
    data = {"img/000001.jpg": _phalp_record(rot=bad)}
    with pytest.raises(ValueError, match=r"a\.pkl.*smpl\.global_orient.*not a rotation matrix"):
        read_phalp_pickle(_write(tmp_path / "a.pkl", data), trust_pickle=True)


def test_error_phalp_missing_field(tmp_path):
    rec = _phalp_record()
    del rec["camera_bbox"]
    with pytest.raises(
        ValueError, match=r"a\.pkl \[frame 'img/000001\.jpg'\]: field 'camera_bbox'"
    ):
        read_phalp_pickle(_write(tmp_path / "a.pkl", {"img/000001.jpg": rec}), trust_pickle=True)


def test_error_phalp_empty_tracks(tmp_path):
    data = {"img/000001.jpg": _phalp_record(tid=3, tracked=())}
    with pytest.raises(ValueError, match=r"a\.pkl: empty tracks"):
        read_phalp_pickle(_write(tmp_path / "a.pkl", data), trust_pickle=True)


# ---------------------------------------------------------------------------------------------
# npz
# ---------------------------------------------------------------------------------------------


def test_npz_round_trip(tmp_path, gappy_scene):
    write_npz_tracks(tmp_path, gappy_scene.tracks)
    z = np.load(tmp_path / "p0.npz")
    assert np.isnan(z["transl"]).any()  # rows without an SMPL estimate are NaN
    for o, want in zip(read_npz_tracks(tmp_path), gappy_scene.tracks, strict=True):
        assert_tracks_equal(o.to_track(0, 40), want)


def test_npz_reads_our_scene_folder_track_files(tmp_path, gappy_scene):
    save_scene(gappy_scene, tmp_path / "scene")
    obs = read_npz_tracks(tmp_path / "scene" / "tracks" / "p1.npz")[0]
    assert_tracks_equal(obs.to_track(0, 40), gappy_scene.track("p1"))


def test_npz_accepts_flat_body_pose_and_one_betas_row(tmp_path):
    n = 4
    np.savez(
        tmp_path / "a.npz",
        frames=np.array([2, 3, 5, 8]),
        global_orient=np.zeros((n, 3)),
        body_pose=np.zeros((n, 69)),
        betas=np.arange(10.0),
        transl=np.tile([0.0, 0.0, 4.0], (n, 1)),
    )
    (obs,) = read_npz_tracks(tmp_path / "a.npz")
    assert obs.body_pose.shape == (n, 23, 3) and obs.betas.shape == (n, 10)
    assert not obs.has_keypoints.any() and obs.has_smpl.all()


# ---------------------------------------------------------------------------------------------
# errors: one per kind
# ---------------------------------------------------------------------------------------------


def test_error_missing_track_folder(tmp_path):
    with pytest.raises(ValueError, match=r"track_preds.*folder not found"):
        read_track_preds(tmp_path / "track_preds")


def test_error_smpl_json_wrong_shape(tmp_path):
    path = tmp_path / "000001_smpl.json"
    data = {
        "betas": [0.0] * 10,
        "body_pose": [[0.0] * 3] * 21,
        "global_orient": [0.0] * 3,
        "cam_trans": [0.0, 0.0, 3.0],
    }
    path.write_text(json.dumps(data))
    with pytest.raises(
        ValueError,
        match=r"000001_smpl\.json: field 'body_pose' has shape "
        r"\(21, 3\), expected \(23, 3\)",
    ):
        read_smpl_json(path)


def test_error_smpl_json_missing_field(tmp_path):
    path = tmp_path / "000001_smpl.json"
    path.write_text(
        json.dumps({"betas": [0.0], "body_pose": [[0.0] * 3] * 23, "global_orient": [0.0] * 3})
    )
    with pytest.raises(ValueError, match=r"000001_smpl\.json: field 'cam_trans' missing"):
        read_smpl_json(path)


def test_error_nan_in_smpl_json(tmp_path):
    path = tmp_path / "000001_smpl.json"
    path.write_text(
        '{"betas": [0.0], "body_pose": '
        + json.dumps([[0.0] * 3] * 23)
        + ', "global_orient": [0.0, NaN, 0.0], "cam_trans": [0.0, 0.0, 3.0]}'
    )
    with pytest.raises(ValueError, match=r"000001_smpl\.json: field 'global_orient' must be fin"):
        read_smpl_json(path)


def test_error_inf_in_npz_smpl(tmp_path):
    transl = np.tile([0.0, 0.0, 4.0], (3, 1))
    transl[1, 0] = np.inf
    np.savez(
        tmp_path / "a.npz",
        frames=np.arange(3),
        global_orient=np.zeros((3, 3)),
        body_pose=np.zeros((3, 23, 3)),
        betas=np.zeros((3, 10)),
        transl=transl,
    )
    with pytest.raises(ValueError, match=r"a\.npz.*field 'transl' must be finite"):
        read_npz_tracks(tmp_path / "a.npz")


def test_error_npz_frames_mismatch(tmp_path):
    np.savez(tmp_path / "a.npz", frames=np.arange(5), keypoints=np.full((4, 25, 3), 0.5))
    with pytest.raises(ValueError, match=r"a\.npz: field 'frames' has 5 entries but the arrays"):
        read_npz_tracks(tmp_path / "a.npz")


def test_error_npz_unknown_keypoint_layout(tmp_path):
    np.savez(tmp_path / "a.npz", frames=np.arange(4), keypoints=np.full((4, 21, 3), 0.5))
    with pytest.raises(ValueError, match=r"a\.npz: field 'keypoints' has 21 joints"):
        read_npz_tracks(tmp_path / "a.npz")


def test_error_empty_track_folder(tmp_path):
    (tmp_path / "vid" / "001").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"001: empty track '001'"):
        read_track_preds(tmp_path / "vid")
    np.savez(tmp_path / "b.npz", frames=np.zeros(0, int), keypoints=np.zeros((0, 25, 3)))
    with pytest.raises(ValueError, match=r"b\.npz: empty track"):
        read_npz_tracks(tmp_path / "b.npz")


def test_error_track_with_nothing_detected():
    with pytest.raises(ValueError, match="empty track: no frame has keypoints or an SMPL"):
        TrackObservations("a", np.arange(3), np.zeros((3, 25, 3)), np.zeros(3, dtype=bool))


def test_error_shots_not_cumulative(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps({"a.jpg": 0, "b.jpg": 1, "c.jpg": 0}))
    with pytest.raises(ValueError, match=r"s\.json: shot index decreases at frame 2"):
        read_shot_idcs(tmp_path / "s.json")


def test_error_mixed_betas_lengths(tmp_path):
    for i, nb in enumerate((10, 16)):
        (tmp_path / "v" / "001").mkdir(parents=True, exist_ok=True)
        (tmp_path / "v" / "001" / f"{i:06d}_smpl.json").write_text(
            json.dumps(
                {
                    "betas": [0.0] * nb,
                    "body_pose": [[0.0] * 3] * 23,
                    "global_orient": Rotation.identity().as_rotvec().tolist(),
                    "cam_trans": [0, 0, 3.0],
                }
            )
        )
    with pytest.raises(ValueError, match=r"001: field 'betas' has different lengths \[10, 16\]"):
        read_track_preds(tmp_path / "v")
