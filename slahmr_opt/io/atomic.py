"""Atomic file writes: write to a temporary file in the same folder, then rename into place."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


def _atomic(dst: str | os.PathLike, mode: str, write) -> Path:
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            write(fh)
        os.replace(tmp, dst)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return dst


def write_npz_atomic(dst: str | os.PathLike, arrays: Mapping[str, Any]) -> Path:
    """Write ``arrays`` (name → array) to the ``.npz`` file ``dst`` atomically."""
    return _atomic(
        dst, "wb", lambda fh: np.savez(fh, **{k: np.asarray(v) for k, v in arrays.items()})
    )


def write_json_atomic(dst: str | os.PathLike, payload: Any) -> Path:
    """Write ``payload`` as indented JSON to ``dst`` atomically."""

    def write(fh) -> None:
        json.dump(payload, fh, indent=2)
        fh.write("\n")

    return _atomic(dst, "w", write)


def write_bytes_atomic(dst: str | os.PathLike, data: bytes) -> Path:
    """Write raw bytes (e.g. an encoded PNG) to ``dst`` atomically."""
    return _atomic(dst, "wb", lambda fh: fh.write(data))
