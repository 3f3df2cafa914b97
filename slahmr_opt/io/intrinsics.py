"""Camera intrinsics: calibration text files, the default focal, rescaling to another image size,
and lens distortion.

Calibration files, one row for all frames or one per frame:

- ``fx fy cx cy``: DROID-SLAM's and DPVO's ``--calib`` (``calib/*.txt`` in both repositories),
  WHAM's ``calib.txt`` (``lib/models/preproc/slam.py:38-45``), the original SLAHMR's
  ``--intrins_path``;
- ``fx fy cx cy W H``: the original's ``--intrins_path`` with the image size
  (``slahmr/preproc/run_slam.py``);
- ``fx fy cx cy k1 k2 p1 p2 [k3 …]``: DROID-SLAM and DPVO undistort every image with OpenCV
  (``cv2.undistort(image, K, calib[4:])``, DROID-SLAM ``demo.py:29-43``, DPVO
  ``dpvo/stream.py:11-27``) and track with ``K`` on the undistorted images. Keypoints detected on
  the original images are then undistorted the same way (:func:`undistort_points`) so that the
  pinhole cameras fit them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.geometry.camera import default_focal
from slahmr_opt.io.common import check_finite, read_text_rows

__all__ = [
    "DISTORTION_COUNTS",
    "Calibration",
    "check_focal",
    "default_intrinsics",
    "read_intrinsics",
    "rescale_intrinsics",
    "undistort_points",
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


DISTORTION_COUNTS = (4, 5, 8, 12, 14)
"""Distortion coefficient counts OpenCV accepts (k1 k2 p1 p2, then k3, k4–k6, s1–s4, τx τy)."""


@dataclass(eq=False)
class Calibration:
    """What a calibration file holds.

    Attributes:
        intrinsics: (K, 4) ``fx, fy, cx, cy`` pixels, K = 1 (all frames) or one row per frame.
        image_size: ``(W, H)`` the intrinsics belong to, when the file says (6-number rows).
        distortion: (D,) OpenCV distortion coefficients (D in :data:`DISTORTION_COUNTS`), or None.
    """

    intrinsics: np.ndarray
    image_size: tuple[int, int] | None = None
    distortion: np.ndarray | None = None


def read_intrinsics(path: str | os.PathLike) -> Calibration:
    """Read a calibration text file (see the module docstring for the row forms).

    Whitespace or commas separate numbers, ``#`` starts a comment (DPVO and DROID read these
    files with ``np.loadtxt(calib, delimiter=" ")``, which this accepts too).

    Returns:
        The intrinsics, their image size (or None), the distortion coefficients (or None).
    """
    label = str(path)
    arr = read_text_rows(path, "intrinsics")
    cols = arr.shape[1]
    if cols not in (4, 6) and cols - 4 not in DISTORTION_COUNTS:
        raise ValueError(
            f"{label}: rows have {cols} numbers, expected 4 (fx fy cx cy), 6 (fx fy cx cy W H) "
            "or 4 + OpenCV distortion coefficients (8: fx fy cx cy k1 k2 p1 p2, as DPVO's and "
            "DROID-SLAM's calib files; 9, 12, 16 or 18)"
        )
    check_finite(arr, label, "intrinsics")
    check_focal(arr[:, :4], label, "intrinsics")
    size = distortion = None
    if cols == 6:
        sizes = {(int(w), int(h)) for w, h in arr[:, 4:]}
        if len(sizes) != 1:
            raise ValueError(f"{label}: the image size (W H columns) differs between rows")
        size = next(iter(sizes))
    elif cols > 4:
        if np.any(arr[:, 4:] != arr[0, 4:]):
            raise ValueError(f"{label}: the distortion coefficients differ between rows")
        distortion = arr[0, 4:].copy() if np.any(arr[0, 4:] != 0) else None
    return Calibration(arr[:, :4].copy(), size, distortion)


def undistort_points(
    points: np.ndarray, intrinsics: np.ndarray, distortion: np.ndarray
) -> np.ndarray:
    """Pixel positions in the undistorted image, as ``cv2.undistort(image, K, distortion)`` maps
    them (``cv2.undistortPoints`` with ``P = K``, iterated to 1e-10 rather than OpenCV's default
    five steps, which leave errors of 0.02 px near the corners of strong lenses).

    Args:
        points: (N, 2) pixels in the original (distorted) image.
        intrinsics: (4,) ``fx, fy, cx, cy`` of both images.
        distortion: (D,) OpenCV coefficients.

    Returns:
        (N, 2) float64 pixels.
    """
    import cv2

    fx, fy, cx, cy = np.asarray(intrinsics, np.float64)
    K = np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
    pts = np.asarray(points, np.float64).reshape(-1, 1, 2)
    if pts.shape[0] == 0:
        return np.zeros((0, 2))
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 200, 1e-10)
    dist = np.asarray(distortion, np.float64)
    if hasattr(cv2, "undistortPointsIter"):  # OpenCV 4
        out = cv2.undistortPointsIter(pts, K, dist, np.eye(3), K, criteria)
    else:  # OpenCV 5 folded it into undistortPoints
        out = cv2.undistortPoints(pts, K, dist, R=np.eye(3), P=K, criteria=criteria)
    return out.reshape(-1, 2)


def write_intrinsics_txt(
    path: str | os.PathLike,
    intrinsics: np.ndarray,
    size: tuple[int, int] | None = None,
    *,
    distortion: np.ndarray | None = None,
) -> Path:
    """Write intrinsics as text rows ``fx fy cx cy [W H | k1 k2 p1 p2 …]`` (full precision),
    space-separated as DPVO's and DROID-SLAM's ``np.loadtxt(calib, delimiter=" ")`` reads them.

    Args:
        intrinsics: (4,) or (K, 4) pixels.
        size: ``(W, H)`` to append to every row.
        distortion: OpenCV coefficients to append to every row (not with ``size``).
    """
    if size is not None and distortion is not None:
        raise ValueError(f"{path}: a row holds either W H or distortion coefficients, not both")
    arr = np.atleast_2d(np.asarray(intrinsics, np.float64))
    lines = []
    for row in arr:
        vals = [repr(float(v)) for v in row]
        if size is not None:
            vals += [str(int(size[0])), str(int(size[1]))]
        if distortion is not None:
            vals += [repr(float(v)) for v in np.asarray(distortion).reshape(-1)]
        lines.append(" ".join(vals))
    return write_bytes_atomic(path, ("\n".join(lines) + "\n").encode())


def check_focal(intrinsics: np.ndarray, label: str, field: str) -> None:
    if np.any(intrinsics[..., :2] <= 0):
        raise ValueError(f"{label}: field {field!r} has fx or fy ≤ 0; expected positive pixels")
