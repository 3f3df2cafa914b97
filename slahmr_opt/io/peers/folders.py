"""WHAM, GVHMR and TRAM output folders as solver input scenes (``slahmr-opt run <folder>``).

Their per-frame camera-frame SMPL becomes our per-frame SMPL estimates, their keypoints our 2D
observations and their SLAM trajectory our cameras, so that their users can put every tracked
person in one metric world with a floor (WHAM issue #30, GVHMR issues #11, #47, #83).

=========  =========================================================================  ==========
layout     files (in the method's per-video output folder)                           cameras
=========  =========================================================================  ==========
``wham``   ``wham_output.pkl``, ``tracking_results.pth`` (COCO-17), ``slam_results.pth``  DPVO
``gvhmr``  ``hmr4d_results.pt``, ``preprocess/vitpose.pt``, ``preprocess/slam_results.pt``  DPVO
``tram``   ``camera.npy``, ``hps/hps_track_<k>.npy``                                  metric SLAM
=========  =========================================================================  ==========

- WHAM's static-camera fallback (``slam_results`` all zero with ``qx = 1``, ``demo.py:77-79``)
  and GVHMR without ``slam_results.pt`` (``--static_cam``) give static cameras.
- Intrinsics are those the method assumed: WHAM's and GVHMR's focal of the image diagonal with the
  principal point at the centre (WHAM ``compute_cam_intrinsics``, GVHMR ``estimate_K``; GVHMR
  stores ``K_fullimg``), TRAM's ``img_focal`` / ``img_center``.
- GVHMR's bodies are SMPL-X: the tracks keep the 21 shared body joints (two SMPL hand joints at
  rest); fit them with the SMPL-X model (``--body SMPLX_NEUTRAL.npz``) for the exact bodies.
- TRAM stores no 2D keypoints: its tracks carry zero-confidence keypoints (no 2D term) and count as
  visible wherever TRAM has a body.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.io.body_tracks import BodyTrack
from slahmr_opt.io.dpvo import read_pose7_trajectory
from slahmr_opt.io.gvhmr_inputs import read_gvhmr_vitpose
from slahmr_opt.io.keypoints import KeypointTrack
from slahmr_opt.io.peers.common import PeerResult
from slahmr_opt.io.peers.gvhmr import GVHMR_RESULTS, read_gvhmr_results
from slahmr_opt.io.peers.tram import (
    CAMERA_FILE,
    is_tram_demo_folder,
    read_tram_camera,
    read_tram_demo,
)
from slahmr_opt.io.peers.wham import WHAM_OUTPUT, read_wham_output
from slahmr_opt.io.tracks import TrackObservations
from slahmr_opt.io.wham_inputs import read_wham_tracking_results
from slahmr_opt.scene import Cameras, Scene, Track, Visibility

__all__ = ["PEER_LAYOUTS", "detect_peer_layout", "load_peer_scene"]

log = logging.getLogger(__name__)

PEER_LAYOUTS = ("wham", "gvhmr", "tram")
DEFAULT_FPS = 30.0


def detect_peer_layout(folder: str | os.PathLike) -> str | None:
    """``"wham"``, ``"gvhmr"``, ``"tram"`` or None for a method's per-video output folder."""
    folder = Path(folder)
    if (folder / WHAM_OUTPUT).is_file():
        return "wham"
    if (folder / GVHMR_RESULTS).is_file():
        return "gvhmr"
    if is_tram_demo_folder(folder):
        return "tram"
    return None


def _observations(body: BodyTrack, source: str) -> TrackObservations:
    n = body.num_frames
    return TrackObservations(
        track_id=body.track_id,
        frames=body.frames,
        keypoints=np.zeros((n, 25, 3)),
        has_keypoints=np.zeros(n, dtype=bool),
        global_orient=body.global_orient,
        body_pose=body.body_pose_smpl(),
        betas=body.betas,
        transl=body.transl,
        source=source,
    )


def _dpvo_cameras(path: Path, size: tuple[int, int], intr: np.ndarray, trust: bool) -> Cameras:
    c2w = read_pose7_trajectory(path, trust_pickle=trust)
    n = c2w.shape[0]
    t = c2w[:, :3, 3]
    R = c2w[:, :3, :3]
    if np.allclose(t, 0.0) and np.allclose(R, R[:1]):  # WHAM's "no DPVO" fallback
        log.info("%s: constant camera trajectory: static cameras", path)
        return Cameras.static(n, *size, focal=float(intr[0]))
    try:
        return Cameras.from_c2w(c2w, intr)
    except ValueError as err:
        raise InputError(f"{path}: {err}") from None


def _diag_intrinsics(size: tuple[int, int], focal: float | None) -> np.ndarray:
    f = math.hypot(*size) if focal is None else float(focal)
    return np.array([f, f, size[0] / 2.0, size[1] / 2.0])


