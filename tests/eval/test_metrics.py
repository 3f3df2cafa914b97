import math

import numpy as np
import pytest
import roma
import torch

from slahmr_opt.eval.metrics import (
    FOOT_VERTEX_IDS,
    METRIC_COLUMNS,
    METRIC_UNITS,
    accel_error,
    aggregate,
    camera_ate,
    camera_centers,
    chunk_bounds,
    evaluate_person,
    feet_from_vertices,
    floor_error,
    floor_plane_to_normal_offset,
    foot_sliding,
    format_table,
    jitter,
    mpjpe,
    pa_mpjpe,
    pve,
    rte,
    w_mpjpe100,
    wa_mpjpe100,
    world_scale_error,
)

FPS = 30.0


def rotation(seed: int) -> np.ndarray:
    torch.manual_seed(seed)
    return roma.random_rotmat(dtype=torch.float64).numpy()


def make_joints(T: int = 250, J: int = 24, seed: int = 0) -> np.ndarray:
    """A smooth, non-degenerate walking-like motion (T, J, 3) in metres."""
    rng = np.random.default_rng(seed)
    t = np.arange(T) / FPS
    root = np.stack([1.2 * t, 0.3 * np.sin(0.7 * t), 0.9 + 0.02 * np.sin(6.0 * t)], axis=-1)
    offsets = rng.normal(scale=0.3, size=(J, 3))
    yaw = 0.4 * np.sin(0.5 * t)
    c, s = np.cos(yaw), np.sin(yaw)
    Rz = np.zeros((T, 3, 3))
    Rz[:, 0, 0], Rz[:, 0, 1], Rz[:, 1, 0], Rz[:, 1, 1], Rz[:, 2, 2] = c, -s, s, c, 1.0
    swing = 0.05 * np.sin(4.0 * t)[:, None, None] * rng.normal(size=(1, J, 3))
    return root[:, None, :] + np.einsum("tij,tnj->tni", Rz, offsets[None] + swing)


def similar(x: np.ndarray, scale: float, R: np.ndarray, t: np.ndarray) -> np.ndarray:
    return scale * x @ R.T + t


# ------------------------------------------------------------------------------ zeros


def test_identical_inputs_give_zero_everywhere():
    gt = make_joints(130)
    verts = make_joints(130, J=7000, seed=1)
    person = {"joints": gt, "verts": verts, "transl": gt[:, 0] + 0.1}
    out = evaluate_person(person, person, fps=FPS, root_source="transl")
    assert set(out) == {
        "wa_mpjpe100",
        "w_mpjpe100",
        "rte",
        "jitter",
        "foot_sliding",
        "pa_mpjpe",
        "mpjpe",
        "pve",
        "accel_error",
    }
    for key, values in out.items():
        if key == "jitter":
            continue  # jitter scores the prediction alone
        assert np.all(np.abs(values) < 1e-6), key
    assert out["mpjpe"].shape == (130,)
    assert out["wa_mpjpe100"].shape == (130,)
    assert out["accel_error"].shape == (128,)
    assert out["jitter"].shape == (127,)


# ------------------------------------------------------------- global similarity and scale


@pytest.mark.parametrize("seed", range(3))
def test_global_similarity_is_invisible_to_wa_and_w_but_rte_sees_scale(seed):
    gt = make_joints(250, seed=seed)
    R0 = rotation(seed)
    t0 = np.array([3.0, -1.0, 0.5])
    pred = similar(gt, 1.7, R0, t0)
    assert wa_mpjpe100(pred, gt).max() < 1e-6
    assert w_mpjpe100(pred, gt).max() < 1e-6
    # Rigidly aligning 1.7·R·g + t to g leaves the scale error about the centroid:
    # residual_t = −0.7 (g_t − ḡ), hence RTE_t = 0.7 ‖g_t − ḡ‖ / L · 100.
    root = gt[:, 0]
    length = np.linalg.norm(np.diff(root, axis=0), axis=-1).sum()
    expected = 0.7 * np.linalg.norm(root - root.mean(0), axis=-1) / length * 100
    np.testing.assert_allclose(rte(pred[:, 0], root), expected, rtol=1e-9, atol=1e-12)


