"""Evaluation metrics following the WHAM / GVHMR world-grounded HMR protocol.

Every function is pure: arrays in (numpy or torch, any float dtype), numpy float64 out.
Positions are in metres on input; position errors are reported in millimetres. Per-frame
variants return one value per frame (or per finite-difference window, or per contact entry)
so that callers can build frame-weighted means with :func:`aggregate`, which is how WHAM and
GVHMR report their headline numbers.

The protocol, its options and where it differs between WHAM, GVHMR and TRAM are described in
``docs/metrics.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from slahmr_opt.geometry.alignment import (
    apply_similarity,
    similarity_fit,
    similarity_fit_batched,
)

__all__ = [
    "FOOT_VERTEX_IDS",
    "METRIC_COLUMNS",
    "METRIC_UNITS",
    "PELVIS_JOINTS",
    "accel_error",
    "aggregate",
    "camera_ate",
    "camera_centers",
    "chunk_bounds",
    "evaluate_person",
    "feet_from_vertices",
    "floor_error",
    "floor_plane_to_normal_offset",
    "foot_sliding",
    "format_table",
    "jitter",
    "mpjpe",
    "pa_mpjpe",
    "pve",
    "rte",
    "w_mpjpe100",
    "wa_mpjpe100",
    "world_scale_error",
]

M_TO_MM = 1000.0

FOOT_VERTEX_IDS: tuple[int, ...] = (3216, 3387, 6617, 6787)
"""SMPL vertex ids used for foot sliding (two per foot), as in WHAM/GVHMR."""

PELVIS_JOINTS: tuple[int, ...] = (1, 2)
"""SMPL-24 joints averaged to get the pelvis for root alignment (left and right hip)."""

METRIC_UNITS: dict[str, str] = {
    "wa_mpjpe100": "mm",
    "w_mpjpe100": "mm",
    "rte": "%",
    "jitter": "10 m/s³",
    "foot_sliding": "mm",
    "pa_mpjpe": "mm",
    "mpjpe": "mm",
    "pve": "mm",
    "accel_error": "m/s²",
    "scale_error": "%",
    "floor_angle": "deg",
    "floor_offset": "mm",
    "camera_ate": "m",
}
"""Unit of each metric key, as reported by this module."""

METRIC_COLUMNS: tuple[str, ...] = tuple(METRIC_UNITS)
"""Default column order of benchmark tables."""

_DECIMALS: dict[str, int] = {"rte": 2, "scale_error": 2, "floor_angle": 2, "camera_ate": 3}
_TAILS = ("gvhmr", "wham", "tram")
_ROOT_SOURCES = ("pelvis", "transl")


# ----------------------------------------------------------------------------- validation


def _array(x: Any, name: str, shape: tuple[int | None, ...], expected: str) -> np.ndarray:
    """Convert ``x`` to a float64 numpy array and check its shape and finiteness.

    ``shape`` lists the required size of each axis, ``None`` meaning any size >= 1.
    """
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: expected a numeric array of shape {expected}") from err
    ok = arr.ndim == len(shape) and all(
        (n >= 1 if want is None else n == want) for n, want in zip(arr.shape, shape, strict=True)
    )
    if not ok:
        raise ValueError(f"{name}: expected shape {expected}, got {tuple(arr.shape)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite values, found NaN or inf")
    return arr


def _same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b}: expected the same shape, got {a.shape} and {b.shape}"
        )


def _positive(value: float, name: str) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name}: expected a finite positive number, got {value}")
    return value


def _joints_pair(pred: Any, gt: Any) -> tuple[np.ndarray, np.ndarray]:
    p = _array(pred, "pred", (None, None, 3), "(T, J, 3)")
    g = _array(gt, "gt", (None, None, 3), "(T, J, 3)")
    _same_shape(p, g, "pred", "gt")
    return p, g


def _pelvis(joints: np.ndarray, pelvis: Sequence[int], name: str) -> np.ndarray:
    """Mean of the ``pelvis`` joints, ``(T, 1, 3)``."""
    idx = list(pelvis)
    if not idx or any(i < 0 or i >= joints.shape[1] for i in idx):
        raise ValueError(
            f"pelvis: expected joint indices in [0, {joints.shape[1]}) for {name}, got {idx}"
        )
    return joints[:, idx].mean(axis=1, keepdims=True)


def _per_frame_l2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean over points of the L2 distance, ``(T, P, 3) -> (T,)``."""
    diff = a - b
    return np.sqrt(np.einsum("tpi,tpi->tp", diff, diff)).mean(axis=-1)


