"""Noise presets and observation models: the statistics match the preset numbers."""

from __future__ import annotations

import math
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest
import roma
import torch

from slahmr_opt.body import BodyModel
from slahmr_opt.synth.noise import (
    KEYPOINT_MIN_DEPTH,
    NOISE_PRESETS,
    NoisePreset,
    noise_preset_table,
    observe_keypoints,
    observe_smpl,
    occlusion_intervals,
    perturb_rotvecs,
    resolve_noise_preset,
    sample_alpha,
    slam_drift,
    smpl_gap_mask,
)

MEDIUM = NOISE_PRESETS["medium"]
SIZE = (1920, 1080)
INTRINSICS = np.array([1500.0, 1500.0, 960.0, 540.0])


@pytest.fixture(scope="module")
def body() -> BodyModel:
    return BodyModel.standin(dtype=torch.float64)


def _points_in_view(num_frames: int, num_points: int, rng: np.random.Generator) -> np.ndarray:
    """Camera-frame points that project well inside the image (≥ 300 px from the border)."""
    z = rng.uniform(3.0, 8.0, size=(num_frames, num_points))
    u = rng.uniform(300, 1620, size=(num_frames, num_points))
    v = rng.uniform(300, 780, size=(num_frames, num_points))
    x = (u - INTRINSICS[2]) / INTRINSICS[0] * z
    y = (v - INTRINSICS[3]) / INTRINSICS[1] * z
    return np.stack([x, y, z], axis=-1)


def _project(points: np.ndarray) -> np.ndarray:
    return points[..., :2] / points[..., 2:] * INTRINSICS[:2] + INTRINSICS[2:]


# --------------------------------------------------------------------------------------------
# presets
# --------------------------------------------------------------------------------------------

_NOISE_FIELDS = (
    "keypoint_sigma_px",
    "dropout_rate",
    "outlier_rate",
    "occlusions_per_100_frames",
    "pose_sigma_rad",
    "root_sigma_rad",
    "depth_sigma",
    "depth_bias_sigma",
    "betas_sigma",
    "betas_bias_sigma",
    "smpl_missing_rate",
    "rot_drift_rad_per_s",
    "trans_drift_fraction",
)


def test_presets_are_ordered_easy_medium_hard():
    easy, medium, hard = (NOISE_PRESETS[k] for k in ("easy", "medium", "hard"))
    for name in _NOISE_FIELDS:
        assert 0 < getattr(easy, name) < getattr(medium, name) < getattr(hard, name), name
    assert easy.keypoint_conf[0] > medium.keypoint_conf[0] > hard.keypoint_conf[0]
    assert easy.occlusion_frames[1] <= medium.occlusion_frames[1] < hard.occlusion_frames[1]


def test_medium_preset_has_the_documented_values():
    assert MEDIUM.keypoint_sigma_px == 3.0
    assert MEDIUM.keypoint_conf == (0.6, 1.0)
    assert (MEDIUM.dropout_rate, MEDIUM.outlier_rate) == (0.05, 0.02)
    assert MEDIUM.outlier_offset_px == (30.0, 150.0) and MEDIUM.outlier_conf == (0.4, 0.8)
    assert MEDIUM.pose_sigma_rad == 0.08
    assert math.degrees(MEDIUM.root_sigma_rad) == pytest.approx(3.0)
    assert (MEDIUM.depth_sigma, MEDIUM.depth_bias_sigma, MEDIUM.betas_sigma) == (0.05, 0.1, 0.5)
    assert MEDIUM.occlusion_frames == (5, 20)
    assert MEDIUM.alpha_range == (0.2, 5.0)
    assert math.degrees(MEDIUM.rot_drift_rad_per_s) == pytest.approx(0.5)
    assert 0.01 <= MEDIUM.trans_drift_fraction <= 0.02


def test_noiseless_preset_has_no_noise_but_a_scale_range():
    none = NoisePreset.noiseless()
    for name in _NOISE_FIELDS:
        assert getattr(none, name) == 0, name
    assert none.keypoint_conf == (1.0, 1.0)
    assert none.alpha_range[0] < 1 < none.alpha_range[1]
    assert resolve_noise_preset("none") == none
    assert resolve_noise_preset("hard") is NOISE_PRESETS["hard"]
    assert resolve_noise_preset(MEDIUM) is MEDIUM


