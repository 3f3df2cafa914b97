"""Pass objectives: masks for asynchronous tracks, the cached root-pass body, profiled α."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from slahmr_opt.body.joint_maps import smpl_to_openpose
from slahmr_opt.solver.stages import PassObjective, build_pose_prior, profiled_alpha
from slahmr_opt.solver.variables import batch_scene, init_variables, solver_tracks, world_pelvis
from tests.solver.helpers import body, scene, tiny_config

D = torch.float64


def _setup(**overrides):
    s, gt = scene()
    cfg = tiny_config(dtype="float64", **overrides)
    b = copy.deepcopy(body()).double()
    data = batch_scene(s, solver_tracks(s), b, cfg.reprojection, dtype=D)
    v = init_variables(s, b, data, cfg.init, 1.3)
    return cfg, b, data, v


def test_frames_outside_a_track_contribute_nothing_and_get_no_gradient():
    cfg, b, data, v = _setup(smooth__weights__joints3d_accel=5.0)
    outside = ~data.mask
    assert outside.any()
    prior = build_pose_prior(cfg, data)
    obj = PassObjective(data, b, cfg, cfg.smooth, prior, v)
    base = {k: float(x) for k, x in obj.terms(v).items()}
    assert set(base) == {
        "joints2d",
        "joints3d_smooth",
        "joints3d_accel",
        "pose_prior",
        "shape_prior",
    }
    with torch.no_grad():  # garbage on the frames outside the tracks
        for t in (v.root_orient, v.trans, v.body_pose):
            t[outside] = t[outside] + 3.0
    for k, x in obj.terms(v).items():
        assert float(x) == pytest.approx(base[k], rel=1e-12), k
    for t in v.tensors().values():
        t.requires_grad_(True)
    sum(obj.terms(v).values()).backward()
    for t in (v.root_orient, v.trans, v.body_pose):
        assert torch.all(t.grad[outside] == 0)
        assert torch.any(t.grad[data.mask] != 0)


def test_root_pass_caches_the_body_without_changing_the_energy():
    cfg, b, data, v = _setup()
    cached = PassObjective(data, b, cfg, cfg.root, None, v)
    assert cached._local is not None
    free_pose = tiny_config(root__free="root_orient,trans,body_pose").root
    fresh = PassObjective(data, b, cfg, free_pose, None, v)
    assert fresh._local is None
    a, c = cached.terms(v), fresh.terms(v)
    for k in a:
        assert float(a[k]) == pytest.approx(float(c[k]), rel=1e-12)


def test_world_keypoints_equal_the_body_model():
    cfg, b, data, v = _setup()
    obj = PassObjective(data, b, cfg, cfg.smooth, None, v)
    points, per_alpha = obj.world_keypoints(v)
    assert per_alpha is None  # world-frame translation: α only enters the projection
    j0 = b.joint_template(v.betas)[:, 0]
    transl = world_pelvis(v, data, j0) - j0[:, None]
    joints, landmarks = b.keypoints(v.root_orient, v.body_pose, v.betas[:, None], transl)
    torch.testing.assert_close(points[..., :22, :], joints[..., :22, :])
    expected = smpl_to_openpose(joints, landmarks, hip_adjust=True)
    torch.testing.assert_close(obj.body25(points), expected)


def test_profiled_alpha_is_the_minimiser():
    cfg, b, data, v = _setup(
        init__trans_frame="camera",
        init__alpha_update="profile",
        init__alpha_space="log",
        smooth__weights__joints3d_accel=100.0,
    )
    obj = PassObjective(data, b, cfg, cfg.smooth, build_pose_prior(cfg, data), v, True)
    terms = obj.terms(v)
    best = float(v.alpha[0])
    total = float(sum(terms.values()))
    # the profiled objective is the minimum over α: moving α away can only increase it
    plain = PassObjective(data, b, cfg, cfg.smooth, build_pose_prior(cfg, data), v, False)
    for factor in (0.9, 0.99, 1.01, 1.1):
        with torch.no_grad():
            v.log_alpha.fill_(math.log(best * factor))
        assert float(sum(plain.terms(v).values())) > total
    with torch.no_grad():
        v.log_alpha.fill_(math.log(best))
    assert float(sum(plain.terms(v).values())) == pytest.approx(total, rel=1e-12)


def test_profiled_alpha_closed_form_on_a_toy_problem():
    # one person, one joint: J_t(α) = u_t + α v_t with u = (0, 0, 4, ...), v = (0, 1, 2, ...)
    u = torch.tensor([0.0, 0.0, 4.0, 0.0], dtype=D)
    v = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=D)
    joints0 = torch.zeros(1, 4, 1, 3, dtype=D)
    joints0[0, :, 0, 0] = u
    per_alpha = torch.zeros(4, 3, dtype=D)
    per_alpha[:, 0] = v
    mask = torch.ones(1, 4, dtype=torch.bool)
    # velocity only: Δu = (0, 4, −4), Δv = (1, 1, 1): α* = −Σ Δu Δv / Σ Δv² = 0 → clamped
    a = profiled_alpha(joints0, per_alpha, mask, 1.0, 0.0, torch.ones(1, dtype=D), 1e-3)
    assert float(a) == pytest.approx(1e-3)
    # shift u so that α* is positive: u = −2 v gives α* = 2
    joints0[0, :, 0, 0] = -2.0 * v
    a = profiled_alpha(joints0, per_alpha, mask, 1.0, 0.0, torch.ones(1, dtype=D), 1e-3)
    assert float(a) == pytest.approx(2.0)
    # no camera motion: α is not determined and stays as it was
    a = profiled_alpha(joints0, per_alpha * 0, mask, 1.0, 1.0, torch.full((1,), 0.7, dtype=D), 1e-3)
    assert float(a) == pytest.approx(0.7)
