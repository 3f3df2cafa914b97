"""The command line end to end on small inputs: synth → naive → eval, bench, body tools."""

from __future__ import annotations

import json

import numpy as np
import pytest

from slahmr_opt.cli import build_parser, main
from tests.body.conftest import random_model_data


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for cmd in ("demo", "synth", "naive", "eval", "bench", "convert", "body-info", "bench-body"):
        assert cmd in out


def test_synth_naive_eval(tmp_path, capsys):
    scene = tmp_path / "scene"
    assert (
        main(
            [
                "synth",
                "--preset",
                "easy",
                "--people",
                "2",
                "--frames",
                "40",
                "--camera",
                "orbit",
                "--seed",
                "1",
                "--out",
                str(scene),
            ]
        )
        == 0
    )
    assert (scene / "gt.npz").is_file() and (scene / "scene.json").is_file()
    result = tmp_path / "naive"
    assert main(["naive", str(scene), "--out", str(result), "--alpha", "slam"]) == 0
    out_json = tmp_path / "metrics.json"
    assert main(["eval", str(result), "--gt", str(scene / "gt.npz"), "--json", str(out_json)]) == 0
    metrics = json.loads(out_json.read_text())["metrics"]
    for key in (
        "wa_mpjpe100",
        "w_mpjpe100",
        "rte",
        "jitter",
        "foot_sliding",
        "pa_mpjpe",
        "mpjpe",
        "accel_error",
        "scale_error",
        "camera_ate",
    ):
        assert np.isfinite(metrics[key]), key
    assert metrics["wa_mpjpe100"] > 0
    table = capsys.readouterr().out
    assert "wa_mpjpe100 (mm)" in table and "naive-slam" in table


def test_bench_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    argv = [
        "bench",
        "--preset",
        "easy",
        "--people",
        "1",
        "--frames",
        "40",
        "--scenes",
        "2",
        "--methods",
        "naive,fast",
        "--camera",
        "orbit",
        "--no-pve",
        "--json",
        str(out),
    ]
    assert main(argv) == 0
    data = json.loads(out.read_text())
    assert set(data["rows"]) == {
        "naive (α = 1, SLAM units)",
        "naive (α from median displacement)",
        "fast: pass 1 (root)",
        "fast: pass 2 (smooth)",
        "fast: pass 3 (motion)",
    }
    assert len(data["per_scene"]) == 10  # 2 scenes × (2 naive rows + 3 passes)
    rows = data["rows"]
    # Even on a short easy scene the smooth pass removes most of the naive jitter.
    assert (
        rows["fast: pass 2 (smooth)"]["jitter"] < 0.5 * rows["naive (α = 1, SLAM units)"]["jitter"]
    )
    assert "seconds per scene" in capsys.readouterr().out


