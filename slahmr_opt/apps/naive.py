"""``slahmr-opt naive``: the naive composition baseline, written as a result folder."""

from __future__ import annotations

import argparse


def parse_alpha(text: str) -> float | str:
    """``--alpha``: ``"slam"``, ``"median"`` or a positive number."""
    if text in ("slam", "median"):
        return text
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"--alpha: expected 'slam', 'median' or a number, got {text!r}") from None
    if value <= 0:
        raise ValueError(f"--alpha: expected a positive number, got {value}")
    return value


def _cmd_naive(args: argparse.Namespace) -> int:
    from slahmr_opt.body import BodyModel
    from slahmr_opt.io.results import save_estimate
    from slahmr_opt.io.scene_folder import load_scene
    from slahmr_opt.result import WorldEstimate
    from slahmr_opt.solver.world_init import naive_composition

    scene = load_scene(args.scene)
    body = BodyModel.resolve(args.body)
    people, alpha = naive_composition(scene, body, alpha=parse_alpha(args.alpha))
    estimate = WorldEstimate(
        people=people,
        alpha=alpha,
        cameras=scene.cameras,
        fps=scene.fps,
        method=f"naive-{args.alpha}",
    )
    out = save_estimate(estimate, args.out)
    print(f"naive composition of {len(people)} people at α = {alpha:.4f} written to {out}")
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "naive",
        help="the naive composition baseline: per-frame SMPL put in the "
        "world by the SLAM cameras; writes a result folder",
    )
    p.add_argument("scene", help="scene folder")
    p.add_argument("--out", required=True, help="result folder to write")
    p.add_argument(
        "--alpha",
        default="median",
        help="world scale: 'slam' (α = 1), 'median' (default) or a number",
    )
    p.add_argument("--body", default=None, help="SMPL file (default: stand-in)")
    p.set_defaults(func=_cmd_naive, outputs=(("out", "folder"),), inputs=("scene",))
