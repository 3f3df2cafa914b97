"""The video-folder reader: layouts, manifests, shots, track selection, end-to-end, errors.

The end-to-end tests read a folder in each layout and run the naive composition on the result;
the world motion must equal the one composed from the scene the folder was written from.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from slahmr_opt.body.joint_maps import COCO17_TO_BODY25
from slahmr_opt.body.model import BodyModel
from slahmr_opt.io.folder import (
    DEFAULT_MIN_TRACK_LEN,
    NoTracksError,
    crop_scene,
    detect_layout,
    load_scene_folder,
    load_scene_folder_shots,
    read_manifest,
    select_tracks,
    write_manifest_folder,
    write_original_layout,
)
from slahmr_opt.io.scene_folder import load_scene, save_scene
from slahmr_opt.io.tracks import track_to_observations
from slahmr_opt.scene import Scene, Visibility
from slahmr_opt.solver.world_init import naive_composition
from slahmr_opt.synth.scene import make_scene
from tests.io.test_tracks import assert_tracks_equal

EMPTY = [k for k in range(25) if k not in COCO17_TO_BODY25]


@pytest.fixture(scope="module")
def gappy():
    """Two people, 40 frames, occlusions inside p0 and frames without SMPL."""
    return make_scene(2, 40, "medium", "handheld", seed=2)[0]


@pytest.fixture(scope="module")
def clean():
    """Two people, 40 frames, every track frame with keypoints and SMPL (PHALP-representable)."""
    return make_scene(2, 40, "easy", "handheld", seed=0)[0]


@pytest.fixture(scope="module")
def body():
    return BodyModel.standin()


def assert_same_cameras(got, want, atol=1e-12):
    np.testing.assert_allclose(got.R, want.R, rtol=0, atol=atol)
    np.testing.assert_allclose(got.t, want.t, rtol=0, atol=atol)
    np.testing.assert_allclose(got.intrinsics, want.intrinsics, rtol=0, atol=atol)


F32 = 1e-4
"""Tolerance for files that hold float32 (DROID's cameras.npz, PHALP's pickle), as upstream."""


def assert_same_scene(got, want, *, atol=0.0, cam_atol=1e-12, coco=False, ids=True, cameras=True):
    assert got.num_frames == want.num_frames and got.image_size == want.image_size
    assert got.fps == want.fps
    if cameras:
        assert_same_cameras(got.cameras, want.cameras, atol=max(atol, cam_atol))
    assert len(got.tracks) == len(want.tracks)
    for g, w in zip(got.tracks, want.tracks, strict=True):
        if coco:  # a COCO-17 source leaves neck, mid-hip and feet empty
            np.testing.assert_array_equal(g.keypoints[:, EMPTY, 2], 0.0)
            g = _with_keypoints(g, w)
        assert_tracks_equal(g, w, atol=atol, ids=ids)


def _with_keypoints(got, want):
    """``got`` with the empty COCO slots taken from ``want`` (to compare the rest)."""
    from slahmr_opt.scene import Track

    kp = got.keypoints.copy()
    kp[:, EMPTY] = np.where(got.visibility[:, None, None] == 1, want.keypoints[:, EMPTY], 0.0)
    fields = {n: getattr(got, n) for n in ("global_orient", "body_pose", "betas", "transl")}
    return Track(
        got.track_id,
        got.start,
        kp,
        smpl_observed=got.smpl_observed,
        visibility=got.visibility,
        **fields,
    )


def upstream_crop(scene, start, end):
    """What an upstream folder of ``scene`` gives for frames [start, end): every track spans its
    first to last detection there (the original's track interval)."""
    tracks = [track_to_observations(t).to_track(start, end) for t in scene.tracks]
    cropped = crop_scene(scene, start, end)
    return Scene(
        fps=scene.fps,
        image_size=scene.image_size,
        cameras=cropped.cameras,
        tracks=[t for t in tracks if t is not None],
    )


def assert_same_world_motion(got_scene, want_scene, body, ids=None, atol=1e-9):
    got, _ = naive_composition(got_scene, body, alpha="slam")
    want, _ = naive_composition(want_scene, body, alpha="slam")
    assert len(got) == len(want) > 0
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g.frames, w.frames)
        np.testing.assert_allclose(g.transl, w.transl, rtol=0, atol=atol)
        np.testing.assert_allclose(g.global_orient, w.global_orient, rtol=0, atol=atol)