def test_rte_straight_line_scaled_about_start():
    T, v = 11, 0.05
    gt = np.zeros((T, 3))
    gt[:, 0] = v * np.arange(T)
    pred = gt[0] + 2.0 * (gt - gt[0])
    # Best rigid fit keeps the direction and matches the means; the residual is
    # v·|(T−1)/2 − t| over a path of length v·(T−1).
    expected = np.abs((T - 1) / 2 - np.arange(T)) / (T - 1) * 100
    np.testing.assert_allclose(rte(pred, gt), expected, atol=1e-9)
    assert rte(pred, gt).mean() == pytest.approx(300 / 11)


def test_rte_zero_path_length_raises():
    still = np.ones((10, 3))
    with pytest.raises(ValueError, match="path length is zero"):
        rte(still + 0.1, still)


@pytest.mark.parametrize("seed", range(4))
def test_wa_mpjpe_is_invariant_to_a_similarity_of_the_prediction(seed):
    rng = np.random.default_rng(100 + seed)
    gt = make_joints(230, seed=seed)
    pred = gt + rng.normal(scale=0.05, size=gt.shape)
    moved = similar(pred, rng.uniform(0.3, 3.0), rotation(seed + 10), rng.normal(size=3) * 5)
    before = wa_mpjpe100(pred, gt)
    after = wa_mpjpe100(moved, gt)
    assert before.mean() > 10.0  # the noise is visible: ~5 cm per axis
    np.testing.assert_allclose(after, before, rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------------- constant offsets


def test_constant_offset_of_all_joints_is_free_but_one_joint_is_not():
    gt = make_joints(220)
    offset = np.array([0.05, 0.0, 0.0])
    pred = gt + offset
    assert mpjpe(pred, gt).max() < 1e-9
    assert pa_mpjpe(pred, gt).max() < 1e-6
    assert wa_mpjpe100(pred, gt).max() < 1e-6
    assert w_mpjpe100(pred, gt).max() < 1e-6
    assert rte(pred[:, 0], gt[:, 0]).max() < 1e-9

    one = gt.copy()
    one[:, 5] += offset  # joint 5 is not a hip, so the pelvis does not move
    np.testing.assert_allclose(mpjpe(one, gt), 50.0 / 24, rtol=1e-12)
    assert pa_mpjpe(one, gt).min() > 0.1
    assert wa_mpjpe100(one, gt).min() > 0.1
    assert w_mpjpe100(one, gt).min() > 0.1


def test_mpjpe_uses_hip_mean_as_pelvis():
    gt = make_joints(5)
    pred = gt.copy()
    pred[:, 1] += np.array([0.0, 0.024, 0.0])  # moves the pelvis by 12 mm
    # Joint 1 keeps a 12 mm error, the 23 other joints get 12 mm from the pelvis shift.
    np.testing.assert_allclose(mpjpe(pred, gt), 12.0, rtol=1e-12)
    np.testing.assert_allclose(mpjpe(pred, gt, pelvis=None), 24.0 / 24, rtol=1e-12)


def test_pa_mpjpe_is_per_frame_and_scale_free():
    gt = make_joints(6)
    pred = np.stack([similar(gt[i], 0.5 + i, rotation(i), np.full(3, i)) for i in range(6)])
    assert pa_mpjpe(pred, gt).max() < 1e-9
    assert mpjpe(pred, gt).min() > 1.0


def test_pve_uses_joint_pelvis_of_each_side():
    gt_j = make_joints(8)
    gt_v = make_joints(8, J=50, seed=3)
    shift = np.array([0.2, -0.1, 0.3])
    # A rigid translation of the whole body, mesh and joints together: no error.
    assert pve(gt_v + shift, gt_v, gt_j + shift, gt_j).max() < 1e-9
    # Moving the mesh alone by 3 cm shows up fully, since the pelvis comes from the joints.
    np.testing.assert_allclose(pve(gt_v + [0, 0, 0.03], gt_v, gt_j, gt_j), 30.0, rtol=1e-12)


# ----------------------------------------------------------------------- finite differences


def test_jitter_of_a_cubic_is_six_a_over_ten():
    a = 0.37
    t = np.arange(40) / FPS
    joints = np.zeros((40, 24, 3))
    joints[:, :, 0] = a * t[:, None] ** 3
    np.testing.assert_allclose(jitter(joints, fps=FPS), 6 * a / 10, rtol=1e-9)
    # At 60 fps the same motion in seconds has the same jitter.
    t60 = np.arange(80) / 60.0
    joints60 = np.zeros((80, 24, 3))
    joints60[:, :, 0] = a * t60[:, None] ** 3
    np.testing.assert_allclose(jitter(joints60, fps=60.0), 6 * a / 10, rtol=1e-7)
    assert jitter(joints[:3]).shape == (0,)


def test_accel_error_of_a_quadratic():
    b = 1.5
    t = np.arange(20) / FPS
    gt = np.zeros((20, 24, 3))
    pred = gt.copy()
    pred[:, :, 1] = b * t[:, None] ** 2
    err = accel_error(pred, gt, fps=FPS)
    assert err.shape == (18,)
    np.testing.assert_allclose(err, 2 * b, rtol=1e-9)
    assert accel_error(pred, gt, fps=FPS, trim_ends=True).shape == (16,)
    # A matching GT motion cancels.
    assert accel_error(pred, pred).max() == 0.0


# ---------------------------------------------------------------------------- foot sliding


def test_foot_sliding_of_a_sliding_foot_is_its_speed():
    T = 30
    gt = np.zeros((T, 4, 3))
    pred = np.zeros((T, 4, 3))
    pred[:, :, 0] = 0.003 * np.arange(T)[:, None]  # 3 mm per frame
    err = foot_sliding(pred, gt)
    assert err.shape == ((T - 1) * 4,)
    np.testing.assert_allclose(err, 3.0, rtol=1e-9)
    # GT foot moving 2 cm/frame: no contact, no entries.
    moving = np.zeros((T, 4, 3))
    moving[:, :, 2] = 0.02 * np.arange(T)[:, None]
    assert foot_sliding(pred, moving).shape == (0,)


def test_foot_sliding_uses_gt_contacts_per_vertex_and_frame_pair():
    gt = np.zeros((4, 4, 3))
    gt[2:, 0, 0] = 0.5  # vertex 0 jumps between frames 1 and 2: not a contact there
    pred = np.zeros((4, 4, 3))
    pred[:, :, 1] = 0.001 * np.arange(4)[:, None] ** 2  # displacements 1, 3, 5 mm
    err = foot_sliding(pred, gt)
    assert err.shape == (11,)
    np.testing.assert_allclose(np.sort(err), np.sort([1.0] * 4 + [3.0] * 3 + [5.0] * 4))


def test_feet_from_vertices_picks_the_smpl_ids():
    verts = np.zeros((2, 6890, 3))
    verts[:, :, 0] = np.arange(6890)
    feet = feet_from_vertices(verts)
    np.testing.assert_array_equal(feet[0, :, 0], FOOT_VERTEX_IDS)
    with pytest.raises(ValueError, match="verts"):
        feet_from_vertices(np.zeros((2, 100, 3)))


# -------------------------------------------------------------------------------- chunking


def test_chunk_bounds_policies():
    assert chunk_bounds(250) == [(0, 100), (100, 200), (200, 250)]
    assert chunk_bounds(250, tail="wham") == chunk_bounds(250)
    assert chunk_bounds(201) == [(0, 100), (100, 200), (200, 201)]
    assert chunk_bounds(50) == [(0, 50)]
    # TRAM: partial tail merged into the previous chunk, final frame never scored ...
    assert chunk_bounds(250, tail="tram") == [(0, 100), (100, 249)]
    assert chunk_bounds(201, tail="tram") == [(0, 100), (100, 200)]
    # ... a last full chunk is skipped when T is a multiple of 100, and short clips give none.
    assert chunk_bounds(300, tail="tram") == [(0, 100), (100, 200)]
    assert chunk_bounds(100, tail="tram") == []
    with pytest.raises(ValueError, match="tail"):
        chunk_bounds(10, tail="slahmr")


def test_tram_tail_scores_fewer_frames():
    gt = make_joints(250)
    pred = gt + 0.01
    assert wa_mpjpe100(pred, gt, tail="tram").shape == (249,)
    assert w_mpjpe100(pred, gt, tail="gvhmr").shape == (250,)


def test_w_mpjpe_fits_only_the_first_two_frames_of_each_chunk():
    T = 250
    gt = make_joints(T)
    pred = gt.copy()
    drift = 0.004  # metres per frame after the first two frames of each chunk
    expected = np.zeros(T)
    for start, end in chunk_bounds(T):
        k = np.arange(end - start)
        shift = drift * np.maximum(k - 1, 0)
        pred[start:end, :, 0] += shift[:, None]
        expected[start:end] = shift * 1000.0
    w = w_mpjpe100(pred, gt)
    np.testing.assert_allclose(w, expected, atol=1e-6)
    wa = wa_mpjpe100(pred, gt)
    assert w.mean() > 100.0
    assert wa.mean() < 0.5 * w.mean()


# --------------------------------------------------------------------------- scene metrics


def test_world_scale_error():
    assert world_scale_error(1.1, 1.0) == pytest.approx(10.0)
    assert world_scale_error(0.45, 0.5) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="alpha_true"):
        world_scale_error(1.0, 0.0)


