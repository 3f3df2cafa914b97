"""The ``slahmr-opt`` command line.

Each subcommand is a small function; heavy imports happen inside it so that ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from slahmr_opt.apps import COMMAND_MODULES
from slahmr_opt.files import write_json_atomic


# ---------------------------------------------------------------------------- body commands
def _cmd_convert(args: argparse.Namespace) -> int:
    from slahmr_opt.body import convert_model_file, read_model_file
    from slahmr_opt.body.model_files import infer_model_type

    dst = convert_model_file(args.src, args.dst)
    kind = infer_model_type(read_model_file(dst), dst)
    print(f"wrote {dst} ({kind}); load it with BodyModel.from_file or --body {dst}")
    return 0


def _cmd_body_info(args: argparse.Namespace) -> int:
    from slahmr_opt.body import BodyModel

    body = BodyModel.resolve(args.body)
    summary = _body_summary(body)
    if args.standin_path:
        from slahmr_opt.body.standin import standin_path

        summary["file"] = str(standin_path())
    for key, value in summary.items():
        print(f"{key:>18}: {value}")
    return 0


def _body_summary(body) -> dict:
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


def _cmd_bench_body(args: argparse.Namespace) -> int:
    import torch

    from slahmr_opt.body import BodyModel
    from slahmr_opt.body.benchmark import time_body_paths, timings_to_dict

    if args.threads:
        torch.set_num_threads(args.threads)
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


# ---------------------------------------------------------------------------- synthetic world
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


def _parse_alpha(text: str) -> float | str:
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
    people, alpha = naive_composition(scene, body, alpha=_parse_alpha(args.alpha))
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


def _cmd_eval(args: argparse.Namespace) -> int:
    from slahmr_opt.body import BodyModel
    from slahmr_opt.eval.evaluate import evaluate_estimate
    from slahmr_opt.eval.metrics import format_table
    from slahmr_opt.io.results import load_estimate
    from slahmr_opt.io.scene_folder import load_ground_truth

    estimate = load_estimate(args.result)
    gt = load_ground_truth(args.gt)
    body = BodyModel.resolve(args.body)
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
                "metrics": summary,
            },
        )
        print(f"wrote {args.json}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    import torch

    from slahmr_opt.body import BodyModel
    from slahmr_opt.eval.bench import BenchConfig, default_methods, run_benchmark

    if args.threads:
        torch.set_num_threads(args.threads)
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


# ---------------------------------------------------------------------------- solver
def _load_input_folder(args: argparse.Namespace):
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


def _add_reader_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("input folder (docs/formats.md, 'Readers')")
    g.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow reading pickles (PHALP/WHAM); they can run code when loaded",
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


def _load_motion_prior(prior: str | None, gmm: str | None):
    """The motion prior named by ``--prior`` / ``--gmm`` (no ``--prior``: the shipped default);
    a missing file is a clear error, not a traceback."""
    from slahmr_opt.priors import GaussianMixture, load_prior

    try:
        loaded = load_prior(prior)
        if gmm is not None:
            loaded.gmm = GaussianMixture.load(gmm)
    except FileNotFoundError as exc:
        raise ValueError(str(exc)) from exc
    return loaded


def _cmd_run(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from slahmr_opt.body import BodyModel
    from slahmr_opt.config import apply_overrides, parse_overrides, preset
    from slahmr_opt.io.results import save_result
    from slahmr_opt.solver import solve
    from slahmr_opt.vis.trajectory import trajectory_plotter

    if args.threads:
        torch.set_num_threads(args.threads)
    scene = _load_input_folder(args)
    config = apply_overrides(preset(args.preset), parse_overrides(args.set or []))
    body = BodyModel.resolve(args.body)
    prior = None  # solve() loads the shipped default itself
    if args.until == "motion" and (args.prior is not None or args.gmm is not None):
        prior = _load_motion_prior(args.prior, args.gmm)
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


# ---------------------------------------------------------------------------- motion prior
def _cmd_train_prior(args: argparse.Namespace) -> int:
    import json

    from slahmr_opt.priors.train import (
        TrainConfig,
        override_train_config,
        train_prior,
        unfinished_config,
    )

    out = Path(args.out)
    pending = unfinished_config(out)
    config = None
    overridden = bool(args.tiny or args.set or args.threads is not None)
    if not args.resume or overridden:
        base = TrainConfig.tiny() if args.tiny else TrainConfig()
        if args.resume and pending is not None and not args.tiny:
            base = pending  # --set on --resume: compared with the stored settings
        config = override_train_config(base, args.set or [])
        if args.threads is not None:
            config = override_train_config(config, [f"threads={args.threads}"])
    if args.resume:
        if pending is None:
            info = out / "config.json"
            if info.is_file() and json.loads(info.read_text()).get("finished"):
                print(f"{out}: the run there is finished; nothing to resume")
                return 0
            if config is None:
                raise ValueError(f"--resume: {out} holds no unfinished run (no train_state.pt)")
    elif pending is not None:
        raise ValueError(
            f"--out {out}: holds an unfinished run; continue it with --resume or choose another "
            "folder"
        )
    train_prior(out, config, resume=args.resume, minutes=args.minutes)
    info = json.loads((out / "config.json").read_text())
    seconds = sum(info.get("seconds", {}).values())
    print(
        f"wrote {out}: {info.get('epochs_done')} epochs, best validation loss "
        f"{info.get('best_val_loss'):.5g}, {seconds:.0f} s this far"
    )
    if not info.get("finished"):
        print(
            f"stopped early (--minutes); continue with: slahmr-opt train-prior --out {out} --resume"
        )
    return 0


def _cmd_eval_prior(args: argparse.Namespace) -> int:
    import torch

    import slahmr_opt.priors.train as train
    from slahmr_opt.files import write_json_atomic

    if args.threads:
        torch.set_num_threads(args.threads)
    for name in ("clips", "rollouts", "steps"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name}: expected a positive count, got {getattr(args, name)}")
    prior = _load_motion_prior(args.prior, args.gmm)
    if args.prior is None:
        prior.source = "shipped default (priors/)"  # no machine path in the report
    report = train.evaluate_prior(
        prior,
        num_clips=args.clips,
        rollout_steps=args.steps,
        rollout_samples=min(args.rollouts, args.clips),
        seed=args.seed,
        timing=args.timing,
    )
    print(train.format_prior_report(report))
    if args.json:
        write_json_atomic(args.json, report)
        print(f"wrote {args.json}")
    return 0 if report["ordering_holds"] else 1


# ---------------------------------------------------------------------------- demo
def _cmd_demo(args: argparse.Namespace) -> int:
    from slahmr_opt.demo import run_demo

    return run_demo(Path(args.out))


# ---------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slahmr-opt",
        description="World-grounded multi-person SMPL motion from 2D keypoints, per-frame SMPL "
        "and SLAM cameras (a fast reimplementation of the SLAHMR optimizer).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", help="run the end-to-end demo on built-in data and write results")
    p.add_argument("--out", default="runs/demo", help="output folder (default: runs/demo)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser(
        "synth", help="make a synthetic scene folder with exact ground truth (gt.npz)"
    )
    p.add_argument("--preset", default="medium", help="noise preset: none, easy, medium, hard")
    p.add_argument("--people", type=int, default=2, help="people in the scene (1-4)")
    p.add_argument("--frames", type=int, default=300, help="frames (30 fps)")
    p.add_argument("--camera", default="handheld", help="static, pan_tilt, handheld or orbit")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--body", default=None, help="SMPL file for the people (default: stand-in)")
    p.add_argument("--out", required=True, help="scene folder to write")
    p.set_defaults(func=_cmd_synth)

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
    _add_reader_options(p)
    p.set_defaults(func=_cmd_run)

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
    p.set_defaults(func=_cmd_naive)

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
    p.add_argument("--body", default=None, help="SMPL file (default: stand-in)")
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser("bench", help="benchmark the methods on seeded synthetic scenes")
    p.add_argument("--preset", default="medium")
    p.add_argument("--people", type=int, default=2)
    p.add_argument("--frames", type=int, default=300)
    p.add_argument("--scenes", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
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
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    p.add_argument("--body", default=None, help="SMPL file (default: stand-in)")
    p.add_argument("--json", default=None, help="also write the table to this JSON file")
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("convert", help="turn a SMPL/SMPL-H/SMPL-X .pkl (chumpy) into a clean .npz")
    p.add_argument("src", help="the model .pkl (or .npz) file")
    p.add_argument("dst", help="the .npz to write")
    p.set_defaults(func=_cmd_convert)

    p = sub.add_parser("body-info", help="summarise a body model (default: the open stand-in)")
    p.add_argument("--body", default=None, help="SMPL/SMPL-H/SMPL-X file (default: stand-in)")
    p.add_argument(
        "--standin-path",
        action="store_true",
        help="also print where the stand-in body file is cached",
    )
    p.set_defaults(func=_cmd_body_info)

    p = sub.add_parser(
        "bench-body", help="time the joints / landmarks / mesh evaluation paths per 1000 frames"
    )
    p.add_argument("--body", default=None, help="SMPL/SMPL-H/SMPL-X file (default: stand-in)")
    p.add_argument("--frames", type=int, default=1000, help="batch size (default 1000)")
    p.add_argument("--repeats", type=int, default=5, help="timed runs; the best is kept")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    p.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    p.set_defaults(func=_cmd_bench_body)

    p = sub.add_parser(
        "train-prior",
        help="train the HuMoR motion prior on procedural motion (defaults: the shipped prior)",
    )
    p.add_argument("--out", required=True, help="prior folder to write (weights, GMM, config, log)")
    p.add_argument("--resume", action="store_true", help="continue an unfinished run in --out")
    p.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="stop after the epoch that crosses this budget (resume later with --resume)",
    )
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="TrainConfig override, e.g. --set epochs=40 or --set model.latent_dim=32 "
        "(repeatable; tuples comma-separated)",
    )
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: 1)")
    p.add_argument(
        "--tiny", action="store_true", help="tiny widths and data: a seconds-long smoke run"
    )
    p.set_defaults(func=_cmd_train_prior)

    p = sub.add_parser(
        "eval-prior",
        help="held-out checks of a motion prior: likelihood ordering, GMM, sampled roll-outs",
    )
    p.add_argument(
        "--prior",
        default=None,
        help="prior folder, weights file or original best_model.pth (default: shipped priors/)",
    )
    p.add_argument("--gmm", default=None, help="initial-state GMM .npz (e.g. the original's)")
    p.add_argument("--json", default=None, help="also write the report to this JSON file")
    p.add_argument(
        "--timing", action="store_true", help="also time roll-outs at original and prior widths"
    )
    p.add_argument("--clips", type=int, default=48, help="held-out clips of 90 frames (default 48)")
    p.add_argument("--rollouts", type=int, default=16, help="sampled roll-outs (at most --clips)")
    p.add_argument("--steps", type=int, default=300, help="steps per sampled roll-out")
    p.add_argument("--seed", type=int, default=0, help="held-out clips, noise and latent draws")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    p.set_defaults(func=_cmd_eval_prior)

    for name in COMMAND_MODULES:  # subcommands that live in slahmr_opt/apps/
        importlib.import_module(f"slahmr_opt.apps.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ValueError as exc:  # bad input: a clear message, not a traceback
        if args.verbose:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