def test_presets_are_read_only_and_serialisable():
    with pytest.raises(TypeError):
        NOISE_PRESETS["extreme"] = MEDIUM  # type: ignore[index]
    d = MEDIUM.to_dict()
    assert set(d) == {f.name for f in fields(NoisePreset)}
    assert d["keypoint_conf"] == [0.6, 1.0]


@pytest.mark.parametrize(
    "change, match",
    [
        ({"keypoint_sigma_px": -1.0}, "keypoint_sigma_px"),
        ({"dropout_rate": 1.0}, "dropout_rate"),
        ({"keypoint_conf": (0.9, 0.5)}, "keypoint_conf"),
        ({"outlier_conf": (0.5, 1.5)}, "outlier_conf"),
        ({"occlusion_frames": (0, 4)}, "occlusion_frames"),
        ({"alpha_range": (0.0, 2.0)}, "alpha_range"),
        ({"depth_sigma": float("nan")}, "depth_sigma"),
    ],
)
def test_bad_preset_values_raise_naming_the_field(change, match):
    with pytest.raises(ValueError, match=match):
        replace(MEDIUM, **change)


def test_preset_table_shows_every_field_and_matches_the_doc():
    table = noise_preset_table()
    lines = table.splitlines()
    assert lines[0].split("|")[4:8] == [" none ", " easy ", " medium ", " hard "]
    shown = {line.split("`")[1] for line in lines[2:]}
    assert shown == {f.name for f in fields(NoisePreset)} - {"name"}
    row = {line.split("`")[1]: line for line in lines[2:]}
    assert row["keypoint_sigma_px"].endswith("| 0 | 1 | 3 | 6 |")
    assert row["root_sigma_rad"].endswith("| 0 | 1 | 3 | 8 |")  # shown in degrees
    assert row["trans_drift_fraction"].endswith("| 0 | 0.3 | 1.5 | 4 |")  # shown in %
    doc = Path(__file__).resolve().parents[2] / "docs" / "benchmark.md"
    assert table in doc.read_text(encoding="utf-8")


def test_unknown_preset_name_raises():
    with pytest.raises(ValueError, match="preset"):
        resolve_noise_preset("extreme")


# --------------------------------------------------------------------------------------------
# keypoints
# --------------------------------------------------------------------------------------------


def test_keypoint_noise_statistics_match_the_preset():
    rng = np.random.default_rng(0)
    points = _points_in_view(400, 25, rng)
    intr = np.tile(INTRINSICS, (400, 1))
    kp = observe_keypoints(points, intr, SIZE, MEDIUM, np.random.default_rng(1))
    truth = _project(points)
    conf = kp[..., 2]
    dropped = conf == 0
    assert dropped.mean() == pytest.approx(MEDIUM.dropout_rate, abs=0.01)
    assert np.all(kp[dropped, :2] == 0)
    err = np.linalg.norm(kp[..., :2] - truth, axis=-1)
    outlier = ~dropped & (err > 25.0)
    good = ~dropped & ~outlier
    # outliers: 2 % of the detected points, displaced 30–150 px, confidence 0.4–0.8
    assert outlier.sum() / (~dropped).sum() == pytest.approx(MEDIUM.outlier_rate, abs=0.006)
    assert err[outlier].min() > 30.0 - 6 * MEDIUM.keypoint_sigma_px
    assert err[outlier].max() < 150.0 + 6 * MEDIUM.keypoint_sigma_px
    assert conf[outlier].min() >= 0.4 and conf[outlier].max() <= 0.8
    # good detections: Gaussian noise of σ = 3 px per coordinate, confidence 0.6–1.0
    residual = (kp[..., :2] - truth)[good]
    assert residual.std() == pytest.approx(MEDIUM.keypoint_sigma_px, rel=0.03)
    assert np.abs(residual.mean(axis=0)).max() < 0.05
    assert conf[good].min() >= 0.6 and conf[good].max() <= 1.0
    assert conf[good].mean() == pytest.approx(0.8, abs=0.01)


