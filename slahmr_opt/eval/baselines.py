"""Scoring methods' results against a dataset's ground truth with one protocol.

For each dataset sequence and each method: find the method's result for that sequence, match its
tracks to the annotated people (2D distance of the projected body joints on shared frames,
Hungarian assignment), pose both sides with their own body models (:mod:`slahmr_opt.eval.bodyset`)
and compute every metric of :func:`slahmr_opt.eval.metrics.evaluate_person` on the frames the
protocol scores that the method covers. Headline numbers are frame-weighted means
(:func:`slahmr_opt.eval.metrics.aggregate`), as WHAM and GVHMR report them; each row also reports
its coverage (scored / valid frames), since a method that drops frames is scored only where it
has output.

Joint sets (docs/baselines.md, "Joints"):

- ``smpl24-fk``: SMPL's 24 forward-kinematics joints (smplx's ``joints[:, :24]``: WHAM's and
  TRAM's EMDB evaluations); the default when both sides are SMPL;
- ``smpl24-reg``: the neutral SMPL joint regressor applied to SMPL-topology meshes (GVHMR's
  evaluation): used for every pair with a SMPL-X side when the SMPL-X → SMPL map is given, and
  for everyone with ``joints="regressed"``;
- ``body22-fk``: the 22 joints every SMPL-family model shares (forward kinematics), when a SMPL-X
  side cannot be put on SMPL's topology; PVE is then not reported for that pair.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from slahmr_opt.errors import InputError
from slahmr_opt.eval import metrics as M
from slahmr_opt.eval.bodyset import SHARED_JOINTS, BodySet, Posed
from slahmr_opt.io.body_tracks import BodyTrack
from slahmr_opt.io.datasets.common import DatasetSequence
from slahmr_opt.io.peers.common import PeerResult, PeerTrack

__all__ = [
    "JOINT_MODES",
    "PersonScore",
    "ScoreOptions",
    "floor_from_truth",
    "match_people",
    "score_sequence",
    "summarize",
]

JOINT_MODES = ("fk", "regressed")
_CHUNK = 256
_MIN_FRAMES = 4


@dataclass(frozen=True)
class ScoreOptions:
    """Protocol options (defaults: GVHMR's protocol; see docs/metrics.md for WHAM's and TRAM's).

    Attributes:
        joints: ``"fk"`` or ``"regressed"`` (module docstring).
        pve: compute PVE (needs full meshes; slower).
        root_source: RTE root, ``"pelvis"`` (GVHMR, TRAM) or ``"transl"`` (WHAM).
        tail: W/WA chunk tail policy, ``"gvhmr"`` or ``"tram"``.
        accel_trim_ends: WHAM/TRAM drop the first and last accel window.
        match_threshold: largest mean 2D distance (fraction of the image diagonal) between a track's
            projected joints and a person's for them to be matched.
    """

    joints: str = "fk"
    pve: bool = True
    root_source: str = "pelvis"
    tail: str = "gvhmr"
    accel_trim_ends: bool = False
    match_threshold: float = 0.15

    def __post_init__(self) -> None:
        if self.joints not in JOINT_MODES:
            raise InputError(f"joints must be one of {JOINT_MODES}, got {self.joints!r}")
        if not 0 < self.match_threshold:
            raise InputError("match_threshold must be positive")


@dataclass
class PersonScore:
    """Per-frame metrics of one annotated person under one method.

    Attributes:
        sequence: dataset sequence name.
        person: ground-truth person id.
        track: the method's matched track id (None when unmatched).
        valid_frames: frames the protocol scores for this person.
        scored_frames: of those, the frames the method covers (metrics use these).
        joint_set: ``smpl24-fk``, ``smpl24-reg`` or ``body22-fk`` (None when unmatched).
        metrics: metric key → per-frame array (:func:`metrics.evaluate_person`).
        notes: why something was skipped.
    """

    sequence: str
    person: str
    track: str | None
    valid_frames: int
    scored_frames: int = 0
    joint_set: str | None = None
    metrics: dict[str, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def means(self) -> dict[str, float]:
        """Mean of each metric over this person's entries."""
        return {k: float(v.mean()) for k, v in self.metrics.items() if v.size}


# --------------------------------------------------------------------------------- geometry


def _apply(T: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(N, 4, 4) rigid transforms applied to (N, P, 3) points."""
    return np.einsum("nij,npj->npi", T[:, :3, :3], points) + T[:, None, :3, 3]


def _project(points: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """(N, P, 3) camera-frame points → (N, P, 2) pixels with (N, 4) ``fx, fy, cx, cy``."""
    z = np.maximum(points[..., 2], 1e-3)
    u = intrinsics[:, None, 0] * points[..., 0] / z + intrinsics[:, None, 2]
    v = intrinsics[:, None, 1] * points[..., 1] / z + intrinsics[:, None, 3]
    return np.stack([u, v], axis=-1)


def _transl_after(T: np.ndarray, transl: np.ndarray, pelvis_rest: np.ndarray) -> np.ndarray:
    """SMPL ``transl`` after moving the body by rigid ``T`` (N, 4, 4): R (transl + j0) + t − j0."""
    return np.einsum("nij,nj->ni", T[:, :3, :3], transl + pelvis_rest) + T[:, :3, 3] - pelvis_rest


def _rest_pelvis(bodies: BodySet, track: BodyTrack, rows: np.ndarray) -> np.ndarray:
    body = bodies.get(track.model, track.gender)
    betas = torch.as_tensor(track.betas[rows][:, : body.num_betas], dtype=torch.float64)
    with torch.no_grad():
        return body.joint_template(betas)[:, 0].double().numpy()


# --------------------------------------------------------------------------------- matching


def _camera_joints(track: PeerTrack, bodies: BodySet, frames: np.ndarray) -> np.ndarray:
    """(N, 22, 3) camera-frame shared joints of a track at ``frames`` (a subset of its frames)."""
    if track.camera is not None:
        rows = np.searchsorted(track.camera.frames, frames)
        return bodies.pose(track.camera, rows, mesh=False).joints[:, :SHARED_JOINTS]
    rows = np.searchsorted(track.world.frames, frames)  # type: ignore[union-attr]
    j = bodies.pose(track.world, rows, mesh=False).joints[:, :SHARED_JOINTS]  # type: ignore[arg-type]
    return _apply(track.world_to_cam[rows], j)  # type: ignore[index]


def _cam_frames(track: PeerTrack) -> np.ndarray:
    return track.camera.frames if track.camera is not None else track.world.frames  # type: ignore[union-attr]


def match_people(
    seq: DatasetSequence, peer: PeerResult, bodies: BodySet, threshold: float = 0.15
) -> dict[str, str]:
    """Assign the method's tracks to the annotated people (one track per person at most).

    The cost of a (person, track) pair is the mean distance, over the person's valid frames the
    track covers (at most 100 evenly spread), between the two bodies' 22 shared joints projected
    with the true cameras, divided by the image diagonal. Pairs above ``threshold`` or with fewer
    than 4 shared frames are not matched.

    Returns:
        person id → track id.
    """
    diag = math.hypot(*seq.image_size)
    cost = np.full((len(seq.people), len(peer.tracks)), np.inf)
    for i, person in enumerate(seq.people):
        valid = person.frames[seq.valid[person.track_id]]
        for j, track in enumerate(peer.tracks):
            if not track.has_camera:
                continue
            shared = np.intersect1d(valid, _cam_frames(track))
            if shared.size < _MIN_FRAMES:
                continue
            shared = shared[np.linspace(0, shared.size - 1, min(100, shared.size)).astype(int)]
            rows = np.searchsorted(person.frames, shared)
            gw = bodies.pose(person, rows, mesh=False).joints[:, :SHARED_JOINTS]
            cams = seq.cameras
            gc = np.einsum("nij,npj->npi", cams.R[shared], gw) + cams.t[shared][:, None]
            pc = _camera_joints(track, bodies, shared)
            K = cams.intrinsics[shared]
            d = np.linalg.norm(_project(gc, K) - _project(pc, K), axis=-1).mean()
            cost[i, j] = d / diag
    finite = np.where(np.isfinite(cost), cost, 1e6)
    rows, cols = linear_sum_assignment(finite)
    return {
        seq.people[r].track_id: peer.tracks[c].track_id
        for r, c in zip(rows, cols, strict=True)
        if cost[r, c] <= threshold
    }


# --------------------------------------------------------------------------------- scoring


def _joint_set(pred_model: str, gt_model: str, bodies: BodySet, mode: str) -> str:
    both_smpl = bodies.smpl_topology(pred_model) and bodies.smpl_topology(gt_model)
    if mode == "regressed":
        if not both_smpl:
            raise InputError(
                "joints='regressed' needs SMPL-topology meshes on both sides; a SMPL-X side needs "
                "the SMPL-X → SMPL map (--smplx2smpl)"
            )
        return "smpl24-reg"
    if pred_model == gt_model == "smpl":
        return "smpl24-fk"
    return "smpl24-reg" if both_smpl else "body22-fk"


def _joints(posed: Posed, joint_set: str, regressor: np.ndarray | None) -> np.ndarray:
    if joint_set == "smpl24-fk":
        return posed.joints[:, :24]
    if joint_set == "body22-fk":
        return posed.joints[:, :SHARED_JOINTS]
    return np.einsum("jv,nvc->njc", regressor, posed.verts)


def _pred_frames(track: PeerTrack) -> np.ndarray:
    frames = _cam_frames(track)
    if track.camera is not None and track.world is not None:
        frames = np.intersect1d(frames, track.world.frames)
    return frames


class _Side:
    """Accumulates one side's arrays over posing chunks."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {}

    def add(self, **arrays: np.ndarray | None) -> None:
        for k, v in arrays.items():
            if v is not None:
                self.parts.setdefault(k, []).append(v)

    def result(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.parts.items()}


def _score_pair(
    seq: DatasetSequence,
    person: BodyTrack,
    track: PeerTrack,
    frames: np.ndarray,
    bodies: BodySet,
    options: ScoreOptions,
    joint_set: str,
) -> dict[str, np.ndarray]:
    """Per-frame metrics of one matched (person, track) pair on ``frames``."""
    reg = bodies.regressor() if joint_set == "smpl24-reg" else None
    with_pve = (
        options.pve and bodies.smpl_topology(person.model) and bodies.smpl_topology(track.model)
    )
    cams = seq.cameras
    gt, pr = _Side(), _Side()
    pve: list[np.ndarray] = []
    for start in range(0, frames.size, _CHUNK):
        f = frames[start : start + _CHUNK]
        g_rows = np.searchsorted(person.frames, f)
        gmesh = with_pve or joint_set == "smpl24-reg"
        gw = bodies.pose(person, g_rows, mesh=gmesh)
        w2c = np.zeros((f.size, 4, 4))
        w2c[:, :3, :3], w2c[:, :3, 3], w2c[:, 3, 3] = cams.R[f], cams.t[f], 1.0
        gj_w = _joints(gw, joint_set, reg)
        gj_c = _apply(w2c, gj_w)
        gt.add(joints=gj_w, feet=gw.feet, transl=person.transl[g_rows], cam_joints=gj_c)

        pmesh = with_pve or joint_set == "smpl24-reg"
        if track.camera is not None:
            c_rows = np.searchsorted(track.camera.frames, f)
            pc = bodies.pose(track.camera, c_rows, mesh=pmesh)
            pj_c = _joints(pc, joint_set, reg)
            pv_c = pc.verts
            if track.world is not None:
                w_rows = np.searchsorted(track.world.frames, f)
                pw = bodies.pose(track.world, w_rows, mesh=joint_set == "smpl24-reg")
                pj_w, pf_w, pt_w = _joints(pw, joint_set, reg), pw.feet, track.world.transl[w_rows]
            elif track.cam_to_world is not None:
                c2w = track.cam_to_world[c_rows]
                pj_w, pf_w = _apply(c2w, pj_c), _apply(c2w, pc.feet)
                j0 = _rest_pelvis(bodies, track.camera, c_rows)
                pt_w = _transl_after(c2w, track.camera.transl[c_rows], j0)
            else:
                raise InputError(f"track {track.track_id!r}: no world motion")
        else:
            w_rows = np.searchsorted(track.world.frames, f)  # type: ignore[union-attr]
            pw = bodies.pose(track.world, w_rows, mesh=pmesh)  # type: ignore[arg-type]
            pj_w, pf_w, pt_w = _joints(pw, joint_set, reg), pw.feet, track.world.transl[w_rows]  # type: ignore[union-attr]
            tw = track.world_to_cam[w_rows]  # type: ignore[index]
            pj_c = _apply(tw, pj_w)
            pv_c = None if pw.verts is None else _apply(tw, pw.verts)
        pr.add(joints=pj_w, feet=pf_w, transl=pt_w, cam_joints=pj_c)
        if with_pve:
            gv_c = _apply(w2c, gw.verts)
            pve.append(M.pve(pv_c, gv_c, pj_c, gj_c))
    out = M.evaluate_person(
        pr.result(),
        gt.result(),
        fps=seq.fps,
        root_source=options.root_source,
        tail=options.tail,
        accel_trim_ends=options.accel_trim_ends,
    )
    if pve:
        out["pve"] = np.concatenate(pve)
    return out


def score_sequence(
    seq: DatasetSequence,
    peer: PeerResult | None,
    bodies: BodySet,
    options: ScoreOptions = ScoreOptions(),
) -> list[PersonScore]:
    """Score one method's result on one sequence (None: the method has no result for it).

    Returns:
        One :class:`PersonScore` per annotated person (unmatched people score no frame).
    """
    scores = []
    matches = match_people(seq, peer, bodies, options.match_threshold) if peer else {}
    for person in seq.people:
        valid = person.frames[seq.valid[person.track_id]]
        s = PersonScore(seq.name, person.track_id, matches.get(person.track_id), int(valid.size))
        scores.append(s)
        if peer is None:
            s.notes.append("no result for this sequence")
            continue
        if s.track is None:
            s.notes.append("no track matches this person")
            continue
        track = peer.track(s.track)
        if not track.has_world or not track.has_camera:
            s.notes.append("track lacks camera-frame or world motion")
            continue
        frames = np.intersect1d(valid, _pred_frames(track))
        if frames.size < _MIN_FRAMES:
            s.notes.append(f"only {frames.size} scored frames")
            continue
        s.joint_set = _joint_set(track.model, person.model, bodies, options.joints)
        s.scored_frames = int(frames.size)
        s.metrics = _score_pair(seq, person, track, frames, bodies, options, s.joint_set)
    return scores


def summarize(scores: Iterable[PersonScore]) -> dict[str, float]:
    """Frame-weighted means over people and sequences, plus ``coverage`` (% of valid frames
    scored) and the counts ``sequences``, ``valid_frames``, ``scored_frames``."""
    scores = list(scores)
    out = M.aggregate([s.metrics for s in scores if s.metrics])
    valid = sum(s.valid_frames for s in scores)
    scored = sum(s.scored_frames for s in scores)
    out["coverage"] = 100.0 * scored / valid if valid else 0.0
    out["sequences"] = float(len({s.sequence for s in scores if s.scored_frames}))
    out["valid_frames"] = float(valid)
    out["scored_frames"] = float(scored)
    return out


def floor_from_truth(
    seq: DatasetSequence, bodies: BodySet, thr: float = 0.01
) -> tuple[np.ndarray, float]:
    """A floor plane for a sequence's world, fitted to the true feet (no dataset stores one).

    Uses the dataset's up direction; the offset is the median height of the lowest foot point
    over frames where that point moves less than ``thr`` metres to the next frame (a contact),
    all frames when there is none.

    Returns:
        ``(up normal (3,), offset d)`` of the plane ``n·x = d``.
    """
    if seq.up is None:
        raise InputError(
            f"{seq.name}: the {seq.dataset} world has no documented up axis; state "
            "the floor yourself"
        )
    heights: list[np.ndarray] = []
    for person in seq.people:
        feet = bodies.pose(person, np.arange(person.num_frames), mesh=False).feet
        h = feet @ seq.up
        low = h.min(axis=1)
        idx = h.argmin(axis=1)
        pts = feet[np.arange(feet.shape[0]), idx]
        nxt = feet[np.minimum(np.arange(feet.shape[0]) + 1, feet.shape[0] - 1), idx]
        still = np.linalg.norm(nxt - pts, axis=-1) < thr
        heights.append(low[still] if still.any() else low)
    return seq.up.copy(), float(np.median(np.concatenate(heights)))
