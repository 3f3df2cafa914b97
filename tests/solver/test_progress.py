"""The per-pass progress bar shows the state each step accepted (world scale α included)."""

from __future__ import annotations

import pytest

import slahmr_opt.solver.optimize as optimize
from slahmr_opt.solver.solve import solve
from tests.solver.helpers import body, scene, tiny_config


class Recorder:
    """Stands in for tqdm: remembers the postfix on screen after every update."""

    shown: list[dict] = []

    def __init__(self, *args, **kwargs) -> None:
        self.postfix: dict = {}

    def set_postfix(self, values, refresh=True) -> None:
        self.postfix = dict(values)

    def update(self, n=1) -> None:  # tqdm refreshes the line here
        Recorder.shown.append(dict(self.postfix))

    def close(self) -> None:
        pass


def test_the_bar_shows_the_accepted_alpha_of_each_step(monkeypatch):
    monkeypatch.setattr(optimize, "tqdm", Recorder)
    Recorder.shown = []
    s, _ = scene()
    result = solve(s, tiny_config(), body(), until="root", progress=True)
    root = result.passes["root"]
    assert len(Recorder.shown) == root.steps > 0
    last = Recorder.shown[-1]
    assert float(last["α"]) == pytest.approx(root.alpha, rel=1e-3)
    assert float(last["E"]) == pytest.approx(root.history["total"][-1], rel=1e-3)
    for k, shown in enumerate(Recorder.shown, start=1):  # every step: that step's energy
        assert float(shown["E"]) == pytest.approx(root.history["total"][k], rel=1e-3)
