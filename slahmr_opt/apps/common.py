"""Helpers shared by several subcommands (not a subcommand itself)."""

from __future__ import annotations

import argparse
import math
import os
import re

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
"""Environment variables that size the math libraries' thread pools in a new process."""


def _number(text: str, cast: type, low: float | None, high: float | None, strict: bool) -> float:
    try:
        value = cast(text)
    except (TypeError, ValueError):
        kind = "an integer" if cast is int else "a number"
        raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
    if cast is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    if low is not None and (value <= low if strict else value < low):
        raise argparse.ArgumentTypeError(f"expected {'>' if strict else '≥'} {low:g}, got {text}")
    if high is not None and value > high:
        raise argparse.ArgumentTypeError(f"expected ≤ {high:g}, got {text}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer ≥ 1."""
    return int(_number(text, int, 1, None, False))


def non_negative_int(text: str) -> int:
    """argparse type: an integer ≥ 0."""
    return int(_number(text, int, 0, None, False))


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    return float(_number(text, float, 0.0, None, True))


def unit_interval(text: str) -> float:
    """argparse type: a number in (0, 1]."""
    return float(_number(text, float, 0.0, 1.0, True))


def device_name(text: str) -> str:
    """argparse type: ``cpu``, ``cuda`` or ``cuda:N`` (whether CUDA is present is checked when
    the solver starts)."""
    if not re.fullmatch(r"cpu|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(f"expected cpu, cuda or cuda:N, got {text!r}")
    return text


def add_threads_option(p: argparse.ArgumentParser) -> None:
    """``--threads N`` (default 1): torch CPU threads of the process (0: torch's default)."""
    p.add_argument(
        "--threads",
        type=non_negative_int,
        default=1,
        help="torch CPU threads per process (default 1: fastest when several processes share "
        "the machine, see README 'Threads'; 0: torch's default, all cores)",
    )


def set_threads(threads: int) -> None:
    """Use ``threads`` torch CPU threads in this process (0: leave torch's default)."""
    if threads < 0:
        raise ValueError(f"--threads: expected 0 or a positive count, got {threads}")
    if threads:
        import torch

        torch.set_num_threads(threads)


def thread_env(threads: int) -> dict[str, str]:
    """The environment of a child process that runs with ``threads`` CPU threads."""
    env = dict(os.environ)
    if threads:
        env.update({name: str(threads) for name in THREAD_VARS})
    return env


def load_motion_prior(prior: str | None, gmm: str | None):
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
