"""Procedural motion: planted feet, floor contact, speeds, knees, contact labels, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import roma
import torch
from smplx.lbs import batch_rigid_transform

from slahmr_opt.body import BodyModel
from slahmr_opt.body.joint_maps import LANDMARK_NAMES
from slahmr_opt.body.model_files import read_model_file
from slahmr_opt.body.standin import LANDMARK_VERTEX_IDS, standin_path
from slahmr_opt.eval.metrics import feet_from_vertices, foot_sliding
from slahmr_opt.synth.gait import StepPlan
from slahmr_opt.synth.leg_ik import body_geometry, heading_to_rotmat, solve_leg_ik
from slahmr_opt.synth.motion import (
    CONTACT_JOINTS,
    MOTION_KINDS,
    SPEED_RANGES,
    TURN_RADIUS,
    MotionClip,
    generate_clip,
    random_clip,
)

FPS = 30.0
NUM_FRAMES = 180
SEEDS = (0, 1)
FEET = [LANDMARK_NAMES.index(n) for n in ("LBigToe", "LHeel", "RBigToe", "RHeel")]
L_HEEL, R_HEEL = LANDMARK_NAMES.index("LHeel"), LANDMARK_NAMES.index("RHeel")
L_TOES = [LANDMARK_NAMES.index(n) for n in ("LBigToe", "LSmallToe")]
R_TOES = [LANDMARK_NAMES.index(n) for n in ("RBigToe", "RSmallToe")]
C = {j: CONTACT_JOINTS.index(j) for j in CONTACT_JOINTS}  # SMPL joint → contact column


@pytest.fixture(scope="module")
def body() -> BodyModel:
    return BodyModel.standin()


@pytest.fixture(scope="module")
def clips(body) -> dict[tuple[str, int], tuple[MotionClip, np.ndarray, np.ndarray]]:
    """Every kind for two seeds, with posed joints and landmarks."""
    out = {}
    for kind in MOTION_KINDS:
        for seed in SEEDS:
            clip = generate_clip(body, kind, NUM_FRAMES, seed)
            out[kind, seed] = (clip, *clip.keypoints(body))
    return out


KEYS = [(k, s) for k in MOTION_KINDS for s in SEEDS]


def _forward(clip: MotionClip) -> np.ndarray:
    """(T, 2) body forward direction on the floor, from the pelvis rotation."""
    rot = roma.rotvec_to_rotmat(torch.as_tensor(clip.global_orient))
    fwd = rot[:, :2, 2].numpy()
    return fwd / np.linalg.norm(fwd, axis=-1, keepdims=True)


def _speed(joints: np.ndarray, fps: float = FPS) -> np.ndarray:
    """(T − 1,) horizontal pelvis speed, m/s."""
    return np.linalg.norm(np.diff(joints[:, 0, :2], axis=0), axis=-1) * fps


# ------------------------------------------------------------------------------ structure
@pytest.mark.parametrize("key", KEYS, ids=[f"{k}-{s}" for k, s in KEYS])
def test_shapes_finite_and_labels(clips, key):
    clip, joints, landmarks = clips[key]
    t = NUM_FRAMES
    assert clip.kind == key[0] and clip.fps == FPS and clip.num_frames == t
    assert clip.global_orient.shape == (t, 3) and clip.body_pose.shape == (t, 23, 3)
    assert clip.betas.shape == (10,) and clip.transl.shape == (t, 3)
    assert clip.contacts.shape == (t, 9)
    for a in (clip.global_orient, clip.body_pose, clip.transl, clip.contacts, joints, landmarks):
        assert np.all(np.isfinite(a))
    assert set(np.unique(clip.contacts)) <= {0.0, 1.0}
    # Only ankles and toes are ever in contact (hips, knees and wrists never are).
    others = [C[j] for j in (0, 4, 5, 20, 21)]
    assert not clip.contacts[:, others].any()
    assert clip.contacts[:, [C[7], C[8], C[10], C[11]]].any()


# ------------------------------------------------------------------------------ feet
@pytest.mark.parametrize("key", KEYS, ids=[f"{k}-{s}" for k, s in KEYS])
def test_ground_truth_foot_sliding_is_tiny(clips, key):
    """WHAM/GVHMR foot sliding of the ground truth against itself, on the landmark vertices."""
    _, _, landmarks = clips[key]
    feet = landmarks[:, FEET]
    sliding = foot_sliding(feet, feet)
    assert sliding.size > 0
    assert sliding.mean() <= 2.0


def test_foot_sliding_on_mesh_vertices(body, clips):
    """Same metric on the full mesh's vertices 3216, 3387, 6617, 6787 of a walk."""
    clip = clips["walk", 0][0]
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    with torch.no_grad():
        verts = body.vertices(
            as_t(clip.global_orient), as_t(clip.body_pose), as_t(clip.betas), as_t(clip.transl)
        ).numpy()
    feet = feet_from_vertices(verts)
    assert np.allclose(feet, clips["walk", 0][2][:, FEET], atol=1e-5)
    assert foot_sliding(feet, feet).mean() <= 2.0


