"""Notebook manners of the data classes: one short line with shapes; joints and evaluation on
estimates."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import slahmr_opt
from slahmr_opt.config import preset
from slahmr_opt.reprs import describe
from slahmr_opt.result import WorldEstimate
from slahmr_opt.synth.scene import make_scene


@pytest.fixture(scope="module")
def scene_gt():
    return make_scene(num_people=2, num_frames=40, preset="easy", camera="orbit", seed=5)


def test_reprs_are_one_short_line_with_shapes(scene_gt):
    scene, gt = scene_gt
    for obj in (scene, gt, scene.tracks[0], scene.cameras, gt.people[0], preset("fast")):
        text = repr(obj)
        assert "\n" not in text and len(text) < 600, (type(obj).__name__, len(text))
        assert text.startswith(type(obj).__name__ + "(")
    assert "keypoints=float" in repr(scene.tracks[0]) and "(40, 25, 3)" in repr(scene.tracks[0])
    assert "tracks=[2 × Track]" in repr(scene)
    assert repr(preset("fast")).count("(…)") >= 3  # nested sections summarised, not expanded


def test_describe_each_kind_of_value():
    assert describe(np.zeros((3, 4), np.float32)) == "float32(3, 4)"
    assert describe(torch.zeros(2, 3)) == "tensor float32(2, 3)"
    assert describe(np.float64(0.5)) == "float64 0.5"
    assert describe(list(range(100))) == "[100 × int]"
    assert describe({"a": 1, "b": 2}) == "{2 keys: a, b}"
    assert describe("x" * 200).endswith("...'") and len(describe("x" * 200)) < 70
    assert describe((1,)) == "(1,)"


def test_joints_in_world_and_floor_frames_and_evaluate(scene_gt):
    scene, gt = scene_gt
    truth = WorldEstimate(
        people=gt.people,
        alpha=gt.alpha,
        cameras=scene.cameras,
        fps=gt.fps,
        floor=(gt.floor_normal, gt.floor_offset),
        method="truth",
    )
    world = truth.joints()
    floor = truth.joints(frame="floor")
    for track_id, joints in world.items():
        assert joints.shape == (gt.person(track_id).num_frames, 24, 3)
        height = joints @ gt.floor_normal - gt.floor_offset  # above the floor plane
        np.testing.assert_allclose(floor[track_id][..., 2], height, atol=1e-9)
        feet = floor[track_id][:, [7, 8, 10, 11], 2]  # ankles and feet
        assert 0.0 < feet.min() < 0.15  # standing on the floor
    report = truth.evaluate(gt)
    assert report.summary()["wa_mpjpe100"] < 1e-3  # the truth against itself
    assert report.summary()["scale_error"] == pytest.approx(0.0, abs=1e-9)
    no_floor = WorldEstimate(people=gt.people, alpha=1.0, cameras=scene.cameras, fps=gt.fps)
    with pytest.raises(ValueError, match="has no floor"):
        no_floor.joints(frame="floor")
    with pytest.raises(ValueError, match="frame must be one of"):
        truth.joints(frame="camera")


def test_the_public_api_loads_on_first_use():
    assert "solve" in dir(slahmr_opt) and callable(slahmr_opt.solve)
    assert slahmr_opt.Scene.__name__ == "Scene" and isinstance(slahmr_opt.__version__, str)
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        slahmr_opt.nonexistent  # noqa: B018
