"""Another method's result as a :class:`~slahmr_opt.result.WorldEstimate`.

So that a WHAM, GVHMR or TRAM result can go wherever our own estimates go: ``save_estimate``
(a result folder), the synthetic-scene evaluator, the trajectory plots.

- People: each track's world motion (WHAM's and GVHMR's world parameters; TRAM's camera-frame
  bodies moved by its camera→world poses). A track whose frames have gaps is split into
  consecutive pieces ``<id>``, ``<id>.1`` … (a PersonMotion covers consecutive frames).
  Per-frame betas become their mean; SMPL-X bodies keep their 21 body joints (the two SMPL hand
  joints at rest) and ``meta["body_model"]`` says ``"smplx"``.
- Cameras (metric, ``alpha = 1``): TRAM's shared trajectory. WHAM and GVHMR store none and put
  every person in a world of their own (WHAM #30), so the cameras are derived from the longest
  track — the rigid map taking its camera-frame body to its world body, frame by frame — and
  held at the nearest covered frame elsewhere; the other people keep their own worlds
  (``meta["camera_track"]`` names the track).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from slahmr_opt.body.model import BodyModel
from slahmr_opt.errors import InputError
from slahmr_opt.geometry.smpl_transform import transform_smpl
from slahmr_opt.io.body_tracks import BodyTrack, rigid_to_homogeneous
from slahmr_opt.io.peers.common import PeerResult, PeerTrack
from slahmr_opt.result import WorldEstimate
from slahmr_opt.scene import Cameras, PersonMotion

__all__ = ["peer_to_world_estimate"]


def _pelvis_rest(body: BodyModel, track: BodyTrack) -> np.ndarray:
    betas = torch.as_tensor(track.betas[:, : body.num_betas], dtype=body.joint_template0.dtype)
    with torch.no_grad():
        return body.joint_template(betas)[:, 0].double().numpy()


def _world(track: PeerTrack, body: BodyModel) -> BodyTrack:
    if track.world is not None:
        return track.world
    if track.camera is None or track.cam_to_world is None:
        raise InputError(f"track {track.track_id!r}: no world motion")
    c2w = track.cam_to_world
    j0 = _pelvis_rest(body, track.camera)
    go, tr = transform_smpl(
        *(
            torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64)
            for a in (
                c2w[:, :3, :3],
                c2w[:, :3, 3],
                track.camera.global_orient,
                track.camera.transl,
                j0,
            )
        )
    )
    return track.camera.with_root(go.numpy(), tr.numpy())


def _camera_to_world(track: PeerTrack, body: BodyModel) -> tuple[np.ndarray, np.ndarray]:
    """(frames, (N, 4, 4) camera→world) relating a track's camera-frame and world bodies."""
    cam, world = track.camera, track.world
    if cam is None or world is None:
        raise InputError(f"track {track.track_id!r}: needs camera-frame and world parameters")
    frames = np.intersect1d(cam.frames, world.frames)
    c = cam.select(np.searchsorted(cam.frames, frames))
    w = world.select(np.searchsorted(world.frames, frames))
    R = (
        Rotation.from_rotvec(w.global_orient) * Rotation.from_rotvec(c.global_orient).inv()
    ).as_matrix()
    # the rest pelvis of the mean betas: the bodies of the estimate's people use them
    j0 = _pelvis_rest(body, _mean_shape(cam).select(np.searchsorted(cam.frames, frames)))
    t = (w.transl + j0) - np.einsum("nij,nj->ni", R, c.transl + j0)
    return frames, rigid_to_homogeneous(R, t)


def _mean_shape(track: BodyTrack) -> BodyTrack:
    return track.with_betas(np.tile(track.betas.mean(axis=0), (track.num_frames, 1)))


def _pieces(track: BodyTrack) -> list[PersonMotion]:
    """Consecutive-frame pieces, all with the track's mean betas."""
    track = _mean_shape(track)
    cuts = np.flatnonzero(np.diff(track.frames) != 1) + 1
    out = []
    for k, rows in enumerate(np.split(np.arange(track.num_frames), cuts)):
        tid = track.track_id if k == 0 else f"{track.track_id}.{k}"
        out.append(track.select(rows).to_person_motion(tid))
    return out


def peer_to_world_estimate(
    peer: PeerResult,
    body: BodyModel,
    *,
    cam_to_world: np.ndarray | None = None,
    intrinsics: np.ndarray | None = None,
    fps: float = 30.0,
) -> WorldEstimate:
    """A method's result as a :class:`WorldEstimate` (module docstring).

    Args:
        peer: the result (:func:`slahmr_opt.io.peers.read_peer`).
        body: the body of the method's parameters (its rest pelvis moves SMPL parameters between
            frames): SMPL neutral for WHAM and TRAM, SMPL-X neutral for GVHMR.
        cam_to_world: (T, 4, 4) the video's camera→world trajectory when the method stores one
            (TRAM: :func:`slahmr_opt.io.peers.tram.read_tram_camera`); else derived.
        intrinsics: (4,) ``fx, fy, cx, cy`` when the result records none (WHAM).
        fps: frame rate (these methods assume 30).

    Returns:
        The estimate (``alpha = 1``: these methods' worlds are metric).
    """
    people = [p for t in peer.tracks for p in _pieces(_world(t, body))]
    n = peer.num_frames or max(p.end for p in people)
    meta = {
        "method": peer.method,
        "source": peer.source,
        "body_model": peer.tracks[0].model,
        "notes": list(peer.notes),
    }
    if cam_to_world is None:
        best = max(
            (t for t in peer.tracks if t.camera is not None and t.world is not None),
            key=lambda t: t.camera.num_frames,
            default=None,
        )  # type: ignore[union-attr]
        if best is None:
            raise InputError(f"{peer.source}: no track relates the camera and the world frame")
        frames, c2w = _camera_to_world(best, body)
        nearest = np.clip(np.searchsorted(frames, np.arange(n)), 0, frames.size - 1)
        before = np.clip(nearest - 1, 0, frames.size - 1)
        pick = np.where(
            np.abs(frames[before] - np.arange(n)) < np.abs(frames[nearest] - np.arange(n)),
            before,
            nearest,
        )
        cam_to_world = c2w[pick]
        meta["camera_track"] = best.track_id
    if intrinsics is not None:
        intr = np.asarray(intrinsics, dtype=np.float64)
    elif peer.intrinsics is not None:
        intr = peer.intrinsics
    elif peer.image_size is not None:
        w, h = peer.image_size
        intr = np.array([np.hypot(w, h), np.hypot(w, h), w / 2, h / 2])
    else:
        raise InputError(
            f"{peer.source}: the result records no intrinsics or image size; pass intrinsics"
        )
    return WorldEstimate(
        people=people,
        alpha=1.0,
        cameras=Cameras.from_c2w(cam_to_world, intr),
        fps=fps,
        method=peer.method,
        meta=meta,
    )