@pytest.mark.parametrize("key", KEYS, ids=[f"{k}-{s}" for k, s in KEYS])
def test_planted_feet_are_still_and_on_the_floor(clips, key):
    clip, joints, landmarks = clips[key]
    c = clip.contacts
    for ankle_col, toe_col, heel, toes in (
        (C[7], C[10], L_HEEL, L_TOES),
        (C[8], C[11], R_HEEL, R_TOES),
    ):
        heel_down, toe_down = c[:, ankle_col] > 0, c[:, toe_col] > 0
        # Labelled contacts touch the floor (z = 0 within 1 cm; here within 1 mm).
        assert np.abs(landmarks[heel_down, heel, 2]).max(initial=0.0) < 1e-3
        assert np.abs(landmarks[toe_down][:, toes, 2]).max(initial=0.0) < 1e-3
        # A planted part does not move between consecutive planted frames (< 0.1 mm).
        both = heel_down[1:] & heel_down[:-1]
        step = np.linalg.norm(np.diff(landmarks[:, heel], axis=0), axis=-1)
        assert step[both].max(initial=0.0) < 1e-4
        both = toe_down[1:] & toe_down[:-1]
        step = np.linalg.norm(np.diff(landmarks[:, toes], axis=0), axis=-1).max(-1)
        assert step[both].max(initial=0.0) < 1e-4
        # The lowest sole point of a foot in stance is on the floor.
        stance = heel_down | toe_down
        sole = landmarks[:, [heel, *toes], 2].min(-1)
        assert np.abs(sole[stance]).max(initial=0.0) < 0.01
    # Nothing goes through the floor.
    assert joints[..., 2].min() > -0.01
    assert landmarks[..., 2].min() > -0.01


# ------------------------------------------------------------------------------ speeds, paths
@pytest.mark.parametrize("kind", ["walk", "jog", "side_step"])
def test_pelvis_speed_in_range(clips, kind):
    for seed in SEEDS:
        clip, joints, _ = clips[kind, seed]
        lo, hi = SPEED_RANGES[kind]
        v = clip.params["speed"]
        assert lo <= v <= hi
        mean = _speed(joints).mean()
        assert mean == pytest.approx(v, rel=0.05)


def test_side_step_moves_sideways_and_keeps_facing(clips):
    for seed in SEEDS:
        clip, joints, _ = clips["side_step", seed]
        fwd = _forward(clip)
        move = joints[-1, 0, :2] - joints[0, 0, :2]
        move /= np.linalg.norm(move)
        assert abs(move @ fwd[0]) < 0.15  # sideways
        heading = np.unwrap(np.arctan2(fwd[:, 1], fwd[:, 0]))
        assert np.ptp(heading) < np.deg2rad(8.0)  # facing stays (small pelvis wobble only)


def test_idle_stays_in_place_with_both_feet_down(clips):
    for seed in SEEDS:
        clip, joints, _ = clips["idle", seed]
        assert _speed(joints).mean() < 0.1
        drift = np.linalg.norm(joints[:, 0, :2] - joints[0, 0, :2], axis=-1)
        assert drift.max() < 0.15
        both = clip.contacts[:, [C[7], C[10]]].any(1) & clip.contacts[:, [C[8], C[11]]].any(1)
        assert both.mean() > 0.8
        # It is not frozen: the pelvis sways.
        assert np.ptp(joints[:, 0, :2], axis=0).max() > 0.01


