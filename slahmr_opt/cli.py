"""The ``slahmr-opt`` command line.

Each subcommand is a small function; heavy imports happen inside it so that ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path


def _write_json(path: str | os.PathLike, payload: object) -> Path:
    """Write JSON atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(payload, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)
    return path


# ---------------------------------------------------------------------------- body commands
def _cmd_convert(args: argparse.Namespace) -> int:
    from slahmr_opt.body import convert_model_file, read_model_file
    from slahmr_opt.body.model_files import infer_model_type

    dst = convert_model_file(args.src, args.dst)
    kind = infer_model_type(read_model_file(dst), dst)
    print(f"wrote {dst} ({kind}); load it with BodyModel.from_file or --body {dst}")
    return 0


def _cmd_body_info(args: argparse.Namespace) -> int:
    import torch

    from slahmr_opt.body import BodyModel

    body = BodyModel.resolve(args.body)
    summary = _body_summary(body)
    if args.standin_path:
        from slahmr_opt.body.standin import standin_path

        summary["file"] = str(standin_path())
    for key, value in summary.items():
        print(f"{key:>18}: {value}")
    del torch
    return 0


def _body_summary(body) -> dict:
    import torch

    zeros = torch.zeros(1, 3)
    verts = body.vertices(zeros, torch.zeros(1, body.num_body_joints, 3), torch.zeros(1, 10))[0]
    up = 1  # SMPL rest frame: +y up
    return {
        "source": body.source,
        "model type": body.model_type,
        "gender": body.gender,
        "vertices": int(verts.shape[0]),
        "faces": int(body.faces.shape[0]),
        "joints": body.num_joints,
        "betas": body.num_betas,
        "height (beta=0) m": round(float(verts[:, up].max() - verts[:, up].min()), 4),
    }


def _cmd_bench_body(args: argparse.Namespace) -> int:
    from slahmr_opt.body import BodyModel
    from slahmr_opt.body.benchmark import time_body_paths, timings_to_dict

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    body = BodyModel.resolve(args.body)
    timings = time_body_paths(body, frames=args.frames, repeats=args.repeats)
    print(f"body model: {body.source} ({body.model_type}), batch {args.frames} frames, "
          f"{torch.get_num_threads()} threads; seconds per 1000 frames")
    print(f"{'path':<18}{'forward':>12}{'fwd+bwd':>12}")
    for t in timings:
        print(f"{t.path:<18}{t.forward_s:>12.4f}{t.forward_backward_s:>12.4f}")
    if args.json:
        _write_json(args.json, {"body": body.source, "frames": args.frames,
                                "threads": torch.get_num_threads(),
                                "seconds_per_1000_frames": timings_to_dict(timings)})
        print(f"wrote {args.json}")
    return 0


# ---------------------------------------------------------------------------- demo
def _cmd_demo(args: argparse.Namespace) -> int:
    from slahmr_opt.demo import run_demo

    return run_demo(Path(args.out))


# ---------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slahmr-opt",
        description="World-grounded multi-person SMPL motion from 2D keypoints, per-frame SMPL "
        "and SLAM cameras (a fast reimplementation of the SLAHMR optimizer).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", help="run the end-to-end demo on built-in data and write results")
    p.add_argument("--out", default="runs/demo", help="output folder (default: runs/demo)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("convert", help="turn a SMPL/SMPL-H/SMPL-X .pkl (chumpy) into a clean .npz")
    p.add_argument("src", help="the model .pkl (or .npz) file")
    p.add_argument("dst", help="the .npz to write")
    p.set_defaults(func=_cmd_convert)

    p = sub.add_parser("body-info", help="summarise a body model (default: the open stand-in)")
    p.add_argument("--body", default=None, help="SMPL/SMPL-H/SMPL-X file (default: stand-in)")
    p.add_argument("--standin-path", action="store_true",
                   help="also print where the stand-in body file is cached")
    p.set_defaults(func=_cmd_body_info)

    p = sub.add_parser("bench-body",
                       help="time the joints / landmarks / mesh evaluation paths per 1000 frames")
    p.add_argument("--body", default=None, help="SMPL/SMPL-H/SMPL-X file (default: stand-in)")
    p.add_argument("--frames", type=int, default=1000, help="batch size (default 1000)")
    p.add_argument("--repeats", type=int, default=5, help="timed runs; the best is kept")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    p.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    p.set_defaults(func=_cmd_bench_body)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ValueError as exc:  # bad input: a clear message, not a traceback
        if args.verbose:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