def test_floor_error_known_planes():
    n = np.array([0.0, 0.0, 1.0])
    assert floor_error(n, 0.0, n, 0.0) == (0.0, 0.0)
    tilted = np.array([0.0, math.sin(math.radians(5)), math.cos(math.radians(5))])
    angle, offset = floor_error(tilted, 0.02, n, 0.0)
    assert angle == pytest.approx(5.0, abs=1e-9)
    assert offset == pytest.approx(20.0)
    # The same plane written with the opposite orientation has no error.
    angle, offset = floor_error(-n, -0.3, n, 0.3)
    assert angle == pytest.approx(0.0, abs=1e-12) and offset == pytest.approx(0.0, abs=1e-9)
    # Non-unit normals are normalised together with their offsets.
    angle, offset = floor_error(2 * n, 1.0, n, 0.4)
    assert angle == pytest.approx(0.0, abs=1e-12) and offset == pytest.approx(100.0)
    with pytest.raises(ValueError, match="normal_pred"):
        floor_error(np.zeros(3), 0.0, n, 0.0)


def test_floor_plane_to_normal_offset_slahmr_default():
    # SLAHMR's default floor [0, 0.5, 0] in the y-down first-camera frame is the plane y = 0.5.
    n, d = floor_plane_to_normal_offset(np.array([0.0, 0.5, 0.0]), np.array([0.0, -1.0, 0.0]))
    np.testing.assert_allclose(n, [0.0, -1.0, 0.0])
    assert d == pytest.approx(-0.5)
    assert float(n @ np.array([3.0, 0.5, -2.0])) == pytest.approx(d)
    n, d = floor_plane_to_normal_offset(np.array([0.0, 0.0, 2.0]), np.array([0.0, 0.1, 1.0]))
    np.testing.assert_allclose(n, [0.0, 0.0, 1.0])
    assert d == pytest.approx(2.0)
    with pytest.raises(ValueError, match="plane"):
        floor_plane_to_normal_offset(np.zeros(3), np.array([0.0, 0.0, 1.0]))


