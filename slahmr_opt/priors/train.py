"""Training the HuMoR CVAE on procedural motion, and its held-out evaluation.

The recipe is the original's (reference: humor-prior.md §4) scaled to a CPU, with every epoch
count written as a fraction of the run:

- samples: windows of ``window`` transitions (20 here, 10 in the original: longer autoregressive
  windows keep long sampled roll-outs at a human height) from random clips at random starts;
- losses: MSE on every state field in the canonical frame of the input state (rotations as matrix
  entries), KL(q‖p) summed over latent dimensions with weight 4e-4 annealed linearly from 0 over
  the first quarter of the run, contact BCE (0.01), contact velocity (0.01), and two SMPL joint
  terms computed by forward kinematics of the predicted rotations on the training body (joints of
  the predicted parameters against the true joints, and against the predicted joints);
- scheduled sampling: teacher forcing, then a linear decay of the probability of feeding the true
  state from 1 to 0.1, then fully autoregressive (the model's own detached predictions,
  re-canonicalised at each step), supervised against the true next state;
- Adamax with a multi-step decay (γ = 0.5 at 25 %, 40 % and 70 % of the run); batches with a
  non-finite loss are skipped; the weights kept are those of the best validation loss in the
  autoregressive phase.

Then the initial-state GMM is fitted by EM on canonical training frames. Training checkpoints
atomically after every epoch and resumes from there.

This module is the library part: the training loop and the held-out checks take their clips from
a data source. The procedural clips (``slahmr_opt.synth.motion``) and the ``train-prior`` /
``eval-prior`` jobs are applications: :mod:`slahmr_opt.apps.train_prior`.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from smplx.lbs import batch_rigid_transform
from torch import Tensor
from tqdm.auto import tqdm

from slahmr_opt.files import write_bytes_atomic, write_json_atomic
from slahmr_opt.priors.gmm import GaussianMixture, fit_gmm
from slahmr_opt.priors.humor import (
    GMM_FILE,
    WEIGHTS_FILE,
    HumorConfig,
    HumorPrior,
    MotionPrior,
    Normalization,
    load_prior,
    save_weights,
)
from slahmr_opt.priors.rollout import (
    apply_residual,
    residual_between,
    sample_motion,
    time_rollout,
    transition_energy,
)
from slahmr_opt.priors.state import (
    CONTACT_JOINTS,
    FPS,
    NUM_JOINTS,
    OUTPUT_SLICES,
    PriorState,
    canonical_frame,
    finite_difference,
    gmm_features,
    label_contacts,
    state_from_smpl,
    to_local,
    to_world,
)
from slahmr_opt.reprs import short_repr
from slahmr_opt.safe_load import load_torch

__all__ = [
    "DataSource",
    "MotionData",
    "TrainConfig",
    "evaluate_prior_on",
    "fit_normalization",
    "format_prior_report",
    "motion_data_from_clips",
    "override_train_config",
    "train_prior_on",
    "unfinished_config",
]

CONFIG_FILE = "config.json"
LOG_FILE = "train_log.jsonl"
STATE_FILE = "train_state.pt"


@dataclass
class TrainConfig:
    """Everything a training run depends on (saved as ``config.json``).

    Attributes:
        model: network widths (:meth:`HumorConfig.small` by default).
        seed: seeds the data, the batches, the noise and the initialisation.
        num_train_clips, num_val_clips: procedural clips (seeds ``seed·10⁶ + i`` and
            ``seed·10⁶ + 500000 + i``).
        clip_frames: frames per clip (30 fps).
        kinds: motion kinds drawn (``slahmr_opt.synth.motion.MOTION_KINDS``; the data source
            checks them).
        contacts: ``"reference"`` labels contacts with the original's rule
            (:func:`~slahmr_opt.priors.state.label_contacts`); ``"generator"`` uses the planted-foot
            labels of the procedural generator.
        window: transitions per sample.
        batch_size: windows per batch.
        epochs, batches_per_epoch: length of the run.
        lr: Adamax learning rate.
        lr_milestones: fractions of the run where the rate is multiplied by ``lr_gamma``.
        kl_weight, kl_anneal: final KL weight and the fraction of the run it ramps over.
        teacher_forcing, sampling_end, sampling_floor: scheduled sampling (fractions of the run):
            p(true input) = 1 before ``teacher_forcing``, linear to ``sampling_floor`` at
            ``sampling_end``, 0 after.
        input_noise_pos, input_noise_vel: Gaussian noise added to the previous state of every
            training transition (positions in m; linear and angular velocities in m/s, rad/s),
            while the target stays the clean next state, so the model learns to pull perturbed
            states back (the original's ``data_noise_std``, 0 there; rotations are not noised).
        contact_weight, contact_vel_weight, smpl_joint_weight, consistency_weight: loss weights.
        val_windows: fixed validation windows.
        gmm_components, gmm_reg_covar, gmm_max_frames, gmm_max_iter: initial-state GMM fit.
        threads: torch CPU threads.
    """

    __repr__ = short_repr

    model: HumorConfig = field(default_factory=HumorConfig.small)
    seed: int = 0
    num_train_clips: int = 1000
    num_val_clips: int = 60
    clip_frames: int = 150
    kinds: tuple[str, ...] = ("walk", "jog", "turn", "side_step", "idle", "stop_start")
    contacts: str = "reference"
    window: int = 20
    batch_size: int = 64
    epochs: int = 90
    batches_per_epoch: int = 60
    lr: float = 3e-3
    lr_milestones: tuple[float, ...] = (0.25, 0.4, 0.7)
    lr_gamma: float = 0.5
    kl_weight: float = 4e-4
    kl_anneal: float = 0.25
    teacher_forcing: float = 0.05
    sampling_end: float = 0.10
    sampling_floor: float = 0.1
    input_noise_pos: float = 0.02
    input_noise_vel: float = 0.3
    contact_weight: float = 0.01
    contact_vel_weight: float = 0.01
    smpl_joint_weight: float = 1.0
    consistency_weight: float = 1.0
    val_windows: int = 256
    gmm_components: int = 12
    gmm_reg_covar: float = 1e-6
    gmm_max_frames: int = 20000
    gmm_max_iter: int = 200
    threads: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.model, Mapping):
            self.model = HumorConfig.from_dict(self.model)
        self.kinds = tuple(self.kinds)
        self.lr_milestones = tuple(float(m) for m in self.lr_milestones)
        positive = (
            "num_train_clips",
            "num_val_clips",
            "window",
            "batch_size",
            "epochs",
            "batches_per_epoch",
            "val_windows",
            "gmm_components",
            "threads",
        )
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}: expected a positive count, got {getattr(self, name)}")
        if self.clip_frames < self.window + 1:
            raise ValueError(
                f"clip_frames: expected at least window + 1 = {self.window + 1}, "
                f"got {self.clip_frames}"
            )
        if not self.kinds:
            raise ValueError(f"kinds: expected a non-empty tuple of motion kinds, got {self.kinds}")
        if self.contacts not in ("reference", "generator"):
            raise ValueError(
                f"contacts: expected 'reference' or 'generator', got {self.contacts!r}"
            )
        if not 0 <= self.teacher_forcing <= self.sampling_end <= 1:
            raise ValueError(
                "teacher_forcing, sampling_end: expected 0 ≤ teacher_forcing ≤ sampling_end ≤ 1, "
                f"got {self.teacher_forcing}, {self.sampling_end}"
            )
        for name in ("input_noise_pos", "input_noise_vel", "kl_weight"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name}: expected a value ≥ 0, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ValueError(f"lr: expected a positive rate, got {self.lr}")

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["model"] = self.model.to_dict()
        out["kinds"] = list(self.kinds)
        out["lr_milestones"] = list(self.lr_milestones)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        extra = set(data) - known
        if extra:
            raise ValueError(f"TrainConfig: unknown fields {sorted(extra)}")
        return cls(**dict(data))

    @classmethod
    def tiny(cls, **overrides: Any) -> TrainConfig:
        """A seconds-long run for tests: tiny widths, few clips and batches."""
        base = dict(
            model=HumorConfig(
                latent_dim=8,
                encoder_widths=(32, 32),
                prior_widths=(32, 32),
                decoder_widths=(32,),
                normalized=True,
            ),
            num_train_clips=6,
            num_val_clips=2,
            clip_frames=40,
            batch_size=8,
            epochs=4,
            batches_per_epoch=3,
            val_windows=8,
            gmm_components=2,
            gmm_max_frames=400,
            gmm_max_iter=20,
            gmm_reg_covar=1e-3,
        )
        base.update(overrides)
        return cls(**base)


def _parse_override(key: str, current: Any, text: str) -> Any:
    """``text`` as a value of the type of ``current`` (a field's present value)."""
    try:
        if isinstance(current, bool):
            low = text.strip().lower()
            if low not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return low in ("true", "1", "yes")
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
        if isinstance(current, tuple):
            kind = type(current[0]) if current else str
            return [kind(item.strip()) for item in text.split(",") if item.strip()]
        return text
    except ValueError:
        if isinstance(current, tuple):
            kind = "a comma-separated list"
        else:
            kind = {"bool": "a boolean (true/false)", "int": "an integer", "float": "a number"}[
                type(current).__name__
            ]
        raise ValueError(f"--set {key}: expected {kind}, got {text!r}") from None


def override_train_config(config: TrainConfig, assignments: Sequence[str]) -> TrainConfig:
    """A copy of ``config`` with ``KEY=VALUE`` overrides (the CLI's ``--set``).

    Keys are :class:`TrainConfig` field names, or ``model.<field>`` for :class:`HumorConfig`
    fields. Values are parsed as the field's type; tuples are comma-separated
    (``lr_milestones=0.3,0.6``, ``model.encoder_widths=128,128``).

    Raises:
        ValueError: a malformed assignment, an unknown field (the message lists the known ones)
            or a value the field rejects.
    """
    data = config.to_dict()
    model = dict(data["model"])
    train_fields = [f.name for f in fields(TrainConfig) if f.name != "model"]
    model_fields = [f"model.{name}" for name in HumorConfig.__dataclass_fields__]
    for item in assignments:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--set: expected KEY=VALUE, got {item!r}")
        if key.startswith("model."):
            name = key.removeprefix("model.")
            if key not in model_fields:
                raise ValueError(
                    f"--set {key}: unknown HumorConfig field (known: {', '.join(model_fields)})"
                )
            model[name] = _parse_override(key, getattr(config.model, name), text)
        elif key in train_fields:
            data[key] = _parse_override(key, getattr(config, key), text)
        else:
            raise ValueError(
                f"--set {key}: unknown TrainConfig field (known: {', '.join(train_fields)}, "
                "model.<field>)"
            )
    data["model"] = model
    return TrainConfig.from_dict(data)


# ----------------------------------------------------------------------------- data
@dataclass
class MotionData:
    """Procedural clips as prior states in the z-up floor frame.

    Attributes:
        states: leading shape (N, T).
        pelvis_offset: (N, 3).
        rest_joints: (N, J, 3) shaped rest-pose joints of the training body.
        contacts: (N, T, 9) 0/1 labels.
        parents: (J,) kinematic tree of the training body.
        kinds: N motion kinds.
    """

    __repr__ = short_repr

    states: PriorState
    pelvis_offset: Tensor
    rest_joints: Tensor
    contacts: Tensor
    parents: Tensor
    kinds: list[str]

    @property
    def num_clips(self) -> int:
        return int(self.states.shape[0])

    @property
    def num_frames(self) -> int:
        return int(self.states.shape[1])


DataSource = Callable[[Any, Sequence[int], int, Sequence[str], str], MotionData]
"""``(body, seeds, num_frames, kinds, contacts) -> MotionData``: one clip of ``num_frames`` frames
(30 fps) per seed, drawn from ``kinds``, contact labels as ``contacts`` asks (see
:class:`TrainConfig`); e.g. ``slahmr_opt.apps.train_prior.build_motion_data``."""


def motion_data_from_clips(body, clips: Sequence[Any], contacts: str = "reference") -> MotionData:
    """Build the prior states (float32) of SMPL clips of equal length at 30 fps.

    Args:
        body: the body the clips are posed on.
        clips: objects with ``betas`` (10,), ``global_orient`` (T, 3),
            ``body_pose`` (T, 23, 3), ``transl`` (T, 3), ``contacts`` (T, 9) and ``kind``
            (e.g. ``slahmr_opt.synth.motion.MotionClip``).
        contacts: ``"reference"`` or ``"generator"`` (see :class:`TrainConfig`).
    """
    dtype = body.joint_template0.dtype

    def stack(name: str) -> Tensor:
        return torch.as_tensor(np.stack([getattr(c, name) for c in clips]), dtype=dtype)

    betas = stack("betas")
    with torch.no_grad():
        states, offset = state_from_smpl(
            body, stack("global_orient"), stack("body_pose"), betas, stack("transl"), FPS
        )
        rest = body.joint_template(betas)
    if contacts == "reference":
        labels = label_contacts(states.joints, FPS)
    elif contacts == "generator":
        labels = stack("contacts")
    else:
        raise ValueError(f"contacts: expected 'reference' or 'generator', got {contacts!r}")
    return MotionData(
        states=states.to(torch.float32),
        pelvis_offset=offset.to(torch.float32),
        rest_joints=rest.to(torch.float32),
        contacts=labels.to(torch.float32),
        parents=body.parents.clone(),
        kinds=[c.kind for c in clips],
    )


def fit_normalization(
    data: MotionData, input_floor: float = 0.02, output_floor: float = 1e-3
) -> Normalization:
    """Per-dimension statistics of the networks' inputs and the decoder's targets.

    Inputs: states in their own canonical frame. Outputs: residuals between consecutive states
    in the frame of the first (contact logits are left unscaled). Scales below the floors are
    raised to them (units of the dimension: metres, m/s, rad/s, matrix entries).

    Args:
        data: training clips.
        input_floor, output_floor: smallest scales.
    """
    states = data.states
    offset = data.pelvis_offset[:, None].expand(-1, data.num_frames, -1)
    with torch.no_grad():
        local = to_local(states, canonical_frame(states, offset)).to_vector().reshape(-1, 339)
        prev, nxt = states[:, :-1], states[:, 1:]
        frame = canonical_frame(prev, offset[:, 1:])
        res = residual_between(to_local(prev, frame), to_local(nxt, frame)).reshape(-1, 216)
    res_mean, res_scale = res.mean(0), res.std(0).clamp_min(output_floor)
    res_mean[OUTPUT_SLICES["contacts"]] = 0.0
    res_scale[OUTPUT_SLICES["contacts"]] = 1.0
    return Normalization(local.mean(0), local.std(0).clamp_min(input_floor), res_mean, res_scale)


def _sample_windows(
    data: MotionData, count: int, window: int, gen: torch.Generator
) -> tuple[PriorState, Tensor, Tensor, Tensor]:
    clip = torch.randint(data.num_clips, (count,), generator=gen)
    start = torch.randint(data.num_frames - window, (count,), generator=gen)
    frames = start[:, None] + torch.arange(window + 1)[None]
    states = data.states.map(lambda x: x[clip[:, None], frames])
    return (
        states,
        data.pelvis_offset[clip],
        data.rest_joints[clip],
        data.contacts[clip[:, None], frames],
    )


# ----------------------------------------------------------------------------- losses
def _smpl_joints(state: PriorState, rest: Tensor, parents: Tensor) -> Tensor:
    """Forward kinematics of a state's rotations on the shaped rest joints: (..., 22, 3)."""
    lead = state.shape
    num = rest.shape[-2]
    eye = torch.eye(3, dtype=rest.dtype).expand(*lead, num - NUM_JOINTS, 3, 3)
    rot = torch.cat([state.root_orient[..., None, :, :], state.pose_body, eye], dim=-3)
    rest = torch.broadcast_to(rest, (*lead, num, 3))
    posed, _ = batch_rigid_transform(
        rot.reshape(-1, num, 3, 3), rest.reshape(-1, num, 3), parents, dtype=rest.dtype
    )
    posed = posed.reshape(*lead, num, 3)[..., :NUM_JOINTS, :]
    return posed + state.trans[..., None, :]


_FIELDS = (
    "trans",
    "trans_vel",
    "root_orient",
    "root_orient_vel",
    "pose_body",
    "joints",
    "joints_vel",
)


def _noisy_input(state: PriorState, pos: float, vel: float, gen: torch.Generator) -> PriorState:
    """Gaussian noise on positions (σ = ``pos`` m) and velocities (σ = ``vel`` m/s or rad/s);
    rotations stay exact rotations."""

    def noise(x: Tensor, sigma: float) -> Tensor:
        return x + sigma * torch.randn(x.shape, generator=gen, dtype=x.dtype) if sigma > 0 else x

    return PriorState(
        trans=noise(state.trans, pos),
        trans_vel=noise(state.trans_vel, vel),
        root_orient=state.root_orient,
        root_orient_vel=noise(state.root_orient_vel, vel),
        pose_body=state.pose_body,
        joints=noise(state.joints, pos),
        joints_vel=noise(state.joints_vel, vel),
    )


def _transition_loss(
    model: HumorPrior,
    prev: PriorState,
    nxt: PriorState,
    offset: Tensor,
    rest: Tensor,
    contacts: Tensor,
    parents: Tensor,
    cfg: TrainConfig,
    kl_weight: float,
    gen: torch.Generator | None,
) -> tuple[Tensor, dict[str, Tensor], PriorState]:
    """Loss of one batch of transitions (any leading shape); returns the prediction in the world.

    With ``gen`` (training), z is sampled from the posterior and the previous state gets the
    configured input noise; without it (validation), z is the posterior mean and inputs are clean.
    """
    if gen is not None and (cfg.input_noise_pos > 0 or cfg.input_noise_vel > 0):
        prev = _noisy_input(prev, cfg.input_noise_pos, cfg.input_noise_vel, gen)
    frame = canonical_frame(prev, offset)
    prev_l, next_l = to_local(prev, frame), to_local(nxt, frame)
    prev_v, next_v = prev_l.to_vector(), next_l.to_vector()
    q_mean, q_logvar = model.posterior(prev_v, next_v)
    p_mean, p_logvar = model.prior(prev_v)
    if gen is None:
        z = q_mean
    else:
        noise = torch.randn(q_mean.shape, generator=gen, dtype=q_mean.dtype)
        z = q_mean + noise * torch.exp(0.5 * q_logvar)
    pred, logits = apply_residual(prev_l, model.decode(prev_v, z))

    parts: dict[str, Tensor] = {}
    recon = sum(F.mse_loss(getattr(pred, n), getattr(next_l, n)) for n in _FIELDS)
    parts["recon"] = recon
    kl = 0.5 * (
        p_logvar - q_logvar + (q_logvar.exp() + (q_mean - p_mean) ** 2) * torch.exp(-p_logvar) - 1
    )
    parts["kl"] = kl.sum(-1).mean()
    parts["contact_bce"] = F.binary_cross_entropy_with_logits(logits, contacts)
    vel = pred.joints_vel[..., list(CONTACT_JOINTS), :].square().sum(-1)
    parts["contact_vel"] = (torch.sigmoid(logits) * vel).mean()
    fk = _smpl_joints(pred, rest[..., None, :, :] if pred.trans.ndim == 3 else rest, parents)
    parts["smpl_joints"] = F.mse_loss(fk, next_l.joints)
    parts["consistency"] = F.mse_loss(fk, pred.joints)
    total = (
        recon
        + kl_weight * parts["kl"]
        + cfg.contact_weight * parts["contact_bce"]
        + cfg.contact_vel_weight * parts["contact_vel"]
        + cfg.smpl_joint_weight * parts["smpl_joints"]
        + cfg.consistency_weight * parts["consistency"]
    )
    return total, parts, to_world(pred, frame)


def _window_loss(
    model: HumorPrior,
    batch: tuple[PriorState, Tensor, Tensor, Tensor],
    parents: Tensor,
    cfg: TrainConfig,
    p_true: float,
    kl_weight: float,
    gen: torch.Generator,
    sample_z: bool = True,
) -> tuple[Tensor, dict[str, float]]:
    """Mean loss over the transitions of a batch of windows under scheduled sampling."""
    states, offset, rest, contacts = batch
    noise_gen = gen if sample_z else None
    if p_true >= 1.0:  # teacher forcing: every transition at once
        total, parts, _ = _transition_loss(
            model,
            states[:, :-1],
            states[:, 1:],
            offset[:, None],
            rest,
            contacts[:, 1:],
            parents,
            cfg,
            kl_weight,
            noise_gen,
        )
        return total, {k: float(v.detach()) for k, v in parts.items()}
    current = states[:, 0]
    totals, sums = [], {}
    for t in range(1, states.shape[1]):
        if t > 1:
            use_true = torch.rand(current.shape, generator=gen) < p_true
            current = PriorState.where(use_true, states[:, t - 1], current.detach())
        total, parts, current = _transition_loss(
            model,
            current,
            states[:, t],
            offset,
            rest,
            contacts[:, t],
            parents,
            cfg,
            kl_weight,
            noise_gen,
        )
        totals.append(total)
        for k, v in parts.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach())
    n = len(totals)
    return torch.stack(totals).mean(), {k: v / n for k, v in sums.items()}


def _p_true(cfg: TrainConfig, progress: float) -> float:
    if progress < cfg.teacher_forcing:
        return 1.0
    if progress < cfg.sampling_end:
        span = max(cfg.sampling_end - cfg.teacher_forcing, 1e-9)
        return 1.0 + (cfg.sampling_floor - 1.0) * (progress - cfg.teacher_forcing) / span
    return 0.0


def _kl_weight(cfg: TrainConfig, progress: float) -> float:
    if cfg.kl_anneal <= 0:
        return cfg.kl_weight
    return cfg.kl_weight * min(1.0, progress / cfg.kl_anneal)


# ----------------------------------------------------------------------------- training
def _seeds(cfg: TrainConfig) -> tuple[list[int], list[int]]:
    base = int(cfg.seed) * 1_000_000
    train = [base + i for i in range(cfg.num_train_clips)]
    val = [base + 500_000 + i for i in range(cfg.num_val_clips)]
    return train, val


def _torch_bytes(obj: Any) -> bytes:
    import io

    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _ar_start_epoch(cfg: TrainConfig) -> int:
    return min(cfg.epochs - 1, int(math.ceil(cfg.sampling_end * cfg.epochs)))


def _validate(
    model: HumorPrior, batch, parents: Tensor, cfg: TrainConfig, seed: int
) -> dict[str, float]:
    model.eval()
    with torch.no_grad():
        gen = torch.Generator().manual_seed(seed)
        total, parts = _window_loss(
            model, batch, parents, cfg, 0.0, cfg.kl_weight, gen, sample_z=False
        )
    model.train()
    return {"loss": float(total), **parts}


def unfinished_config(out_dir: str | os.PathLike) -> TrainConfig | None:
    """The settings of the unfinished run in ``out_dir`` (its ``train_state.pt``), or None when
    there is none."""
    state_path = Path(out_dir) / STATE_FILE
    if not state_path.is_file():
        return None
    saved = load_torch(state_path, "training state")
    return TrainConfig.from_dict(json.loads(saved["config"]))


def train_prior_on(
    out_dir: str | os.PathLike,
    make_data: DataSource,
    config: TrainConfig | None = None,
    *,
    resume: bool = False,
    minutes: float | None = None,
    progress: bool = True,
    body=None,
    trained_on: str = "",
) -> Path:
    """Train the CVAE on the clips of a data source and write a prior folder.

    Writes to ``out_dir``: ``humor_prior.pt`` (weights + widths), ``prior_gmm.npz`` (the
    initial-state GMM, the original's format), ``config.json`` (the :class:`TrainConfig`, the
    outcome and timings), ``train_log.jsonl`` (one line per epoch). ``train_state.pt`` holds the
    resumable state while the run is unfinished and is removed when it completes.

    Args:
        out_dir: the prior folder.
        make_data: the clips (training and validation seeds of ``config``).
        config: the run (default :class:`TrainConfig`).
        resume: continue from ``train_state.pt`` if present, with the config stored there (a
            ``config`` given as well must match it).
        minutes: wall-clock budget of this call; training stops after the epoch that crosses it
            and writes the outputs of the best weights so far (``finished`` false in
            ``config.json``); ``resume`` continues.
        progress: show tqdm progress bars.
        body: training body (default: the open stand-in).
        trained_on: what the clips are, recorded in the weights' metadata.

    Returns:
        ``out_dir`` as a Path.
    """
    from slahmr_opt.body import BodyModel

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state_path = out / STATE_FILE
    if minutes is not None and not minutes > 0:
        raise ValueError(f"minutes: expected a positive budget or None, got {minutes}")
    session_start = time.perf_counter()
    saved = None
    if resume and state_path.is_file():
        saved = load_torch(state_path, "training state")
        stored = TrainConfig.from_dict(json.loads(saved["config"]))
        if config is not None and config.to_dict() != stored.to_dict():
            a, b = config.to_dict(), stored.to_dict()
            differ = sorted(k for k in a if a[k] != b[k])
            raise ValueError(
                f"config: resuming {state_path} with different settings {differ}; pass no "
                "config (or the same one) to resume, or start a new folder"
            )
        config = stored
    cfg = config or TrainConfig()
    torch.set_num_threads(cfg.threads)
    body = body if body is not None else BodyModel.standin()
    t_data = time.perf_counter()
    train_seeds, val_seeds = _seeds(cfg)
    data = make_data(body, train_seeds, cfg.clip_frames, cfg.kinds, cfg.contacts)
    val = make_data(body, val_seeds, cfg.clip_frames, cfg.kinds, cfg.contacts)
    val_batch = _sample_windows(
        val, cfg.val_windows, cfg.window, torch.Generator().manual_seed(cfg.seed + 17)
    )
    data_seconds = time.perf_counter() - t_data

    torch.manual_seed(cfg.seed)
    model = HumorPrior(cfg.model)
    if cfg.model.normalized:
        model.set_normalization(fit_normalization(data))
    optimizer = torch.optim.Adamax(model.parameters(), lr=cfg.lr)
    milestones = sorted({max(1, int(round(m * cfg.epochs))) for m in cfg.lr_milestones})
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=cfg.lr_gamma)
    start_epoch, best_val, best_state, train_seconds = 0, math.inf, None, 0.0
    log_path = out / LOG_FILE
    if saved is not None:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        start_epoch = int(saved["epoch"]) + 1
        best_val = float(saved["best_val"])
        best_state = saved["best_model"] or None
        train_seconds = float(saved["train_seconds"])
    elif log_path.exists():
        log_path.unlink()

    ar_start = _ar_start_epoch(cfg)
    total_batches = cfg.epochs * cfg.batches_per_epoch
    bar = tqdm(
        total=total_batches,
        initial=start_epoch * cfg.batches_per_epoch,
        desc="train-prior",
        unit="batch",
        disable=not progress,
        dynamic_ncols=True,
    )
    finished = start_epoch >= cfg.epochs
    model.train()
    for epoch in range(start_epoch, cfg.epochs):
        t_epoch = time.perf_counter()
        gen = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
        sums: dict[str, float] = {}
        skipped = 0
        for b in range(cfg.batches_per_epoch):
            frac = (epoch + b / cfg.batches_per_epoch) / cfg.epochs
            p_true, klw = _p_true(cfg, frac), _kl_weight(cfg, frac)
            batch = _sample_windows(data, cfg.batch_size, cfg.window, gen)
            loss, parts = _window_loss(model, batch, data.parents, cfg, p_true, klw, gen)
            if not torch.isfinite(loss):
                skipped += 1
                bar.update(1)
                continue
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            sums["loss"] = sums.get("loss", 0.0) + float(loss.detach())
            for k, v in parts.items():
                sums[k] = sums.get(k, 0.0) + v
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{float(loss.detach()):.4f}", p_true=f"{p_true:.2f}")
        scheduler.step()
        n_ok = max(cfg.batches_per_epoch - skipped, 1)
        val_parts = _validate(model, val_batch, val.parents, cfg, cfg.seed + 29)
        is_best = epoch >= ar_start and val_parts["loss"] < best_val
        if is_best:
            best_val = val_parts["loss"]
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        train_seconds += time.perf_counter() - t_epoch
        record = {
            "epoch": epoch,
            "seconds": round(train_seconds, 2),
            "lr": optimizer.param_groups[0]["lr"],
            "p_true": round(_p_true(cfg, epoch / cfg.epochs), 4),
            "kl_weight": _kl_weight(cfg, (epoch + 1) / cfg.epochs),
            "skipped_batches": skipped,
            "train": {k: round(v / n_ok, 6) for k, v in sums.items()},
            "val": {k: round(v, 6) for k, v in val_parts.items()},
            "best": is_best,
        }
        with open(log_path, "a") as fh:
            fh.write(json.dumps(record) + "\n")
        write_bytes_atomic(
            state_path,
            _torch_bytes(
                {
                    "config": json.dumps(cfg.to_dict()),
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "epoch": epoch,
                    "best_val": best_val,
                    "best_model": best_state or {},
                    "train_seconds": train_seconds,
                }
            ),
        )
        finished = epoch == cfg.epochs - 1
        spent = time.perf_counter() - session_start
        if minutes is not None and spent > 60.0 * minutes and not finished:
            break
    bar.close()

    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    t_gmm = time.perf_counter()
    gmm, gmm_info = _fit_initial_gmm(data, cfg)
    gmm_seconds = time.perf_counter() - t_gmm
    meta = {
        "trained_on": trained_on,
        "body": body.source,
        "epochs_done": int(json.loads(log_path.read_text().splitlines()[-1])["epoch"]) + 1
        if log_path.exists()
        else 0,
        "finished": finished,
    }
    save_weights(model, out / WEIGHTS_FILE, meta)
    gmm.save(out / GMM_FILE)
    write_json_atomic(
        out / CONFIG_FILE,
        {
            "train": cfg.to_dict(),
            "model": cfg.model.to_dict(),
            "parameters": model.num_parameters(),
            "best_val_loss": best_val,
            "finished": finished,
            "epochs_done": meta["epochs_done"],
            "seconds": {
                "data": round(data_seconds, 2),
                "train": round(train_seconds, 2),
                "gmm": round(gmm_seconds, 2),
            },
            "gmm": gmm_info,
            "threads": cfg.threads,
        },
    )
    if finished and state_path.exists():
        state_path.unlink()
    return out


