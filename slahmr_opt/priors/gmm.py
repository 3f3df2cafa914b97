"""The initial-state prior: a full-covariance Gaussian mixture over 138-d canonical states.

The original (``prior_gmm.npz``: ``weights`` (K,), ``means`` (K, 138), ``covariances``
(K, 138, 138), fitted by scikit-learn with 12 components) is read by :meth:`GaussianMixture.load`;
:func:`fit_gmm` fits one with k-means++ seeding and EM written on torch (float64), following
scikit-learn's ``GaussianMixture(covariance_type="full", reg_covar, max_iter, tol)`` recipe.
The features are :func:`~slahmr_opt.priors.state.gmm_features` of a state in its own canonical
frame, so the energy is invariant to yaw and horizontal shifts of the world.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from slahmr_opt.errors import InputError
from slahmr_opt.files import write_npz_atomic
from slahmr_opt.priors.state import GMM_DIM, PriorState, canonical_frame, gmm_features, to_local
from slahmr_opt.reprs import short_repr
from slahmr_opt.safe_load import load_npz

__all__ = ["GaussianMixture", "fit_gmm", "initial_state_energy"]

_LOG_2PI = math.log(2.0 * math.pi)


@dataclass
class GaussianMixture:
    """A K-component full-covariance Gaussian mixture over D dimensions (float64 inside).

    Attributes:
        weights: (K,) mixing weights, summing to 1.
        means: (K, D).
        covariances: (K, D, D) symmetric positive definite.
    """

    __repr__ = short_repr

    weights: Tensor
    means: Tensor
    covariances: Tensor
    _chol: Tensor = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.weights = torch.as_tensor(self.weights, dtype=torch.float64)
        self.means = torch.as_tensor(self.means, dtype=torch.float64)
        self.covariances = torch.as_tensor(self.covariances, dtype=torch.float64)
        if self.weights.ndim != 1 or self.weights.numel() < 1:
            raise ValueError(f"weights: expected shape (K,), got {tuple(self.weights.shape)}")
        k = self.weights.shape[0]
        if self.means.ndim != 2 or self.means.shape[0] != k:
            raise ValueError(f"means: expected shape ({k}, D), got {tuple(self.means.shape)}")
        d = self.means.shape[1]
        if tuple(self.covariances.shape) != (k, d, d):
            raise ValueError(
                f"covariances: expected shape ({k}, {d}, {d}), got {tuple(self.covariances.shape)}"
            )
        if (self.weights < 0).any() or abs(float(self.weights.sum()) - 1.0) > 1e-6:
            raise ValueError("weights: expected non-negative mixing weights that sum to 1")
        chol, info = torch.linalg.cholesky_ex(self.covariances)
        if (info != 0).any():
            bad = torch.nonzero(info).flatten().tolist()
            raise ValueError(f"covariances: components {bad} are not positive definite")
        self._chol = chol

    @property
    def num_components(self) -> int:
        return int(self.weights.shape[0])

    @property
    def dim(self) -> int:
        return int(self.means.shape[1])

    def log_prob(self, x: Tensor) -> Tensor:
        """log p(x) for (..., D) points → (...), in the dtype of ``x`` (computed in float64)."""
        if x.shape[-1] != self.dim:
            raise ValueError(f"x: expected shape (..., {self.dim}), got {tuple(x.shape)}")
        lead = x.shape[:-1]
        flat = x.reshape(-1, self.dim).to(torch.float64)
        comp = self._component_log_prob(flat)  # (N, K)
        out = torch.logsumexp(comp + torch.log(self.weights), dim=-1)
        return out.reshape(lead).to(x.dtype)

    def nll(self, x: Tensor) -> Tensor:
        """−log p(x), (..., D) → (...)."""
        return -self.log_prob(x)

    def _component_log_prob(self, x: Tensor) -> Tensor:
        """(N, D) float64 → (N, K) log N(x; μ_k, Σ_k)."""
        diff = x[None] - self.means[:, None]  # (K, N, D)
        sol = torch.linalg.solve_triangular(self._chol, diff.transpose(1, 2), upper=False)
        maha = sol.square().sum(1)  # (K, N)
        logdet = 2.0 * torch.log(torch.diagonal(self._chol, dim1=-2, dim2=-1)).sum(-1)
        return (-0.5 * (self.dim * _LOG_2PI + logdet[:, None] + maha)).T

    def sample(self, num: int, seed: int) -> Tensor:
        """(num, D) float64 draws."""
        gen = torch.Generator().manual_seed(int(seed))
        comp = torch.multinomial(self.weights, num, replacement=True, generator=gen)
        noise = torch.randn(num, self.dim, generator=gen, dtype=torch.float64)
        return self.means[comp] + (self._chol[comp] @ noise[..., None])[..., 0]

    # ------------------------------------------------------------------ files
    @classmethod
    def load(cls, path: str | os.PathLike, dim: int | None = GMM_DIM) -> GaussianMixture:
        """Read a ``prior_gmm.npz`` (``weights``, ``means``, ``covariances``).

        Args:
            path: the file.
            dim: required dimension (138 for the HuMoR initial state); None accepts any.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such GMM file")
        data = load_npz(path, "initial-state GMM")
        missing = {"weights", "means", "covariances"} - set(data)
        if missing:
            raise InputError(f"{path}: missing arrays {sorted(missing)} (have {sorted(data)})")
        gmm = cls(data["weights"], data["means"], data["covariances"])
        if dim is not None and gmm.dim != dim:
            raise ValueError(f"{path}: means have dimension {gmm.dim}, expected {dim}")
        return gmm

    def save(self, path: str | os.PathLike) -> Path:
        """Write the three arrays (float64) to ``path`` atomically, in the original's format."""
        return write_npz_atomic(
            path,
            {
                "weights": self.weights.numpy(),
                "means": self.means.numpy(),
                "covariances": self.covariances.numpy(),
            },
        )