# ---------------------------------------------------------------------------------------------
# selection
# ---------------------------------------------------------------------------------------------


def test_select_tracks_like_the_original_with_configurable_limits():
    lengths = {"001": 30, "002": 20, "003": 21, "004": 50, "005": 40}
    kept, dropped = select_tracks(lengths)  # defaults: at most 12, at least 21 frames
    assert kept == ["001", "003", "004", "005"] and "002" in dropped
    assert DEFAULT_MIN_TRACK_LEN == 21
    assert select_tracks(lengths, "longest-2")[0] == ["004", "005"]
    assert select_tracks(lengths, "all", max_tracks=3)[0] == ["001", "004", "005"]
    assert select_tracks(lengths, "all", min_track_len=1, max_tracks=None)[0] == list(lengths)
    assert select_tracks(lengths, "002,001")[0] == ["001", "002"]  # explicit: any length
    assert select_tracks(lengths, ["005"])[1]["001"] == "not requested"


# ---------------------------------------------------------------------------------------------
# our scene folder
# ---------------------------------------------------------------------------------------------


def test_scene_folder_reads_exactly_like_load_scene(tmp_path, gappy):
    save_scene(gappy, tmp_path / "s")
    assert detect_layout(tmp_path / "s") == "scene-folder"
    got = load_scene_folder(tmp_path / "s")
    want = load_scene(tmp_path / "s")
    assert_same_scene(got, want)
    assert got.provenance == want.provenance
    for g, w in zip(got.tracks, want.tracks, strict=True):
        np.testing.assert_array_equal(g.visibility, w.visibility)


def test_scene_folder_selection_and_frame_range(tmp_path, gappy):
    save_scene(gappy, tmp_path / "s")
    one = load_scene_folder(tmp_path / "s", tracks="p1")
    assert one.track_ids == ["p1"]
    assert one.provenance["folder_reader"]["selection"]["dropped"] == {"p0": "not requested"}
    visible_p0 = int(np.sum(gappy.track("p0").visibility == int(Visibility.VISIBLE)))
    long_only = load_scene_folder(tmp_path / "s", min_track_len=visible_p0 + 1)
    assert long_only.track_ids == ["p1"]
    part = load_scene_folder(tmp_path / "s", frame_range=(10, 30))
    assert part.num_frames == 20 and part.provenance["folder_reader"]["frame_range"] == [10, 30]
    np.testing.assert_array_equal(part.cameras.t, gappy.cameras.t[10:30])
    p1, want = part.track("p1"), gappy.track("p1")
    assert want.start == 0 and (p1.start, p1.num_frames) == (0, 20)
    np.testing.assert_array_equal(p1.keypoints, want.keypoints[10:30])
    np.testing.assert_array_equal(p1.smpl_observed, want.smpl_observed[10:30])
    np.testing.assert_allclose(p1.transl, want.transl[10:30], atol=1e-12)


# ---------------------------------------------------------------------------------------------
# the original layout
# ---------------------------------------------------------------------------------------------


