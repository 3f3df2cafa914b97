"""Helpers every reader shares: arrays and fields checked with messages that name the file and the
field, JSON/npz/npy/text loading, pickles behind ``trust_pickle``, frame names → frame indices.

Every error is a ValueError that names the file, the field and the expected form.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "FrameIndex",
    "as_numeric_array",
    "check_finite",
    "check_frames",
    "frame_stem",
    "npy_bytes",
    "read_json_file",
    "read_npy_file",
    "read_npz_file",
    "read_pickle",
    "read_text_rows",
    "read_torch_file",
    "to_numpy",
]


def as_numeric_array(value: Any, label: str, field: str) -> np.ndarray:
    """``value`` as a new float64 array, or a ValueError naming the file and the field."""
    try:
        out = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{label}: field {field!r} must be a numeric array ({err})") from None
    return out


def check_finite(array: np.ndarray, label: str, field: str) -> None:
    """Raise a ValueError naming the file, the field and the first non-finite entry."""
    if not np.all(np.isfinite(array)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(
            f"{label}: field {field!r} must be finite; found {array[bad]} at index {bad}"
        )


def check_frames(frames: Any, label: str, field: str = "frames") -> np.ndarray:
    """Validate frame indices: (N,) non-negative integers, strictly increasing, N ≥ 1."""
    arr = np.asarray(frames)
    if arr.ndim != 1:
        raise ValueError(f"{label}: field {field!r} has shape {arr.shape}, expected (N,)")
    if arr.size == 0:
        raise ValueError(f"{label}: field {field!r} is empty; expected at least one frame")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{label}: field {field!r} must hold integer frame indices")
    elif arr.dtype.kind not in "iu":
        raise ValueError(
            f"{label}: field {field!r} must hold integer frame indices, got dtype {arr.dtype}"
        )
    arr = arr.astype(np.int64)
    if arr[0] < 0 or np.any(np.diff(arr) <= 0):
        raise ValueError(
            f"{label}: field {field!r} must be non-negative and strictly increasing, got "
            f"{arr[:6].tolist()}{'…' if arr.size > 6 else ''}"
        )
    return arr


def read_json_file(path: str | os.PathLike, what: str) -> Any:
    """Parse a JSON file; ValueError naming it when missing or malformed."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{str(path)}: file not found ({what})")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{str(path)}: cannot parse {what} as JSON ({err})") from None


def read_npz_file(path: str | os.PathLike, what: str) -> dict[str, np.ndarray]:
    """Every array of an npz file (no pickled objects); ValueError naming the file on failure."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{str(path)}: file not found ({what})")
    try:
        with np.load(path, allow_pickle=False) as z:
            if not isinstance(z, np.lib.npyio.NpzFile):
                raise ValueError("not an npz archive")
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ValueError(f"{str(path)}: cannot read {what} as npz ({err})") from None


def read_npy_file(path: str | os.PathLike, what: str) -> np.ndarray:
    """A plain ``.npy`` array (no pickled objects); ValueError naming the file on failure."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{str(path)}: file not found ({what})")
    try:
        out = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ValueError(f"{str(path)}: cannot read {what} as .npy ({err})") from None
    if not isinstance(out, np.ndarray):
        raise ValueError(f"{str(path)}: expected a single .npy array ({what})")
    return out


def _pickle_refused(label: str, what: str) -> ValueError:
    return ValueError(
        f"{label}: {what} is a Python pickle, and loading a pickle can run arbitrary code; it is "
        "read only with trust_pickle=True (CLI: --trust-pickle). Pass it only for files you made "
        "or trust."
    )


def read_pickle(path: str | os.PathLike, *, trust_pickle: bool, what: str) -> Any:
    """Load a pickle (plain, or written by ``joblib.dump``, compressed or not), only when the
    caller trusts it.

    joblib (a dependency) reads both: PHALP and WHAM write their results with ``joblib.dump``.

    Args:
        path: the pickle file.
        trust_pickle: must be True; a pickle can run code when loaded.
        what: what the file is, for messages (e.g. "PHALP tracklets").

    Returns:
        The unpickled object.
    """
    import joblib

    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise ValueError(f"{label}: file not found ({what})")
    if not trust_pickle:
        raise _pickle_refused(label, what)
    try:
        return joblib.load(path)
    except ModuleNotFoundError as err:
        raise ValueError(
            f"{label}: cannot unpickle {what}: it needs the Python module {err.name!r}, which is "
            "not installed"
        ) from None
    except Exception as err:  # unpickling raises many types
        raise ValueError(f"{label}: cannot unpickle {what} ({type(err).__name__}: {err})") from None


