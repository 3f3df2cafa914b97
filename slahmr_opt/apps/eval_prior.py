"""``slahmr-opt eval-prior``: held-out checks of a motion prior on procedural motion."""

from __future__ import annotations

import argparse

from slahmr_opt.apps.common import add_threads_option, non_negative_int, positive_int, set_threads


def _cmd_eval_prior(args: argparse.Namespace) -> int:
    from slahmr_opt.apps import train_prior as procedural
    from slahmr_opt.apps.common import load_motion_prior
    from slahmr_opt.files import write_json_atomic
    from slahmr_opt.priors.train import format_prior_report

    set_threads(args.threads)
    for name in ("clips", "rollouts", "steps"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name}: expected a positive count, got {getattr(args, name)}")
    prior = load_motion_prior(args.prior, args.gmm)
    if args.prior is None:
        prior.source = "shipped default (priors/)"  # no machine path in the report
    report = procedural.evaluate_prior(
        prior,
        num_clips=args.clips,
        rollout_steps=args.steps,
        rollout_samples=min(args.rollouts, args.clips),
        seed=args.seed,
        timing=args.timing,
    )
    print(format_prior_report(report))
    if args.json:
        write_json_atomic(args.json, report)
        print(f"wrote {args.json}")
    return 0 if report["ordering_holds"] else 1


def register(sub) -> None:
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
    p.add_argument(
        "--clips", type=positive_int, default=48, help="held-out clips of 90 frames (default 48)"
    )
    p.add_argument(
        "--rollouts", type=positive_int, default=16, help="sampled roll-outs (at most --clips)"
    )
    p.add_argument("--steps", type=positive_int, default=300, help="steps per sampled roll-out")
    p.add_argument(
        "--seed", type=non_negative_int, default=0, help="held-out clips, noise and latent draws"
    )
    add_threads_option(p)
    p.set_defaults(func=_cmd_eval_prior, outputs=(("json", "file"),), inputs=("prior", "gmm"))
