"""AMASS-style person files: one person's motion as AMASS, HuMoR and their viewers read it.

AMASS tools assume a z-up world with the floor at z = 0: aitviewer's ``SMPLSequence.from_amass``
(eth-ait/aitviewer ``aitviewer/renderables/smpl.py:198-251``) reads ``poses``, ``trans``,
``betas``, ``gender`` and ``mocap_framerate`` and, with ``z_up=True`` (its default), turns z-up
into its own y-up; human_body_prior slices ``poses[:, :3]`` (root) and ``poses[:, 3:66]`` (21
body joints, ``human_body_prior/data/prepare_data.py:101-102``, ``tutorials/ik_example_joints.py
:67-71``); HuMoR's processed AMASS files hold ``root_orient`` (T, 3), ``pose_body`` (T, 63) and
``trans`` (``humor/scripts/process_amass_data.py:537-554``), its results ``pose_body`` (T, 63)
(``humor/fitting/fitting_utils.py:476-481``).

So a person file holds the motion in the **floor-aligned frame** (z up, floor at z = 0, x along
camera 0's heading: :func:`~slahmr_opt.geometry.floor.floor_aligned_transform`) under the AMASS
names, ``poses`` sized as AMASS sizes it for the body (72 SMPL, 156 SMPL-H, 165 SMPL-X; the
joints SMPL has and the others lack, and the hands, are zero), and the solver's world-frame
motion under ``*_world`` names. The floor is the motion pass's when there is one; otherwise
(:func:`amass_frame`) the up direction comes from the cameras and the floor height from the
lowest joints and foot landmarks (the median over frames of each frame's lowest point).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from slahmr_opt.geometry.floor import (
    floor_aligned_transform,
    rest_pelvis,
    smpl_world_to_floor,
    up_from_cameras,
)
from slahmr_opt.result import WorldEstimate
from slahmr_opt.scene import PersonMotion

__all__ = [
    "AMASS_POSE_DIMS",
    "HUMOR_BODY_JOINTS",
    "amass_frame",
    "person_arrays",
    "person_file_name",
    "person_from_arrays",
    "pelvis_rest",
]

AMASS_POSE_DIMS = {"smpl": 72, "smplh": 156, "smplx": 165}
"""Width of AMASS's ``poses`` per body model: root + body joints (23 SMPL, 21 SMPL-H/X) + hands
(SMPL-H 2 × 15 joints; SMPL-X also jaw and eyes before them)."""

HUMOR_BODY_JOINTS = 21
"""Body joints in HuMoR's / SLAHMR's ``pose_body`` (SMPL joints 1–21)."""


def person_file_name(track_id: str) -> str:
    """File name of one person's motion in a result folder."""
    return f"person_{track_id}.npz"


def pelvis_rest(body, betas: np.ndarray) -> np.ndarray:
    """``J(β)[0]`` of ``body`` for ``betas`` with fewer coefficients than the body (zero-padded)."""
    b = np.zeros(max(int(body.num_betas), np.size(betas)))
    b[: np.size(betas)] = betas
    return rest_pelvis(body, b[: body.num_betas])


def amass_frame(estimate: WorldEstimate, body) -> tuple[np.ndarray, str]:
    """The world→floor-aligned transform the person files use, and where its floor comes from.

    Args:
        estimate: the motion (people, cameras, α, floor).
        body: the :class:`~slahmr_opt.body.BodyModel` the motion was fitted with.

    Returns:
        ((4, 4) transform, ``"floor"`` (the estimate's) or ``"lowest points"``).
    """
    cams, alpha = estimate.cameras, estimate.alpha
    if estimate.floor is not None:
        n, d = estimate.floor
        return floor_aligned_transform(n, d, cams, alpha), "floor"
    up = up_from_cameras(cams)
    lows = []
    dtype = body.joint_template0.dtype
    for p in estimate.people:

        def t(x):
            return torch.as_tensor(np.asarray(x), dtype=dtype)

        with torch.no_grad():
            joints, marks = body.keypoints(
                t(p.global_orient), t(p.body_pose), t(p.betas), t(p.transl)
            )
        pts = torch.cat([joints, marks], dim=-2).to(torch.float64).numpy()
        lows.append((pts @ up).min(axis=-1))
    height = float(np.median(np.concatenate(lows))) if lows else 0.0
    return floor_aligned_transform(up, height, cams, alpha), "lowest points"


