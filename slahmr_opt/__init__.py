"""slahmr-opt: world-grounded multi-person SMPL motion from keypoints, per-frame SMPL and SLAM.

The public API below is imported on first use (module ``__getattr__``), so that
``import slahmr_opt`` and ``slahmr-opt --help`` stay fast: torch and the solver load when a name
that needs them is first touched.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_PUBLIC: dict[str, str] = {
    "BodyModel": "slahmr_opt.body",
    "SolverConfig": "slahmr_opt.config",
    "apply_overrides": "slahmr_opt.config",
    "parse_overrides": "slahmr_opt.config",
    "preset": "slahmr_opt.config",
    "LoadedResult": "slahmr_opt.io.results",
    "load_estimate": "slahmr_opt.io.results",
    "load_result": "slahmr_opt.io.results",
    "save_estimate": "slahmr_opt.io.results",
    "save_result": "slahmr_opt.io.results",
    "load_ground_truth": "slahmr_opt.io.scene_folder",
    "load_scene": "slahmr_opt.io.scene_folder",
    "save_scene": "slahmr_opt.io.scene_folder",
    "Result": "slahmr_opt.result",
    "WorldEstimate": "slahmr_opt.result",
    "Cameras": "slahmr_opt.scene",
    "GroundTruth": "slahmr_opt.scene",
    "PersonMotion": "slahmr_opt.scene",
    "Scene": "slahmr_opt.scene",
    "Track": "slahmr_opt.scene",
    "solve": "slahmr_opt.solver",
}

__all__ = [
    "BodyModel",
    "Cameras",
    "GroundTruth",
    "LoadedResult",
    "PersonMotion",
    "Result",
    "Scene",
    "SolverConfig",
    "Track",
    "WorldEstimate",
    "__version__",
    "apply_overrides",
    "load_estimate",
    "load_ground_truth",
    "load_result",
    "load_scene",
    "parse_overrides",
    "preset",
    "save_estimate",
    "save_result",
    "save_scene",
    "solve",
]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("slahmr-opt")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = value = _version()
        return value
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'slahmr_opt' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC) | {"__version__"})


if TYPE_CHECKING:  # for type checkers and IDEs: the names as eager imports
    from slahmr_opt.body import BodyModel
    from slahmr_opt.config import SolverConfig, apply_overrides, parse_overrides, preset
    from slahmr_opt.io.results import (
        LoadedResult,
        load_estimate,
        load_result,
        save_estimate,
        save_result,
    )
    from slahmr_opt.io.scene_folder import load_ground_truth, load_scene, save_scene
    from slahmr_opt.result import Result, WorldEstimate
    from slahmr_opt.scene import Cameras, GroundTruth, PersonMotion, Scene, Track
    from slahmr_opt.solver import solve
