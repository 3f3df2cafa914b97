"""Synthetic scenes: exact ground truth, world frame, rigs, noise, determinism, files."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import roma
import torch

import slahmr_opt
from slahmr_opt.body import BodyModel
from slahmr_opt.body.joint_maps import LANDMARK_NAMES, smpl_to_openpose
from slahmr_opt.geometry.camera import world_to_pixels
from slahmr_opt.geometry.smpl_transform import camera_to_world_smpl
from slahmr_opt.io.scene_folder import load_ground_truth, load_scene
from slahmr_opt.scene import CONTACT_JOINTS, Visibility
from slahmr_opt.synth.cameras import CAMERA_RIGS, RigConfig, look_at, make_camera_rig
from slahmr_opt.synth.noise import NOISE_PRESETS
from slahmr_opt.synth.scene import (
    MIN_MEAN_SEPARATION_M,
    MIN_SEPARATION_M,
    MIN_TRACK_FRACTION,
    make_scene,
    write_synthetic_scene,
)

T = torch.from_numpy


@pytest.fixture(scope="module")
def body() -> BodyModel:
    return BodyModel.standin(dtype=torch.float64)


def _gt_points(body: BodyModel, person) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GT joints (T,24,3), landmarks (T,21,3), BODY_25 (T,25,3) in the world frame."""
    out = body.forward(
        T(person.global_orient),
        T(person.body_pose),
        T(person.betas),
        T(person.transl),
        landmarks=True,
    )
    body25 = smpl_to_openpose(out.joints, out.landmarks)
    return out.joints.numpy(), out.landmarks.numpy(), body25.numpy()


def _pixels(points: np.ndarray, cameras, frames: np.ndarray, alpha: float) -> np.ndarray:
    return world_to_pixels(
        T(points),
        T(cameras.R[frames]),
        T(cameras.t[frames]),
        T(cameras.intrinsics[frames]),
        alpha,
    ).numpy()


def _angle(R: np.ndarray) -> np.ndarray:
    return roma.rotmat_to_rotvec(T(np.ascontiguousarray(R))).norm(dim=-1).numpy()


# --------------------------------------------------------------------------------------------
# exact ground truth with perfect observations
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("camera", CAMERA_RIGS)
def test_noiseless_keypoints_are_the_gt_body_projected_with_the_slam_cameras(body, camera):
    scene, gt = make_scene(2, 60, "none", camera, seed=3, body=body)
    assert gt.alpha != 1.0
    for track, person in zip(scene.tracks, gt.people, strict=True):
        _, _, body25 = _gt_points(body, person)
        x = _pixels(body25, scene.cameras, person.frames, gt.alpha)
        seen = track.keypoints[..., 2] > 0
        assert seen.mean() > 0.9
        np.testing.assert_array_equal(track.keypoints[..., 2][seen], 1.0)
        assert np.abs(x - track.keypoints[..., :2])[seen].max() < 1e-6
        # the SLAM translations are the true ones divided by α (no drift)
        x_true = _pixels(body25, gt.cameras, person.frames, 1.0)
        assert np.abs(x_true - track.keypoints[..., :2])[seen].max() < 1e-6
    np.testing.assert_allclose(scene.cameras.R, gt.cameras.R, atol=1e-12)
    np.testing.assert_allclose(gt.alpha * scene.cameras.t, gt.cameras.t, atol=1e-12)


@pytest.mark.parametrize("camera", ["handheld", "orbit"])
def test_noiseless_smpl_estimates_reproduce_the_gt_world_joints(body, camera):
    scene, gt = make_scene(2, 60, "none", camera, seed=5, body=body)
    for track, person in zip(scene.tracks, gt.people, strict=True):
        visible = track.visibility == Visibility.VISIBLE
        np.testing.assert_array_equal(track.smpl_observed, visible)
        o = track.smpl_observed
        assert o.mean() > 0.9
        f = person.frames
        np.testing.assert_array_equal(track.betas[o], np.tile(person.betas, (o.sum(), 1)))
        j0 = body.joint_template(T(track.betas))[:, 0]
        go, transl = camera_to_world_smpl(
            T(scene.cameras.R[f]),
            T(scene.cameras.t[f]),
            T(track.global_orient),
            T(track.transl),
            j0,
            alpha=gt.alpha,
        )
        joints = body.joints(go, T(track.body_pose), T(track.betas), transl).numpy()
        gt_joints, _, _ = _gt_points(body, person)
        assert np.abs(joints - gt_joints)[o].max() < 1e-3
        assert np.abs(joints - gt_joints)[o].max() < 1e-9  # in fact exact