def test_camera_centers_and_ate_with_scale():
    T = 40
    R = np.stack([rotation(i) for i in range(T)])
    centers = make_joints(T, J=1)[:, 0]
    t = -np.einsum("tij,tj->ti", R, centers)
    np.testing.assert_allclose(camera_centers(R, t), centers, atol=1e-12)

    pred = similar(centers, 0.25, rotation(99), np.array([1.0, 2.0, 3.0]))
    assert camera_ate(pred, centers, with_scale=True).max() < 1e-9
    rigid = camera_ate(pred, centers, with_scale=False)
    expected = 0.75 * np.linalg.norm(centers - centers.mean(0), axis=-1)
    np.testing.assert_allclose(rigid, expected, rtol=1e-9)


# ------------------------------------------------------------------------ sequence evaluator


def test_evaluate_person_options():
    T = 150
    gt = make_joints(T)
    rng = np.random.default_rng(8)
    pred = gt + rng.normal(scale=0.02, size=gt.shape)
    gt_d = {"joints": gt, "transl": gt[:, 0] - [0.0, 0.0, 0.2]}
    pred_d = {"joints": pred, "transl": pred[:, 0] - [0.0, 0.0, 0.2]}
    out = evaluate_person(pred_d, gt_d)
    assert "pve" not in out and "foot_sliding" not in out
    np.testing.assert_allclose(out["rte"], rte(pred[:, 0], gt[:, 0]))
    # transl as root: here the same trajectory up to a constant, so the same RTE.
    by_transl = evaluate_person(pred_d, gt_d, root_source="transl")
    np.testing.assert_allclose(by_transl["rte"], out["rte"], atol=1e-9)

    # Camera-frame joints take over MPJPE/PA/accel but not the world metrics.
    cam_gt = similar(gt, 1.0, rotation(3), np.zeros(3))
    cam_pred = cam_gt.copy()
    with_cam = evaluate_person({**pred_d, "cam_joints": cam_pred}, {**gt_d, "cam_joints": cam_gt})
    assert with_cam["mpjpe"].max() < 1e-9 and with_cam["accel_error"].max() < 1e-9
    np.testing.assert_allclose(with_cam["wa_mpjpe100"], out["wa_mpjpe100"])

    # Invalid frames are removed before anything else.
    valid = np.ones(T, dtype=bool)
    valid[10:40] = False
    masked = evaluate_person(pred_d, gt_d, valid=valid, tail="tram", accel_trim_ends=True)
    assert masked["mpjpe"].shape == (120,)
    assert masked["wa_mpjpe100"].shape == (119,)
    assert masked["accel_error"].shape == (116,)
    np.testing.assert_allclose(masked["mpjpe"], mpjpe(pred[valid], gt[valid]))

    with pytest.raises(ValueError, match="root_source"):
        evaluate_person(pred_d, gt_d, root_source="hips")
    with pytest.raises(ValueError, match="transl"):
        evaluate_person({"joints": pred}, {"joints": gt}, root_source="transl")
    with pytest.raises(ValueError, match="cam_joints"):
        evaluate_person({**pred_d, "cam_joints": cam_pred}, gt_d)
    with pytest.raises(ValueError, match="valid"):
        evaluate_person(pred_d, gt_d, valid=np.ones(T - 1, dtype=bool))


