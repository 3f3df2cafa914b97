"""Loading user files without ever running code from them.

Every reader of a user file goes through this module:

- :func:`load_npz` / :func:`load_npy` read with ``allow_pickle=False``; an object array is refused
  (or, for body-model files, skipped and reported) and numpy's own "load it unsafely" advice
  never reaches a message.
- :func:`load_torch` reads ``torch.save`` files with ``weights_only=True`` plus numpy's array
  reconstruction, so tensors, containers and numpy arrays load and nothing else does.
- :func:`load_pickle` unpickles plain and joblib pickles with an allow-list of *data* classes:
  numpy arrays / dtypes / scalars, scipy sparse matrices, builtin containers and scalar types,
  ``collections.OrderedDict``/``defaultdict``, torch tensors (rebuilt through the safe torch
  loader), joblib's array wrapper, and chumpy objects turned into plain arrays when asked. A
  reference to anything else — ``builtins.eval``, ``os.system``, any function or foreign class —
  raises :class:`~slahmr_opt.errors.UnsafeFileError` before it is called: a payload never runs,
  whether or not the caller opted in to reading pickles.

Every failure is an :class:`~slahmr_opt.errors.InputError` naming the file and what it was
expected to be.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from slahmr_opt.errors import InputError, UnsafeFileError

__all__ = ["ChumpyArray", "load_npy", "load_npz", "load_pickle", "load_torch"]

# Errors numpy / zipfile / zlib raise for truncated, corrupt or empty archives.
_ARCHIVE_ERRORS = (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error, KeyError)

_NUMPY_MODULES = ("numpy.core.multiarray", "numpy._core.multiarray")
_NUMPY_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    *((m, "_reconstruct") for m in _NUMPY_MODULES),
    *((m, "scalar") for m in _NUMPY_MODULES),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
}
# Builtin types whose construction from pickled arguments runs no user code.
_BUILTIN_TYPES = {
    "object", "list", "dict", "tuple", "set", "frozenset", "int", "float", "complex", "bool",
    "str", "bytes", "bytearray", "slice", "range",
}  # fmt: skip
_SPARSE_CLASSES = {"csc_matrix", "csr_matrix", "coo_matrix", "csc_array", "csr_array", "coo_array"}
_SPARSE_MODULES = ("scipy.sparse", "scipy.sparse.csc", "scipy.sparse.csr", "scipy.sparse.coo")
_SPARSE_MODULES += ("scipy.sparse._csc", "scipy.sparse._csr", "scipy.sparse._coo")


def _label(path: str | os.PathLike) -> str:
    return str(path)


# ------------------------------------------------------------------------------------- numpy
def load_npz(
    path: str | os.PathLike, what: str, *, skip_objects: bool = False
) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` archive, read without unpickling anything.

    Args:
        path: the ``.npz`` file.
        what: what the file is, for messages (e.g. ``"scene cameras"``).
        skip_objects: leave out arrays of Python objects (``dtype=object``) instead of refusing
            the file; their names are listed under the key ``"__skipped__"`` of the result
            (a ``(K,)`` string array) when any were left out.

    Returns:
        name → array.

    Raises:
        InputError: missing, empty, truncated or corrupt file, not an npz archive, or (without
            ``skip_objects``) an array of Python objects, naming the file and the field.
    """
    label = _label(path)
    if not Path(path).is_file():
        raise InputError(f"{label}: file not found ({what})")
    if Path(path).stat().st_size == 0:
        raise InputError(f"{label}: empty file, expected an .npz archive ({what})")
    if not zipfile.is_zipfile(path) or not _all_npy_members(path):
        raise InputError(f"{label}: not an .npz archive ({what}); expected a file from np.savez")
    out: dict[str, np.ndarray] = {}
    skipped: list[str] = []
    try:
        with np.load(path, allow_pickle=False) as z:
            for key in z.files:
                try:
                    out[key] = z[key]
                except ValueError as err:
                    if "Object arrays" not in str(err):
                        raise
                    if not skip_objects:
                        raise InputError(
                            f"{label}: field {key!r} holds Python objects (dtype=object); only "
                            f"numeric and string arrays are read ({what})"
                        ) from None
                    skipped.append(key)
    except InputError:
        raise
    except _ARCHIVE_ERRORS as err:
        raise InputError(
            f"{label}: cannot read {what}: truncated or corrupt .npz archive "
            f"({type(err).__name__}: {_first_line(err)})"
        ) from None
    if skipped:
        out["__skipped__"] = np.asarray(skipped)
    return out


def _all_npy_members(path: str | os.PathLike) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except _ARCHIVE_ERRORS:
        return False
    return all(name.endswith(".npy") for name in names)