# ----------------------------------------------------------------------- camera-frame metrics


def mpjpe(pred: Any, gt: Any, pelvis: Sequence[int] | None = PELVIS_JOINTS) -> np.ndarray:
    """Mean per-joint position error after root (pelvis) alignment.

    Args:
        pred: ``(T, J, 3)`` predicted joints, metres (camera frame in the protocol).
        gt: ``(T, J, 3)`` ground-truth joints, metres, same frame.
        pelvis: joints whose mean is each side's pelvis, subtracted from that side before
            comparing; ``(1, 2)`` (the hips) as in WHAM/GVHMR. ``None`` compares raw positions.

    Returns:
        ``(T,)`` per-frame mean over joints of ``‖Ĵ − J‖₂``, in mm.
    """
    p, g = _joints_pair(pred, gt)
    if pelvis is not None:
        p = p - _pelvis(p, pelvis, "pred")
        g = g - _pelvis(g, pelvis, "gt")
    return _per_frame_l2(p, g) * M_TO_MM


def pa_mpjpe(pred: Any, gt: Any) -> np.ndarray:
    """Procrustes-aligned MPJPE: a similarity (scale, rotation, translation) per frame.

    For each frame the similarity mapping the predicted joints onto the ground truth in the
    least-squares sense (Umeyama, with a proper rotation) is applied before the MPJPE.
    Translation is part of the fit, so pelvis alignment beforehand does not change the result.

    Args:
        pred: ``(T, J, 3)`` predicted joints, metres.
        gt: ``(T, J, 3)`` ground-truth joints, metres.

    Returns:
        ``(T,)`` per-frame error in mm.
    """
    p, g = _joints_pair(pred, gt)
    s, R, t = similarity_fit_batched(p, g)
    aligned = s[:, None, None] * np.einsum("tij,tnj->tni", R, p) + t[:, None, :]
    return _per_frame_l2(aligned, g) * M_TO_MM


def pve(
    pred_verts: Any,
    gt_verts: Any,
    pred_joints: Any,
    gt_joints: Any,
    pelvis: Sequence[int] = PELVIS_JOINTS,
) -> np.ndarray:
    """Per-vertex error after root alignment by the joint-derived pelvis.

    Each side's mesh is shifted by that side's pelvis (mean of ``pelvis`` joints), as in
    WHAM/GVHMR, so the vertex error uses the same root alignment as :func:`mpjpe`.

    Args:
        pred_verts: ``(T, V, 3)`` predicted vertices, metres.
        gt_verts: ``(T, V, 3)`` ground-truth vertices, metres.
        pred_joints: ``(T, J, 3)`` predicted joints (same frame as ``pred_verts``).
        gt_joints: ``(T, J, 3)`` ground-truth joints.
        pelvis: joint indices averaged into the pelvis.

    Returns:
        ``(T,)`` per-frame mean vertex L2 error, in mm.
    """
    pv = _array(pred_verts, "pred_verts", (None, None, 3), "(T, V, 3)")
    gv = _array(gt_verts, "gt_verts", (None, None, 3), "(T, V, 3)")
    _same_shape(pv, gv, "pred_verts", "gt_verts")
    pj = _array(pred_joints, "pred_joints", (pv.shape[0], None, 3), f"({pv.shape[0]}, J, 3)")
    gj = _array(gt_joints, "gt_joints", (pv.shape[0], None, 3), f"({pv.shape[0]}, J, 3)")
    _same_shape(pj, gj, "pred_joints", "gt_joints")
    pv = pv - _pelvis(pj, pelvis, "pred_joints")
    gv = gv - _pelvis(gj, pelvis, "gt_joints")
    return _per_frame_l2(pv, gv) * M_TO_MM


