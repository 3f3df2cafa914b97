"""State layout, velocities, fps handling, contact labels and the canonical frame."""

from __future__ import annotations

import math

import pytest
import roma
import torch

from slahmr_opt.priors.rollout import residual_between, rollout_residuals
from slahmr_opt.priors.state import (
    STATE_DIM,
    PriorState,
    angular_velocity,
    canonical_frame,
    check_fps,
    finite_difference,
    label_contacts,
    pelvis_offset_from_state,
    resample_smpl,
    state_from_smpl,
    to_local,
    to_world,
)
from tests.priors.conftest import states_of

D = torch.float64


def test_velocities_of_a_linear_motion_equal_its_slope():
    t = torch.arange(12, dtype=D) / 30.0
    slope = torch.tensor([1.3, -0.4, 0.25], dtype=D)
    x = torch.tensor([0.5, 2.0, 0.9], dtype=D) + t[:, None] * slope
    v = finite_difference(x, 30.0, dim=0)
    torch.testing.assert_close(v, slope.expand(12, 3), rtol=0, atol=1e-12)
    # batch and time on other axes
    xb = torch.stack([x, 2 * x]).transpose(0, 1)  # (T, 2, 3)
    vb = finite_difference(xb, 30.0, dim=0)
    torch.testing.assert_close(vb[:, 1], 2 * slope.expand(12, 3), rtol=0, atol=1e-12)


def test_angular_velocity_recovers_a_constant_yaw_rate():
    rate, fps = 1.2, 30.0
    angle = rate * torch.arange(20, dtype=D) / fps
    rot = roma.rotvec_to_rotmat(angle[:, None] * torch.tensor([0.0, 0.0, 1.0], dtype=D))
    w = angular_velocity(rot, fps)
    inner = math.sin(rate / fps) * fps  # central difference of a rotation
    torch.testing.assert_close(w[1:-1, 2], torch.full((18,), inner, dtype=D))
    assert abs(inner - rate) < 1e-3
    torch.testing.assert_close(w[:, :2], torch.zeros(20, 2, dtype=D), rtol=0, atol=1e-12)
    # a tilted body turning about world z still gives a world-z angular velocity
    tilt = roma.rotvec_to_rotmat(torch.tensor([0.4, 0.1, 0.0], dtype=D))
    w2 = angular_velocity(rot @ tilt, fps)
    torch.testing.assert_close(w2, w, rtol=0, atol=1e-12)


def test_state_from_smpl_layout_and_fps_refusal(body64, turning):
    states, offset = states_of(body64, turning)
    assert states.shape == (40,)
    assert states.to_vector().shape == (40, STATE_DIM)
    back = PriorState.from_vector(states.to_vector())
    torch.testing.assert_close(back.pose_body, states.pose_body)
    # the pelvis joint sits at trans + J(β)[0] for SMPL: the offset read off the state agrees
    torch.testing.assert_close(pelvis_offset_from_state(states), offset.expand(40, 3))
    torch.testing.assert_close(
        states.trans_vel[1:-1], (states.trans[2:] - states.trans[:-2]) * 15.0
    )
    with pytest.raises(ValueError, match="fps: the motion prior runs at 30 fps.*resample"):
        state_from_smpl(
            body64,
            turning["global_orient"],
            turning["body_pose"],
            turning["betas"],
            turning["transl"],
            25.0,
        )
    with pytest.raises(ValueError, match="transl"):
        state_from_smpl(
            body64,
            turning["global_orient"],
            turning["body_pose"],
            turning["betas"],
            turning["transl"][:-1],
            30.0,
        )
    with pytest.raises(ValueError, match="joints: expected shape"):
        PriorState(**{**vars(states), "joints": states.joints[:, :21]})
    check_fps(30.0)


