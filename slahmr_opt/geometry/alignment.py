"""Least-squares similarity and rigid alignment of corresponding 3D point sets.

The fit is Umeyama's (1991) closed form: for centred point sets the rotation maximises
``tr(Rᵀ M)`` with ``M = Σ w_i (y_i − ȳ)(x_i − x̄)ᵀ`` over proper rotations (det R = +1), the
scale is ``s = tr(Rᵀ M) / Σ w_i ‖x_i − x̄‖²`` and the translation ``t = ȳ − s R x̄``. The
rotation is computed by :func:`roma.rigid_points_registration` in float64; everything returned
is a numpy float64 array.

Convention used throughout: ``dst ≈ s · R @ src + t`` (column vectors), i.e. for row-stacked
points ``dst ≈ s · src @ R.T + t``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import roma
import torch

__all__ = ["apply_similarity", "similarity_fit", "similarity_fit_batched"]

# A point set whose RMS spread about its centroid is below this fraction of its largest coordinate
# magnitude is treated as a single point (its spread is then rounding noise).
_DEGENERATE_RELATIVE_SPREAD = 1e-12


def _points(x: Any, name: str, batched: bool) -> np.ndarray:
    """Convert ``x`` (numpy or torch) to float64 and check its shape and values."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x, dtype=np.float64)
    expected = "(B, N, 3)" if batched else "(N, 3)"
    ndim = 3 if batched else 2
    if arr.ndim != ndim or arr.shape[-1] != 3 or arr.shape[-2] < 1 or arr.size == 0:
        raise ValueError(f"{name}: expected shape {expected}, got {tuple(arr.shape)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or inf values")
    return arr


def similarity_fit_batched(
    src: Any, dst: Any, fixed_scale: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit one similarity per batch element so that ``dst[b] ≈ s[b] · R[b] @ src[b] + t[b]``.

    Args:
        src: ``(B, N, 3)`` source points (numpy or torch), any length unit.
        dst: ``(B, N, 3)`` corresponding target points, same unit.
        fixed_scale: if True the scale is fixed to 1 (a rigid, Kabsch fit).

    Returns:
        ``s`` ``(B,)``, ``R`` ``(B, 3, 3)`` proper rotations, ``t`` ``(B, 3)`` (unit of ``dst``),
        all float64. Degenerate inputs still give a valid transform: a source set with zero
        spread gets ``s = 1`` and ``R = I``; an ambiguous rotation (collinear or coincident
        points) is any rotation reaching the least-squares optimum.

    Raises:
        ValueError: on wrong shapes, mismatched shapes, or NaN/inf values.
    """
    x = _points(src, "src", batched=True)
    y = _points(dst, "dst", batched=True)
    if x.shape != y.shape:
        raise ValueError(
            f"src and dst: expected the same shape (B, N, 3), got {x.shape} and {y.shape}"
        )
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    if fixed_scale:
        R, t = roma.rigid_points_registration(xt, yt, compute_scaling=False)
        s = torch.ones(x.shape[0], dtype=torch.float64)
    else:
        R, t, s = roma.rigid_points_registration(xt, yt, compute_scaling=True)
    R = R.numpy().copy()
    t = t.numpy().copy()
    s = np.asarray(s.numpy(), dtype=np.float64).reshape(x.shape[0]).copy()

    # A source set with (numerically) zero spread: any R and s fit equally well; pick R = I,
    # s = 1 and match the centroids so the result stays finite and well defined.
    x_mean = x.mean(axis=1)
    spread = np.sqrt(np.mean(np.sum((x - x_mean[:, None, :]) ** 2, axis=-1), axis=1))
    magnitude = np.max(np.abs(x), axis=(1, 2))
    flat = spread <= _DEGENERATE_RELATIVE_SPREAD * magnitude
    if np.any(flat):
        R[flat] = np.eye(3)
        s[flat] = 1.0
        t[flat] = y[flat].mean(axis=1) - x_mean[flat]
    return s, R, t


def similarity_fit(
    src: Any, dst: Any, fixed_scale: bool = False
) -> tuple[float, np.ndarray, np.ndarray]:
    """Least-squares similarity (Umeyama 1991) with ``dst ≈ s · R @ src + t``.

    Args:
        src: ``(N, 3)`` source points (numpy or torch), e.g. predicted joints in metres.
        dst: ``(N, 3)`` corresponding target points, e.g. ground-truth joints in metres.
        fixed_scale: if True the scale is fixed to 1 (rigid fit: rotation and translation only).

    Returns:
        ``(s, R, t)``: ``s`` a float, ``R`` ``(3, 3)`` with det +1, ``t`` ``(3,)`` in the unit of
        ``dst``. See :func:`similarity_fit_batched` for the degenerate cases.

    Raises:
        ValueError: on wrong shapes, mismatched shapes, or NaN/inf values.
    """
    x = _points(src, "src", batched=False)
    y = _points(dst, "dst", batched=False)
    if x.shape != y.shape:
        raise ValueError(
            f"src and dst: expected the same shape (N, 3), got {x.shape} and {y.shape}"
        )
    s, R, t = similarity_fit_batched(x[None], y[None], fixed_scale=fixed_scale)
    return float(s[0]), R[0], t[0]


def apply_similarity(points: Any, s: float, R: Any, t: Any) -> np.ndarray:
    """Apply ``p ↦ s · R @ p + t`` to points.

    Args:
        points: ``(..., 3)`` points (numpy or torch).
        s: scale factor (dimensionless).
        R: ``(3, 3)`` rotation matrix.
        t: ``(3,)`` translation, in the unit of the output.

    Returns:
        ``(..., 3)`` float64 transformed points.

    Raises:
        ValueError: on wrong shapes or non-finite values.
    """
    if isinstance(points, torch.Tensor):
        points = points.detach().cpu().numpy()
    if isinstance(R, torch.Tensor):
        R = R.detach().cpu().numpy()
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().numpy()
    p = np.asarray(points, dtype=np.float64)
    R = np.asarray(R, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    s = float(s)
    if p.ndim < 1 or p.shape[-1] != 3:
        raise ValueError(f"points: expected shape (..., 3), got {tuple(p.shape)}")
    if R.shape != (3, 3):
        raise ValueError(f"R: expected shape (3, 3), got {tuple(R.shape)}")
    if t.shape != (3,):
        raise ValueError(f"t: expected shape (3,), got {tuple(t.shape)}")
    if not (np.isfinite(s) and np.all(np.isfinite(R)) and np.all(np.isfinite(t))):
        raise ValueError("s, R, t: expected finite values")
    return s * p @ R.T + t
