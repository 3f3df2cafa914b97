"""``slahmr-opt eval``: score a result folder against a synthetic scene's ground truth."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def recorded_body_source(result: str | Path) -> str | None:
    """The body model recorded in a result folder's ``scene.json`` (``body.source``: a file path
    or ``"stand-in"``), or None when the folder records none (estimate folders)."""
    folder = Path(result)
    meta = (folder.parent if folder.is_file() else folder) / "scene.json"
    try:
        info = json.loads(meta.read_text())
    except (OSError, ValueError):
        return None  # load_estimate reports a missing or broken scene.json clearly
    body = info.get("body") if isinstance(info, dict) else None
    source = body.get("source") if isinstance(body, dict) else None
    return str(source) if source else None


def result_body(result: str | Path, body: str | None):
    """The body to score ``result`` with: ``body`` (``--body``) when given, else the one
    recorded with the result (a missing recorded file is a clear error), else the stand-in."""
    from slahmr_opt.body import BodyModel

    if body is not None:
        return BodyModel.resolve(body)
    source = recorded_body_source(result)
    if source is None or source == "stand-in":
        return BodyModel.standin()
    if not Path(source).is_file():
        raise ValueError(
            f"{result}: scene.json field 'body.source' names {source}, which is not found here; "
            "pass the same body with --body"
        )
    return BodyModel.resolve(source)


def _cmd_eval(args: argparse.Namespace) -> int:
    from slahmr_opt.eval.evaluate import evaluate_estimate
    from slahmr_opt.eval.metrics import format_table
    from slahmr_opt.files import write_json_atomic
    from slahmr_opt.io.results import load_estimate
    from slahmr_opt.io.scene_folder import load_ground_truth

    estimate = load_estimate(args.result)
    gt = load_ground_truth(args.gt)
    body = result_body(args.result, args.body)
    report = evaluate_estimate(
        estimate.people,
        gt,
        body,
        alpha=estimate.alpha,
        cameras=estimate.cameras,
        floor=estimate.floor,
        with_pve=args.pve,
        root_source=args.root_source,
        tail=args.tail,
    )
    summary = report.summary()
    print(format_table({estimate.method: summary}))
    if args.json:
        write_json_atomic(
            args.json,
            {
                "result": str(args.result),
                "gt": str(args.gt),
                "method": estimate.method,
                "body": body.source,
                "metrics": summary,
                "counts": report.counts(),
            },
        )
        print(f"wrote {args.json}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("eval", help="score a result folder against a synthetic scene's gt.npz")
    p.add_argument("result", help="result folder")
    p.add_argument("--gt", required=True, help="gt.npz or the scene folder holding it")
    p.add_argument("--json", default=None, help="also write the metrics to this JSON file")
    p.add_argument("--pve", action="store_true", help="also compute PVE (full meshes)")
    p.add_argument(
        "--root-source",
        default="pelvis",
        choices=["pelvis", "transl"],
        help="root used by RTE (GVHMR/TRAM: pelvis; WHAM: transl)",
    )
    p.add_argument(
        "--tail",
        default="gvhmr",
        choices=["gvhmr", "wham", "tram"],
        help="how the last partial 100-frame chunk is handled",
    )
    p.add_argument(
        "--body",
        default=None,
        help="SMPL file (default: the body recorded with the result, else the stand-in)",
    )
    p.set_defaults(func=_cmd_eval, outputs=(("json", "file"),), inputs=("result", "gt"))
