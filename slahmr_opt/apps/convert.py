"""``slahmr-opt convert``: a SMPL-family pickle (chumpy arrays) as a clean npz."""

from __future__ import annotations

import argparse


def _cmd_convert(args: argparse.Namespace) -> int:
    from slahmr_opt.body import convert_model_file, read_model_file
    from slahmr_opt.body.model_files import infer_model_type

    dst = convert_model_file(args.src, args.dst)
    kind = infer_model_type(read_model_file(dst), dst)
    print(f"wrote {dst} ({kind}); load it with BodyModel.from_file or --body {dst}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("convert", help="turn a SMPL/SMPL-H/SMPL-X .pkl (chumpy) into a clean .npz")
    p.add_argument("src", help="the model .pkl (or .npz) file")
    p.add_argument("dst", help="the .npz to write")
    p.set_defaults(func=_cmd_convert, outputs=(("dst", "file"),), inputs=("src",))