def accel_error(pred: Any, gt: Any, fps: float = 30.0, trim_ends: bool = False) -> np.ndarray:
    """Acceleration error from second finite differences.

    ``a_t = (X_{t-1} − 2 X_t + X_{t+1}) · fps²`` for prediction and ground truth; the error of
    window ``t`` is the mean over joints of ``‖a_pred − a_gt‖₂``.

    Args:
        pred: ``(T, J, 3)`` predicted joints, metres (the protocol passes pelvis-aligned
            camera-frame joints).
        gt: ``(T, J, 3)`` ground-truth joints, metres.
        fps: frame rate in Hz.
        trim_ends: drop the first and last window, as WHAM's and TRAM's EMDB scripts do
            (``[1:-1]``); GVHMR keeps all windows (default).

    Returns:
        ``(T − 2,)`` errors in m/s² (``(T − 4,)`` with ``trim_ends``; empty if too short).
    """
    p, g = _joints_pair(pred, gt)
    fps = _positive(fps, "fps")
    if p.shape[0] < 3:
        return np.zeros(0)
    acc_p = p[:-2] - 2.0 * p[1:-1] + p[2:]
    acc_g = g[:-2] - 2.0 * g[1:-1] + g[2:]
    err = np.linalg.norm(acc_p - acc_g, axis=-1).mean(axis=-1) * fps**2
    return err[1:-1] if trim_ends else err


# ------------------------------------------------------------------------ world-frame metrics


def chunk_bounds(num_frames: int, chunk: int = 100, tail: str = "gvhmr") -> list[tuple[int, int]]:
    """Frame ranges ``[start, end)`` of the W-/WA-MPJPE chunks.

    Args:
        num_frames: number of (valid, compacted) frames ``T``.
        chunk: nominal chunk length in frames (100 in all published protocols).
        tail: ``"gvhmr"`` or ``"wham"``: starts ``range(0, T, chunk)``, ends
            ``min(T, start + chunk)``; every frame is scored and the last chunk may be short.
            ``"tram"``: TRAM's EMDB loop, starts ``range(0, T − chunk, chunk)``, ends
            ``start + chunk`` except the last chunk (the one with ``start + 2·chunk > T``),
            which ends at ``T − 1``. A partial tail is thus merged into the previous chunk and
            the final frame is never scored; when ``T`` is a multiple of ``chunk`` the last full
            chunk is not scored at all, and ``T <= chunk`` gives no chunk.

    Returns:
        The list of ``(start, end)`` pairs, in order.
    """
    if int(num_frames) != num_frames or num_frames < 0:
        raise ValueError(f"num_frames: expected a non-negative integer, got {num_frames}")
    if int(chunk) != chunk or chunk < 1:
        raise ValueError(f"chunk: expected a positive integer, got {chunk}")
    if tail not in _TAILS:
        raise ValueError(f"tail: expected one of {_TAILS}, got {tail!r}")
    T, n = int(num_frames), int(chunk)
    if tail in ("gvhmr", "wham"):
        return [(s, min(T, s + n)) for s in range(0, T, n)]
    bounds = []
    for s in range(0, T - n, n):
        end = T - 1 if s + 2 * n > T else s + n
        bounds.append((s, end))
    return bounds


def _chunked_world_mpjpe(pred: Any, gt: Any, chunk: int, tail: str, fit_frames: int | None):
    p, g = _joints_pair(pred, gt)
    out = []
    for start, end in chunk_bounds(p.shape[0], chunk, tail):
        cp, cg = p[start:end], g[start:end]
        fp = cp if fit_frames is None else cp[:fit_frames]
        fg = cg if fit_frames is None else cg[:fit_frames]
        s, R, t = similarity_fit(fp.reshape(-1, 3), fg.reshape(-1, 3))
        out.append(_per_frame_l2(apply_similarity(cp, s, R, t), cg))
    if not out:
        return np.zeros(0)
    return np.concatenate(out) * M_TO_MM


