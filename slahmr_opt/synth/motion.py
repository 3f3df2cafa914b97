"""Procedural human motion with planted feet: ground-truth people for the synthetic benchmark.

:func:`generate_clip` makes one clip of a given kind (walk, jog, turn, side step, idle, stop and
start) for any SMPL-topology body; :func:`random_clip` also draws the kind and the body shape.
Every random choice comes from ``np.random.default_rng(seed)``.

Pipeline (all vectorised over frames):

1. a root path on the floor (speed profile, heading, curvature);
2. a footstep plan from the path: footholds under the pelvis at mid-stance, offset sideways by
   half the step width, foot yaw following the heading; stance and swing timing from cadence and
   duty factor (walking has double support, jogging a flight phase);
3. per-frame foot poses (:mod:`slahmr_opt.synth.gait`): planted stance with heel rocker and
   heel-off, minimum-jerk swings with a lift bump landing exactly on the next foothold;
4. pelvis: path plus lateral weight shift, yaw following the heading with small oscillations,
   height = a nominal height with bob, lowered wherever a leg could not reach its foot;
5. legs by analytic IK (:mod:`slahmr_opt.synth.leg_ik`), spine counter-rotation, arm swing
   opposite to the legs, head stabilised.

World: z up, floor at z = 0, metres, seconds, radians; SMPL ``transl`` and ``global_orient`` are
expressed in that world (``global_orient`` includes the rotation from SMPL's y-up rest frame).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import roma
import torch
from scipy.ndimage import gaussian_filter1d, minimum_filter1d
from torch import Tensor

from slahmr_opt.body.joint_maps import HUMOR_CONTACT_JOINTS
from slahmr_opt.reprs import short_repr
from slahmr_opt.synth.gait import FootTrack, StepPlan, foot_track
from slahmr_opt.synth.leg_ik import (
    DTYPE,
    PELVIS,
    BodyGeometry,
    axis_angle_to_rotmat,
    body_geometry,
    heading_to_rotmat,
    refine_feet_on_landmarks,
    shortest_arc_rotmat,
    solve_leg_ik,
)

__all__ = [
    "CONTACT_JOINTS",
    "MOTION_KINDS",
    "SPEED_RANGES",
    "MotionClip",
    "generate_clip",
    "random_clip",
]

MOTION_KINDS: tuple[str, ...] = ("walk", "jog", "turn", "side_step", "idle", "stop_start")
"""The kinds of motion :func:`generate_clip` makes."""

CONTACT_JOINTS: tuple[int, ...] = HUMOR_CONTACT_JOINTS
"""SMPL indices of the 9 HuMoR contact joints: hips, knees, ankles, toes, wrists."""

SPEED_RANGES: dict[str, tuple[float, float]] = {
    "walk": (0.8, 1.7),
    "jog": (2.0, 3.5),
    "turn": (0.8, 1.5),
    "side_step": (0.3, 0.8),
    "idle": (0.0, 0.0),
    "stop_start": (0.8, 1.5),
}
"""Path speed drawn for each kind, m/s (stop_start: the walking speed before and after the stop)."""

TURN_RADIUS: tuple[float, float] = (2.0, 8.0)
"""Radius of the curve a ``turn`` clip walks on, m."""

NUM_BETAS = 10
NUM_SHAPE_DRAWN = 4  # random_clip draws the first few shape directions
GRAVITY = 9.81
_PAD = 3.0  # s of path and steps planned before and after the clip
_GRID_DT = 1.0 / 120.0  # s, resolution of the root path
_REACH = 0.995  # largest hip–ankle distance used, as a fraction of the straight leg
_L_ANKLE, _R_ANKLE, _L_TOE, _R_TOE = (CONTACT_JOINTS.index(j) for j in (7, 8, 10, 11))
# SMPL-topology joint indices of the upper body.
SPINE = (3, 6, 9)
NECK, HEAD = 12, 15
LEFT_ARM, RIGHT_ARM = (16, 18, 20), (17, 19, 21)  # shoulder, elbow, wrist


@dataclass
class MotionClip:
    """One procedural motion clip of T frames, SMPL parameters in the z-up world.

    Attributes:
        kind: one of :data:`MOTION_KINDS`.
        fps: frames per second.
        global_orient: (T, 3) root rotation, axis-angle, rest frame → world.
        body_pose: (T, 23, 3) local joint rotations, axis-angle (SMPL order after the pelvis).
        betas: (10,) shape coefficients.
        transl: (T, 3) SMPL ``transl``: pelvis joint = rest pelvis joint + transl, metres.
        contacts: (T, 9) float 0/1 for :data:`CONTACT_JOINTS` (hips, knees, ankles, toes,
            wrists); only the ankles (heel planted) and toes (ball planted) of a stance foot are 1.
        params: what was generated (speed, cadence, stride, heading, curvature, style, ...).
    """

    __repr__ = short_repr

    kind: str
    fps: float
    global_orient: np.ndarray
    body_pose: np.ndarray
    betas: np.ndarray
    transl: np.ndarray
    contacts: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        """T."""
        return int(self.transl.shape[0])

    def keypoints(self, body) -> tuple[np.ndarray, np.ndarray]:
        """Posed joints (T, J, 3) and landmarks (T, L, 3) of this clip on ``body``, metres."""
        dtype = body.joint_template0.dtype
        as_t = lambda a: torch.as_tensor(a, dtype=dtype)  # noqa: E731
        with torch.no_grad():
            out = body.forward(
                as_t(self.global_orient),
                as_t(self.body_pose),
                as_t(self.betas),
                as_t(self.transl),
                landmarks=True,
            )
        return out.joints.numpy().astype(np.float64), out.landmarks.numpy().astype(np.float64)


# ---------------------------------------------------------------------------------- style
def _draw_style(
    kind: str,
    rng: np.random.Generator,
    geo: BodyGeometry,
    duration: float,
    speed: float | None,
    heading: float | None,
) -> dict[str, Any]:
    """All random choices of a clip. The same draws happen for every kind and override."""
    u = rng.uniform
    deg = np.deg2rad
    lo, hi = SPEED_RANGES[kind]
    p: dict[str, Any] = {
        "speed": float(u(lo, hi)),
        "heading": float(u(-np.pi, np.pi)),
        "cadence_factor": float(u(0.94, 1.08)),
        "duty_jitter": float(u(-0.02, 0.02)),
        "width_factor": float(u(0.0, 1.0)),
        "toe_out": float(deg(u(0.0, 8.0))),
        "lift_factor": float(u(0.85, 1.2)),
        "curvature": float(np.clip(rng.normal(0.0, 0.03), -0.08, 0.08)),
        "turn_radius": float(u(*TURN_RADIUS)),
        "direction": float(rng.choice([-1.0, 1.0])),
        "phase": float(u(0.0, 1.0)),
        "foothold_phase": float(u(0.36, 0.44)),
        "pelvis_drop": float(u(0.0, 1.0)),
        "pelvis_tilt": float(deg(u(0.0, 6.0))),
        "pelvis_yaw_amp": float(deg(u(3.0, 7.0))),
        "pelvis_roll_amp": float(deg(u(2.0, 5.0))),
        "sway_amp": float(u(0.0, 1.0)),
        "trunk_lean": float(u(0.0, 1.0)),
        "trunk_counter": float(deg(u(3.0, 8.0))),
        "arm_swing": float(u(0.0, 1.0)),
        "arm_abduction": float(deg(u(8.0, 14.0))),
        "elbow": float(u(0.0, 1.0)),
        "head_pitch": float(deg(u(-3.0, 10.0))),
        "heel_strike": float(u(0.0, 1.0)),
        "toe_off": float(u(0.0, 1.0)),
        "bob": float(u(0.0, 1.0)),
        "stop_center": float(u(0.42, 0.58)),
        "stand_time": float(u(0.8, 1.3)),
        "ramp_time": float(u(0.6, 1.0)),
        "idle_period": float(u(3.0, 6.0)),
        "idle_steps": int(rng.choice([0, 1, 1, 2])),
        "idle_step_offsets": rng.uniform(-1.0, 1.0, size=(2, 3)),
        "noise_freq": rng.uniform(0.05, 0.35, size=(6, 3)),
        "noise_phase": rng.uniform(0.0, 2.0 * np.pi, size=(6, 3)),
    }
    if speed is not None:
        if not np.isfinite(speed) or speed < 0:
            raise ValueError(f"speed: expected a finite value ≥ 0 m/s, got {speed}")
        if kind == "idle" and speed > 0:
            raise ValueError(f"speed: an idle clip stands still, got {speed} m/s")
        p["speed"] = float(speed)
    if heading is not None:
        if not np.isfinite(heading):
            raise ValueError(f"heading: expected a finite angle in radians, got {heading}")
        p["heading"] = float(heading)
    if kind in ("idle", "side_step", "stop_start"):
        p["curvature"] = 0.0
    elif kind == "turn":
        p["curvature"] = p["direction"] / p["turn_radius"]

    leg = 0.5 * (geo.legs["left"].reach + geo.legs["right"].reach)
    v = p["speed"]
    size = np.sqrt(0.8 / leg)
    cf = p["cadence_factor"]
    if kind == "jog":
        cadence = 2.6 * cf * (max(v, 0.5) / 2.8) ** 0.35 * size
        duty = 0.40 - 0.05 * (v - 2.0) / 1.5 + 0.5 * p["duty_jitter"]
        width = geo.hip_width * (0.55 + 0.3 * p["width_factor"])
    elif kind == "side_step":
        cadence = float(np.clip(v / 0.22, 1.8, 3.0)) * cf
        duty = 0.62 + p["duty_jitter"]
        width = geo.hip_width * (0.8 + 0.2 * p["width_factor"])
    else:
        cadence = 1.8 * cf * (max(v, 0.5) / 1.3) ** 0.5 * size
        duty = 0.62 - 0.04 * (v - 0.8) / 0.9 + p["duty_jitter"]
        width = geo.hip_width * (0.75 + 0.3 * p["width_factor"])
    if kind == "idle":
        cadence, duty = 1.6, 0.65
        width = geo.hip_width * (1.0 + 0.5 * p["width_factor"])
    step_period = 1.0 / cadence
    p.update(
        cadence=float(cadence),
        duty=float(duty),
        step_width=float(width),
        step_length=float(v / cadence),
        stride=float(2.0 * v / cadence),
        step_period=float(step_period),
        stance_time=float(2.0 * duty * step_period),
        swing_time=float(2.0 * (1.0 - duty) * step_period),
        leg_length=float(leg),
        duration=float(duration),
    )
    if kind == "jog":
        # Runners land closer under the body than walkers and push off further behind.
        p["foothold_phase"] -= 0.05
    if kind == "side_step":
        # Alternating wide and narrow stances: the mean width makes room for the lateral stride.
        p["step_width"] = float(width + v * step_period)
    return p


# ---------------------------------------------------------------------------------- path
@dataclass
class _Path:
    t: np.ndarray  # (G,) s
    xy: np.ndarray  # (G, 2) m
    facing: np.ndarray  # (G,) rad, unwrapped
    speed: np.ndarray  # (G,) m/s

    def at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xy = np.stack([np.interp(times, self.t, self.xy[:, i]) for i in range(2)], -1)
        return xy, np.interp(times, self.t, self.facing)


def _raised_cosine(x: np.ndarray) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def _stop_window(p: dict[str, Any]) -> tuple[float, float]:
    """(t_stop, t_go): the walker stands still between these times."""
    t_stop = p["stop_center"] * p["duration"] - 0.5 * p["stand_time"]
    return t_stop, t_stop + p["stand_time"]


def _root_path(kind: str, p: dict[str, Any], start_xy: np.ndarray) -> _Path:
    t = np.arange(-_PAD, p["duration"] + _PAD + _GRID_DT, _GRID_DT)
    speed = np.full_like(t, p["speed"])
    if kind == "idle":
        speed[:] = 0.0
    if kind == "stop_start":
        t_stop, t_go = _stop_window(p)
        ramp = p["ramp_time"]
        slow = _raised_cosine((t - (t_stop - ramp)) / ramp)
        fast = _raised_cosine((t - t_go) / ramp)
        speed = p["speed"] * np.where(t < t_go, 1.0 - slow, fast)
    # Arc length s(t) with s(0) = 0, travel direction θ(s) = θ0 + κ s.
    s = np.concatenate([[0.0], np.cumsum(0.5 * (speed[1:] + speed[:-1]) * _GRID_DT)])
    s -= np.interp(0.0, t, s)
    offset = p["direction"] * np.pi / 2 if kind == "side_step" else 0.0
    theta = p["heading"] + offset + p["curvature"] * s
    vel = speed[:, None] * np.stack([np.cos(theta), np.sin(theta)], -1)
    xy = np.concatenate([np.zeros((1, 2)), np.cumsum(0.5 * (vel[1:] + vel[:-1]) * _GRID_DT, 0)])
    xy += start_xy - np.stack([np.interp(0.0, t, xy[:, i]) for i in range(2)])
    return _Path(t=t, xy=xy, facing=theta - offset, speed=speed)


# ---------------------------------------------------------------------------------- steps
def _regular_touchdowns(p: dict[str, Any], t0: float, t1: float, anchor: float) -> np.ndarray:
    """Touch-down times k·Ts + anchor that fall in [t0, t1]."""
    ts = p["step_period"]
    k0, k1 = int(np.ceil((t0 - anchor) / ts)), int(np.floor((t1 - anchor) / ts))
    return anchor + ts * np.arange(k0, k1 + 1)


def _step_schedule(kind: str, p: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(side, t_lift, t_land) of every step for a stepping kind."""
    ts, swing = p["step_period"], p["swing_time"]
    start, end = -_PAD + 1.0, p["duration"] + _PAD - 1.0
    if kind == "stop_start":
        t_stop, t_go = _stop_window(p)
        # The closing step lands when the walker stops, the one before it a step earlier.
        before = _regular_touchdowns(p, start, t_stop, anchor=t_stop)
        after = t_go + swing + ts * np.arange(int(np.ceil((end - t_go) / ts)) + 1)
        first = int(p["phase"] < 0.5)
        side_before = (first + np.arange(len(before))) % 2
        # The restart begins with the foot that did not close.
        side_after = (side_before[-1] + 1 + np.arange(len(after))) % 2
        land = np.concatenate([before, after])
        side = np.concatenate([side_before, side_after])
    else:
        land = _regular_touchdowns(p, start, end, anchor=p["phase"] * ts)
        side = (int(p["phase"] < 0.5) + np.arange(len(land))) % 2
    lift = land - swing
    order = np.argsort(lift, kind="stable")
    return side[order], lift[order], land[order]