def _fit_initial_gmm(data: MotionData, cfg: TrainConfig) -> tuple[GaussianMixture, dict]:
    states = data.states
    offset = data.pelvis_offset[:, None].expand(-1, data.num_frames, -1)
    with torch.no_grad():
        local = to_local(states, canonical_frame(states, offset))
        feats = gmm_features(local).reshape(-1, 138).to(torch.float64)
    gen = torch.Generator().manual_seed(cfg.seed + 41)
    if feats.shape[0] > cfg.gmm_max_frames:
        feats = feats[torch.randperm(feats.shape[0], generator=gen)[: cfg.gmm_max_frames]]
    gmm, info = fit_gmm(
        feats,
        cfg.gmm_components,
        seed=cfg.seed,
        reg_covar=cfg.gmm_reg_covar,
        max_iter=cfg.gmm_max_iter,
    )
    info["frames"] = float(feats.shape[0])
    return gmm, info


# ----------------------------------------------------------------------------- evaluation
def _jittered(states: PriorState, sigma: float, gen: torch.Generator) -> PriorState:
    """Gaussian noise (σ metres per coordinate) on joints and translation; velocities re-derived."""
    joints = states.joints + sigma * torch.randn(states.joints.shape, generator=gen)
    trans = states.trans + sigma * torch.randn(states.trans.shape, generator=gen)
    return PriorState(
        trans=trans,
        trans_vel=finite_difference(trans, FPS, dim=1),
        root_orient=states.root_orient,
        root_orient_vel=states.root_orient_vel,
        pose_body=states.pose_body,
        joints=joints,
        joints_vel=finite_difference(joints, FPS, dim=1),
    )