def test_run_writes_every_pass_and_resumes(tmp_path, capsys):
    scene = tmp_path / "scene"
    main(
        [
            "synth",
            "--preset",
            "easy",
            "--people",
            "1",
            "--frames",
            "30",
            "--camera",
            "orbit",
            "--seed",
            "2",
            "--out",
            str(scene),
        ]
    )
    out = tmp_path / "run"
    argv = ["run", str(scene), "--out", str(out), "--set", "smooth.iterations=3"]
    argv += ["--set", "motion.iterations=2"]
    assert main(argv) == 0
    from slahmr_opt import load_result
    from slahmr_opt.io.results import load_estimate

    final = load_estimate(out)
    assert final.meta["config"]["smooth"]["iterations"] == 3
    for name in ("init", "root", "smooth", "motion"):
        assert (out / "passes" / name / "scene.json").is_file()
    loaded = load_result(out)
    assert loaded.estimate.floor is not None and loaded.floor_transform is not None
    assert (out / "world_results.npz").is_file() and (out / "trajectory.png").is_file()
    (first_log,) = sorted((out / "logs").iterdir())
    first_text = first_log.read_text()
    assert "pass motion" in first_text
    info = json.loads((out / "scene.json").read_text())
    assert info["files"]["log"] == f"logs/{first_log.name}" and "this_run" in info["timings"]
    assert set(loaded.history) == {"init", "root", "smooth", "motion"}
    assert loaded.history["smooth"]["total"].size == info["passes"]["smooth"]["steps"] + 1
    capsys.readouterr()
    assert main(argv) == 0  # a rerun resumes from the checkpoints and gives the same result
    again = load_estimate(out)
    np.testing.assert_allclose(again.people[0].transl, final.people[0].transl)
    printed = capsys.readouterr().out
    assert printed.count("complete in its checkpoint, not rerun") == 3 and "this run" in printed
    logs = sorted((out / "logs").iterdir())
    assert len(logs) == 2 and logs[0].read_text() == first_text  # a new log; the old one kept
    assert "complete in" in logs[1].read_text()
    again_info = json.loads((out / "scene.json").read_text())
    for name in ("root", "smooth", "motion"):  # the earlier run's pass times, not this run's
        assert again_info["timings"][name] == info["timings"][name]
    assert again_info["timings"]["this_run"] < info["timings"]["total"]
    assert main(["run", str(scene), "--out", str(out), "--set", "smooth.nonsense=1"]) == 2
    assert "nonsense" in capsys.readouterr().err
    missing = str(tmp_path / "nowhere.pth")
    assert main(["run", str(scene), "--out", str(tmp_path / "x"), "--prior", missing]) == 2
    assert "no such prior folder or file" in capsys.readouterr().err


def test_eval_scores_with_the_body_recorded_with_the_result(tmp_path, capsys):
    body = tmp_path / "SMPL_NEUTRAL.npz"
    np.savez(body, **random_model_data("smpl"))
    scene = tmp_path / "scene"
    main(["synth", "--preset", "easy", "--people", "1", "--frames", "30", "--out", str(scene)])
    out = tmp_path / "run"
    argv = ["run", str(scene), "--out", str(out), "--until", "root", "--no-plot"]
    assert main([*argv, "--body", str(body), "--set", "root.iterations=2"]) == 0
    report = tmp_path / "eval.json"
    assert main(["eval", str(out), "--gt", str(scene), "--json", str(report)]) == 0
    assert json.loads(report.read_text())["body"] == str(body)
    assert main(["eval", str(out), "--gt", str(scene), "--json", str(report), "--body", "x"]) == 2
    body.unlink()  # the recorded body is gone: a clear error, not a silent stand-in
    assert main(["eval", str(out), "--gt", str(scene)]) == 2
    assert "field 'body.source'" in capsys.readouterr().err


