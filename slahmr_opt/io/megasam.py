"""MegaSaM's output npz (mega-sam/mega-sam ``camera_tracking_scripts/test_demo.py:110-156``,
``cvd_opt/cvd_opt.py:450-457``): ``cam_c2w`` (T, 4, 4) camera→world, ``intrinsic`` (3, 3),
``images`` (T, h, w, 3) uint8, ``depths`` (T, h, w).

MegaSaM resizes every frame to an area of about 384 × 512 and crops it to multiples of 8
(``test_demo.py:78-83``): ``w1 = int(W · √(384·512 / (H·W)))``, ``h1`` likewise, ``images`` hold
``h1 − h1 % 8`` × ``w1 − w1 % 8``. ``intrinsic`` belongs to the resized, uncropped ``w1 × h1``
image (the crop keeps the top-left corner and so the principal point), so intrinsics are rescaled
from ``w1 × h1`` (:func:`megasam_resized_size`), not from the cropped size of ``images``, which
is up to 7 pixels smaller (about 1 % in focal).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.files import write_npz_atomic
from slahmr_opt.io.common import as_numeric_array, check_finite, read_npz_members
from slahmr_opt.io.intrinsics import check_focal
from slahmr_opt.scene import Cameras

__all__ = [
    "megasam_intrinsics_size",
    "megasam_resized_size",
    "read_megasam_npz",
    "write_megasam_npz",
]


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
    z = read_npz_members(path, ("cam_c2w", "intrinsic"), "MegaSaM cameras")
    for key in ("cam_c2w", "intrinsic"):
        if key not in z:
            have = sorted(k[: -len(".shape")] for k in z if k.endswith(".shape"))
            raise InputError(f"{label}: field {key!r} missing (has {have})")
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
    for key in ("images", "depths"):  # (T, H, W, 3) and (T, H, W): read from the headers only
        shape = z.get(f"{key}.shape")
        if shape is not None and len(shape) >= 3:
            size = (int(shape[2]), int(shape[1]))
            break
    return c2w, intrinsics, size


def megasam_resized_size(width: int, height: int) -> tuple[int, int]:
    """``(w1, h1)``: the size MegaSaM resizes a ``width × height`` frame to (test_demo.py:78-80)."""
    factor = np.sqrt((384 * 512) / (height * width))
    return int(width * factor), int(height * factor)


def megasam_intrinsics_size(
    image_size: tuple[int, int], stored: tuple[int, int] | None, label: str
) -> tuple[int, int]:
    """The image size MegaSaM's ``intrinsic`` belongs to, for a video of ``image_size``.

    Args:
        image_size: ``(W, H)`` of the video (the scene).
        stored: ``(w, h)`` of the file's ``images``/``depths`` (None when it has neither).
        label: the file, for messages.

    Returns:
        MegaSaM's resized ``(w1, h1)`` when ``stored`` is its crop; ``image_size`` when the file
        holds full-size images.
    """
    w1, h1 = megasam_resized_size(*image_size)
    if stored is None:
        raise ValueError(
            f"{label}: holds neither 'images' nor 'depths', so the image size of 'intrinsic' is "
            "unknown; give it (manifest 'intrinsics_size')"
        )
    if tuple(stored) == (w1 - w1 % 8, h1 - h1 % 8):
        return w1, h1
    if tuple(stored) == tuple(image_size):
        return tuple(image_size)
    raise ValueError(
        f"{label}: 'images' are {stored[0]}×{stored[1]}, which is neither MegaSaM's crop of a "
        f"{image_size[0]}×{image_size[1]} video ({w1 - w1 % 8}×{h1 - h1 % 8}, resized to "
        f"{w1}×{h1}) nor the video's size; check the image size, or give the intrinsics' size "
        "(manifest 'intrinsics_size')"
    )


def write_megasam_npz(
    path: str | os.PathLike, cameras: Cameras, image_size: tuple[int, int]
) -> Path:
    """Write cameras as MegaSaM writes them for a ``image_size`` video.

    ``cam_c2w`` (T, 4, 4), ``intrinsic`` (3, 3) at MegaSaM's resized size, ``images`` (T, h, w,
    3) uint8 and ``depths`` (T, h, w) float32 at its cropped size (zeros here: only their shape
    matters to a camera reader). MegaSaM has one calibration for the video, so the intrinsics
    must not vary over frames. Written compressed (MegaSaM uses ``np.savez``; the content read is
    the same) to keep the zeros small.
    """
    intr = cameras.intrinsics
    if not np.allclose(intr, intr[0], rtol=0, atol=1e-9):
        raise ValueError(f"{path}: MegaSaM stores one 'intrinsic'; the cameras' intrinsics vary")
    w1, h1 = megasam_resized_size(*image_size)
    K = cameras.K()[0] * np.array([[w1 / image_size[0]], [h1 / image_size[1]], [1.0]])
    T = cameras.num_frames
    h, w = h1 - h1 % 8, w1 - w1 % 8
    arrays = {
        "images": np.zeros((T, h, w, 3), np.uint8),
        "depths": np.zeros((T, h, w), np.float32),
        "intrinsic": K,
        "cam_c2w": cameras.c2w(),
    }
    return write_npz_atomic(path, arrays, compressed=True)
