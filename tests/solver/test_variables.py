"""Batched observations, masks and the world initialisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from slahmr_opt.config import InitConfig, ReprojectionConfig
from slahmr_opt.eval.evaluate import pose_person
from slahmr_opt.solver.solve import solve
from slahmr_opt.solver.variables import (
    batch_scene,
    init_variables,
    initial_alpha,
    solver_tracks,
    variables_to_people,
)
from tests.solver.helpers import body, scene, tiny_config


def test_batch_masks_follow_the_track_intervals():
    s, _ = scene()
    data = batch_scene(s, solver_tracks(s), body(), ReprojectionConfig())
    assert data.num_people == 2 and data.frame0 == 0 and data.num_frames == s.num_frames
    for b, track in enumerate(s.tracks):
        expected = np.zeros(s.num_frames, dtype=bool)
        expected[track.start : track.end] = True
        assert data.mask[b].numpy().tolist() == expected.tolist()
        outside = ~data.mask[b]
        assert torch.all(data.weights[b][outside] == 0)
        conf = torch.as_tensor(track.keypoints[..., 2], dtype=data.weights.dtype)
        inside = data.weights[b, track.start : track.end]
        expected_w = torch.where(conf < 0.4, torch.zeros_like(conf), conf**2)
        expected_w[:, 1] = 0.0  # the neck is ignored
        torch.testing.assert_close(inside, expected_w)
    assert s.tracks[1].start > 0  # the helper scene has an asynchronous second track


@pytest.mark.parametrize("trans_frame", ["world", "camera"])
def test_noiseless_world_init_returns_the_truth(trans_frame):
    s, gt = scene("none", frames=20, seed=3)
    cfg = tiny_config(
        init__alpha=gt.alpha,
        init__trans_frame=trans_frame,
        init__betas="estimate",
        init__camera_shift="none",
        dtype="float64",
    )
    result = solve(s, cfg, body(), until="init", progress=False)
    assert list(result.passes) == ["init"]
    assert result.alpha == pytest.approx(gt.alpha)
    for truth in gt.people:
        est = next(p for p in result.people if p.track_id == truth.track_id)
        track = s.track(truth.track_id)
        # frames with an estimate (others are interpolated, hence not exact)
        frames = np.intersect1d(track.frames[track.smpl_observed], truth.frames)
        assert frames.size > 10
        e = pose_person(est, body())["joints"][np.searchsorted(est.frames, frames)]
        g = pose_person(truth, body())["joints"][np.searchsorted(truth.frames, frames)]
        assert np.abs(e - g).max() < 1e-3  # < 1 mm
        np.testing.assert_allclose(est.betas[: truth.betas.size], truth.betas, atol=1e-6)


def test_init_with_zero_betas_keeps_the_pelvis():
    s, _ = scene()
    data = batch_scene(s, solver_tracks(s), body(), ReprojectionConfig(), dtype=torch.float64)
    a = init_variables(s, body(), data, InitConfig(betas="estimate"), 1.0)
    z = init_variables(s, body(), data, InitConfig(betas="zero"), 1.0)
    assert torch.all(z.betas == 0) and torch.any(a.betas != 0)
    pa = variables_to_people(a, data, body())
    pz = variables_to_people(z, data, body())
    for x, y in zip(pa, pz, strict=True):
        jx = pose_person(x, body())["joints"][:, 0]
        jy = pose_person(y, body())["joints"][:, 0]
        np.testing.assert_allclose(jx, jy, atol=1e-6)


def test_world_and_camera_parameterisations_describe_the_same_bodies():
    s, _ = scene()
    data = batch_scene(s, solver_tracks(s), body(), ReprojectionConfig(), dtype=torch.float64)
    w = init_variables(s, body(), data, InitConfig(trans_frame="world"), 1.7)
    c = init_variables(s, body(), data, InitConfig(trans_frame="camera"), 1.7)
    assert not torch.allclose(w.trans, c.trans)
    people_w = variables_to_people(w, data, body())
    people_c = variables_to_people(c, data, body())
    for x, y in zip(people_w, people_c, strict=True):
        np.testing.assert_allclose(x.transl, y.transl, atol=1e-9)
        assert x.frames.tolist() == s.track(x.track_id).frames.tolist()


def test_initial_alpha_choices():
    s, _ = scene()
    assert initial_alpha(s, body(), InitConfig(alpha="one")) == 1.0
    assert initial_alpha(s, body(), InitConfig(alpha=2.5)) == 2.5
    assert initial_alpha(s, body(), InitConfig(alpha="median")) > 0
    static, _ = scene(camera="static")
    assert static.cameras.is_static
    assert initial_alpha(static, body(), InitConfig(alpha=2.5)) == 1.0


def test_no_track_with_smpl_is_an_error():
    s, _ = scene()
    with pytest.raises(ValueError, match="no track"):
        batch_scene(s, [], body(), ReprojectionConfig())