def test_keypoints_outside_the_image_behind_the_camera_or_occluded_have_zero_confidence():
    points = np.array(
        [
            [
                [0.0, 0.0, 5.0],  # centre
                [10.0, 0.0, 5.0],  # far right, outside
                [0.0, -10.0, 5.0],  # far above, outside
                [0.0, 0.0, -5.0],  # behind the camera
                [0.0, 0.0, 0.5 * KEYPOINT_MIN_DEPTH],  # on the camera plane
            ]
        ]
        * 3
    )
    intr = np.tile(INTRINSICS, (3, 1))
    occluded = np.array([False, True, False])
    kp = observe_keypoints(
        points, intr, SIZE, NoisePreset.noiseless(), np.random.default_rng(0), occluded=occluded
    )
    np.testing.assert_array_equal(kp[[0, 2], :, 2], [[1, 0, 0, 0, 0]] * 2)
    np.testing.assert_array_equal(kp[1], 0.0)
    np.testing.assert_allclose(kp[0, 0, :2], [960.0, 540.0], atol=1e-12)
    assert np.all(np.isfinite(kp))


def test_noisier_presets_give_larger_keypoint_errors():
    rng = np.random.default_rng(3)
    points = _points_in_view(200, 25, rng)
    intr = np.tile(INTRINSICS, (200, 1))
    truth = _project(points)
    rms = []
    for name in ("easy", "medium", "hard"):
        kp = observe_keypoints(points, intr, SIZE, NOISE_PRESETS[name], np.random.default_rng(4))
        seen = kp[..., 2] > 0
        err = np.linalg.norm(kp[..., :2] - truth, axis=-1)[seen]
        rms.append((np.median(err), seen.mean()))
    assert rms[0][0] < rms[1][0] < rms[2][0]
    assert rms[0][1] > rms[1][1] > rms[2][1]


