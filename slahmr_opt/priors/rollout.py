"""Roll-out, posterior inference, sampling and the CVAE energy (reference: humor-prior.md §1.5–1.7).

A roll-out starts from an initial state in a z-up floor frame (the "world" here) and applies one
transition per latent: express the current state in its canonical frame, decode the residuals,
build the next state there (rotation deltas left-multiplied, everything else added) and map it back
with the same frame. States therefore stay in the world frame of the initial state at every step,
which is the original's accumulated-transform bookkeeping written as one frame per step.

All functions batch over people ``B``; each person's initial state is its own track start, and
:func:`scatter_tracks` places per-track roll-outs on a shared timeline.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import roma
import torch
from torch import Tensor

from slahmr_opt.priors.humor import HumorConfig, HumorPrior
from slahmr_opt.priors.state import (
    NUM_BODY_ROTS,
    NUM_JOINTS,
    OUTPUT_SLICES,
    PriorState,
    canonical_frame,
    to_local,
    to_world,
)
from slahmr_opt.reprs import short_repr

__all__ = [
    "Inference",
    "Rollout",
    "apply_residual",
    "gaussian_nll",
    "infer_latents",
    "prior_energy",
    "residual_between",
    "rollout",
    "rollout_residuals",
    "sample_motion",
    "scatter_tracks",
    "time_rollout",
    "transition_energy",
]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


# ----------------------------------------------------------------------------- one transition
def apply_residual(prev: PriorState, out: Tensor) -> tuple[PriorState, Tensor]:
    """The next state from the previous one and a decoder output, in the same canonical frame.

    Rotations: ``R_next = exp(Δ) · R_prev`` (axis-angle Δ, left-multiplied); other fields add Δ.

    Args:
        prev: s_{t−1}, leading shape (...).
        out: (..., 216) decoder output (:data:`~slahmr_opt.priors.state.OUTPUT_SLICES`).

    Returns:
        (s_t with leading shape (...), contact logits (..., 9)).
    """
    lead = prev.shape
    if out.shape != (*lead, 216):
        raise ValueError(f"out: expected shape {(*lead, 216)}, got {tuple(out.shape)}")

    def d(name: str) -> Tensor:
        return out[..., OUTPUT_SLICES[name]]

    nxt = PriorState(
        trans=prev.trans + d("trans"),
        trans_vel=prev.trans_vel + d("trans_vel"),
        root_orient=roma.rotvec_to_rotmat(d("root_orient")) @ prev.root_orient,
        root_orient_vel=prev.root_orient_vel + d("root_orient_vel"),
        pose_body=roma.rotvec_to_rotmat(d("pose_body").reshape(*lead, NUM_BODY_ROTS, 3))
        @ prev.pose_body,
        joints=prev.joints + d("joints").reshape(*lead, NUM_JOINTS, 3),
        joints_vel=prev.joints_vel + d("joints_vel").reshape(*lead, NUM_JOINTS, 3),
    )
    return nxt, d("contacts")


def residual_between(prev: PriorState, nxt: PriorState) -> Tensor:
    """The residual part of a decoder output that takes ``prev`` to ``nxt`` (inverse of
    :func:`apply_residual`; the 9 contact logits are zero).

    Args:
        prev, nxt: states with the same leading shape (...), in the same frame.

    Returns:
        (..., 216).
    """
    lead = prev.shape

    def rel(a: Tensor, b: Tensor) -> Tensor:
        return roma.rotmat_to_rotvec(b @ a.transpose(-1, -2))

    parts = [
        nxt.trans - prev.trans,
        nxt.trans_vel - prev.trans_vel,
        rel(prev.root_orient, nxt.root_orient),
        nxt.root_orient_vel - prev.root_orient_vel,
        rel(prev.pose_body, nxt.pose_body).reshape(*lead, -1),
        (nxt.joints - prev.joints).reshape(*lead, -1),
        (nxt.joints_vel - prev.joints_vel).reshape(*lead, -1),
        prev.trans.new_zeros(*lead, 9),
    ]
    return torch.cat(parts, dim=-1)


def gaussian_nll(z: Tensor, mean: Tensor, logvar: Tensor) -> Tensor:
    """−log N(z; mean, exp(logvar)) summed over the last (latent) axis: (..., L) → (...)."""
    return (0.5 * logvar + _HALF_LOG_2PI + 0.5 * (z - mean) ** 2 * torch.exp(-logvar)).sum(-1)


def prior_energy(z: Tensor, mean: Tensor, logvar: Tensor, mask: Tensor | None = None) -> Tensor:
    """E_CVAE = Σ_t −log N(z_t; μ_p, σ_p²), summed over the valid transitions.

    Args:
        z: (B, T−1, L) latents; mean, logvar: (B, T−1, L) conditional prior.
        mask: (B, T−1) bool or 0/1, transitions that count (default all).

    Returns:
        scalar.
    """
    nll = gaussian_nll(z, mean, logvar)
    if mask is not None:
        nll = nll * mask.to(nll.dtype)
    return nll.sum()


# ----------------------------------------------------------------------------- roll-out
@dataclass
class Rollout:
    """A roll-out in the world frame of its initial states.

    Attributes:
        states: leading shape (B, T), T = number of latents + 1; frame 0 is the initial state.
        contact_logits: (B, T, 9); frame 0 copies frame 1 (the original's convention).
        latents: (B, T−1, L) the z used for each transition.
        prior_mean, prior_logvar: (B, T−1, L) p(z | s_{t−1}) of each transition (conditioned on
            the rolled-out previous state, so gradients reach the states too).
    """

    __repr__ = short_repr

    states: PriorState
    contact_logits: Tensor
    latents: Tensor
    prior_mean: Tensor
    prior_logvar: Tensor

    @property
    def contacts(self) -> Tensor:
        """(B, T, 9) contact probabilities."""
        return torch.sigmoid(self.contact_logits)

    def energy(self, mask: Tensor | None = None) -> Tensor:
        """:func:`prior_energy` of this roll-out's latents (scalar)."""
        return prior_energy(self.latents, self.prior_mean, self.prior_logvar, mask)


StepFn = Callable[[int, Tensor], tuple[Tensor, Tensor, Tensor, Tensor]]
"""(step index, canonical previous state (B, 339)) → (decoder output (B, 216), z, μ_p, logσ²_p)."""


def _accumulate(
    init: PriorState,
    pelvis_offset: Tensor,
    num_steps: int,
    step: StepFn,
    heading_epsilon: bool = False,
) -> Rollout:
    if len(init.shape) != 1:
        raise ValueError(f"init: expected states with leading shape (B,), got {tuple(init.shape)}")
    offset = torch.broadcast_to(pelvis_offset.to(init.dtype), init.trans.shape)
    current = init
    states, logits, zs, means, logvars = [init], [], [], [], []
    for t in range(num_steps):
        frame = canonical_frame(current, offset, heading_epsilon=heading_epsilon)
        local = to_local(current, frame)
        out, z, mean, logvar = step(t, local.to_vector())
        nxt, logit = apply_residual(local, out)
        current = to_world(nxt, frame)
        states.append(current)
        logits.append(logit)
        zs.append(z)
        means.append(mean)
        logvars.append(logvar)
    if num_steps == 0:
        empty = init.trans.new_zeros(init.shape[0], 0, 0)
        return Rollout(
            PriorState.stack(states, 1),
            init.trans.new_zeros(init.shape[0], 1, 9),
            empty,
            empty,
            empty,
        )
    logit = torch.stack(logits, 1)
    return Rollout(
        states=PriorState.stack(states, 1),
        contact_logits=torch.cat([logit[:, :1], logit], 1),
        latents=torch.stack(zs, 1),
        prior_mean=torch.stack(means, 1),
        prior_logvar=torch.stack(logvars, 1),
    )


def rollout(
    model: HumorPrior,
    init: PriorState,
    pelvis_offset: Tensor,
    z: Tensor | None = None,
    *,
    num_steps: int | None = None,
    sample: bool = False,
    seed: int = 0,
    heading_epsilon: bool = False,
) -> Rollout:
    """Roll the prior out from initial states.

    Args:
        model: the CVAE.
        init: initial states, leading shape (B,), in a z-up floor frame (floor z = 0).
        pelvis_offset: (B, 3) or (3,) the pelvis offset ``o`` of each person
            (:func:`~slahmr_opt.priors.state.pelvis_offset_from_betas` or ``_from_state``).
        z: (B, T−1, L) latents; None to use the prior's mean (or a sample with ``sample``).
        num_steps: T − 1 when ``z`` is None.
        sample: draw z ~ p(z | s_{t−1}) instead of taking the mean (only when ``z`` is None).
        seed: seeds the draws.
        heading_epsilon: the original's heading form (``state.heading_angle``) measured in
            this roll-out's world frame at every step (the original measures it in the previous
            step's frame: ``rollout_fast.SequentialRollout`` does that).

    Returns:
        :class:`Rollout` in the frame of ``init``.
    """
    batch = init.shape[0] if len(init.shape) == 1 else None
    if batch is None:
        raise ValueError(f"init: expected states with leading shape (B,), got {tuple(init.shape)}")
    if z is not None:
        if z.ndim != 3 or z.shape[0] != batch or z.shape[2] != model.latent_dim:
            raise ValueError(
                f"z: expected shape ({batch}, T-1, {model.latent_dim}), got {tuple(z.shape)}"
            )
        num_steps = z.shape[1]
    elif num_steps is None or num_steps < 0:
        raise ValueError(f"num_steps: expected a count ≥ 0 when z is None, got {num_steps}")
    generator = torch.Generator().manual_seed(int(seed)) if sample and z is None else None

    def step(t: int, prev: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        mean, logvar = model.prior(prev)
        if z is not None:
            zt = z[:, t]
        elif generator is not None:
            noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
            zt = mean + noise * torch.exp(0.5 * logvar)
        else:
            zt = mean
        return model.decode(prev, zt), zt, mean, logvar

    return _accumulate(init, pelvis_offset, int(num_steps), step, heading_epsilon)


def sample_motion(
    model: HumorPrior, init: PriorState, pelvis_offset: Tensor, num_steps: int, seed: int
) -> Rollout:
    """Random motion from the prior: z_t ~ p(z | s_{t−1}) for ``num_steps`` steps (seeded)."""
    return rollout(model, init, pelvis_offset, num_steps=num_steps, sample=True, seed=seed)


def rollout_residuals(init: PriorState, pelvis_offset: Tensor, residuals: Tensor) -> Rollout:
    """Accumulate given decoder outputs (B, T−1, 216) from ``init`` with the roll-out's frame
    bookkeeping, without a network (for checks; latents and prior fields are empty)."""
    batch = init.shape[0]

    def step(t: int, prev: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        empty = prev.new_zeros(batch, 0)
        return residuals[:, t], empty, empty, empty

    return _accumulate(init, pelvis_offset, residuals.shape[1], step)


# ----------------------------------------------------------------------------- inference
@dataclass
class Inference:
    """Per-transition Gaussians of a given motion, each (B, T−1, L)."""

    __repr__ = short_repr

    posterior_mean: Tensor
    posterior_logvar: Tensor
    prior_mean: Tensor
    prior_logvar: Tensor

    def energy_per_step(self) -> Tensor:
        """(B, T−1) −log p(z_t) at the posterior mean z_t."""
        return gaussian_nll(self.posterior_mean, self.prior_mean, self.prior_logvar)


def infer_latents(
    model: HumorPrior, states: PriorState, pelvis_offset: Tensor, *, heading_epsilon: bool = False
) -> Inference:
    """Posterior and prior of every transition of a motion, all transitions in parallel.

    Each pair (s_{t−1}, s_t) is expressed in the canonical frame of s_{t−1}. The posterior means
    are how the original initialises the latents of test-time optimisation.

    Args:
        model: the CVAE.
        states: leading shape (B, T), T ≥ 2, in a z-up floor frame.
        pelvis_offset: (B, 3) or (3,).
        heading_epsilon: the original's heading form (``state.heading_angle``).

    Returns:
        :class:`Inference`.
    """
    if len(states.shape) != 2 or states.shape[1] < 2:
        raise ValueError(f"states: expected leading shape (B, T≥2), got {tuple(states.shape)}")
    prev, nxt = states[:, :-1], states[:, 1:]
    offset = pelvis_offset.to(states.dtype)
    offset = offset[:, None] if offset.ndim == 2 else offset
    frame = canonical_frame(
        prev, torch.broadcast_to(offset, prev.trans.shape), heading_epsilon=heading_epsilon
    )
    prev_v = to_local(prev, frame).to_vector()
    nxt_v = to_local(nxt, frame).to_vector()
    post_mean, post_logvar = model.posterior(prev_v, nxt_v)
    prior_mean, prior_logvar = model.prior(prev_v)
    return Inference(post_mean, post_logvar, prior_mean, prior_logvar)


def transition_energy(model: HumorPrior, states: PriorState, pelvis_offset: Tensor) -> Tensor:
    """(B, T−1) per-step −log p(z_t | s_{t−1}) with z_t the posterior mean (parallel over T)."""
    return infer_latents(model, states, pelvis_offset).energy_per_step()


# ----------------------------------------------------------------------------- timelines
def scatter_tracks(values: Tensor, starts: Tensor, num_frames: int) -> tuple[Tensor, Tensor]:
    """Place per-track sequences on a shared timeline.

    Args:
        values: (B, H, ...) per-track values, index h = frame ``starts[b] + h``.
        starts: (B,) first frame of each track on the timeline.
        num_frames: length of the timeline.

    Returns:
        (timeline (B, num_frames, ...) with zeros outside each track, mask (B, num_frames) bool).
    """
    batch, horizon = values.shape[:2]
    starts = torch.as_tensor(starts, dtype=torch.long)
    if starts.shape != (batch,) or (starts < 0).any():
        raise ValueError(f"starts: expected ({batch},) non-negative frames, got {starts.tolist()}")
    frames = starts[:, None] + torch.arange(horizon)[None]  # (B, H)
    valid = frames < num_frames
    out = values.new_zeros(batch, num_frames, *values.shape[2:])
    mask = torch.zeros(batch, num_frames, dtype=torch.bool)
    b_idx = torch.arange(batch)[:, None].expand(batch, horizon)
    out = out.index_put((b_idx[valid], frames[valid]), values[valid])
    mask[b_idx[valid], frames[valid]] = True
    return out, mask


# ----------------------------------------------------------------------------- cost
def time_rollout(
    config: HumorConfig,
    *,
    batch: int = 2,
    steps: int = 60,
    repeats: int = 3,
    seed: int = 0,
) -> dict[str, float]:
    """Seconds per roll-out step of a randomly initialised model of ``config`` on this machine.

    Times ``repeats`` roll-outs of ``steps`` transitions for ``batch`` people (forward, then
    forward plus backward to the latents), keeps the fastest and divides by ``steps``.

    Returns:
        ``{"forward_s_per_step", "forward_backward_s_per_step", "batch", "steps", "threads",
        "parameters"}``.
    """
    torch.manual_seed(seed)
    model = HumorPrior(config).eval()
    gen = torch.Generator().manual_seed(seed)
    init = PriorState(
        trans=torch.tensor([[0.0, 0.0, 0.9]]).repeat(batch, 1),
        trans_vel=torch.zeros(batch, 3),
        root_orient=torch.eye(3).repeat(batch, 1, 1),
        root_orient_vel=torch.zeros(batch, 3),
        pose_body=torch.eye(3).repeat(batch, NUM_BODY_ROTS, 1, 1),
        joints=torch.rand(batch, NUM_JOINTS, 3, generator=gen),
        joints_vel=torch.zeros(batch, NUM_JOINTS, 3),
    )
    offset = torch.zeros(3)
    fwd, bwd = math.inf, math.inf
    for _ in range(repeats):
        z = torch.randn(batch, steps, config.latent_dim, generator=gen)
        with torch.no_grad():
            t0 = time.perf_counter()
            rollout(model, init, offset, z)
            fwd = min(fwd, time.perf_counter() - t0)
        z.requires_grad_(True)
        t0 = time.perf_counter()
        out = rollout(model, init, offset, z)
        (out.energy() + out.states.joints.square().sum()).backward()
        bwd = min(bwd, time.perf_counter() - t0)
    return {
        "forward_s_per_step": fwd / steps,
        "forward_backward_s_per_step": bwd / steps,
        "batch": float(batch),
        "steps": float(steps),
        "threads": float(torch.get_num_threads()),
        "parameters": float(model.num_parameters()),
    }
