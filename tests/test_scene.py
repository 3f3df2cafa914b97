"""Tests of the Scene data model: construction, validation, gap filling, cameras."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from slahmr_opt.scene import (
    CONTACT_JOINTS,
    Cameras,
    GroundTruth,
    PersonMotion,
    Scene,
    Track,
    Visibility,
    fill_unobserved_linear,
    fill_unobserved_rotations,
)


def random_cameras(num_frames: int, seed: int = 0, is_static: bool = False) -> Cameras:
    rng = np.random.default_rng(seed)
    R = Rotation.random(num_frames, random_state=seed).as_matrix()
    t = rng.normal(size=(num_frames, 3))
    intrinsics = np.tile([500.0, 510.0, 320.0, 240.0], (num_frames, 1))
    intrinsics[:, :2] += rng.uniform(0, 5, size=(num_frames, 2))
    return Cameras(R=R, t=t, intrinsics=intrinsics, is_static=is_static)


def make_track(
    track_id: str = "p1", start: int = 0, num_frames: int = 12, smpl: bool = True, seed: int = 0
) -> Track:
    rng = np.random.default_rng(seed)
    kp = np.empty((num_frames, 25, 3))
    kp[..., 0] = rng.uniform(0, 640, size=(num_frames, 25))
    kp[..., 1] = rng.uniform(0, 480, size=(num_frames, 25))
    kp[..., 2] = rng.uniform(0, 1, size=(num_frames, 25))
    if not smpl:
        return Track(track_id, start, kp)
    return Track(
        track_id,
        start,
        kp,
        global_orient=rng.normal(scale=0.5, size=(num_frames, 3)),
        body_pose=rng.normal(scale=0.2, size=(num_frames, 23, 3)),
        betas=rng.normal(size=(num_frames, 10)),
        transl=rng.normal(size=(num_frames, 3)) + [0, 0, 4],
    )


def track_kwargs(num_frames: int = 12, seed: int = 0) -> dict:
    t = make_track(num_frames=num_frames, seed=seed)
    return {
        "track_id": "p1",
        "start": 0,
        "keypoints": t.keypoints,
        "global_orient": t.global_orient,
        "body_pose": t.body_pose,
        "betas": t.betas,
        "transl": t.transl,
    }


def make_scene(num_frames: int = 30) -> Scene:
    return Scene(
        fps=30.0,
        image_size=(640, 480),
        cameras=random_cameras(num_frames),
        tracks=[make_track("p1", 0, 12), make_track("p2", 5, 25, smpl=False, seed=1)],
        name="test",
        provenance={"tool": "unit-test", "seed": 3},
    )


# ------------------------------------------------------------------------------------------
# valid construction
# ------------------------------------------------------------------------------------------


def test_valid_scene_properties():
    scene = make_scene(30)
    assert scene.num_frames == 30
    assert scene.track_ids == ["p1", "p2"]
    assert (scene.width, scene.height) == (640, 480)
    p2 = scene.track("p2")
    assert p2.start == 5 and p2.end == 30 and p2.num_frames == 25
    np.testing.assert_array_equal(p2.frames, np.arange(5, 30))
    assert not p2.has_smpl and p2.global_orient is None
    assert p2.smpl_observed.dtype == bool and not p2.smpl_observed.any()
    assert scene.track("p1").has_smpl and scene.track("p1").smpl_observed.all()
    with pytest.raises(KeyError, match="p3"):
        scene.track("p3")


def test_arrays_are_float64_copies():
    kw = track_kwargs()
    kw["keypoints"] = kw["keypoints"].astype(np.float32)
    kw["transl"][3] = np.nan
    track = Track(**kw, smpl_observed=np.arange(12) != 3)
    assert track.keypoints.dtype == np.float64 and track.transl.dtype == np.float64
    assert np.isnan(kw["transl"][3]).all(), "the caller's array must not be modified"
    assert np.isfinite(track.transl).all()
    assert not np.shares_memory(track.body_pose, kw["body_pose"])


def test_default_visibility_from_confidence():
    kw = track_kwargs()
    kw["keypoints"][4, :, 2] = 0.0
    track = Track(**kw)
    assert track.visibility.dtype == np.int8
    expected = np.full(12, Visibility.VISIBLE, dtype=np.int8)
    expected[4] = Visibility.OCCLUDED
    np.testing.assert_array_equal(track.visibility, expected)


def test_explicit_visibility_and_keypoints_outside_image_allowed():
    kw = track_kwargs()
    kw["keypoints"][0, :, 0] = -50.0  # left of the image
    vis = np.ones(12, dtype=np.int64)
    vis[0] = Visibility.OUTSIDE_IMAGE
    track = Track(**kw, visibility=vis)
    assert track.visibility.dtype == np.int8 and track.visibility[0] == -1
    scene = Scene(30.0, (640, 480), random_cameras(12), [track])
    assert scene.track("p1").keypoints[0, 0, 0] == -50.0


def test_scene_provenance_is_normalised_through_json():
    scene = Scene(
        30, (640, 480), random_cameras(12), [make_track()], provenance={"noise": (0.1, 0.2)}
    )
    assert scene.provenance == {"noise": [0.1, 0.2]}
    assert isinstance(scene.fps, float) and scene.image_size == (640, 480)


# ------------------------------------------------------------------------------------------
# track validation: one test per error, the message names the field and the track
# ------------------------------------------------------------------------------------------


def _nan_at_observed(kw):
    kw["body_pose"][2, 5, 1] = np.nan
    kw["smpl_observed"] = np.ones(12, dtype=bool)


TRACK_ERRORS = [
    (
        "keypoints_joints",
        lambda kw: kw.update(keypoints=np.zeros((12, 17, 3))),
        r"track 'p1': keypoints has shape \(12, 17, 3\), expected \(T_i, 25, 3\)",
    ),
    (
        "body_pose_frames",
        lambda kw: kw.update(body_pose=np.zeros((10, 23, 3))),
        r"track 'p1': body_pose has shape \(10, 23, 3\), expected \(T_i, 23, 3\) with T_i = 12",
    ),
    (
        "global_orient_shape",
        lambda kw: kw.update(global_orient=np.zeros((12, 4))),
        r"track 'p1': global_orient has shape \(12, 4\), expected \(T_i, 3\) with T_i = 12",
    ),
    (
        "betas_ndim",
        lambda kw: kw.update(betas=np.zeros(10)),
        r"track 'p1': betas has shape \(10,\), expected \(T_i, B\)",
    ),
    (
        "betas_empty",
        lambda kw: kw.update(betas=np.zeros((12, 0))),
        r"track 'p1': betas .*B ≥ 1",
    ),
    (
        "transl_shape",
        lambda kw: kw.update(transl=np.zeros((13, 3))),
        r"track 'p1': transl has shape \(13, 3\), expected \(T_i, 3\) with T_i = 12",
    ),
    (
        "partial_smpl",
        lambda kw: kw.update(transl=None),
        r"track 'p1': SMPL fields must be all given or all None; missing \['transl'\]",
    ),
    (
        "confidence_range",
        lambda kw: kw["keypoints"].__setitem__((3, 7, 2), 1.5),
        r"track 'p1': keypoints confidence must lie in \[0, 1\].*frame 3, joint 7",
    ),
    (
        "keypoints_finite",
        lambda kw: kw["keypoints"].__setitem__((3, 7, 0), np.inf),
        r"track 'p1': keypoints must be finite",
    ),
    (
        "no_observed_smpl",
        lambda kw: kw.update(smpl_observed=np.zeros(12, dtype=bool)),
        r"track 'p1': smpl_observed must mark at least one observed SMPL frame",
    ),
    (
        "nan_where_observed",
        _nan_at_observed,
        r"track 'p1': body_pose must be finite where smpl_observed",
    ),
    (
        "smpl_observed_shape",
        lambda kw: kw.update(smpl_observed=np.ones(11, dtype=bool)),
        r"track 'p1': smpl_observed has shape \(11,\), expected \(T_i,\) with T_i = 12",
    ),
    (
        "smpl_observed_dtype",
        lambda kw: kw.update(smpl_observed=np.ones(12)),
        r"track 'p1': smpl_observed must be bool",
    ),
    (
        "visibility_code",
        lambda kw: kw.update(visibility=np.full(12, 2, dtype=np.int8)),
        r"track 'p1': visibility holds codes \[2\]",
    ),
    (
        "visibility_shape",
        lambda kw: kw.update(visibility=np.ones(5, dtype=np.int8)),
        r"track 'p1': visibility has shape \(5,\), expected \(T_i,\) with T_i = 12",
    ),
    (
        "negative_start",
        lambda kw: kw.update(start=-1),
        r"track 'p1': start must be ≥ 0",
    ),
    (
        "float_start",
        lambda kw: kw.update(start=1.5),
        r"track 'p1': start must be an integer",
    ),
    (
        "empty_track",
        lambda kw: kw.update(
            keypoints=np.zeros((0, 25, 3)),
            global_orient=None,
            body_pose=None,
            betas=None,
            transl=None,
        ),
        r"track 'p1': keypoints must hold at least one frame",
    ),
    (
        "observed_without_smpl",
        lambda kw: kw.update(
            global_orient=None,
            body_pose=None,
            betas=None,
            transl=None,
            smpl_observed=np.ones(12, dtype=bool),
        ),
        r"track 'p1': smpl_observed marks frames but no SMPL is given",
    ),
    (
        "bad_id",
        lambda kw: kw.update(track_id="../evil"),
        r"track id '../evil' is invalid",
    ),
]


@pytest.mark.parametrize(
    "mutate, message", [e[1:] for e in TRACK_ERRORS], ids=[e[0] for e in TRACK_ERRORS]
)
def test_track_validation_errors(mutate, message):
    kw = track_kwargs()
    mutate(kw)
    with pytest.raises(ValueError, match=message):
        Track(**kw)


# ------------------------------------------------------------------------------------------
# camera and scene validation
# ------------------------------------------------------------------------------------------


def _reflect(c):
    c["R"][4] = c["R"][4] @ np.diag([1.0, 1.0, -1.0])


def _skew(c):
    c["R"][2] = c["R"][2] * 1.01


CAMERA_ERRORS = [
    ("R_shape", lambda c: c.update(R=np.zeros((5, 3, 4))), r"cameras: R has shape \(5, 3, 4\)"),
    (
        "t_shape",
        lambda c: c.update(t=np.zeros((4, 3))),
        r"cameras: t has shape \(4, 3\), expected \(T, 3\) with T = 5",
    ),
    (
        "intrinsics_shape",
        lambda c: c.update(intrinsics=np.ones((5, 3))),
        r"cameras: intrinsics has shape \(5, 3\), expected \(T, 4\) with T = 5",
    ),
    ("reflection", _reflect, r"cameras: R\[4\] is not a proper rotation .*det = -1"),
    ("not_orthonormal", _skew, r"cameras: R\[2\] is not a proper rotation"),
    ("t_finite", lambda c: c["t"].__setitem__((1, 0), np.nan), r"cameras: t must be finite"),
    (
        "focal_positive",
        lambda c: c["intrinsics"].__setitem__((3, 1), 0.0),
        r"cameras: intrinsics\[3\] has fx, fy = .*expected fx > 0 and fy > 0",
    ),
    ("is_static_type", lambda c: c.update(is_static="yes"), r"cameras: is_static must be a bool"),
]


@pytest.mark.parametrize(
    "mutate, message", [e[1:] for e in CAMERA_ERRORS], ids=[e[0] for e in CAMERA_ERRORS]
)
def test_camera_validation_errors(mutate, message):
    cams = random_cameras(5)
    c = {"R": cams.R, "t": cams.t, "intrinsics": cams.intrinsics, "is_static": False}
    mutate(c)
    with pytest.raises(ValueError, match=message):
        Cameras(**c)


def test_cameras_accept_small_rotation_noise():
    cams = random_cameras(3)
    noisy = cams.R + 1e-6 * np.random.default_rng(0).normal(size=cams.R.shape)
    Cameras(noisy, cams.t, cams.intrinsics)


SCENE_ERRORS = [
    ("fps", lambda s: s.update(fps=0.0), r"scene: fps must be a positive finite number"),
    ("fps_nan", lambda s: s.update(fps=float("nan")), r"scene: fps must be a positive"),
    ("image_size", lambda s: s.update(image_size=(640, 0)), r"scene: image_size must be positive"),
    ("image_size_len", lambda s: s.update(image_size=(640,)), r"scene: image_size must be"),
    ("no_tracks", lambda s: s.update(tracks=[]), r"scene: tracks must hold at least one Track"),
    (
        "duplicate_ids",
        lambda s: s.update(tracks=[make_track("p1"), make_track("p1", seed=2)]),
        r"scene: track id 'p1' appears more than once",
    ),
    (
        "track_beyond_cameras",
        lambda s: s.update(tracks=[make_track("p7", start=25, num_frames=10)]),
        r"track 'p7': frames \[25, 35\) must lie inside the scene frames \[0, 30\)",
    ),
    (
        "provenance",
        lambda s: s.update(provenance={"array": np.zeros(2)}),
        r"scene: provenance must be JSON-serialisable",
    ),
    (
        "cameras_type",
        lambda s: s.update(cameras=np.eye(4)),
        r"scene: cameras must be a Cameras",
    ),
]


@pytest.mark.parametrize(
    "mutate, message", [e[1:] for e in SCENE_ERRORS], ids=[e[0] for e in SCENE_ERRORS]
)
def test_scene_validation_errors(mutate, message):
    s = {
        "fps": 30.0,
        "image_size": (640, 480),
        "cameras": random_cameras(30),
        "tracks": [make_track()],
    }
    mutate(s)
    with pytest.raises(ValueError, match=message):
        Scene(**s)


# ------------------------------------------------------------------------------------------
# gap filling
# ------------------------------------------------------------------------------------------


def _true_smpl(num_frames: int, seed: int = 0):
    """Rotations about fixed axes at constant angular speed, linear translation and betas."""
    rng = np.random.default_rng(seed)
    axes = rng.normal(size=(24, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    speed = rng.uniform(-0.25, 0.25, size=24)  # rad / frame
    phase = rng.uniform(-1, 1, size=24)
    f = np.arange(num_frames, dtype=float)
    angles = phase[None] + speed[None] * f[:, None]  # (T, 24)
    # canonical axis-angle (angle in [0, π]): the vectors jump where the angle wraps, so only a
    # rotation-aware interpolation is exact
    rotvecs = Rotation.from_rotvec((angles[..., None] * axes[None]).reshape(-1, 3)).as_rotvec()
    rotvecs = rotvecs.reshape(num_frames, 24, 3)
    transl = np.array([0.1, -0.2, 5.0]) + np.outer(f, [0.03, 0.001, -0.02])
    betas = np.outer(np.ones(num_frames), rng.normal(size=10)) + np.outer(f, np.full(10, 0.01))
    return rotvecs, transl, betas


def test_gap_filling_recovers_constant_speed_rotation_and_linear_motion():
    n = 40
    rotvecs, transl, betas = _true_smpl(n)
    observed = np.ones(n, dtype=bool)
    observed[[3, 4, 5, 10, 20, 21, 22, 23, 30]] = False
    kw = track_kwargs(n)
    go = rotvecs[:, 0].copy()
    bp = rotvecs[:, 1:].copy()
    tr, be = transl.copy(), betas.copy()
    for a in (go, bp, tr, be):
        a[~observed] = np.nan
    track = Track("p1", 2, kw["keypoints"], go, bp, be, tr, smpl_observed=observed)

    np.testing.assert_array_equal(track.smpl_observed, observed)
    rot = np.concatenate([track.global_orient[:, None], track.body_pose], axis=1)
    got = Rotation.from_rotvec(rot.reshape(-1, 3)).as_matrix()
    want = Rotation.from_rotvec(rotvecs.reshape(-1, 3)).as_matrix()
    np.testing.assert_allclose(got, want, atol=1e-10)
    # the data is such that interpolating the axis-angle vectors linearly would be wrong
    naive = fill_unobserved_linear(np.where(observed[:, None, None], rotvecs, np.nan), observed)
    naive_m = Rotation.from_rotvec(naive.reshape(-1, 3)).as_matrix()
    assert np.abs(naive_m - want).max() > 1e-2
    np.testing.assert_allclose(track.transl, transl, atol=1e-12)
    np.testing.assert_allclose(track.betas, betas, atol=1e-12)
    # observed frames are kept bit-identical
    np.testing.assert_array_equal(track.global_orient[observed], rotvecs[observed, 0])
    np.testing.assert_array_equal(track.transl[observed], transl[observed])


def test_gap_filling_holds_nearest_value_outside_the_observed_range():
    n = 10
    rotvecs, transl, betas = _true_smpl(n, seed=1)
    observed = np.zeros(n, dtype=bool)
    observed[3:7] = True
    filled_t = fill_unobserved_linear(np.where(observed[:, None], transl, np.nan), observed)
    np.testing.assert_array_equal(filled_t[:3], np.repeat(transl[3:4], 3, axis=0))
    np.testing.assert_array_equal(filled_t[7:], np.repeat(transl[6:7], 3, axis=0))
    filled_r = fill_unobserved_rotations(np.where(observed[:, None, None], rotvecs, 0.0), observed)
    np.testing.assert_array_equal(filled_r[0], rotvecs[3])
    np.testing.assert_array_equal(filled_r[9], rotvecs[6])


def test_default_observed_mask_from_nan_and_fill_is_idempotent():
    kw = track_kwargs(15)
    kw["transl"][[0, 7]] = np.nan
    kw["body_pose"][11, 4] = np.nan
    track = Track(**kw)
    expected = np.ones(15, dtype=bool)
    expected[[0, 7, 11]] = False
    np.testing.assert_array_equal(track.smpl_observed, expected)
    assert np.isfinite(track.transl).all() and np.isfinite(track.body_pose).all()
    # rebuilding from the filled arrays reproduces them exactly (needed for exact round trips)
    again = Track(
        "p1",
        0,
        track.keypoints,
        track.global_orient,
        track.body_pose,
        track.betas,
        track.transl,
        smpl_observed=track.smpl_observed,
    )
    for name in ("global_orient", "body_pose", "betas", "transl"):
        np.testing.assert_array_equal(getattr(again, name), getattr(track, name))


# ------------------------------------------------------------------------------------------
# cameras
# ------------------------------------------------------------------------------------------


def test_w2c_c2w_round_trip_and_centers():
    cams = random_cameras(6, seed=4)
    w2c, c2w = cams.w2c(), cams.c2w()
    np.testing.assert_allclose(w2c @ c2w, np.tile(np.eye(4), (6, 1, 1)), atol=1e-12)
    again = Cameras.from_w2c(w2c, cams.intrinsics)
    np.testing.assert_array_equal(again.R, cams.R)
    np.testing.assert_array_equal(again.t, cams.t)
    from_pose = Cameras.from_c2w(c2w, cams.intrinsics)
    np.testing.assert_allclose(from_pose.R, cams.R, atol=1e-12)
    np.testing.assert_allclose(from_pose.t, cams.t, atol=1e-12)
    # the centre maps to the camera origin: R c + α t = 0, and equals the c2w translation at α=1
    alpha = 2.5
    c = cams.centers(alpha)
    np.testing.assert_allclose(np.einsum("tij,tj->ti", cams.R, c) + alpha * cams.t, 0, atol=1e-12)
    np.testing.assert_allclose(cams.centers(), c2w[:, :3, 3], atol=1e-12)


def test_from_w2c_rejects_bad_bottom_row_and_broadcasts_intrinsics():
    w2c = np.tile(np.eye(4), (3, 1, 1))
    cams = Cameras.from_w2c(w2c, np.array([400.0, 400.0, 200.0, 100.0]))
    assert cams.intrinsics.shape == (3, 4)
    w2c[1, 3, 0] = 0.5
    with pytest.raises(ValueError, match=r"cameras: w2c\[1\] bottom row"):
        Cameras.from_w2c(w2c, np.ones((3, 4)))


def test_K_projects_like_intrinsics():
    cams = random_cameras(4, seed=2)
    K = cams.K()
    X = np.array([0.3, -0.2, 2.0])
    uvw = K @ X
    fx, fy, cx, cy = cams.intrinsics.T
    np.testing.assert_allclose(uvw[:, 0] / uvw[:, 2], fx * 0.15 + cx)
    np.testing.assert_allclose(uvw[:, 1] / uvw[:, 2], fy * -0.1 + cy)


def test_static_cameras():
    cams = Cameras.static(7, 640, 480)
    assert cams.is_static and cams.num_frames == 7
    np.testing.assert_array_equal(cams.R, np.tile(np.eye(3), (7, 1, 1)))
    np.testing.assert_array_equal(cams.t, np.zeros((7, 3)))
    np.testing.assert_array_equal(cams.intrinsics[0], [560.0, 560.0, 320.0, 240.0])
    np.testing.assert_array_equal(cams.centers(3.0), np.zeros((7, 3)))
    assert Cameras.static(2, 100, 50, focal=80.0).intrinsics[1, 0] == 80.0
    with pytest.raises(ValueError, match="cameras: num_frames"):
        Cameras.static(0, 640, 480)


# ------------------------------------------------------------------------------------------
# ground truth
# ------------------------------------------------------------------------------------------


def person_kwargs(num_frames: int = 8, start: int = 2) -> dict:
    rng = np.random.default_rng(5)
    return {
        "track_id": "p1",
        "frames": np.arange(start, start + num_frames),
        "global_orient": rng.normal(size=(num_frames, 3)),
        "body_pose": rng.normal(size=(num_frames, 23, 3)),
        "betas": rng.normal(size=10),
        "transl": rng.normal(size=(num_frames, 3)),
        "contacts": rng.uniform(size=(num_frames, 9)),
    }


def test_person_motion_and_ground_truth():
    person = PersonMotion(**person_kwargs())
    assert person.start == 2 and person.end == 10 and person.num_frames == 8
    assert person.frames.dtype == np.int64 and len(CONTACT_JOINTS) == 9
    n = np.array([0.0, -1.0, 0.0])
    gt = GroundTruth(1.7, n, -0.8, random_cameras(12), [person], fps=30)
    np.testing.assert_array_equal(gt.floor_plane, [0.0, 0.8, 0.0])
    assert gt.person("p1") is person and gt.track_ids == ["p1"]


PERSON_ERRORS = [
    (
        "frames_gap",
        lambda p: p.update(frames=np.array([0, 1, 2, 4, 5, 6, 7, 8])),
        r"person 'p1': frames must be consecutive",
    ),
    (
        "frames_float",
        lambda p: p.update(frames=np.arange(8.0)),
        r"person 'p1': frames must be integers",
    ),
    (
        "betas_shape",
        lambda p: p.update(betas=np.zeros((8, 10))),
        r"person 'p1': betas has shape \(8, 10\), expected \(B,\)",
    ),
    (
        "contacts_shape",
        lambda p: p.update(contacts=np.zeros((8, 24))),
        r"person 'p1': contacts has shape \(8, 24\), expected \(T_i, 9\) with T_i = 8",
    ),
    (
        "contacts_range",
        lambda p: p["contacts"].__setitem__((0, 0), 2.0),
        r"person 'p1': contacts must lie in \[0, 1\]",
    ),
    (
        "transl_finite",
        lambda p: p["transl"].__setitem__((0, 0), np.nan),
        r"person 'p1': transl must be finite",
    ),
    (
        "body_pose_shape",
        lambda p: p.update(body_pose=np.zeros((8, 21, 3))),
        r"person 'p1': body_pose has shape \(8, 21, 3\), expected \(T_i, 23, 3\)",
    ),
]


@pytest.mark.parametrize(
    "mutate, message", [e[1:] for e in PERSON_ERRORS], ids=[e[0] for e in PERSON_ERRORS]
)
def test_person_motion_validation_errors(mutate, message):
    p = person_kwargs()
    mutate(p)
    with pytest.raises(ValueError, match=message):
        PersonMotion(**p)


GT_ERRORS = [
    ("alpha", lambda g: g.update(alpha=-1.0), r"ground truth: alpha must be a positive"),
    (
        "normal_unit",
        lambda g: g.update(floor_normal=np.array([0.0, -2.0, 0.0])),
        r"ground truth: floor_normal must be a unit vector",
    ),
    (
        "normal_shape",
        lambda g: g.update(floor_normal=np.zeros(4)),
        r"ground truth: floor_normal has shape \(4,\), expected \(3,\)",
    ),
    ("offset", lambda g: g.update(floor_offset=np.inf), r"ground truth: floor_offset must be"),
    ("no_people", lambda g: g.update(people=[]), r"ground truth: people must hold at least one"),
    (
        "duplicate",
        lambda g: g.update(people=g["people"] * 2),
        r"ground truth: person id 'p1' appears more than once",
    ),
    (
        "beyond_cameras",
        lambda g: g.update(cameras=random_cameras(9)),
        r"person 'p1': frames \[2, 10\) must lie inside the camera frames \[0, 9\)",
    ),
]


@pytest.mark.parametrize(
    "mutate, message", [e[1:] for e in GT_ERRORS], ids=[e[0] for e in GT_ERRORS]
)
def test_ground_truth_validation_errors(mutate, message):
    g = {
        "alpha": 1.5,
        "floor_normal": np.array([0.0, -1.0, 0.0]),
        "floor_offset": 0.5,
        "cameras": random_cameras(12),
        "people": [PersonMotion(**person_kwargs())],
        "fps": 30.0,
    }
    mutate(g)
    with pytest.raises(ValueError, match=message):
        GroundTruth(**g)
