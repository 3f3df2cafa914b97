"""Named joint sets and the maps between them.

Keypoint *sources* are built as ``concat(joints[..., :22, :], landmarks)`` — the 22 body joints
that SMPL, SMPL-H and SMPL-X share, followed by the vertex landmarks in :data:`LANDMARK_NAMES`
order — so one map serves every model of the family (see :func:`smpl_to_openpose`).
"""

from __future__ import annotations

import torch
from torch import Tensor

SMPL_JOINT_NAMES: tuple[str, ...] = (
    "pelvis",
    "left_hip",
    "right_hip",
    "spine1",
    "left_knee",
    "right_knee",
    "spine2",
    "left_ankle",
    "right_ankle",
    "spine3",
    "left_foot",
    "right_foot",
    "neck",
    "left_collar",
    "right_collar",
    "head",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hand",
    "right_hand",
)
"""SMPL-24 joints in kinematic order (the body's left is +x in the rest pose)."""

SMPL_PARENTS: tuple[int, ...] = (
    -1,
    0,
    0,
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    9,
    9,
    12,
    13,
    14,
    16,
    17,
    18,
    19,
    20,
    21,
)
"""Parent of each SMPL-24 joint."""

HUMOR_JOINT_NAMES: tuple[str, ...] = SMPL_JOINT_NAMES[:22]
"""HuMoR-22: the SMPL body joints without the two hand joints."""

SMPL_TO_HUMOR: tuple[int, ...] = tuple(range(22))
"""Index into SMPL-24 (or SMPL-H / SMPL-X joints) giving HuMoR-22."""

HUMOR_CONTACT_JOINTS: tuple[int, ...] = (0, 4, 5, 7, 8, 10, 11, 20, 21)
"""The 9 joints HuMoR predicts contacts for: hips, knees, ankles, toes, wrists (SMPL indices)."""

LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "reye",
    "leye",
    "rear",
    "lear",
    "LBigToe",
    "LSmallToe",
    "LHeel",
    "RBigToe",
    "RSmallToe",
    "RHeel",
    "lthumb",
    "lindex",
    "lmiddle",
    "lring",
    "lpinky",
    "rthumb",
    "rindex",
    "rmiddle",
    "rring",
    "rpinky",
)
"""Vertex landmarks, in smplx's extra-joint order (smplx ``vertex_ids`` names)."""

NUM_SOURCE_BODY_JOINTS = 22
"""Body joints at the start of a keypoint source array."""

OPENPOSE_BODY25_NAMES: tuple[str, ...] = (
    "Nose",
    "Neck",
    "RShoulder",
    "RElbow",
    "RWrist",
    "LShoulder",
    "LElbow",
    "LWrist",
    "MidHip",
    "RHip",
    "RKnee",
    "RAnkle",
    "LHip",
    "LKnee",
    "LAnkle",
    "REye",
    "LEye",
    "REar",
    "LEar",
    "LBigToe",
    "LSmallToe",
    "LHeel",
    "RBigToe",
    "RSmallToe",
    "RHeel",
)

COCO17_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)


def _lm(name: str) -> int:
    return NUM_SOURCE_BODY_JOINTS + LANDMARK_NAMES.index(name)


SOURCE_TO_BODY25: tuple[int, ...] = (
    _lm("nose"),
    12,
    17,
    19,
    21,
    16,
    18,
    20,
    0,
    2,
    5,
    8,
    1,
    4,
    7,
    _lm("reye"),
    _lm("leye"),
    _lm("rear"),
    _lm("lear"),
    _lm("LBigToe"),
    _lm("LSmallToe"),
    _lm("LHeel"),
    _lm("RBigToe"),
    _lm("RSmallToe"),
    _lm("RHeel"),
)
"""BODY_25 slot k comes from keypoint-source index ``SOURCE_TO_BODY25[k]``. The neck is SMPL's
neck joint (12) and MidHip the pelvis (0); the original ignores the neck in its 2D term."""

