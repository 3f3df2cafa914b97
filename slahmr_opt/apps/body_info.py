"""``slahmr-opt body-info``: size and shape facts of a body model."""

from __future__ import annotations

import argparse


def _cmd_body_info(args: argparse.Namespace) -> int:
    from slahmr_opt.body import BodyModel

    body = BodyModel.resolve(args.body)
    summary = body_summary(body)
    if args.standin_path:
        from slahmr_opt.body.standin import standin_path

        summary["file"] = str(standin_path())
    for key, value in summary.items():
        print(f"{key:>18}: {value}")
    return 0


def body_summary(body) -> dict:
    """Size and shape facts of a body model at the rest pose and β = 0."""
    import torch

    zeros = torch.zeros(1, 3)
    with torch.no_grad():
        verts = body.vertices(
            zeros, torch.zeros(1, body.num_body_joints, 3), zeros.new_zeros(1, 1)
        )[0]
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


def register(sub) -> None:
    p = sub.add_parser("body-info", help="summarise a body model (default: the open stand-in)")
    p.add_argument("--body", default=None, help="SMPL/SMPL-H/SMPL-X file (default: stand-in)")
    p.add_argument(
        "--standin-path",
        action="store_true",
        help="also print where the stand-in body file is cached",
    )
    p.set_defaults(func=_cmd_body_info)