def wa_mpjpe100(pred: Any, gt: Any, chunk: int = 100, tail: str = "gvhmr") -> np.ndarray:
    """World-aligned MPJPE over chunks (WA-MPJPE100).

    Per chunk (see :func:`chunk_bounds`), one similarity is fitted on all joints of all frames
    of the chunk (prediction onto ground truth), applied to the chunk, and the per-frame MPJPE
    (mean over joints of the L2 distance, no pelvis subtraction) is taken.

    Args:
        pred: ``(T, J, 3)`` predicted world joints, metres.
        gt: ``(T, J, 3)`` ground-truth world joints, metres.
        chunk: chunk length in frames.
        tail: chunking policy, ``"gvhmr"``/``"wham"`` or ``"tram"``.

    Returns:
        Per-frame errors in mm over the scored frames in chunk order: ``(T,)`` for
        ``"gvhmr"``/``"wham"``, fewer frames for ``"tram"``.
    """
    return _chunked_world_mpjpe(pred, gt, chunk, tail, fit_frames=None)


def w_mpjpe100(pred: Any, gt: Any, chunk: int = 100, tail: str = "gvhmr") -> np.ndarray:
    """First-two-frames-aligned world MPJPE over chunks (W-MPJPE100).

    Per chunk, a similarity (scale included, as in WHAM/GVHMR) is fitted on the joints of the
    chunk's first two frames only and applied to the whole chunk; drift within the chunk is
    thereby penalised. A one-frame chunk uses its single frame.

    Args:
        pred: ``(T, J, 3)`` predicted world joints, metres.
        gt: ``(T, J, 3)`` ground-truth world joints, metres.
        chunk: chunk length in frames.
        tail: chunking policy, ``"gvhmr"``/``"wham"`` or ``"tram"``.

    Returns:
        Per-frame errors in mm, same frames as :func:`wa_mpjpe100`.
    """
    return _chunked_world_mpjpe(pred, gt, chunk, tail, fit_frames=2)


def rte(pred_root: Any, gt_root: Any) -> np.ndarray:
    """Root translation error, normalised by the ground-truth path length.

    A rigid transform (rotation and translation, no scale) is fitted on the entire sequence
    (prediction onto ground truth) and applied; the per-frame error is
    ``‖r_gt − r_pred_aligned‖ / L · 100`` with ``L = Σ_t ‖r_gt,t+1 − r_gt,t‖``. Without a scale
    in the fit, this is the headline metric that sees a wrong world scale.

    Args:
        pred_root: ``(T, 3)`` predicted root trajectory, metres (pelvis joint 0 in GVHMR/TRAM,
            SMPL ``transl`` in WHAM).
        gt_root: ``(T, 3)`` ground-truth root trajectory, metres, same choice of root.

    Returns:
        ``(T,)`` per-frame error in % of the GT path length.

    Raises:
        ValueError: if the GT path length is zero (a static root has no RTE).
    """
    p = _array(pred_root, "pred_root", (None, 3), "(T, 3)")
    g = _array(gt_root, "gt_root", (None, 3), "(T, 3)")
    _same_shape(p, g, "pred_root", "gt_root")
    length = float(np.linalg.norm(np.diff(g, axis=0), axis=-1).sum())
    if not length > 0:
        raise ValueError(
            "gt_root: the ground-truth path length is zero (static root or a single frame); "
            "RTE is normalised by it and is undefined"
        )
    s, R, t = similarity_fit(p, g, fixed_scale=True)
    aligned = apply_similarity(p, s, R, t)
    return np.linalg.norm(g - aligned, axis=-1) / length * 100.0


def jitter(joints: Any, fps: float = 30.0) -> np.ndarray:
    """Jitter of a motion: the magnitude of the third time derivative.

    ``j_t = (X_{t+3} − 3 X_{t+2} + 3 X_{t+1} − X_t) · fps³``; per window the L2 norm per joint
    averaged over joints, divided by 10 (WHAM/GVHMR report jitter in units of 10 m/s³).

    Args:
        joints: ``(T, J, 3)`` world joints (prediction only), metres.
        fps: frame rate in Hz.

    Returns:
        ``(T − 3,)`` in units of 10 m/s³ (empty if ``T < 4``).
    """
    x = _array(joints, "joints", (None, None, 3), "(T, J, 3)")
    fps = _positive(fps, "fps")
    if x.shape[0] < 4:
        return np.zeros(0)
    third = (x[3:] - 3.0 * x[2:-1] + 3.0 * x[1:-2] - x[:-3]) * fps**3
    return np.linalg.norm(third, axis=-1).mean(axis=-1) / 10.0


