"""`import slahmr_opt` and `slahmr-opt --help` stay light: no torch, no numpy until needed.

Every command module in slahmr_opt/apps is imported to build the parser, so each must keep its
heavy imports inside the function it runs.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "numpy", "scipy", "matplotlib", "smplx", "roma")


def modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return set(out.stdout.split())


def test_import_slahmr_opt_is_light():
    assert modules_after("import slahmr_opt") == set()
    assert "torch" in modules_after("import slahmr_opt\nslahmr_opt.solve")


def test_building_the_parser_imports_no_heavy_module():
    assert modules_after("from slahmr_opt.cli import build_parser\nbuild_parser()") == set()


def test_version_and_help():
    run = [sys.executable, "-m", "slahmr_opt.cli"]
    version = subprocess.run([*run, "--version"], check=True, capture_output=True, text=True)
    assert version.stdout.startswith("slahmr-opt ")
    text = subprocess.run([*run, "--help"], check=True, capture_output=True, text=True).stdout
    for command in ("batch", "table", "bench-startup", "run", "eval"):
        assert command in text


def test_bench_startup_prints_and_writes_every_number(tmp_path, monkeypatch, capsys):
    import json

    from slahmr_opt.apps import bench_startup
    from slahmr_opt.cli import main

    timed = []

    def fake_time(argv, repeats):
        timed.append(argv)
        return {"best": 0.5, "median": 0.6, "runs": repeats}

    monkeypatch.setattr(bench_startup, "time_command", fake_time)
    monkeypatch.setattr(bench_startup, "finished_batch", lambda root, n: (root / "d", root / "o"))
    out = tmp_path / "startup.json"
    assert main(["bench-startup", "--repeats", "2", "--sequences", "4", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "import slahmr_opt" in text and "all 4 finished: skipped" in text
    assert "per finished sequence (batch rerun best / 4): 0.125" in text
    report = json.loads(out.read_text())
    assert len(report["seconds"]) == 5 and report["repeats"] == 2
    assert any(argv[-1] == "--no-plot" and "batch" in argv for argv in timed)
    modules = [m for m, _ in report["heaviest_imports"]]  # a real python -X importtime run
    assert "slahmr_opt" in modules