def read_torch_file(path: str | os.PathLike, *, trust_pickle: bool, what: str) -> Any:
    """Load a ``torch.save`` file safely, or any pickle when the caller trusts it.

    ``torch.load(weights_only=True)`` (tensors, dicts, lists; runs no code) is tried first, so a
    file holding tensors needs no trust. Anything else (numpy arrays, joblib pickles such as
    WHAM's ``.pth``) is loaded only with ``trust_pickle=True``.

    Args:
        path: the file.
        trust_pickle: allow a full unpickle when the safe load fails.
        what: what the file is, for messages.

    Returns:
        The loaded object (torch tensors stay tensors).
    """
    import torch

    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise ValueError(f"{label}: file not found ({what})")
    if zipfile.is_zipfile(path):
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # torch raises UnpicklingError, RuntimeError...
            if not trust_pickle:
                raise _pickle_refused(label, what) from None
            try:
                return torch.load(path, map_location="cpu", weights_only=False)
            except Exception as err2:
                raise ValueError(f"{label}: cannot load {what} ({err}; {err2})") from None
    return read_pickle(path, trust_pickle=trust_pickle, what=what)


def to_numpy(value: Any) -> Any:
    """Tensors (CPU or not) → numpy arrays; other values unchanged."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu().numpy()
    return value


def npy_bytes(array: np.ndarray) -> bytes:
    """The bytes of ``np.save(array)`` (no pickled objects), for an atomic write."""
    import io

    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def read_text_rows(path: str | os.PathLike, what: str) -> np.ndarray:
    """Rows of numbers from a text file: whitespace or commas between numbers, ``#`` comments.

    Args:
        path: the file.
        what: what the file is, for messages (e.g. "trajectory").

    Returns:
        (rows, columns) float64; every row must have the same number of columns.
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise ValueError(f"{label}: file not found ({what})")
    rows = []
    for k, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        line = line.split("#", 1)[0].replace(",", " ").strip()
        if not line:
            continue
        try:
            rows.append([float(v) for v in line.split()])
        except ValueError:
            raise ValueError(f"{label}: line {k + 1} is not numbers: {line!r}") from None
    if not rows:
        raise ValueError(f"{label}: no rows of numbers ({what})")
    if len({len(r) for r in rows}) != 1:
        raise ValueError(
            f"{label}: rows have different numbers of columns ({sorted({len(r) for r in rows})})"
        )
    return np.array(rows)


_TRAILING_NUMBER = re.compile(r"(\d+)$")


def frame_stem(file_name: str, suffix: str = "") -> str:
    """A frame's name from a file name: extension dropped, then ``suffix`` if it ends with it.

    ``"000012_keypoints.json"`` with suffix ``"_keypoints"`` → ``"000012"``;
    ``"000012.jpg"`` → ``"000012"``.
    """
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    if suffix and stem.endswith(suffix):
        stem = stem[: -len(suffix)]
    return stem


class FrameIndex:
    """Maps frame names (file stems) to 0-based frame indices of the video.

    With a frame list (sorted image names, the keys of a ``shot_idcs`` JSON...), a name's index
    is its position in the list and a name not in it is an error. Without one, the index is the
    trailing integer of the name minus ``first_frame`` (ffmpeg numbers frames from 1, OpenPose on
    a video from 0).

    Args:
        names: frame names in video order (stems, no extension), or None.
        first_frame: number of the first frame when indices are parsed from names.
        source: where the frame list comes from, for messages.
    """

    def __init__(
        self, names: Sequence[str] | None = None, first_frame: int = 0, source: str = ""
    ) -> None:
        self.names = list(names) if names is not None else None
        self.first_frame = int(first_frame)
        self.source = source
        self._lookup = {n: i for i, n in enumerate(self.names)} if self.names is not None else None
        if self.names is not None and len(self._lookup) != len(self.names):
            raise ValueError(f"{source or 'frame list'}: frame names must be unique")

    @property
    def num_frames(self) -> int | None:
        """Number of frames of the frame list, or None without one."""
        return None if self.names is None else len(self.names)

    def index(self, name: str, label: str) -> int:
        """Frame index of ``name``; ``label`` names the file it came from, for errors."""
        if self._lookup is not None:
            if name not in self._lookup:
                raise ValueError(
                    f"{label}: frame {name!r} is not in the frame list ({self.source}, "
                    f"{len(self._lookup)} frames)"
                )
            return self._lookup[name]
        m = _TRAILING_NUMBER.search(name)
        if m is None:
            raise ValueError(
                f"{label}: cannot tell the frame index of {name!r}: expected a name ending in a "
                "frame number, or a frame list (images folder or shots file)"
            )
        index = int(m.group(1)) - self.first_frame
        if index < 0:
            raise ValueError(
                f"{label}: frame number {m.group(1)} is below first_frame = {self.first_frame}"
            )
        return index