def test_original_layout_round_trip_and_end_to_end(tmp_path, gappy, body):
    write_original_layout(tmp_path, gappy, seq="dance")
    assert (tmp_path / "slahmr" / "track_preds" / "dance" / "p0").is_dir()
    assert detect_layout(tmp_path) == "slahmr-original"
    got = load_scene_folder(tmp_path, fps=30.0, min_track_len=1)
    assert_same_scene(got, gappy, cam_atol=F32)
    assert got.name == "dance" and got.provenance["seq"] == "dance"
    assert got.provenance["frames"]["first_name"] == "000001"
    assert not got.cameras.is_static
    assert_same_world_motion(got, gappy, body, atol=F32)
    # the slahmr/ folder itself is accepted too
    slahmr = load_scene_folder(tmp_path / "slahmr", fps=30.0, min_track_len=1)
    assert_same_scene(slahmr, gappy, cam_atol=F32)


def test_original_layout_shots_split_and_choose(tmp_path, gappy):
    shots = np.repeat([0, 1], [15, 25])
    write_original_layout(tmp_path, gappy, shot_ids=shots)
    assert (tmp_path / "slahmr" / "cameras" / "seq" / "shot-1" / "cameras.npz").is_file()
    with pytest.raises(ValueError, match=r"holds 2 shots .*choose one with shot="):
        load_scene_folder(tmp_path, fps=30.0)
    second = load_scene_folder(tmp_path, fps=30.0, shot=1, min_track_len=1)
    assert second.num_frames == 25 and second.name == "seq-shot-1"
    assert_same_scene(second, upstream_crop(gappy, 15, 40), cam_atol=F32)
    scenes = load_scene_folder_shots(tmp_path, fps=30.0, min_track_len=1)
    assert sorted(scenes) == [0, 1]
    assert_same_scene(scenes[0], upstream_crop(gappy, 0, 15), cam_atol=F32)
    sub = load_scene_folder(tmp_path, fps=30.0, shot=1, frame_range=(5, 15), min_track_len=1)
    assert_same_scene(sub, upstream_crop(gappy, 20, 30), cam_atol=F32)


def test_original_layout_default_limits_drop_short_tracks(tmp_path, gappy):
    write_original_layout(tmp_path, gappy)
    with pytest.raises(NoTracksError, match=r"no track left.*min_track_len=21"):
        load_scene_folder(tmp_path, fps=30.0, frame_range=(0, 20))
    got = load_scene_folder(tmp_path, fps=30.0)
    assert got.provenance["selection"]["min_track_len"] == DEFAULT_MIN_TRACK_LEN
    assert got.provenance["selection"]["max_tracks"] == 12


def test_original_layout_without_cameras_is_static(tmp_path, gappy):
    write_original_layout(tmp_path, gappy, static=True)
    with pytest.raises(ValueError, match=r"image size unknown"):
        load_scene_folder(tmp_path, fps=30.0)
    got = load_scene_folder(tmp_path, fps=30.0, image_size=(1920, 1080), min_track_len=1)
    assert got.cameras.is_static
    np.testing.assert_array_equal(got.cameras.t, 0.0)
    np.testing.assert_allclose(got.cameras.intrinsics[0], [1500.0, 1500.0, 960.0, 540.0])
    assert got.provenance["cameras"]["missing_file"].endswith("shot-0/cameras.npz")
    assert_same_scene(got, gappy, cameras=False)


def test_original_layout_images_give_frames_and_size(tmp_path, gappy):
    import cv2

    write_original_layout(tmp_path, gappy)
    images = tmp_path / "images" / "seq"
    images.mkdir(parents=True)
    for i in range(gappy.num_frames):
        cv2.imwrite(str(images / f"{i + 1:06d}.jpg"), np.zeros((108, 192, 3), np.uint8))
    got = load_scene_folder(tmp_path, fps=30.0, min_track_len=1)
    assert got.image_size == (192, 108)
    np.testing.assert_allclose(got.cameras.intrinsics, 0.1 * gappy.cameras.intrinsics, rtol=1e-6)
    assert got.provenance["frames"]["source"] == str(images)


