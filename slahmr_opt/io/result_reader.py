"""Reading result folders: :func:`load_estimate` (an estimate folder, or a run's final pass) and
:func:`load_result` (a run folder with every pass); the files are described in
:mod:`slahmr_opt.io.results` and docs/formats.md, "Result folder".
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.io.amass import person_file_name, person_from_arrays
from slahmr_opt.reprs import short_repr
from slahmr_opt.result import WorldEstimate
from slahmr_opt.safe_load import load_npz
from slahmr_opt.scene import NUM_CONTACT_JOINTS, Cameras

__all__ = [
    "CAMERAS_FILE",
    "HISTORY_FILE",
    "KIND_ESTIMATE",
    "KIND_RUN",
    "LOG_FILE",
    "PASSES_DIR",
    "PLOT_FILE",
    "RESULT_FORMAT",
    "RESULT_JSON",
    "RESULT_VERSION",
    "WORLD_RESULTS_FILE",
    "LoadedResult",
    "load_estimate",
    "load_result",
]

RESULT_FORMAT = "slahmr-opt-result"
RESULT_VERSION = 2
"""2: person files hold the floor-frame motion in ``poses``/``trans`` and the world motion in
``poses_world``/``trans_world`` (1: the world motion in ``poses``/``trans``)."""
RESULT_JSON = "scene.json"
CAMERAS_FILE = "cameras.npz"
WORLD_RESULTS_FILE = "world_results.npz"
PASSES_DIR = "passes"
LOG_FILE = "log.txt"
HISTORY_FILE = "energy_history.json"
PLOT_FILE = "trajectory.png"

KIND_ESTIMATE = "estimate"
KIND_RUN = "run"

_RUN_SUMMARY_KEYS = (
    "scene",
    "alpha",
    "passes",
    "timings",
    "events",
    "skipped_tracks",
    "dropped_tracks",
    "config",
)


def _read_info(folder: Path) -> dict[str, Any]:
    meta_path = folder / RESULT_JSON
    if not meta_path.is_file():
        raise ValueError(f"{meta_path}: missing; not a result folder (or an incomplete one)")
    try:
        info = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{meta_path}: not valid JSON ({exc})") from None
    if not isinstance(info, dict):
        raise ValueError(f"{meta_path}: expected a JSON object, got {type(info).__name__}")
    if info.get("format") != RESULT_FORMAT:
        raise ValueError(
            f"{meta_path}: field 'format' is {info.get('format')!r}, expected "
            f"{RESULT_FORMAT!r} (is this a scene folder rather than a result?)"
        )
    for key in ("fps", "world_scale", "people"):
        if key not in info:
            raise ValueError(f"{meta_path}: missing field {key!r}")
    return info


def _number(info: dict[str, Any], key: str, path: Path) -> float:
    """A positive finite number field of scene.json (InputError naming it otherwise)."""
    value = info.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise InputError(f"{path}: field {key!r} is {value!r}, expected a finite number")
    if value <= 0:
        raise InputError(f"{path}: field {key!r} is {value!r}, expected a positive number")
    return float(value)


def _people_entries(info: dict[str, Any], path: Path) -> list[tuple[str, str]]:
    """(id, file name) of every person listed in scene.json, checked."""
    entries = info.get("people")
    if not isinstance(entries, list):
        raise InputError(f"{path}: field 'people' must be a list of {{'id', 'file'}} objects")
    out = []
    for k, entry in enumerate(entries):
        ok = isinstance(entry, dict) and isinstance(entry.get("id"), str)
        name = entry.get("file") if isinstance(entry, dict) else None
        if not ok or not isinstance(name, str) or name != Path(name).name or not name:
            raise InputError(
                f"{path}: field 'people'[{k}] must be {{'id': str, 'file': a file name in the "
                f"folder}}, got {entry!r}"
            )
        out.append((entry["id"], name))
    return out


def _require(z: Any, path: Path, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key not in z:
            raise InputError(f"{path}: missing field {key!r}")


def load_estimate(path: str | os.PathLike) -> WorldEstimate:
    """Read a result folder written by :func:`save_estimate` or :func:`save_result`.

    For a :func:`save_result` folder this is the final pass (without its masks and floor-frame
    arrays: see :func:`load_result`).

    Raises:
        ValueError: naming the file and field when something is missing or malformed.
    """
    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
    meta_path = folder / RESULT_JSON
    info = _read_info(folder)
    cam_path = folder / CAMERAS_FILE
    if not cam_path.is_file():
        raise ValueError(f"{cam_path}: missing")
    z = load_npz(cam_path, "result cameras")
    _require(z, cam_path, ("w2c", "intrins"))
    try:
        cameras = Cameras.from_w2c(
            z["w2c"],
            z["intrins"],
            is_static=bool(z["is_static"]) if "is_static" in z else False,
        )
    except ValueError as err:
        raise InputError(f"{cam_path}: {err}") from None
    alpha = _number(info, "world_scale", meta_path)
    fps = _number(info, "fps", meta_path)
    people = []
    for track_id, name in _people_entries(info, meta_path):
        p = folder / name
        if not p.is_file():
            raise InputError(f"{p}: missing (listed in {meta_path})")
        z = load_npz(p, "result person file")
        _require(z, p, ("poses", "trans", "betas", "frames"))
        try:
            people.append(person_from_arrays(z, track_id, str(p)))
        except InputError:
            raise
        except ValueError as err:
            raise InputError(f"{p}: {err}") from None
    floor = None
    if info.get("floor"):
        try:
            normal = np.asarray(info["floor"]["normal"], dtype=np.float64)
            offset = float(info["floor"]["offset"])
        except (KeyError, TypeError, ValueError):
            raise InputError(
                f"{meta_path}: field 'floor' must be {{'normal': [3 numbers], 'offset': number}}"
            ) from None
        if normal.shape != (3,) or not np.isfinite(normal).all() or not np.isfinite(offset):
            raise InputError(f"{meta_path}: field 'floor' holds a non-finite or wrong-size normal")
        floor = (normal, offset)
    if "meta" in info:
        meta = info["meta"]
    else:
        meta = {k: info[k] for k in _RUN_SUMMARY_KEYS if k in info}
    return WorldEstimate(
        people=people,
        alpha=alpha,
        cameras=cameras,
        fps=fps,
        floor=floor,
        method=str(info.get("method", "estimate")),
        meta=meta,
    )


# --------------------------------------------------------------------------------------------
# solver runs
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class LoadedResult:
    """A result folder written by :func:`save_result`, read back.

    Attributes:
        estimate: the final pass (world frame; people carry ``contacts`` when known).
        passes: pass name → :class:`WorldEstimate`, in run order (``"init"`` first).
        info: the folder's ``scene.json``.
        floor_transform: (4, 4) world→floor-aligned rigid transform, or None without a floor.
        observed: person id → (T_i,) bool mask of frames with 2D evidence.
        contacts: person id → (T_i, 9) contact probabilities, or None.
        history: pass name → energy term (and ``"total"``) → (steps + 1,) weighted energy at the
            start and after every outer step (``energy_history.json``; empty for folders written
            before it existed).
    """

    __repr__ = short_repr

    estimate: WorldEstimate
    passes: dict[str, WorldEstimate]
    info: dict[str, Any]
    floor_transform: np.ndarray | None
    observed: dict[str, np.ndarray]
    contacts: dict[str, np.ndarray | None]
    history: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


_RUN_JSON_FIELDS = (
    "version",
    "pass_order",
    "passes",
    "floor",
    "floor_transform",
    "num_frames",
    "config",
    "timings",
)
_WORLD_RESULTS_FIELDS = (
    "trans",
    "root_orient",
    "pose_body",
    "betas",
    "cam_R",
    "cam_t",
    "intrins",
    "world_scale",
    "track_mask",
    "track_id",
)


def load_result(path: str | os.PathLike) -> LoadedResult:
    """Read a result folder written by :func:`save_result`.

    Args:
        path: the folder (or a file inside it).

    Raises:
        ValueError: naming the file and the field when something is missing or malformed
            (a folder without ``scene.json`` is incomplete and refused).
    """
    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
    meta_path = folder / RESULT_JSON
    info = _read_info(folder)
    if info.get("kind") != KIND_RUN:
        raise ValueError(
            f"{meta_path}: field 'kind' is {info.get('kind')!r}, expected {KIND_RUN!r} (an "
            "estimate folder written by save_estimate: read it with load_estimate)"
        )
    for key in _RUN_JSON_FIELDS:
        if key not in info:
            raise ValueError(f"{meta_path}: missing field {key!r}")
    if not isinstance(info["version"], int) or info["version"] > RESULT_VERSION:
        raise ValueError(
            f"{meta_path}: field 'version' is {info['version']!r}, expected ≤ {RESULT_VERSION}"
        )
    floor_T = None
    if info["floor_transform"] is not None:
        floor_T = np.asarray(info["floor_transform"], dtype=np.float64)
        if floor_T.shape != (4, 4):
            raise ValueError(
                f"{meta_path}: field 'floor_transform' has shape {floor_T.shape}, expected (4, 4)"
            )
    estimate = load_estimate(folder)
    if (floor_T is None) != (estimate.floor is None):
        raise ValueError(
            f"{meta_path}: fields 'floor' and 'floor_transform' must both be set or both null"
        )

    wr_path = folder / WORLD_RESULTS_FILE
    if not wr_path.is_file():
        raise ValueError(f"{wr_path}: missing")
    z = load_npz(wr_path, "world_results")
    _require(z, wr_path, _WORLD_RESULTS_FIELDS)
    if estimate.floor is not None:
        _require(z, wr_path, ("floor_plane", "floor_idcs"))

    observed: dict[str, np.ndarray] = {}
    contacts: dict[str, np.ndarray | None] = {}
    for person in estimate.people:
        p = folder / person_file_name(person.track_id)
        z = load_npz(p, "result person file")
        _require(z, p, ("observed",))
        if info["version"] >= 2:
            _require(z, p, ("trans_world", "root_orient_world", "poses_world", "pose_body"))
        mask = z["observed"]
        if mask.dtype != bool or mask.shape != (person.num_frames,):
            raise InputError(
                f"{p}: field 'observed' is {mask.dtype} {mask.shape}, expected bool "
                f"({person.num_frames},)"
            )
        observed[person.track_id] = mask
        contacts[person.track_id] = person.contacts
        if person.contacts is not None and person.contacts.shape[1] != NUM_CONTACT_JOINTS:
            raise InputError(f"{p}: field 'contacts' must have {NUM_CONTACT_JOINTS} columns")

    passes: dict[str, WorldEstimate] = {}
    for name in info["pass_order"]:
        sub = folder / PASSES_DIR / str(name)
        if not (sub / RESULT_JSON).is_file():
            raise ValueError(
                f"{sub / RESULT_JSON}: missing (pass {name!r} is listed in {meta_path} field "
                "'pass_order')"
            )
        passes[str(name)] = load_estimate(sub)
    return LoadedResult(
        estimate=estimate,
        passes=passes,
        info=info,
        floor_transform=floor_T,
        observed=observed,
        contacts=contacts,
        history=_read_history(folder),
    )


def _read_history(folder: Path) -> dict[str, dict[str, np.ndarray]]:
    """The energy histories of ``folder``'s ``energy_history.json`` ({} when absent)."""
    path = folder / HISTORY_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected an object pass → term → list of numbers")
    out: dict[str, dict[str, np.ndarray]] = {}
    for name, terms in data.items():
        if not isinstance(terms, dict):
            raise InputError(f"{path}: field {name!r}: expected an object term → list of numbers")
        out[name] = {}
        for term, values in terms.items():
            try:
                out[name][term] = np.asarray(values, dtype=np.float64).reshape(-1)
            except (TypeError, ValueError) as exc:
                raise InputError(
                    f"{path}: field {name}.{term}: expected a list of numbers ({exc})"
                ) from exc
    return out
