"""Camera rigs for synthetic scenes, in the floor frame (+z up, floor at z = 0, metres).

Four rigs (docs/benchmark.md, "Camera rigs"), all aimed at the people:

- ``static``: a fixed camera far enough to the side of the people's paths to see all of them;
- ``pan_tilt``: a fixed position that turns to follow the smoothed centroid of the people;
- ``handheld``: walks along beside the people a few metres away, slowly sweeping around them,
  with hand shake (small rotational jitter) and walking bob;
- ``orbit``: circles the people at a constant radius and height, looking at the circle's centre,
  which follows the heavily smoothed centroid of the people.

Cameras are world→camera with OpenCV axes (x right, y down, z forward), 1.2–1.8 m above the floor,
looking slightly down at the people's pelvis height. Intrinsics: principal point at the image
centre and ``f = 0.5 (W + H)`` scaled by a factor drawn in ``1 ± focal_jitter``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import roma
import torch
from scipy.ndimage import gaussian_filter1d

from slahmr_opt.scene import Cameras

__all__ = [
    "CAMERA_RIGS",
    "CameraRig",
    "RigConfig",
    "look_at",
    "make_camera_rig",
    "people_centroid",
    "sample_intrinsics",
    "smooth_path",
]

CAMERA_RIGS = ("static", "pan_tilt", "handheld", "orbit")
"""Names of the camera rigs :func:`make_camera_rig` builds."""

_DEG = math.pi / 180.0


@dataclass(frozen=True)
class RigConfig:
    """Parameters shared by the rigs; ``(low, high)`` pairs are drawn uniformly per scene.

    Attributes:
        height_range: camera height above the floor, metres.
        distance_range: horizontal distance from the camera to the people's centroid, metres.
            The static and pan-tilt rigs add the people's spread across the viewing direction;
            every rig moves further back when the people's spread (95th percentile over frames of
            the largest distance of a person from the aim point) would not fit in ``fill`` of the
            horizontal field of view.
        max_distance: upper bound of the static camera's distance, metres.
        focal_jitter: relative range of the focal length around ``0.5 (W + H)``.
        roll_deg: largest absolute constant roll of the camera about its optical axis, degrees.
        fill: fraction of the horizontal field of view the static camera lets the people span.
        pan_smoothing_s: Gaussian smoothing (σ, seconds) of the centroid the pan-tilt rig follows.
        handheld_smoothing_s: Gaussian smoothing (σ, seconds) of the centroid the handheld
            camera walks along with.
        handheld_sweep_deg_per_s: ``(low, high)`` speed of the handheld camera's slow sweep
            around the people, degrees per second (random sign).
        shake_deg: RMS angle of the handheld camera's rotational shake, degrees.
        shake_smoothing_frames: Gaussian smoothing (σ, frames) of the shake noise.
        bob_m: ``(low, high)`` vertical bob amplitude of the handheld camera, metres.
        bob_hz: ``(low, high)`` bob frequency (walking steps), Hz.
        orbit_deg_per_s: ``(low, high)`` angular speed of the orbit, degrees per second (random
            sign).
        orbit_smoothing_s: Gaussian smoothing (σ, seconds) of the centroid the orbit is centred
            on.
    """

    height_range: tuple[float, float] = (1.2, 1.8)
    distance_range: tuple[float, float] = (4.0, 7.0)
    max_distance: float = 20.0
    focal_jitter: float = 0.2
    roll_deg: float = 2.0
    fill: float = 0.75
    pan_smoothing_s: float = 0.3
    handheld_smoothing_s: float = 1.0
    handheld_sweep_deg_per_s: tuple[float, float] = (2.0, 6.0)
    shake_deg: float = 0.3
    shake_smoothing_frames: float = 2.0
    bob_m: tuple[float, float] = (0.01, 0.025)
    bob_hz: tuple[float, float] = (1.6, 2.0)
    orbit_deg_per_s: tuple[float, float] = (8.0, 20.0)
    orbit_smoothing_s: float = 2.0


@dataclass(frozen=True)
class CameraRig:
    """True cameras of a synthetic scene in the floor frame.

    Attributes:
        kind: one of :data:`CAMERA_RIGS`.
        cameras: (T frames) metric world→camera cameras, world = floor frame.
        eye: (T, 3) camera centres, floor frame, metres.
        target: (T, 3) points the cameras look at, floor frame, metres.
        params: JSON-friendly values drawn for this rig (focal length, height, distance…).
    """

    kind: str
    cameras: Cameras
    eye: np.ndarray
    target: np.ndarray
    params: dict = field(default_factory=dict)


def look_at(
    eye: np.ndarray, target: np.ndarray, up: Sequence[float] = (0.0, 0.0, 1.0)
) -> np.ndarray:
    """World→camera rotations (OpenCV axes) of cameras at ``eye`` looking at ``target``.

    The camera's x axis is horizontal (perpendicular to ``up``), its y axis points down and its
    z axis at the target.

    Args:
        eye: (T, 3) camera centres.
        target: (T, 3) points to look at.
        up: (3,) world up direction.

    Returns:
        (T, 3, 3) rotations whose rows are the camera axes in world coordinates.
    """
    eye = np.asarray(eye, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    forward = target - eye
    norm = np.linalg.norm(forward, axis=-1, keepdims=True)
    if np.any(norm < 1e-9):
        raise ValueError("look_at: target must differ from eye on every frame")
    forward = forward / norm
    right = np.cross(forward, np.asarray(up, dtype=np.float64))
    rnorm = np.linalg.norm(right, axis=-1, keepdims=True)
    if np.any(rnorm < 1e-6):
        raise ValueError("look_at: the viewing direction must not be parallel to up")
    right = right / rnorm
    down = np.cross(forward, right)
    return np.stack([right, down, forward], axis=-2)


def _rotate_in_camera(R: np.ndarray, rotvec: np.ndarray) -> np.ndarray:
    """Rotate cameras about their own axes: ``Exp(rotvec) · R``. (T,3,3), (T,3) → (T,3,3)."""
    turn = roma.rotvec_to_rotmat(torch.from_numpy(np.asarray(rotvec, dtype=np.float64))).numpy()
    return turn @ R


def sample_intrinsics(
    image_size: tuple[int, int], rng: np.random.Generator, focal_jitter: float = 0.2
) -> np.ndarray:
    """Pinhole intrinsics ``(fx, fy, cx, cy)``: square pixels, principal point at the centre.

    Args:
        image_size: ``(width, height)`` in pixels.
        rng: random generator.
        focal_jitter: the focal length is ``0.5 (W + H) · u``, ``u ~ U(1 − jitter, 1 + jitter)``.

    Returns:
        (4,) pixels.
    """
    width, height = image_size
    f = 0.5 * (width + height) * rng.uniform(1.0 - focal_jitter, 1.0 + focal_jitter)
    return np.array([f, f, 0.5 * width, 0.5 * height])


def people_centroid(pelvis_tracks: Sequence[tuple[int, np.ndarray]], num_frames: int) -> np.ndarray:
    """Mean pelvis position of the people present at each frame.

    Frames where nobody is present take the nearest frame's value (linear in between).

    Args:
        pelvis_tracks: per person ``(start, pelvis)`` with pelvis (T_i, 3) on scene frames
            ``start … start + T_i − 1``.
        num_frames: T, scene frames.

    Returns:
        (T, 3) metres.
    """
    total = np.zeros((num_frames, 3))
    count = np.zeros(num_frames)
    for start, pelvis in pelvis_tracks:
        pelvis = np.asarray(pelvis, dtype=np.float64)
        total[start : start + len(pelvis)] += pelvis
        count[start : start + len(pelvis)] += 1
    present = count > 0
    if not present.any():
        raise ValueError("people_centroid: no person is present on any frame")
    frames = np.arange(num_frames)
    out = np.empty((num_frames, 3))
    for k in range(3):
        out[:, k] = np.interp(frames, frames[present], total[present, k] / count[present])
    return out


def smooth_path(path: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Gaussian smoothing of a (T, D) path along time (edges: nearest value), σ in frames."""
    path = np.asarray(path, dtype=np.float64)
    if sigma_frames <= 0:
        return path.copy()
    return gaussian_filter1d(path, sigma_frames, axis=0, mode="nearest")