def test_bad_input_is_a_clear_error(tmp_path, capsys):
    assert main(["naive", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "missing" in err
    assert main(["naive", str(tmp_path), "--out", str(tmp_path / "o"), "--alpha", "-1"]) == 2


def test_convert_and_body_info(tmp_path, capsys):
    src = tmp_path / "SMPL_MALE.npz"
    np.savez(src, **random_model_data("smpl"))
    dst = tmp_path / "clean.npz"
    assert main(["convert", str(src), str(dst)]) == 0
    assert dst.is_file()
    assert main(["body-info", "--body", str(dst)]) == 0
    out = capsys.readouterr().out
    assert "smpl" in out and "6890" in out


def test_bench_body_json(tmp_path):
    out = tmp_path / "b.json"
    assert main(["bench-body", "--frames", "20", "--repeats", "1", "--json", str(out)]) == 0
    paths = [r["path"] for r in json.loads(out.read_text())["seconds_per_1000_frames"]]
    assert paths == ["joints", "joints+landmarks", "mesh"]


def test_parser_defaults():
    args = build_parser().parse_args(["bench"])
    assert (args.preset, args.people, args.frames, args.scenes) == ("medium", 2, 300, 5)


@pytest.fixture(scope="module")
def small_scene():
    from slahmr_opt.synth.scene import make_scene

    return make_scene(num_people=2, num_frames=30, preset="easy", camera="orbit", seed=4)[0]


def _run_quick(folder, out, *extra):
    argv = [
        "run",
        str(folder),
        "--out",
        str(out),
        "--set",
        "root.iterations=2",
        "--set",
        "smooth.iterations=2",
        "--set",
        "motion.iterations=1",
        *extra,
    ]
    return main(argv)


def test_run_on_the_original_layout(tmp_path, small_scene):
    from slahmr_opt.io.folder import write_original_layout
    from slahmr_opt.io.results import load_estimate

    root = write_original_layout(tmp_path / "video", small_scene)
    assert _run_quick(root, tmp_path / "out", "--fps", "30", "--min-track-len", "1") == 0
    est = load_estimate(tmp_path / "out")
    assert sorted(p.track_id for p in est.people) == sorted(small_scene.track_ids)
    # The original's layout records no frame rate: without --fps the reader refuses clearly.
    assert _run_quick(root, tmp_path / "out2", "--min-track-len", "1") == 2


def test_run_on_dpvo_openpose_npz_folder(tmp_path, small_scene):
    from slahmr_opt.io.folder import write_manifest_folder
    from slahmr_opt.io.results import load_estimate

    folder = write_manifest_folder(
        tmp_path / "video",
        small_scene,
        tracks_format="npz",
        keypoints_format="openpose",
        keypoints_layout="body25",
        cameras_format="dpvo",
    )
    assert _run_quick(folder, tmp_path / "out", "--tracks", "longest-1") == 0
    est = load_estimate(tmp_path / "out")
    assert len(est.people) == 1
    assert est.cameras.num_frames == small_scene.num_frames


@pytest.mark.parametrize(
    ("tracks", "keypoints", "cameras"),
    [
        ("npz", None, "slahmr"),
        ("npz", "openpose", "dpvo"),
        ("npz", "arrays", "droid"),
        ("track_preds", "openpose", "tum"),
        ("npz", "openpose", "megasam"),
        ("npz", "arrays", "static"),
        ("phalp", None, "dpvo"),
        ("npz", "wham", "dpvo"),
        ("npz", "gvhmr", "dpvo"),
    ],
)
def test_run_reads_each_format(tmp_path, small_scene, tracks, keypoints, cameras):
    """`slahmr-opt run` on a manifest folder holding each reader's format."""
    from slahmr_opt.io.folder import write_manifest_folder
    from slahmr_opt.io.results import load_estimate

    scene = small_scene
    if keypoints == "gvhmr":  # GVHMR's vitpose.pt holds a single track covering every frame
        from slahmr_opt.synth.scene import make_scene

        scene = make_scene(num_people=1, num_frames=30, preset="easy", camera="orbit", seed=4)[0]
    folder = write_manifest_folder(
        tmp_path / "video",
        scene,
        tracks_format=tracks,
        keypoints_format=keypoints,
        cameras_format=cameras,
    )
    extra = ["--trust-pickle"] if tracks == "phalp" or keypoints in ("wham", "gvhmr") else []
    assert _run_quick(folder, tmp_path / "out", "--until", "root", *extra) == 0
    est = load_estimate(tmp_path / "out")
    assert 1 <= len(est.people) <= len(scene.tracks)  # PHALP renames tracks by numeric tid
    if tracks != "phalp":
        assert {p.track_id for p in est.people} <= set(scene.track_ids)


def test_a_file_no_reader_can_parse_is_a_clear_error(tmp_path, monkeypatch, capsys):
    def unreadable(args):
        raise EOFError("Ran out of input")

    monkeypatch.setattr("slahmr_opt.apps.run.load_input_folder", unreadable)
    assert main(["run", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "a file of this sequence is corrupt or truncated (EOFError: Ran out of input" in err
    (log,) = (tmp_path / "out" / "logs").iterdir()
    assert "Traceback" in log.read_text()  # the log keeps the trace for the report