def test_turn_heading_changes_by_speed_times_time_over_radius(clips):
    for seed in SEEDS:
        clip, joints, _ = clips["turn", seed]
        radius = clip.params["turn_radius"]
        assert TURN_RADIUS[0] <= radius <= TURN_RADIUS[1]
        expected = clip.params["speed"] * (NUM_FRAMES - 1) / FPS / radius
        assert abs(clip.params["heading_change"]) == pytest.approx(expected)
        # Heading of the travelled path (pelvis, smoothed over a step) and of the body.
        fwd = _forward(clip)
        heading = np.unwrap(np.arctan2(fwd[:, 1], fwd[:, 0]))
        k = 15
        change = np.mean(heading[-k:]) - np.mean(heading[:k])
        expected_k = expected * (NUM_FRAMES - k) / (NUM_FRAMES - 1)
        assert change == pytest.approx(np.sign(clip.params["curvature"]) * expected_k, abs=0.1)
        assert _speed(joints).mean() == pytest.approx(clip.params["speed"], rel=0.05)


def test_walk_heading_and_start(body):
    clip = generate_clip(body, "walk", 90, 3, speed=1.2, heading=0.7, start_xy=(2.0, -1.0))
    joints, _ = clip.keypoints(body)
    assert clip.params["speed"] == 1.2 and clip.params["heading"] == 0.7
    assert np.linalg.norm(joints[0, 0, :2] - [2.0, -1.0]) < 0.06
    fwd = _forward(clip)
    assert np.degrees(np.arccos(np.clip(fwd[0] @ [np.cos(0.7), np.sin(0.7)], -1, 1))) < 10.0
    move = joints[-1, 0, :2] - joints[0, 0, :2]
    direction = np.arctan2(move[1], move[0])
    assert abs(np.angle(np.exp(1j * (direction - 0.7)))) < np.deg2rad(15.0)


def test_stop_start_stands_still_then_walks_again(clips):
    for seed in SEEDS:
        clip, joints, _ = clips["stop_start", seed]
        speed = _speed(joints)
        still = speed < 0.05
        # Longest run of standing still, in seconds: about a second.
        runs, run = [], 0
        for s in still:
            run = run + 1 if s else 0
            runs.append(run)
        assert 0.6 <= max(runs) / FPS <= 1.5
        i = int(np.argmax(runs))
        stop = slice(i - max(runs) + 1, i + 1)
        # Both feet planted while standing; walking before and after.
        c = clip.contacts[stop]
        assert (c[:, [C[7], C[10]]].any(1) & c[:, [C[8], C[11]]].any(1)).all()
        v = clip.params["speed"]
        assert speed[:10].mean() > 0.7 * v and speed[-10:].mean() > 0.7 * v


# ------------------------------------------------------------------------------ joints
@pytest.mark.parametrize("key", KEYS, ids=[f"{k}-{s}" for k, s in KEYS])
def test_knees_bend_forward_only(clips, key):
    clip, joints, _ = clips[key]
    for knee, hip, ankle in ((4, 1, 7), (5, 2, 8)):
        rv = clip.body_pose[:, knee - 1]
        # The knee rotates about its lateral axis only, with flexion ≥ −1°.
        assert np.degrees(rv[:, 0]).min() >= -1.0
        assert np.abs(rv[:, 1:]).max() < 1e-5
        # Geometry: a bent knee lies in front of the hip–ankle line.
        h, k, a = joints[:, hip], joints[:, knee], joints[:, ankle]
        thigh, shank = k - h, a - k
        cos = (
            (thigh * shank).sum(-1)
            / np.linalg.norm(thigh, axis=-1)
            / np.linalg.norm(shank, axis=-1)
        )
        bend = np.degrees(np.arccos(np.clip(cos, -1, 1)))
        line = a - h
        along = ((k - h) * line).sum(-1) / (line * line).sum(-1)
        offset = (k - h) - along[:, None] * line
        ahead = (offset[:, :2] * _forward(clip)).sum(-1)
        bent = bend > 10.0
        assert bent.any()
        assert (ahead[bent] > 0).all()


