"""Camera intrinsics: calibration text files (the original's ``--intrins_path``, DROID-SLAM's and
DPVO's ``--calib``, WHAM's ``calib.txt``), the default focal, and rescaling to another image size.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.geometry.camera import default_focal
from slahmr_opt.io.common import check_finite, read_text_rows

__all__ = [
    "check_focal",
    "default_intrinsics",
    "read_intrinsics",
    "rescale_intrinsics",
    "write_intrinsics_txt",
]


def default_intrinsics(width: int, height: int, focal: float | None = None) -> np.ndarray:
    """``[f, f, W/2, H/2]`` with ``f = focal`` or ``0.5 (W + H)`` (the original's default).

    Returns:
        (4,) float64 pixels.
    """
    f = default_focal(width, height) if focal is None else float(focal)
    if not (np.isfinite(f) and f > 0):
        raise ValueError(f"focal must be a positive number of pixels, got {focal!r}")
    return np.array([f, f, 0.5 * width, 0.5 * height])


def rescale_intrinsics(
    intrinsics: np.ndarray, from_size: tuple[float, float], to_size: tuple[float, float]
) -> np.ndarray:
    """Intrinsics of an image resized from ``from_size`` to ``to_size`` (both ``(W, H)``).

    ``fx, cx`` scale by ``W_to / W_from`` and ``fy, cy`` by ``H_to / H_from``.

    Args:
        intrinsics: (..., 4) ``fx, fy, cx, cy`` pixels.

    Returns:
        (..., 4) float64.
    """
    sx = float(to_size[0]) / float(from_size[0])
    sy = float(to_size[1]) / float(from_size[1])
    return np.asarray(intrinsics, np.float64) * np.array([sx, sy, sx, sy])


def read_intrinsics(path: str | os.PathLike) -> tuple[np.ndarray, tuple[int, int] | None]:
    """Read an intrinsics text file (the original's ``--intrins_path``, WHAM's ``calib.txt``).

    One row for every frame, or one row per frame: ``fx fy cx cy`` or ``fx fy cx cy W H``
    (whitespace or commas; ``#`` starts a comment).

    Returns:
        ((K, 4) intrinsics with K = 1 or T, the ``(W, H)`` they belong to or None).
    """
    label = str(path)
    arr = read_text_rows(path, "intrinsics")
    if arr.shape[1] not in (4, 6):
        raise ValueError(
            f"{label}: rows have {arr.shape[1]} numbers, expected 4 (fx fy cx cy) or 6 "
            "(fx fy cx cy W H)"
        )
    check_finite(arr, label, "intrinsics")
    check_focal(arr[:, :4], label, "intrinsics")
    size = None
    if arr.shape[1] == 6:
        sizes = {(int(w), int(h)) for w, h in arr[:, 4:]}
        if len(sizes) != 1:
            raise ValueError(f"{label}: the image size (W H columns) differs between rows")
        size = next(iter(sizes))
    return arr[:, :4], size


def write_intrinsics_txt(
    path: str | os.PathLike, intrinsics: np.ndarray, size: tuple[int, int] | None = None
) -> Path:
    """Write intrinsics as text rows ``fx fy cx cy [W H]`` (full precision).

    Args:
        intrinsics: (4,) or (K, 4) pixels.
        size: ``(W, H)`` to append to every row.
    """
    arr = np.atleast_2d(np.asarray(intrinsics, np.float64))
    lines = []
    for row in arr:
        vals = [repr(float(v)) for v in row]
        if size is not None:
            vals += [str(int(size[0])), str(int(size[1]))]
        lines.append(" ".join(vals))
    return write_bytes_atomic(path, ("\n".join(lines) + "\n").encode())


def check_focal(intrinsics: np.ndarray, label: str, field: str) -> None:
    if np.any(intrinsics[..., :2] <= 0):
        raise ValueError(f"{label}: field {field!r} has fx or fy ≤ 0; expected positive pixels")
