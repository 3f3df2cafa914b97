"""SMPL-family body models (through smplx), joint maps, and the open stand-in body."""

from slahmr_opt.body.joint_maps import (
    COCO17_NAMES,
    HUMOR_CONTACT_JOINTS,
    HUMOR_JOINT_NAMES,
    LANDMARK_NAMES,
    OPENPOSE_BODY25_NAMES,
    SMPL_JOINT_NAMES,
    SMPL_PARENTS,
    adjust_hips,
    coco17_to_body25,
    keypoint_source,
    smpl_to_coco17,
    smpl_to_humor,
    smpl_to_openpose,
)
from slahmr_opt.body.model import BodyModel, BodyOutput
from slahmr_opt.body.model_files import convert_model_file, read_model_file

__all__ = [
    "BodyModel",
    "BodyOutput",
    "COCO17_NAMES",
    "HUMOR_CONTACT_JOINTS",
    "HUMOR_JOINT_NAMES",
    "LANDMARK_NAMES",
    "OPENPOSE_BODY25_NAMES",
    "SMPL_JOINT_NAMES",
    "SMPL_PARENTS",
    "adjust_hips",
    "coco17_to_body25",
    "convert_model_file",
    "keypoint_source",
    "read_model_file",
    "smpl_to_coco17",
    "smpl_to_humor",
    "smpl_to_openpose",
]
