"""Helpers shared by several subcommands (not a subcommand itself)."""

from __future__ import annotations

import argparse
import os

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
"""Environment variables that size the math libraries' thread pools in a new process."""


def add_threads_option(p: argparse.ArgumentParser) -> None:
    """``--threads N`` (default 1): torch CPU threads of the process (0: torch's default)."""
    p.add_argument(
        "--threads",
        type=int,
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
