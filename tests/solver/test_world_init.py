"""World initialisation / naive composition on synthetic scenes with known truth."""

from __future__ import annotations

import numpy as np
import pytest

from slahmr_opt.body import BodyModel
from slahmr_opt.eval.evaluate import evaluate_estimate, pose_person
from slahmr_opt.solver.world_init import (
    alpha_from_median_displacement,
    naive_composition,
    track_to_world,
)
from slahmr_opt.synth.scene import make_scene


@pytest.fixture(scope="module")
def body() -> BodyModel:
    return BodyModel.standin()


@pytest.fixture(scope="module")
def perfect(body):
    return make_scene(num_people=2, num_frames=40, preset="none", camera="orbit", seed=1, body=body)


def test_noiseless_world_init_returns_the_truth(perfect, body):
    scene, gt = perfect
    for truth in gt.people:
        est = track_to_world(scene.track(truth.track_id), scene, body, alpha=gt.alpha)
        sel = np.searchsorted(est.frames, truth.frames)
        pj = pose_person(est, body)["joints"][sel]
        gj = pose_person(truth, body)["joints"]
        assert np.abs(pj - gj).max() < 1e-3  # < 1 mm


def test_wrong_alpha_moves_people_with_the_camera(perfect, body):
    scene, gt = perfect
    truth = gt.people[0]
    est = track_to_world(scene.track(truth.track_id), scene, body, alpha=2.0 * gt.alpha)
    err = np.abs(pose_person(est, body)["joints"] - pose_person(truth, body)["joints"]).max()
    assert err > 0.05


def test_median_alpha_recovers_scale_on_noiseless_scene(perfect, body):
    scene, gt = perfect
    alpha = alpha_from_median_displacement(scene, body)
    # People walk, so the heuristic is biased, but with an orbiting camera it lands near the truth.
    assert 0.3 * gt.alpha < alpha < 3.0 * gt.alpha


def test_naive_composition_options(perfect, body):
    scene, gt = perfect
    people, alpha = naive_composition(scene, body, alpha="slam")
    assert alpha == 1.0 and len(people) == len(scene.tracks)
    _, alpha = naive_composition(scene, body, alpha=gt.alpha)
    assert alpha == gt.alpha
    with pytest.raises(ValueError, match="alpha"):
        naive_composition(scene, body, alpha="nonsense")


def test_evaluation_of_truth_is_zero_and_of_naive_is_not(perfect, body):
    scene, gt = perfect
    report = evaluate_estimate(gt.people, gt, body, alpha=gt.alpha, cameras=gt.cameras)
    s = report.summary()
    for key in (
        "wa_mpjpe100",
        "w_mpjpe100",
        "rte",
        "mpjpe",
        "pa_mpjpe",
        "accel_error",
        "scale_error",
    ):
        assert s[key] < 1e-6, key
    people, alpha = naive_composition(scene, body, alpha="slam")
    bad = evaluate_estimate(people, gt, body, alpha=alpha, cameras=scene.cameras).summary()
    assert bad["rte"] > 0.5 and bad["scale_error"] > 1.0
