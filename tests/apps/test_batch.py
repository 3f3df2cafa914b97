"""`slahmr-opt batch`: discovery over mixed layouts, one process per sequence, skip, resume,
isolated failures, the summary; the same code path on a local Ray instance; `table`."""

from __future__ import annotations

import csv
import json
import os
import stat
from pathlib import Path

import pytest

from slahmr_opt.apps.batch import (
    discover,
    execute_job,
    finished_layouts,
    make_job,
    run_options,
)
from slahmr_opt.apps.batch_demo import write_mixed_root
from slahmr_opt.cli import build_parser, main

SEQUENCES = {
    "broken/scene_bad": "scene-folder",
    "scenes/scene_0": "scene-folder",
    "scenes/scene_1": "scene-folder",
    "videos/manifest_0": "manifest",
    "videos/original_0/seq_0": "slahmr-original",
    "videos/original_0/seq_1": "slahmr-original",
}
# world initialisation only: the batch machinery is under test, not the solver
FAST = ["--until", "init", "--no-plot", "--fps", "30"]


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return write_mixed_root(
        tmp_path_factory.mktemp("batch") / "data",
        scene_folders=2,
        original_roots=(2,),
        manifests=1,
        frames=30,
    )


def summary(out: Path) -> dict[str, dict]:
    data = json.loads((out / "summary.json").read_text())
    return {r["name"]: r for r in data["sequences"]}


def test_discovery_finds_every_layout_and_each_original_sequence(root, tmp_path):
    found = discover(root, exclude=[root / "videos"])
    assert {s.name for s in found} == {"broken/scene_bad", "scenes/scene_0", "scenes/scene_1"}
    found = discover(root)
    assert {s.name: s.layout for s in found} == SEQUENCES
    assert {s.seq for s in found if s.layout == "slahmr-original"} == {"seq_0", "seq_1"}
    assert [s.name for s in discover(root / "scenes" / "scene_0")] == ["scene_0"]  # root itself
    with pytest.raises(ValueError, match="folder not found"):
        discover(tmp_path / "nowhere")