def test_original_layout_from_a_phalp_pickle(tmp_path, clean, body):
    from slahmr_opt.io.phalp import write_phalp_pickle
    from slahmr_opt.io.slahmr_layout import write_slahmr_cameras

    names = [f"{i + 1:06d}" for i in range(40)]
    # where SLAHMR leaves it: preproc/launch_phalp.py:53-60 renames results/demo_seq.pkl
    pkl = tmp_path / "slahmr" / "phalp_out" / "seq" / "seq.pkl"
    pkl.parent.mkdir(parents=True)
    # the crop cameras as HMR would see them through the scene's true cameras
    write_phalp_pickle(
        pkl, clean.tracks, names, clean.image_size, intrinsics=clean.cameras.intrinsics
    )
    write_slahmr_cameras(
        tmp_path / "slahmr" / "cameras" / "seq" / "shot-0" / "cameras.npz",
        clean.cameras,
        clean.image_size,
    )
    with pytest.raises(ValueError, match=r"seq\.pkl: PHALP tracklets is a Python pickle"):
        load_scene_folder(tmp_path, fps=30.0)
    got = load_scene_folder(tmp_path, fps=30.0, trust_pickle=True, min_track_len=1)
    assert got.track_ids == ["001", "002"]
    assert_same_scene(got, clean, atol=1e-4, ids=False)  # float32 in both files
    assert_same_world_motion(got, clean, body, atol=1e-4)


# ---------------------------------------------------------------------------------------------
# manifest folders
# ---------------------------------------------------------------------------------------------


def test_manifest_dpvo_openpose_npz_end_to_end(tmp_path, gappy, body):
    write_manifest_folder(
        tmp_path, gappy, cameras_format="dpvo", keypoints_format="openpose", tracks_format="npz"
    )
    m = json.loads((tmp_path / "slahmr_opt.json").read_text())
    assert (m["cameras_format"], m["keypoints_format"], m["tracks_format"]) == (
        "dpvo",
        "openpose",
        "npz",
    )
    assert "keypoints" not in np.load(tmp_path / "tracks" / "p0.npz").files
    assert detect_layout(tmp_path) == "manifest"
    got = load_scene_folder(tmp_path, min_track_len=1)
    assert_same_scene(got, gappy, atol=1e-12)
    assert got.provenance["cameras"]["format"] == "dpvo"
    assert_same_world_motion(got, gappy, body)


@pytest.mark.parametrize("cameras_format", ["tum", "megasam", "slahmr", "droid"])
def test_manifest_every_camera_format_end_to_end(tmp_path, gappy, body, cameras_format):
    write_manifest_folder(tmp_path, gappy, cameras_format=cameras_format)
    got = load_scene_folder(tmp_path, min_track_len=1)
    f32 = cameras_format == "slahmr"  # DROID's cameras.npz is float32
    assert_same_scene(got, gappy, atol=1e-12, cam_atol=F32 if f32 else 1e-12)
    assert_same_world_motion(got, gappy, body, atol=F32 if f32 else 1e-9)


def test_manifest_static_cameras(tmp_path, gappy, body):
    write_manifest_folder(tmp_path, gappy, cameras_format="static")
    got = load_scene_folder(tmp_path, min_track_len=1)
    assert got.cameras.is_static
    np.testing.assert_allclose(got.cameras.intrinsics, gappy.cameras.intrinsics)
    assert_same_scene(got, gappy, cameras=False)
    assert len(naive_composition(got, body, alpha="slam")[0]) == 2


@pytest.mark.parametrize(
    ("keypoints_format", "layout", "coco"),
    [
        ("arrays", "coco17", True),
        ("arrays", "body25", False),
        ("wham", "coco17", True),
        (None, "", False),
    ],
)
def test_manifest_every_keypoint_format_end_to_end(
    tmp_path, gappy, body, keypoints_format, layout, coco
):
    write_manifest_folder(
        tmp_path, gappy, keypoints_format=keypoints_format, keypoints_layout=layout or "coco17"
    )
    got = load_scene_folder(tmp_path, min_track_len=1, trust_pickle=True)
    atol = 1e-4 if keypoints_format == "wham" else 1e-12  # WHAM's keypoints are float32
    assert_same_scene(got, gappy, atol=atol, coco=coco)
    assert_same_world_motion(got, gappy, body)


