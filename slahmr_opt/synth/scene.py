"""Synthetic multi-person scenes with exact ground truth (docs/benchmark.md, "Synthetic scenes").

:func:`make_scene` places 1–4 procedurally moving people on a floor (floor frame: +z up, floor at
z = 0), films them with one of the camera rigs of :mod:`slahmr_opt.synth.cameras`, and observes
them with the noise models of :mod:`slahmr_opt.synth.noise`:

- the **world frame** of the result is the first true camera's frame, as SLAM systems (DROID-SLAM,
  DPVO) output it: true world→camera ``R_true(0) = I``, ``t_true(0) = 0``, metric. The ground
  truth (people, floor plane, cameras) is expressed there, so the floor normal is tilted with
  respect to camera 0's −y axis;
- the **SLAM cameras** of the scene have unknown scale and drift: the SLAM camera→world rotation
  is ``D_t · R_trueᵀ`` and the SLAM camera centre ``c_t + δ_t`` (both errors zero at frame 0), and
  the translations are divided by the true world scale α, so that with zero drift
  ``x = Π_K(R X + α t)`` reproduces the true projection exactly;
- **keypoints** are the ground-truth body's BODY_25 keypoints projected with the true cameras plus
  detector noise; **per-frame SMPL estimates** are the ground truth moved into the true camera
  frame plus estimator noise.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from slahmr_opt import __version__
from slahmr_opt.body.joint_maps import smpl_to_openpose
from slahmr_opt.body.model import BodyModel
from slahmr_opt.geometry.smpl_transform import transform_smpl, world_to_camera_smpl
from slahmr_opt.io.scene_folder import save_scene
from slahmr_opt.scene import (
    NUM_BODY_JOINTS,
    NUM_CONTACT_JOINTS,
    Cameras,
    GroundTruth,
    PersonMotion,
    Scene,
    Track,
    Visibility,
)
from slahmr_opt.synth.cameras import CAMERA_RIGS, RigConfig, make_camera_rig
from slahmr_opt.synth.motion import MOTION_KINDS, random_clip
from slahmr_opt.synth.noise import (
    KEYPOINT_MIN_DEPTH,
    NoisePreset,
    observe_keypoints,
    observe_smpl,
    occlusion_intervals,
    resolve_noise_preset,
    sample_alpha,
    slam_drift,
)

__all__ = [
    "DEFAULT_IMAGE_SIZE",
    "MAX_GROUP_SPREAD_M",
    "MAX_PEOPLE",
    "MIN_MEAN_SEPARATION_M",
    "MIN_SEPARATION_M",
    "MIN_TRACK_FRACTION",
    "MotionSource",
    "make_scene",
    "write_synthetic_scene",
]

DEFAULT_IMAGE_SIZE = (1920, 1080)
"""Image ``(width, height)`` of synthetic scenes, pixels."""

MAX_PEOPLE = 4
"""Most people :func:`make_scene` places in one scene."""

MIN_TRACK_FRACTION = 0.6
"""Every track but the first (which spans the scene) covers at least this fraction of it."""

MIN_SEPARATION_M = 0.8
"""Smallest allowed pelvis distance (floor plane) between two people on any shared frame."""

MIN_MEAN_SEPARATION_M = 1.2
"""Smallest allowed mean pelvis distance (floor plane) between two people over shared frames."""

MAX_GROUP_SPREAD_M = 4.0
"""Largest wanted distance (floor plane) of a person from the others' mean position, so that the
group stays together in view; clips are redrawn (up to :data:`_CLIP_ATTEMPTS`) to meet it."""

_PLACEMENT_ATTEMPTS = 200
_CLIP_ATTEMPTS = 20

# Seed-sequence tags of the independent random streams of a scene.
# (The camera rig seeds its own stream from the scene seed and the rig name.)
_STREAM_RANGES, _STREAM_CLIPS, _STREAM_PLACE, _STREAM_SLAM, _STREAM_OBS = 0, 1, 2, 4, 5

MotionSource = Callable[[BodyModel, int, int], Any]
"""``(body, num_frames, seed) → clip`` with the fields of ``slahmr_opt.synth.motion.MotionClip``
(``kind``, ``fps``, ``global_orient (T,3)``, ``body_pose (T,23,3)``, ``betas (B,)``,
``transl (T,3)``, ``contacts (T,9)``) in the floor frame."""


def _stream(seed: int, *tags: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), *tags]))


def _tensor(array: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    return torch.as_tensor(np.asarray(array, dtype=np.float64)).to(dtype)


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().to(torch.float64).numpy()


def _pelvis_rest(body: BodyModel, betas: np.ndarray) -> np.ndarray:
    """(3,) pelvis of the shaped rest pose for betas (B,)."""
    with torch.no_grad():
        return _numpy(body.joint_template(_tensor(betas, body.joint_template0.dtype))[0])


def _move_smpl(
    R: np.ndarray, t: np.ndarray, global_orient: np.ndarray, transl: np.ndarray, j0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``X ↦ R X + t`` (R (3,3) or (T,3,3), t (3,) or (T,3)) to SMPL root parameters."""
    n = global_orient.shape[0]
    R = np.broadcast_to(R, (n, 3, 3))
    t = np.broadcast_to(t, (n, 3))
    go, tr = transform_smpl(
        torch.from_numpy(np.ascontiguousarray(R, dtype=np.float64)),
        torch.from_numpy(np.ascontiguousarray(t, dtype=np.float64)),
        torch.from_numpy(np.asarray(global_orient, dtype=np.float64)),
        torch.from_numpy(np.asarray(transl, dtype=np.float64)),
        torch.from_numpy(np.broadcast_to(j0, (n, 3)).copy()),
    )
    return go.numpy(), tr.numpy()


