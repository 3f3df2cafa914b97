"""``slahmr-opt synth``: a synthetic scene folder with exact ground truth."""

from __future__ import annotations

import argparse

from slahmr_opt.apps.common import non_negative_int, positive_int


def _cmd_synth(args: argparse.Namespace) -> int:
    from slahmr_opt.body import BodyModel
    from slahmr_opt.synth.scene import write_synthetic_scene

    body = BodyModel.resolve(args.body)
    out = write_synthetic_scene(
        args.out,
        num_people=args.people,
        num_frames=args.frames,
        preset=args.preset,
        camera=args.camera,
        seed=args.seed,
        body=body,
    )
    print(
        f"wrote synthetic scene ({args.people} people, {args.frames} frames, preset "
        f"{args.preset}, camera {args.camera}, seed {args.seed}) to {out}"
    )
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "synth", help="make a synthetic scene folder with exact ground truth (gt.npz)"
    )
    p.add_argument("--preset", default="medium", help="noise preset: none, easy, medium, hard")
    p.add_argument("--people", type=positive_int, default=2, help="people in the scene (1-4)")
    p.add_argument("--frames", type=positive_int, default=300, help="frames (30 fps)")
    p.add_argument("--camera", default="handheld", help="static, pan_tilt, handheld or orbit")
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--body", default=None, help="SMPL file for the people (default: stand-in)")
    p.add_argument("--out", required=True, help="scene folder to write")
    p.set_defaults(func=_cmd_synth, outputs=(("out", "folder"),), inputs=())
