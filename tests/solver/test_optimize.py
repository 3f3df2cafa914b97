"""The LBFGS loop: resume after an interruption, the NaN policy, energy history."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from slahmr_opt.solver.optimize import SolverHooks, load_checkpoint
from slahmr_opt.solver.solve import solve
from tests.solver.helpers import body, scene, tiny_config


class Interrupted(Exception):
    pass


def _same_people(a, b):
    for x, y in zip(a.people, b.people, strict=True):
        for name in ("global_orient", "body_pose", "betas", "transl"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name))
    assert a.alpha == b.alpha


def _interrupt_at(pass_name: str, step: int) -> SolverHooks:
    def after(name, k):
        if name == pass_name and k == step:
            raise Interrupted

    return SolverHooks(after_step=after)


@pytest.mark.parametrize("where", [("root", 1), ("smooth", 2), ("motion", 2)])
def test_resume_after_an_interruption_equals_an_uninterrupted_run(tmp_path, where):
    s, _ = scene()
    cfg = tiny_config(smooth__iterations=4, motion__iterations=4)
    straight = solve(s, cfg, body(), progress=False)
    with pytest.raises(Interrupted):
        solve(s, cfg, body(), progress=False, checkpoint_dir=tmp_path, hooks=_interrupt_at(*where))
    resumed = solve(s, cfg, body(), progress=False, checkpoint_dir=tmp_path)
    assert resumed.passes[where[0]].resumed_from == where[1]
    _same_people(straight, resumed)
    for name in ("root", "smooth", "motion"):
        assert resumed.passes[name].history == straight.passes[name].history
        assert resumed.passes[name].closures == straight.passes[name].closures
    # a third run finds both passes complete and recomputes nothing
    again = solve(s, cfg, body(), progress=False, checkpoint_dir=tmp_path)
    assert again.passes["smooth"].resumed_from == straight.passes["smooth"].steps
    assert again.passes["motion"].resumed_from == straight.passes["motion"].steps
    _same_people(straight, again)
    np.testing.assert_array_equal(again.floor[0], straight.floor[0])


def test_checkpoint_of_other_settings_is_not_resumed(tmp_path, caplog):
    s, _ = scene()
    cfg = tiny_config()
    solve(s, cfg, body(), progress=False, checkpoint_dir=tmp_path)
    other = tiny_config(smooth__weights__joints2d=0.002)
    with caplog.at_level(logging.WARNING):
        result = solve(s, other, body(), progress=False, checkpoint_dir=tmp_path)
    assert result.passes["root"].resumed_from == cfg.root.iterations  # root unchanged: reused
    assert result.passes["smooth"].resumed_from is None
    assert "other inputs or settings" in caplog.text
    _same_people(result, solve(s, other, body(), progress=False))


def test_checkpoint_files_and_fingerprint(tmp_path):
    s, _ = scene()
    solve(s, tiny_config(), body(), progress=False, checkpoint_dir=tmp_path, until="root")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["root.ckpt"]
    assert load_checkpoint(tmp_path / "root.ckpt", "not-it", "cpu") is None
    (tmp_path / "root.ckpt").write_bytes(b"garbage")
    assert load_checkpoint(tmp_path / "root.ckpt", "any", "cpu") is None


def test_a_transient_nan_restores_halves_the_step_and_continues(caplog):
    s, _ = scene()
    cfg = tiny_config(smooth__iterations=3)
    calls = {"n": 0}

    def on_energy(name, step, total):
        if name == "smooth" and step == 1 and calls["n"] == 0:
            calls["n"] += 1
            return total * float("nan")
        return total

    with caplog.at_level(logging.WARNING):
        result = solve(s, cfg, body(), progress=False, hooks=SolverHooks(on_energy=on_energy))
    p = result.passes["smooth"]
    assert p.stop_reason == "completed" and p.steps == 3
    assert p.lr == pytest.approx(cfg.smooth.optimizer.lr * cfg.nan.lr_factor)
    assert len(result.events) == 1 and result.events[0]["step"] == 1
    assert result.events[0]["pass"] == "smooth" and "lr" in result.events[0]["action"]
    assert "energy is nan" in caplog.text
    for person in result.people:
        assert np.all(np.isfinite(person.transl))
    assert len(p.history["total"]) == p.steps + 1


def test_a_persistent_nan_stops_the_pass_at_the_last_good_state():
    s, _ = scene()
    cfg = tiny_config(smooth__iterations=4, nan__max_failures=2)

    def on_energy(name, step, total):
        return total * float("nan") if name == "smooth" and step == 2 else total

    reference = solve(s, tiny_config(smooth__iterations=2), body(), progress=False)
    result = solve(s, cfg, body(), progress=False, hooks=SolverHooks(on_energy=on_energy))
    p = result.passes["smooth"]
    assert p.stop_reason == "non-finite" and p.steps == 2
    assert len(p.events) == cfg.nan.max_failures + 1
    assert "stopped" in p.events[-1]["action"]
    _same_people(reference, result)  # the state after the last good step


def test_non_finite_gradient_is_caught():
    s, _ = scene()

    def on_energy(name, step, total):
        if name == "root" and step == 0:
            # value unchanged (0 · √0), gradient 0 · ∞ = NaN
            return total + 0.0 * torch.sqrt(total - total.detach())
        return total

    result = solve(s, tiny_config(), body(), progress=False, hooks=SolverHooks(on_energy=on_energy))
    assert any("gradient" in e["detail"] for e in result.events)


def test_history_holds_every_term_and_the_total():
    s, _ = scene()
    result = solve(s, tiny_config(), body(), progress=False)
    h = result.passes["smooth"].history
    assert set(h) == {"joints2d", "joints3d_smooth", "pose_prior", "shape_prior", "total"}
    for i in range(len(h["total"])):
        parts = sum(h[k][i] for k in h if k != "total")
        assert h["total"][i] == pytest.approx(parts, rel=1e-9)
    assert h["total"][-1] < h["total"][0]
    assert set(result.passes["root"].history) == {"joints2d", "joints3d_smooth", "total"}
