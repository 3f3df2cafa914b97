"""Pass 3 (solver/motion.py): velocities, both parameterisations, gradients, errors (the
schedule: test_schedule.py)."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
import torch

from slahmr_opt.priors import load_default_prior
from slahmr_opt.solver.motion import MotionProblem, masked_velocity
from slahmr_opt.solver.solve import solve
from slahmr_opt.solver.variables import batch_scene, init_variables, variables_to_people
from tests.solver.helpers import body, scene, tiny_config


def test_masked_velocity_is_the_slope_with_one_sided_ends():
    t = torch.arange(6, dtype=torch.float64)
    x = (2.0 * t + 1.0)[None, :, None].repeat(1, 1, 3)
    mask = torch.tensor([[False, True, True, True, True, False]])
    v = masked_velocity(x, mask, fps=30.0)
    np.testing.assert_allclose(v[0, 1:5].numpy(), 60.0)
    assert torch.all(v[0, [0, 5]] == 0)
    lonely = torch.tensor([[True, False, True, False, False, False]])
    assert torch.all(masked_velocity(x, lonely, 30.0) == 0)


@functools.lru_cache(maxsize=2)
def _setup(method: str):
    s, gt = scene()
    cfg = tiny_config()
    if method == "collocation":
        cfg = dataclasses.replace(
            cfg,
            motion=dataclasses.replace(
                cfg.motion, method="collocation", free=("motion", "betas", "floor")
            ),
        )
    b = body().to(dtype=torch.float32)
    data = batch_scene(s, s.track_ids, b, cfg.reprojection)
    variables = init_variables(s, b, data, cfg.init, 1.5)
    problem = MotionProblem(data, b, cfg, cfg.motion, load_default_prior(), variables, s.fps)
    return s, data, variables, problem


@pytest.mark.parametrize("method", ["rollout", "collocation"])
def test_motion_starts_where_pass_2_ended(method):
    s, data, variables, problem = _setup(method)
    before = variables_to_people(variables, data, body())
    with torch.no_grad():
        out = problem.evaluate(2 if method == "rollout" else None)
    for b, person in enumerate(before):
        frames = 2 if method == "rollout" else person.num_frames
        n = min(frames, person.num_frames)
        got = out.transl[b, :n].double().numpy()
        want = person.transl[:n]
        tol = 1e-4 if method == "collocation" else 1e-4
        np.testing.assert_allclose(got[:1], want[:1], atol=tol)  # the initial state is exact
        if method == "collocation":
            np.testing.assert_allclose(got, want, atol=tol)
            np.testing.assert_allclose(
                out.root_orient[b, :n].double().numpy(), person.global_orient[:n], atol=1e-4
            )
    assert out.contacts.shape == (*out.mask.shape, 9)
    assert torch.all((out.contacts >= 0) & (out.contacts <= 1))


@pytest.mark.parametrize("method", ["rollout", "collocation"])
def test_floor_and_alpha_receive_gradients(method):
    s, data, variables, problem = _setup(method)
    v = problem.variables
    for k in ("floor", "alpha"):
        v[k].requires_grad_(True)
        v[k].grad = None
    try:
        terms = problem.evaluate(10 if method == "rollout" else None).terms
        total = sum(terms.values())
        total.backward()
        assert torch.isfinite(total)
        assert v["floor"].grad is not None and v["floor"].grad.abs().sum() > 0
        assert v["alpha"].grad is not None and v["alpha"].grad.abs().sum() > 0
        assert {"contact_height", "contact_vel", "motion_prior"} <= set(terms)
    finally:
        for k in ("floor", "alpha"):
            v[k].requires_grad_(False)
            v[k].grad = None


def test_static_cameras_do_not_free_alpha():
    s, _ = scene(camera="static")
    result = solve(s, tiny_config(), body(), progress=False)
    assert result.alpha == 1.0 and not result.alpha_optimized


def test_a_scene_at_another_fps_is_refused_before_any_work():
    s, _ = scene()
    other = dataclasses.replace(s, fps=25.0)
    with pytest.raises(ValueError, match="25 fps|fps is 25"):
        solve(other, tiny_config(), body(), progress=False)
    # stopping before pass 3 works at any fps
    assert solve(other, tiny_config(), body(), until="smooth", progress=False).last_pass == "smooth"


def test_fast_preset_motion_pass_improves_its_energy():
    s, _ = scene(frames=30)
    cfg = tiny_config("fast", motion__iterations=3)
    result = solve(s, cfg, body(), progress=False)
    hist = result.passes["motion"].history["total"]
    assert hist[-1] < hist[0]
    assert result.passes["motion"].floor is not None
    n, d = result.floor
    assert abs(np.linalg.norm(n) - 1) < 1e-9