def initial_state_energy(gmm: GaussianMixture, state: PriorState, pelvis_offset: Tensor) -> Tensor:
    """E_init = −log GMM of states expressed in their own canonical frames.

    Args:
        gmm: the initial-state mixture (D = 138).
        state: leading shape (...), in a z-up floor frame.
        pelvis_offset: (..., 3) or (3,).

    Returns:
        (...) energies.
    """
    offset = torch.broadcast_to(pelvis_offset.to(state.dtype), state.trans.shape)
    local = to_local(state, canonical_frame(state, offset))
    return gmm.nll(gmm_features(local))


# ----------------------------------------------------------------------------- fitting
def _kmeans_pp(x: Tensor, k: int, gen: torch.Generator) -> Tensor:
    n = x.shape[0]
    centers = [x[int(torch.randint(n, (1,), generator=gen))]]
    dist = (x - centers[0]).square().sum(-1)
    for _ in range(1, k):
        total = dist.sum()
        if total <= 0:
            idx = int(torch.randint(n, (1,), generator=gen))
        else:
            idx = int(torch.multinomial(dist / total, 1, generator=gen))
        centers.append(x[idx])
        dist = torch.minimum(dist, (x - x[idx]).square().sum(-1))
    return torch.stack(centers)


def _kmeans(x: Tensor, k: int, gen: torch.Generator, iters: int) -> Tensor:
    """Hard labels (N,) from k-means++ seeding and Lloyd iterations."""
    centers = _kmeans_pp(x, k, gen)
    labels = torch.cdist(x, centers).argmin(1)
    for _ in range(iters):
        for j in range(k):
            members = labels == j
            if members.any():
                centers[j] = x[members].mean(0)
        new = torch.cdist(x, centers).argmin(1)
        if torch.equal(new, labels):
            break
        labels = new
    return labels


def _m_step(x: Tensor, resp: Tensor, reg_covar: float) -> tuple[Tensor, Tensor, Tensor]:
    nk = resp.sum(0) + 10.0 * torch.finfo(torch.float64).eps  # (K,)
    means = resp.T @ x / nk[:, None]
    covs = []
    eye = torch.eye(x.shape[1], dtype=torch.float64)
    for j in range(resp.shape[1]):
        diff = x - means[j]
        cov = (resp[:, j, None] * diff).T @ diff / nk[j]
        covs.append(0.5 * (cov + cov.T) + reg_covar * eye)
    return nk / nk.sum(), means, torch.stack(covs)


def fit_gmm(
    x: Tensor,
    num_components: int = 12,
    *,
    seed: int = 0,
    reg_covar: float = 1e-6,
    max_iter: int = 200,
    tol: float = 1e-3,
    kmeans_iters: int = 30,
) -> tuple[GaussianMixture, dict[str, float]]:
    """Fit a full-covariance Gaussian mixture by EM.

    Args:
        x: (N, D) samples, N ≥ num_components.
        num_components: K.
        seed: seeds the k-means++ initialisation.
        reg_covar: added to every covariance diagonal.
        max_iter: EM iterations at most.
        tol: stop when the mean log-likelihood per sample improves by less than this.
        kmeans_iters: Lloyd iterations of the initial clustering.

    Returns:
        (mixture, {"iterations", "mean_log_likelihood", "converged"}).
    """
    x = torch.as_tensor(x, dtype=torch.float64)
    if x.ndim != 2 or x.shape[0] < num_components:
        raise ValueError(f"x: expected shape (N ≥ {num_components}, D), got {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError("x: expected finite samples")
    gen = torch.Generator().manual_seed(int(seed))
    labels = _kmeans(x, num_components, gen, kmeans_iters)
    resp = torch.nn.functional.one_hot(labels, num_components).to(torch.float64)
    gmm = GaussianMixture(*_m_step(x, resp, reg_covar))
    previous = -math.inf
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        weighted = gmm._component_log_prob(x) + torch.log(gmm.weights)
        norm = torch.logsumexp(weighted, dim=1)
        mean_ll = float(norm.mean())
        resp = torch.exp(weighted - norm[:, None])
        gmm = GaussianMixture(*_m_step(x, resp, reg_covar))
        if abs(mean_ll - previous) < tol:
            converged = True
            break
        previous = mean_ll
    final = float(gmm.log_prob(x).mean())
    return gmm, {
        "iterations": float(iterations),
        "mean_log_likelihood": final,
        "converged": float(converged),
    }