def test_the_world_is_the_first_true_camera_and_the_floor_is_tilted(body):
    scene, gt = make_scene(2, 60, "medium", "handheld", seed=1, body=body)
    np.testing.assert_array_equal(gt.cameras.R[0], np.eye(3))
    np.testing.assert_array_equal(gt.cameras.t[0], np.zeros(3))
    np.testing.assert_array_equal(scene.cameras.R[0], np.eye(3))
    np.testing.assert_array_equal(scene.cameras.t[0], np.zeros(3))
    n = gt.floor_normal
    assert np.linalg.norm(n) == pytest.approx(1.0, abs=1e-12)
    # "up" is roughly camera 0's −y, but tilted: the camera looks slightly down
    tilt = math.degrees(math.acos(np.dot(n, [0.0, -1.0, 0.0])))
    assert 1.0 < tilt < 30.0
    # camera 0 sits at the origin, 1.2–1.8 m above the floor (plus the walking bob)
    assert 1.2 - 0.03 <= -gt.floor_offset <= 1.8 + 0.03
    # the true camera centres stay at camera height above the floor
    heights = gt.cameras.centers() @ n - gt.floor_offset
    assert np.all((heights > 1.15) & (heights < 1.85))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_feet_lie_on_the_gt_floor(body, seed):
    _, gt = make_scene(3, 90, "medium", "orbit", seed=seed, body=body)
    sole = {
        "left": [LANDMARK_NAMES.index(k) for k in ("LHeel", "LBigToe", "LSmallToe")],
        "right": [LANDMARK_NAMES.index(k) for k in ("RHeel", "RBigToe", "RSmallToe")],
    }
    channels = {
        "left": [CONTACT_JOINTS.index(7), CONTACT_JOINTS.index(10)],
        "right": [CONTACT_JOINTS.index(8), CONTACT_JOINTS.index(11)],
    }
    planted = 0
    for person in gt.people:
        joints, landmarks, _ = _gt_points(body, person)
        height = landmarks @ gt.floor_normal - gt.floor_offset
        for side in ("left", "right"):
            contact = (person.contacts[:, channels[side]] > 0.5).any(axis=1)
            lowest = height[:, sole[side]].min(axis=1)
            planted += contact.sum()
            assert np.abs(lowest[contact]).max() < 0.01
        assert height.min() > -0.01  # nothing sinks into the floor
        pelvis_height = joints[:, 0] @ gt.floor_normal - gt.floor_offset
        assert np.all((pelvis_height > 0.5) & (pelvis_height < 1.3))
    assert planted > 0


# --------------------------------------------------------------------------------------------
# scale, drift and noise levels
# --------------------------------------------------------------------------------------------


def test_alpha_is_drawn_in_range(body):
    alphas = [make_scene(1, 20, "none", "handheld", seed=s, body=body)[1].alpha for s in range(8)]
    low, high = NOISE_PRESETS["medium"].alpha_range
    assert all(low <= a <= high and a != 1.0 for a in alphas)
    assert len(set(alphas)) == len(alphas)
    assert min(alphas) < 1.0 < max(alphas)


def _drift(scene, gt) -> tuple[np.ndarray, np.ndarray]:
    """Rotation error (rad) and camera-centre error (m) of the SLAM cameras at the true α."""
    rot = _angle(np.swapaxes(gt.cameras.R, -1, -2) @ scene.cameras.R)
    centres = np.linalg.norm(scene.cameras.centers(gt.alpha) - gt.cameras.centers(), axis=1)
    return rot, centres


