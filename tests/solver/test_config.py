"""Presets, overrides, validation and the JSON round trip of the solver config."""

from __future__ import annotations

import json

import pytest

from slahmr_opt.config import (
    SolverConfig,
    apply_overrides,
    config_from_dict,
    leaf_paths,
    parse_overrides,
    preset,
)


def test_slahmr_preset_is_the_original_schedule():
    cfg = preset("slahmr")
    for name in ("root", "smooth"):
        opt = cfg.pass_config(name).optimizer
        assert (opt.lr, opt.max_iter, opt.line_search) == (1.0, 20, "strong_wolfe")
        assert opt.max_eval == 0 and opt.history_size == 100  # PyTorch defaults
    assert cfg.root.iterations == 30 and cfg.smooth.iterations == 60
    assert set(cfg.root.free) == {"root_orient", "trans"}
    assert set(cfg.smooth.free) == {"root_orient", "trans", "body_pose", "betas", "alpha"}
    assert cfg.root.weights.joints2d == cfg.smooth.weights.joints2d == 0.001
    assert cfg.root.weights.joints3d_smooth == 1.0 and cfg.smooth.weights.joints3d_smooth == 10.0
    assert cfg.smooth.weights.pose_prior == 0.04 and cfg.smooth.weights.shape_prior == 0.05
    assert cfg.root.weights.joints3d_accel == cfg.smooth.weights.joints3d_accel == 0.0
    assert cfg.reprojection.sigma == 100.0 and cfg.reprojection.conf_threshold == 0.4
    assert cfg.reprojection.ignore_joints == (1,) and cfg.reprojection.hip_adjust
    assert cfg.init.alpha == "one" and cfg.init.trans_frame == "world"


def test_fast_preset_differs_in_schedule_not_in_the_2d_model():
    slow, fast = preset("slahmr"), preset("fast")
    assert fast.reprojection == slow.reprojection
    assert fast.smooth.weights.joints2d == slow.smooth.weights.joints2d
    assert fast.root.iterations < slow.root.iterations
    assert fast.smooth.iterations < slow.smooth.iterations
    assert fast.init.trans_frame == "camera"


def test_unknown_preset():
    with pytest.raises(ValueError, match="preset"):
        preset("nope")


def test_parse_and_apply_overrides():
    ov = parse_overrides(
        [
            "smooth.iterations=30",
            "smooth.optimizer.lr = 0.5",
            "reprojection.hip_adjust=false",
            "root.free=root_orient,trans,alpha",
            "init.alpha=2.5",
            "reprojection.ignore_joints=",
        ]
    )
    base = preset("slahmr")
    cfg = apply_overrides(base, ov)
    assert cfg.smooth.iterations == 30 and cfg.smooth.optimizer.lr == 0.5
    assert cfg.reprojection.hip_adjust is False
    assert cfg.root.free == ("root_orient", "trans", "alpha")
    assert cfg.init.alpha == 2.5
    assert cfg.reprojection.ignore_joints == ()
    assert base.smooth.iterations == 60  # the base is not modified
    assert apply_overrides(base, {"init.alpha": "median"}).init.alpha == "median"


@pytest.mark.parametrize(
    "item, match",
    [
        ("smooth.iterations", "section.field=value"),
        ("=3", "empty"),
    ],
)
def test_parse_errors(item, match):
    with pytest.raises(ValueError, match=match):
        parse_overrides([item])


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"smooth.iterationz": "3"}, "unknown config field"),
        ({"smooth": "3"}, "section"),
        ({"smooth.iterations": "three"}, "integer"),
        ({"smooth.iterations": "-1"}, "smooth.iterations"),
        ({"smooth.free": "root_orient,wings"}, "smooth.free"),
        ({"reprojection.hip_adjust": "maybe"}, "true or false"),
        ({"init.alpha": "huge"}, "init.alpha"),
        ({"init.alpha": "-1"}, "init.alpha"),
        ({"init.alpha_update": "profile"}, "trans_frame"),
        ({"smooth.optimizer.line_search": "armijo"}, "line_search"),
        ({"nan.lr_factor": "1.5"}, "lr_factor"),
        ({"dtype": "float16"}, "dtype"),
    ],
)
def test_bad_overrides_name_the_field(overrides, match):
    with pytest.raises(ValueError, match=match):
        apply_overrides(preset("slahmr"), overrides)


@pytest.mark.parametrize("name", ["slahmr", "fast"])
def test_json_round_trip(name):
    cfg = preset(name)
    text = cfg.to_json()
    back = config_from_dict(json.loads(text))
    assert isinstance(back, SolverConfig)
    assert back == cfg
    assert leaf_paths(back) == leaf_paths(cfg)


def test_config_from_dict_rejects_unknown_keys():
    data = preset("slahmr").to_dict()
    data["root"]["wings"] = 2
    with pytest.raises(ValueError, match="wings"):
        config_from_dict(data)
