"""``slahmr-opt bench-body``: seconds per 1000 frames of each body evaluation path."""

from __future__ import annotations

import argparse

from slahmr_opt.apps.common import add_threads_option, positive_int, set_threads


def _cmd_bench_body(args: argparse.Namespace) -> int:
    import torch

    from slahmr_opt.body import BodyModel
    from slahmr_opt.body.benchmark import time_body_paths, timings_to_dict
    from slahmr_opt.files import write_json_atomic

    set_threads(args.threads)
    body = BodyModel.resolve(args.body)
    timings = time_body_paths(body, frames=args.frames, repeats=args.repeats)
    print(
        f"body model: {body.source} ({body.model_type}), batch {args.frames} frames, "
        f"{torch.get_num_threads()} threads; seconds per 1000 frames"
    )
    print(f"{'path':<18}{'forward':>12}{'fwd+bwd':>12}")
    for t in timings:
        print(f"{t.path:<18}{t.forward_s:>12.4f}{t.forward_backward_s:>12.4f}")
    if args.json:
        write_json_atomic(
            args.json,
            {
                "body": body.source,
                "frames": args.frames,
                "threads": torch.get_num_threads(),
                "seconds_per_1000_frames": timings_to_dict(timings),
            },
        )
        print(f"wrote {args.json}")
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "bench-body", help="time the joints / landmarks / mesh evaluation paths per 1000 frames"
    )
    p.add_argument("--body", default=None, help="SMPL/SMPL-H/SMPL-X file (default: stand-in)")
    p.add_argument("--frames", type=positive_int, default=1000, help="batch size (default 1000)")
    p.add_argument("--repeats", type=positive_int, default=5, help="timed runs; the best is kept")
    add_threads_option(p)
    p.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    p.set_defaults(func=_cmd_bench_body, outputs=(("json", "file"),), inputs=("body",))
