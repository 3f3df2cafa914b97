"""Shared small scenes and configs for the solver tests (kept tiny so the suite stays fast)."""

from __future__ import annotations

import functools

from slahmr_opt.body import BodyModel
from slahmr_opt.config import SolverConfig, apply_overrides, preset
from slahmr_opt.synth.scene import make_scene


@functools.lru_cache(maxsize=1)
def body() -> BodyModel:
    return BodyModel.standin()


@functools.lru_cache(maxsize=8)
def scene(preset_name: str = "medium", camera: str = "handheld", frames: int = 16, seed: int = 1):
    """A small synthetic scene: two people, the second one on a shorter track."""
    return make_scene(
        num_people=2, num_frames=frames, preset=preset_name, camera=camera, seed=seed, body=body()
    )


@functools.lru_cache(maxsize=1)
def random_vposer():
    """A VPoser v1 with seeded random weights and batch-norm statistics (no licensed weights
    exist here; the layout is the published one, tests/priors/test_vposer.py)."""
    import torch

    from slahmr_opt.priors.vposer import VPoser

    gen = torch.Generator().manual_seed(0)
    model = VPoser("v1", num_neurons=64, latent_dim=32)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("running_var"):
                t.copy_(0.5 + torch.rand(t.shape, generator=gen))
            elif t.is_floating_point():
                t.copy_(0.1 * torch.randn(t.shape, generator=gen))
    model.source = "random (tests)"
    return model


def tiny_config(base: str = "slahmr", **overrides) -> SolverConfig:
    """A preset with very few iterations (tests check behaviour, not accuracy)."""
    small = {
        "root.iterations": 2,
        "root.optimizer.max_iter": 3,
        "smooth.iterations": 2,
        "smooth.optimizer.max_iter": 3,
        "motion.iterations": 2,
        "motion.optimizer.max_iter": 3,
    }
    small.update({k.replace("__", "."): v for k, v in overrides.items()})
    return apply_overrides(preset(base), small)
