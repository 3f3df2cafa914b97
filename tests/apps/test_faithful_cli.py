"""CLI of the faithful preset: ``run --vposer / --num-betas`` and ``bench-slahmr``."""

from __future__ import annotations

import json

from slahmr_opt.cli import main
from tests.priors.test_vposer import V1_SHAPES, random_state, write_v1


def _synth(tmp_path, frames=20):
    scene = tmp_path / "scene"
    argv = ["synth", "--preset", "easy", "--people", "1", "--frames", str(frames)]
    assert main([*argv, "--camera", "orbit", "--seed", "1", "--out", str(scene)]) == 0
    return scene


def _log_text(result):
    """The run's log (``RESULT/logs/run-<time>.log``)."""
    return "".join(p.read_text() for p in sorted((result / "logs").glob("run-*.log")))


def test_run_with_the_users_vposer_and_betas(tmp_path, capsys):
    scene = _synth(tmp_path)
    vposer = tmp_path / "vposer_v1_0"
    write_v1(vposer, random_state(V1_SHAPES, 0))
    out = tmp_path / "run"
    argv = ["run", str(scene), "--out", str(out), "--preset", "slahmr", "--until", "smooth"]
    argv += ["--set", "root.iterations=1", "--set", "smooth.iterations=1"]
    assert main([*argv, "--vposer", str(vposer), "--num-betas", "10"]) == 0
    log = _log_text(out)
    assert "VPoser v1" in log and "TR00_E096.pt" in log
    capsys.readouterr()
    # without --vposer the preset falls back and the log says so
    out2 = tmp_path / "run2"
    assert main(["run", str(scene), "--out", str(out2), *argv[4:]]) == 0
    assert "VPoser not given" in _log_text(out2)
    # bad paths and sizes are clear errors
    assert main([*argv, "--vposer", str(tmp_path / "missing")]) == 2
    assert "no such VPoser" in capsys.readouterr().err
    assert main([*argv, "--num-betas", "16"]) == 2
    assert "num_betas=16" in capsys.readouterr().err


def test_bench_slahmr_prints_and_writes_per_closure_costs(tmp_path, capsys):
    out = tmp_path / "speed.json"
    argv = ["bench-slahmr", "--frames", "12", "--people", "1", "--closures-only"]
    assert main([*argv, "--repeats", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "original code" in printed and "motion H=12" in printed
    report = json.loads(out.read_text())
    for label in ("shipped", "original_sizes"):
        costs = report["closure"][label]
        assert set(costs) == {"root", "smooth", "motion_h10", "motion_h12"}
        assert all(v["cpu_s"] > 0 for v in costs.values())
    assert report["original"]["motion"]["closure_s_hT"] == 4.01
