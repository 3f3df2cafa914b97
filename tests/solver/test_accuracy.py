"""End-to-end accuracy on a synthetic scene (slow: 2 people × 300 frames)."""

from __future__ import annotations

import pytest

from slahmr_opt.eval.evaluate import evaluate_estimate
from slahmr_opt.solver.solve import solve
from slahmr_opt.solver.world_init import naive_composition
from tests.solver.helpers import body, scene

KEYS = ("w_mpjpe100", "wa_mpjpe100", "jitter")


@pytest.mark.slow
@pytest.mark.parametrize("camera", ["handheld", "orbit"])
def test_fast_pass_2_beats_the_naive_composition_and_recovers_alpha(camera):
    s, gt = scene("medium", camera=camera, frames=300, seed=1)
    result = solve(s, "fast", body(), until="smooth", progress=False)
    est = result.to_estimate("smooth")
    ours = evaluate_estimate(est.people, gt, body(), alpha=est.alpha, cameras=s.cameras).summary()
    for alpha in ("slam", "median"):
        people, a = naive_composition(s, body(), alpha=alpha)
        naive = evaluate_estimate(people, gt, body(), alpha=a, cameras=s.cameras).summary()
        for key in KEYS:
            assert ours[key] < naive[key], (alpha, key)
    assert ours["scale_error"] < 20.0
    assert result.timings["root"] + result.timings["smooth"] < 60.0