def _yaw(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


# --------------------------------------------------------------------------------------------
# people
# --------------------------------------------------------------------------------------------


def _frame_ranges(num_people: int, num_frames: int, rng: np.random.Generator) -> list[tuple]:
    """Person 0 spans the scene; the others start late and/or end early (≥ 60 % of it)."""
    ranges = [(0, num_frames)]
    shortest = max(2, math.ceil(MIN_TRACK_FRACTION * num_frames))
    for _ in range(1, num_people):
        length = int(rng.integers(shortest, num_frames + 1))
        start = int(rng.integers(0, num_frames - length + 1))
        ranges.append((start, start + length))
    return ranges


def _check_clip(clip: Any, num_frames: int, index: int) -> dict[str, np.ndarray]:
    owner = f"motion clip of person {index}"
    out = {}
    shapes = {
        "global_orient": (num_frames, 3),
        "body_pose": (num_frames, NUM_BODY_JOINTS, 3),
        "transl": (num_frames, 3),
        "contacts": (num_frames, NUM_CONTACT_JOINTS),
    }
    for name, shape in shapes.items():
        value = np.asarray(getattr(clip, name), dtype=np.float64)
        if value.shape != shape:
            raise ValueError(f"{owner}: {name} has shape {value.shape}, expected {shape}")
        out[name] = value
    betas = np.asarray(clip.betas, dtype=np.float64)
    if betas.ndim != 1 or betas.size < 1:
        raise ValueError(f"{owner}: betas has shape {betas.shape}, expected (B,)")
    out["betas"] = betas
    out["contacts"] = np.clip(out["contacts"], 0.0, 1.0)
    return out


def _heading(path_xy: np.ndarray) -> float | None:
    """Direction of the net displacement of a (T, 2) path, or None when it moves < 1 m."""
    d = path_xy[-1] - path_xy[0]
    return math.atan2(d[1], d[0]) if np.linalg.norm(d) >= 1.0 else None


def _separation(
    pelvis: np.ndarray, start: int, others: list[tuple[int, np.ndarray]]
) -> tuple[float, float]:
    """(min, smallest mean) floor-plane distance to the placed people over shared frames."""
    worst_min, worst_mean = math.inf, math.inf
    end = start + len(pelvis)
    for o_start, o_pelvis in others:
        lo, hi = max(start, o_start), min(end, o_start + len(o_pelvis))
        if hi <= lo:
            continue
        d = np.linalg.norm(
            pelvis[lo - start : hi - start, :2] - o_pelvis[lo - o_start : hi - o_start, :2], axis=1
        )
        worst_min = min(worst_min, float(d.min()))
        worst_mean = min(worst_mean, float(d.mean()))
    return worst_min, worst_mean


@dataclass(frozen=True)
class _Person:
    """One person's clip and where it was put: floor pose = yaw ``R`` then ``shift``."""

    clip: dict[str, np.ndarray]
    kind: str
    pelvis_rest: np.ndarray
    R: np.ndarray
    shift: np.ndarray
    pelvis: np.ndarray  # (T_i, 3) placed pelvis, floor frame


def _place_clip(
    pelvis: np.ndarray,
    start: int,
    placed: list[tuple[int, np.ndarray]],
    group_heading: float | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Turn and shift one pelvis path next to the placed people.

    The path is turned towards the group's direction of travel (±15°) when both move, else by a
    random yaw; its mean position is put on the placed people's mean position over the shared
    frames, then offset by 1.2–2.5 m (growing with failed attempts) until it keeps clear of
    everyone (:data:`MIN_SEPARATION_M`, :data:`MIN_MEAN_SEPARATION_M`).

    Returns:
        (yaw rotation (3, 3), shift (3,), placed pelvis (T_i, 3), clearance score ≥ 1 if clear).
    """
    own = _heading(pelvis[:, :2])
    ref = _centroid_on(placed, start, len(pelvis))
    shared = ~np.isnan(ref[:, 0])
    best = None
    for attempt in range(_PLACEMENT_ATTEMPTS if placed else 1):
        if own is None or group_heading is None:
            yaw = float(rng.uniform(0.0, 2.0 * math.pi))
        else:
            yaw = group_heading - own + float(rng.normal(scale=15.0 * math.pi / 180.0))
        R = _yaw(yaw)
        moved = pelvis @ R.T
        shift = np.zeros(3)
        if not placed:
            return R, shift, moved, math.inf
        if shared.any():
            shift[:2] = (ref[shared, :2] - moved[shared, :2]).mean(axis=0)
        radius = rng.uniform(1.2, 2.5) + 0.02 * attempt
        angle = rng.uniform(0.0, 2.0 * math.pi)
        shift[:2] += radius * np.array([math.cos(angle), math.sin(angle)])
        moved = moved + shift
        sep_min, sep_mean = _separation(moved, start, placed)
        score = min(sep_min / MIN_SEPARATION_M, sep_mean / MIN_MEAN_SEPARATION_M)
        if best is None or score > best[3]:
            best = (R, shift, moved, score)
        if score >= 1.0:
            break
    return best


def _spread(pelvis: np.ndarray, start: int, placed: list[tuple[int, np.ndarray]]) -> float:
    """Largest floor-plane distance from the placed people's mean position on shared frames."""
    ref = _centroid_on(placed, start, len(pelvis))
    shared = ~np.isnan(ref[:, 0])
    if not shared.any():
        return 0.0
    return float(np.linalg.norm(pelvis[shared, :2] - ref[shared, :2], axis=1).max())


def _make_people(
    body: BodyModel,
    motion_source: MotionSource,
    ranges: list[tuple[int, int]],
    seed: int,
    fps: float,
) -> list[_Person]:
    """Draw every person's clip and place it in the floor frame.

    Person 0 keeps its clip (turned by a random yaw). Each other person draws up to
    :data:`_CLIP_ATTEMPTS` clips and keeps the first that is clear of the others and stays within
    :data:`MAX_GROUP_SPREAD_M` of their mean position (else the best one), so that the group
    stays together in view.
    """
    rng = _stream(seed, _STREAM_PLACE)
    placed: list[tuple[int, np.ndarray]] = []
    people: list[_Person] = []
    group_heading = None
    for k, (start, end) in enumerate(ranges):
        best, best_key = None, None
        for attempt in range(_CLIP_ATTEMPTS if k else 1):
            clip_seed = np.random.SeedSequence([seed, _STREAM_CLIPS, k, attempt])
            raw = motion_source(body, end - start, int(clip_seed.generate_state(1)[0]))
            clip_fps = float(getattr(raw, "fps", fps))
            if not math.isclose(clip_fps, fps):
                raise ValueError(
                    f"motion clip of person {k} is at {clip_fps} fps, the scene at {fps}"
                )
            clip = _check_clip(raw, end - start, k)
            j0 = _pelvis_rest(body, clip["betas"])
            R, shift, moved, score = _place_clip(
                clip["transl"] + j0, start, placed, group_heading, rng
            )
            spread = _spread(moved, start, placed)
            key = (score >= 1.0, spread <= MAX_GROUP_SPREAD_M, min(score, 1.0), -spread)
            if best_key is None or key > best_key:
                kind = str(getattr(raw, "kind", "unknown"))
                best, best_key = _Person(clip, kind, j0, R, shift, moved), key
            if key[0] and key[1]:
                break
        if group_heading is None:
            group_heading = _heading(best.pelvis[:, :2])
        placed.append((start, best.pelvis))
        people.append(best)
    return people


def _centroid_on(placed: list[tuple[int, np.ndarray]], start: int, length: int) -> np.ndarray:
    """(length, 3) mean pelvis of the placed people on frames start…; NaN where nobody is."""
    total = np.zeros((length, 3))
    count = np.zeros(length)
    for o_start, o_pelvis in placed:
        lo, hi = max(start, o_start), min(start + length, o_start + len(o_pelvis))
        if hi > lo:
            total[lo - start : hi - start] += o_pelvis[lo - o_start : hi - o_start]
            count[lo - start : hi - start] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count[:, None]


def _body_points(
    body: BodyModel, go: np.ndarray, bp: np.ndarray, betas: np.ndarray, transl: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Posed SMPL joints (T, J, 3) and BODY_25 keypoints (T, 25, 3), float64."""
    dtype = body.joint_template0.dtype
    with torch.no_grad():
        out = body.forward(
            _tensor(go, dtype),
            _tensor(bp, dtype),
            _tensor(betas, dtype),
            _tensor(transl, dtype),
            landmarks=True,
        )
        body25 = smpl_to_openpose(out.joints, out.landmarks)
    return _numpy(out.joints), _numpy(body25)


# --------------------------------------------------------------------------------------------
# scene
# --------------------------------------------------------------------------------------------


def _check_args(
    num_people: Any, num_frames: Any, camera: Any, fps: Any, seed: Any, image_size: Any
) -> None:
    for name, value in (("num_people", num_people), ("num_frames", num_frames), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {value!r}")
    if not 1 <= num_people <= MAX_PEOPLE:
        raise ValueError(f"num_people must be in 1…{MAX_PEOPLE}, got {num_people}")
    if num_frames < 10:
        raise ValueError(f"num_frames must be ≥ 10, got {num_frames}")
    if seed < 0:
        raise ValueError(f"seed must be ≥ 0, got {seed}")
    if camera not in CAMERA_RIGS:
        raise ValueError(f"camera must be one of {list(CAMERA_RIGS)}, got {camera!r}")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    if len(image_size) != 2 or not all(
        isinstance(v, (int, np.integer)) and v > 0 for v in image_size
    ):
        raise ValueError(f"image_size must be (width, height) positive integers, got {image_size}")


def make_scene(
    num_people: int = 2,
    num_frames: int = 300,
    preset: str | NoisePreset = "medium",
    camera: str = "handheld",
    seed: int = 0,
    body: BodyModel | None = None,
    fps: float = 30.0,
    *,
    image_size: tuple[int, int] = DEFAULT_IMAGE_SIZE,
    kinds: Sequence[str] = MOTION_KINDS,
    motion: MotionSource | None = None,
    rig_config: RigConfig | None = None,
) -> tuple[Scene, GroundTruth]:
    """Generate a synthetic scene and its exact ground truth.

    People: person ``p0`` spans the whole scene, every other person a random range of at least
    :data:`MIN_TRACK_FRACTION` of it; each moves as one procedural clip
    (``slahmr_opt.synth.motion.random_clip``), turned towards the first person's direction of
    travel and placed 1.2–2.5 m from the others, never closer than :data:`MIN_SEPARATION_M` on
    a shared frame (:data:`MIN_MEAN_SEPARATION_M` on average). A person whose path strays more
    than :data:`MAX_GROUP_SPREAD_M` from the others gets a new clip (a few draws, the best kept).

    Args:
        num_people: 1 … 4.
        num_frames: T ≥ 10 scene frames.
        preset: noise preset name (``"none"``, ``"easy"``, ``"medium"``, ``"hard"``) or a
            :class:`~slahmr_opt.synth.noise.NoisePreset`.
        camera: camera rig, one of :data:`~slahmr_opt.synth.cameras.CAMERA_RIGS`.
        seed: seed of every random choice; the same arguments give the same scene.
        body: body model; default the stand-in body in float64.
        fps: frame rate, Hz; must equal the motion clips' rate.
        image_size: ``(width, height)`` in pixels.
        kinds: motion kinds ``random_clip`` draws from (``slahmr_opt.synth.motion.MOTION_KINDS``).
        motion: ``(body, num_frames, seed) → clip`` source of each person's floor-frame motion,
            replacing ``random_clip`` (``kinds`` is then unused).
        rig_config: camera rig parameters; default :class:`~slahmr_opt.synth.cameras.RigConfig`.

    Returns:
        ``(scene, ground_truth)``. The scene holds the SLAM cameras (unknown scale α, drift) and
        per track the noisy BODY_25 keypoints, camera-frame SMPL estimates (``smpl_observed``
        False, filled by the Track, where none was made) and visibility codes; the ground truth
        holds α, the floor plane, the true metric cameras and every person's world motion, all in
        the first true camera's frame.
    """
    image_size = tuple(image_size)
    _check_args(num_people, num_frames, camera, fps, seed, image_size)
    noise = resolve_noise_preset(preset)
    body = body if body is not None else BodyModel.standin(dtype=torch.float64)
    fps = float(fps)
    kinds = tuple(kinds)
    if motion is None:

        def motion_source(body: BodyModel, num_frames: int, seed: int) -> Any:
            return random_clip(body, num_frames, seed, kinds, fps=fps)

    else:
        motion_source = motion

    # ---- people in the floor frame
    ranges = _frame_ranges(num_people, num_frames, _stream(seed, _STREAM_RANGES))
    persons = _make_people(body, motion_source, ranges, seed, fps)
    floor_params = [
        _move_smpl(p.R, p.shift, p.clip["global_orient"], p.clip["transl"], p.pelvis_rest)
        for p in persons
    ]
    pelvis_tracks = [(start, p.pelvis) for (start, _), p in zip(ranges, persons, strict=True)]

    # ---- true cameras; the world is the first camera's frame
    rig = make_camera_rig(
        camera, pelvis_tracks, num_frames, fps, image_size, seed, config=rig_config
    )
    A = rig.cameras.R[0]
    b = rig.cameras.t[0]
    R_true = rig.cameras.R @ A.T
    t_true = rig.cameras.t - np.einsum("tij,j->ti", R_true, b)
    R_true[0] = np.eye(3)
    t_true[0] = 0.0
    static = camera == "static"
    if static:  # every camera equals the first one
        R_true[:] = np.eye(3)
        t_true[:] = 0.0
    intrinsics = rig.cameras.intrinsics
    true_cameras = Cameras(R=R_true, t=t_true, intrinsics=intrinsics, is_static=static)
    floor_normal = A @ np.array([0.0, 0.0, 1.0])
    floor_normal = floor_normal / np.linalg.norm(floor_normal)
    floor_offset = float(floor_normal @ b)

    # ---- SLAM cameras: unknown scale and drift
    slam_rng = _stream(seed, _STREAM_SLAM)
    alpha = sample_alpha(noise, slam_rng)
    if static:
        R_slam, t_slam = R_true.copy(), t_true / alpha
    else:
        centers = -np.einsum("tji,tj->ti", R_true, t_true)
        drift = slam_drift(centers, fps, noise, slam_rng)
        R_slam = R_true @ np.swapaxes(drift.rotation, -1, -2)
        R_slam[0] = np.eye(3)
        centers_slam = centers + drift.translation
        t_slam = -np.einsum("tij,tj->ti", R_slam, centers_slam) / alpha
        t_slam[0] = 0.0
    slam_cameras = Cameras(R=R_slam, t=t_slam, intrinsics=intrinsics, is_static=static)

    # ---- ground truth people in the world, observations in the true cameras
    people, tracks, records = [], [], []
    for k, ((start, end), person, (go_f, tr_f)) in enumerate(
        zip(ranges, persons, floor_params, strict=True)
    ):
        c, j0 = person.clip, person.pelvis_rest
        track_id = f"p{k}"
        frames = np.arange(start, end)
        go_w, tr_w = _move_smpl(A, b, go_f, tr_f, j0)
        people.append(
            PersonMotion(
                track_id=track_id,
                frames=frames,
                global_orient=go_w,
                body_pose=c["body_pose"],
                betas=c["betas"],
                transl=tr_w,
                contacts=c["contacts"],
            )
        )
        track, record = _observe_person(
            body,
            track_id,
            frames,
            go_w,
            c["body_pose"],
            c["betas"],
            tr_w,
            true_cameras,
            image_size,
            noise,
            _stream(seed, _STREAM_OBS, k),
        )
        record["motion_kind"] = person.kind
        tracks.append(track)
        records.append(record)

    ground_truth = GroundTruth(
        alpha=alpha,
        floor_normal=floor_normal,
        floor_offset=floor_offset,
        cameras=true_cameras,
        people=people,
        fps=fps,
    )
    provenance = {
        "generator": "slahmr_opt.synth.scene.make_scene",
        "library_version": __version__,
        "seed": int(seed),
        "preset": noise.name,
        "noise": noise.to_dict(),
        "camera_rig": camera,
        "rig": rig.params,
        "num_people": int(num_people),
        "num_frames": int(num_frames),
        "fps": fps,
        "motion": (
            {"source": "random_clip", "kinds": list(kinds)}
            if motion is None
            else {"source": getattr(motion, "__name__", "custom")}
        ),
        "body": body.source,
        "tracks": records,
    }
    scene = Scene(
        fps=fps,
        image_size=image_size,
        cameras=slam_cameras,
        tracks=tracks,
        name=f"synth_{camera}_{noise.name}_{num_people}p_seed{seed}",
        provenance=provenance,
    )
    return scene, ground_truth


def _observe_person(
    body: BodyModel,
    track_id: str,
    frames: np.ndarray,
    go_w: np.ndarray,
    body_pose: np.ndarray,
    betas: np.ndarray,
    transl_w: np.ndarray,
    cameras: Cameras,
    image_size: tuple[int, int],
    noise: NoisePreset,
    rng: np.random.Generator,
) -> tuple[Track, dict]:
    """Keypoints, SMPL estimates and visibility of one person seen by the true cameras."""
    n = len(frames)
    R = cameras.R[frames]
    t = cameras.t[frames]
    K = cameras.intrinsics[frames]
    joints, body25 = _body_points(body, go_w, body_pose, betas, transl_w)
    body25_cam = np.einsum("tij,tkj->tki", R, body25) + t[:, None]
    pelvis_cam = np.einsum("tij,tj->ti", R, joints[:, 0]) + t

    depth = pelvis_cam[:, 2]
    z = np.where(depth >= KEYPOINT_MIN_DEPTH, depth, 1.0)
    uv = pelvis_cam[:, :2] / z[:, None] * K[:, :2] + K[:, 2:]
    width, height = image_size
    in_view = (
        (depth >= KEYPOINT_MIN_DEPTH)
        & (uv[:, 0] >= 0)
        & (uv[:, 0] < width)
        & (uv[:, 1] >= 0)
        & (uv[:, 1] < height)
    )
    intervals = occlusion_intervals(n, noise, rng)
    occluded = np.zeros(n, dtype=bool)
    for s, e in intervals:
        occluded[s:e] = True
    visibility = np.full(n, int(Visibility.VISIBLE), dtype=np.int8)
    visibility[occluded] = int(Visibility.OCCLUDED)
    visibility[~in_view] = int(Visibility.OUTSIDE_IMAGE)

    keypoints = observe_keypoints(body25_cam, K, image_size, noise, rng, occluded=occluded)

    j0 = _pelvis_rest(body, betas)
    go_c, tr_c = world_to_camera_smpl(
        torch.from_numpy(R),
        torch.from_numpy(t),
        torch.from_numpy(go_w),
        torch.from_numpy(transl_w),
        torch.from_numpy(np.broadcast_to(j0, (n, 3)).copy()),
    )
    smpl = observe_smpl(
        body,
        go_c.numpy(),
        body_pose,
        betas,
        tr_c.numpy(),
        noise,
        rng,
        available=visibility == int(Visibility.VISIBLE),
    )
    fields: dict[str, Any] = {}
    if smpl.observed.any():
        fields = {
            "global_orient": smpl.global_orient,
            "body_pose": smpl.body_pose,
            "betas": smpl.betas,
            "transl": smpl.transl,
            "smpl_observed": smpl.observed,
        }
    track = Track(
        track_id=track_id,
        start=int(frames[0]),
        keypoints=keypoints,
        visibility=visibility,
        **fields,
    )
    record = {
        "track_id": track_id,
        "start": int(frames[0]),
        "end": int(frames[-1]) + 1,
        "occlusions": [[int(s), int(e)] for s, e in intervals],
        "depth_bias": smpl.depth_bias,
    }
    return track, record


def write_synthetic_scene(out_dir: str | os.PathLike, **make_scene_kwargs: Any) -> Path:
    """Generate a scene with :func:`make_scene` and write it, with its ground truth, as a folder.

    Args:
        out_dir: destination scene folder (see ``slahmr_opt.io.scene_folder.save_scene``).
        **make_scene_kwargs: arguments of :func:`make_scene`.

    Returns:
        The scene folder.
    """
    scene, gt = make_scene(**make_scene_kwargs)
    return save_scene(scene, out_dir, gt)
