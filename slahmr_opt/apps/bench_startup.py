"""``slahmr-opt bench-startup``: what a batch job or a finished folder pays before any work.

Times, in fresh processes (best and median of ``--repeats``): ``import slahmr_opt``, the public
API's first use (``slahmr_opt.solve``: torch and the solver), ``slahmr-opt --help`` and
``--version``, and a ``batch`` rerun over a folder whose sequences are all finished (each one
skipped without starting a process). Prints the numbers and the heaviest imports of
``python -X importtime -c 'import slahmr_opt'``; ``--json`` writes them.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from slahmr_opt.apps.common import positive_int

CLI = [sys.executable, "-m", "slahmr_opt.cli"]


def time_command(argv: list[str], repeats: int) -> dict[str, float]:
    """Wall seconds of ``argv`` in a fresh process: best and median of ``repeats`` runs."""
    from slahmr_opt.apps.common import thread_env

    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=thread_env(1))
        seconds.append(time.perf_counter() - start)
    return {"best": min(seconds), "median": statistics.median(seconds), "runs": len(seconds)}


def heaviest_imports(statement: str, top: int = 8) -> list[tuple[str, float]]:
    """(module, cumulative seconds) of the ``top`` slowest imports of ``statement``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        check=True,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((parts[2].strip(), int(parts[1]) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:top]


def finished_batch(root: Path, sequences: int) -> tuple[Path, Path]:
    """A folder of ``sequences`` small scene folders and a batch output where all are finished
    (world initialisation only: the skip is what is timed)."""
    from slahmr_opt.apps.batch_demo import write_mixed_root

    data = write_mixed_root(
        root / "data", scene_folders=sequences, original_roots=(), manifests=0, corrupt=False
    )
    out = root / "out"
    argv = [*CLI, "batch", str(data), "--out", str(out), "--until", "init", "--no-plot"]
    subprocess.run(argv, check=True, capture_output=True)
    return data, out


def _cmd_bench_startup(args: argparse.Namespace) -> int:
    if args.repeats < 1 or args.sequences < 1:
        raise ValueError("--repeats and --sequences: expected positive counts")
    report: dict = {"python": sys.version.split()[0], "repeats": args.repeats, "seconds": {}}
    checks = {
        "import slahmr_opt": [sys.executable, "-c", "import slahmr_opt"],
        "import slahmr_opt; slahmr_opt.solve": [
            sys.executable,
            "-c",
            "import slahmr_opt; slahmr_opt.solve",
        ],
        "slahmr-opt --help": [*CLI, "--help"],
        "slahmr-opt --version": [*CLI, "--version"],
    }
    for name, argv in checks.items():
        report["seconds"][name] = time_command(argv, args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        data, out = finished_batch(Path(tmp), args.sequences)
        name = f"slahmr-opt batch (all {args.sequences} finished: skipped)"
        argv = [*CLI, "batch", str(data), "--out", str(out), "--until", "init", "--no-plot"]
        report["seconds"][name] = time_command(argv, args.repeats)
    report["heaviest_imports"] = heaviest_imports("import slahmr_opt")
    print(f"startup costs, fresh processes, best / median of {args.repeats} (seconds):")
    for name, t in report["seconds"].items():
        print(f"  {name:<52}{t['best']:8.3f}{t['median']:8.3f}")
    skip = report["seconds"][name]["best"] / args.sequences
    print(f"  per finished sequence (batch rerun best / {args.sequences}): {skip:.3f}")
    print("heaviest imports of 'import slahmr_opt' (cumulative, python -X importtime):")
    for module, seconds in report["heaviest_imports"]:
        print(f"  {module:<52}{seconds:8.3f}")
    if args.json:
        from slahmr_opt.files import write_json_atomic

        write_json_atomic(args.json, report)
        print(f"wrote {args.json}")
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "bench-startup",
        help="time import slahmr_opt, --help/--version and skipping finished batch folders",
    )
    p.add_argument("--repeats", type=positive_int, default=5, help="fresh processes per check")
    p.add_argument(
        "--sequences", type=positive_int, default=12, help="finished sequences in the batch"
    )
    p.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    p.set_defaults(func=_cmd_bench_startup, outputs=(("json", "file"),), inputs=())