def test_slam_drift_is_zero_at_frame_zero_grows_and_follows_the_preset(body):
    ends = []
    for preset in ("easy", "medium", "hard"):
        scene, gt = make_scene(1, 90, preset, "handheld", seed=4, body=body)
        rot, centres = _drift(scene, gt)
        assert rot[0] == 0.0 and centres[0] == 0.0
        assert rot[-1] > rot[30] > 0 and centres[-1] > centres[30] > 0
        rate = NOISE_PRESETS[preset].rot_drift_rad_per_s
        assert 0.5 * rate * 89 / 30 < rot[-1] <= rate * 89 / 30 + 1e-9
        travelled = np.linalg.norm(np.diff(gt.cameras.centers(), axis=0), axis=1).sum()
        assert centres[-1] <= NOISE_PRESETS[preset].trans_drift_fraction * travelled + 1e-9
        ends.append((rot[-1], centres[-1]))
    assert ends[0][0] < ends[1][0] < ends[2][0]
    assert ends[0][1] < ends[1][1] < ends[2][1]


def test_static_rig_has_identity_cameras_and_no_drift(body):
    scene, gt = make_scene(2, 40, "hard", "static", seed=2, body=body)
    assert scene.cameras.is_static and gt.cameras.is_static
    np.testing.assert_array_equal(scene.cameras.R, np.tile(np.eye(3), (40, 1, 1)))
    np.testing.assert_array_equal(scene.cameras.t, 0.0)
    np.testing.assert_array_equal(gt.cameras.R, scene.cameras.R)
    assert np.all(scene.cameras.intrinsics == scene.cameras.intrinsics[0])


def _observation_errors(body, scene, gt) -> dict[str, float]:
    kp_err, seen, pose_err, root_err = [], [], [], []
    for track, person in zip(scene.tracks, gt.people, strict=True):
        _, _, body25 = _gt_points(body, person)
        x = _pixels(body25, gt.cameras, person.frames, 1.0)
        conf = track.keypoints[..., 2]
        kp_err.append(np.linalg.norm(track.keypoints[..., :2] - x, axis=-1)[conf > 0])
        in_view = track.visibility == Visibility.VISIBLE
        seen.append((conf[in_view] > 0).mean())
        o = track.smpl_observed
        a = roma.rotvec_to_rotmat(T(track.body_pose[o]))
        b = roma.rotvec_to_rotmat(T(person.body_pose[o]))
        pose_err.append(_angle((a.transpose(-1, -2) @ b).numpy()).ravel())
        R = gt.cameras.R[person.frames][o]
        root_gt = R @ roma.rotvec_to_rotmat(T(person.global_orient[o])).numpy()
        root = roma.rotvec_to_rotmat(T(track.global_orient[o])).numpy()
        root_err.append(_angle(np.swapaxes(root, -1, -2) @ root_gt))
    cat = np.concatenate
    return {
        "kp_median": float(np.median(cat(kp_err))),
        "kp_residuals": cat(kp_err),
        "seen": float(np.mean(seen)),
        "pose_rms": float(np.sqrt(np.mean(cat(pose_err) ** 2))),
        "root_rms": float(np.sqrt(np.mean(cat(root_err) ** 2))),
    }


def test_scene_noise_matches_the_preset_and_orders_easy_medium_hard(body):
    stats = {}
    for preset in ("easy", "medium", "hard"):
        scene, gt = make_scene(2, 60, preset, "pan_tilt", seed=6, body=body)
        stats[preset] = _observation_errors(body, scene, gt)
    m = stats["medium"]
    # the 2D error of a detection is Rayleigh(σ): median σ·√(2 ln 2) (outliers barely move it)
    sigma = NOISE_PRESETS["medium"].keypoint_sigma_px
    assert m["kp_median"] == pytest.approx(sigma * math.sqrt(2 * math.log(2)), rel=0.1)
    assert m["pose_rms"] == pytest.approx(NOISE_PRESETS["medium"].pose_sigma_rad, rel=0.1)
    assert m["root_rms"] == pytest.approx(NOISE_PRESETS["medium"].root_sigma_rad, rel=0.3)
    outliers = (m["kp_residuals"] > 25).mean()
    assert 0.005 < outliers < 0.04
    for key in ("kp_median", "pose_rms", "root_rms"):
        assert stats["easy"][key] < stats["medium"][key] < stats["hard"][key], key
    assert stats["easy"]["seen"] > stats["medium"]["seen"] > stats["hard"]["seen"]