def test_manifest_gvhmr_keypoints_for_one_person(tmp_path, body):
    scene = make_scene(1, 30, "easy", "handheld", seed=1)[0]
    write_manifest_folder(tmp_path, scene, keypoints_format="gvhmr")
    got = load_scene_folder(tmp_path, min_track_len=1)
    assert_same_scene(got, scene, atol=1e-4, coco=True)  # GVHMR saves float32
    assert_same_world_motion(got, scene, body)


@pytest.mark.parametrize("tracks_format", ["track_preds", "phalp"])
def test_manifest_every_track_format_end_to_end(tmp_path, clean, body, tracks_format):
    write_manifest_folder(tmp_path, clean, tracks_format=tracks_format, keypoints_format=None)
    got = load_scene_folder(tmp_path, min_track_len=1, trust_pickle=True)
    atol = 1e-4 if tracks_format == "phalp" else 1e-9  # PHALP stores float32
    assert_same_scene(got, clean, atol=atol, ids=tracks_format != "phalp")
    assert_same_world_motion(got, clean, body, atol=atol)


def test_manifest_shots_list(tmp_path, gappy):
    write_manifest_folder(tmp_path, gappy, shot_ids=np.repeat([0, 1], 20))
    scenes = load_scene_folder_shots(tmp_path, min_track_len=1)
    assert [s.num_frames for s in scenes.values()] == [20, 20]
    assert_same_scene(scenes[1], upstream_crop(gappy, 20, 40), atol=1e-12)


def test_manifest_with_other_names_and_conventions(tmp_path, gappy):
    """A hand-written manifest: wxyz world→camera rows in an npz, keypoints from COCO JSON."""
    from slahmr_opt.io.dpvo import cameras_to_pose7
    from slahmr_opt.io.keypoints import KeypointTrack, write_coco_results_json
    from slahmr_opt.io.npz_tracks import write_npz_tracks
    from slahmr_opt.io.tracks import track_to_observations

    np.savez(
        tmp_path / "poses.npz",
        traj=cameras_to_pose7(gappy.cameras, pose="w2c", quat_order="wxyz"),
        other=np.zeros(3),
    )
    write_npz_tracks(tmp_path / "people", gappy.tracks, keypoints=False)
    kts = []
    for t in gappy.tracks:
        o = track_to_observations(t)
        kts.append(
            KeypointTrack(t.track_id, o.frames[o.has_keypoints], o.keypoints[o.has_keypoints])
        )
    write_coco_results_json(tmp_path / "vitpose.json", kts)
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "format": "slahmr-opt-manifest",
                "version": 1,
                "fps": 30.0,
                "num_frames": 40,
                "image_size": [1920, 1080],
                "tracks": "people",
                "keypoints": "vitpose.json",
                "keypoints_format": "arrays",
                "cameras": "poses.npz",
                "cameras_format": "dpvo",
                "camera_key": "traj",
                "camera_pose": "w2c",
                "quat_order": "wxyz",
                "intrinsics": [float(v) for v in gappy.cameras.intrinsics[0]],
            }
        )
    )
    got = load_scene_folder(tmp_path, min_track_len=1)
    assert_same_scene(got, gappy, atol=1e-12, coco=True)


# ---------------------------------------------------------------------------------------------
# errors: one per kind
# ---------------------------------------------------------------------------------------------


def test_error_unknown_layout(tmp_path):
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(ValueError, match=r"unknown folder layout"):
        load_scene_folder(tmp_path)


def test_error_missing_folder(tmp_path):
    with pytest.raises(ValueError, match=r"nowhere: folder not found"):
        load_scene_folder(tmp_path / "nowhere")