def _tracks(
    peer: PeerResult,
    keypoints: dict[str, KeypointTrack],
    num_frames: int,
    label: str,
    visible_without_keypoints: bool = False,
) -> tuple[list[Track], list[dict[str, str]]]:
    """The people as scene tracks, and ``{"track_id", "reason"}`` for those left out."""
    out, dropped = [], []
    for pt in peer.tracks:
        if pt.camera is None:
            dropped.append({"track_id": pt.track_id, "reason": "no camera-frame SMPL"})
            continue
        obs = _observations(pt.camera, label)
        kp = keypoints.get(pt.track_id)
        if kp is not None:
            obs = obs.with_keypoints(kp, label)
        try:
            track = obs.to_track(0, num_frames)
        except InputError as err:  # e.g. a body behind the camera on every frame
            dropped.append({"track_id": pt.track_id, "reason": str(err)})
            continue
        if track is None:
            dropped.append({"track_id": pt.track_id, "reason": "no frame inside the video"})
            continue
        if visible_without_keypoints:
            vis = track.visibility.copy()
            vis[track.smpl_observed] = int(Visibility.VISIBLE)
            track.visibility = vis
        out.append(track)
    for d in dropped:
        log.warning("%s: track %s left out: %s", label, d["track_id"], d["reason"])
    if not out:
        raise InputError(f"{label}: no person with camera-frame SMPL inside the video frames")
    return out, dropped


def load_peer_scene(
    folder: str | os.PathLike,
    layout: str | None = None,
    *,
    trust_pickle: bool = False,
    fps: float | None = None,
    image_size: tuple[int, int] | None = None,
    focal: float | None = None,
) -> Scene:
    """Read a WHAM, GVHMR or TRAM output folder as a :class:`Scene` (module docstring).

    Args:
        folder: the method's output folder for one video.
        layout: one of :data:`PEER_LAYOUTS`; default :func:`detect_peer_layout`.
        trust_pickle: allow WHAM's and TRAM's pickles (and GVHMR's pickled SLAM file).
        fps: frame rate (default 30, what GVHMR and TRAM assume; WHAM uses the video's).
        image_size: ``(W, H)``; required for WHAM (it does not record it), else from the
            method's intrinsics.
        focal: override the method's focal length (pixels).

    Returns:
        The scene; ``provenance["peer"]`` records what was read.
    """
    folder = Path(folder)
    layout = layout or detect_peer_layout(folder)
    if layout not in PEER_LAYOUTS:
        raise InputError(f"{folder}: not a WHAM, GVHMR or TRAM output folder")
    fps = DEFAULT_FPS if fps is None else float(fps)
    label = str(folder)
    notes: list[str] = []
    if layout == "wham":
        peer = read_wham_output(folder, trust_pickle=trust_pickle)
        if image_size is None:
            raise InputError(
                f"{folder}: WHAM does not record the video's size; pass image_size (CLI "
                "--image-size WxH)"
            )
        size = (int(image_size[0]), int(image_size[1]))
        intr = _diag_intrinsics(size, focal)
        kp = read_wham_tracking_results(folder / "tracking_results.pth", trust_pickle=trust_pickle)
        cameras = _dpvo_cameras(folder / "slam_results.pth", size, intr, trust_pickle)
        tracks, dropped = _tracks(peer, kp, cameras.num_frames, label)
    elif layout == "gvhmr":
        peer = read_gvhmr_results(folder, trust_pickle=trust_pickle)
        size = tuple(image_size) if image_size is not None else peer.image_size  # type: ignore[assignment]
        intr = peer.intrinsics.copy()  # type: ignore[union-attr]
        if focal is not None:
            intr[:2] = focal
        kp = read_gvhmr_vitpose(
            folder / "preprocess" / "vitpose.pt", track_id="0", trust_pickle=trust_pickle
        )
        slam = folder / "preprocess" / "slam_results.pt"
        if slam.is_file():
            cameras = _dpvo_cameras(slam, size, intr, trust_pickle)
        else:
            notes.append("no preprocess/slam_results.pt: static camera (GVHMR --static_cam)")
            cameras = Cameras.static(peer.num_frames or 1, *size, focal=float(intr[0]))
        if cameras.num_frames != peer.num_frames:
            raise InputError(
                f"{folder}: {cameras.num_frames} camera poses but {peer.num_frames} frames in "
                f"{GVHMR_RESULTS}"
            )
        tracks, dropped = _tracks(peer, kp, cameras.num_frames, label)
        notes.append("GVHMR bodies are SMPL-X: fit with the SMPL-X model for exact input bodies")
        log.warning("%s: GVHMR predicts SMPL-X bodies; use --body SMPLX_NEUTRAL.npz", folder)
    else:
        peer = read_tram_demo(folder, trust_pickle=trust_pickle)
        intr = peer.intrinsics
        if intr is None:
            raise InputError(f"{folder / CAMERA_FILE}: fields 'img_focal', 'img_center' missing")
        intr = intr.copy()
        if focal is not None:
            intr[:2] = focal
        size = (
            (int(image_size[0]), int(image_size[1]))
            if image_size is not None
            else (int(round(2 * intr[2])), int(round(2 * intr[3])))
        )
        c2w = read_tram_camera(folder, trust_pickle=trust_pickle)
        cameras = Cameras.from_c2w(c2w, intr)
        tracks, dropped = _tracks(
            peer, {}, cameras.num_frames, label, visible_without_keypoints=True
        )
        notes.append("TRAM stores no 2D keypoints: the 2D term is empty")
        log.warning("%s: TRAM stores no 2D keypoints; the fit has no 2D term", folder)
    return Scene(
        fps=fps,
        image_size=size,
        cameras=cameras,
        tracks=tracks,
        name=folder.name,
        provenance={
            "dropped_tracks": dropped,
            "peer": {
                "layout": layout,
                "folder": label,
                "body_model": peer.tracks[0].model,
                "intrinsics": [float(x) for x in intr],
                "fps": fps,
                "notes": notes + list(peer.notes),
            },
        },
    )
