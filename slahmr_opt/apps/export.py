"""``slahmr-opt export``: a result folder to BVH, GLB, a rerun recording or AMASS files."""

from __future__ import annotations

import argparse

from slahmr_opt.apps.common import add_threads_option
from slahmr_opt.errors import InputError


def _cmd_export(args: argparse.Namespace) -> int:
    import time

    import torch

    from slahmr_opt.body import BodyModel
    from slahmr_opt.export import FORMATS, export_result
    from slahmr_opt.files import write_json_atomic
    from slahmr_opt.vis.source import as_source, resolve_body

    if args.threads:
        torch.set_num_threads(args.threads)
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InputError(f"--format: expected some of {','.join(FORMATS)}, got {args.format!r}")
    source = as_source(args.result)
    # Loaded once for every format (and outside the timings).
    body = resolve_body(source, BodyModel.from_file(args.body) if args.body else None)
    options = {
        "bvh": {"up": args.up, "units": args.units, "pass_name": args.pass_name},
        "glb": {"pass_name": args.pass_name},
        "rrd": {"passes": args.passes, "meshes": args.meshes},
        "amass": {"pass_name": args.pass_name, "gender": args.gender},
    }
    report = {"result": str(args.result), "threads": torch.get_num_threads(), "formats": {}}
    for fmt in formats:
        start, cpu = time.perf_counter(), time.process_time()
        written = export_result(source, fmt, args.out, body=body, **options[fmt])
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"{fmt}: {len(written)} file(s) in {seconds:.2f} s (CPU {cpu:.2f} s)")
        for path in written:
            print(f"  {path}")
        report["formats"][fmt] = {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "files": [str(p) for p in written],
            "bytes": sum(p.stat().st_size for p in written),
        }
    if args.json:
        write_json_atomic(args.json, report)
        print(f"wrote {args.json}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a result to BVH (per person), GLB (skinned people, floor, camera), a rerun "
        "recording (.rrd) or AMASS npz files",
    )
    p.add_argument("result", help="result folder (slahmr-opt run / naive)")
    p.add_argument(
        "--format",
        required=True,
        help="bvh, glb, rrd, amass, or a comma list (e.g. bvh,glb)",
    )
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--body", default=None, help="the SMPL file the result was fitted with")
    p.add_argument(
        "--pass",
        dest="pass_name",
        default=None,
        help="pass to export for bvh/glb/amass (default: the final one)",
    )
    p.add_argument("--up", default="z", choices=["z", "y"], help="BVH up axis (default z)")
    p.add_argument("--units", default="m", choices=["m", "cm"], help="BVH length unit")
    p.add_argument("--gender", default="neutral", help="AMASS 'gender' field")
    p.add_argument(
        "--passes", default="all", help="rrd: passes logged as layers ('all' or a comma list)"
    )
    p.add_argument(
        "--meshes",
        default=None,
        help="rrd: passes whose full meshes are logged (default: the final one)",
    )
    add_threads_option(p)
    p.add_argument("--json", default=None, help="also write the timings and files to this JSON")
    p.set_defaults(
        func=_cmd_export, outputs=(("out", "folder"), ("json", "file")), inputs=("result",)
    )
