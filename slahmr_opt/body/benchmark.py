"""Timing of the three body-model evaluation paths (joints, landmarks, full mesh)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import torch

from slahmr_opt.body.model import BodyModel


@dataclass(frozen=True)
class PathTiming:
    """Seconds per 1000 evaluated frames for one evaluation path.

    Attributes:
        path: ``"joints"``, ``"joints+landmarks"`` or ``"mesh"``.
        forward_s: forward only, seconds per 1000 frames.
        forward_backward_s: forward plus backward of a scalar loss, seconds per 1000 frames.
    """

    path: str
    forward_s: float
    forward_backward_s: float


def time_body_paths(
    body: BodyModel, frames: int = 1000, repeats: int = 3, seed: int = 0
) -> list[PathTiming]:
    """Time the joints, joints+landmarks and mesh paths on ``frames`` random poses.

    Each number is the best of ``repeats`` runs (least disturbed by other load), scaled to
    1000 frames.

    Args:
        body: the body model.
        frames: batch size N of one evaluation (poses are (N, 3) + (N, K, 3)).
        repeats: timed runs per number, the minimum is kept.
        seed: seed of the random poses.

    Returns:
        one :class:`PathTiming` per path.
    """
    g = torch.Generator().manual_seed(seed)
    go = torch.randn(frames, 3, generator=g) * 0.5
    bp = torch.randn(frames, body.num_body_joints, 3, generator=g) * 0.3
    betas = torch.randn(frames, body.num_betas, generator=g)
    transl = torch.randn(frames, 3, generator=g)
    paths = {
        "joints": dict(joints=True),
        "joints+landmarks": dict(joints=True, landmarks=True),
        "mesh": dict(joints=False, vertices=True),
    }
    scale = 1000.0 / frames
    results = []
    for name, flags in paths.items():

        def run(backward: bool, flags=flags) -> float:
            inputs = [x.clone().requires_grad_(backward) for x in (go, bp, betas, transl)]
            start = time.perf_counter()
            out = body(*inputs, **flags)
            loss = sum(
                x.square().sum() for x in (out.joints, out.landmarks, out.vertices) if x is not None
            )
            if backward:
                loss.backward()
            return time.perf_counter() - start

        run(True)  # warm-up
        fwd = min(run(False) for _ in range(repeats)) if repeats else run(False)
        fb = min(run(True) for _ in range(repeats)) if repeats else run(True)
        results.append(PathTiming(name, fwd * scale, fb * scale))
    return results


def timings_to_dict(timings: list[PathTiming]) -> list[dict]:
    """JSON-ready form of :func:`time_body_paths`'s result."""
    return [asdict(t) for t in timings]