def feet_from_vertices(verts: Any) -> np.ndarray:
    """Select the foot-sliding vertices :data:`FOOT_VERTEX_IDS` from SMPL meshes.

    Args:
        verts: ``(T, 6890, 3)`` SMPL vertices (or any mesh with at least 6788 vertices in the
            SMPL topology).

    Returns:
        ``(T, 4, 3)`` float64 foot vertices.
    """
    v = _array(verts, "verts", (None, None, 3), "(T, V, 3)")
    if v.shape[1] <= max(FOOT_VERTEX_IDS):
        raise ValueError(
            f"verts: expected SMPL topology with > {max(FOOT_VERTEX_IDS)} vertices, "
            f"got {v.shape[1]}"
        )
    return v[:, list(FOOT_VERTEX_IDS)]


def foot_sliding(pred_feet: Any, gt_feet: Any, thr: float = 0.01) -> np.ndarray:
    """Foot sliding during ground-truth contacts.

    A contact is a (frame pair ``t → t+1``, vertex) entry whose ground-truth displacement is
    below ``thr`` (1 cm/frame, i.e. 0.3 m/s at 30 fps). For each contact the predicted
    displacement of the same vertex over the same pair is the error. No alignment is applied.

    Args:
        pred_feet: ``(T, K, 3)`` predicted foot vertices in the world, metres
            (``K = 4``: SMPL vertices :data:`FOOT_VERTEX_IDS`, see :func:`feet_from_vertices`).
        gt_feet: ``(T, K, 3)`` ground-truth foot vertices, metres.
        thr: contact threshold on the GT displacement, metres per frame.

    Returns:
        ``(C,)`` predicted displacement in mm per contact entry, ordered by frame then vertex;
        empty if there is no contact.
    """
    p = _array(pred_feet, "pred_feet", (None, None, 3), "(T, 4, 3)")
    g = _array(gt_feet, "gt_feet", (None, None, 3), "(T, 4, 3)")
    _same_shape(p, g, "pred_feet", "gt_feet")
    thr = _positive(thr, "thr")
    gt_disp = np.linalg.norm(np.diff(g, axis=0), axis=-1)
    pred_disp = np.linalg.norm(np.diff(p, axis=0), axis=-1)
    return pred_disp[gt_disp < thr] * M_TO_MM


# --------------------------------------------------------------------------- scene metrics


def world_scale_error(alpha_pred: float, alpha_true: float) -> float:
    """Relative error of the estimated world scale, ``|α̂ / α − 1| · 100`` in %."""
    a_true = _positive(alpha_true, "alpha_true")
    a_pred = float(alpha_pred)
    if not math.isfinite(a_pred):
        raise ValueError(f"alpha_pred: expected a finite number, got {a_pred}")
    return abs(a_pred / a_true - 1.0) * 100.0


def _unit_plane(normal: Any, offset: float, name: str) -> tuple[np.ndarray, float]:
    n = _array(normal, f"normal_{name}", (3,), "(3,)")
    d = float(offset)
    if not math.isfinite(d):
        raise ValueError(f"offset_{name}: expected a finite number, got {d}")
    norm = float(np.linalg.norm(n))
    if norm == 0.0:
        raise ValueError(f"normal_{name}: expected a non-zero vector")
    return n / norm, d / norm


def floor_error(
    normal_pred: Any, offset_pred: float, normal_true: Any, offset_true: float
) -> tuple[float, float]:
    """Angle and offset error between two planes ``{x : n · x = d}``.

    Normals are normalised (the offsets divided by the same norm). If the predicted normal
    points away from the true one (negative dot product) the predicted ``(n, d)`` are negated
    first, since ``(−n, −d)`` is the same plane.

    Args:
        normal_pred: ``(3,)`` predicted plane normal (any non-zero length).
        offset_pred: predicted offset ``d``, metres (for a unit normal).
        normal_true: ``(3,)`` true plane normal.
        offset_true: true offset, metres.

    Returns:
        ``(angle_deg, offset_mm)``: angle between the normals in degrees and ``|d̂ − d|`` in mm.
    """
    n_p, d_p = _unit_plane(normal_pred, offset_pred, "pred")
    n_t, d_t = _unit_plane(normal_true, offset_true, "true")
    if float(n_p @ n_t) < 0.0:
        n_p, d_p = -n_p, -d_p
    # atan2 of |cross| and dot is accurate for small and large angles alike.
    angle = math.degrees(math.atan2(float(np.linalg.norm(np.cross(n_p, n_t))), float(n_p @ n_t)))
    return angle, abs(d_p - d_t) * M_TO_MM