def test_batch_runs_skips_resumes_and_isolates_the_corrupt_sequence(root, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["batch", str(root), "--out", str(out), "--workers", "2", *FAST]
    assert main(argv) == 1  # one sequence failed
    text = capsys.readouterr().out
    assert "6 sequences: 5 done, 0 skipped (finished earlier), 1 failed" in text
    assert "FAILED broken/scene_bad" in text and "scene_bad/cameras.npz" in text  # names the file
    records = summary(out)
    assert set(records) == set(SEQUENCES)
    bad = records.pop("broken/scene_bad")
    assert bad["status"] == "failed" and "scene_bad/cameras.npz" in bad["error"]
    assert "run failed" in Path(bad["log"]).read_text()  # and the log says so
    for name, r in records.items():
        assert r["status"] == "done", (name, r.get("error"))
        assert r["alpha"] > 0 and r["seconds"] > 0 and r["frames"] == 30
        assert (out / name / "scene.json").is_file() and Path(r["log"]).is_file()
    assert set(records["scenes/scene_0"]["metrics"]) >= {"wa_mpjpe100", "rte", "jitter"}
    assert "metrics" not in records["videos/manifest_0"]  # no gt.npz there
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert {r["name"]: r["status"] for r in rows} == {
        n: ("failed" if n == "broken/scene_bad" else "done") for n in SEQUENCES
    }
    assert float(rows[1]["wa_mpjpe100"]) > 0

    # rerun: the finished ones are skipped without a process, the failed one runs again; the
    # finished folders are not read again (no detect_layout: the readers are not even imported)
    known = finished_layouts(out)
    assert {str(k) for k in known} == {r["source"] for r in records.values()}

    def no_reading(folder):
        raise AssertionError(f"detect_layout({folder}) called for a finished folder")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("slahmr_opt.io.folder.detect_layout", no_reading)
        finished = discover(root, exclude=[root / "broken"], known=known)  # broken: not known
    assert {s.name: s.layout for s in finished} == {
        n: v for n, v in SEQUENCES.items() if n != "broken/scene_bad"
    }
    logs_before = sorted((out / "scenes/scene_0/logs").iterdir())
    assert main(argv) == 1
    assert "0 done, 5 skipped (finished earlier), 1 failed" in capsys.readouterr().out
    assert sorted((out / "scenes/scene_0/logs").iterdir()) == logs_before
    assert len(list((out / "broken/scene_bad/logs").iterdir())) == 2  # a new log, none lost

    # an interrupted sequence (record still "running", no complete result) runs again
    job = out / "scenes/scene_1"
    record = json.loads((job / "job.json").read_text())
    (job / "job.json").write_text(json.dumps({**record, "status": "running"}))
    (job / "scene.json").unlink()
    assert main(argv) == 1
    again = summary(out)["scenes/scene_1"]
    assert again["status"] == "done" and again["previous_status"] == "running"
    assert again["resumed"] == []  # world initialisation only: no pass checkpoint to resume

    # other solver options make every sequence run again; threads alone do not
    options = run_options(build_parser().parse_args(argv))
    seq = discover(root)[1]
    same = make_job(seq, out, {**options, "threads": 4})
    assert same["digest"] == make_job(seq, out, options)["digest"]
    assert make_job(seq, out, {**options, "until": "root"})["digest"] != same["digest"]


def test_a_dead_process_is_a_failed_record(root, tmp_path, monkeypatch):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nkill -9 $$\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr("slahmr_opt.apps.batch.sys.executable", str(fake))
    options = run_options(build_parser().parse_args(["batch", str(root), "--out", "x"]))
    record = execute_job(make_job(discover(root)[1], tmp_path / "out", options))
    assert record["status"] == "failed" and "killed by signal 9" in record["error"]


def test_table_of_a_batch_and_an_eval_json(root, tmp_path, capsys):
    out = tmp_path / "out"
    scenes = root / "scenes"
    main(["batch", str(scenes), "--out", str(out), *FAST])
    records = summary(out)
    assert main(["table", str(out)]) == 0
    text = capsys.readouterr().out
    assert "| out | scene_0 |" in text and "frame-weighted mean" in text
    assert "mean of 2 sequences" in text and "Protocol: WHAM/GVHMR" in text
    # the frame-weighted mean weighs each sequence by its count of values
    a, b = records["scene_0"], records["scene_1"]
    key = "foot_sliding"
    want = (a["metrics"][key] * a["counts"][key] + b["metrics"][key] * b["counts"][key]) / (
        a["counts"][key] + b["counts"][key]
    )
    assert main(["table", str(out), "--format", "csv", "--means-only"]) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert [r["sequence"] for r in rows] == ["mean of 2 sequences", "frame-weighted mean"]
    assert float(rows[1]["foot_sliding (mm)"]) == pytest.approx(want)
    eval_json = tmp_path / "eval.json"
    main(["eval", str(out / "scene_0"), "--gt", str(scenes / "scene_0"), "--json", str(eval_json)])
    capsys.readouterr()
    assert main(["table", str(out), str(eval_json), "--format", "latex"]) == 0
    latex = capsys.readouterr().out
    assert latex.startswith(r"\begin{tabular}") and r"wa\_mpjpe100 (mm)" in latex
    assert main(["table", str(tmp_path)]) == 2
    assert "expected a batch output folder" in capsys.readouterr().err


def test_batch_on_a_local_ray_instance(root, tmp_path, capsys):
    ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        out = tmp_path / "ray_out"
        argv = ["batch", str(root), "--out", str(out), "--executor", "ray", *FAST]
        assert main(argv) == 1
        text = capsys.readouterr().out
        assert "5 done, 0 skipped (finished earlier), 1 failed" in text
        records = summary(out)
        assert records["broken/scene_bad"]["status"] == "failed"
        assert all(r["status"] == "done" for n, r in records.items() if n != "broken/scene_bad")
        # each sequence ran in its own process, not in the Ray worker
        pids = {r["pid"] for n, r in records.items() if "pid" in r}
        assert len(pids) == len(records) and os.getpid() not in pids
        assert main(argv) == 1
        assert "0 done, 5 skipped" in capsys.readouterr().out
    finally:
        ray.shutdown()


def test_summary_columns_keep_the_estimate_and_the_metrics_apart():
    from slahmr_opt.apps.batch import summary_rows

    record = {
        "name": "a",
        "status": "done",
        "floor": {"normal": [0.0, -1.0, 0.0], "offset": -0.9},
        "passes": {"root": {"energy": 12.5}},
        "metrics": {"wa_mpjpe100": 50.0, "floor_offset": 31.0, "status": 7.0},
        "resumed": ["root"],
    }
    columns, (row,) = summary_rows([record])
    assert len(columns) == len(set(columns))
    assert row["floor_d_m"] == -0.9 and row["floor_offset"] == 31.0  # estimate (m), error (mm)
    assert row["status"] == "done" and row["metric_status"] == 7.0  # a clash is renamed
    assert row["energy_root"] == 12.5 and row["floor_ny"] == -1.0 and row["resumed"] == "root"