LIMITS_DEG = {  # largest rotation angle of each local joint rotation in any frame
    (1, 2): 100.0,
    (4, 5): 140.0,
    (7, 8): 65.0,
    (10, 11): 60.0,  # hips, knees, ankles, toes
    (3, 6, 9): 20.0,
    (12, 15): 45.0,
    (13, 14): 10.0,  # spine, neck and head, collars
    (16, 17): 120.0,
    (18, 19): 135.0,
    (20, 21, 22, 23): 30.0,  # shoulders, elbows, wrists, hands
}


@pytest.mark.parametrize("key", KEYS, ids=[f"{k}-{s}" for k, s in KEYS])
def test_joint_angles_in_human_ranges(clips, key):
    clip = clips[key][0]
    angles = np.degrees(np.linalg.norm(clip.body_pose, axis=-1)).max(0)
    for joints, limit in LIMITS_DEG.items():
        for j in joints:
            assert angles[j - 1] <= limit, (j, angles[j - 1])
    # The body stays upright: the pelvis up axis within 20° of world up.
    rot = roma.rotvec_to_rotmat(torch.as_tensor(clip.global_orient)).numpy()
    assert np.degrees(np.arccos(rot[:, 2, 1])).max() < 20.0


def test_leg_ik_reaches_targets_through_body_fk(body):
    """Analytic IK: the ankle joint and the foot frame land where asked (float64 FK < 0.1 mm)."""
    geo = body_geometry(body, np.array([1.5, -1.0, 0.5]))
    g = torch.Generator().manual_seed(0)
    n = 64
    dt = torch.float64
    pelvis_rot = roma.rotvec_to_rotmat(0.2 * torch.randn(n, 3, generator=g, dtype=dt))
    pelvis_rot = heading_to_rotmat(torch.rand(n, generator=g, dtype=dt) * 6.0) @ pelvis_rot
    pelvis_pos = torch.randn(n, 3, generator=g, dtype=dt) + torch.tensor([0.0, 0.0, 1.0])
    leg = geo.legs["left"]
    j0 = geo.joints[0]
    hip = pelvis_pos + pelvis_rot @ (leg.hip - j0)
    direction = torch.randn(n, 3, generator=g, dtype=dt) * 0.3 + torch.tensor([0.0, 0.0, -1.0])
    direction = direction / direction.norm(dim=-1, keepdim=True)
    target = hip + direction * leg.reach * (0.55 + 0.4 * torch.rand(n, 1, generator=g, dtype=dt))
    foot_rot = heading_to_rotmat(torch.rand(n, generator=g, dtype=dt) * 6.0)
    foot_rot = foot_rot @ roma.rotvec_to_rotmat(0.3 * torch.randn(n, 3, generator=g, dtype=dt))
    knee_axis = pelvis_rot[:, :, 0]
    sol = solve_leg_ik(leg, j0, pelvis_pos, pelvis_rot, target, foot_rot, knee_axis)
    assert sol.ankle_error.max() < 1e-9
    assert (sol.knee_flexion >= 0).all()

    # Independent check with smplx's forward kinematics in float64.
    local = torch.eye(3, dtype=dt).repeat(n, 24, 1, 1)
    local[:, 0], local[:, 1], local[:, 4], local[:, 7] = pelvis_rot, sol.hip, sol.knee, sol.ankle
    rest = geo.joints[None].expand(n, 24, 3)
    posed, rel = batch_rigid_transform(local, rest, body.parents, dtype=dt)
    posed = posed + (pelvis_pos - j0)[:, None]
    assert (posed[:, 7] - target).norm(dim=-1).max() < 1e-4
    assert torch.allclose(rel[:, 7, :3, :3], foot_rot, atol=1e-9)
    # The knee bends forward: in front of the hip–ankle line relative to the knee axis' plane.
    normal = torch.cross(posed[:, 7] - posed[:, 1], knee_axis, dim=-1)  # forward
    assert ((posed[:, 4] - posed[:, 1]) * normal).sum(-1).min() > -1e-9