def test_keypoints_are_seeded():
    points = _points_in_view(10, 25, np.random.default_rng(0))
    intr = np.tile(INTRINSICS, (10, 1))
    a = observe_keypoints(points, intr, SIZE, MEDIUM, np.random.default_rng(7))
    b = observe_keypoints(points, intr, SIZE, MEDIUM, np.random.default_rng(7))
    c = observe_keypoints(points, intr, SIZE, MEDIUM, np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_occlusion_intervals_have_the_preset_count_and_lengths():
    rng = np.random.default_rng(0)
    counts, lengths = [], []
    for _ in range(400):
        intervals = occlusion_intervals(300, MEDIUM, rng)
        counts.append(len(intervals))
        lengths += [e - s for s, e in intervals]
        assert all(0 <= s < e <= 300 for s, e in intervals)
    # ~3 per 300-frame track (a few are refused so that half of the track stays visible)
    assert np.mean(counts) == pytest.approx(3.0, abs=0.3)
    assert min(lengths) >= 5 and max(lengths) <= 20
    assert np.mean(lengths) == pytest.approx(12.5, abs=0.6)
    assert occlusion_intervals(300, NoisePreset.noiseless(), rng) == []


# --------------------------------------------------------------------------------------------
# SMPL estimates
# --------------------------------------------------------------------------------------------


def _angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ra = roma.rotvec_to_rotmat(torch.from_numpy(a))
    rb = roma.rotvec_to_rotmat(torch.from_numpy(b))
    return roma.rotmat_to_rotvec(ra.transpose(-1, -2) @ rb).norm(dim=-1).numpy()


def test_rotation_noise_has_the_requested_rms_angle():
    rng = np.random.default_rng(0)
    base = rng.normal(scale=1.0, size=(20000, 3))
    for local in (True, False):
        noisy = perturb_rotvecs(base, 0.08, np.random.default_rng(1), local=local)
        angle = _angles(base, noisy)
        assert math.sqrt(np.mean(angle**2)) == pytest.approx(0.08, rel=0.02)
    np.testing.assert_array_equal(perturb_rotvecs(base, 0.0, rng, local=True), base)


def test_rotation_noise_side():
    base = np.array([[0.0, 0.0, 1.2]])
    left = perturb_rotvecs(base, 0.3, np.random.default_rng(5), local=False)
    right = perturb_rotvecs(base, 0.3, np.random.default_rng(5), local=True)
    n = np.random.default_rng(5).normal(scale=0.3 / math.sqrt(3), size=(1, 3))
    R = roma.rotvec_to_rotmat(torch.from_numpy(base))
    N = roma.rotvec_to_rotmat(torch.from_numpy(n))
    torch.testing.assert_close(roma.rotvec_to_rotmat(torch.from_numpy(left)), N @ R)
    torch.testing.assert_close(roma.rotvec_to_rotmat(torch.from_numpy(right)), R @ N)


def _camera_smpl(num_frames: int, rng: np.random.Generator):
    go = rng.normal(scale=0.5, size=(num_frames, 3))
    bp = rng.normal(scale=0.2, size=(num_frames, 23, 3))
    betas = rng.normal(scale=0.5, size=10)
    transl = np.stack(
        [
            rng.uniform(-1, 1, num_frames),
            rng.uniform(-0.5, 0.5, num_frames),
            rng.uniform(3, 8, num_frames),
        ],
        axis=-1,
    )
    return go, bp, betas, transl


def test_smpl_depth_error_moves_the_pelvis_along_its_ray(body):
    rng = np.random.default_rng(0)
    go, bp, betas, transl = _camera_smpl(200, rng)
    biases, per_frame = [], []
    for k in range(30):
        obs = observe_smpl(body, go, bp, betas, transl, MEDIUM, np.random.default_rng(k))
        o = obs.observed
        j0 = body.joint_template(torch.from_numpy(betas))[0].numpy()
        j0_est = body.joint_template(torch.from_numpy(obs.betas[o]))[:, 0].numpy()
        pelvis = (transl + j0)[o]
        pelvis_est = obs.transl[o] + j0_est
        # the estimated pelvis lies on the true pelvis' viewing ray (same pixel) …
        cos = np.sum(pelvis * pelvis_est, axis=1) / (
            np.linalg.norm(pelvis, axis=1) * np.linalg.norm(pelvis_est, axis=1)
        )
        np.testing.assert_allclose(cos, 1.0, atol=1e-12)
        # … at exp(b + ε) times the true distance, b the recorded track bias
        log_ratio = np.log(np.linalg.norm(pelvis_est, axis=1) / np.linalg.norm(pelvis, axis=1))
        assert np.mean(log_ratio) == pytest.approx(obs.depth_bias, abs=0.01)
        per_frame.append(np.std(log_ratio))
        biases.append(obs.depth_bias)
    assert np.mean(per_frame) == pytest.approx(MEDIUM.depth_sigma, rel=0.05)
    assert np.std(biases) == pytest.approx(MEDIUM.depth_bias_sigma, rel=0.35)
    assert min(biases) < 0 < max(biases)


def test_smpl_pose_orientation_and_shape_noise(body):
    rng = np.random.default_rng(1)
    go, bp, betas, transl = _camera_smpl(2000, rng)
    obs = observe_smpl(body, go, bp, betas, transl, MEDIUM, np.random.default_rng(2))
    o = obs.observed
    pose_rms = math.sqrt(np.mean(_angles(bp[o], obs.body_pose[o]) ** 2))
    root_rms = math.sqrt(np.mean(_angles(go[o], obs.global_orient[o]) ** 2))
    assert pose_rms == pytest.approx(MEDIUM.pose_sigma_rad, rel=0.03)
    assert root_rms == pytest.approx(MEDIUM.root_sigma_rad, rel=0.05)
    betas_err = obs.betas[o] - betas
    assert betas_err.std(axis=0).mean() == pytest.approx(MEDIUM.betas_sigma, rel=0.05)
    # one shape offset per track, shared by all frames
    assert np.abs(betas_err.mean(axis=0)).max() > 0.05


def test_smpl_gaps_and_availability(body):
    rng = np.random.default_rng(2)
    go, bp, betas, transl = _camera_smpl(300, rng)
    available = np.ones(300, dtype=bool)
    available[100:130] = False
    obs = observe_smpl(
        body, go, bp, betas, transl, MEDIUM, np.random.default_rng(3), available=available
    )
    assert not obs.observed[100:130].any()
    missing_elsewhere = (~obs.observed & available).sum()
    assert missing_elsewhere <= round(MEDIUM.smpl_missing_rate * 300)
    assert missing_elsewhere >= round(MEDIUM.smpl_missing_rate * 300) - 30
    for a in (obs.global_orient, obs.body_pose, obs.betas, obs.transl):
        assert np.all(np.isnan(a[~obs.observed])) and np.all(np.isfinite(a[obs.observed]))


def test_gap_mask_fraction_and_gap_lengths():
    rng = np.random.default_rng(0)
    for _ in range(50):
        observed = smpl_gap_mask(300, MEDIUM, rng)
        assert (~observed).sum() == round(MEDIUM.smpl_missing_rate * 300)
        edges = np.flatnonzero(np.diff(np.r_[0, (~observed).astype(int), 0]))
        runs = edges[1::2] - edges[::2]
        # adjacent gaps can merge, never exceed the total
        assert runs.min() >= 1 and runs.sum() == (~observed).sum()
    assert smpl_gap_mask(300, NoisePreset.noiseless(), rng).all()


def test_noiseless_smpl_is_exact(body):
    go, bp, betas, transl = _camera_smpl(50, np.random.default_rng(4))
    obs = observe_smpl(
        body, go, bp, betas, transl, NoisePreset.noiseless(), np.random.default_rng(0)
    )
    assert obs.observed.all() and obs.depth_bias == 0.0
    np.testing.assert_allclose(obs.global_orient, go, atol=1e-12)
    np.testing.assert_allclose(obs.body_pose, bp, atol=1e-12)
    np.testing.assert_allclose(obs.betas, np.tile(betas, (50, 1)), atol=0)
    np.testing.assert_allclose(obs.transl, transl, atol=1e-12)


# --------------------------------------------------------------------------------------------
# SLAM
# --------------------------------------------------------------------------------------------


def test_alpha_is_log_uniform_in_range():
    rng = np.random.default_rng(0)
    alphas = np.array([sample_alpha(MEDIUM, rng) for _ in range(5000)])
    low, high = MEDIUM.alpha_range
    assert alphas.min() >= low and alphas.max() <= high
    logs = (np.log(alphas) - math.log(low)) / (math.log(high) - math.log(low))
    assert np.histogram(logs, bins=5, range=(0, 1))[0].min() > 900
    assert np.median(alphas) == pytest.approx(1.0, rel=0.08)


def test_slam_drift_starts_at_zero_and_grows_at_the_preset_rates():
    fps = 30.0
    n = 300
    centers = np.zeros((n, 3))
    centers[:, 0] = np.arange(n) * 0.05  # 1.5 m/s straight line, 15 m in total
    ends_rot, ends_trans = [], []
    for seed in range(20):
        drift = slam_drift(centers, fps, MEDIUM, np.random.default_rng(seed))
        np.testing.assert_array_equal(drift.rotation[0], np.eye(3))
        np.testing.assert_array_equal(drift.translation[0], 0.0)
        angle = roma.rotmat_to_rotvec(torch.from_numpy(drift.rotation)).norm(dim=-1).numpy()
        dist = np.linalg.norm(drift.translation, axis=-1)
        assert angle[-1] > angle[n // 4] > 0 and dist[-1] > dist[n // 4] > 0
        # never faster than the rate; close to it, the axis wanders only slowly
        assert angle[-1] <= MEDIUM.rot_drift_rad_per_s * (n - 1) / fps + 1e-12
        assert dist[-1] <= MEDIUM.trans_drift_fraction * 0.05 * (n - 1) + 1e-12
        ends_rot.append(angle[-1] / (MEDIUM.rot_drift_rad_per_s * (n - 1) / fps))
        ends_trans.append(dist[-1] / (MEDIUM.trans_drift_fraction * 0.05 * (n - 1)))
    assert np.mean(ends_rot) > 0.6 and np.mean(ends_trans) > 0.6
    still = slam_drift(np.zeros((n, 3)), fps, MEDIUM, np.random.default_rng(0))
    np.testing.assert_array_equal(still.translation, 0.0)
    none = slam_drift(centers, fps, NoisePreset.noiseless(), np.random.default_rng(0))
    np.testing.assert_array_equal(none.rotation, np.tile(np.eye(3), (n, 1, 1)))
    np.testing.assert_array_equal(none.translation, 0.0)
