"""``slahmr-opt run``: fit a scene or video folder (world init and the three passes)."""

from __future__ import annotations

import argparse
import logging
import os
import time
import zipfile
from pathlib import Path
from typing import Any

from slahmr_opt.apps.common import (
    add_threads_option,
    device_name,
    non_negative_int,
    positive_float,
    positive_int,
)

LOGS_DIR = "logs"
"""Per-run log files inside a result folder: ``logs/run-<UTC time>-<pid>.log``."""


def load_input_folder(args: argparse.Namespace):
    """Read a scene/video folder in any supported layout with the reader options of ``run``
    (``args.scene`` is the folder)."""
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
    g.add_argument(
        "--shot", type=non_negative_int, default=None, help="shot to fit when there are several"
    )
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
        type=positive_float,
        default=None,
        help="frame rate when the folder does not record it (the original's layout)",
    )
    g.add_argument("--image-size", default=None, metavar="WxH", help="image size of the keypoints")
    g.add_argument(
        "--focal",
        type=positive_float,
        default=None,
        help="focal length in pixels when unknown (default 0.5 (W + H))",
    )
    g.add_argument("--seq", default=None, help="sequence name in the original layout")


def new_log_path(folder: str | os.PathLike) -> Path:
    """A fresh log file name ``folder/logs/run-<UTC time>-<pid>-<n>.log`` (never an existing
    one)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    logs = Path(folder) / LOGS_DIR
    n = 0
    while (path := logs / f"run-{stamp}-{os.getpid()}-{n}.log").exists():
        n += 1
    return path


class RunLog:
    """The log file of one run (default: a new one in ``folder/logs/``, never overwritten),
    appended record by record as the run goes; ``with`` attaches it to the ``slahmr_opt``
    loggers at INFO."""

    def __init__(self, folder: str | os.PathLike, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path is not None else new_log_path(folder)
        self._handler: logging.Handler | None = None
        self._level = logging.NOTSET

    def __enter__(self) -> RunLog:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(self.path, mode="a", encoding="utf-8")
        handler.setLevel(logging.INFO)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger = logging.getLogger("slahmr_opt")
        self._level = logger.level
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
        self._handler = handler
        return self

    def __exit__(self, *exc: object) -> None:
        logger = logging.getLogger("slahmr_opt")
        if self._handler is not None:
            logger.removeHandler(self._handler)
            self._handler.close()
        logger.setLevel(self._level)


def fit_folder(
    args: argparse.Namespace,
    out: str | os.PathLike,
    *,
    progress: bool = True,
    log_path: str | os.PathLike | None = None,
) -> tuple[Any, Any, Any]:
    """Read ``args.scene`` with the reader options, solve it with the run options (checkpoints in
    ``out/checkpoints``: a rerun resumes), write the result folder ``out``; the run's log goes to
    ``log_path`` (default: a new file in ``out/logs/``) as it runs.

    Returns:
        (the :class:`~slahmr_opt.result.Result`, the scene, the body model).
    """
    from slahmr_opt.apps.common import load_motion_prior, set_threads
    from slahmr_opt.body import BodyModel
    from slahmr_opt.config import apply_overrides, parse_overrides, preset
    from slahmr_opt.io.results import save_result
    from slahmr_opt.solver import solve
    from slahmr_opt.vis.trajectory import trajectory_plotter

    set_threads(args.threads)
    out = Path(out)
    with RunLog(out, log_path) as run_log:
        log = logging.getLogger("slahmr_opt.apps.run")
        try:
            log.info(
                "run %s -> %s (pid %d, %d torch threads requested)",
                args.scene,
                out,
                os.getpid(),
                args.threads,
            )
            try:
                scene = load_input_folder(args)
            except (OSError, EOFError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
                # readers turn known problems into ValueErrors; this is a file they could not parse
                raise ValueError(
                    f"{args.scene}: a file of this sequence is corrupt or truncated "
                    f"({type(exc).__name__}: {exc}; the traceback in the log names it)"
                ) from exc
            config = apply_overrides(preset(args.preset), parse_overrides(args.set or []))
            body = BodyModel.resolve(args.body, num_betas=getattr(args, "num_betas", None))
            vposer = None
            if getattr(args, "vposer", None) is not None:
                from slahmr_opt.priors.vposer import load_vposer

                vposer = load_vposer(args.vposer)
            prior = None  # solve() loads the shipped default itself
            if args.until == "motion" and (args.prior is not None or args.gmm is not None):
                prior = load_motion_prior(args.prior, args.gmm)
            result = solve(
                scene,
                config=config,
                body=body,
                until=args.until,
                device=args.device,
                checkpoint_dir=out / "checkpoints",
                prior=prior,
                progress=progress,
                vposer=vposer,
            )
            save_result(
                result,
                out,
                scene=scene,
                body=body,
                plot=None if args.no_plot else trajectory_plotter(body=body),
                log_file=run_log.path.relative_to(out),
            )
        except Exception as exc:  # the log tells what went wrong, the caller reports it
            plain = isinstance(exc, ValueError) and exc.__cause__ is None
            log.error("run failed: %s", exc, exc_info=not plain)
            raise
    return result, scene, body


def _cmd_run(args: argparse.Namespace) -> int:
    import numpy as np

    out = Path(args.out)
    result, _, _ = fit_folder(args, out)
    print(f"α = {result.alpha:.4f} ({result.alpha_note})")
    if result.floor is not None:
        n, d = result.floor
        print(f"floor: normal {np.round(n, 4).tolist()}, offset {d:.4f} m")
    print(result.timings_text())
    print(f"wrote {out} (final: {result.last_pass}; every pass under {out / 'passes'})")
    return 0


def add_run_options(p: argparse.ArgumentParser) -> None:
    """The solver and reader options of ``run`` (everything but the folder and ``--out``);
    ``batch`` takes the same ones and passes them to every sequence."""
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
        type=positive_int,
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
    p.add_argument("--device", default="cpu", type=device_name, help="cpu or cuda")
    add_threads_option(p)
    p.add_argument("--no-plot", action="store_true", help="do not draw trajectory.png")
    add_reader_options(p)


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
    add_run_options(p)
    p.set_defaults(func=_cmd_run, outputs=(("out", "folder"),), inputs=("scene",))
