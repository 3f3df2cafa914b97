import numpy as np
import pytest
import roma
import torch

from slahmr_opt.geometry.alignment import (
    apply_similarity,
    similarity_fit,
    similarity_fit_batched,
)


def random_rotation(seed: int) -> np.ndarray:
    torch.manual_seed(seed)
    return roma.random_rotmat(dtype=torch.float64).numpy()


def test_roma_registration_convention():
    """roma returns (R, t, s) with y ≈ s R x + t; our wrapper relies on that order."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 3))
    R0 = random_rotation(1)
    y = 0.6 * x @ R0.T + np.array([0.3, -2.0, 5.0])
    R, t, s = roma.rigid_points_registration(
        torch.from_numpy(x), torch.from_numpy(y), compute_scaling=True
    )
    np.testing.assert_allclose(R.numpy(), R0, atol=1e-12)
    np.testing.assert_allclose(t.numpy(), [0.3, -2.0, 5.0], atol=1e-12)
    assert float(s) == pytest.approx(0.6, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_similarity_round_trip_float64(seed):
    rng = np.random.default_rng(seed)
    src = rng.normal(size=(48, 3)) * 3.0
    R0 = random_rotation(seed)
    s0, t0 = rng.uniform(0.2, 5.0), rng.normal(size=3) * 10
    dst = s0 * src @ R0.T + t0
    s, R, t = similarity_fit(src, dst)
    assert isinstance(s, float)
    assert s == pytest.approx(s0, rel=1e-12)
    np.testing.assert_allclose(R, R0, atol=1e-12)
    np.testing.assert_allclose(t, t0, atol=1e-10)
    np.testing.assert_allclose(apply_similarity(src, s, R, t), dst, atol=1e-10)


def test_rigid_fit_keeps_unit_scale_and_recovers_rotation():
    rng = np.random.default_rng(3)
    src = rng.normal(size=(30, 3))
    R0 = random_rotation(7)
    dst = 2.0 * src @ R0.T + 1.0
    s, R, t = similarity_fit(src, dst, fixed_scale=True)
    assert s == 1.0
    # Scaling about the centroid does not change the optimal rotation.
    np.testing.assert_allclose(R, R0, atol=1e-12)
    np.testing.assert_allclose(t, dst.mean(0) - src.mean(0) @ R0.T, atol=1e-12)


def test_fit_is_least_squares_optimal_on_noisy_data():
    rng = np.random.default_rng(11)
    src = rng.normal(size=(60, 3))
    dst = 1.3 * src @ random_rotation(2).T + rng.normal(size=3) + 0.05 * rng.normal(size=(60, 3))
    s, R, t = similarity_fit(src, dst)
    best = np.sum((apply_similarity(src, s, R, t) - dst) ** 2)
    for k in range(20):
        dR = roma.rotvec_to_rotmat(torch.from_numpy(rng.normal(size=3) * 1e-3)).numpy()
        cost = np.sum((apply_similarity(src, s * (1 + 1e-3 * (k - 10)), dR @ R, t) - dst) ** 2)
        assert cost >= best


def test_rotation_is_proper_for_reflected_target():
    rng = np.random.default_rng(4)
    src = rng.normal(size=(25, 3))
    dst = src * np.array([1.0, 1.0, -1.0])  # a mirror image: no rotation reproduces it
    _, R, _ = similarity_fit(src, dst)
    assert np.linalg.det(R) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)


def test_degenerate_inputs_give_valid_transforms():
    rng = np.random.default_rng(5)
    dst = rng.normal(size=(6, 3))
    # Coincident source points: identity rotation, unit scale, centroids matched.
    s, R, t = similarity_fit(np.full((6, 3), 0.1), dst)
    assert s == 1.0
    np.testing.assert_array_equal(R, np.eye(3))
    np.testing.assert_allclose(t, dst.mean(0) - 0.1, atol=1e-15)
    # A single point.
    s, R, t = similarity_fit(np.ones((1, 3)), dst[:1])
    np.testing.assert_allclose(apply_similarity(np.ones(3), s, R, t), dst[0], atol=1e-15)
    # Collinear points: the rotation about the line is free, the fit must still be exact.
    line = np.zeros((5, 3))
    line[:, 0] = np.arange(5.0)
    s, R, t = similarity_fit(line, 2.0 * line + 1.0)
    assert np.linalg.det(R) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(apply_similarity(line, s, R, t), 2.0 * line + 1.0, atol=1e-12)


def test_batched_fit_matches_single_and_accepts_torch():
    rng = np.random.default_rng(6)
    src = rng.normal(size=(4, 10, 3))
    dst = rng.normal(size=(4, 10, 3))
    s, R, t = similarity_fit_batched(torch.from_numpy(src).float(), dst)
    assert s.shape == (4,) and R.shape == (4, 3, 3) and t.shape == (4, 3)
    assert s.dtype == np.float64
    for b in range(4):
        sb, Rb, tb = similarity_fit(src[b].astype(np.float32), dst[b])
        assert s[b] == pytest.approx(sb, rel=1e-12)
        np.testing.assert_allclose(R[b], Rb, atol=1e-12)


def test_apply_similarity_on_batched_points():
    R = random_rotation(9)
    pts = np.random.default_rng(7).normal(size=(2, 5, 3))
    out = apply_similarity(pts, 2.0, R, np.array([1.0, 0.0, 0.0]))
    assert out.shape == (2, 5, 3)
    np.testing.assert_allclose(out[1, 3], 2.0 * R @ pts[1, 3] + [1.0, 0.0, 0.0], atol=1e-14)


@pytest.mark.parametrize(
    "src, dst, match",
    [
        (np.full((4, 3), np.nan), np.zeros((4, 3)), "src"),
        (np.zeros((4, 3)), np.array([[0, 0, np.inf]] * 4), "dst"),
        (np.zeros((4, 2)), np.zeros((4, 2)), r"src: expected shape \(N, 3\)"),
        (np.zeros((4, 3)), np.zeros((5, 3)), "same shape"),
        (np.zeros((0, 3)), np.zeros((0, 3)), "src"),
    ],
)
def test_bad_inputs_raise(src, dst, match):
    with pytest.raises(ValueError, match=match):
        similarity_fit(src, dst)


def test_apply_similarity_bad_inputs():
    with pytest.raises(ValueError, match="R"):
        apply_similarity(np.zeros((2, 3)), 1.0, np.eye(2), np.zeros(3))
    with pytest.raises(ValueError, match="points"):
        apply_similarity(np.zeros((2, 4)), 1.0, np.eye(3), np.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        apply_similarity(np.zeros((2, 3)), float("nan"), np.eye(3), np.zeros(3))
