"""``slahmr-opt bench``: the synthetic benchmark (:mod:`slahmr_opt.apps.benchmark`) from the
command line."""

from __future__ import annotations

import argparse

from slahmr_opt.apps.common import add_threads_option, non_negative_int, positive_int, set_threads


def _cmd_bench(args: argparse.Namespace) -> int:
    from slahmr_opt.apps.benchmark import BenchConfig, default_methods, run_benchmark
    from slahmr_opt.body import BodyModel
    from slahmr_opt.files import write_json_atomic

    set_threads(args.threads)
    methods = default_methods([m.strip() for m in args.methods.split(",") if m.strip()])
    config = BenchConfig(
        preset=args.preset,
        people=args.people,
        frames=args.frames,
        scenes=args.scenes,
        seed=args.seed,
        camera=args.camera,
        with_pve=not args.no_pve,
    )
    result = run_benchmark(config, methods=methods, body=BodyModel.resolve(args.body))
    print(
        f"synthetic benchmark: preset {config.preset}, {config.scenes} scenes × "
        f"{config.people} people × {config.frames} frames, camera {config.camera}, "
        f"seeds {config.seed}..{config.seed + config.scenes - 1}"
    )
    print(result.table())
    print("seconds per scene (solver rows: that pass alone):")
    for name, value in result.seconds.items():
        print(f"  {name:<40} {value:8.2f}")
    if args.json:
        write_json_atomic(args.json, result.to_json())
        print(f"wrote {args.json}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("bench", help="benchmark the methods on seeded synthetic scenes")
    p.add_argument("--preset", default="medium")
    p.add_argument("--people", type=positive_int, default=2)
    p.add_argument("--frames", type=positive_int, default=300)
    p.add_argument("--scenes", type=positive_int, default=5)
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument(
        "--camera", default="mixed", help="camera rig, or 'mixed' to cycle handheld/orbit/pan_tilt"
    )
    p.add_argument("--no-pve", action="store_true", help="skip PVE (no full meshes)")
    p.add_argument(
        "--methods",
        default="naive,fast",
        help="comma-separated: naive, fast, slahmr (default: naive,fast; the faithful slahmr "
        "preset's pass 3 takes minutes per 60-frame scene and hours per 300-frame scene on a CPU)",
    )
    add_threads_option(p)
    p.add_argument("--body", default=None, help="SMPL file (default: stand-in)")
    p.add_argument("--json", default=None, help="also write the table to this JSON file")
    p.set_defaults(func=_cmd_bench, outputs=(("json", "file"),), inputs=())