def floor_plane_to_normal_offset(plane: Any, up_hint: Any) -> tuple[np.ndarray, float]:
    """Split SLAHMR's 3-vector floor ``p = n · d`` into a unit normal and an offset.

    ``d = ‖p‖`` and ``n = p / d``; then ``n`` and ``d`` are negated together if needed so that
    ``n · up_hint > 0`` (the plane ``{x : n · x = d}`` is unchanged). SLAHMR's world is the
    first camera's OpenCV frame, where up is ``(0, −1, 0)``.

    Args:
        plane: ``(3,)`` the floor vector ``n · d``, metres.
        up_hint: ``(3,)`` a direction that points up in the world frame.

    Returns:
        ``(n (3,), d)``: the unit normal pointing up and the offset in metres.
    """
    p = _array(plane, "plane", (3,), "(3,)")
    up = _array(up_hint, "up_hint", (3,), "(3,)")
    d = float(np.linalg.norm(p))
    if d == 0.0:
        raise ValueError("plane: expected a non-zero 3-vector n·d (a zero vector has no normal)")
    if not np.any(up):
        raise ValueError("up_hint: expected a non-zero vector")
    n = p / d
    if float(n @ up) < 0.0:
        n, d = -n, -d
    return n, d


def camera_centers(R: Any, t: Any) -> np.ndarray:
    """Camera centres in the world from world→camera extrinsics ``x_c = R x_w + t``.

    Args:
        R: ``(T, 3, 3)`` world→camera rotations.
        t: ``(T, 3)`` world→camera translations, metres.

    Returns:
        ``(T, 3)`` centres ``−Rᵀ t``, metres.
    """
    Rm = _array(R, "R", (None, 3, 3), "(T, 3, 3)")
    tv = _array(t, "t", (Rm.shape[0], 3), f"({Rm.shape[0]}, 3)")
    return -np.einsum("tji,tj->ti", Rm, tv)


def camera_ate(pred_centers: Any, gt_centers: Any, with_scale: bool = True) -> np.ndarray:
    """Absolute trajectory error of camera centres after global alignment.

    One similarity (``with_scale=True``, the usual choice for monocular SLAM of unknown scale)
    or rigid transform is fitted on the whole trajectory (prediction onto ground truth) and
    applied; the error is the per-frame Euclidean distance.

    Args:
        pred_centers: ``(T, 3)`` predicted camera centres.
        gt_centers: ``(T, 3)`` ground-truth camera centres, metres.
        with_scale: estimate a scale in the alignment.

    Returns:
        ``(T,)`` position errors in metres.
    """
    p = _array(pred_centers, "pred_centers", (None, 3), "(T, 3)")
    g = _array(gt_centers, "gt_centers", (None, 3), "(T, 3)")
    _same_shape(p, g, "pred_centers", "gt_centers")
    s, R, t = similarity_fit(p, g, fixed_scale=not with_scale)
    return np.linalg.norm(apply_similarity(p, s, R, t) - g, axis=-1)


# ------------------------------------------------------------------------ sequence evaluator


def _person_array(
    d: Mapping[str, Any], side: str, key: str, shape: tuple[int | None, ...], expected: str
):
    if key not in d or d[key] is None:
        return None
    return _array(d[key], f"{side}[{key!r}]", shape, expected)


