"""MegaSaM's output npz (``camera_tracking_scripts/test_demo.py``, ``cvd_opt/cvd_opt.py``):
``cam_c2w`` (T, 4, 4), ``intrinsic`` (3, 3), ``images``, ``depths``.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from slahmr_opt.files import write_npz_atomic
from slahmr_opt.io.common import as_numeric_array, check_finite
from slahmr_opt.io.intrinsics import check_focal
from slahmr_opt.scene import Cameras

__all__ = [
    "read_megasam_npz",
    "write_megasam_npz",
]


def _npz_member_shape(path: Path, key: str) -> tuple[int, ...] | None:
    """Shape of one array of an npz without loading it (None when absent)."""
    try:
        with zipfile.ZipFile(path) as zf:
            name = f"{key}.npy"
            if name not in zf.namelist():
                return None
            with zf.open(name) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, _ = np.lib.format.read_array_header_1_0(f)
                else:
                    shape, _, _ = np.lib.format.read_array_header_2_0(f)
                return tuple(shape)
    except (OSError, ValueError, zipfile.BadZipFile):
        return None


def read_megasam_npz(
    path: str | os.PathLike,
) -> tuple[np.ndarray, np.ndarray, tuple[int, int] | None]:
    """Read MegaSaM's output npz.

    Fields read: ``cam_c2w`` (T, 4, 4) camera→world, ``intrinsic`` (3, 3) calibration matrix
    (pixels of MegaSaM's images); the image size of the intrinsics is read from the shape of
    ``images`` (T, H, W, 3) or ``depths`` (T, H, W) without loading them.

    Returns:
        ((T, 4, 4) camera→world, (4,) ``fx fy cx cy``, ``(W, H)`` or None).
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise ValueError(f"{label}: file not found (MegaSaM cameras)")
    z = {}
    try:
        with np.load(path, allow_pickle=False) as data:
            for key in ("cam_c2w", "intrinsic"):
                if key not in data.files:
                    raise ValueError(f"{label}: field {key!r} missing (has {sorted(data.files)})")
                z[key] = data[key]
    except (OSError, zipfile.BadZipFile) as err:
        raise ValueError(f"{label}: cannot read MegaSaM npz ({err})") from None
    c2w = as_numeric_array(z["cam_c2w"], label, "cam_c2w")
    if c2w.ndim != 3 or c2w.shape[1:] != (4, 4) or c2w.shape[0] < 1:
        raise ValueError(f"{label}: field 'cam_c2w' has shape {c2w.shape}, expected (T, 4, 4)")
    check_finite(c2w, label, "cam_c2w")
    K = as_numeric_array(z["intrinsic"], label, "intrinsic")
    if K.shape != (3, 3):
        raise ValueError(f"{label}: field 'intrinsic' has shape {K.shape}, expected (3, 3)")
    check_finite(K, label, "intrinsic")
    intrinsics = np.array([K[0, 0], K[1, 1], K[0, 2], K[1, 2]])
    check_focal(intrinsics, label, "intrinsic")
    size = None
    for key, hw in (("images", slice(1, 3)), ("depths", slice(1, 3))):
        shape = _npz_member_shape(path, key)
        if shape is not None and len(shape) >= 3:
            h, w = shape[hw]
            size = (int(w), int(h))
            break
    return c2w, intrinsics, size


def write_megasam_npz(path: str | os.PathLike, cameras: Cameras) -> Path:
    """Write cameras as a MegaSaM-style npz: ``cam_c2w`` (T, 4, 4), ``intrinsic`` (3, 3).

    MegaSaM has one calibration for the video, so the intrinsics must not vary over frames.
    """
    intr = cameras.intrinsics
    if not np.allclose(intr, intr[0], rtol=0, atol=1e-9):
        raise ValueError(f"{path}: MegaSaM stores one 'intrinsic'; the cameras' intrinsics vary")
    return write_npz_atomic(path, {"cam_c2w": cameras.c2w(), "intrinsic": cameras.K()[0]})
