"""slahmr-opt: world-grounded multi-person SMPL motion from keypoints, per-frame SMPL and SLAM."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("slahmr-opt")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from slahmr_opt.body import BodyModel  # noqa: E402
from slahmr_opt.config import SolverConfig, apply_overrides, parse_overrides, preset  # noqa: E402
from slahmr_opt.io.results import (  # noqa: E402
    LoadedResult,
    load_estimate,
    load_result,
    save_estimate,
    save_result,
)
from slahmr_opt.io.scene_folder import load_ground_truth, load_scene, save_scene  # noqa: E402
from slahmr_opt.result import Result, WorldEstimate  # noqa: E402
from slahmr_opt.scene import Cameras, GroundTruth, PersonMotion, Scene, Track  # noqa: E402
from slahmr_opt.solver import solve  # noqa: E402

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
