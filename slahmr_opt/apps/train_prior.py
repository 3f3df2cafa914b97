"""``slahmr-opt train-prior`` / ``eval-prior``: the motion prior trained and checked on
procedural motion.

The training loop and the checks are library code (:mod:`slahmr_opt.priors.train`); this module
supplies the procedural clips (:mod:`slahmr_opt.synth.motion`) and the command-line jobs.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from slahmr_opt.apps.common import positive_float, positive_int

EVAL_SEED = 1_000_000_007
"""First clip seed of the held-out evaluation set (training uses seeds below 10⁹)."""

TRAINED_ON = "procedural synthetic motion (slahmr_opt.synth.motion), not AMASS"


def check_kinds(kinds: Sequence[str]) -> None:
    """Raise a ValueError unless ``kinds`` is a non-empty subset of the generator's kinds."""
    from slahmr_opt.synth.motion import MOTION_KINDS

    if not kinds or any(k not in MOTION_KINDS for k in kinds):
        raise ValueError(f"kinds: expected a non-empty subset of {MOTION_KINDS}, got {kinds}")


def build_motion_data(
    body, seeds: Sequence[int], num_frames: int, kinds: Sequence[str], contacts: str = "reference"
):
    """Generate one procedural clip per seed and build its states (float32): a
    :data:`~slahmr_opt.priors.train.DataSource`.

    Args:
        body: the training body (the open stand-in by default).
        seeds: one clip per seed (``slahmr_opt.synth.motion.random_clip``).
        num_frames: T per clip, at 30 fps.
        kinds: motion kinds to draw from.
        contacts: ``"reference"`` or ``"generator"`` (see ``TrainConfig``).

    Returns:
        a :class:`~slahmr_opt.priors.train.MotionData` of N = len(seeds) clips × T frames.
    """
    from slahmr_opt.priors.state import FPS
    from slahmr_opt.priors.train import motion_data_from_clips
    from slahmr_opt.synth.motion import random_clip

    check_kinds(kinds)
    clips = [random_clip(body, num_frames, int(s), kinds, fps=FPS) for s in seeds]
    return motion_data_from_clips(body, clips, contacts)


def train_prior(
    out_dir: str | os.PathLike,
    config=None,
    *,
    resume: bool = False,
    minutes: float | None = None,
    progress: bool = True,
    body=None,
) -> Path:
    """Train the CVAE on procedural motion and write a prior folder
    (:func:`slahmr_opt.priors.train.train_prior_on` with :func:`build_motion_data`).

    Args:
        out_dir: the prior folder.
        config: the run (default ``TrainConfig()``).
        resume, minutes, progress, body: as in ``train_prior_on``.

    Returns:
        ``out_dir`` as a Path.
    """
    from slahmr_opt.priors.train import train_prior_on

    if config is not None:
        check_kinds(config.kinds)
    return train_prior_on(
        out_dir,
        build_motion_data,
        config,
        resume=resume,
        minutes=minutes,
        progress=progress,
        body=body,
        trained_on=TRAINED_ON,
    )


def evaluate_prior(
    prior=None,
    *,
    num_clips: int = 48,
    clip_frames: int = 90,
    sigmas: Sequence[float] = (0.01, 0.02, 0.05),
    rollout_steps: int = 300,
    rollout_samples: int = 16,
    pelvis_band: tuple[float, float] = (0.5, 1.3),
    seed: int = 0,
    timing: bool = False,
    body=None,
) -> dict[str, Any]:
    """Held-out checks of a prior on procedural clips it never saw (seeds from
    :data:`EVAL_SEED`); see :func:`slahmr_opt.priors.train.evaluate_prior_on` for the checks and
    the report.

    Args:
        prior: a ``MotionPrior``, a prior folder, or None for the shipped default.
        num_clips, clip_frames: held-out clips and their length (30 fps).
        sigmas, rollout_steps, rollout_samples, pelvis_band, seed, timing: as in
            ``evaluate_prior_on``.
        body: the body of the clips (default: the open stand-in).
    """
    from slahmr_opt.body import BodyModel
    from slahmr_opt.priors.train import evaluate_prior_on

    body = body if body is not None else BodyModel.standin()
    seeds = [EVAL_SEED + 1000 * seed + i for i in range(num_clips)]
    data = build_motion_data(
        body, seeds, clip_frames, ("walk", "jog", "turn", "side_step", "idle", "stop_start")
    )
    return evaluate_prior_on(
        prior,
        data,
        sigmas=sigmas,
        rollout_steps=rollout_steps,
        rollout_samples=rollout_samples,
        pelvis_band=pelvis_band,
        seed=seed,
        timing=timing,
    )


def _cmd_train_prior(args: argparse.Namespace) -> int:
    from slahmr_opt.priors.train import TrainConfig, override_train_config, unfinished_config

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
        check_kinds(config.kinds)
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


def register(sub) -> None:
    p = sub.add_parser(
        "train-prior",
        help="train the HuMoR motion prior on procedural motion (defaults: the shipped prior)",
    )
    p.add_argument("--out", required=True, help="prior folder to write (weights, GMM, config, log)")
    p.add_argument("--resume", action="store_true", help="continue an unfinished run in --out")
    p.add_argument(
        "--minutes",
        type=positive_float,
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
    p.add_argument("--threads", type=positive_int, default=None, help="torch threads (default: 1)")
    p.add_argument(
        "--tiny", action="store_true", help="tiny widths and data: a seconds-long smoke run"
    )
    p.set_defaults(func=_cmd_train_prior, outputs=(("out", "folder"),), inputs=())
