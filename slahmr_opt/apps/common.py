"""Helpers shared by several subcommands (not a subcommand itself)."""

from __future__ import annotations


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
