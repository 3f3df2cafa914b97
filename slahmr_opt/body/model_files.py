"""Reading SMPL-family model files without chumpy.

Official SMPL / SMPL-H / SMPL-X pickles store some arrays as ``chumpy`` objects. chumpy does not
import on Python >= 3.11 with numpy 2, so :func:`read_model_file` unpickles them with the
restricted unpickler of :mod:`slahmr_opt.safe_load`: it maps every ``chumpy.*`` class to a holder
of the wrapped array and allows only data classes (numpy arrays, scipy sparse matrices, builtin
containers) — a pickle that refers to a function or any other class is refused before anything of
it runs. ``.npz`` model files are read with ``allow_pickle=False``; arrays of Python objects in
them (SMPL-X keeps two lookup dicts that way) are left out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.files import write_npz_atomic
from slahmr_opt.safe_load import ChumpyArray, load_npz, load_pickle

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


def _to_array(value: Any) -> Any:
    if isinstance(value, ChumpyArray):
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
        InputError: if the file is missing, not a model file, or lacks a required array.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"body model file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        data = load_npz(path, "body model", skip_objects=True)
        data.pop("__skipped__", None)
    elif suffix == ".pkl":
        data = load_pickle(path, "SMPL-family body model", encoding="latin1", chumpy=True)
        if not isinstance(data, Mapping):
            raise InputError(
                f"{path}: expected a dict of model arrays, found {type(data).__name__}"
            )
    else:
        raise InputError(f"{path}: expected a .pkl or .npz body model file, got '{suffix}'")
    data = _clean(data)
    missing = [k for k in _REQUIRED_KEYS if k not in data]
    if missing:
        raise InputError(f"{path}: not a SMPL-family model file, missing field(s) {missing}")
    kinds = {"f": np.int64, "kintree_table": np.int64}
    for key in ("v_template", "J_regressor", "weights", "shapedirs", "posedirs", *kinds):
        try:
            data[key] = np.asarray(data[key]).astype(kinds.get(key, np.float64))
        except (TypeError, ValueError):
            raise InputError(
                f"{path}: field {key!r} is not a numeric array (found {type(data[key]).__name__})"
            ) from None
        if key not in kinds and not np.isfinite(data[key]).all():
            raise InputError(f"{path}: field {key!r} holds NaN or infinite values")
    if data["shapedirs"].ndim == 2:
        data["shapedirs"] = data["shapedirs"][:, :, None]
    _check_shapes(data, path)
    return data


def _check_shapes(data: dict[str, Any], path: Path) -> None:
    """The arrays a body model needs have consistent shapes (V vertices, J joints)."""
    v = data["v_template"]
    if v.ndim != 2 or v.shape[1] != 3:
        raise InputError(f"{path}: field 'v_template' has shape {v.shape}, expected (V, 3)")
    nv = v.shape[0]
    if data["J_regressor"].ndim != 2:
        raise InputError(f"{path}: field 'J_regressor' must be a (J, V) matrix")
    infer_model_type(data, path)  # J must be 24, 52 or 55
    nj = data["J_regressor"].shape[0]
    expected = {
        "J_regressor": (nj, nv),
        "weights": (nv, nj),
        "kintree_table": (2, nj),
    }
    for key, shape in expected.items():
        if data[key].shape != shape:
            raise InputError(
                f"{path}: field {key!r} has shape {data[key].shape}, expected {shape} "
                "(V vertices, J joints)"
            )
    if data["shapedirs"].ndim != 3 or data["shapedirs"].shape[:2] != (nv, 3):
        raise InputError(
            f"{path}: field 'shapedirs' has shape {data['shapedirs'].shape}, expected (V, 3, S)"
        )
    if data["posedirs"].shape[:2] != (nv, 3):
        raise InputError(
            f"{path}: field 'posedirs' has shape {data['posedirs'].shape}, expected (V, 3, P)"
        )
    f = data["f"]
    if f.ndim != 2 or f.shape[1] != 3 or (f.size and (f.min() < 0 or f.max() >= nv)):
        raise InputError(f"{path}: field 'f' must be (F, 3) vertex indices below {nv}")


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
    raise InputError(
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
