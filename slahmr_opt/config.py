"""Solver configuration: plain dataclasses, named presets, overrides, JSON round trip.

A :class:`SolverConfig` holds everything the solver of passes 1–2 reads (docs/solver.md):
the observation model of the 2D term, the initialisation, the pose prior, the NaN policy and one
:class:`PassConfig` per pass (iterations, LBFGS settings, free variables, energy weights). Every
field has an effect; ``tests/solver/test_config_flags.py`` checks that for each one.

Presets (:func:`preset`):

- ``"slahmr"`` reproduces the original (reference/slahmr-original.md §3; docs/solver.md, "The
  slahmr preset term by term"): LBFGS lr 1, 20 inner iterations, strong Wolfe; root 30 steps,
  smooth 60 steps, the motion pass's growing horizon, all ended by the original's rules
  (``stop = "original"``, ``solver/schedule.py``); 2D weight 0.001 with σ = 100 px;
  smoothness 1 then 10; pose prior 0.04 on VPoser latents (``pose_prior.kind = "vposer"``,
  with the user's VPoser); shape prior 0.05·T; keypoints with confidence < 0.4 dropped; hips
  adjusted; neck ignored; α optimised itself (``init.alpha_space = "linear"``) and free in the
  smooth pass (moving cameras); β starting at 0 (``init.betas = "discard"``); the loader's
  camera shift; the original's numerical forms (``quirks``). Not reproduced: a NaN ending a
  stage silently, unseeded camera noise (seeded and off by default), ignored flags.
- ``"fast"`` (ours) keeps the 2D model and the priors and changes how α and the trajectories are
  reached: the root translation is the pelvis in the camera frame, α is profiled (set to its
  exact minimiser in every evaluation) in a short root pass with an added acceleration term and
  kept in the smooth pass, and the LBFGS schedule is short (docs/solver.md gives the
  measurements behind each choice).

Overrides: ``apply_overrides(config, {"smooth.iterations": "30"})`` or, from the CLI,
``apply_overrides(config, parse_overrides(["smooth.iterations=30"]))``. Values are parsed from the
field's type; tuples are comma-separated (``smooth.free=root_orient,trans``).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from slahmr_opt.reprs import short_repr

__all__ = [
    "FREE_VARIABLES",
    "PASS_NAMES",
    "PRESETS",
    "EnergyWeights",
    "InitConfig",
    "MotionPassConfig",
    "MotionWeights",
    "LBFGSConfig",
    "NaNPolicy",
    "PassConfig",
    "PosePriorConfig",
    "QuirkConfig",
    "ReprojectionConfig",
    "SolverConfig",
    "apply_overrides",
    "config_from_dict",
    "config_to_dict",
    "leaf_paths",
    "parse_overrides",
    "preset",
]

FREE_VARIABLES = ("root_orient", "trans", "body_pose", "betas", "alpha")
"""Names of the variables a pass may optimise (see ``solver/variables.py``)."""

PASS_NAMES = ("root", "smooth", "motion")
"""The passes this solver runs, in order."""

MOTION_FREE_VARIABLES = ("init_state", "latents", "betas", "alpha", "floor", "motion")
"""Names of the variables the motion pass may optimise (``solver/motion.py``): the initial
state and the per-transition latents (``method = "rollout"``), or the per-frame motion
(``method = "collocation"``), and the shared shape, scale and floor."""

MOTION_METHODS = ("rollout", "collocation")
FLOOR_INITS = ("feet", "original")

LINE_SEARCHES = ("strong_wolfe", "none")
TRANS_FRAMES = ("world", "camera")
ALPHA_INITS = ("one", "median")
ALPHA_UPDATES = ("gradient", "profile")
ALPHA_SPACES = ("log", "linear")
BETAS_INITS = ("estimate", "zero", "discard")
CAMERA_SHIFTS = ("none", "first")
POSE_PRIORS = ("estimate", "vposer")
STOP_RULES = ("converged", "original")
DTYPES = ("float32", "float64")


@dataclass
class LBFGSConfig:
    """``torch.optim.LBFGS`` settings of one pass.

    Attributes:
        lr: step length multiplier (1 with a line search).
        max_iter: inner LBFGS iterations per outer step (one ``optimizer.step``).
        max_eval: energy evaluations per outer step; 0 means PyTorch's default
            ``1.25 · max_iter``.
        history_size: curvature pairs kept.
        line_search: ``"strong_wolfe"`` or ``"none"`` (fixed step ``lr``).
        tolerance_grad: stop an outer step when the largest gradient entry is below this.
        tolerance_change: stop an outer step when the energy or step changes less than this.
    """

    __repr__ = short_repr

    lr: float = 1.0
    max_iter: int = 20
    max_eval: int = 0
    history_size: int = 100
    line_search: str = "strong_wolfe"
    tolerance_grad: float = 1e-7
    tolerance_change: float = 1e-9

    def validate(self, where: str) -> None:
        _positive(self.lr, f"{where}.lr")
        _positive_int(self.max_iter, f"{where}.max_iter")
        if not isinstance(self.max_eval, int) or self.max_eval < 0:
            raise ValueError(f"{where}.max_eval must be an integer ≥ 0, got {self.max_eval!r}")
        _positive_int(self.history_size, f"{where}.history_size")
        _choice(self.line_search, LINE_SEARCHES, f"{where}.line_search")
        _non_negative(self.tolerance_grad, f"{where}.tolerance_grad")
        _non_negative(self.tolerance_change, f"{where}.tolerance_change")


@dataclass
class EnergyWeights:
    """Weights of the energy terms of one pass (a weight of 0 switches the term off).

    Attributes:
        joints2d: robust 2D reprojection (docs/energies.md §1).
        joints3d_smooth: world-frame joint smoothness, first differences (§2).
        joints3d_accel: world-frame joint acceleration, second differences (§2b; not in the
            original).
        pose_prior: pose prior (§3).
        shape_prior: shape prior per frame: the term is ``shape_prior · T · Σ‖β‖²`` (§4).
    """

    __repr__ = short_repr

    joints2d: float = 0.001
    joints3d_smooth: float = 1.0
    joints3d_accel: float = 0.0
    pose_prior: float = 0.0
    shape_prior: float = 0.0

    def validate(self, where: str) -> None:
        for f in fields(self):
            _non_negative(getattr(self, f.name), f"{where}.{f.name}")


@dataclass
class PassConfig:
    """One optimisation pass.

    Attributes:
        iterations: outer LBFGS steps (a checkpoint is written after each).
        free: variables optimised in this pass, a subset of :data:`FREE_VARIABLES`; ``alpha``
            is dropped (and the result says so) when the cameras are static.
        weights: energy weights.
        optimizer: LBFGS settings.
        stop: when the pass ends before ``iterations``: ``"converged"`` (ours: an outer step
            that makes no progress) or ``"original"`` (the original's loop,
            slahmr/optim/optimizers.py:269-286: the loss of the last evaluation did not change
            in the step right after a "chunk" update; steps that make no progress go on).
    """

    __repr__ = short_repr

    iterations: int
    free: tuple[str, ...]
    weights: EnergyWeights = field(default_factory=EnergyWeights)
    optimizer: LBFGSConfig = field(default_factory=LBFGSConfig)
    stop: str = "converged"

    def validate(self, where: str) -> None:
        if not isinstance(self.iterations, int) or self.iterations < 0:
            raise ValueError(f"{where}.iterations must be an integer ≥ 0, got {self.iterations!r}")
        _choice(self.stop, STOP_RULES, f"{where}.stop")
        if not isinstance(self.free, tuple) or not self.free:
            raise ValueError(f"{where}.free must be a non-empty tuple of variable names")
        for name in self.free:
            _choice(name, FREE_VARIABLES, f"{where}.free entry")
        if len(set(self.free)) != len(self.free):
            raise ValueError(f"{where}.free lists a variable twice: {self.free}")
        self.weights.validate(f"{where}.weights")
        self.optimizer.validate(f"{where}.optimizer")


@dataclass
class MotionWeights:
    """Weights of the motion pass (docs/energies.md; the original's stage-3 values by default).

    Attributes:
        joints2d: robust 2D reprojection of the world-frame motion.
        pose_prior: pose prior on the motion's body poses.
        shape_prior: shape prior per frame (``shape_prior · T · Σ‖β‖²``).
        motion_prior: the CVAE term Σ −log N(z_t; μ_p, σ_p) per transition.
        init_motion_prior: the initial-state GMM term (scaled by max(1, T/H) under a horizon).
        joint_consistency: SMPL joints of the rolled-out parameters vs the prior's joints.
        bone_length: bone-length constancy of the prior's joints.
        contact_vel: skate, contact-weighted foot (joint) displacement.
        contact_height: contacting joints within 8 cm of the floor.
        floor_reg: pull of the floor vector towards its start, ×T (0 in the original).
        motion_recon: collocation only: the decoder's prediction of each next state (at the
            posterior latent) against the motion's own next state, in the prior's normalised
            output units (the reconstruction half of the CVAE's evidence bound; not in the
            original, whose roll-out satisfies it exactly).
        joints3d_accel: collocation only: world joint acceleration (as in pass 2).
    """

    __repr__ = short_repr

    joints2d: float = 0.001
    pose_prior: float = 0.04
    shape_prior: float = 0.05
    motion_prior: float = 0.075
    init_motion_prior: float = 0.075
    joint_consistency: float = 100.0
    bone_length: float = 2000.0
    contact_vel: float = 100.0
    contact_height: float = 10.0
    floor_reg: float = 0.0
    motion_recon: float = 0.0
    joints3d_accel: float = 0.0

    def validate(self, where: str) -> None:
        for f in fields(self):
            _non_negative(getattr(self, f.name), f"{where}.{f.name}")


@dataclass
class MotionPassConfig:
    """Pass 3: the motion prior, skate, contact and ground-plane pass.

    Attributes:
        iterations: cap on outer LBFGS steps; with ``horizon = "chunks"`` the original's cap is
            ``20 + 20·(⌈T/10⌉ + 1)`` and the smaller of the two applies.
        method: ``"rollout"`` (the original: initial state + one latent per transition, the
            trajectory is the prior's roll-out) or ``"collocation"`` (ours: the per-frame motion
            stays the variable and every transition is scored by the prior in parallel).
        horizon: ``"chunks"`` (the original's growing roll-out horizon, chunks of
            ``chunk_size``) or ``"full"`` (the whole track from the first step).
        chunk_size, init_steps, chunk_steps: the chunk schedule (10, 20, 20 in the original).
        max_chunk_steps: steps after which a chunk is added whatever the loss did, and steps run
            after the last chunk (the original's ``max_chunk_steps``, 20; optim.yaml:10).
        stop: ``"original"`` (the original's loop, slahmr/optim/optimizers.py:246-286, with its
            chunk rules and end; steps that make no progress go on) or ``"converged"`` (ours:
            a step without progress adds the next chunk, or ends the pass at the full horizon).
        free: variables optimised (:data:`MOTION_FREE_VARIABLES`).
        floor_init: ``"feet"`` (a plane fitted to the pass-2 feet) or ``"original"`` (0.5 m
            below the first camera, the original's fixed guess).
        weights: energy weights.
        optimizer: LBFGS settings.
    """

    __repr__ = short_repr

    iterations: int = 10000
    method: str = "rollout"
    horizon: str = "chunks"
    chunk_size: int = 10
    init_steps: int = 20
    chunk_steps: int = 20
    max_chunk_steps: int = 20
    stop: str = "converged"
    free: tuple[str, ...] = ("init_state", "latents", "betas", "alpha", "floor")
    floor_init: str = "original"
    weights: MotionWeights = field(default_factory=MotionWeights)
    optimizer: LBFGSConfig = field(default_factory=LBFGSConfig)

    def validate(self, where: str) -> None:
        if not isinstance(self.iterations, int) or self.iterations < 0:
            raise ValueError(f"{where}.iterations must be an integer ≥ 0, got {self.iterations!r}")
        _positive_int(self.max_chunk_steps, f"{where}.max_chunk_steps")
        _choice(self.stop, STOP_RULES, f"{where}.stop")
        _choice(self.method, MOTION_METHODS, f"{where}.method")
        _choice(self.horizon, ("chunks", "full"), f"{where}.horizon")
        _positive_int(self.chunk_size, f"{where}.chunk_size")
        if not isinstance(self.init_steps, int) or self.init_steps < 0:
            raise ValueError(f"{where}.init_steps must be an integer ≥ 0, got {self.init_steps!r}")
        _positive_int(self.chunk_steps, f"{where}.chunk_steps")
        _choice(self.floor_init, FLOOR_INITS, f"{where}.floor_init")
        if not isinstance(self.free, tuple) or not self.free:
            raise ValueError(f"{where}.free must be a non-empty tuple of variable names")
        for name in self.free:
            _choice(name, MOTION_FREE_VARIABLES, f"{where}.free entry")
        per_method = {"rollout": ("init_state", "latents"), "collocation": ("motion",)}
        wrong = [
            v
            for m, names in per_method.items()
            if m != self.method
            for v in names
            if v in self.free
        ]
        if wrong:
            raise ValueError(
                f"{where}.free: {wrong} are not variables of method {self.method!r} "
                f"(rollout: init_state, latents; collocation: motion)"
            )
        self.weights.validate(f"{where}.weights")
        self.optimizer.validate(f"{where}.optimizer")


@dataclass
class ReprojectionConfig:
    """Observation model of the 2D term.

    Attributes:
        sigma: Geman–McClure scale σ in pixels.
        conf_threshold: keypoints with confidence below this are dropped (weight 0).
        hip_adjust: move the model's hips towards where COCO-style detectors put them (the
            original's adjustment, ``body.joint_maps.adjust_hips``).
        ignore_joints: BODY_25 indices given weight 0 (the original ignores the neck, 1).
    """

    __repr__ = short_repr

    sigma: float = 100.0
    conf_threshold: float = 0.4
    hip_adjust: bool = True
    ignore_joints: tuple[int, ...] = (1,)

    def validate(self, where: str) -> None:
        _positive(self.sigma, f"{where}.sigma")
        if not 0.0 <= self.conf_threshold <= 1.0:
            raise ValueError(
                f"{where}.conf_threshold must lie in [0, 1], got {self.conf_threshold!r}"
            )
        if not isinstance(self.hip_adjust, bool):
            raise ValueError(f"{where}.hip_adjust must be a bool, got {self.hip_adjust!r}")
        for j in self.ignore_joints:
            if not isinstance(j, int) or not 0 <= j < 25:
                raise ValueError(f"{where}.ignore_joints must hold BODY_25 indices, got {j!r}")


@dataclass
class PosePriorConfig:
    """The pose prior (docs/energies.md §3).

    ``kind = "vposer"`` (preset ``slahmr``, the original) parameterises the body poses of passes
    2–3 by the latent of the user's VPoser (``solve(..., vposer=PATH)``, ``--vposer``): the prior
    is ``Σ‖z‖²`` in pass 2 and ``Σ‖μ_enc(pose)‖²`` of the rolled-out poses in pass 3. Without a
    VPoser it falls back to the open prior below and says so in the log and the result.
    ``kind = "estimate"`` (preset ``fast``) optimises axis-angle poses with the open prior: a
    robust pull of every joint rotation towards the per-frame estimate's, plus a penalty on
    anatomically impossible knee and elbow angles. Another prior is passed to
    ``solve(..., pose_prior=...)`` directly.

    Attributes:
        kind: ``"vposer"`` or ``"estimate"``.
        pull_scale: rotation error (rad) at which the pull costs 1 (per joint and frame).
        pull_robust: Geman–McClure constant of the pull, in units of ``pull_scale``: the cost of
            one joint saturates at ``pull_robust²``.
        limit_weight: weight of the joint-limit penalty, per rad² of violation.
    """

    __repr__ = short_repr

    kind: str = "estimate"
    pull_scale: float = 0.1
    pull_robust: float = 3.0
    limit_weight: float = 1000.0

    def validate(self, where: str) -> None:
        _choice(self.kind, POSE_PRIORS, f"{where}.kind")
        _positive(self.pull_scale, f"{where}.pull_scale")
        _positive(self.pull_robust, f"{where}.pull_robust")
        _non_negative(self.limit_weight, f"{where}.limit_weight")


@dataclass
class InitConfig:
    """Initialisation and parameterisation of the variables.

    Attributes:
        alpha: initial world scale: ``"one"`` (the original), ``"median"``
            (``world_init.alpha_from_median_displacement``) or a positive number.
        betas: ``"estimate"`` (per-track median of the per-frame estimates), ``"zero"`` (β = 0,
            the pelvis kept where the estimate put it) or ``"discard"`` (the original,
            base_scene.py:92, 118-128: β = 0 and the estimate read as a β = 0 body, so the
            world pelvis is ``R_c2w (t_c + J(0)[0]) + t_c2w``).
        trans_frame: ``"world"`` optimises the SMPL translation in the world frame (the
            original); ``"camera"`` optimises the pelvis position in each frame's camera frame,
            so that the world trajectory is ``R_tᵀ (p_t − α t_t)`` and α moves it as a whole.
        alpha_update: how a free α is optimised: ``"gradient"`` (a variable of LBFGS, the
            original) or ``"profile"`` (eliminated: in every energy evaluation α is set to its
            exact minimiser given the other variables, which exists in closed form because with
            ``trans_frame = "camera"`` only the smoothness terms depend on α, quadratically).
            ``"profile"`` requires ``trans_frame = "camera"``.
        alpha_space: the variable LBFGS sees for α: ``"log"`` (log α, α stays positive) or
            ``"linear"`` (α itself, the original's ``world_scale``; it can cross 0).
        camera_shift: ``"first"`` adds the first problem frame's SLAM translation to every
            camera translation, as the original's loader does (data/dataset.py:325-327; not a
            rigid change of frame unless the cameras do not rotate); ``"none"`` keeps the
            cameras as given.
        camera_noise: standard deviation (SLAM units) of a Gaussian 3-vector subtracted from
            that shift (the original draws N(0, 0.1²), unseeded, on every load); 0 = off.
        camera_noise_seed: seed of that draw (runs are reproducible).
    """

    __repr__ = short_repr

    alpha: str | float = "one"
    betas: str = "estimate"
    trans_frame: str = "world"
    alpha_update: str = "gradient"
    alpha_space: str = "log"
    camera_shift: str = "none"
    camera_noise: float = 0.0
    camera_noise_seed: int = 0

    def validate(self, where: str) -> None:
        if isinstance(self.alpha, str):
            _choice(self.alpha, ALPHA_INITS, f"{where}.alpha")
        else:
            _positive(self.alpha, f"{where}.alpha")
        _choice(self.betas, BETAS_INITS, f"{where}.betas")
        _choice(self.trans_frame, TRANS_FRAMES, f"{where}.trans_frame")
        _choice(self.alpha_update, ALPHA_UPDATES, f"{where}.alpha_update")
        _choice(self.alpha_space, ALPHA_SPACES, f"{where}.alpha_space")
        _choice(self.camera_shift, CAMERA_SHIFTS, f"{where}.camera_shift")
        _non_negative(self.camera_noise, f"{where}.camera_noise")
        if not isinstance(self.camera_noise_seed, int) or isinstance(self.camera_noise_seed, bool):
            raise ValueError(f"{where}.camera_noise_seed must be an integer")
        if self.alpha_update == "profile" and self.trans_frame != "camera":
            raise ValueError(
                f"{where}.alpha_update = 'profile' needs {where}.trans_frame = 'camera' "
                f"(got {self.trans_frame!r})"
            )


@dataclass
class QuirkConfig:
    """The original's numerical forms that change energy values by more than 1e-4
    (docs/solver.md, "The slahmr preset term by term"). The ``slahmr`` preset turns them all on;
    ``fast`` keeps the exact forms.

    Attributes:
        cvae_mask_past_end: the CVAE term counts ``min(H, n_b)`` latents of a track with
            ``n_b`` frames in the horizon H, one past its last transition when the track ends
            inside the horizon (losses.py:236-241).
        collar_parents_neck: the bone-length term takes the collars' parent to be the neck
            (SMPL_PARENTS of body_model/specs.py:27-50 gives 13, 14 → 12; the kinematic tree says
            9).
        plane_ray_epsilon: the prior frame's right axis and pelvis height are ray–floor
            intersections with ``n·d + 1e-4`` in the denominator (geometry/plane.py:89,
            optim/helpers.py:29-55), not exact projections.
        heading_epsilon: a state's heading is ``acos(x / (|xy| + 1e-6))`` about the axis
            ``(r_xy × x̂)/(|r_xy × x̂| + 1e-6)`` (humor/transforms.py:24-47), not the exact
            angle of the body's right.
    """

    cvae_mask_past_end: bool = False
    collar_parents_neck: bool = False
    plane_ray_epsilon: bool = False
    heading_epsilon: bool = False

    def validate(self, where: str) -> None:
        for f in fields(self):
            if not isinstance(getattr(self, f.name), bool):
                raise ValueError(f"{where}.{f.name} must be a bool, got {getattr(self, f.name)!r}")


@dataclass
class NaNPolicy:
    """What a non-finite energy or gradient does (docs/solver.md, "NaN policy").

    The last good parameters are restored, LBFGS restarts with its step multiplied by
    ``lr_factor``, and the event goes to the log and the result; after ``max_failures`` failures
    in one pass the pass stops at the last good state.

    Attributes:
        max_failures: failures tolerated per pass.
        lr_factor: factor applied to the LBFGS ``lr`` after each failure, in (0, 1).
    """

    __repr__ = short_repr

    max_failures: int = 3
    lr_factor: float = 0.5

    def validate(self, where: str) -> None:
        if not isinstance(self.max_failures, int) or self.max_failures < 0:
            raise ValueError(f"{where}.max_failures must be an integer ≥ 0")
        if not 0.0 < self.lr_factor < 1.0:
            raise ValueError(f"{where}.lr_factor must lie in (0, 1), got {self.lr_factor!r}")


def _root_pass() -> PassConfig:
    return PassConfig(
        iterations=30,
        free=("root_orient", "trans"),
        weights=EnergyWeights(joints2d=0.001, joints3d_smooth=1.0),
    )


def _smooth_pass() -> PassConfig:
    return PassConfig(
        iterations=60,
        free=("root_orient", "trans", "body_pose", "betas", "alpha"),
        weights=EnergyWeights(
            joints2d=0.001, joints3d_smooth=10.0, pose_prior=0.04, shape_prior=0.05
        ),
    )


@dataclass
class SolverConfig:
    """Everything the solver of passes 1 (root) and 2 (smooth) reads.

    Attributes:
        preset: name of the preset this config started from (informational, saved with results).
        dtype: ``"float32"`` or ``"float64"`` for the variables and the body model.
        reprojection: 2D observation model.
        pose_prior: pose prior settings.
        init: initialisation and parameterisation.
        quirks: the original's numerical forms (all off = exact forms).
        nan: non-finite energy policy.
        root: pass 1 (root orientation and translation).
        smooth: pass 2 (+ body pose, shape, world scale).
        motion: pass 3 (motion prior, skate, contacts, ground plane).
    """

    __repr__ = short_repr

    preset: str = "slahmr"
    dtype: str = "float32"
    reprojection: ReprojectionConfig = field(default_factory=ReprojectionConfig)
    pose_prior: PosePriorConfig = field(default_factory=PosePriorConfig)
    init: InitConfig = field(default_factory=InitConfig)
    quirks: QuirkConfig = field(default_factory=QuirkConfig)
    nan: NaNPolicy = field(default_factory=NaNPolicy)
    root: PassConfig = field(default_factory=_root_pass)
    smooth: PassConfig = field(default_factory=_smooth_pass)
    motion: MotionPassConfig = field(default_factory=MotionPassConfig)

    def validate(self) -> SolverConfig:
        """Raise a ValueError naming the first bad field; return self."""
        if not isinstance(self.preset, str):
            raise ValueError(f"preset must be a str, got {self.preset!r}")
        _choice(self.dtype, DTYPES, "dtype")
        self.reprojection.validate("reprojection")
        self.pose_prior.validate("pose_prior")
        self.init.validate("init")
        self.quirks.validate("quirks")
        self.nan.validate("nan")
        for name in PASS_NAMES:
            self.pass_config(name).validate(name)
        return self

    def pass_config(self, name: str) -> PassConfig | MotionPassConfig:
        """The config of pass ``name`` (``"root"``, ``"smooth"`` or ``"motion"``)."""
        _choice(name, PASS_NAMES, "pass name")
        return getattr(self, name)

    def to_dict(self) -> dict:
        """JSON-ready nested dict (tuples become lists)."""
        return config_to_dict(self)

    def to_json(self) -> str:
        """The resolved config as JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


def _slahmr() -> SolverConfig:
    """The original (docs/solver.md, "The slahmr preset term by term")."""
    cfg = SolverConfig(preset="slahmr")
    cfg.pose_prior = PosePriorConfig(kind="vposer")
    cfg.init = InitConfig(alpha="one", betas="discard", alpha_space="linear", camera_shift="first")
    cfg.quirks = QuirkConfig(
        cvae_mask_past_end=True,
        collar_parents_neck=True,
        plane_ray_epsilon=True,
        heading_epsilon=True,
    )
    cfg.root.stop = "original"
    cfg.smooth.stop = "original"
    cfg.motion.stop = "original"
    return cfg


def _fast() -> SolverConfig:
    cfg = SolverConfig(preset="fast")
    cfg.init = InitConfig(
        alpha="one", betas="estimate", trans_frame="camera", alpha_update="profile"
    )
    cfg.root = PassConfig(
        iterations=3,
        free=("root_orient", "trans", "alpha"),
        weights=EnergyWeights(joints2d=0.001, joints3d_smooth=1.0, joints3d_accel=1e4),
        optimizer=LBFGSConfig(max_iter=20, history_size=20),
    )
    cfg.smooth = PassConfig(
        iterations=8,
        free=("root_orient", "trans", "body_pose", "betas"),
        weights=EnergyWeights(
            joints2d=0.001,
            joints3d_smooth=10.0,
            joints3d_accel=300.0,
            pose_prior=0.04,
            shape_prior=0.05,
        ),
        optimizer=LBFGSConfig(max_iter=20, history_size=20),
    )
    cfg.motion = MotionPassConfig(
        iterations=10,
        method="collocation",
        horizon="full",
        free=("motion", "betas", "floor"),
        floor_init="feet",
        weights=MotionWeights(
            joints2d=0.001,
            pose_prior=0.04,
            shape_prior=0.05,
            motion_prior=0.075,
            init_motion_prior=1e-4,
            joint_consistency=0.0,
            bone_length=0.0,
            contact_vel=3000.0,
            contact_height=10.0,
            motion_recon=1e-4,
            joints3d_accel=1000.0,
        ),
        optimizer=LBFGSConfig(max_iter=20, history_size=20),
    )
    return cfg


PRESETS = {"slahmr": _slahmr, "fast": _fast}
"""Preset name → factory of a fresh :class:`SolverConfig`."""


def preset(name: str) -> SolverConfig:
    """A fresh, validated config of the named preset (``"slahmr"`` or ``"fast"``)."""
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {name!r}")
    return PRESETS[name]().validate()


# --------------------------------------------------------------------------------------------
# dict round trip and overrides
# --------------------------------------------------------------------------------------------


def config_to_dict(config: Any) -> Any:
    """A dataclass config as nested plain dicts and lists (JSON-serialisable)."""
    if is_dataclass(config):
        return {f.name: config_to_dict(getattr(config, f.name)) for f in fields(config)}
    if isinstance(config, (tuple, list)):
        return [config_to_dict(v) for v in config]
    return config


def config_from_dict(data: Mapping[str, Any], cls: type = SolverConfig) -> Any:
    """Inverse of :func:`config_to_dict`; unknown keys raise a ValueError, missing ones default.

    A :class:`SolverConfig` is validated.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{cls.__name__}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown fields {unknown}; known: {sorted(names)}")
    kwargs = {}
    for name, value in data.items():
        tp = hints[name]
        if isinstance(tp, type) and is_dataclass(tp):
            kwargs[name] = config_from_dict(value, tp)
        else:
            kwargs[name] = _coerce(value, tp, name)
    if cls is PassConfig:
        kwargs.setdefault("iterations", 0)
        kwargs.setdefault("free", ("root_orient", "trans"))
    out = cls(**kwargs)
    return out.validate() if cls is SolverConfig else out


def leaf_paths(config: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every leaf field (``"smooth.optimizer.lr"``, ...)."""
    out = []
    for f in fields(config):
        value = getattr(config, f.name)
        path = f"{prefix}{f.name}"
        if is_dataclass(value):
            out.extend(leaf_paths(value, path + "."))
        else:
            out.append(path)
    return out


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """Parse CLI ``--set`` items ``"a.b.c=value"`` into ``{"a.b.c": "value"}``.

    Raises:
        ValueError: an item without ``=`` or with an empty key.
    """
    out: dict[str, str] = {}
    for item in items:
        if not isinstance(item, str) or "=" not in item:
            raise ValueError(f"override {item!r} must look like 'section.field=value'")
        key, value = item.split("=", 1)
        key = key.strip()
        if not key:
            raise ValueError(f"override {item!r} has an empty field name")
        out[key] = value.strip()
    return out


def apply_overrides(config: SolverConfig, overrides: Mapping[str, Any]) -> SolverConfig:
    """A copy of ``config`` with dotted-path overrides applied and validated.

    Args:
        config: the base config (not modified).
        overrides: dotted path → value; strings are parsed according to the field's type
            (``"30"`` → 30, ``"true"`` → True, ``"a,b"`` → ``("a", "b")``), other values are
            checked against it.

    Raises:
        ValueError: an unknown path (the message lists the valid ones nearby) or a bad value.
    """
    out = config_from_dict(config_to_dict(config))
    for path, value in overrides.items():
        parts = path.split(".")
        node = out
        for i, part in enumerate(parts):
            names = [f.name for f in fields(node)]
            if part not in names:
                where = ".".join(parts[:i]) or "config"
                raise ValueError(f"unknown config field {path!r}: {where} has fields {names}")
            if i == len(parts) - 1:
                tp = typing.get_type_hints(type(node))[part]
                if isinstance(tp, type) and is_dataclass(tp):
                    raise ValueError(f"{path!r} is a section, set one of its fields instead")
                setattr(node, part, _coerce(value, tp, path))
            else:
                node = getattr(node, part)
                if not is_dataclass(node):
                    raise ValueError(f"unknown config field {path!r}: {part!r} is not a section")
    return out.validate()


# --------------------------------------------------------------------------------------------
# value parsing
# --------------------------------------------------------------------------------------------


def _coerce(value: Any, tp: Any, name: str) -> Any:
    """Convert ``value`` (a string from the CLI or a Python value) to the annotated type."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        errors = []
        # Try numbers before strings so that "2.5" becomes 2.5 for ``str | float``.
        for option in sorted(typing.get_args(tp), key=lambda t: t is str):
            try:
                return _coerce(value, option, name)
            except ValueError as err:
                errors.append(str(err))
        raise ValueError(f"{name}: cannot read {value!r} ({'; '.join(errors)})")
    if origin is tuple:
        (item_type, *_rest) = typing.get_args(tp)
        if isinstance(value, str):
            items: Sequence[Any] = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, (list, tuple)):
            items = value
        else:
            raise ValueError(f"{name}: expected a comma-separated list, got {value!r}")
        return tuple(_coerce(v, item_type, name) for v in items)
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("false", "0", "no", "off"):
            return False
        raise ValueError(f"{name}: expected true or false, got {value!r}")
    if tp is int:
        if isinstance(value, bool):
            raise ValueError(f"{name}: expected an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, bool):
            raise ValueError(f"{name}: expected a number, got {value!r}")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise ValueError(f"{name}: expected a number, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise ValueError(f"{name}: expected a string, got {value!r}")
    raise ValueError(f"{name}: unsupported field type {tp!r}")


def _positive(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if value != value or value == float("inf"):
        raise ValueError(f"{name} must be finite, got {value!r}")


def _non_negative(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{name} must be a number ≥ 0, got {value!r}")
    if value == float("inf"):
        raise ValueError(f"{name} must be finite, got {value!r}")


def _positive_int(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer ≥ 1, got {value!r}")


def _choice(value: Any, options: Sequence[str], name: str) -> None:
    if value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
