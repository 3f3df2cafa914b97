"""Noise presets and the observation models that turn exact synthetic motion into tool outputs.

A synthetic scene is observed the way the upstream tools of a real video would observe it
(docs/benchmark.md, "Noise presets"):

- a 2D keypoint detector (OpenPose BODY_25 layout): Gaussian pixel noise, confidences, dropped
  joints, outliers, nothing outside the image, nothing during occlusions;
- a per-frame SMPL estimator ("HMR"): joint-rotation and root-orientation noise, a depth error along
  the viewing ray of the pelvis (per frame, plus a bias per track), shape noise, missing frames;
- a SLAM system: an unknown world scale α and a slowly growing rotation and translation drift.

Every function takes a :class:`numpy.random.Generator`; the same generator state gives the same
draws. Rotation noise is isotropic: an axis-angle vector with independent Gaussian components of
standard deviation ``σ/√3``, so that the root-mean-square rotation angle is ``σ``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from types import MappingProxyType

import numpy as np
import roma
import torch

from slahmr_opt.body.model import BodyModel
from slahmr_opt.reprs import short_repr

__all__ = [
    "NOISE_PRESETS",
    "NoisePreset",
    "SlamDrift",
    "SmplObservation",
    "KEYPOINT_MIN_DEPTH",
    "observe_keypoints",
    "observe_smpl",
    "noise_preset_table",
    "occlusion_intervals",
    "perturb_rotvecs",
    "resolve_noise_preset",
    "sample_alpha",
    "slam_drift",
    "smpl_gap_mask",
]

KEYPOINT_MIN_DEPTH = 0.1
"""Points closer to the camera plane than this (metres, camera z) count as not in view."""


@dataclass(frozen=True)
class NoisePreset:
    """How noisy the synthetic observations of a scene are.

    Attributes:
        name: preset name (``"easy"``, ``"medium"``, ``"hard"``, ``"none"`` or a custom name).

        keypoint_sigma_px: standard deviation of the isotropic Gaussian noise added to each
            detected 2D keypoint coordinate, pixels.
        keypoint_conf: ``(low, high)`` range of the uniform confidence of a good detection, in
            [0, 1].
        dropout_rate: probability that a keypoint is not detected (confidence 0, coordinates 0).
        outlier_rate: probability that a detected keypoint is an outlier, displaced in a uniform
            random direction.
        outlier_offset_px: ``(low, high)`` range of the uniform outlier displacement, pixels.
        outlier_conf: ``(low, high)`` range of the uniform confidence of an outlier.
        occlusions_per_100_frames: expected number of occlusion intervals per 100 track frames
            (Poisson); during an interval every keypoint has confidence 0, the visibility is
            OCCLUDED and there is no SMPL estimate.
        occlusion_frames: ``(low, high)`` inclusive range of the uniform occlusion length, frames.

        pose_sigma_rad: root-mean-square rotation angle of the noise applied (in the joint's
            local frame) to each of the 23 body joint rotations of the SMPL estimate, radians.
        root_sigma_rad: root-mean-square rotation angle of the noise applied (in the camera
            frame) to the root orientation of the SMPL estimate, radians.
        depth_sigma: standard deviation of the per-frame relative depth error: the estimated
            pelvis is moved along its viewing ray to ``exp(b + ε_t)`` times its true distance,
            ``ε_t ~ N(0, depth_sigma²)`` (dimensionless).
        depth_bias_sigma: standard deviation of the per-track log depth bias
            ``b ~ N(0, depth_bias_sigma²)`` (dimensionless; 0.1 ≈ 10 %).
        betas_sigma: standard deviation of the per-frame noise on each shape coefficient.
        betas_bias_sigma: standard deviation of a per-track offset added to each shape
            coefficient on every frame.
        smpl_missing_rate: fraction of a track's frames without an SMPL estimate, removed in
            short gaps (on top of occlusions and frames with the pelvis out of view).
        smpl_gap_frames: ``(low, high)`` inclusive range of the uniform gap length, frames.

        alpha_range: ``(low, high)`` range of the true world scale α (metres per SLAM unit),
            drawn log-uniformly.
        rot_drift_rad_per_s: rate at which the SLAM camera orientation drifts away from the
            truth, radians per second (the drift's angular velocity has this magnitude and a
            slowly wandering axis).
        trans_drift_fraction: SLAM camera-centre drift per metre the true camera travels
            (dimensionless; 0.015 = 1.5 % of the travelled distance), in a slowly wandering
            direction.
        drift_wander_rad_per_sqrt_s: how fast the direction of the rotation and translation
            drift wanders: the standard deviation of the random walk of the unit direction per
            √second, radians.
    """

    name: str
    keypoint_sigma_px: float
    keypoint_conf: tuple[float, float]
    dropout_rate: float
    outlier_rate: float
    outlier_offset_px: tuple[float, float]
    outlier_conf: tuple[float, float]
    occlusions_per_100_frames: float
    occlusion_frames: tuple[int, int]
    pose_sigma_rad: float
    root_sigma_rad: float
    depth_sigma: float
    depth_bias_sigma: float
    betas_sigma: float
    betas_bias_sigma: float
    smpl_missing_rate: float
    smpl_gap_frames: tuple[int, int]
    alpha_range: tuple[float, float]
    rot_drift_rad_per_s: float
    trans_drift_fraction: float
    drift_wander_rad_per_sqrt_s: float

    def __post_init__(self) -> None:
        owner = f"noise preset {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"noise preset: name must be a non-empty str, got {self.name!r}")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "name":
                continue
            if isinstance(value, tuple):
                if len(value) != 2 or not all(_is_number(v) for v in value):
                    raise ValueError(f"{owner}: {f.name} must be a (low, high) pair of numbers")
                low, high = value
                if not (0 <= low <= high):
                    raise ValueError(f"{owner}: {f.name} must satisfy 0 ≤ low ≤ high, got {value}")
            elif not _is_number(value) or value < 0:
                raise ValueError(f"{owner}: {f.name} must be a finite number ≥ 0, got {value!r}")
        for name in ("keypoint_conf", "outlier_conf"):
            if getattr(self, name)[1] > 1:
                raise ValueError(f"{owner}: {name} must lie in [0, 1], got {getattr(self, name)}")
        for name in ("dropout_rate", "outlier_rate", "smpl_missing_rate"):
            if getattr(self, name) >= 1:
                raise ValueError(f"{owner}: {name} must be < 1, got {getattr(self, name)}")
        for name in ("occlusion_frames", "smpl_gap_frames"):
            low, high = getattr(self, name)
            if int(low) != low or int(high) != high or low < 1:
                raise ValueError(
                    f"{owner}: {name} must be a pair of integers ≥ 1, got {getattr(self, name)}"
                )
        if self.alpha_range[0] <= 0:
            raise ValueError(f"{owner}: alpha_range must be positive, got {self.alpha_range}")

    @classmethod
    def noiseless(cls, alpha_range: tuple[float, float] = (0.2, 5.0)) -> NoisePreset:
        """Perfect observations: exact keypoints with confidence 1, exact SMPL, no SLAM drift.

        The world scale is still drawn from ``alpha_range`` (so α ≠ 1 in general); keypoints
        outside the image and frames with the pelvis out of view are still unobserved.
        """
        return cls(
            name="none",
            keypoint_sigma_px=0.0,
            keypoint_conf=(1.0, 1.0),
            dropout_rate=0.0,
            outlier_rate=0.0,
            outlier_offset_px=(0.0, 0.0),
            outlier_conf=(0.0, 0.0),
            occlusions_per_100_frames=0.0,
            occlusion_frames=(1, 1),
            pose_sigma_rad=0.0,
            root_sigma_rad=0.0,
            depth_sigma=0.0,
            depth_bias_sigma=0.0,
            betas_sigma=0.0,
            betas_bias_sigma=0.0,
            smpl_missing_rate=0.0,
            smpl_gap_frames=(1, 1),
            alpha_range=tuple(alpha_range),
            rot_drift_rad_per_s=0.0,
            trans_drift_fraction=0.0,
            drift_wander_rad_per_sqrt_s=0.0,
        )

    def to_dict(self) -> dict:
        """JSON-friendly dict of every field (pairs become lists)."""
        return {
            f.name: list(getattr(self, f.name))
            if isinstance(getattr(self, f.name), tuple)
            else getattr(self, f.name)
            for f in fields(self)
        }


def _is_number(value: object) -> bool:
    return (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, (bool, np.bool_))
        and math.isfinite(float(value))
    )


_DEG = math.pi / 180.0

_MEDIUM = NoisePreset(
    name="medium",
    keypoint_sigma_px=3.0,
    keypoint_conf=(0.6, 1.0),
    dropout_rate=0.05,
    outlier_rate=0.02,
    outlier_offset_px=(30.0, 150.0),
    outlier_conf=(0.4, 0.8),
    occlusions_per_100_frames=1.0,
    occlusion_frames=(5, 20),
    pose_sigma_rad=0.08,
    root_sigma_rad=3.0 * _DEG,
    depth_sigma=0.05,
    depth_bias_sigma=0.10,
    betas_sigma=0.5,
    betas_bias_sigma=0.3,
    smpl_missing_rate=0.05,
    smpl_gap_frames=(1, 5),
    alpha_range=(0.2, 5.0),
    rot_drift_rad_per_s=0.5 * _DEG,
    trans_drift_fraction=0.015,
    drift_wander_rad_per_sqrt_s=0.3,
)

NOISE_PRESETS: Mapping[str, NoisePreset] = MappingProxyType(
    {
        "easy": replace(
            _MEDIUM,
            name="easy",
            keypoint_sigma_px=1.0,
            keypoint_conf=(0.8, 1.0),
            dropout_rate=0.01,
            outlier_rate=0.003,
            outlier_offset_px=(30.0, 100.0),
            occlusions_per_100_frames=0.3,
            occlusion_frames=(5, 10),
            pose_sigma_rad=0.03,
            root_sigma_rad=1.0 * _DEG,
            depth_sigma=0.02,
            depth_bias_sigma=0.03,
            betas_sigma=0.2,
            betas_bias_sigma=0.1,
            smpl_missing_rate=0.01,
            smpl_gap_frames=(1, 3),
            rot_drift_rad_per_s=0.1 * _DEG,
            trans_drift_fraction=0.003,
        ),
        "medium": _MEDIUM,
        "hard": replace(
            _MEDIUM,
            name="hard",
            keypoint_sigma_px=6.0,
            keypoint_conf=(0.4, 1.0),
            dropout_rate=0.12,
            outlier_rate=0.05,
            outlier_offset_px=(30.0, 250.0),
            outlier_conf=(0.4, 0.9),
            occlusions_per_100_frames=2.0,
            occlusion_frames=(10, 40),
            pose_sigma_rad=0.15,
            root_sigma_rad=8.0 * _DEG,
            depth_sigma=0.10,
            depth_bias_sigma=0.20,
            betas_sigma=1.0,
            betas_bias_sigma=0.6,
            smpl_missing_rate=0.12,
            smpl_gap_frames=(2, 10),
            rot_drift_rad_per_s=1.5 * _DEG,
            trans_drift_fraction=0.04,
        ),
    }
)
"""The named noise presets ``easy``, ``medium`` and ``hard`` (read-only mapping). ``"none"`` is
:meth:`NoisePreset.noiseless`; see :func:`resolve_noise_preset`."""


def resolve_noise_preset(preset: str | NoisePreset) -> NoisePreset:
    """A preset by name (``"easy"``, ``"medium"``, ``"hard"``, ``"none"``) or as given."""
    if isinstance(preset, NoisePreset):
        return preset
    if preset == "none":
        return NoisePreset.noiseless()
    if isinstance(preset, str) and preset in NOISE_PRESETS:
        return NOISE_PRESETS[preset]
    raise ValueError(
        f"preset must be a NoisePreset or one of {['none', *NOISE_PRESETS]}, got {preset!r}"
    )


_TABLE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("keypoint_sigma_px", "keypoint noise σ", "px"),
    ("keypoint_conf", "confidence of good detections", "–"),
    ("dropout_rate", "dropouts (confidence 0)", "fraction"),
    ("outlier_rate", "outliers", "fraction"),
    ("outlier_offset_px", "outlier displacement", "px"),
    ("outlier_conf", "outlier confidence", "–"),
    ("occlusions_per_100_frames", "occlusion intervals", "per 100 frames"),
    ("occlusion_frames", "occlusion length", "frames"),
    ("pose_sigma_rad", "body pose noise (RMS angle per joint)", "rad"),
    ("root_sigma_rad", "root orientation noise (RMS angle)", "deg (field in rad)"),
    ("depth_sigma", "per-frame depth error σ (log)", "–"),
    ("depth_bias_sigma", "per-track depth bias σ (log)", "–"),
    ("betas_sigma", "per-frame betas noise σ", "–"),
    ("betas_bias_sigma", "per-track betas offset σ", "–"),
    ("smpl_missing_rate", "frames without SMPL estimate (gaps)", "fraction"),
    ("smpl_gap_frames", "SMPL gap length", "frames"),
    ("alpha_range", "true world scale α (log-uniform)", "m / SLAM unit"),
    ("rot_drift_rad_per_s", "SLAM rotation drift", "deg/s (field in rad/s)"),
    ("trans_drift_fraction", "SLAM translation drift", "% of distance (field: fraction)"),
    ("drift_wander_rad_per_sqrt_s", "drift direction random walk", "rad/√s"),
)


def _format_value(value: float, unit: str) -> str:
    if unit.startswith("deg"):
        value = math.degrees(value)
    elif unit.startswith("%"):
        value = 100.0 * value
    return f"{value:.3g}"


def noise_preset_table(presets: Mapping[str, NoisePreset] | None = None) -> str:
    """A Markdown table of the presets' numbers (one column per preset, one row per field).

    Args:
        presets: name → preset; default ``none`` (:meth:`NoisePreset.noiseless`) followed by
            :data:`NOISE_PRESETS`.

    Returns:
        The table, lines joined by newlines, ending with a newline.
    """
    if presets is None:
        presets = {"none": NoisePreset.noiseless(), **NOISE_PRESETS}
    names = list(presets)
    lines = [
        "| quantity | field | unit | " + " | ".join(names) + " |",
        "|---|---|---|" + "---|" * len(names),
    ]
    for name, label, unit in _TABLE_ROWS:
        cells = []
        for preset in presets.values():
            value = getattr(preset, name)
            if isinstance(value, tuple):
                cells.append("–".join(_format_value(v, unit) for v in value))
            else:
                cells.append(_format_value(value, unit))
        lines.append(f"| {label} | `{name}` | {unit} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# rotations
# --------------------------------------------------------------------------------------------


def perturb_rotvecs(
    rotvecs: np.ndarray, sigma_rad: float, rng: np.random.Generator, *, local: bool
) -> np.ndarray:
    """Compose axis-angle rotations with isotropic random rotations of RMS angle ``sigma_rad``.

    Args:
        rotvecs: (..., 3) axis-angle, radians.
        sigma_rad: root-mean-square angle of the noise rotation, radians.
        rng: random generator.
        local: True applies the noise in the rotated (child) frame, ``R · N``; False in the
            parent frame, ``N · R``.

    Returns:
        (..., 3) float64 axis-angle.
    """
    rotvecs = np.asarray(rotvecs, dtype=np.float64)
    noise = rng.normal(scale=sigma_rad / math.sqrt(3.0), size=rotvecs.shape)
    if sigma_rad == 0:
        return rotvecs.copy()
    r = torch.from_numpy(rotvecs)
    n = torch.from_numpy(noise)
    pair = [r, n] if local else [n, r]
    return roma.rotvec_composition(pair).numpy()


# --------------------------------------------------------------------------------------------
# 2D keypoints
# --------------------------------------------------------------------------------------------


def _intervals_to_mask(num_frames: int, intervals: list[tuple[int, int]]) -> np.ndarray:
    mask = np.zeros(num_frames, dtype=bool)
    for start, end in intervals:
        mask[start:end] = True
    return mask


def occlusion_intervals(
    num_frames: int, preset: NoisePreset, rng: np.random.Generator
) -> list[tuple[int, int]]:
    """Draw the occlusion intervals of one track.

    The count is Poisson with mean ``occlusions_per_100_frames · num_frames / 100``; each interval
    has a uniform length in ``occlusion_frames`` and a uniform start, clipped to the track.
    Intervals are made to leave at least half of the track unoccluded.

    Args:
        num_frames: T_i, frames of the track.
        preset: noise preset.
        rng: random generator.

    Returns:
        Sorted half-open ``(start, end)`` frame ranges of the track (may overlap).
    """
    count = int(rng.poisson(preset.occlusions_per_100_frames * num_frames / 100.0))
    low, high = (int(v) for v in preset.occlusion_frames)
    out: list[tuple[int, int]] = []
    for _ in range(count):
        length = int(rng.integers(low, high + 1))
        start = int(rng.integers(0, max(num_frames - length, 0) + 1))
        candidate = (start, min(start + length, num_frames))
        if _intervals_to_mask(num_frames, [*out, candidate]).sum() <= num_frames // 2:
            out.append(candidate)
    return sorted(out)


def observe_keypoints(
    points_cam: np.ndarray,
    intrinsics: np.ndarray,
    image_size: tuple[int, int],
    preset: NoisePreset,
    rng: np.random.Generator,
    occluded: np.ndarray | None = None,
) -> np.ndarray:
    """Simulate a 2D keypoint detector on exact camera-frame keypoints.

    In order: project; add Gaussian noise (``keypoint_sigma_px``) and draw confidences
    (``keypoint_conf``); displace outliers (``outlier_rate``, ``outlier_offset_px``,
    ``outlier_conf``); drop keypoints (``dropout_rate``); give confidence 0 to every keypoint
    whose true point is behind the camera (depth < :data:`KEYPOINT_MIN_DEPTH`) or whose observed
    position lies outside the image, and to every keypoint of an occluded frame. Keypoints with
    confidence 0 have coordinates (0, 0), as OpenPose writes them.

    Args:
        points_cam: (T, K, 3) exact keypoints in the camera frame, metres.
        intrinsics: (T, 4) ``fx, fy, cx, cy``, pixels.
        image_size: ``(width, height)``, pixels.
        preset: noise preset.
        rng: random generator.
        occluded: (T,) bool frames without any detection, or None.

    Returns:
        (T, K, 3) float64: x, y in pixels and confidence in [0, 1].
    """
    points_cam = np.asarray(points_cam, dtype=np.float64)
    intrinsics = np.asarray(intrinsics, dtype=np.float64)
    if points_cam.ndim != 3 or points_cam.shape[-1] != 3:
        raise ValueError(f"points_cam must have shape (T, K, 3), got {points_cam.shape}")
    if intrinsics.shape != (points_cam.shape[0], 4):
        raise ValueError(
            f"intrinsics must have shape (T, 4) with T = {points_cam.shape[0]}, got "
            f"{intrinsics.shape}"
        )
    shape = points_cam.shape[:2]
    width, height = image_size
    depth = points_cam[..., 2]
    in_front = depth >= KEYPOINT_MIN_DEPTH
    z = np.where(in_front, depth, 1.0)
    uv = points_cam[..., :2] / z[..., None] * intrinsics[:, None, :2] + intrinsics[:, None, 2:]

    uv = uv + rng.normal(scale=preset.keypoint_sigma_px, size=uv.shape)
    conf = rng.uniform(*preset.keypoint_conf, size=shape)
    outlier = rng.random(shape) < preset.outlier_rate
    radius = rng.uniform(*preset.outlier_offset_px, size=shape)
    angle = rng.uniform(0.0, 2.0 * math.pi, size=shape)
    offset = radius[..., None] * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    uv = np.where(outlier[..., None], uv + offset, uv)
    conf = np.where(outlier, rng.uniform(*preset.outlier_conf, size=shape), conf)
    dropped = rng.random(shape) < preset.dropout_rate

    inside = (uv[..., 0] >= 0) & (uv[..., 0] < width) & (uv[..., 1] >= 0) & (uv[..., 1] < height)
    keep = in_front & inside & ~dropped
    if occluded is not None:
        occluded = np.asarray(occluded, dtype=bool)
        if occluded.shape != shape[:1]:
            raise ValueError(f"occluded must have shape ({shape[0]},), got {occluded.shape}")
        keep &= ~occluded[:, None]
    out = np.zeros((*shape, 3))
    out[..., :2] = np.where(keep[..., None], uv, 0.0)
    out[..., 2] = np.where(keep, conf, 0.0)
    return out


# --------------------------------------------------------------------------------------------
# per-frame SMPL estimates
# --------------------------------------------------------------------------------------------


def smpl_gap_mask(num_frames: int, preset: NoisePreset, rng: np.random.Generator) -> np.ndarray:
    """Frames where the SMPL estimator gave nothing, in short gaps.

    Gaps of uniform length in ``smpl_gap_frames`` are placed at uniform positions until
    ``smpl_missing_rate · num_frames`` frames (rounded) are missing.

    Args:
        num_frames: T_i.
        preset: noise preset.
        rng: random generator.

    Returns:
        (T_i,) bool, True where an estimate exists.
    """
    target = int(round(preset.smpl_missing_rate * num_frames))
    missing = np.zeros(num_frames, dtype=bool)
    low, high = (int(v) for v in preset.smpl_gap_frames)
    while missing.sum() < target:
        length = min(int(rng.integers(low, high + 1)), int(target - missing.sum()))
        start = int(rng.integers(0, num_frames - length + 1))
        missing[start : start + length] = True
    return ~missing


@dataclass(frozen=True)
class SmplObservation:
    """Per-frame SMPL estimates of one track in the camera frame.

    Attributes:
        global_orient: (T_i, 3) root orientation, axis-angle; NaN where not observed.
        body_pose: (T_i, 23, 3) joint rotations, axis-angle; NaN where not observed.
        betas: (T_i, B) shape coefficients; NaN where not observed.
        transl: (T_i, 3) SMPL translation, metres; NaN where not observed.
        observed: (T_i,) bool.
        depth_bias: the track's log depth bias ``b`` (estimated pelvis distance ≈ ``e^b`` × true).
    """

    __repr__ = short_repr

    global_orient: np.ndarray
    body_pose: np.ndarray
    betas: np.ndarray
    transl: np.ndarray
    observed: np.ndarray
    depth_bias: float


def observe_smpl(
    body: BodyModel,
    global_orient: np.ndarray,
    body_pose: np.ndarray,
    betas: np.ndarray,
    transl: np.ndarray,
    preset: NoisePreset,
    rng: np.random.Generator,
    available: np.ndarray | None = None,
) -> SmplObservation:
    """Simulate a per-frame SMPL estimator from the exact camera-frame SMPL parameters.

    Noise model: joint rotations ``R_j · N_j`` (RMS angle ``pose_sigma_rad``); root orientation
    ``N · R_root`` (camera frame, ``root_sigma_rad``); shape ``β + o + e_t`` with the per-track
    offset ``o ~ N(0, betas_bias_sigma²)`` and per-frame ``e_t ~ N(0, betas_sigma²)``; the pelvis
    moved along its viewing ray to ``exp(b + ε_t)`` times its distance (``depth_bias_sigma``,
    ``depth_sigma``), ``transl`` recomputed for the estimated shape so that the estimated pelvis
    lands there. The pelvis still projects to the same pixel. Frames outside ``available`` and the
    gaps of :func:`smpl_gap_mask` are not observed.

    Args:
        body: body model (gives the pelvis of the shaped rest pose).
        global_orient: (T, 3) exact camera-frame root orientation, axis-angle.
        body_pose: (T, 23, 3) exact joint rotations.
        betas: (B,) or (T, B) exact shape.
        transl: (T, 3) exact camera-frame SMPL translation, metres.
        preset: noise preset.
        rng: random generator.
        available: (T,) bool frames where the person can be detected at all; default all.

    Returns:
        :class:`SmplObservation`.
    """
    go = np.asarray(global_orient, dtype=np.float64)
    bp = np.asarray(body_pose, dtype=np.float64)
    tr = np.asarray(transl, dtype=np.float64)
    n = go.shape[0]
    betas = np.broadcast_to(np.asarray(betas, dtype=np.float64), (n, np.shape(betas)[-1])).copy()
    num_betas = betas.shape[1]

    go_est = perturb_rotvecs(go, preset.root_sigma_rad, rng, local=False)
    bp_est = perturb_rotvecs(bp, preset.pose_sigma_rad, rng, local=True)
    offset = rng.normal(scale=preset.betas_bias_sigma, size=num_betas)
    betas_est = betas + offset + rng.normal(scale=preset.betas_sigma, size=(n, num_betas))
    bias = float(rng.normal(scale=preset.depth_bias_sigma))
    scale = np.exp(bias + rng.normal(scale=preset.depth_sigma, size=n))

    dtype = body.joint_template0.dtype
    with torch.no_grad():
        j0 = body.joint_template(torch.as_tensor(betas, dtype=dtype))[:, 0].double().numpy()
        j0_est = body.joint_template(torch.as_tensor(betas_est, dtype=dtype))[:, 0]
        j0_est = j0_est.double().numpy()
    pelvis = tr + j0
    tr_est = scale[:, None] * pelvis - j0_est

    observed = smpl_gap_mask(n, preset, rng)
    if available is not None:
        observed &= np.asarray(available, dtype=bool)
    nan = ~observed
    go_est[nan] = np.nan
    bp_est[nan] = np.nan
    betas_est[nan] = np.nan
    tr_est[nan] = np.nan
    return SmplObservation(go_est, bp_est, betas_est, tr_est, observed, bias)


# --------------------------------------------------------------------------------------------
# SLAM
# --------------------------------------------------------------------------------------------


def sample_alpha(preset: NoisePreset, rng: np.random.Generator) -> float:
    """The true world scale α (metres per SLAM unit), log-uniform in ``preset.alpha_range``."""
    low, high = preset.alpha_range
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def _wandering_directions(
    num_frames: int, step_sigma: float, rng: np.random.Generator
) -> np.ndarray:
    """(T, 3) unit vectors: a random start, then a Gaussian random walk on the sphere."""
    steps = rng.normal(scale=step_sigma, size=(num_frames, 3))
    start = rng.normal(size=3)
    out = np.empty((num_frames, 3))
    u = start / np.linalg.norm(start)
    for i in range(num_frames):
        u = u + steps[i] - np.dot(steps[i], u) * u
        u = u / np.linalg.norm(u)
        out[i] = u
    return out


@dataclass(frozen=True)
class SlamDrift:
    """Accumulated SLAM error of each frame, world frame.

    Attributes:
        rotation: (T, 3, 3) world-side rotation error ``D_t``: the SLAM camera→world rotation is
            ``D_t · R_c2w``; ``D_0 = I``.
        translation: (T, 3) error of the camera centre, metres; zero at frame 0.
    """

    rotation: np.ndarray
    translation: np.ndarray


def slam_drift(
    centers: np.ndarray, fps: float, preset: NoisePreset, rng: np.random.Generator
) -> SlamDrift:
    """Draw a SLAM drift for a true camera trajectory.

    The rotation error integrates an angular velocity of magnitude ``rot_drift_rad_per_s`` about
    a slowly wandering axis; the centre error grows by ``trans_drift_fraction`` of each frame's
    true camera displacement along a slowly wandering direction. Both are zero at frame 0.

    Args:
        centers: (T, 3) true camera centres, metres.
        fps: frame rate, Hz.
        preset: noise preset.
        rng: random generator.

    Returns:
        :class:`SlamDrift`.
    """
    centers = np.asarray(centers, dtype=np.float64)
    n = centers.shape[0]
    dt = 1.0 / fps
    step = preset.drift_wander_rad_per_sqrt_s * math.sqrt(dt)
    axes = _wandering_directions(n, step, rng)
    dirs = _wandering_directions(n, step, rng)
    increments = axes * preset.rot_drift_rad_per_s * dt
    increments[0] = 0.0
    rotation = np.empty((n, 3, 3))
    current = np.eye(3)
    inc_mats = roma.rotvec_to_rotmat(torch.from_numpy(increments)).numpy()
    for i in range(n):
        current = inc_mats[i] @ current
        rotation[i] = current
    travelled = np.zeros(n)
    travelled[1:] = np.linalg.norm(np.diff(centers, axis=0), axis=1)
    translation = np.cumsum(preset.trans_drift_fraction * travelled[:, None] * dirs, axis=0)
    return SlamDrift(rotation=rotation, translation=translation)
