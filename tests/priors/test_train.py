"""The training recipe's schedules and config overrides (library side; the procedural training
runs are tested in tests/apps/test_train_prior.py)."""

from __future__ import annotations

import pytest

from slahmr_opt.priors.train import TrainConfig, _kl_weight, _p_true, override_train_config


def test_schedules_follow_the_recipe():
    cfg = TrainConfig(epochs=200)
    assert _p_true(cfg, 0.0) == 1.0 and _p_true(cfg, 0.049) == 1.0
    assert _p_true(cfg, 0.075) == pytest.approx(0.55)
    assert _p_true(cfg, 0.0999) == pytest.approx(0.1, abs=1e-2)
    assert _p_true(cfg, 0.1) == 0.0 and _p_true(cfg, 0.9) == 0.0
    assert _kl_weight(cfg, 0.0) == 0.0
    assert _kl_weight(cfg, 0.125) == pytest.approx(2e-4)
    assert _kl_weight(cfg, 0.5) == pytest.approx(4e-4)
    with pytest.raises(ValueError, match="contacts"):
        TrainConfig(contacts="guess")
    with pytest.raises(ValueError, match="clip_frames"):
        TrainConfig(clip_frames=5)
    with pytest.raises(ValueError, match="input_noise_vel"):
        TrainConfig(input_noise_vel=-0.1)


def test_overrides_parse_each_field_type():
    base = TrainConfig()
    cfg = override_train_config(
        base,
        [
            "window=12",
            "lr=1e-3",
            "lr_milestones=0.3,0.6",
            "kinds=walk,jog",
            "model.encoder_widths=64,64",
            "model.normalized=false",
        ],
    )
    assert cfg.window == 12 and cfg.lr == 1e-3 and cfg.lr_milestones == (0.3, 0.6)
    assert cfg.kinds == ("walk", "jog")
    assert cfg.model.encoder_widths == (64, 64) and cfg.model.normalized is False
    assert cfg.batch_size == base.batch_size and base.window == 20  # a copy; the base is unchanged
    with pytest.raises(ValueError, match="--set model.normalized: expected a boolean"):
        override_train_config(base, ["model.normalized=maybe"])
    with pytest.raises(ValueError, match="--set model.width: unknown HumorConfig field"):
        override_train_config(base, ["model.width=3"])
    with pytest.raises(ValueError, match="kinds: expected a non-empty tuple"):
        TrainConfig(kinds=())
    with pytest.raises(ValueError, match="encoder_widths: expected positive multiples of groups"):
        override_train_config(base, ["model.encoder_widths=30"])