def load_npy(path: str | os.PathLike, what: str) -> np.ndarray:
    """A single ``.npy`` array, read without unpickling anything.

    Raises:
        InputError: missing, empty, corrupt, an archive instead of one array, or an array of
            Python objects.
    """
    label = _label(path)
    if not Path(path).is_file():
        raise InputError(f"{label}: file not found ({what})")
    with open(path, "rb") as fh:
        head = fh.read(6)
    if head != b"\x93NUMPY":
        raise InputError(f"{label}: not an .npy array file ({what}); expected a file from np.save")
    try:
        out = np.load(path, allow_pickle=False)
    except _ARCHIVE_ERRORS as err:
        text = str(err)
        if "pickle" in text or "Object arrays" in text:
            raise InputError(
                f"{label}: holds Python objects (dtype=object); only numeric and string arrays "
                f"are read ({what})"
            ) from None
        raise InputError(
            f"{label}: cannot read {what}: truncated or corrupt .npy file "
            f"({type(err).__name__}: {_first_line(err)})"
        ) from None
    return out


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    line = text[0] if text else ""
    # Never pass on a library's advice to load a file unsafely.
    if re.search(r"allow_pickle|weights_only|unsafe|pickle\.load", line):
        return "refused by the safe loader"
    return line[:200]


