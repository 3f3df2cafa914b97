"""``slahmr-opt run``: fit a scene or video folder (world init and the three passes)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def load_input_folder(args: argparse.Namespace):
    """Read a scene/video folder in any supported layout with the reader options of ``run``."""
    from slahmr_opt.io.folder import load_scene_folder

    frame_range = None
    if args.frame_range:
        try:
            start, end = (int(x) for x in args.frame_range.split(":"))
        except ValueError:
            raise ValueError(
                f"--frame-range: expected START:END, got {args.frame_range!r}"
            ) from None
        frame_range = (start, end)
    image_size = None
    if args.image_size:
        try:
            w, h = (int(x) for x in args.image_size.lower().split("x"))
        except ValueError:
            raise ValueError(f"--image-size: expected WxH, got {args.image_size!r}") from None
        image_size = (w, h)
    return load_scene_folder(
        args.scene,
        trust_pickle=args.trust_pickle,
        shot=args.shot,
        tracks=args.tracks,
        max_tracks=args.max_tracks,
        min_track_len=args.min_track_len,
        frame_range=frame_range,
        fps=args.fps,
        image_size=image_size,
        focal=args.focal,
        seq=args.seq,
    )


def add_reader_options(p: argparse.ArgumentParser) -> None:
    """The input-folder options of ``run`` (docs/formats.md, 'Readers')."""
    g = p.add_argument_group("input folder (docs/formats.md, 'Readers')")
    g.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow reading pickles (PHALP and WHAM results); only their data is read, a pickle "
        "that refers to code is refused",
    )
    g.add_argument("--shot", type=int, default=None, help="shot to fit when there are several")
    g.add_argument(
        "--tracks", default="all", help="'all', 'longest-N' or comma-separated track ids"
    )
    g.add_argument(
        "--max-tracks",
        type=int,
        default=None,
        help="limit for 'all' (default 12 on upstream layouts, none on scene folders)",
    )
    g.add_argument(
        "--min-track-len",
        type=int,
        default=None,
        help="fewest frames with keypoints (default 21 upstream, 1 on scene folders)",
    )
    g.add_argument(
        "--frame-range", default=None, metavar="START:END", help="frames of the shot to use"
    )
    g.add_argument(
        "--fps",
        type=float,
        default=None,
        help="frame rate when the folder does not record it (the original's layout)",
    )
    g.add_argument("--image-size", default=None, metavar="WxH", help="image size of the keypoints")
    g.add_argument(
        "--focal",
        type=float,
        default=None,
        help="focal length in pixels when unknown (default 0.5 (W + H))",
    )
    g.add_argument("--seq", default=None, help="sequence name in the original layout")


def _cmd_run(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from slahmr_opt.apps.common import load_motion_prior
    from slahmr_opt.body import BodyModel
    from slahmr_opt.config import apply_overrides, parse_overrides, preset
    from slahmr_opt.io.results import save_result
    from slahmr_opt.solver import solve
    from slahmr_opt.vis.trajectory import trajectory_plotter

    if args.threads:
        torch.set_num_threads(args.threads)
    scene = load_input_folder(args)
    config = apply_overrides(preset(args.preset), parse_overrides(args.set or []))
    body = BodyModel.resolve(args.body, num_betas=args.num_betas)
    vposer = None
    if args.vposer is not None:
        from slahmr_opt.priors.vposer import load_vposer

        vposer = load_vposer(args.vposer)
    prior = None  # solve() loads the shipped default itself
    if args.until == "motion" and (args.prior is not None or args.gmm is not None):
        prior = load_motion_prior(args.prior, args.gmm)
    out = Path(args.out)
    records: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = _Collect(level=logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root_logger = logging.getLogger("slahmr_opt")
    previous_level = root_logger.level
    root_logger.addHandler(handler)
    root_logger.setLevel(logging.INFO)
    try:
        result = solve(
            scene,
            config=config,
            body=body,
            until=args.until,
            device=args.device,
            checkpoint_dir=out / "checkpoints",
            prior=prior,
            vposer=vposer,
        )
    finally:
        root_logger.removeHandler(handler)
        root_logger.setLevel(previous_level)
    save_result(
        result,
        out,
        scene=scene,
        body=body,
        plot=None if args.no_plot else trajectory_plotter(body=body),
        log_text="\n".join(records) + "\n",
    )
    print(f"α = {result.alpha:.4f} ({result.alpha_note})")
    if result.floor is not None:
        n, d = result.floor
        print(f"floor: normal {np.round(n, 4).tolist()}, offset {d:.4f} m")
    for name, seconds in result.timings.items():
        print(f"  {name:<8} {seconds:8.2f} s")
    print(f"wrote {out} (final: {result.last_pass}; every pass under {out / 'passes'})")
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "run",
        help="fit a scene or video folder: world init, pass 1 (root), pass 2 (smooth), "
        "pass 3 (motion prior, contacts, floor)",
    )
    p.add_argument(
        "scene",
        help="scene folder, a folder with a manifest, or the original SLAHMR layout",
    )
    p.add_argument("--out", required=True, help="result folder (rerunning resumes from it)")
    p.add_argument(
        "--preset",
        default="fast",
        choices=["fast", "slahmr"],
        help="solver preset: fast (ours) or slahmr (the original's schedule)",
    )
    p.add_argument(
        "--until",
        default="motion",
        choices=["init", "root", "smooth", "motion"],
        help="last pass to run (default: all three)",
    )
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="config override, e.g. --set smooth.iterations=30 (repeatable)",
    )
    p.add_argument("--body", default=None, help="SMPL/SMPL-H/SMPL-X file (default: stand-in)")
    p.add_argument(
        "--num-betas",
        type=int,
        default=None,
        help="shape coefficients to fit and save (default: the body file's own number, 16 for "
        "SMPL-H; 10 for 300-dimensional shape spaces and the stand-in)",
    )
    p.add_argument(
        "--vposer",
        default=None,
        help="your VPoser (vposer_v1_0 folder with snapshots/*.pt and its .ini, or V02_05 with "
        "snapshots/*.ckpt): the slahmr preset then parameterises poses by its latent as the "
        "original (without it the open pose prior is used and the result says so)",
    )
    p.add_argument(
        "--prior",
        default=None,
        help="motion prior: a prior folder, a weights file, or the original HuMoR best_model.pth "
        "(default: the shipped open prior in priors/)",
    )
    p.add_argument(
        "--gmm",
        default=None,
        help="initial-state GMM npz (the original prior_gmm.npz) to use with --prior",
    )
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    p.add_argument("--no-plot", action="store_true", help="do not draw trajectory.png")
    add_reader_options(p)
    p.set_defaults(func=_cmd_run)
