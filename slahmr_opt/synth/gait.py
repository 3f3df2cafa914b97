"""Footstep plans and per-frame foot trajectories with planted stance feet.

A :class:`StepPlan` lists the steps of both feet (lift-off and touch-down times, the foothold
each step lands on, and how the foot rolls). :func:`foot_track` turns it into per-frame poses of
one foot: the ankle joint position, the world rotation of the ankle joint's frame, the local
rotation of the toe joint, the positions of the three sole landmarks and contact labels.

A stance has up to three phases:

1. heel rocker (after touch-down): the foot lands toes-up by ``pitch_on`` and rolls flat about
   the heel landmark, which stays fixed;
2. flat foot: the whole foot is still;
3. heel-off (before lift-off): the foot pitches heel-up to ``pitch_off`` about the toe joint
   (the ball), while the toe joint counter-rotates so that the toes stay flat and still.

A swing moves the ankle from its lift-off pose to its touch-down pose: a minimum-jerk blend plus a
Hermite term that carries on the velocity the heel-off gave the ankle (the foot keeps pitching
toes-down for a moment, as after a real toe-off), a lift bump that peaks early (the heel rising
behind the body), horizontal progress that lags late in the swing, and zero velocity at touch-down.
Pitch and yaw turn smoothly. Units: metres, seconds, radians; world z up, floor at z = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from slahmr_opt.synth.leg_ik import DTYPE, LegGeometry, axis_angle_to_rotmat, heading_to_rotmat

__all__ = [
    "FootTrack",
    "StepPlan",
    "foot_rotation",
    "foot_track",
    "minimum_jerk",
    "swing_bump",
]

SIDES = ("left", "right")
_TOE_RELAX = 0.35  # fraction of a swing over which the toe joint returns to rest
_BUMP_PEAK = 1.0 / 3.0  # the lift bump τ²(1 − τ)⁴ peaks at τ = 1/3
_LATE_REACH = 1.0  # time warp of the horizontal swing progress
_MAX_PITCH_RATE = 4.0  # rad/s, foot pitch rate at lift-off


def minimum_jerk(x: np.ndarray) -> np.ndarray:
    """Minimum-jerk blend 10x³ − 15x⁴ + 6x⁵ of ``x`` clipped to [0, 1] (same shape)."""
    x = np.clip(x, 0.0, 1.0)
    return x**3 * (10.0 - 15.0 * x + 6.0 * x**2)


def _hermite_velocity(x: np.ndarray) -> np.ndarray:
    """Quintic Hermite basis x − 6x³ + 8x⁴ − 3x⁵: unit slope at 0; value, slope and curvature
    zero at 1 (adds an initial velocity to a minimum-jerk blend)."""
    x = np.clip(x, 0.0, 1.0)
    return x - 6.0 * x**3 + 8.0 * x**4 - 3.0 * x**5


def swing_bump(x: np.ndarray) -> np.ndarray:
    """Lift profile τ²(1 − τ)⁴ normalised to peak 1 at τ = 1/3; zero slope at both ends.

    The early peak mimics the heel rising behind the body just after toe-off.
    """
    x = np.clip(x, 0.0, 1.0)
    peak = _BUMP_PEAK**2 * (1.0 - _BUMP_PEAK) ** 4
    return x**2 * (1.0 - x) ** 4 / peak


@dataclass
class StepPlan:
    """The steps of both feet, sorted by lift-off time (N steps).

    Attributes:
        side: (N,) int, 0 = left foot, 1 = right foot.
        t_lift: (N,) lift-off time, s.
        t_land: (N,) touch-down time, s (> t_lift).
        xy: (N, 2) world xy of the ankle joint once the landed foot is flat, m.
        yaw: (N,) heading of the landed foot, rad (the foot is posed as in the rest pose of a
            body facing this heading).
        pitch_off: (N,) heel-up pitch reached at lift-off, rad ≥ 0.
        pitch_on: (N,) toes-up pitch at touch-down, rad ≥ 0.
        roll_off: (N,) duration of the heel-off phase before lift-off, s.
        roll_on: (N,) duration of the heel rocker after touch-down, s.
        lift: (N,) height of the lift bump added to the ankle during the swing into this step, m.
        initial_xy: (2, 2) flat ankle xy of each foot (left, right) before its first step.
        initial_yaw: (2,) heading of each foot before its first step.
    """

    side: np.ndarray
    t_lift: np.ndarray
    t_land: np.ndarray
    xy: np.ndarray
    yaw: np.ndarray
    pitch_off: np.ndarray
    pitch_on: np.ndarray
    roll_off: np.ndarray
    roll_on: np.ndarray
    lift: np.ndarray
    initial_xy: np.ndarray
    initial_yaw: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.side)
        for name in (
            "t_lift",
            "t_land",
            "yaw",
            "pitch_off",
            "pitch_on",
            "roll_off",
            "roll_on",
            "lift",
        ):
            if np.shape(getattr(self, name)) != (n,):
                raise ValueError(
                    f"StepPlan.{name}: expected shape ({n},), got {np.shape(getattr(self, name))}"
                )
        if np.shape(self.xy) != (n, 2):
            raise ValueError(f"StepPlan.xy: expected shape ({n}, 2), got {np.shape(self.xy)}")
        if np.any(self.t_land <= self.t_lift):
            raise ValueError("StepPlan.t_land: every touch-down must follow its lift-off")
        for s in (0, 1):
            mine = self.side == s
            if np.any(self.t_lift[mine][1:] < self.t_land[mine][:-1]):
                raise ValueError(f"StepPlan: {SIDES[s]} foot lifts before its previous step landed")


@dataclass
class FootTrack:
    """Per-frame pose of one foot (T frames), world frame.

    Attributes:
        ankle: (T, 3) ankle joint position, m.
        rotation: (T, 3, 3) world rotation of the ankle joint's frame.
        toe_local: (T, 3, 3) local rotation of the toe joint (SMPL joints 10/11).
        sole: (T, 3, 3) heel, big-toe and small-toe landmark positions of the rigid foot model.
        heel_contact: (T,) bool, the heel is planted (stance, no heel-off).
        toe_contact: (T,) bool, the ball and toes are planted (stance, after the heel rocker).
        load: (T,) stance loading in [0, 1]: sin(π · stance progress), 0 in swing, 1 during an
            unbounded stance.
        stance: (T,) bool, the foot is on the ground.
    """

    ankle: Tensor
    rotation: Tensor
    toe_local: Tensor
    sole: Tensor
    heel_contact: np.ndarray
    toe_contact: np.ndarray
    load: np.ndarray
    stance: np.ndarray


def foot_rotation(leg: LegGeometry, yaw: Tensor, pitch: Tensor) -> Tensor:
    """World rotation of the ankle joint's frame for a levelled foot with ``yaw`` and ``pitch``.

    Args:
        leg: rest geometry (provides the sole-levelling rotation).
        yaw: (...,) foot heading, rad.
        pitch: (...,) toes-up pitch, rad (negative: heel up).

    Returns:
        (..., 3, 3) ``heading_to_rotmat(yaw) · R_x(−pitch) · sole_level``.
    """
    ex = torch.tensor([1.0, 0.0, 0.0], dtype=DTYPE).expand(*pitch.shape, 3)
    # (Broadcasting a single matrix in a batched matmul is very slow in torch: expand it.)
    level = leg.sole_level.expand(*pitch.shape, 3, 3)
    return heading_to_rotmat(yaw) @ axis_angle_to_rotmat(ex, -pitch) @ level


def _stances(plan: StepPlan, s: int) -> dict[str, np.ndarray]:
    """Stance intervals of foot ``s``: stance k lasts from the k-th landing to the k-th lift."""
    mine = np.flatnonzero(plan.side == s)
    inf = np.array([np.inf])
    t_on = np.concatenate([-inf, plan.t_land[mine]])
    t_off = np.concatenate([plan.t_lift[mine], inf])
    duration = t_off - t_on
    roll_on = np.concatenate([[0.0], plan.roll_on[mine]])
    roll_off = np.concatenate([plan.roll_off[mine], [0.0]])
    # Phases never overlap: shrink both rolls in proportion where a stance is too short.
    total = roll_on + roll_off
    scale = np.where(total > 0.9 * duration, 0.9 * duration / np.maximum(total, 1e-9), 1.0)
    return {
        "t_on": t_on,
        "t_off": t_off,
        "xy": np.concatenate([plan.initial_xy[s][None], plan.xy[mine]]),
        "yaw": np.concatenate([[plan.initial_yaw[s]], plan.yaw[mine]]),
        "pitch_on": np.concatenate([[0.0], plan.pitch_on[mine]]),
        "pitch_off": np.concatenate([plan.pitch_off[mine], [0.0]]),
        "roll_on": roll_on * scale,
        "roll_off": roll_off * scale,
        "lift": np.concatenate([plan.lift[mine], [0.0]]),
    }


def _rolled_ankle(
    leg: LegGeometry, flat: Tensor, yaw: Tensor, pitch: Tensor, pivot: Tensor
) -> Tensor:
    """Ankle position when the flat foot at ``flat`` (…, 3) rolls by ``pitch`` about ``pivot``.

    ``pivot`` (…, 3) is a rest-frame point rigid with the ankle segment, relative to the ankle.
    """
    rest = foot_rotation(leg, yaw, torch.zeros_like(pitch))
    rolled = foot_rotation(leg, yaw, pitch)
    return flat + ((rest - rolled) @ pivot[..., None])[..., 0]


def foot_track(plan: StepPlan, side: str, leg: LegGeometry, times: np.ndarray) -> FootTrack:
    """Per-frame pose of one foot following ``plan``.

    Args:
        plan: the steps of both feet.
        side: ``"left"`` or ``"right"``.
        leg: rest geometry of that leg (ankle height, sole, pivots).
        times: (T,) frame times, s.

    Returns:
        :class:`FootTrack`. In stance the planted part of the foot is exactly still and its
        lowest sole landmark is at z = 0.
    """
    st = _stances(plan, SIDES.index(side))
    times = np.asarray(times, dtype=np.float64)
    k = np.clip(np.searchsorted(st["t_on"], times, side="right") - 1, 0, len(st["t_on"]) - 1)
    stance = times <= st["t_off"][k]
    nxt = np.minimum(k + 1, len(st["t_on"]) - 1)

    # --- stance phases
    since_on = times - st["t_on"][k]
    until_off = st["t_off"][k] - times
    rocker = stance & (since_on < st["roll_on"][k])
    heel_off = stance & (until_off < st["roll_off"][k]) & ~rocker
    x_on = np.where(rocker, since_on / np.maximum(st["roll_on"][k], 1e-9), 1.0)
    x_off = np.where(heel_off, 1.0 - until_off / np.maximum(st["roll_off"][k], 1e-9), 0.0)
    # Heel-off: a blend of an ease-in (x²) and a minimum-jerk ramp so that the foot leaves the
    # ground pitching at ``rate`` (at most _MAX_PITCH_RATE), which the swing then continues.
    p_off, r_off = st["pitch_off"][k], st["roll_off"][k]
    rate = np.minimum(2.0 * p_off / np.maximum(r_off, 1e-9), _MAX_PITCH_RATE)
    rate = np.where(r_off > 0, rate, 0.0)
    ease = rate * r_off / np.maximum(2.0 * p_off, 1e-9)
    heel_up = p_off * (ease * x_off**2 + (1.0 - ease) * minimum_jerk(x_off))
    stance_pitch = st["pitch_on"][k] * (1.0 - minimum_jerk(x_on)) - heel_up

    # --- swing from stance k to stance k + 1
    t_lo, t_td = st["t_off"][k], st["t_on"][nxt]
    duration = np.where(stance, 1.0, t_td - t_lo)
    tau = np.where(stance, 0.0, (times - t_lo) / duration)
    s = minimum_jerk(tau)
    hv = _hermite_velocity(tau) * duration  # carries the lift-off velocity into the swing
    # Horizontal progress lags late in the swing (time warp τ − a τ²(1 − τ)): the foot reaches its
    # foothold only as the pelvis catches up, and still lands with zero velocity.
    s_xy = minimum_jerk(tau - _LATE_REACH * tau**2 * (1.0 - tau))
    dyaw = np.angle(np.exp(1j * (st["yaw"][nxt] - st["yaw"][k])))
    swing_yaw = st["yaw"][k] + dyaw * s
    # The swing starts with the heel-off's pitch rate (toes going down).
    rate = -rate
    swing_pitch = -st["pitch_off"][k] + (st["pitch_on"][nxt] + st["pitch_off"][k]) * s + rate * hv

    t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64), dtype=DTYPE)  # noqa: E731
    h = leg.ankle_height
    heel_rel = leg.heel - leg.ankle
    toe_rel = leg.toe - leg.ankle

    def flat_ankle(idx: np.ndarray) -> Tensor:
        xy = t(st["xy"][idx])
        return torch.cat([xy, torch.full_like(xy[..., :1], h)], -1)

    # Stance ankle: rolled about the heel (rocker) or the toe joint (heel-off).
    pivot = torch.where(t(rocker)[:, None] > 0, heel_rel, toe_rel)
    stance_ankle = _rolled_ankle(leg, flat_ankle(k), t(st["yaw"][k]), t(stance_pitch), pivot)
    # Swing end poses: lift-off of stance k (about the toe), touch-down on k + 1 (about the heel).
    toe_pivot = toe_rel.expand(len(times), 3)
    lo_pitch = -st["pitch_off"][k]
    lo_ankle = _rolled_ankle(leg, flat_ankle(k), t(st["yaw"][k]), t(lo_pitch), toe_pivot)
    eps = 1e-5
    lo_ankle_next = _rolled_ankle(leg, flat_ankle(k), t(st["yaw"][k]), t(lo_pitch - eps), toe_pivot)
    lo_velocity = (lo_ankle_next - lo_ankle) / eps * t(-rate)[:, None]
    td_ankle = _rolled_ankle(
        leg,
        flat_ankle(nxt),
        t(st["yaw"][nxt]),
        t(st["pitch_on"][nxt]),
        heel_rel.expand(len(times), 3),
    )
    swing_ankle = (
        lo_ankle
        + (td_ankle - lo_ankle) * t(np.stack([s_xy, s_xy, s], -1))
        + lo_velocity * t(hv)[:, None]
    )
    swing_ankle[:, 2] += t(st["lift"][k] * swing_bump(tau))

    yaw = np.where(stance, st["yaw"][k], swing_yaw)
    pitch = np.where(stance, stance_pitch, swing_pitch)
    rotation = foot_rotation(leg, t(yaw), t(pitch))
    ankle = torch.where(t(stance)[:, None] > 0, stance_ankle, swing_ankle)

    # Toe joint: counter-rotates during heel-off so the toes stay flat, relaxes early in swing.
    relax = np.clip(tau / _TOE_RELAX, 0.0, 1.0)
    toe_swing = -st["pitch_off"][k] * (1.0 - minimum_jerk(relax)) + rate * _TOE_RELAX * (
        _hermite_velocity(relax) * duration
    )
    toe_pitch = np.where(stance, np.minimum(stance_pitch, 0.0), toe_swing)
    ex = torch.tensor([1.0, 0.0, 0.0], dtype=DTYPE).expand(len(times), 3)
    level = leg.sole_level.expand(len(times), 3, 3)
    toe_local = level.transpose(-1, -2) @ axis_angle_to_rotmat(ex, t(toe_pitch)) @ level

    sole = _sole_points(leg, ankle, rotation, toe_local)
    # Safety net for extreme plans: never let a swinging foot dip below the floor.
    dip = torch.clamp_min(-sole[..., 2].min(-1).values, 0.0) * t(~stance)
    ankle = ankle + torch.stack([torch.zeros_like(dip), torch.zeros_like(dip), dip], -1)
    sole = sole + torch.stack([torch.zeros_like(dip), torch.zeros_like(dip), dip], -1)[:, None]

    span = st["t_off"][k] - st["t_on"][k]
    bounded = np.isfinite(span)
    progress = np.where(bounded, since_on / np.where(bounded, span, 1.0), 0.5)
    load = np.where(stance, np.sin(np.pi * np.clip(progress, 0.0, 1.0)), 0.0)
    return FootTrack(
        ankle=ankle,
        rotation=rotation,
        toe_local=toe_local,
        sole=sole,
        heel_contact=stance & ~heel_off,
        toe_contact=stance & ~rocker,
        load=load,
        stance=stance,
    )


def _sole_points(leg: LegGeometry, ankle: Tensor, rotation: Tensor, toe_local: Tensor) -> Tensor:
    """(T, 3, 3) heel, big toe, small toe of the rigid two-segment foot model."""
    heel = ankle + rotation @ (leg.heel - leg.ankle)
    toe_joint = ankle + rotation @ (leg.toe - leg.ankle)
    toe_rot = rotation @ toe_local
    big = toe_joint + toe_rot @ (leg.big_toe - leg.toe)
    small = toe_joint + toe_rot @ (leg.small_toe - leg.toe)
    return torch.stack([heel, big, small], 1)