SOURCE_TO_COCO17: tuple[int, ...] = (
    _lm("nose"),
    _lm("leye"),
    _lm("reye"),
    _lm("lear"),
    _lm("rear"),
    16,
    17,
    18,
    19,
    20,
    21,
    1,
    2,
    4,
    5,
    7,
    8,
)
"""COCO-17 slot k comes from keypoint-source index ``SOURCE_TO_COCO17[k]``."""

COCO17_TO_BODY25: tuple[int, ...] = (0, 16, 15, 18, 17, 5, 2, 6, 3, 7, 4, 12, 9, 13, 10, 14, 11)
"""COCO-17 keypoint k goes to BODY_25 slot ``COCO17_TO_BODY25[k]`` (the original's ViTPose map);
neck (1), mid-hip (8) and the six foot points (19–24) stay empty."""

BODY25_HIPS: tuple[int, int] = (9, 12)
BODY25_MIDHIP = 8
BODY25_NECK = 1


def keypoint_source(joints: Tensor, landmarks: Tensor) -> Tensor:
    """Concatenate the 22 shared body joints and the landmarks.

    Args:
        joints: (..., J, 3) with J ≥ 22 (SMPL 24, SMPL-H 52, SMPL-X 55).
        landmarks: (..., L, 3) in :data:`LANDMARK_NAMES` order (L ≥ 11).

    Returns:
        (..., 22 + L, 3).
    """
    return torch.cat([joints[..., :NUM_SOURCE_BODY_JOINTS, :], landmarks], dim=-2)


def adjust_hips(body25: Tensor) -> Tensor:
    """The original's hip adjustment, moving SMPL hips towards where COCO detectors put them.

    ``hip' = hip + 0.25 (hip − other_hip) + 0.5 (midhip − mean(hips))`` for the two BODY_25 hips,
    with the mid-hip slot holding the SMPL pelvis (reference: slahmr-original.md §1.3).

    Args:
        body25: (..., 25, 3) or (..., 25, 2) keypoints in BODY_25 order.

    Returns:
        a new tensor with slots 9 and 12 replaced.
    """
    r, l = BODY25_HIPS
    hips = body25[..., [r, l], :]
    other = body25[..., [l, r], :]
    mid = body25[..., [BODY25_MIDHIP], :]
    moved = hips + 0.25 * (hips - other) + 0.5 * (mid - 0.5 * (hips + other))
    out = body25.clone()
    out[..., [r, l], :] = moved
    return out


def smpl_to_openpose(joints: Tensor, landmarks: Tensor, *, hip_adjust: bool = False) -> Tensor:
    """OpenPose BODY_25 keypoints from SMPL-family joints and landmarks.

    Args:
        joints: (..., J, 3) posed joints (J ≥ 22).
        landmarks: (..., L, 3) landmark vertices, :data:`LANDMARK_NAMES` order.
        hip_adjust: apply the original SLAHMR hip adjustment (:func:`adjust_hips`).

    Returns:
        (..., 25, 3) in BODY_25 order.
    """
    out = keypoint_source(joints, landmarks)[..., list(SOURCE_TO_BODY25), :]
    return adjust_hips(out) if hip_adjust else out


def smpl_to_coco17(joints: Tensor, landmarks: Tensor) -> Tensor:
    """COCO-17 keypoints from SMPL-family joints and landmarks.

    Args:
        joints: (..., J, 3); landmarks: (..., L, 3).

    Returns:
        (..., 17, 3) in COCO order.
    """
    return keypoint_source(joints, landmarks)[..., list(SOURCE_TO_COCO17), :]


def coco17_to_body25(coco: Tensor) -> Tensor:
    """Scatter COCO-17 keypoints into BODY_25 slots; slots with no COCO source are zero.

    Args:
        coco: (..., 17, C) keypoints (C = 2 or 3, e.g. x, y, confidence).

    Returns:
        (..., 25, C); neck, mid-hip and feet are zero (confidence 0).
    """
    out = coco.new_zeros(*coco.shape[:-2], 25, coco.shape[-1])
    out[..., list(COCO17_TO_BODY25), :] = coco
    return out


def smpl_to_humor(joints: Tensor) -> Tensor:
    """HuMoR-22 joints from SMPL-family joints: (..., J, 3) → (..., 22, 3)."""
    return joints[..., list(SMPL_TO_HUMOR), :]