def test_evaluate_person_feet_from_smpl_vertices():
    T = 12
    gt_v = np.zeros((T, 6890, 3))
    pred_v = gt_v.copy()
    pred_v[:, list(FOOT_VERTEX_IDS), 0] = 0.003 * np.arange(T)[:, None]
    joints = make_joints(T)
    out = evaluate_person({"joints": joints, "verts": pred_v}, {"joints": joints, "verts": gt_v})
    np.testing.assert_allclose(out["foot_sliding"], 3.0, rtol=1e-9)
    assert out["pve"].shape == (T,)


# -------------------------------------------------------------------- aggregation and tables


def test_aggregate_is_frame_weighted():
    people = [
        {"mpjpe": np.array([10.0]), "rte": np.array([1.0, 1.0])},
        {"mpjpe": np.array([40.0, 40.0, 40.0]), "foot_sliding": np.zeros(0)},
    ]
    agg = aggregate(people)
    assert agg["mpjpe"] == pytest.approx(32.5)  # not (10 + 40) / 2
    assert agg["rte"] == pytest.approx(1.0)
    assert "foot_sliding" not in agg
    assert aggregate([{"scale_error": 2.0}, {"scale_error": 4.0}]) == {"scale_error": 3.0}


def test_format_table():
    rows = {"ours": {"wa_mpjpe100": 101.234, "rte": 2.345}, "naive": {"mpjpe": float("nan")}}
    table = format_table(rows, columns=("wa_mpjpe100", "rte", "mpjpe"))
    lines = table.splitlines()
    assert len(lines) == 4
    assert "wa_mpjpe100 (mm)" in lines[0] and "rte (%)" in lines[0]
    assert lines[2].split() == ["ours", "101.2", "2.35", "–"]
    assert lines[3].split() == ["naive", "–", "–", "–"]
    assert len({len(line) for line in lines[:3]}) == 1
    assert set(METRIC_COLUMNS) == set(METRIC_UNITS) and METRIC_COLUMNS[0] == "wa_mpjpe100"
    assert METRIC_UNITS["jitter"] == "10 m/s³" and METRIC_UNITS["camera_ate"] == "m"


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: mpjpe(np.zeros((5, 24, 3)), np.zeros((6, 24, 3))), "same shape"),
        (lambda: mpjpe(np.zeros((5, 24, 2)), np.zeros((5, 24, 2))), r"pred: expected shape"),
        (lambda: mpjpe(np.zeros((5, 2, 3)), np.zeros((5, 2, 3))), "pelvis"),
        (lambda: pa_mpjpe(np.full((5, 24, 3), np.nan), np.zeros((5, 24, 3))), "pred"),
        (lambda: wa_mpjpe100(np.zeros((5, 24, 3)), np.full((5, 24, 3), np.inf)), "gt"),
        (lambda: rte(np.zeros((5, 2)), np.zeros((5, 2))), "pred_root"),
        (lambda: jitter(np.zeros((5, 24)), fps=30), "joints"),
        (lambda: jitter(np.zeros((5, 24, 3)), fps=0), "fps"),
        (lambda: foot_sliding(np.zeros((5, 4, 3)), np.zeros((4, 4, 3))), "same shape"),
        (lambda: camera_centers(np.zeros((5, 3, 3)), np.zeros((4, 3))), r"t: expected"),
        (lambda: pve(np.zeros((5, 9, 3)), np.zeros((5, 9, 3)), np.zeros((4, 24, 3)), 0), "pred_j"),
        (lambda: w_mpjpe100(np.zeros((5, 24, 3)), np.zeros((5, 24, 3)), chunk=0), "chunk"),
        (lambda: evaluate_person({}, {}), "joints"),
    ],
)
def test_bad_inputs_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_torch_inputs_are_accepted():
    gt = make_joints(30)
    pred = gt + 0.01 * np.random.default_rng(0).normal(size=gt.shape)
    np.testing.assert_allclose(
        mpjpe(torch.from_numpy(pred), torch.from_numpy(gt)), mpjpe(pred, gt), rtol=1e-12
    )
    out = wa_mpjpe100(torch.from_numpy(pred).float(), gt)
    assert out.dtype == np.float64
