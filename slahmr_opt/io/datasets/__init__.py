"""Readers that turn a user's copy of an evaluation dataset into ground-truth sequences.

Nothing is downloaded or shipped: the user passes the dataset root. Each reader returns
:class:`~slahmr_opt.io.datasets.common.DatasetSequence` objects (true metric cameras, people's
SMPL/SMPL-X parameters in the dataset's world, the protocol's valid frames). The annotation files
are pickles, read only with ``trust_pickle=True``.

=========  ==========================================  =================================
dataset    files                                       splits
=========  ==========================================  =================================
``emdb``   ``P*/<seq>/<P>_<seq>_data.pkl``             ``emdb1``, ``emdb2``, ``all``
``3dpw``   ``sequenceFiles/<split>/<seq>.pkl``         ``train``, ``validation``, ``test``
``rich``   ``bodies/<split>/<seq>/<frame>/<sub>.pkl``  ``train``, ``val``, ``test``
=========  ==========================================  =================================
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from slahmr_opt.errors import InputError
from slahmr_opt.io.datasets.common import DatasetSequence
from slahmr_opt.io.datasets.emdb import read_emdb
from slahmr_opt.io.datasets.rich import read_rich
from slahmr_opt.io.datasets.threedpw import read_3dpw

__all__ = ["DATASETS", "DEFAULT_SPLITS", "DatasetSequence", "read_dataset"]

DATASETS = {"emdb": read_emdb, "3dpw": read_3dpw, "rich": read_rich}
"""Dataset name → reader ``(root, split, *, trust_pickle, sequences) → [DatasetSequence]``."""

DEFAULT_SPLITS = {"emdb": "emdb2", "3dpw": "test", "rich": "test"}


def read_dataset(
    root: str | os.PathLike,
    dataset: str,
    split: str | None = None,
    *,
    trust_pickle: bool = False,
    sequences: Sequence[str] | None = None,
) -> list[DatasetSequence]:
    """Read the sequences of ``dataset``'s ``split`` (default :data:`DEFAULT_SPLITS`) from root."""
    if dataset not in DATASETS:
        raise InputError(f"dataset must be one of {sorted(DATASETS)}, got {dataset!r}")
    return DATASETS[dataset](
        root,
        split or DEFAULT_SPLITS[dataset],
        trust_pickle=trust_pickle,
        sequences=list(sequences) if sequences else None,
    )