def test_resample_is_explicit_and_exact_on_uniform_motion():
    fps_in = 60.0
    t = torch.arange(61, dtype=D) / fps_in
    transl = t[:, None] * torch.tensor([1.0, 0.5, 0.0], dtype=D)
    orient = t[:, None] * torch.tensor([0.0, 0.0, 0.9], dtype=D)
    pose = (t[:, None, None] * torch.tensor([0.3, 0.0, 0.1], dtype=D)).expand(61, 23, 3)
    root, body_pose, trans = resample_smpl(orient, pose, transl, fps_in, 30.0)
    assert root.shape == (31, 3) and body_pose.shape == (31, 23, 3)
    torch.testing.assert_close(trans, transl[::2])
    torch.testing.assert_close(root, orient[::2])
    # 25 → 30 fps: new frames fall between old ones; linear motion stays linear
    velocity = torch.tensor([1.0, 0.5, 0.0], dtype=D)
    t25 = torch.arange(26, dtype=D) / 25.0
    _, _, trans30 = resample_smpl(orient[:26], pose[:26], t25[:, None] * velocity, 25.0, 30.0)
    expect = (torch.arange(31, dtype=D) / 30.0)[:, None] * velocity
    torch.testing.assert_close(trans30, expect)


def test_contact_labels_follow_the_reference_rule():
    joints = torch.zeros(5, 22, 3, dtype=D)
    joints[..., 2] = 0.5  # everything high
    joints[:, 10, 2] = 0.01  # left toe on the floor, still: contact
    joints[:, 11, 2] = 0.01  # right toe low but sliding 1 cm per frame: no contact
    joints[:, 11, 0] = 0.01 * torch.arange(5, dtype=D)
    joints[:, 7, 2] = 0.06  # left ankle 6 cm high and still: contact (< 8 cm)
    joints[:, 8, 2] = 0.09  # right ankle 9 cm high: no contact
    joints[:, 0, 2] = 0.0  # pelvis on the floor and still: hips are never labelled
    c = label_contacts(joints, 30.0)
    assert c.shape == (5, 9)
    assert (c[:, 5] == 1).all() and (c[:, 6] == 0).all()
    assert (c[:, 3] == 1).all() and (c[:, 4] == 0).all()
    assert (c[:, 0] == 0).all()
    joints[:, 10, 2] = 0.05  # toes above 4 cm: no contact
    assert (label_contacts(joints, 30.0)[:, 5] == 0).all()


def test_canonical_frame_faces_plus_y_and_inverts(body64, turning):
    states, offset = states_of(body64, turning)
    frame = canonical_frame(states, offset)
    local = to_local(states, frame)
    torch.testing.assert_close(local.trans[:, :2], torch.zeros(40, 2, dtype=D), rtol=0, atol=1e-12)
    torch.testing.assert_close(local.trans[:, 2], states.trans[:, 2])
    right = -local.root_orient[:, :, 0]
    assert (right[:, 0] > 0.9).all()
    torch.testing.assert_close(right[:, 1], torch.zeros(40, dtype=D), rtol=0, atol=1e-12)
    # the pelvis joint lands on (o_x, o_y): the frame turns about the pelvis
    torch.testing.assert_close(local.joints[:, 0, :2], offset[:2].expand(40, 2))
    back = to_world(local, frame)
    torch.testing.assert_close(back.to_vector(), states.to_vector(), rtol=0, atol=1e-12)
    # lengths and heights are kept
    torch.testing.assert_close(local.joints[..., 2], states.joints[..., 2])
    torch.testing.assert_close(local.joints_vel.norm(dim=-1), states.joints_vel.norm(dim=-1))


def test_canonicalise_then_reaccumulate_reproduces_a_turning_motion(body64, turning):
    states, offset = states_of(body64, turning)
    travelled = (states.trans[-1, :2] - states.trans[0, :2]).norm()
    yaw = canonical_frame(states, offset).rotation
    turn = torch.atan2(yaw[-1, 0, 1], yaw[-1, 0, 0]) - torch.atan2(yaw[0, 0, 1], yaw[0, 0, 0])
    assert travelled > 1.0 and abs(float(turn)) > 0.1  # it does turn and translate
    prev, nxt = states[:-1], states[1:]
    frame = canonical_frame(prev, offset)
    residuals = residual_between(to_local(prev, frame), to_local(nxt, frame))
    out = rollout_residuals(states[0:1], offset[None], residuals[None])
    torch.testing.assert_close(out.states.to_vector()[0], states.to_vector(), rtol=0, atol=1e-10)
