"""The initial-state GMM: density, file format, EM fit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from slahmr_opt.priors.gmm import GaussianMixture, fit_gmm


def reference_log_prob(x, weights, means, covs):
    dens = sum(
        w * multivariate_normal(m, c).pdf(x) for w, m, c in zip(weights, means, covs, strict=True)
    )
    return np.log(dens)


def test_log_prob_matches_scipy_and_keeps_gradients():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 4, 4))
    covs = a @ a.transpose(0, 2, 1) + 0.5 * np.eye(4)
    means, weights = rng.normal(size=(3, 4)), np.array([0.2, 0.5, 0.3])
    gmm = GaussianMixture(weights, means, covs)
    x = rng.normal(size=(7, 4))
    np.testing.assert_allclose(
        gmm.log_prob(torch.tensor(x)).numpy(),
        reference_log_prob(x, weights, means, covs),
        rtol=1e-10,
    )
    xt = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    e = gmm.nll(xt)
    assert e.dtype == torch.float32
    e.sum().backward()
    assert torch.isfinite(xt.grad).all() and xt.grad.abs().sum() > 0


def test_file_round_trip_and_rejections(tmp_path):
    gmm = GaussianMixture(
        np.array([0.4, 0.6]), np.zeros((2, 5)), np.stack([np.eye(5), 2 * np.eye(5)])
    )
    gmm.save(tmp_path / "g.npz")
    back = GaussianMixture.load(tmp_path / "g.npz", dim=5)
    torch.testing.assert_close(back.covariances, gmm.covariances)
    with np.load(tmp_path / "g.npz") as f:
        assert set(f.files) == {"weights", "means", "covariances"}
        assert f["covariances"].dtype == np.float64
    with pytest.raises(ValueError, match="dimension 5, expected 138"):
        GaussianMixture.load(tmp_path / "g.npz")
    np.savez(tmp_path / "bad.npz", weights=np.ones(1), means=np.zeros((1, 2)))
    with pytest.raises(ValueError, match="missing arrays.*covariances"):
        GaussianMixture.load(tmp_path / "bad.npz", dim=None)
    with pytest.raises(ValueError, match="not positive definite"):
        GaussianMixture(np.ones(1), np.zeros((1, 2)), -np.eye(2)[None])
    with pytest.raises(ValueError, match="covariances: expected shape"):
        GaussianMixture(np.ones(1), np.zeros((1, 2)), np.eye(3)[None])


def test_em_recovers_a_known_mixture():
    truth = GaussianMixture(
        np.array([0.3, 0.7]),
        np.array([[4.0, 0.0, 1.0], [-3.0, 2.0, 0.0]]),
        np.stack(
            [
                np.diag([0.5, 1.0, 0.2]),
                np.array([[1.0, 0.6, 0.0], [0.6, 1.0, 0.0], [0.0, 0.0, 0.3]]),
            ]
        ),
    )
    x = truth.sample(3000, seed=1)
    fit, info = fit_gmm(x, 2, seed=0, max_iter=100)
    order = torch.argsort(fit.means[:, 0])  # match components by their first mean coordinate
    torch.testing.assert_close(
        fit.weights[order], torch.tensor([0.7, 0.3], dtype=torch.float64), atol=0.03, rtol=0
    )
    torch.testing.assert_close(fit.means[order], truth.means[[1, 0]], atol=0.1, rtol=0)
    torch.testing.assert_close(fit.covariances[order], truth.covariances[[1, 0]], atol=0.12, rtol=0)
    assert info["converged"] == 1.0
    # the fit explains held-out data as well as the truth does (within sampling noise)
    held = truth.sample(2000, seed=2)
    assert float(fit.log_prob(held).mean()) > float(truth.log_prob(held).mean()) - 0.05
    # seeded
    again, _ = fit_gmm(x, 2, seed=0, max_iter=100)
    torch.testing.assert_close(again.means, fit.means)
    with pytest.raises(ValueError, match="x: expected shape"):
        fit_gmm(x[:1], 2)