# ------------------------------------------------------------------------------------- torch
def _torch_safe_globals() -> list[Any]:
    out: list[Any] = []
    for module, name in sorted(_NUMPY_GLOBALS):
        if module == "numpy":
            obj = getattr(np, name)
        else:
            base = np._core if module.startswith("numpy._core") else None  # type: ignore[attr-defined]
            if base is None:
                continue  # numpy.core.* names resolve to numpy._core.* objects below
            obj = getattr(getattr(base, module.split(".")[-1]), name)
        out.append(obj)
        out.append((obj, f"{module}.{name}"))
        legacy = module.replace("numpy._core", "numpy.core")
        if legacy != module:
            out.append((obj, f"{legacy}.{name}"))
    out.extend(type(np.dtype(t)) for t in ("f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "?"))
    return out


def load_torch(path: str | os.PathLike, what: str, *, map_location: Any = "cpu") -> Any:
    """A ``torch.save`` file read with ``weights_only=True`` (tensors, containers, numpy arrays).

    Raises:
        InputError: missing, empty, truncated or not a torch file.
        UnsafeFileError: the file refers to anything but tensors, containers and numpy arrays.
    """
    import torch

    label = _label(path)
    if not Path(path).is_file():
        raise InputError(f"{label}: file not found ({what})")
    if Path(path).stat().st_size == 0:
        raise InputError(f"{label}: empty file, expected a torch.save file ({what})")
    safe = _torch_safe_globals()
    ctx = getattr(torch.serialization, "safe_globals", None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notes on pickle protocols and defaults
            if ctx is None:
                return torch.load(path, map_location=map_location, weights_only=True)
            try:
                with ctx(safe):
                    return torch.load(path, map_location=map_location, weights_only=True)
            except TypeError:  # an older torch without (object, name) pairs
                with ctx([g for g in safe if not isinstance(g, tuple)]):
                    return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, EOFError, ...
        refused = _refused_global(err)
        if refused:
            raise UnsafeFileError(
                f"{label}: refers to {refused}, which a {what} file should not contain; it was "
                "not loaded (only tensors, containers and numpy arrays are read)"
            ) from None
        raise InputError(
            f"{label}: cannot read {what}: not a readable torch.save file (truncated, corrupt "
            f"or another format: {type(err).__name__})"
        ) from None


def _refused_global(err: BaseException) -> str | None:
    text = str(err)
    for pattern in (r"GLOBAL ([\w\.]+)", r"Unsupported global: ([\w\.]+)", r"global '([\w\.]+)'"):
        m = re.search(pattern, text)
        if m:
            return m.group(1)
    return None


# ------------------------------------------------------------------------------------ pickle
class ChumpyArray:
    """Stands in for any chumpy class while unpickling; keeps the array chumpy stored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.array: np.ndarray | None = None

    def __setstate__(self, state: Any) -> None:
        self.array = None
        if isinstance(state, dict):
            for key in ("x", "r", "_x"):  # chumpy.Ch keeps its value under "x"
                if key in state:
                    value = state[key]
                    self.array = np.asarray(
                        value.array if isinstance(value, ChumpyArray) else value
                    )
                    return


def _load_tensor_bytes(data: bytes) -> Any:
    """Replacement for ``torch.storage._load_from_bytes``: a weights-only read of the bytes."""
    import torch

    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def _allowed(module: str, name: str, chumpy: bool) -> Any:
    """The object a pickle's global reference resolves to, or None when it is not allowed."""
    if module in ("__builtin__", "builtins") and name in _BUILTIN_TYPES:
        import builtins

        return getattr(builtins, name)
    if (module, name) in _NUMPY_GLOBALS:
        if module == "numpy":
            return getattr(np, name)
        sub = module.split(".")[-1]
        return getattr(getattr(np._core, sub), name)  # type: ignore[attr-defined]
    if module in ("copy_reg", "copyreg") and name == "_reconstructor":
        import copyreg

        return copyreg._reconstructor  # builds cls via base.__new__; both resolved here too
    if module == "_codecs" and name == "encode":
        import codecs

        return codecs.encode  # str → bytes, how Python 2 pickles carry binary data
    if module == "collections" and name in ("OrderedDict", "defaultdict"):
        import collections

        return getattr(collections, name)
    if module in _SPARSE_MODULES and name in _SPARSE_CLASSES:
        import scipy.sparse

        return getattr(scipy.sparse, name)
    if chumpy and module.startswith("chumpy"):
        return ChumpyArray
    if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_parameter"):
        import torch

        return getattr(torch._utils, name)
    if module == "torch.storage" and name == "_load_from_bytes":
        return _load_tensor_bytes
    if module == "torch" and name in ("Size", "device") or module == "torch" and "Storage" in name:
        import torch

        obj = getattr(torch, name, None)
        return obj if isinstance(obj, type) else None
    if module == "joblib.numpy_pickle" and name == "NumpyArrayWrapper":
        import joblib.numpy_pickle

        return joblib.numpy_pickle.NumpyArrayWrapper
    return None


def _find_class_for(what: str, label: str, chumpy: bool) -> Callable[[str, str], Any]:
    def find_class(module: str, name: str) -> Any:
        obj = _allowed(module, name, chumpy)
        if obj is None:
            raise UnsafeFileError(
                f"{label}: refers to {module}.{name}, which a {what} file should not contain; "
                "it was not loaded (only arrays, numbers, strings and containers are read)"
            )
        return obj

    return find_class


def load_pickle(
    path: str | os.PathLike, what: str, *, encoding: str = "ASCII", chumpy: bool = False
) -> Any:
    """Unpickle a plain or joblib pickle with an allow-list of data classes (see module doc).

    Args:
        path: the pickle file.
        what: what the file is, for messages.
        encoding: how Python 2 strings are decoded (``"latin1"`` for SMPL and 3DPW pickles).
        chumpy: turn chumpy objects into :class:`ChumpyArray` holders (SMPL model pickles).

    Raises:
        InputError: missing, empty, truncated or not a pickle.
        UnsafeFileError: the pickle refers to a function or a class that is not plain data.
    """
    label = _label(path)
    if not Path(path).is_file():
        raise InputError(f"{label}: file not found ({what})")
    if Path(path).stat().st_size == 0:
        raise InputError(f"{label}: empty file, expected a pickle ({what})")
    find_class = _find_class_for(what, label, chumpy)
    try:
        with open(path, "rb") as fh:
            return _unpickle_stream(fh, label, find_class, encoding)
    except (InputError, MemoryError):
        raise
    except Exception as err:  # unpickling raises many types for garbage input
        raise InputError(
            f"{label}: cannot read {what}: not a readable pickle (truncated, corrupt or another "
            f"format: {type(err).__name__}: {_first_line(err)})"
        ) from None


def _unpickle_stream(
    fh: BinaryIO, label: str, find_class: Callable[[str, str], Any], encoding: str
) -> Any:
    """Unpickle from an open file; joblib's compressed and array-wrapping formats included."""
    try:
        import joblib.numpy_pickle as jnp
    except ImportError:  # joblib missing: plain pickles only
        jnp = None
    if jnp is None:
        unpickler = pickle.Unpickler(fh, encoding=encoding)
        unpickler.find_class = find_class  # type: ignore[method-assign]
        return unpickler.load()

    class _Restricted(jnp.NumpyUnpickler):
        def find_class(self, module: str, name: str) -> Any:  # noqa: D102
            return find_class(module, name)

    with jnp._validate_fileobject_and_memmap(fh, label, None) as (fobj, _):
        if isinstance(fobj, str):  # joblib < 0.10 layouts keep arrays in side files
            raise InputError(f"{label}: written by joblib < 0.10, which is not supported")
        unpickler = _Restricted(label, fobj, ensure_native_byte_order=True)
        unpickler.encoding = encoding
        return unpickler.load()
