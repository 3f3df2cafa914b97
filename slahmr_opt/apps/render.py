"""``slahmr-opt render``: an overlay video of a result over the frames, through its cameras."""

from __future__ import annotations

import argparse

from slahmr_opt.apps.common import add_threads_option, non_negative_int, positive_int, unit_interval
from slahmr_opt.errors import InputError


def _frame_range(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        start, end = (int(x) for x in text.split(":"))
    except ValueError:
        raise InputError(f"--frames: expected START:END, got {text!r}") from None
    return start, end


def _cmd_render(args: argparse.Namespace) -> int:
    import time

    import torch

    from slahmr_opt.body import BodyModel
    from slahmr_opt.vis.overlay import OverlayConfig, render_overlay

    if args.threads:
        torch.set_num_threads(args.threads)
    scene = None
    if args.scene:
        from slahmr_opt.io.folder import load_scene_folder

        scene = load_scene_folder(args.scene, trust_pickle=args.trust_pickle)
    config = OverlayConfig(
        style=args.style,
        alpha=args.alpha,
        keypoints=args.keypoints,
        floor=not args.no_floor,
        max_width=args.max_width,
    )
    body = BodyModel.from_file(args.body) if args.body else None
    start = time.perf_counter()
    out = render_overlay(
        args.result,
        args.out,
        images=args.images,
        scene=scene,
        body=body,
        passes=args.passes,
        frames=_frame_range(args.frames),
        image_offset=args.image_offset,
        config=config,
        progress=not args.quiet,
    )
    print(f"wrote {out} in {time.perf_counter() - start:.1f} s")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render",
        help="draw a result's bodies over the video frames (mp4/avi, a PNG still or a folder)",
    )
    p.add_argument("result", help="result folder (slahmr-opt run / naive)")
    p.add_argument(
        "--out", required=True, help="out.mp4, out.avi, a still .png/.jpg, or a folder of PNGs"
    )
    p.add_argument(
        "--images",
        default=None,
        help="frames folder or video file (default: a plain background)",
    )
    p.add_argument(
        "--scene",
        default=None,
        help="the solved scene or video folder (image size; input keypoints with --keypoints)",
    )
    p.add_argument("--keypoints", action="store_true", help="also draw the input 2D keypoints")
    p.add_argument(
        "--passes",
        default=None,
        help="passes side by side, e.g. smooth,motion or 'all' (default: the final one)",
    )
    p.add_argument("--frames", default=None, metavar="START:END", help="scene frames to draw")
    p.add_argument(
        "--image-offset",
        type=non_negative_int,
        default=0,
        help="index in --images of scene frame 0",
    )
    p.add_argument(
        "--style",
        default="auto",
        choices=["auto", "mesh", "skeleton"],
        help="bodies as meshes or skeletons (default: meshes)",
    )
    p.add_argument("--alpha", type=unit_interval, default=0.85, help="body opacity (0, 1]")
    p.add_argument("--no-floor", action="store_true", help="do not draw the floor grid")
    p.add_argument("--max-width", type=positive_int, default=960, help="panel width limit, pixels")
    p.add_argument("--body", default=None, help="the SMPL file the result was fitted with")
    p.add_argument("--trust-pickle", action="store_true", help="allow pickles when reading --scene")
    add_threads_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(
        func=_cmd_render, outputs=(("out", "path"),), inputs=("result", "scene", "images")
    )
