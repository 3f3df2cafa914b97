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

from slahmr_opt.errors import InputError
from slahmr_opt.safe_load import load_npy, load_npz, load_pickle, load_torch

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
    "read_npz_members",
    "read_pickle",
    "read_text_file",
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
    """Every array of an npz file (no pickled objects); InputError naming the file on failure."""
    return load_npz(path, what)


def read_npz_members(
    path: str | os.PathLike, keys: Sequence[str], what: str
) -> dict[str, np.ndarray | tuple[int, ...]]:
    """Some arrays of an npz file without reading the others (MegaSaM's files hold gigabytes
    of images next to the cameras), as safely as :func:`~slahmr_opt.safe_load.load_npz`.

    Args:
        path: the npz file.
        keys: the arrays to read; a missing one is left out of the result.
        what: what the file is, for messages.

    Returns:
        name → array for the ``keys`` present, and ``"<name>.shape"`` → the shape of every array
        of the file (read from the headers only).
    """
    label = str(path)
    if not Path(path).is_file():
        raise InputError(f"{label}: file not found ({what})")
    out: dict[str, Any] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if not names or not all(n.endswith(".npy") for n in names):
                raise InputError(f"{label}: not an .npz archive ({what}); expected np.savez's")
            for name in names:
                key = name[: -len(".npy")]
                with zf.open(name) as f:
                    version = np.lib.format.read_magic(f)
                    read_header = (
                        np.lib.format.read_array_header_1_0
                        if version == (1, 0)
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, _, dtype = read_header(f)
                    out[f"{key}.shape"] = tuple(shape)
                if key in keys:
                    if dtype.hasobject:
                        raise InputError(
                            f"{label}: field {key!r} holds Python objects (dtype=object); only "
                            f"numeric and string arrays are read ({what})"
                        )
                    with zf.open(name) as f:
                        out[key] = np.lib.format.read_array(f, allow_pickle=False)
    except InputError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise InputError(
            f"{label}: cannot read {what}: truncated or corrupt .npz archive "
            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
        ) from None
    return out


def read_npy_file(path: str | os.PathLike, what: str) -> np.ndarray:
    """A plain ``.npy`` array (no pickled objects); InputError naming the file on failure."""
    return load_npy(path, what)


def _pickle_refused(label: str, what: str) -> InputError:
    return InputError(
        f"{label}: {what} is a Python pickle; pickles are read only when you allow it with "
        "trust_pickle=True (CLI: --trust-pickle), and then only their data (arrays, numbers, "
        "strings, containers) — a pickle that refers to code is refused either way."
    )


def read_pickle(path: str | os.PathLike, *, trust_pickle: bool, what: str) -> Any:
    """Load a pickle (plain or written by ``joblib.dump``, compressed or not), only when the
    caller opted in.

    PHALP and WHAM write their results with ``joblib.dump``. The file is read by
    :func:`slahmr_opt.safe_load.load_pickle`: only data classes (numpy arrays, builtin
    containers, torch tensors, joblib's array wrapper) are rebuilt, so no code from the file runs
    even with ``trust_pickle=True``.

    Args:
        path: the pickle file.
        trust_pickle: must be True (the user's opt-in for reading pickles).
        what: what the file is, for messages (e.g. "PHALP tracklets").

    Returns:
        The unpickled object.
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise InputError(f"{label}: file not found ({what})")
    if not trust_pickle:
        raise _pickle_refused(label, what)
    return load_pickle(path, what)


def read_torch_file(path: str | os.PathLike, *, trust_pickle: bool, what: str) -> Any:
    """Load a ``torch.save`` file safely, or a plain/joblib pickle when the caller opted in.

    ``torch.save`` files are read with ``weights_only=True`` (tensors, containers, numpy arrays;
    runs no code) and need no opt-in. Other pickles (joblib files such as WHAM's ``.pth``) are
    read only with ``trust_pickle=True``, by the same data-only unpickler as :func:`read_pickle`.

    Args:
        path: the file.
        trust_pickle: allow reading a file that is a plain or joblib pickle.
        what: what the file is, for messages.

    Returns:
        The loaded object (torch tensors stay tensors).
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise InputError(f"{label}: file not found ({what})")
    if zipfile.is_zipfile(path):
        return load_torch(path, what)
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


def read_text_file(path: str | os.PathLike, what: str) -> str:
    """The UTF-8 text of a file; InputError naming it when it is missing or not text."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found ({what})")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path}: not a text file ({what}): byte {err.start} is not UTF-8 text"
        ) from None


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
    for k, line in enumerate(read_text_file(path, what).splitlines()):
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