def person_arrays(
    person: PersonMotion,
    fps: float,
    gender: str,
    body,
    transform: np.ndarray,
    *,
    observed: np.ndarray | None = None,
    visibility: np.ndarray | None = None,
) -> dict[str, Any]:
    """The arrays of one person file (docs/formats.md, "person_<id>.npz").

    Args:
        person: world-frame motion.
        fps: frame rate, Hz.
        gender: written as AMASS does (``"neutral"``, ``"male"``, ``"female"``).
        body: the body model (its type sizes ``poses``; its rest pelvis moves SMPL parameters).
        transform: (4, 4) world→floor-aligned transform (:func:`amass_frame`).
        observed: (T,) frames with 2D evidence (run results only).
        visibility: (T,) the scene track's visibility codes (run results only).

    Returns:
        name → array; strings as numpy unicode arrays (no pickled objects).
    """
    T = person.num_frames
    pose23 = person.body_pose.reshape(T, -1)
    pelvis = pelvis_rest(body, person.betas)
    root, trans = smpl_world_to_floor(person.global_orient, person.transl, pelvis, transform)
    width = AMASS_POSE_DIMS.get(getattr(body, "model_type", "smpl"), 72)
    poses = np.zeros((T, width))
    poses[:, :3] = root
    body_cols = pose23.shape[1] if width == 72 else 3 * HUMOR_BODY_JOINTS
    poses[:, 3 : 3 + body_cols] = pose23[:, :body_cols]
    betas = np.zeros(max(int(body.num_betas), person.betas.size))
    betas[: person.betas.size] = person.betas
    out: dict[str, Any] = {
        "poses": poses,
        "trans": trans,
        "betas": betas,
        "gender": np.array(gender),
        "mocap_framerate": np.array(float(fps)),
        "root_orient": root,
        "pose_body": pose23[:, : 3 * HUMOR_BODY_JOINTS].copy(),
        "pose_hand": poses[:, 3 + 3 * HUMOR_BODY_JOINTS :].copy(),
        "poses_world": np.concatenate([person.global_orient, pose23], axis=1),
        "trans_world": person.transl,
        "root_orient_world": person.global_orient,
        "frames": person.frames.astype(np.int64),
        "pelvis_rest": pelvis,
        "floor_transform": transform,
    }
    if person.contacts is not None:
        out["contacts"] = person.contacts
    if observed is not None:
        out["observed"] = observed
    if visibility is not None:
        out["visibility"] = visibility
    return out


def person_from_arrays(z: dict[str, np.ndarray], track_id: str, label: str) -> PersonMotion:
    """A person's world-frame motion from a person file's arrays.

    Reads ``poses_world`` and ``trans_world`` (format version 2); files of version 1 held the
    world motion in ``poses`` (T, 72) and ``trans``.
    """
    world = "poses_world" in z
    poses = z["poses_world" if world else "poses"]
    trans = z["trans_world" if world else "trans"]
    if poses.ndim != 2 or poses.shape[1] != 72:
        field = "poses_world" if world else "poses"
        raise ValueError(f"{label}: field {field!r} has shape {poses.shape}, expected (T, 72)")
    return PersonMotion(
        track_id=track_id,
        frames=z["frames"],
        global_orient=poses[:, :3],
        body_pose=poses[:, 3:].reshape(-1, 23, 3),
        betas=z["betas"],
        transl=trans,
        contacts=z["contacts"] if "contacts" in z else None,
    )
