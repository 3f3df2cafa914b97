"""Cameras from any supported file: :func:`read_cameras` returns world→camera
:class:`~slahmr_opt.scene.Cameras` with intrinsics at the scene's image size.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import numpy as np

from slahmr_opt.io.common import as_numeric_array, check_finite
from slahmr_opt.io.dpvo import PoseConvention, QuatOrder, interpolate_c2w, read_pose7_trajectory
from slahmr_opt.io.intrinsics import (
    check_focal,
    default_intrinsics,
    read_intrinsics,
    rescale_intrinsics,
)
from slahmr_opt.io.megasam import read_megasam_npz
from slahmr_opt.io.slahmr_layout import read_slahmr_cameras
from slahmr_opt.io.tum import read_tum_trajectory
from slahmr_opt.scene import Cameras

__all__ = [
    "CAMERA_FORMATS",
    "read_cameras",
]

CAMERA_FORMATS = ("slahmr", "dpvo", "droid", "tum", "megasam", "static")
"""Names accepted by :func:`read_cameras` (``droid`` is the same (N, 7) layout as ``dpvo``)."""


def _resolve_intrinsics(
    given: str | os.PathLike | np.ndarray | None,
    own: np.ndarray | None,
    own_size: tuple[int, int] | None,
    intrinsics_size: tuple[int, int] | None,
    image_size: tuple[int, int],
    focal: float | None,
    num_frames: int,
    label: str,
) -> tuple[np.ndarray, str]:
    if given is not None:
        if isinstance(given, (str, os.PathLike)):
            values, file_size = read_intrinsics(given)
            source = f"file {given}"
        else:
            values = as_numeric_array(given, "intrinsics", "intrinsics")
            if values.shape not in ((4,), (num_frames, 4)) and not (
                values.ndim == 2 and values.shape[1] == 4
            ):
                raise ValueError(
                    f"intrinsics: shape {values.shape}, expected (4,) or (T, 4) fx fy cx cy"
                )
            check_finite(values, "intrinsics", "intrinsics")
            check_focal(values, "intrinsics", "intrinsics")
            file_size, source = None, "given values"
        size = intrinsics_size or file_size or image_size
    elif own is not None:
        values, source = own, f"{label} (its own)"
        size = intrinsics_size or own_size or image_size
    else:
        values = default_intrinsics(*image_size, focal)
        source = "default f = " + ("given focal" if focal is not None else "0.5 (W + H)")
        size = image_size
    values = np.atleast_2d(np.asarray(values, np.float64))
    if values.shape[0] not in (1, num_frames):
        raise ValueError(
            f"{source}: holds {values.shape[0]} intrinsics rows, expected 1 or one per frame "
            f"({num_frames}, the frames of {label})"
        )
    if tuple(size) != tuple(image_size):
        values = rescale_intrinsics(values, size, image_size)
        source += f", rescaled from {tuple(size)} to {tuple(image_size)}"
    return np.broadcast_to(values, (num_frames, 4)).copy(), source


def read_cameras(
    path: str | os.PathLike | None,
    format: str,
    *,
    image_size: tuple[int, int],
    num_frames: int | None = None,
    frames_source: str = "",
    intrinsics: str | os.PathLike | np.ndarray | None = None,
    intrinsics_size: tuple[int, int] | None = None,
    focal: float | None = None,
    pose: PoseConvention = "c2w",
    quat_order: QuatOrder = "xyzw",
    key: str | None = None,
    timestamps: Literal["rows", "frame_index", "seconds"] = "rows",
    fps: float | None = None,
    trust_pickle: bool = False,
) -> tuple[Cameras, dict[str, Any]]:
    """Read cameras in any supported format and return them at the scene's image size.

    Args:
        path: the camera file (ignored for "static").
        format: one of :data:`CAMERA_FORMATS`.
        image_size: ``(W, H)`` of the keypoints (the scene); intrinsics are rescaled to it.
        num_frames: the video's (or shot's) frame count; the cameras must match it.
        frames_source: where ``num_frames`` comes from, for messages.
        intrinsics: an intrinsics text file or ``(4,)``/``(T, 4)`` values; default: the file's
            own, else ``[f, f, W/2, H/2]``.
        intrinsics_size: ``(W, H)`` the intrinsics belong to, when the file does not say.
        focal: focal length (pixels) of the default intrinsics.
        pose: "c2w" or "w2c" for the 7-number formats (dpvo, droid, tum).
        quat_order: "xyzw" or "wxyz" for the 7-number formats.
        key: the trajectory field of an npz holding several arrays.
        timestamps: TUM only. "rows": one pose per frame, in order; "frame_index": the
            timestamps are frame indices; "seconds": frame i is at time ``i / fps``. With the last
            two the poses are interpolated at every frame (slerp; held at the ends).
        fps: frame rate, for ``timestamps="seconds"``.
        trust_pickle: allow pickled trajectories (``.pth`` from WHAM).

    Returns:
        (cameras, a JSON-able note of what was read, for provenance).
    """
    if format not in CAMERA_FORMATS:
        raise ValueError(f"unknown camera format {format!r}; expected one of {CAMERA_FORMATS}")
    W, H = int(image_size[0]), int(image_size[1])
    label = str(path) if path is not None else "static cameras"
    own = own_size = None
    w2c_cams: Cameras | None = None
    is_static = False
    if format == "static":
        if num_frames is None:
            raise ValueError("static cameras need the number of frames (num_frames)")
        c2w = np.tile(np.eye(4), (num_frames, 1, 1))
        is_static = True
    elif path is None or not Path(path).exists():
        raise ValueError(f"{label}: file not found ({format} cameras)")
    elif format == "slahmr":
        w2c_cams, own_size = read_slahmr_cameras(path)
        c2w, own, is_static = w2c_cams.c2w(), w2c_cams.intrinsics, w2c_cams.is_static
    elif format in ("dpvo", "droid"):
        c2w = read_pose7_trajectory(
            path, pose=pose, quat_order=quat_order, key=key, trust_pickle=trust_pickle
        )
    elif format == "tum":
        stamps, c2w = read_tum_trajectory(path, pose=pose, quat_order=quat_order)
        if timestamps != "rows":
            if num_frames is None:
                raise ValueError(f"{label}: interpolating TUM poses needs num_frames")
            if timestamps == "frame_index":
                query = np.arange(num_frames, dtype=np.float64)
            elif timestamps == "seconds":
                if fps is None:
                    raise ValueError(f"{label}: timestamps='seconds' needs fps")
                query = np.arange(num_frames) / float(fps)
            else:
                raise ValueError(
                    f"{label}: timestamps must be 'rows', 'frame_index' or 'seconds', got "
                    f"{timestamps!r}"
                )
            c2w = interpolate_c2w(stamps, c2w, query)
    else:  # megasam
        c2w, own, own_size = read_megasam_npz(path)
    n = c2w.shape[0]
    if num_frames is not None and n != num_frames:
        raise ValueError(
            f"{label}: holds {n} camera poses but the video has {num_frames} frames"
            f"{f' ({frames_source})' if frames_source else ''}; expected one pose per frame"
        )
    intr, intr_source = _resolve_intrinsics(
        intrinsics, own, own_size, intrinsics_size, (W, H), focal, n, label
    )
    try:
        if w2c_cams is not None:  # keep the file's world→camera numbers bit-exact
            cameras = Cameras(R=w2c_cams.R, t=w2c_cams.t, intrinsics=intr, is_static=is_static)
        else:
            cameras = Cameras.from_c2w(c2w, intr, is_static=is_static)
    except ValueError as err:
        raise ValueError(f"{label}: {err}") from None
    note = {
        "format": format,
        "file": None if format == "static" else str(path),
        "intrinsics": intr_source,
    }
    if format in ("dpvo", "droid", "tum"):
        note.update(pose=pose, quat_order=quat_order)
    if format == "tum":
        note["timestamps"] = timestamps
    return cameras, note