def test_smpl_depth_follows_the_recorded_track_bias(body):
    scene, gt = make_scene(2, 150, "medium", "handheld", seed=8, body=body)
    for track, person, record in zip(
        scene.tracks, gt.people, scene.provenance["tracks"], strict=True
    ):
        joints, _, _ = _gt_points(body, person)
        R, t = gt.cameras.R[person.frames], gt.cameras.t[person.frames]
        pelvis_cam = np.einsum("tij,tj->ti", R, joints[:, 0]) + t
        o = track.smpl_observed
        j0 = body.joint_template(T(track.betas))[:, 0].numpy()
        est = track.transl + j0
        ratio = np.log(np.linalg.norm(est[o], axis=1) / np.linalg.norm(pelvis_cam[o], axis=1))
        assert record["depth_bias"] != 0.0
        assert np.mean(ratio) == pytest.approx(record["depth_bias"], abs=0.015)
        # moved along the viewing ray: the pelvis still projects to the same pixel
        ray = pelvis_cam[o] / np.linalg.norm(pelvis_cam[o], axis=1, keepdims=True)
        ray_est = est[o] / np.linalg.norm(est[o], axis=1, keepdims=True)
        np.testing.assert_allclose(ray_est, ray, atol=1e-9)


def test_visibility_occlusions_and_missing_estimates(body):
    scene, gt = make_scene(2, 300, "hard", "handheld", seed=0, body=body)
    occluded_total = 0
    for track, person, record in zip(
        scene.tracks, gt.people, scene.provenance["tracks"], strict=True
    ):
        joints, _, _ = _gt_points(body, person)
        x = _pixels(joints[:, :1], gt.cameras, person.frames, 1.0)[:, 0]
        inside = (
            (x[:, 0] >= 0) & (x[:, 0] < scene.width) & (x[:, 1] >= 0) & (x[:, 1] < scene.height)
        )
        np.testing.assert_array_equal(track.visibility == Visibility.OUTSIDE_IMAGE, ~inside)
        occluded = np.zeros(track.num_frames, dtype=bool)
        for s, e in record["occlusions"]:
            occluded[s:e] = True
        np.testing.assert_array_equal(track.visibility == Visibility.OCCLUDED, occluded & inside)
        np.testing.assert_array_equal(track.keypoints[occluded], 0.0)
        assert not track.smpl_observed[track.visibility != Visibility.VISIBLE].any()
        visible = track.visibility == Visibility.VISIBLE
        missing = (~track.smpl_observed[visible]).mean()
        assert missing == pytest.approx(NOISE_PRESETS["hard"].smpl_missing_rate, abs=0.05)
        assert np.all(np.isfinite(track.transl))  # gaps are filled by the Track
        occluded_total += len(record["occlusions"])
    assert occluded_total >= 2


# --------------------------------------------------------------------------------------------
# camera rigs
# --------------------------------------------------------------------------------------------


def _walking_group(num_frames: int = 120, fps: float = 30.0):
    t = np.arange(num_frames) / fps
    a = np.stack([1.3 * t, np.zeros_like(t), np.full_like(t, 0.9)], axis=1)
    b = a + [0.5, 1.5, 0.0]
    return [(0, a), (20, b[20:])]


def _projects_to_centre(rig) -> np.ndarray:
    cam = np.einsum("tij,tj->ti", rig.cameras.R, rig.target) + rig.cameras.t
    K = rig.cameras.intrinsics
    uv = cam[:, :2] / cam[:, 2:] * K[:, :2] + K[:, 2:]
    return np.linalg.norm(uv - K[:, 2:], axis=1)


def test_look_at_uses_opencv_axes():
    R = look_at(np.zeros((1, 3)), np.array([[0.0, 5.0, 0.0]]))
    np.testing.assert_allclose(R[0], [[1, 0, 0], [0, 0, -1], [0, 1, 0]], atol=1e-15)
    with pytest.raises(ValueError, match="parallel"):
        look_at(np.zeros((1, 3)), np.array([[0.0, 0.0, 3.0]]))