def evaluate_person(
    pred: Mapping[str, Any],
    gt: Mapping[str, Any],
    fps: float = 30.0,
    root_source: str = "pelvis",
    tail: str = "gvhmr",
    *,
    valid: Any = None,
    chunk: int = 100,
    accel_trim_ends: bool = False,
) -> dict[str, np.ndarray]:
    """All per-frame metrics of one person's sequence.

    ``pred`` and ``gt`` are dicts with the keys (arrays in metres):

    - ``joints`` ``(T, J, 3)`` world joints (SMPL-24 in the protocol), required;
    - ``verts`` ``(T, V, 3)`` world vertices, optional;
    - ``feet`` ``(T, K, 3)`` world foot vertices, optional (taken from ``verts`` by
      :data:`FOOT_VERTEX_IDS` when absent); foot sliding is skipped if neither is present;
    - ``transl`` ``(T, 3)`` SMPL translation, required when ``root_source="transl"``;
    - ``cam_joints`` ``(T, J, 3)`` and ``cam_verts`` ``(T, V, 3)``: camera-frame joints and
      vertices, optional. MPJPE, PA-MPJPE, PVE and accel error use the camera frame when both
      sides give ``cam_joints``, else the world joints/vertices (PVE is skipped if the
      vertices of the chosen frame are missing).

    Protocol: frames with ``valid == False`` are removed first (the sequence is compacted, so
    chunks and finite differences run over valid frames only); camera-frame metrics use
    pelvis-aligned joints (hips mean) and accel error is computed on those aligned joints;
    WA/W-MPJPE100 use :func:`chunk_bounds`; RTE uses the whole sequence; jitter and foot
    sliding look at the world prediction (foot sliding uses GT contacts).

    Args:
        pred: prediction dict, see above.
        gt: ground-truth dict, same keys.
        fps: frame rate in Hz.
        root_source: ``"pelvis"`` (joint 0, GVHMR/TRAM) or ``"transl"`` (WHAM) for RTE.
        tail: chunk tail policy, ``"gvhmr"``/``"wham"`` or ``"tram"``.
        valid: optional ``(T,)`` boolean mask of frames to score.
        chunk: chunk length for WA/W-MPJPE.
        accel_trim_ends: WHAM's ``[1:-1]`` trimming of the accel error.

    Returns:
        Dict of 1-D float64 arrays with keys ``wa_mpjpe100, w_mpjpe100, rte, jitter,
        foot_sliding, pa_mpjpe, mpjpe, pve, accel_error`` (``foot_sliding`` and ``pve`` are
        absent when their inputs are), in the units of :data:`METRIC_UNITS`.
    """
    if root_source not in _ROOT_SOURCES:
        raise ValueError(f"root_source: expected one of {_ROOT_SOURCES}, got {root_source!r}")
    if tail not in _TAILS:
        raise ValueError(f"tail: expected one of {_TAILS}, got {tail!r}")
    pj = _person_array(pred, "pred", "joints", (None, None, 3), "(T, J, 3)")
    gj = _person_array(gt, "gt", "joints", (None, None, 3), "(T, J, 3)")
    if pj is None or gj is None:
        raise ValueError("pred['joints'] and gt['joints']: required, shape (T, J, 3)")
    _same_shape(pj, gj, "pred['joints']", "gt['joints']")
    T, J = pj.shape[:2]
    tj = f"({T}, {J}, 3)"

    def both(key: str, shape: tuple[int | None, ...], expected: str):
        p = _person_array(pred, "pred", key, shape, expected)
        g = _person_array(gt, "gt", key, shape, expected)
        if (p is None) != (g is None):
            raise ValueError(f"{key}: expected in both pred and gt or in neither")
        if p is not None:
            _same_shape(p, g, f"pred[{key!r}]", f"gt[{key!r}]")
        return p, g

    pv, gv = both("verts", (T, None, 3), f"({T}, V, 3)")
    pf, gf = both("feet", (T, None, 3), f"({T}, K, 3)")
    pt, gt_t = both("transl", (T, 3), f"({T}, 3)")
    pcj, gcj = both("cam_joints", (T, J, 3), tj)
    pcv, gcv = both("cam_verts", (T, None, 3), f"({T}, V, 3)")

    if valid is not None:
        if isinstance(valid, torch.Tensor):
            valid = valid.detach().cpu().numpy()
        mask = np.asarray(valid)
        if mask.shape != (T,) or mask.dtype != np.bool_:
            raise ValueError(f"valid: expected a boolean array of shape ({T},), got {mask.shape}")
        if not mask.any():
            raise ValueError("valid: expected at least one valid frame")

        def sel(a):
            return None if a is None else a[mask]

        pj, gj, pv, gv, pf, gf = map(sel, (pj, gj, pv, gv, pf, gf))
        pt, gt_t, pcj, gcj, pcv, gcv = map(sel, (pt, gt_t, pcj, gcj, pcv, gcv))

    if pf is None and pv is not None and pv.shape[1] > max(FOOT_VERTEX_IDS):
        pf, gf = feet_from_vertices(pv), feet_from_vertices(gv)

    if root_source == "transl":
        if pt is None:
            raise ValueError("transl: required in pred and gt when root_source='transl'")
        p_root, g_root = pt, gt_t
    else:
        p_root, g_root = pj[:, 0], gj[:, 0]

    out: dict[str, np.ndarray] = {
        "wa_mpjpe100": wa_mpjpe100(pj, gj, chunk=chunk, tail=tail),
        "w_mpjpe100": w_mpjpe100(pj, gj, chunk=chunk, tail=tail),
        "rte": rte(p_root, g_root),
        "jitter": jitter(pj, fps=fps),
    }
    if pf is not None:
        out["foot_sliding"] = foot_sliding(pf, gf)

    if pcj is not None:
        lj_p, lj_g, lv_p, lv_g = pcj, gcj, pcv, gcv
    else:
        lj_p, lj_g, lv_p, lv_g = pj, gj, pv, gv
    out["pa_mpjpe"] = pa_mpjpe(lj_p, lj_g)
    out["mpjpe"] = mpjpe(lj_p, lj_g)
    if lv_p is not None:
        out["pve"] = pve(lv_p, lv_g, lj_p, lj_g)
    aligned_p = lj_p - _pelvis(lj_p, PELVIS_JOINTS, "pred joints")
    aligned_g = lj_g - _pelvis(lj_g, PELVIS_JOINTS, "gt joints")
    out["accel_error"] = accel_error(aligned_p, aligned_g, fps=fps, trim_ends=accel_trim_ends)
    return out


