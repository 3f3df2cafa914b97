"""TUM trajectory text files: ``timestamp tx ty tz qx qy qz qw`` per line, camera→world
(evo's ``file_interface``, DPVO's ``demo.py --save_trajectory``, MASt3R-SLAM, TUM RGB-D ground
truth).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.io.common import check_finite, read_text_rows
from slahmr_opt.io.dpvo import PoseConvention, QuatOrder, cameras_to_pose7, pose7_to_c2w
from slahmr_opt.scene import Cameras

__all__ = [
    "read_tum_trajectory",
    "write_tum_trajectory",
]


def read_tum_trajectory(
    path: str | os.PathLike, *, pose: PoseConvention = "c2w", quat_order: QuatOrder = "xyzw"
) -> tuple[np.ndarray, np.ndarray]:
    """Read a TUM trajectory text file: ``timestamp tx ty tz qx qy qz qw`` per line.

    TUM poses are camera→world with scalar-last quaternions (MASt3R-SLAM, evo); ``#`` starts a
    comment. Timestamps must increase strictly.

    Returns:
        ((K,) timestamps, (K, 4, 4) camera→world).
    """
    path = Path(path)
    label = str(path)
    rows = read_text_rows(path, "TUM trajectory")
    if rows.shape[1] != 8:
        raise ValueError(
            f"{label}: TUM trajectory has {rows.shape[1]} columns, expected 8 "
            "(timestamp tx ty tz qx qy qz qw)"
        )
    check_finite(rows, label, "trajectory")
    stamps = rows[:, 0]
    if np.any(np.diff(stamps) <= 0):
        raise ValueError(f"{label}: timestamps must increase strictly")
    return stamps, pose7_to_c2w(rows[:, 1:], pose=pose, quat_order=quat_order, label=label)


def write_tum_trajectory(
    path: str | os.PathLike,
    cameras: Cameras,
    timestamps: np.ndarray | None = None,
    *,
    quat_order: QuatOrder = "xyzw",
) -> Path:
    """Write cameras as TUM text ``timestamp tx ty tz qx qy qz qw`` (camera→world).

    Args:
        timestamps: (T,) strictly increasing; default the frame indices.
    """
    arr = cameras_to_pose7(cameras, pose="c2w", quat_order=quat_order)
    stamps = np.arange(len(arr), dtype=np.float64) if timestamps is None else timestamps
    lines = ["# timestamp tx ty tz qx qy qz qw"]
    for s, row in zip(stamps, arr, strict=True):
        lines.append(" ".join([repr(float(s))] + [repr(float(v)) for v in row]))
    return write_bytes_atomic(path, ("\n".join(lines) + "\n").encode())