def _principal_axes(points_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre (bounding-box middle), main direction u and its perpendicular v of 2D points."""
    lo, hi = points_xy.min(axis=0), points_xy.max(axis=0)
    centre = 0.5 * (lo + hi)
    spread = points_xy - points_xy.mean(axis=0)
    if np.allclose(spread, 0.0):
        u = np.array([1.0, 0.0])
    else:
        u = np.linalg.eigh(spread.T @ spread)[1][:, -1]
    v = np.array([-u[1], u[0]])
    return centre, u, v


def _spread(pelvis_tracks: Sequence[tuple[int, np.ndarray]], target: np.ndarray) -> float:
    """95th percentile over frames of the largest floor-plane distance of a person to target."""
    worst = np.zeros(len(target))
    for start, pelvis in pelvis_tracks:
        d = np.linalg.norm(
            np.asarray(pelvis)[:, :2] - target[start : start + len(pelvis), :2], axis=1
        )
        worst[start : start + len(pelvis)] = np.maximum(worst[start : start + len(pelvis)], d)
    return float(np.percentile(worst, 95))


def _with_roll(R: np.ndarray, roll: float) -> np.ndarray:
    rotvec = np.zeros((R.shape[0], 3))
    rotvec[:, 2] = roll
    return _rotate_in_camera(R, rotvec)


def make_camera_rig(
    kind: str,
    pelvis_tracks: Sequence[tuple[int, np.ndarray]],
    num_frames: int,
    fps: float,
    image_size: tuple[int, int],
    seed: int,
    config: RigConfig | None = None,
) -> CameraRig:
    """Build the true cameras of a synthetic scene in the floor frame.

    Args:
        kind: one of :data:`CAMERA_RIGS`.
        pelvis_tracks: per person ``(start, pelvis)``, pelvis (T_i, 3) in the floor frame,
            metres, on scene frames ``start … start + T_i − 1``.
        num_frames: T, scene frames.
        fps: frame rate, Hz.
        image_size: ``(width, height)`` in pixels.
        seed: seed of every random choice of the rig.
        config: rig parameters; default :class:`RigConfig`.

    Returns:
        :class:`CameraRig` (metric cameras, world = floor frame).
    """
    if kind not in CAMERA_RIGS:
        raise ValueError(f"camera must be one of {list(CAMERA_RIGS)}, got {kind!r}")
    if num_frames < 1:
        raise ValueError(f"num_frames must be ≥ 1, got {num_frames}")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    cfg = config or RigConfig()
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), CAMERA_RIGS.index(kind)]))
    intrinsics = sample_intrinsics(image_size, rng, cfg.focal_jitter)
    tan_half_width = 0.5 * image_size[0] / intrinsics[0]
    height = float(rng.uniform(*cfg.height_range))
    roll = float(rng.uniform(-cfg.roll_deg, cfg.roll_deg)) * _DEG
    side = 1.0 if rng.random() < 0.5 else -1.0

    centroid = people_centroid(pelvis_tracks, num_frames)
    points = np.concatenate([np.asarray(p, dtype=np.float64) for _, p in pelvis_tracks])
    aim_height = float(points[:, 2].mean())
    times = np.arange(num_frames) / fps
    params: dict = {"focal": float(intrinsics[0]), "height": height, "roll_rad": roll}

    if kind in ("static", "pan_tilt"):
        centre, u, v = _principal_axes(points[:, :2])
        along = np.abs((points[:, :2] - centre) @ u).max()
        across = np.abs((points[:, :2] - centre) @ v).max()
        distance = float(rng.uniform(*cfg.distance_range)) + across
        if kind == "static":
            distance = max(distance, along / (cfg.fill * tan_half_width) + across)
            distance = min(distance, cfg.max_distance)
            target = np.tile([*centre, aim_height], (num_frames, 1))
        else:
            target = smooth_path(centroid, cfg.pan_smoothing_s * fps)
            target[:, 2] = aim_height
        eye = np.tile([*(centre + side * distance * v), height], (num_frames, 1))
        R = _with_roll(look_at(eye, target), roll)
        params["distance"] = distance
    elif kind == "handheld":
        path = smooth_path(centroid, cfg.handheld_smoothing_s * fps)
        travel = path[-1, :2] - path[0, :2]
        heading = (
            math.atan2(travel[1], travel[0])
            if np.linalg.norm(travel) > 0.5
            else float(rng.uniform(0.0, 2.0 * math.pi))
        )
        theta0 = heading + side * (math.pi / 2 + float(rng.uniform(-math.pi / 4, math.pi / 4)))
        sweep = float(rng.uniform(*cfg.handheld_sweep_deg_per_s)) * _DEG
        sweep *= 1.0 if rng.random() < 0.5 else -1.0
        theta = theta0 + sweep * times
        target = smooth_path(centroid, 0.5 * cfg.handheld_smoothing_s * fps)
        target[:, 2] = aim_height
        distance = max(
            float(rng.uniform(*cfg.distance_range)),
            _spread(pelvis_tracks, target) / (cfg.fill * tan_half_width),
        )
        bob_amp = float(rng.uniform(*cfg.bob_m))
        bob_hz = float(rng.uniform(*cfg.bob_hz))
        phase = float(rng.uniform(0.0, 2.0 * math.pi))
        eye = np.empty((num_frames, 3))
        eye[:, 0] = path[:, 0] + distance * np.cos(theta)
        eye[:, 1] = path[:, 1] + distance * np.sin(theta)
        eye[:, 2] = height + bob_amp * np.sin(2.0 * math.pi * bob_hz * times + phase)
        # sideways sway at half the step frequency, across the viewing direction
        sway = 0.5 * bob_amp * np.sin(math.pi * bob_hz * times + phase)
        eye[:, 0] += sway * -np.sin(theta)
        eye[:, 1] += sway * np.cos(theta)
        shake = smooth_path(rng.normal(size=(num_frames, 3)), cfg.shake_smoothing_frames)
        rms = math.sqrt(float(np.mean(np.sum(shake**2, axis=1)))) if num_frames > 1 else 0.0
        shake = shake * (cfg.shake_deg * _DEG / rms) if rms > 0 else np.zeros_like(shake)
        R = _rotate_in_camera(_with_roll(look_at(eye, target), roll), shake)
        params.update(
            distance=distance,
            sweep_rad_per_s=sweep,
            bob_m=bob_amp,
            bob_hz=bob_hz,
            shake_rad=cfg.shake_deg * _DEG,
        )
    else:  # orbit
        path = smooth_path(centroid, cfg.orbit_smoothing_s * fps)
        radius = max(
            float(rng.uniform(*cfg.distance_range)),
            _spread(pelvis_tracks, path) / (cfg.fill * tan_half_width),
        )
        speed = float(rng.uniform(*cfg.orbit_deg_per_s)) * _DEG
        speed *= 1.0 if rng.random() < 0.5 else -1.0
        phi = float(rng.uniform(0.0, 2.0 * math.pi)) + speed * times
        eye = np.empty((num_frames, 3))
        eye[:, 0] = path[:, 0] + radius * np.cos(phi)
        eye[:, 1] = path[:, 1] + radius * np.sin(phi)
        eye[:, 2] = height
        target = path.copy()
        target[:, 2] = aim_height
        R = _with_roll(look_at(eye, target), roll)
        params.update(radius=radius, angular_speed_rad_per_s=speed)

    t = -np.einsum("tij,tj->ti", R, eye)
    cameras = Cameras(
        R=R, t=t, intrinsics=np.tile(intrinsics, (num_frames, 1)), is_static=kind == "static"
    )
    return CameraRig(kind=kind, cameras=cameras, eye=eye, target=target, params=params)
