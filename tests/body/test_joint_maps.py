"""Joint maps: every named slot comes from the joint or landmark of the same name."""

from __future__ import annotations

import torch

from slahmr_opt.body import joint_maps as jm

# BODY_25 / COCO names → SMPL joint or landmark names (the anatomical meaning of each slot).
BODY25_MEANING = {
    "Nose": "nose",
    "Neck": "neck",
    "RShoulder": "right_shoulder",
    "RElbow": "right_elbow",
    "RWrist": "right_wrist",
    "LShoulder": "left_shoulder",
    "LElbow": "left_elbow",
    "LWrist": "left_wrist",
    "MidHip": "pelvis",
    "RHip": "right_hip",
    "RKnee": "right_knee",
    "RAnkle": "right_ankle",
    "LHip": "left_hip",
    "LKnee": "left_knee",
    "LAnkle": "left_ankle",
    "REye": "reye",
    "LEye": "leye",
    "REar": "rear",
    "LEar": "lear",
    "LBigToe": "LBigToe",
    "LSmallToe": "LSmallToe",
    "LHeel": "LHeel",
    "RBigToe": "RBigToe",
    "RSmallToe": "RSmallToe",
    "RHeel": "RHeel",
}
COCO_MEANING = {
    "nose": "nose",
    "left_eye": "leye",
    "right_eye": "reye",
    "left_ear": "lear",
    "right_ear": "rear",
    "left_shoulder": "left_shoulder",
    "right_shoulder": "right_shoulder",
    "left_elbow": "left_elbow",
    "right_elbow": "right_elbow",
    "left_wrist": "left_wrist",
    "right_wrist": "right_wrist",
    "left_hip": "left_hip",
    "right_hip": "right_hip",
    "left_knee": "left_knee",
    "right_knee": "right_knee",
    "left_ankle": "left_ankle",
    "right_ankle": "right_ankle",
}
SOURCE_NAMES = jm.SMPL_JOINT_NAMES[:22] + jm.LANDMARK_NAMES


def test_body25_map_matches_names():
    assert len(jm.SOURCE_TO_BODY25) == 25
    for slot, name in enumerate(jm.OPENPOSE_BODY25_NAMES):
        assert SOURCE_NAMES[jm.SOURCE_TO_BODY25[slot]] == BODY25_MEANING[name]


def test_coco_map_matches_names():
    for slot, name in enumerate(jm.COCO17_NAMES):
        assert SOURCE_NAMES[jm.SOURCE_TO_COCO17[slot]] == COCO_MEANING[name]


def test_coco_to_body25_is_consistent_with_both_maps():
    # Going SMPL → COCO → BODY_25 equals SMPL → BODY_25 on every slot COCO fills.
    src = torch.randn(3, 22 + len(jm.LANDMARK_NAMES), 3)
    joints, lms = src[:, :22], src[:, 22:]
    coco = jm.smpl_to_coco17(joints, lms)
    via_coco = jm.coco17_to_body25(coco)
    direct = jm.smpl_to_openpose(joints, lms)
    filled = list(jm.COCO17_TO_BODY25)
    torch.testing.assert_close(via_coco[:, filled], direct[:, filled])
    empty = sorted(set(range(25)) - set(filled))
    assert empty == [1, 8, 19, 20, 21, 22, 23, 24]
    assert torch.all(via_coco[:, empty] == 0)


def test_humor_map_and_contacts():
    joints = torch.randn(2, 24, 3)
    torch.testing.assert_close(jm.smpl_to_humor(joints), joints[:, :22])
    names = [jm.SMPL_JOINT_NAMES[i] for i in jm.HUMOR_CONTACT_JOINTS]
    assert names == [
        "pelvis",
        "left_knee",
        "right_knee",
        "left_ankle",
        "right_ankle",
        "left_foot",
        "right_foot",
        "left_wrist",
        "right_wrist",
    ]


def test_parents_are_topological():
    assert jm.SMPL_PARENTS[0] == -1
    assert all(0 <= p < i for i, p in enumerate(jm.SMPL_PARENTS) if i > 0)


def test_hip_adjustment_by_hand():
    op = torch.zeros(25, 3)
    op[9] = torch.tensor([-0.1, 0.0, 0.0])  # RHip
    op[12] = torch.tensor([0.1, 0.0, 0.0])  # LHip
    op[8] = torch.tensor([0.0, 0.2, 0.0])  # MidHip (pelvis) 20 cm below the hips (y down)
    out = jm.adjust_hips(op)
    # hip + 0.25 (hip − other) + 0.5 (mid − mean(hips)): x widened by 0.05, y moved by 0.1.
    torch.testing.assert_close(out[9], torch.tensor([-0.15, 0.1, 0.0]))
    torch.testing.assert_close(out[12], torch.tensor([0.15, 0.1, 0.0]))
    untouched = [i for i in range(25) if i not in (9, 12)]
    torch.testing.assert_close(out[untouched], op[untouched])
    lms = torch.zeros(len(jm.LANDMARK_NAMES), 3)
    joints = torch.zeros(24, 3)
    joints[2], joints[1], joints[0] = op[9], op[12], op[8]
    torch.testing.assert_close(
        jm.smpl_to_openpose(joints, lms, hip_adjust=True)[[9, 12]], out[[9, 12]]
    )