@pytest.mark.parametrize("kind", CAMERA_RIGS)
def test_every_rig_is_at_standing_height_looking_slightly_down(kind):
    cfg = RigConfig()
    for seed in range(5):
        rig = make_camera_rig(kind, _walking_group(), 120, 30.0, (1920, 1080), seed)
        bob = cfg.bob_m[1] if kind == "handheld" else 0.0
        assert np.all(rig.eye[:, 2] >= cfg.height_range[0] - bob)
        assert np.all(rig.eye[:, 2] <= cfg.height_range[1] + bob)
        forward = rig.cameras.R[:, 2]  # optical axis in the floor frame
        pitch = np.degrees(np.arcsin(-forward[:, 2]))
        assert np.all((pitch > 0) & (pitch < 15))
        np.testing.assert_allclose(rig.cameras.centers(), rig.eye, atol=1e-9)
        fx, fy, cx, cy = rig.cameras.intrinsics.T
        assert np.all(fx == fy) and np.all(fx == fx[0])
        assert 0.8 * 1500 <= fx[0] <= 1.2 * 1500
        assert np.all(cx == 960) and np.all(cy == 540)


def test_static_rig_is_one_camera_that_sees_the_whole_path():
    tracks = _walking_group()
    rig = make_camera_rig("static", tracks, 120, 30.0, (1920, 1080), seed=0)
    assert rig.cameras.is_static
    np.testing.assert_array_equal(rig.cameras.R, np.broadcast_to(rig.cameras.R[0], (120, 3, 3)))
    np.testing.assert_array_equal(rig.cameras.t, np.broadcast_to(rig.cameras.t[0], (120, 3)))
    for start, pelvis in tracks:
        f = np.arange(start, start + len(pelvis))
        cam = np.einsum("tij,tj->ti", rig.cameras.R[f], pelvis) + rig.cameras.t[f]
        u = cam[:, 0] / cam[:, 2] * rig.cameras.intrinsics[0, 0] + 960
        assert np.all((u > 0) & (u < 1920))


def test_pan_tilt_rig_turns_from_a_fixed_place():
    rig = make_camera_rig("pan_tilt", _walking_group(), 120, 30.0, (1920, 1080), seed=1)
    assert not rig.cameras.is_static
    np.testing.assert_allclose(rig.eye, np.broadcast_to(rig.eye[0], rig.eye.shape), atol=1e-12)
    turn = _angle(np.swapaxes(rig.cameras.R[0], -1, -2) @ rig.cameras.R[-1])
    assert turn > math.radians(10)
    assert _projects_to_centre(rig).max() < 1e-6


def test_handheld_rig_walks_along_with_shake_and_bob():
    tracks = _walking_group()
    rig = make_camera_rig("handheld", tracks, 120, 30.0, (1920, 1080), seed=2)
    travel = np.linalg.norm(rig.eye[-1, :2] - rig.eye[0, :2])
    assert travel > 2.0  # follows the people (4 s at 1.3 m/s)
    distance = np.linalg.norm(rig.eye[:, :2] - rig.target[:, :2], axis=1)
    assert np.all((distance > 3.5) & (distance < 10.5))
    # bob: the height oscillates by a few centimetres
    assert 0.01 < np.ptp(rig.eye[:, 2]) < 0.06
    # shake: the target is near, but not exactly at, the image centre
    off = _projects_to_centre(rig)
    assert 0.5 < off.max() < 60.0


def test_orbit_rig_circles_the_people():
    rig = make_camera_rig("orbit", _walking_group(), 120, 30.0, (1920, 1080), seed=3)
    radius = np.linalg.norm(rig.eye[:, :2] - rig.target[:, :2], axis=1)
    np.testing.assert_allclose(radius, rig.params["radius"], rtol=1e-12)
    np.testing.assert_allclose(rig.eye[:, 2], rig.eye[0, 2], atol=1e-12)
    bearing = np.unwrap(np.arctan2(*(rig.eye[:, :2] - rig.target[:, :2]).T[::-1]))
    swept = abs(bearing[-1] - bearing[0])
    assert swept == pytest.approx(abs(rig.params["angular_speed_rad_per_s"]) * 119 / 30)
    assert swept > math.radians(30)
    assert _projects_to_centre(rig).max() < 1e-6