def _shuffled(states: PriorState, gen: torch.Generator) -> PriorState:
    """Frames of each clip in a random order, velocities re-derived from the shuffled positions."""
    order = torch.stack(
        [torch.randperm(states.shape[1], generator=gen) for _ in range(states.shape[0])]
    )
    rows = torch.arange(states.shape[0])[:, None]
    s = states.map(lambda x: x[rows, order])
    return PriorState(
        trans=s.trans,
        trans_vel=finite_difference(s.trans, FPS, dim=1),
        root_orient=s.root_orient,
        root_orient_vel=s.root_orient_vel,
        pose_body=s.pose_body,
        joints=s.joints,
        joints_vel=finite_difference(s.joints, FPS, dim=1),
    )


def evaluate_prior_on(
    prior: MotionPrior | str | os.PathLike | None,
    data: MotionData,
    *,
    sigmas: Sequence[float] = (0.01, 0.02, 0.05),
    rollout_steps: int = 300,
    rollout_samples: int = 16,
    pelvis_band: tuple[float, float] = (0.5, 1.3),
    seed: int = 0,
    timing: bool = False,
) -> dict[str, Any]:
    """Held-out checks of a prior on clips it never saw (``data``; the procedural held-out set is
    :func:`slahmr_opt.apps.train_prior.evaluate_prior`).

    - mean per-step −log p(z_t | s_{t−1}) at the posterior mean z_t, for clean clips, clips with
      Gaussian noise of each σ (metres) on joints and translation, and frame-shuffled clips;
      the ordering clean < σ₁ < σ₂ < … < shuffled must hold strictly;
    - the mean initial-state GMM energy of clean and shuffled frames;
    - ``rollout_samples`` roll-outs of ``rollout_steps`` steps with z drawn from the prior: all
      finite, pelvis height inside ``pelvis_band`` (metres) at every step;
    - with ``timing``, seconds per roll-out step (B = 2) at the original and this prior's widths.

    Args:
        prior: a :class:`MotionPrior`, a prior folder, or None for the shipped default.
        data: the held-out clips (N clips × T frames, 30 fps).
        sigmas: jitter levels, metres.
        rollout_steps, rollout_samples: sampled roll-outs, each from a held-out clip's first state.
        pelvis_band: (low, high) pelvis-joint height above the floor, metres.
        seed: selects the held-out clips, the noise and the latent draws.
        timing: also time roll-outs (:func:`~slahmr_opt.priors.rollout.time_rollout`).

    Returns:
        a JSON-ready dict: ``nll`` (name → mean per-step energy), ``ordering_holds``,
        ``gmm_nll``, ``rollout`` (``finite``, ``pelvis_min``/``max``/``mean`` m,
        ``samples_in_band``, ``in_band`` when all are, ``first_exit_step`` per sample (None when
        it stays inside), ``travel_m``) and ``timing``.
    """
    mp = prior if isinstance(prior, MotionPrior) else load_prior(prior)
    model = mp.model.float().eval()
    num_clips, clip_frames = data.num_clips, data.num_frames
    gen = torch.Generator().manual_seed(seed + 3)
    offset = data.pelvis_offset
    report: dict[str, Any] = {
        "prior": mp.source,
        "clips": num_clips,
        "frames": clip_frames,
        "nll": {},
    }
    variants: list[tuple[str, PriorState]] = [("clean", data.states)]
    for s in sigmas:
        variants.append((f"jitter_{100 * s:g}cm", _jittered(data.states, float(s), gen)))
    variants.append(("shuffled", _shuffled(data.states, gen)))
    with torch.no_grad():
        for name, states in variants:
            e = transition_energy(model, states, offset)
            report["nll"][name] = float(e.mean())
        order = [report["nll"][name] for name, _ in variants]
        report["ordering_holds"] = bool(
            all(a < b for a, b in zip(order[:-1], order[1:], strict=True))
        )
        if mp.gmm is not None:
            from slahmr_opt.priors.gmm import initial_state_energy

            off = offset[:, None].expand(-1, clip_frames, -1)
            report["gmm_nll"] = {
                "clean": float(initial_state_energy(mp.gmm, data.states, off).mean()),
                "shuffled": float(initial_state_energy(mp.gmm, variants[-1][1], off).mean()),
            }
        n = min(rollout_samples, num_clips)
        heights, travel, finite = [], [], True
        for k in range(n):
            init, off = data.states[k : k + 1, 0], offset[k : k + 1]
            out = sample_motion(model, init, off, rollout_steps, seed + k)
            finite &= bool(torch.isfinite(out.states.to_vector()).all())
            heights.append(out.states.joints[0, :, 0, 2])
            xy = out.states.trans[0, :, :2]
            travel.append(round(float((xy[-1] - xy[0]).norm()), 3))
        h = torch.stack(heights)
        inside = (h >= pelvis_band[0]) & (h <= pelvis_band[1])  # (n, steps + 1)
        first_exit = [
            int(torch.nonzero(~row)[0, 0]) if not bool(row.all()) else None for row in inside
        ]
        report["rollout"] = {
            "samples": n,
            "steps": rollout_steps,
            "finite": finite,
            "pelvis_min": float(h.min()),
            "pelvis_max": float(h.max()),
            "pelvis_mean": float(h.mean()),
            "band": list(pelvis_band),
            "in_band": bool(finite and h.min() >= pelvis_band[0] and h.max() <= pelvis_band[1]),
            "samples_in_band": int(inside.all(dim=1).sum()),
            "first_exit_step": first_exit,
            "travel_m": travel,
        }
    if timing:
        report["timing"] = {
            "original": time_rollout(HumorConfig.original(), batch=2),
            "this": time_rollout(model.config, batch=2),
        }
    return report


