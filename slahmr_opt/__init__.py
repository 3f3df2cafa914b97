"""slahmr-opt: world-grounded multi-person SMPL motion from keypoints, per-frame SMPL and SLAM."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("slahmr-opt")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from slahmr_opt.body import BodyModel  # noqa: E402

__all__ = ["BodyModel", "__version__"]