def test_unknown_rig_raises():
    with pytest.raises(ValueError, match="camera"):
        make_camera_rig("drone", _walking_group(), 120, 30.0, (1920, 1080), seed=0)


@pytest.mark.parametrize("camera", CAMERA_RIGS)
def test_every_rig_keeps_the_people_in_view(body, camera):
    fractions = []
    for seed in range(4):
        scene, _ = make_scene(2, 90, "none", camera, seed=seed, body=body)
        fractions += [(t.visibility != Visibility.OUTSIDE_IMAGE).mean() for t in scene.tracks]
    assert np.mean(np.array(fractions) > 0.8) >= 0.85


# --------------------------------------------------------------------------------------------
# people, tracks, determinism, files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("num_people", [1, 2, 3, 4])
def test_tracks_have_their_own_frame_ranges_and_keep_apart(body, num_people):
    scene, gt = make_scene(num_people, 60, "medium", "handheld", seed=num_people, body=body)
    assert len(scene.tracks) == len(gt.people) == num_people
    assert scene.track_ids == gt.track_ids == [f"p{k}" for k in range(num_people)]
    assert (scene.tracks[0].start, scene.tracks[0].end) == (0, 60)
    pelvis = {}
    for track, person in zip(scene.tracks, gt.people, strict=True):
        assert 0 <= track.start < track.end <= 60
        assert track.num_frames >= math.ceil(MIN_TRACK_FRACTION * 60)
        np.testing.assert_array_equal(person.frames, track.frames)
        pelvis[track.track_id] = (track.start, _gt_points(body, person)[0][:, 0])
    up = gt.floor_normal
    ids = list(pelvis)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            (sa, pa), (sb, pb) = pelvis[a], pelvis[b]
            lo, hi = max(sa, sb), min(sa + len(pa), sb + len(pb))
            if hi <= lo:
                continue
            d = pa[lo - sa : hi - sa] - pb[lo - sb : hi - sb]
            d = np.linalg.norm(d - np.outer(d @ up, up), axis=1)  # floor-plane distance
            assert d.min() >= MIN_SEPARATION_M - 1e-9
            assert d.mean() >= MIN_MEAN_SEPARATION_M - 1e-9


def test_some_tracks_start_late_or_end_early(body):
    ranges = []
    for seed in range(4):
        scene, _ = make_scene(3, 60, "none", "handheld", seed=seed, body=body)
        ranges += [(t.start, t.end) for t in scene.tracks[1:]]
    assert any(s > 0 for s, _ in ranges) and any(e < 60 for _, e in ranges)


def _arrays(scene, gt) -> list[np.ndarray]:
    out = [scene.cameras.R, scene.cameras.t, scene.cameras.intrinsics, gt.cameras.R, gt.cameras.t]
    for track, person in zip(scene.tracks, gt.people, strict=True):
        out += [
            track.keypoints,
            track.global_orient,
            track.body_pose,
            track.betas,
            track.transl,
            track.smpl_observed,
            track.visibility,
        ]
        out += [
            person.global_orient,
            person.body_pose,
            person.betas,
            person.transl,
            person.contacts,
        ]
    return out + [np.array([gt.alpha, gt.floor_offset]), gt.floor_normal]


def test_same_seed_same_scene_other_seed_other_scene(body):
    a = make_scene(2, 40, "medium", "orbit", seed=11, body=body)
    b = make_scene(2, 40, "medium", "orbit", seed=11, body=body)
    c = make_scene(2, 40, "medium", "orbit", seed=12, body=body)
    for x, y in zip(_arrays(*a), _arrays(*b), strict=True):
        np.testing.assert_array_equal(x, y)
    assert a[0].provenance == b[0].provenance
    assert not np.array_equal(a[0].tracks[0].keypoints, c[0].tracks[0].keypoints)
    assert a[1].alpha != c[1].alpha