def format_prior_report(report: Mapping[str, Any]) -> str:
    """Human-readable lines for :func:`evaluate_prior`'s dict."""
    lines = [
        f"prior: {report['prior']}",
        f"held-out: {report['clips']} procedural clips × {report['frames']} frames (30 fps)",
        "mean per-step −log p(z) at the posterior mean:",
    ]
    for name, value in report["nll"].items():
        lines.append(f"  {name:<14}{value:>12.3f}")
    verdict = "holds" if report["ordering_holds"] else "DOES NOT HOLD"
    lines.append(f"  ordering clean < jitter (increasing σ) < shuffled: {verdict}")
    if "gmm_nll" in report:
        g = report["gmm_nll"]
        lines.append(
            f"initial-state GMM −log p: clean {g['clean']:.2f}, shuffled {g['shuffled']:.2f}"
        )
    r = report["rollout"]
    lines.append(
        f"sampled roll-outs: {r['samples']} × {r['steps']} steps, finite={r['finite']}, pelvis "
        f"height {r['pelvis_min']:.3f}–{r['pelvis_max']:.3f} m (mean {r['pelvis_mean']:.3f}), "
        f"inside {r['band'][0]}–{r['band'][1]} m at every step: {r['samples_in_band']} of "
        f"{r['samples']}"
    )
    exits = sorted(step for step in r.get("first_exit_step", []) if step is not None)
    if exits:
        lines.append(f"  steps at which the others first leave the band: {exits}")
    if "timing" in report:
        labels = {"original": "original widths", "this": "this prior's widths"}
        for name, t in report["timing"].items():
            lines.append(
                f"roll-out cost ({labels.get(name, name)}, {int(t['parameters']):,} parameters, B="
                f"{int(t['batch'])}, {int(t['threads'])} thread(s)): "
                f"{1e3 * t['forward_s_per_step']:.2f} ms/step forward, "
                f"{1e3 * t['forward_backward_s_per_step']:.2f} ms/step forward+backward"
            )
    return "\n".join(lines)