def test_error_manifest_unknown_field_and_bad_values(tmp_path, gappy):
    write_manifest_folder(tmp_path, gappy)
    path = tmp_path / "slahmr_opt.json"
    m = json.loads(path.read_text())
    path.write_text(json.dumps(dict(m, camera_format="dpvo")))
    with pytest.raises(ValueError, match=r"slahmr_opt\.json: unknown field 'camera_format'"):
        read_manifest(tmp_path)
    path.write_text(json.dumps(dict(m, quat_order="zyxw")))
    with pytest.raises(ValueError, match=r"field 'quat_order' is 'zyxw', expected one of"):
        read_manifest(tmp_path)


def test_error_manifest_missing_file(tmp_path, gappy):
    write_manifest_folder(tmp_path, gappy)
    (tmp_path / "traj.txt").unlink()
    with pytest.raises(ValueError, match=r"traj\.txt: file not found"):
        load_scene_folder(tmp_path, min_track_len=1)


def test_error_frame_count_mismatch_cameras_vs_frames(tmp_path, gappy):
    write_manifest_folder(tmp_path, gappy)
    lines = (tmp_path / "traj.txt").read_text().splitlines()
    (tmp_path / "traj.txt").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(
        ValueError,
        match=r"traj\.txt: holds 39 camera poses but the video has "
        r"40 frames",
    ):
        load_scene_folder(tmp_path, min_track_len=1)


def test_error_track_frames_beyond_the_video(tmp_path, gappy):
    write_manifest_folder(tmp_path, gappy)
    m = json.loads((tmp_path / "slahmr_opt.json").read_text())
    (tmp_path / "slahmr_opt.json").write_text(json.dumps(dict(m, num_frames=30)))
    with pytest.raises(ValueError, match=r"track 'p0' has frame 39 but the video has 30 frames"):
        load_scene_folder(tmp_path, min_track_len=1)


def test_error_keypoints_of_unknown_tracks(tmp_path, gappy):
    write_manifest_folder(tmp_path, gappy)
    shutil.move(tmp_path / "openpose" / "p1", tmp_path / "openpose" / "ghost")
    with pytest.raises(ValueError, match=r"openpose: keypoints of tracks \['ghost'\]"):
        load_scene_folder(tmp_path, min_track_len=1)


def test_error_explicit_unknown_track(tmp_path, gappy):
    write_original_layout(tmp_path, gappy)
    with pytest.raises(ValueError, match=r"no track \['p7'\]"):
        load_scene_folder(tmp_path, fps=30.0, tracks="p7")


def test_error_fps_unknown(tmp_path, gappy):
    write_original_layout(tmp_path, gappy)
    with pytest.raises(ValueError, match=r"frame rate is unknown.*pass fps="):
        load_scene_folder(tmp_path)


def test_error_shot_frame_count_mismatch(tmp_path, gappy):
    write_original_layout(tmp_path, gappy, shot_ids=np.repeat([0, 1], 20))
    shots = tmp_path / "slahmr" / "shot_idcs" / "seq.json"
    data = json.loads(shots.read_text())
    data.update({k: (0 if i < 22 else 1) for i, k in enumerate(sorted(data))})
    shots.write_text(json.dumps(data))
    with pytest.raises(
        ValueError,
        match=r"shot-0/cameras\.npz: holds 20 camera poses but the "
        r"video has 22 frames \(shot 0",
    ):
        load_scene_folder(tmp_path, fps=30.0, shot=0)


def test_error_empty_tracks_folder(tmp_path):
    (tmp_path / "slahmr" / "track_preds" / "seq").mkdir(parents=True)
    (tmp_path / "slahmr" / "shot_idcs").mkdir(parents=True)
    (tmp_path / "slahmr" / "shot_idcs" / "seq.json").write_text('{"000001.jpg": 0}')
    with pytest.raises(ValueError, match=r"seq: no track folders"):
        load_scene_folder(tmp_path, fps=30.0)