def test_provenance(body):
    scene, _ = make_scene(2, 30, "easy", "pan_tilt", seed=9, body=body)
    p = scene.provenance
    assert p["generator"] == "slahmr_opt.synth.scene.make_scene"
    assert p["library_version"] == slahmr_opt.__version__
    assert (p["preset"], p["camera_rig"], p["seed"], p["num_people"]) == ("easy", "pan_tilt", 9, 2)
    assert p["noise"]["keypoint_sigma_px"] == NOISE_PRESETS["easy"].keypoint_sigma_px
    assert [r["track_id"] for r in p["tracks"]] == scene.track_ids
    assert all(r["motion_kind"] in p["motion"]["kinds"] for r in p["tracks"])


def test_save_load_round_trip(body, tmp_path):
    out = write_synthetic_scene(
        tmp_path / "scene",
        num_people=2,
        num_frames=40,
        preset="medium",
        camera="handheld",
        seed=1,
        body=body,
    )
    scene, gt = make_scene(2, 40, "medium", "handheld", seed=1, body=body)
    loaded, loaded_gt = load_scene(out), load_ground_truth(out)
    for x, y in zip(_arrays(scene, gt), _arrays(loaded, loaded_gt), strict=True):
        np.testing.assert_array_equal(x, y)
    assert loaded.provenance == scene.provenance
    assert (loaded.fps, loaded.image_size, loaded.name) == (scene.fps, scene.image_size, scene.name)


def _gliding_clip(body: BodyModel, num_frames: int, seed: int):
    """A rigid rest-pose body standing upright and gliding at constant velocity."""
    rng = np.random.default_rng(seed)
    betas = rng.normal(scale=0.5, size=10)
    go = np.tile([math.pi / 2, 0.0, 0.0], (num_frames, 1))  # SMPL y-up → z-up
    _, landmarks = body.keypoints(T(go[:1]), torch.zeros(1, 23, 3, dtype=torch.float64), T(betas))
    transl = np.zeros((num_frames, 3))
    transl[:, 1] = 1.1 * np.arange(num_frames) / 30.0
    transl[:, 2] = -landmarks[0, :, 2].min().item()
    return SimpleNamespace(
        kind="glide",
        fps=30.0,
        global_orient=go,
        body_pose=np.zeros((num_frames, 23, 3)),
        betas=betas,
        transl=transl,
        contacts=np.zeros((num_frames, 9)),
    )


def test_custom_motion_source(body):
    scene, gt = make_scene(2, 45, "none", "handheld", seed=0, body=body, motion=_gliding_clip)
    assert scene.provenance["motion"] == {"source": "_gliding_clip"}
    assert [r["motion_kind"] for r in scene.provenance["tracks"]] == ["glide", "glide"]
    for person in gt.people:
        speed = np.linalg.norm(np.diff(person.transl, axis=0), axis=1) * 30.0
        np.testing.assert_allclose(speed, 1.1, rtol=1e-9)  # placed rigidly
        _, landmarks, _ = _gt_points(body, person)
        height = landmarks @ gt.floor_normal - gt.floor_offset
        assert abs(height.min()) < 1e-6


def test_bad_motion_clips_raise(body):
    def short(body, n, seed):
        return _gliding_clip(body, n - 1, seed)

    def fast(body, n, seed):
        clip = _gliding_clip(body, n, seed)
        clip.fps = 60.0
        return clip

    with pytest.raises(ValueError, match="global_orient has shape"):
        make_scene(1, 20, "none", "static", seed=0, body=body, motion=short)
    with pytest.raises(ValueError, match="fps"):
        make_scene(1, 20, "none", "static", seed=0, body=body, motion=fast)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_people": 0}, "num_people"),
        ({"num_people": 5}, "num_people"),
        ({"num_frames": 5}, "num_frames"),
        ({"camera": "drone"}, "camera"),
        ({"preset": "extreme"}, "preset"),
        ({"fps": 0.0}, "fps"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_raise(body, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_scene(**{"num_frames": 20, "body": body, **kwargs})