# ------------------------------------------------------------------------------ contacts
def test_walk_has_double_support_and_jog_has_flight(clips):
    for seed in SEEDS:
        for kind, want_double, want_flight in (("walk", True, False), ("jog", False, True)):
            c = clips[kind, seed][0].contacts
            left = c[:, [C[7], C[10]]].any(1)
            right = c[:, [C[8], C[11]]].any(1)
            double, flight = (left & right).any(), (~left & ~right).any()
            assert double == want_double and flight == want_flight, (kind, seed)
            # Feet alternate: each foot is both on the ground and in the air.
            assert left.any() and right.any() and (~left).any() and (~right).any()


def test_heel_strike_and_heel_off_labels(clips):
    """Walking feet land heel first (ankle label before toe label) and push off on the toes."""
    c = clips["walk", 0][0].contacts
    heel, toe = c[:, C[7]] > 0, c[:, C[10]] > 0
    land = np.flatnonzero(~heel[:-1] & heel[1:]) + 1
    lift = np.flatnonzero(toe[:-1] & ~toe[1:]) + 1
    assert len(land) and len(lift)
    assert all(not toe[i] for i in land)  # touch-down: heel only
    assert all(not heel[i - 1] for i in lift)  # lift-off: toes only


# ------------------------------------------------------------------------------ seeds, shapes
def test_same_seed_same_clip_different_seed_different_clip(body):
    a = generate_clip(body, "walk", 60, 5)
    b = generate_clip(body, "walk", 60, 5)
    c = generate_clip(body, "walk", 60, 6)
    for name in ("global_orient", "body_pose", "transl", "contacts", "betas"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert a.params == b.params
    assert not np.allclose(a.body_pose, c.body_pose)
    assert a.params["speed"] != c.params["speed"]
    r1, r2, r3 = (random_clip(body, 40, s) for s in (11, 11, 12))
    assert np.array_equal(r1.body_pose, r2.body_pose) and np.array_equal(r1.betas, r2.betas)
    assert not np.array_equal(r1.betas, r3.betas)


def test_random_clip_draws_kinds_and_shapes(body):
    kinds, betas = set(), []
    for seed in range(12):
        clip = random_clip(body, 30, seed, kinds=("walk", "jog", "idle"))
        kinds.add(clip.kind)
        betas.append(clip.betas)
    betas = np.array(betas)
    assert kinds == {"walk", "jog", "idle"}
    assert np.abs(betas).max() <= 2.5
    assert np.all(betas[:, 4:] == 0) and np.all(betas[:, :4] != 0)


@pytest.mark.parametrize("betas", [[2.5, -2.5, 2.5, -2.5], [-2.5, 2.5, -2.5, 2.5]])
def test_extreme_shapes_keep_feet_planted(body, betas):
    """Bone lengths and foot geometry come from the shaped body, not from constants."""
    for kind in ("walk", "jog"):
        clip = generate_clip(body, kind, 90, 2, betas=betas)
        joints, landmarks = clip.keypoints(body)
        feet = landmarks[:, FEET]
        assert foot_sliding(feet, feet).mean() <= 2.0
        planted = clip.contacts[:, C[7]] > 0
        assert np.abs(landmarks[planted, L_HEEL, 2]).max() < 1e-3
        assert min(joints[..., 2].min(), landmarks[..., 2].min()) > -0.01
        assert clip.params["ik_error_max"] < 1e-4


@pytest.fixture(scope="module")
def soft_feet_body() -> BodyModel:
    """The stand-in with non-rigid feet, as a scanned SMPL may have: the sole landmarks share
    skinning weights with the shank and ankle, and carry pose blend shapes."""
    data = dict(read_model_file(standin_path()))
    weights = np.array(data["weights"], dtype=np.float64)
    posedirs = np.array(data["posedirs"], dtype=np.float64)
    rng = np.random.default_rng(0)
    for side, (ankle, knee, toe) in (("L", (7, 4, 10)), ("R", (8, 5, 11))):
        for name in ("BigToe", "SmallToe", "Heel"):
            v = LANDMARK_VERTEX_IDS[side + name]
            weights[v] = 0.0
            if name == "Heel":
                weights[v, ankle], weights[v, knee] = 0.9, 0.1
            else:
                weights[v, toe], weights[v, ankle] = 0.7, 0.3
            posedirs[v] = rng.normal(0.0, 0.003, size=posedirs[v].shape)
    data.update(weights=weights, posedirs=posedirs)
    return BodyModel(data, model_type="smpl", source="soft-feet stand-in")


@pytest.mark.parametrize("kind", ["walk", "jog"])
def test_non_rigid_feet_are_refined_onto_the_plan(body, soft_feet_body, kind):
    rigid_body, body = body, soft_feet_body
    clip = generate_clip(body, kind, 45, 1)
    joints, landmarks = clip.keypoints(body)
    feet = landmarks[:, FEET]
    assert foot_sliding(feet, feet).mean() <= 2.0
    for ankle_col, toe_col, heel, toes in (
        (C[7], C[10], L_HEEL, L_TOES),
        (C[8], C[11], R_HEEL, R_TOES),
    ):
        heel_down, toe_down = clip.contacts[:, ankle_col] > 0, clip.contacts[:, toe_col] > 0
        assert np.abs(landmarks[heel_down, heel, 2]).max(initial=0.0) < 0.01
        assert np.abs(landmarks[toe_down][:, toes, 2]).max(initial=0.0) < 0.01
    assert min(joints[..., 2].min(), landmarks[..., 2].min()) > -0.01
    refined = np.abs(landmarks[clip.contacts[:, C[7]] > 0, L_HEEL, 2]).max()
    # Without the refinement the same pose misses the floor by about a centimetre or more.
    rigid = generate_clip(rigid_body, kind, 45, 1)
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    with torch.no_grad():
        raw = body.forward(
            as_t(rigid.global_orient),
            as_t(rigid.body_pose),
            as_t(rigid.betas),
            as_t(rigid.transl),
            landmarks=True,
        ).landmarks.numpy()
    heel_down = rigid.contacts[:, C[7]] > 0
    assert np.abs(raw[heel_down, L_HEEL, 2]).max() > max(0.005, 3.0 * refined)


def test_other_frame_rates(body):
    clip = generate_clip(body, "walk", 120, 4, fps=60.0, speed=1.4)
    joints, landmarks = clip.keypoints(body)
    assert clip.fps == 60.0
    assert _speed(joints, 60.0).mean() == pytest.approx(1.4, rel=0.05)
    feet = landmarks[:, FEET]
    assert foot_sliding(feet, feet, thr=0.005).mean() <= 2.0


def test_bad_inputs_raise(body):
    with pytest.raises(ValueError, match="kind"):
        generate_clip(body, "dance", 10, 0)
    with pytest.raises(ValueError, match="num_frames"):
        generate_clip(body, "walk", 1, 0)
    with pytest.raises(ValueError, match="betas"):
        generate_clip(body, "walk", 10, 0, betas=np.zeros(11))
    with pytest.raises(ValueError, match="speed"):
        generate_clip(body, "walk", 10, 0, speed=-1.0)
    with pytest.raises(ValueError, match="speed"):
        generate_clip(body, "idle", 10, 0, speed=1.0)
    with pytest.raises(ValueError, match="start_xy"):
        generate_clip(body, "walk", 10, 0, start_xy=(0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="fps"):
        generate_clip(body, "walk", 10, 0, fps=0.0)
    with pytest.raises(ValueError, match="kinds"):
        random_clip(body, 10, 0, kinds=("walk", "fly"))


def test_step_plan_validates():
    ok = dict(
        side=np.array([0]),
        t_lift=np.array([0.0]),
        t_land=np.array([0.4]),
        xy=np.zeros((1, 2)),
        yaw=np.zeros(1),
        pitch_off=np.zeros(1),
        pitch_on=np.zeros(1),
        roll_off=np.zeros(1),
        roll_on=np.zeros(1),
        lift=np.zeros(1),
        initial_xy=np.zeros((2, 2)),
        initial_yaw=np.zeros(2),
    )
    StepPlan(**ok)
    with pytest.raises(ValueError, match="t_land"):
        StepPlan(**{**ok, "t_land": np.array([-1.0])})
    with pytest.raises(ValueError, match="xy"):
        StepPlan(**{**ok, "xy": np.zeros((2, 2))})
