"""The WHAM/GVHMR protocol written out in plain numpy, independently of slahmr_opt.eval.

Definitions (reference/peers-and-metrics.md §1; WHAM ``lib/eval/eval_utils.py``, GVHMR
``hmr4d/utils/eval/eval_utils.py``): positions in metres in, mm out; pelvis = mean of joints 1, 2;
W/WA on 100-frame chunks ``range(0, N, 100)``; RTE a rigid fit over the whole sequence divided by
the true path length; jitter the third difference × fps³ / 10; foot sliding the predicted
displacement of the four foot vertices where the true one moves < 1 cm; accel the second
difference of pelvis-aligned camera joints × fps².
"""

from __future__ import annotations

import numpy as np

FOOT = (3216, 3387, 6617, 6787)


def umeyama(src: np.ndarray, dst: np.ndarray, scale: bool = True):
    """(s, R, t) minimising Σ‖s R src + t − dst‖² over (N, 3) point sets."""
    ms, md = src.mean(0), dst.mean(0)
    x, y = src - ms, dst - md
    cov = y.T @ x / len(src)
    U, D, Vt = np.linalg.svd(cov)
    S = np.eye(3)
    if np.linalg.det(U) * np.linalg.det(Vt) < 0:
        S[2, 2] = -1
    R = U @ S @ Vt
    s = np.trace(np.diag(D) @ S) / (x**2).sum(1).mean() if scale else 1.0
    return s, R, md - s * R @ ms


def _l2(a, b):
    return np.linalg.norm(a - b, axis=-1).mean(-1)


def pelvis_aligned(j):
    return j - j[:, [1, 2]].mean(1, keepdims=True)


def metrics(
    pj_w, gj_w, pj_c, gj_c, pfeet, gfeet, pv_c=None, gv_c=None, fps=30.0, root=None
) -> dict[str, np.ndarray]:
    """Per-frame metrics of one person (arrays already restricted to the scored frames)."""
    out = {}
    n = len(gj_w)
    wa, w = [], []
    for start in range(0, n, 100):
        g, p = gj_w[start : start + 100], pj_w[start : start + 100]
        s, R, t = umeyama(p.reshape(-1, 3), g.reshape(-1, 3))
        wa.append(_l2(s * p @ R.T + t, g))
        s, R, t = umeyama(p[:2].reshape(-1, 3), g[:2].reshape(-1, 3))
        w.append(_l2(s * p @ R.T + t, g))
    out["wa_mpjpe100"] = np.concatenate(wa) * 1000
    out["w_mpjpe100"] = np.concatenate(w) * 1000
    pr, gr = (pj_w[:, 0], gj_w[:, 0]) if root is None else root
    _, R, t = umeyama(pr, gr, scale=False)
    length = np.linalg.norm(np.diff(gr, axis=0), axis=-1).sum()
    out["rte"] = np.linalg.norm(pr @ R.T + t - gr, axis=-1) / length * 100
    d3 = pj_w[3:] - 3 * pj_w[2:-1] + 3 * pj_w[1:-2] - pj_w[:-3]
    out["jitter"] = np.linalg.norm(d3 * fps**3, axis=-1).mean(-1) / 10
    gd = np.linalg.norm(np.diff(gfeet, axis=0), axis=-1)
    pd = np.linalg.norm(np.diff(pfeet, axis=0), axis=-1)
    out["foot_sliding"] = pd[gd < 0.01] * 1000
    pa, ga = pelvis_aligned(pj_c), pelvis_aligned(gj_c)
    out["mpjpe"] = _l2(pa, ga) * 1000
    pam = []
    for p, g in zip(pj_c, gj_c, strict=True):
        s, R, t = umeyama(p, g)
        pam.append(_l2((s * p @ R.T + t)[None], g[None])[0])
    out["pa_mpjpe"] = np.array(pam) * 1000
    acc_p = pa[:-2] - 2 * pa[1:-1] + pa[2:]
    acc_g = ga[:-2] - 2 * ga[1:-1] + ga[2:]
    out["accel_error"] = np.linalg.norm(acc_p - acc_g, axis=-1).mean(-1) * fps**2
    if pv_c is not None:
        pp = pj_c[:, [1, 2]].mean(1, keepdims=True)
        gp = gj_c[:, [1, 2]].mean(1, keepdims=True)
        out["pve"] = _l2(pv_c - pp, gv_c - gp) * 1000
    return out


def pooled(per_person: list[dict[str, np.ndarray]]) -> dict[str, float]:
    """Frame-weighted means: concatenate every person's entries, then average."""
    keys = {k for d in per_person for k in d}
    return {k: float(np.concatenate([d[k] for d in per_person if k in d]).mean()) for k in keys}
