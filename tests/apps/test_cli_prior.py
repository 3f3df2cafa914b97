"""`slahmr-opt train-prior` and `slahmr-opt eval-prior` end to end on tiny settings (seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from slahmr_opt.cli import main
from slahmr_opt.priors import load_prior
from slahmr_opt.priors.train import TrainConfig


def epochs_logged(folder: Path) -> list[int]:
    lines = (folder / "train_log.jsonl").read_text().splitlines()
    return [json.loads(line)["epoch"] for line in lines]


@pytest.fixture(scope="module")
def tiny_prior(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli_prior") / "prior"
    assert main(["train-prior", "--out", str(out), "--tiny"]) == 0
    return out


def test_train_prior_tiny_writes_a_prior_folder(tiny_prior, capsys):
    names = {p.name for p in tiny_prior.iterdir()}
    assert names == {"humor_prior.pt", "prior_gmm.npz", "config.json", "train_log.jsonl"}
    cfg = json.loads((tiny_prior / "config.json").read_text())
    assert cfg["finished"] and cfg["train"] == TrainConfig.tiny().to_dict()
    assert epochs_logged(tiny_prior) == list(range(TrainConfig.tiny().epochs))
    prior = load_prior(tiny_prior)
    assert prior.model.config == TrainConfig.tiny().model and prior.gmm.dim == 138


def test_eval_prior_prints_the_report_and_writes_json(tiny_prior, tmp_path, capsys):
    report_path = tmp_path / "eval.json"
    rc = main(
        [
            "eval-prior",
            "--prior",
            str(tiny_prior),
            "--clips",
            "3",
            "--rollouts",
            "2",
            "--steps",
            "20",
            "--json",
            str(report_path),
        ]
    )
    report = json.loads(report_path.read_text())
    assert rc == (0 if report["ordering_holds"] else 1)  # exit status follows the ordering
    assert list(report["nll"]) == ["clean", "jitter_1cm", "jitter_2cm", "jitter_5cm", "shuffled"]
    assert report["clips"] == 3 and report["rollout"]["samples"] == 2
    assert report["rollout"]["steps"] == 20 and "gmm_nll" in report and "timing" not in report
    out = capsys.readouterr().out
    assert "jitter_5cm" in out and "sampled roll-outs: 2 × 20 steps" in out
    assert f"wrote {report_path}" in out
    # a bare weights file has no GMM; --gmm attaches one
    weights = str(tiny_prior / "humor_prior.pt")
    common = ["--clips", "2", "--rollouts", "1", "--steps", "5", "--json", str(report_path)]
    main(["eval-prior", "--prior", weights, *common])
    assert "gmm_nll" not in json.loads(report_path.read_text())
    main(["eval-prior", "--prior", weights, "--gmm", str(tiny_prior / "prior_gmm.npz"), *common])
    assert "gmm_nll" in json.loads(report_path.read_text())


def test_eval_prior_exit_status_is_one_when_the_ordering_fails(tiny_prior, monkeypatch, capsys):
    import slahmr_opt.apps.train_prior as train

    real = train.evaluate_prior

    def forced(holds: bool):
        def evaluate(*args, **kwargs):
            report = real(*args, **kwargs)
            report["ordering_holds"] = holds
            return report

        return evaluate

    args = ["eval-prior", "--prior", str(tiny_prior), "--clips", "2", "--rollouts", "1"]
    args += ["--steps", "5"]
    monkeypatch.setattr(train, "evaluate_prior", forced(False))
    assert main(args) == 1
    assert "DOES NOT HOLD" in capsys.readouterr().out
    monkeypatch.setattr(train, "evaluate_prior", forced(True))
    assert main(args) == 0


def test_eval_prior_missing_prior_is_a_clear_error(tmp_path, capsys):
    assert main(["eval-prior", "--prior", str(tmp_path / "nowhere")]) == 2
    assert "no such prior folder or file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:  # refused by argparse before any work
        main(["eval-prior", "--clips", "0"])
    assert info.value.code == 2
    assert "argument --clips: expected ≥ 1, got 0" in capsys.readouterr().err


def test_train_prior_resumes_an_interrupted_run(tiny_prior, tmp_path, capsys):
    out = tmp_path / "prior"
    assert main(["train-prior", "--out", str(out), "--tiny", "--minutes", "1e-6"]) == 0
    assert "--resume" in capsys.readouterr().out
    assert (out / "train_state.pt").is_file() and epochs_logged(out) == [0]
    assert not json.loads((out / "config.json").read_text())["finished"]
    # starting over in the same folder would lose the run: refused
    assert main(["train-prior", "--out", str(out), "--tiny"]) == 2
    assert "unfinished run" in capsys.readouterr().err
    # a different setting than the stored one is refused too
    assert main(["train-prior", "--out", str(out), "--resume", "--set", "epochs=9"]) == 2
    assert "different settings ['epochs']" in capsys.readouterr().err
    # --resume alone continues with the stored (tiny) settings
    assert main(["train-prior", "--out", str(out), "--resume"]) == 0
    assert not (out / "train_state.pt").exists()
    assert epochs_logged(out) == list(range(TrainConfig.tiny().epochs))
    a = load_prior(tiny_prior).model.state_dict()
    b = load_prior(out).model.state_dict()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    assert main(["train-prior", "--out", str(out), "--resume"]) == 0
    assert "nothing to resume" in capsys.readouterr().out


def test_train_prior_set_overrides_and_rejects_unknown_keys(tmp_path, capsys):
    out = tmp_path / "bad"
    assert main(["train-prior", "--out", str(out), "--tiny", "--set", "nosuch=3"]) == 2
    err = capsys.readouterr().err
    assert "--set nosuch: unknown TrainConfig field" in err and "batch_size" in err
    assert main(["train-prior", "--out", str(out), "--tiny", "--set", "window=ten"]) == 2
    assert "--set window: expected an integer, got 'ten'" in capsys.readouterr().err
    assert main(["train-prior", "--out", str(out), "--tiny", "--set", "epochs"]) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
    assert not out.exists()  # nothing was written
    good = tmp_path / "good"
    argv = ["train-prior", "--out", str(good), "--tiny", "--set", "epochs=2"]
    argv += ["--set", "model.latent_dim=4", "--threads", "1"]
    assert main(argv) == 0
    cfg = json.loads((good / "config.json").read_text())
    assert cfg["train"]["epochs"] == 2 and cfg["model"]["latent_dim"] == 4
    assert epochs_logged(good) == [0, 1]
