"""The command line under bad options, bad outputs and broken inputs.

Every case asserts the exact outcome: exit status 2 with one ``error:`` line naming the argument
or the file (argparse's own refusals exit 2 with a usage line), nothing written when the check
fails before the work, and never a folder that ``load_result`` accepts after a failure.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from slahmr_opt import files
from slahmr_opt.cli import main
from slahmr_opt.io.result_reader import load_estimate
from slahmr_opt.io.scene_folder import save_scene
from slahmr_opt.synth.scene import make_scene
from tests.solver.helpers import body


@pytest.fixture(scope="module")
def scene_dir(tmp_path_factory):
    scene, gt = make_scene(num_people=1, num_frames=10, preset="easy", seed=5, body=body())
    return Path(save_scene(scene, tmp_path_factory.mktemp("cli") / "scene", gt=gt))


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


def _no_result(path: Path) -> None:
    """Nothing a reader would take for a finished result."""
    if path.exists() and path.is_dir():
        with pytest.raises(ValueError):
            load_estimate(path)


# ------------------------------------------------------------------- argparse-level refusals
ARG_CASES = [
    ["run", "S", "--out", "O", "--threads", "-1"],
    ["run", "S", "--out", "O", "--threads", "two"],
    ["run", "S", "--out", "O", "--device", "tpu"],
    ["run", "S", "--out", "O", "--device", "cuda:x"],
    ["run", "S", "--out", "O", "--preset", "fastest"],
    ["run", "S", "--out", "O", "--until", "pass4"],
    ["run", "S", "--out", "O", "--fps", "0"],
    ["run", "S", "--out", "O", "--fps", "nan"],
    ["run", "S", "--out", "O", "--focal", "-5"],
    ["run", "S", "--out", "O", "--shot", "-1"],
    ["run", "S", "--out", "O", "--no-such-flag"],
    ["run", "S"],
    ["run"],
    ["no-such-command"],
    ["synth", "--out", "O", "--people", "0"],
    ["synth", "--out", "O", "--frames", "-3"],
    ["synth", "--out", "O", "--seed", "-1"],
    ["bench", "--scenes", "0"],
    ["bench", "--frames", "x"],
    ["batch", "R", "--out", "O", "--workers", "0"],
    ["batch", "R", "--out", "O", "--executor", "slurm"],
    ["eval-prior", "--steps", "0"],
    ["train-prior", "--out", "O", "--minutes", "-1"],
    ["render", "R", "--out", "o.mp4", "--alpha", "2"],
    ["render", "R", "--out", "o.mp4", "--max-width", "0"],
    ["export", "R", "--out", "O", "--threads", "-2"],
    ["table", "R", "--format", "docx"],
    ["bench-body", "--repeats", "0"],
]


@pytest.mark.parametrize("argv", ARG_CASES, ids=lambda a: " ".join(a))
def test_bad_options_are_refused_by_argparse(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


# ------------------------------------------------------------------------ value refusals
VALUE_CASES = {
    "--set unknown key": (["--set", "root.nope=1"], "nope"),
    "--set no equals": (["--set", "root.iterations"], "section.field=value"),
    "--set bad value": (["--set", "root.iterations=lots"], "iterations"),
    "--set negative": (["--set", "root.iterations=-4"], "iterations"),
    "--tracks unknown id": (["--tracks", "nobody"], "nobody"),
    "--tracks longest-x": (["--tracks", "longest-x"], "longest"),
    "--frame-range one number": (["--frame-range", "5"], "--frame-range"),
    "--frame-range reversed": (["--frame-range", "8:2"], "range"),
    "--image-size garbage": (["--image-size", "12"], "--image-size"),
    "--body missing": (["--body", "/nonexistent/SMPL.pkl"], "SMPL.pkl"),
    "--prior missing": (
        ["--prior", "/nonexistent/best_model.pth", "--until", "motion"],
        "best_model.pth",
    ),
    "--gmm missing": (["--gmm", "/nonexistent/gmm.npz", "--until", "motion"], "gmm.npz"),
}


@pytest.mark.parametrize("case", sorted(VALUE_CASES))
def test_bad_values_are_one_error_line_and_leave_no_result(scene_dir, tmp_path, capsys, case):
    extra, fragment = VALUE_CASES[case]
    out = tmp_path / "out"
    code = main(["run", str(scene_dir), "--out", str(out), "--until", "root", *extra])
    assert code == 2
    assert fragment in _error(capsys)
    _no_result(out)


def test_missing_input_folder(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "nope" in _error(capsys)


# ----------------------------------------------------------------------- output refusals
def test_out_equal_to_the_input_is_refused(scene_dir, capsys):
    before = (scene_dir / "scene.json").read_bytes()
    assert main(["run", str(scene_dir), "--out", str(scene_dir)]) == 2
    assert "is (or contains) the input" in _error(capsys)
    assert (scene_dir / "scene.json").read_bytes() == before
    assert not (scene_dir / "logs").exists()


def test_out_containing_the_input_is_refused(scene_dir, capsys):
    assert main(["naive", str(scene_dir), "--out", str(scene_dir.parent)]) == 2
    assert "is (or contains) the input" in _error(capsys)


@pytest.mark.parametrize("command", ["run", "naive"])
@pytest.mark.parametrize("where", ["a file", "inside a file"])
def test_out_on_a_file_is_refused(scene_dir, tmp_path, capsys, command, where):
    f = tmp_path / "file"
    f.write_text("keep me")
    out = f if where == "a file" else f / "sub"
    assert main([command, str(scene_dir), "--out", str(out)]) == 2
    assert "is a file" in _error(capsys)
    assert f.read_text() == "keep me"


@pytest.mark.parametrize("option", ["bench", "eval-prior"])
def test_json_onto_a_folder_is_refused(tmp_path, capsys, option):
    argv = [option, "--json", str(tmp_path)]
    assert main(argv) == 2
    assert "is a folder" in _error(capsys)


def test_stale_temporary_files_are_removed_by_a_rerun(scene_dir, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["run", str(scene_dir), "--out", str(out), "--until", "root", "--no-plot"]
    argv += ["--set", "root.iterations=1"]
    assert main(argv) == 0
    stale = [out / ".scene.json.AbCd1234.tmp", out / "checkpoints" / ".root.ckpt.Zz9_xY01.tmp"]
    for path in stale:
        path.write_bytes(b"half a file")
    assert main(argv) == 0
    assert not any(p.exists() for p in stale)


# --------------------------------------------------------- read-only and full disks (root)
@contextlib.contextmanager
def _tmpfs(where: Path, size: str, readonly: bool = False):
    where.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if readonly else "")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, f"slahmr-test-{uuid.uuid4().hex[:6]}", str(where)],
        capture_output=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mounting a tmpfs needs root"
)


@needs_root
def test_read_only_output_is_refused_before_any_work(scene_dir, tmp_path, capsys):
    with _tmpfs(tmp_path / "ro", "1m", readonly=True) as ro:
        assert main(["run", str(scene_dir), "--out", str(ro / "out")]) == 2
        err = _error(capsys)
        assert "cannot write" in err and "Read-only" in err


@needs_root
def test_full_disk_is_refused_before_any_work(scene_dir, tmp_path, capsys):
    with _tmpfs(tmp_path / "small", "1m") as small:
        assert main(["run", str(scene_dir), "--out", str(small / "out")]) == 2
        assert "MiB free" in _error(capsys)
        assert not (small / "out").exists()


@needs_root
def test_disk_filling_up_during_the_write_leaves_no_result(
    scene_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(files, "MIN_FREE_BYTES", 0)
    with _tmpfs(tmp_path / "tiny", "8k") as tiny:
        out = tiny / "out"
        code = main(["naive", str(scene_dir), "--out", str(out)])
        assert code == 2
        err = _error(capsys)
        assert "the disk is full" in err and str(tiny) in err
        _no_result(out)
        leftovers = [p for p in out.rglob("*") if p.name.endswith(".tmp")] if out.exists() else []
        assert not leftovers