def _foothold(
    path: _Path, times: np.ndarray, side: np.ndarray, p: dict[str, Any], lateral: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Flat ankle xy and foot yaw: the path at ``times`` offset sideways by ``lateral``."""
    xy, facing = path.at(times)
    sign = np.where(side == 0, 1.0, -1.0)  # body-left is +1
    left = np.stack([-np.sin(facing), np.cos(facing)], -1)
    return xy + (sign * lateral)[:, None] * left, facing + sign * p["toe_out"]


def _gait_plan(kind: str, p: dict[str, Any], path: _Path) -> StepPlan:
    side, lift, land = _step_schedule(kind, p)
    stance = p["stance_time"]
    # Mid-stance of each landing: the foot is placed under the pelvis (offset sideways) then.
    next_lift = np.full_like(land, np.inf)
    for s in (0, 1):
        idx = np.flatnonzero(side == s)
        next_lift[idx[:-1]] = lift[idx[1:]]
    span = np.minimum(next_lift - land, stance)
    when = land + p["foothold_phase"] * span
    if kind == "stop_start":
        t_stop, _ = _stop_window(p)
        when = np.where(
            (land <= t_stop + 1e-9) & (next_lift > t_stop), np.maximum(when, t_stop), when
        )
    half = np.full(len(side), 0.5 * p["step_width"])
    xy, yaw = _foothold(path, when, side, p, half)
    first_lift = np.array([lift[side == s][0] for s in (0, 1)])
    init_when = first_lift - (1.0 - p["foothold_phase"]) * stance
    init_xy, init_yaw = _foothold(path, init_when, np.array([0, 1]), p, np.full(2, half[0]))

    # Roll and lift scale with how far each foot travels (a closing step barely rolls).
    prev_xy = np.empty_like(xy)
    for s in (0, 1):
        idx = np.flatnonzero(side == s)
        prev_xy[idx] = np.concatenate([init_xy[s][None], xy[idx[:-1]]])
    travel = np.linalg.norm(xy - prev_xy, axis=-1)
    scale = np.clip(travel / max(p["stride"], 1e-6), 0.0, 1.0)
    deg = np.deg2rad
    if kind == "jog":
        pitch_on, pitch_off = deg(12.0 * p["heel_strike"]), deg(25.0 + 15.0 * p["toe_off"])
        roll_on, roll_off = 0.15 * stance, 0.45 * stance
        lift_h = (0.2 + 0.12 * p["bob"]) * p["lift_factor"]
    elif kind == "side_step":
        pitch_on, pitch_off = 0.0, deg(6.0 * p["toe_off"])
        roll_on, roll_off = 0.0, 0.25 * stance
        lift_h = 0.05 * p["lift_factor"]
        scale = np.ones_like(scale)
    else:
        pitch_on, pitch_off = deg(12.0 + 10.0 * p["heel_strike"]), deg(35.0 + 15.0 * p["toe_off"])
        roll_on, roll_off = 0.16 * stance, 0.42 * stance
        lift_h = 0.085 * p["lift_factor"]
    n = len(side)
    return StepPlan(
        side=side,
        t_lift=lift,
        t_land=land,
        xy=xy,
        yaw=yaw,
        pitch_off=pitch_off * scale,
        pitch_on=pitch_on * scale,
        roll_off=np.full(n, roll_off),
        roll_on=np.full(n, roll_on),
        lift=lift_h * np.maximum(scale, 0.3),
        initial_xy=init_xy,
        initial_yaw=init_yaw,
    )


def _idle_plan(p: dict[str, Any], path: _Path) -> StepPlan:
    """Both feet planted; a few small repositioning steps while the weight is on the other foot."""
    half = np.full(2, 0.5 * p["step_width"])
    init_xy, init_yaw = _foothold(path, np.zeros(2), np.array([0, 1]), p, half)
    n = p["idle_steps"]
    period, phase0 = p["idle_period"], 2.0 * np.pi * p["phase"]
    # Weight shift sin(2πt/P + φ0): +1 = on the left foot, so the right foot may step then.
    extremes = (np.pi / 2 - phase0 + np.pi * np.arange(-4, 40)) * period / (2.0 * np.pi)
    extremes = extremes[(extremes > 0.6) & (extremes < p["duration"] - 0.6)][:n]
    side = np.array(
        [0 if np.sin(2 * np.pi * e / period + phase0) < 0 else 1 for e in extremes], dtype=int
    )
    swing = 0.5
    lift, land = extremes - 0.5 * swing, extremes + 0.5 * swing
    offsets = p["idle_step_offsets"][: len(side)]
    _, facing = path.at(extremes)
    fwd = np.stack([np.cos(facing), np.sin(facing)], -1)
    left = np.stack([-np.sin(facing), np.cos(facing)], -1)
    xy = np.empty((len(side), 2))
    yaw = np.empty(len(side))
    cur_xy, cur_yaw = init_xy.copy(), init_yaw.copy()
    for i, s in enumerate(side):
        sign = 1.0 if s == 0 else -1.0
        # Small moves (≤ 7 cm) that keep the stance roughly hip-wide.
        move = 0.07 * offsets[i, 0] * fwd[i] + 0.04 * sign * offsets[i, 1] * left[i]
        cur_xy[s] = cur_xy[s] + move
        cur_yaw[s] = cur_yaw[s] + np.deg2rad(8.0) * offsets[i, 2]
        xy[i], yaw[i] = cur_xy[s], cur_yaw[s]
    zeros = np.zeros(len(side))
    return StepPlan(
        side=side,
        t_lift=lift,
        t_land=land,
        xy=xy,
        yaw=yaw,
        pitch_off=zeros,
        pitch_on=zeros,
        roll_off=zeros,
        roll_on=zeros,
        lift=np.full(len(side), 0.035 * p["lift_factor"]),
        initial_xy=init_xy,
        initial_yaw=init_yaw,
    )


# ---------------------------------------------------------------------------------- helpers
def _smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    return gaussian_filter1d(x, sigma, axis=0, mode="nearest") if sigma > 0 else x


def _noise(p: dict[str, Any], row: int, times: np.ndarray) -> np.ndarray:
    """Smooth zero-mean noise in [−1, 1] (T,): a sum of three slow sinusoids."""
    f, ph = p["noise_freq"][row], p["noise_phase"][row]
    return np.sin(2.0 * np.pi * f[None] * times[:, None] + ph[None]).sum(-1) / 3.0


def _softmin(a: np.ndarray, b: np.ndarray, tau: float) -> np.ndarray:
    m = np.minimum(a, b)
    return m - tau * np.log(np.exp((m - a) / tau) + np.exp((m - b) / tau))


def _t(a: np.ndarray | float) -> Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64), dtype=DTYPE)


def _rot(axis: int, angle: np.ndarray) -> Tensor:
    """(T, 3, 3) rotation about rest-frame axis ``axis`` (0 = x left, 1 = y up, 2 = z forward)."""
    angle = _t(angle)
    e = torch.zeros(3, dtype=DTYPE)
    e[axis] = 1.0
    return axis_angle_to_rotmat(e.expand(*angle.shape, 3), angle)


def _ypr(yaw, pitch, roll) -> Tensor:
    """Local rotation R_y(yaw) R_x(pitch) R_z(roll) in the rest frame (pitch > 0 leans forward)."""
    yaw, pitch, roll = np.broadcast_arrays(yaw, pitch, roll)
    return _rot(1, yaw) @ _rot(0, pitch) @ _rot(2, roll)


def _pelvis_height(
    geo: BodyGeometry,
    nominal: np.ndarray,
    pelvis_xy: np.ndarray,
    pelvis_rot: Tensor,
    feet: dict[str, FootTrack],
    radius: int,
) -> np.ndarray:
    """Pelvis joint height: ``nominal`` lowered smoothly wherever a leg could not reach its foot.

    The per-frame minimum of ``nominal`` and the reach bound is eroded (running minimum over
    ±``radius`` frames) and then blurred with a kernel of the same radius, so the smooth result
    never exceeds the bound.
    """
    j0 = geo.joints[PELVIS]
    bound = np.full(len(nominal), np.inf)
    for side, track in feet.items():
        leg = geo.legs[side]
        hip_off = (pelvis_rot @ (leg.hip - j0)).numpy()
        ankle = track.ankle.numpy()
        horiz = np.linalg.norm(pelvis_xy + hip_off[:, :2] - ankle[:, :2], axis=-1)
        vert = np.sqrt(np.clip((_REACH * leg.reach) ** 2 - horiz**2, 0.0, None))
        bound = np.minimum(bound, ankle[:, 2] + vert - hip_off[:, 2])
    r = max(1, radius)
    low = minimum_filter1d(_softmin(nominal, bound, 0.004), 2 * r + 1, mode="nearest")
    return gaussian_filter1d(low, r / 2.0, truncate=2.0, mode="nearest")


# ---------------------------------------------------------------------------------- main
def generate_clip(
    body,
    kind: str,
    num_frames: int,
    seed: int,
    *,
    betas: np.ndarray | Sequence[float] | None = None,
    speed: float | None = None,
    heading: float | None = None,
    start_xy: Sequence[float] = (0.0, 0.0),
    fps: float = 30.0,
) -> MotionClip:
    """Generate one procedural motion clip with planted feet.

    Args:
        body: a SMPL-topology :class:`slahmr_opt.body.BodyModel` (stand-in, SMPL, SMPL-H, SMPL-X).
        kind: one of :data:`MOTION_KINDS`.
        num_frames: T ≥ 2.
        seed: seeds ``np.random.default_rng`` for every style choice.
        betas: (S,) shape, S ≤ 10 (padded with zeros); None: the mean shape.
        speed: path speed, m/s; None: drawn from :data:`SPEED_RANGES` for the kind.
        heading: the body's heading at frame 0, rad (forward = (cos, sin, 0)); None: drawn.
        start_xy: (2,) pelvis position on the floor at frame 0, m.
        fps: frame rate.

    Returns:
        :class:`MotionClip` with T frames.
    """
    if kind not in MOTION_KINDS:
        raise ValueError(f"kind: expected one of {MOTION_KINDS}, got {kind!r}")
    if int(num_frames) != num_frames or num_frames < 2:
        raise ValueError(f"num_frames: expected an integer ≥ 2, got {num_frames}")
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps: expected a positive frame rate, got {fps}")
    start = np.asarray(start_xy, dtype=np.float64)
    if start.shape != (2,) or not np.all(np.isfinite(start)):
        raise ValueError(f"start_xy: expected 2 finite numbers, got {start_xy}")
    shape = np.zeros(NUM_BETAS)
    if betas is not None:
        b = np.asarray(betas, dtype=np.float64)
        if b.ndim != 1 or b.shape[0] > NUM_BETAS or not np.all(np.isfinite(b)):
            raise ValueError(f"betas: expected ≤ {NUM_BETAS} finite numbers, got shape {b.shape}")
        shape[: b.shape[0]] = b
    num_frames = int(num_frames)
    times = np.arange(num_frames) / fps
    rng = np.random.default_rng(seed)
    geo = body_geometry(body, shape[: body.num_betas])
    p = _draw_style(kind, rng, geo, num_frames / fps, speed, heading)
    path = _root_path(kind, p, start)
    plan = _idle_plan(p, path) if kind == "idle" else _gait_plan(kind, p, path)
    feet = {side: foot_track(plan, side, geo.legs[side], times) for side in ("left", "right")}

    pose = _pose_body(kind, p, geo, path, feet, times, fps)
    # Bodies whose sole landmarks are not rigid with the foot joints (pose blend shapes, shared
    # skinning weights) get their landmarks put back on the plan; a no-op on the stand-in.
    targets = torch.stack(
        [torch.cat([feet[s].ankle[:, None], feet[s].sole], 1) for s in ("left", "right")], 1
    )
    pose["body_pose"], sole_error = refine_feet_on_landmarks(
        body,
        pose["global_orient"],
        pose["body_pose"],
        shape[: body.num_betas],
        pose["transl"],
        targets.numpy(),
    )
    contacts = np.zeros((num_frames, len(CONTACT_JOINTS)))
    contacts[:, _L_ANKLE] = feet["left"].heel_contact
    contacts[:, _R_ANKLE] = feet["right"].heel_contact
    contacts[:, _L_TOE] = feet["left"].toe_contact
    contacts[:, _R_TOE] = feet["right"].toe_contact
    params = {k: v for k, v in p.items() if not isinstance(v, np.ndarray)}
    params.update(
        kind=kind,
        seed=int(seed),
        num_frames=num_frames,
        fps=float(fps),
        start_xy=tuple(float(x) for x in start),
        num_steps=int(len(plan.side)),
        ik_error_max=float(pose.pop("ik_error")),
        sole_error_max=sole_error,
    )
    if kind == "turn":
        params["heading_change"] = float(p["curvature"] * p["speed"] * (num_frames - 1) / fps)
    if kind == "stop_start":
        params["stop_time"], params["go_time"] = _stop_window(p)
    return MotionClip(
        kind=kind, fps=float(fps), betas=shape, contacts=contacts, params=params, **pose
    )


@dataclass
class _Gait:
    """Per-frame gait signals shared by the body parts (T frames)."""

    facing: np.ndarray  # (T,) path heading, rad
    fwd: np.ndarray  # (T, 2) unit forward on the floor
    left: np.ndarray  # (T, 2) unit body-left on the floor
    balance: np.ndarray  # (T,) +1 weight on the left foot, −1 on the right
    ahead: np.ndarray  # (T,) (right − left ankle) along the heading / step length
    stepping: bool  # arms and pelvis follow the legs (not idle or side step)


def _gait_signals(
    kind: str,
    p: dict[str, Any],
    path: _Path,
    feet: dict[str, FootTrack],
    times: np.ndarray,
    fps: float,
) -> _Gait:
    _, facing = path.at(times)
    fwd = np.stack([np.cos(facing), np.sin(facing)], -1)
    left = np.stack([-np.sin(facing), np.cos(facing)], -1)
    ankle_l, ankle_r = feet["left"].ankle.numpy(), feet["right"].ankle.numpy()
    support = feet["left"].stance.astype(float) - feet["right"].stance.astype(float)
    balance = _smooth(support, 0.08 * fps)
    if kind == "idle":
        weight = np.sin(2.0 * np.pi * times / p["idle_period"] + 2.0 * np.pi * p["phase"])
        balance = 0.7 * weight + 0.3 * balance
    ahead = ((ankle_r - ankle_l)[:, :2] * fwd).sum(-1) / max(p["step_length"], 0.3)
    ahead = np.clip(_smooth(ahead, 0.05 * fps), -1.2, 1.2)
    return _Gait(facing, fwd, left, balance, ahead, kind not in ("idle", "side_step"))


def _pelvis(
    kind: str,
    p: dict[str, Any],
    geo: BodyGeometry,
    path: _Path,
    gait: _Gait,
    feet: dict[str, FootTrack],
    times: np.ndarray,
    fps: float,
) -> tuple[Tensor, Tensor, np.ndarray, np.ndarray]:
    """Pelvis joint position (T, 3), world rotation (T, 3, 3), yaw oscillation and roll (T,)."""
    deg = np.deg2rad
    base_xy, _ = path.at(times)
    ankle_l, ankle_r = feet["left"].ankle.numpy(), feet["right"].ankle.numpy()
    if kind == "idle":
        # Stay centred over the feet when a small step moves one of them.
        base_xy = base_xy + _smooth(0.5 * (ankle_l + ankle_r)[:, :2] - base_xy, 0.3 * fps)
    sway = {"jog": 0.01, "side_step": 0.015, "idle": 0.03}.get(kind, 0.02)
    sway *= 0.6 + 0.8 * p["sway_amp"]
    pelvis_xy = base_xy + (sway * gait.balance)[:, None] * gait.left

    # Orientation: heading, oscillating yaw and roll, forward tilt, lean into turns.
    speed = np.interp(times, path.t, path.speed)
    lean = np.arctan(speed**2 * p["curvature"] / GRAVITY)
    yaw = p["pelvis_yaw_amp"] * gait.ahead if gait.stepping else deg(2.0) * _noise(p, 0, times)
    roll = p["pelvis_roll_amp"] * gait.balance * (0.5 if kind == "jog" else 1.0)
    rotation = heading_to_rotmat(_t(gait.facing)) @ _ypr(yaw, p["pelvis_tilt"], roll - lean)

    # Height: a little knee flexion, the bob, then the reach bound.
    drop = {
        "jog": 0.04 + 0.03 * p["pelvis_drop"],
        "side_step": 0.02 + 0.03 * p["pelvis_drop"],
        "idle": 0.015 * p["pelvis_drop"],
    }.get(kind, 0.005 + 0.02 * p["pelvis_drop"])
    nominal = np.full(len(times), geo.pelvis_height - drop)
    if kind == "jog":
        # Runners are lowest at mid-stance and highest in flight.
        nominal -= (0.03 + 0.03 * p["bob"]) * (feet["left"].load + feet["right"].load)
    if kind in ("walk", "turn", "stop_start"):
        # Walkers are lowest when their legs are spread (double support), scaled by step length.
        spread = np.abs(((ankle_r - ankle_l)[:, :2] * gait.fwd).sum(-1))
        spread = np.clip(spread / max(p["step_length"], 0.3), 0.0, 1.0)
        amp = (0.015 + 0.015 * p["bob"]) * min(1.0, p["step_length"] / 0.7)
        nominal -= amp * _smooth(spread, 0.03 * fps) ** 2
    if kind == "idle":
        nominal -= 0.006 * (1.0 + _noise(p, 1, times))
    radius = int(round(0.12 * p["step_period"] * fps))
    z = _pelvis_height(geo, nominal, pelvis_xy, rotation, feet, radius)
    position = _t(np.concatenate([pelvis_xy, z[:, None]], -1))
    return position, rotation, yaw, roll


def _legs(
    geo: BodyGeometry,
    gait: _Gait,
    feet: dict[str, FootTrack],
    pelvis_pos: Tensor,
    pelvis_rot: Tensor,
    local: Tensor,
) -> float:
    """Write hip, knee, ankle and toe rotations into ``local`` (T, 24, 3, 3); return the IK error.

    Knees point between the foot's and the pelvis's heading.
    """
    facing = _t(gait.facing)
    error = 0.0
    for side, track in feet.items():
        leg = geo.legs[side]
        foot_yaw = torch.atan2(track.rotation[:, 1, 2], track.rotation[:, 0, 2])
        knee_dir = facing + 0.5 * torch.atan2(
            torch.sin(foot_yaw - facing), torch.cos(foot_yaw - facing)
        )
        knee_axis = torch.stack(
            [-torch.sin(knee_dir), torch.cos(knee_dir), torch.zeros_like(knee_dir)], -1
        )
        sol = solve_leg_ik(
            leg, geo.joints[PELVIS], pelvis_pos, pelvis_rot, track.ankle, track.rotation, knee_axis
        )
        hip_i, knee_i, ankle_i, toe_i = leg.joints
        local[:, hip_i], local[:, knee_i], local[:, ankle_i] = sol.hip, sol.knee, sol.ankle
        local[:, toe_i] = track.toe_local
        error = max(error, float(sol.ankle_error.max()))
    return error


def _upper_body(
    kind: str,
    p: dict[str, Any],
    geo: BodyGeometry,
    gait: _Gait,
    times: np.ndarray,
    pelvis_rot: Tensor,
    pelvis_yaw: np.ndarray,
    pelvis_roll: np.ndarray,
    local: Tensor,
) -> None:
    """Write spine, neck, head and arm rotations into ``local`` (T, 24, 3, 3)."""
    n, deg = len(times), np.deg2rad
    # Spine: counter-rotate the thorax against the pelvis, lean, undo part of the roll.
    lean = deg(4.0 + 7.0 * p["trunk_lean"]) if kind == "jog" else deg(4.0 * p["trunk_lean"])
    thorax_yaw = (
        -p["trunk_counter"] * gait.ahead if gait.stepping else deg(3.0) * _noise(p, 2, times)
    )
    spine = _ypr(
        (thorax_yaw - pelvis_yaw) / 3.0, (lean - p["pelvis_tilt"]) / 3.0, -0.7 * pelvis_roll / 3.0
    )
    for j in SPINE:
        local[:, j] = spine

    # Head: a steady gaze along the heading (idle: looking around), split over neck and head.
    thorax = pelvis_rot @ spine @ spine @ spine
    look = deg(20.0 if kind == "idle" else 4.0) * _noise(p, 3, times)
    gaze = heading_to_rotmat(_t(gait.facing + look)) @ _rot(0, np.full(n, p["head_pitch"]))
    half = roma.rotvec_to_rotmat(roma.rotmat_to_rotvec(thorax.transpose(-1, -2) @ gaze) / 2.0)
    local[:, NECK] = half
    local[:, HEAD] = half

    # Arms: hang down, swing opposite to the legs; elbows slightly bent (jog: about 90°).
    if kind == "jog":
        swing, elbow = deg(25.0 + 15.0 * p["arm_swing"]), deg(75.0 + 20.0 * p["elbow"])
    elif gait.stepping:
        swing, elbow = deg(12.0 + 13.0 * p["arm_swing"]), deg(12.0 + 18.0 * p["elbow"])
    else:
        swing, elbow = deg(2.0), deg(10.0 + 15.0 * p["elbow"])
    abd = p["arm_abduction"]
    forward = torch.tensor([0.0, 0.0, 1.0], dtype=DTYPE)
    for sign, (shoulder, elbow_j, wrist), row in ((1.0, LEFT_ARM, 4), (-1.0, RIGHT_ARM, 5)):
        # Left arm forward when the right foot is ahead.
        angle = sign * swing * gait.ahead if gait.stepping else swing * _noise(p, row, times)
        angle = angle + deg(2.0)
        target = np.stack(
            [
                np.full(n, sign * np.sin(abd)),
                -np.cos(abd) * np.cos(angle),
                np.cos(abd) * np.sin(angle),
            ],
            -1,
        )
        upper = geo.joints[elbow_j] - geo.joints[shoulder]
        local[:, shoulder] = shortest_arc_rotmat(upper.expand(n, 3), _t(target))
        # Elbow flexion brings the forearm forward: axis = forearm × forward (rest frame).
        axis = torch.cross(geo.joints[wrist] - geo.joints[elbow_j], forward, dim=-1)
        axis = axis / axis.norm()
        flex = elbow + 0.5 * np.clip(angle, 0.0, None)
        local[:, elbow_j] = axis_angle_to_rotmat(axis.expand(n, 3), _t(flex))


def _pose_body(
    kind: str,
    p: dict[str, Any],
    geo: BodyGeometry,
    path: _Path,
    feet: dict[str, FootTrack],
    times: np.ndarray,
    fps: float,
) -> dict[str, Any]:
    """SMPL parameters for every frame: pelvis, IK legs, spine, head, arms."""
    gait = _gait_signals(kind, p, path, feet, times, fps)
    pelvis_pos, pelvis_rot, yaw, roll = _pelvis(kind, p, geo, path, gait, feet, times, fps)
    local = torch.eye(3, dtype=DTYPE).repeat(len(times), 24, 1, 1)
    ik_error = _legs(geo, gait, feet, pelvis_pos, pelvis_rot, local)
    _upper_body(kind, p, geo, gait, times, pelvis_rot, yaw, roll, local)
    rotvec = roma.rotmat_to_rotvec(local)
    return {
        "global_orient": roma.rotmat_to_rotvec(pelvis_rot).numpy(),
        "body_pose": rotvec[:, 1:].numpy(),
        "transl": (pelvis_pos - geo.joints[PELVIS]).numpy(),
        "ik_error": ik_error,
    }


def random_clip(
    body, num_frames: int, seed: int, kinds: Sequence[str] = MOTION_KINDS, *, fps: float = 30.0
) -> MotionClip:
    """A clip of a random kind, speed, stride, heading, path curvature and body shape.

    Betas: the first few shape directions ~ N(0, 1) clipped to ±2.5, the rest zero.

    Args:
        body: SMPL-topology body model.
        num_frames: T ≥ 2.
        seed: seeds every choice.
        kinds: the kinds to draw from (uniformly).
        fps: frame rate.

    Returns:
        :class:`MotionClip`.
    """
    kinds = tuple(kinds)
    if not kinds or any(k not in MOTION_KINDS for k in kinds):
        raise ValueError(f"kinds: expected a non-empty subset of {MOTION_KINDS}, got {kinds}")
    rng = np.random.default_rng(seed)
    kind = kinds[int(rng.integers(len(kinds)))]
    betas = np.zeros(NUM_BETAS)
    k = min(NUM_SHAPE_DRAWN, body.num_betas)
    betas[:k] = np.clip(rng.normal(0.0, 1.0, size=k), -2.5, 2.5)
    sub_seed = int(rng.integers(2**31 - 1))
    return generate_clip(body, kind, num_frames, sub_seed, betas=betas, fps=fps)