# ------------------------------------------------------------------------------ reporting


def aggregate(per_person: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Frame-weighted means over people and sequences (the WHAM/GVHMR headline numbers).

    For each key, the per-frame arrays of every entry are concatenated and averaged, so long
    sequences weigh more than short ones. Scalars count as one entry. Keys missing from an
    entry are skipped for it; a key with no entries at all (e.g. foot sliding without any
    contact) is left out of the result.

    Args:
        per_person: sequence of dicts ``key -> (N_i,)`` arrays, e.g. from
            :func:`evaluate_person`.

    Returns:
        Dict ``key -> float``.
    """
    pooled: dict[str, list[np.ndarray]] = {}
    for i, entry in enumerate(per_person):
        for key, value in entry.items():
            if isinstance(value, torch.Tensor):
                value = value.detach().cpu().numpy()
            arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
            if arr.ndim != 1:
                raise ValueError(
                    f"per_person[{i}][{key!r}]: expected a 1-D array, got shape {arr.shape}"
                )
            pooled.setdefault(key, []).append(arr)
    result = {}
    for key, arrays in pooled.items():
        values = np.concatenate(arrays)
        if values.size:
            result[key] = float(values.mean())
    return result


def format_table(
    rows: Mapping[str, Mapping[str, float]], columns: Sequence[str] = METRIC_COLUMNS
) -> str:
    """Render a fixed-width text table, one row per method.

    Args:
        rows: ``method name -> {metric key -> value}``.
        columns: metric keys to show, in order; the header gives each key and its unit
            from :data:`METRIC_UNITS`.

    Returns:
        The table as a string (no trailing newline). Missing or non-finite values are shown
        as ``–``.
    """
    headers = ["method"] + [f"{c} ({METRIC_UNITS[c]})" if c in METRIC_UNITS else c for c in columns]
    body = []
    for name, values in rows.items():
        cells = [str(name)]
        for c in columns:
            v = values.get(c)
            if v is None or not math.isfinite(float(v)):
                cells.append("–")
            else:
                cells.append(f"{float(v):.{_DECIMALS.get(c, 1)}f}")
        body.append(cells)
    widths = [max(len(r[i]) for r in [headers, *body]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in body)])
