"""Reading SMPL-family model files without chumpy.

Official SMPL / SMPL-H / SMPL-X pickles store some arrays as ``chumpy`` objects. chumpy does not
import on Python >= 3.11 with numpy 2, so :func:`read_model_file` unpickles them with a restricted
unpickler that maps every ``chumpy.*`` class to a small placeholder keeping the wrapped array.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from slahmr_opt.files import write_npz_atomic

MODEL_TYPES = ("smpl", "smplh", "smplx")

# Number of joints of each model type (rows of ``J_regressor``).
NUM_JOINTS = {"smpl": 24, "smplh": 52, "smplx": 55}

_REQUIRED_KEYS = (
    "v_template",
    "f",
    "J_regressor",
    "weights",
    "shapedirs",
    "posedirs",
    "kintree_table",
)


class _ChumpyPlaceholder:
    """Stands in for any chumpy class; keeps the array that chumpy stored in its state."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.array: np.ndarray | None = None

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict):
            # chumpy.Ch keeps its value in the "x" entry of the state dict.
            for key in ("x", "r", "_x"):
                if key in state:
                    self.array = np.asarray(_to_array(state[key]))
                    return
        self.array = None


class _ModelUnpickler(pickle.Unpickler):
    """Unpickler that never imports chumpy and refuses classes outside a small allow-list."""

    _ALLOWED_PREFIXES = (
        "numpy",
        "scipy.sparse",
        "builtins",
        "collections",
        "copy_reg",
        "copyreg",
        "_codecs",
    )

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("chumpy"):
            return _ChumpyPlaceholder
        if module.startswith(self._ALLOWED_PREFIXES) or module == "__builtin__":
            if module == "__builtin__":
                module = "builtins"
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"model file refers to class {module}.{name}, "
            "which a body-model file should not contain"
        )


def _to_array(value: Any) -> Any:
    if isinstance(value, _ChumpyPlaceholder):
        return value.array
    if hasattr(value, "toarray") and "scipy.sparse" in type(value).__module__:
        return value.toarray()
    return value


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        value = _to_array(value)
        if value is None:
            continue
        if isinstance(value, (list, tuple)) and key not in ("bs_style", "bs_type"):
            try:
                value = np.asarray(value)
            except (ValueError, TypeError):
                continue
        out[str(key)] = value
    return out


def read_model_file(path: str | os.PathLike) -> dict[str, Any]:
    """Read a SMPL, SMPL-H or SMPL-X model file (``.pkl`` or ``.npz``) into plain numpy arrays.

    Args:
        path: the model file.

    Returns:
        dict of arrays: ``v_template`` (V, 3), ``f`` (F, 3), ``J_regressor`` (J, V) (dense),
        ``weights`` (V, J), ``shapedirs`` (V, 3, S), ``posedirs`` (V, 3, 9(J-1)),
        ``kintree_table`` (2, J) and whatever else the file holds (hand PCA, landmarks...).

    Raises:
        ValueError: if the file is missing, not a model file, or lacks a required array.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"body model file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with np.load(path, allow_pickle=True) as npz:
            data = {k: npz[k] for k in npz.files}
    elif suffix == ".pkl":
        with open(path, "rb") as fh:
            try:
                data = _ModelUnpickler(fh, encoding="latin1").load()
            except Exception as exc:  # noqa: BLE001 - report any unpickling failure the same way
                raise ValueError(f"{path}: cannot read as a SMPL-family pickle: {exc}") from exc
        if not isinstance(data, Mapping):
            raise ValueError(
                f"{path}: expected a dict of model arrays, found {type(data).__name__}"
            )
    else:
        raise ValueError(f"{path}: expected a .pkl or .npz body model file, got '{suffix}'")
    data = _clean(data)
    missing = [k for k in _REQUIRED_KEYS if k not in data]
    if missing:
        raise ValueError(f"{path}: not a SMPL-family model file, missing field(s) {missing}")
    for key in ("v_template", "J_regressor", "weights", "shapedirs", "posedirs"):
        data[key] = np.asarray(data[key], dtype=np.float64)
    data["f"] = np.asarray(data["f"], dtype=np.int64)
    data["kintree_table"] = np.asarray(data["kintree_table"]).astype(np.int64)
    if data["shapedirs"].ndim == 2:
        data["shapedirs"] = data["shapedirs"][:, :, None]
    return data


def infer_model_type(data: Mapping[str, Any], path: str | os.PathLike = "<model>") -> str:
    """Tell SMPL (24 joints), SMPL-H (52) and SMPL-X (55) apart by the joint count.

    Args:
        data: arrays from :func:`read_model_file`.

    Returns:
        ``"smpl"``, ``"smplh"`` or ``"smplx"``.
    """
    num_joints = int(np.asarray(data["J_regressor"]).shape[0])
    for model_type, count in NUM_JOINTS.items():
        if count == num_joints:
            return model_type
    raise ValueError(
        f"{path}: J_regressor has {num_joints} rows; expected 24 (SMPL), 52 (SMPL-H) or 55 (SMPL-X)"
    )


def convert_model_file(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Convert a model pickle (possibly with chumpy arrays) into a clean ``.npz``.

    The output holds only numpy arrays, loads with ``np.load(..., allow_pickle=False)``
    and is read by :class:`slahmr_opt.body.BodyModel` and by smplx.

    Args:
        src: the ``.pkl`` (or ``.npz``) model file.
        dst: the ``.npz`` to write (written atomically).

    Returns:
        the destination path.
    """
    data = read_model_file(src)
    infer_model_type(data, src)
    arrays: dict[str, np.ndarray] = {}
    for key, value in data.items():
        arr = np.asarray(value)
        if arr.dtype == object:
            continue
        arrays[key] = arr
    return write_npz_atomic(dst, arrays)
