"""Scoring a world-motion estimate against a synthetic scene's ground truth.

Glue between world SMPL parameters (:class:`~slahmr_opt.scene.PersonMotion`) and the per-frame
metrics of :mod:`slahmr_opt.eval.metrics`: it poses the bodies, picks the frames both sides cover
and adds the scene-level numbers (world scale, floor, camera trajectory).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from slahmr_opt.body.joint_maps import LANDMARK_NAMES
from slahmr_opt.body.model import BodyModel
from slahmr_opt.eval import metrics as M
from slahmr_opt.reprs import short_repr
from slahmr_opt.scene import Cameras, GroundTruth, PersonMotion

FOOT_LANDMARKS = tuple(LANDMARK_NAMES.index(n) for n in ("LBigToe", "LHeel", "RBigToe", "RHeel"))
"""Landmark rows of the foot-sliding vertices 3216, 3387, 6617, 6787 (same order)."""


@dataclass
class EvalReport:
    """Metrics of one estimate on one scene.

    Attributes:
        per_person: track id → metric key → per-frame array (see ``metrics.evaluate_person``).
        scene: scene-level scalars: ``scale_error`` (%), ``floor_angle`` (deg),
            ``floor_offset`` (mm), ``camera_ate`` (m), where the estimate provides them.
    """

    __repr__ = short_repr

    per_person: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    scene: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, float]:
        """Frame-weighted means over people plus the scene scalars."""
        out = M.aggregate(list(self.per_person.values()))
        out.update(self.scene)
        return out

    def counts(self) -> dict[str, int]:
        """How many values each number of :meth:`summary` averages (person-frames, chunks or 1
        for a scene scalar): the weights of a frame-weighted mean over sequences."""
        out: dict[str, int] = {}
        for values in self.per_person.values():
            for key, arr in values.items():
                out[key] = out.get(key, 0) + int(np.atleast_1d(np.asarray(arr)).size)
        out.update({key: 1 for key in self.scene})
        return out


@torch.no_grad()
def pose_person(
    person: PersonMotion, body: BodyModel, *, vertices: bool = False
) -> dict[str, np.ndarray]:
    """World joints, foot vertices and (optionally) the mesh of one person.

    Returns:
        dict with ``joints`` (T, 24, 3) (the first 24 joints), ``feet`` (T, 4, 3), ``transl``
        (T, 3) and, if asked, ``verts`` (T, V, 3); float64 numpy, metres.
    """
    dtype = body.joint_template0.dtype
    go = torch.as_tensor(person.global_orient, dtype=dtype)
    bp = torch.as_tensor(person.body_pose, dtype=dtype)
    betas = torch.as_tensor(person.betas[: body.num_betas], dtype=dtype)
    tr = torch.as_tensor(person.transl, dtype=dtype)
    out = body(go, bp, betas, tr, landmarks=True, vertices=vertices)
    result = {
        "joints": out.joints[:, :24].double().numpy(),
        "feet": out.landmarks[:, list(FOOT_LANDMARKS)].double().numpy(),
        "transl": person.transl.astype(np.float64),
    }
    if vertices:
        result["verts"] = out.vertices.double().numpy()
    return result


def _to_camera(points: np.ndarray, R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(T, N, 3) world points → camera frame with per-frame metric (R (T,3,3), t (T,3))."""
    return np.einsum("tij,tnj->tni", R, points) + t[:, None]


def evaluate_estimate(
    people: Sequence[PersonMotion],
    gt: GroundTruth,
    body: BodyModel,
    *,
    alpha: float | None = None,
    cameras: Cameras | None = None,
    floor: tuple[np.ndarray, float] | None = None,
    with_pve: bool = False,
    root_source: str = "pelvis",
    tail: str = "gvhmr",
) -> EvalReport:
    """Score world motion against ground truth with the WHAM/GVHMR protocol.

    Args:
        people: estimated world motion, matched to the ground truth by ``track_id``; frames the
            estimate lacks are not scored (a missing person raises).
        gt: ground truth of the scene.
        body: the body model of both sides (the stand-in for synthetic scenes).
        alpha: estimated world scale (for ``scale_error`` — reported only when the true camera
            translates, since α is unobservable otherwise — and the estimate's metric cameras).
        cameras: the SLAM cameras the estimate used; with ``alpha`` they give the estimate's
            camera frame for MPJPE / PA-MPJPE / PVE (else those use world coordinates) and the
            camera ATE.
        floor: estimated floor ``(up normal (3,), offset d)`` of the plane ``n·x = d``.
        with_pve: also pose full meshes and compute PVE (slower).
        root_source, tail: protocol options of :func:`metrics.evaluate_person`.

    Returns:
        an :class:`EvalReport`.
    """
    by_id = {p.track_id: p for p in people}
    report = EvalReport()
    for truth in gt.people:
        if truth.track_id not in by_id:
            raise ValueError(f"estimate has no person {truth.track_id!r}; it has {sorted(by_id)}")
        est = by_id[truth.track_id]
        frames = np.intersect1d(truth.frames, est.frames)
        if frames.size < 4:
            raise ValueError(
                f"person {truth.track_id!r}: estimate and truth share {frames.size} frames, "
                "need ≥ 4 for the temporal metrics"
            )
        gsel = np.searchsorted(truth.frames, frames)
        psel = np.searchsorted(est.frames, frames)
        g = pose_person(_select(truth, gsel), body, vertices=with_pve)
        p = pose_person(_select(est, psel), body, vertices=with_pve)
        if cameras is not None and alpha is not None:
            Rp, tp = cameras.R[frames], alpha * cameras.t[frames]
            Rg, tg = gt.cameras.R[frames], gt.cameras.t[frames]
            p["cam_joints"] = _to_camera(p["joints"], Rp, tp)
            g["cam_joints"] = _to_camera(g["joints"], Rg, tg)
            if with_pve:
                p["cam_verts"] = _to_camera(p["verts"], Rp, tp)
                g["cam_verts"] = _to_camera(g["verts"], Rg, tg)
        report.per_person[truth.track_id] = M.evaluate_person(
            p, g, fps=gt.fps, root_source=root_source, tail=tail
        )
    true_centres = gt.cameras.centers(1.0)
    translates = np.ptp(true_centres, axis=0).max() > 1e-6
    if alpha is not None and translates:
        # α is only observable when the camera translates (not for static or pan/tilt rigs).
        report.scene["scale_error"] = M.world_scale_error(alpha, gt.alpha)
    if floor is not None:
        angle, offset = M.floor_error(floor[0], floor[1], gt.floor_normal, gt.floor_offset)
        report.scene["floor_angle"] = angle
        report.scene["floor_offset"] = offset
    if cameras is not None and alpha is not None and cameras.num_frames > 2 and translates:
        pred_c = cameras.centers(alpha)
        report.scene["camera_ate"] = float(M.camera_ate(pred_c, true_centres).mean())
    return report


def _select(person: PersonMotion, idx: np.ndarray) -> PersonMotion:
    return PersonMotion(
        track_id=person.track_id,
        frames=person.frames[idx],
        global_orient=person.global_orient[idx],
        body_pose=person.body_pose[idx],
        betas=person.betas,
        transl=person.transl[idx],
    )
