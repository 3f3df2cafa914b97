"""Shared fixtures of the motion-prior tests: a float64 stand-in body and procedural motion."""

from __future__ import annotations

import pytest
import torch

from slahmr_opt.body import BodyModel
from slahmr_opt.priors.state import PriorState, state_from_smpl
from slahmr_opt.synth.motion import generate_clip


@pytest.fixture(scope="package")
def body64() -> BodyModel:
    return BodyModel.standin(dtype=torch.float64)


def clip_params(body: BodyModel, kind: str, frames: int, seed: int) -> dict[str, torch.Tensor]:
    """SMPL parameters (float64 tensors) of a procedural clip."""
    clip = generate_clip(body, kind, frames, seed)
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float64)  # noqa: E731
    return {
        "global_orient": as_t(clip.global_orient),
        "body_pose": as_t(clip.body_pose),
        "betas": as_t(clip.betas),
        "transl": as_t(clip.transl),
    }


def states_of(body: BodyModel, p: dict[str, torch.Tensor]) -> tuple[PriorState, torch.Tensor]:
    return state_from_smpl(body, p["global_orient"], p["body_pose"], p["betas"], p["transl"], 30.0)


@pytest.fixture(scope="package")
def turning(body64) -> dict[str, torch.Tensor]:
    """A 40-frame walk on a circle (turning and translating)."""
    return clip_params(body64, "turn", 40, 3)
