"""TUM trajectory text files: ``timestamp tx ty tz qx qy qz qw`` per line, camera→world
(evo ``evo/tools/file_interface.py:108-161``, DPVO's ``demo.py --save_trajectory``,
MASt3R-SLAM, TUM RGB-D ground truth).

Timestamps are whatever the writer used: DPVO's stream counter ``0 … N−1``; TUM RGB-D's absolute
Unix seconds, its ground truth at 100 Hz while the camera runs at 30 Hz. Frames are therefore
matched to poses by time as evo does (``evo/core/sync.py``: the nearest stamp within
``max_diff``, 0.01 s by default), here with interpolation between the two poses around a frame
(slerp, linear centre): a frame's time comes from a ``rgb.txt``-style list (``timestamp
filename`` per line, :func:`read_frame_times`) or from the first frame's time plus ``k / fps``.
Frames outside the trajectory (by more than ``max_diff``) are refused.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.io.common import check_finite, read_text_file, read_text_rows
from slahmr_opt.io.dpvo import PoseConvention, QuatOrder, cameras_to_pose7, pose7_to_c2w
from slahmr_opt.scene import Cameras

__all__ = [
    "read_frame_times",
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
    """Write cameras as TUM text ``timestamp tx ty tz qx qy qz qw`` (camera→world), as evo's
    ``write_tum_trajectory_file`` does (``np.savetxt(..., delimiter=" ")``, no header).

    Args:
        timestamps: (T,) strictly increasing; default the frame indices.
    """
    arr = cameras_to_pose7(cameras, pose="c2w", quat_order=quat_order)
    stamps = np.arange(len(arr), dtype=np.float64) if timestamps is None else timestamps
    mat = np.column_stack([np.asarray(stamps, np.float64), arr])
    buf = io.BytesIO()
    np.savetxt(buf, mat, delimiter=" ")
    return write_bytes_atomic(path, buf.getvalue())


def read_frame_times(path: str | os.PathLike) -> np.ndarray:
    """Frame times from a TUM RGB-D ``rgb.txt``-style file: ``timestamp [filename]`` per line.

    ``#`` starts a comment; the first column is the time (seconds). Times must increase strictly.

    Returns:
        (T,) float64 seconds, one per frame in video order.
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise ValueError(f"{label}: file not found (frame times)")
    times = []
    for k, line in enumerate(read_text_file(path, "frame times").splitlines()):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            times.append(float(line.split()[0].rstrip(",")))
        except ValueError:
            raise ValueError(
                f"{label}: line {k + 1} does not start with a time in seconds: {line!r}"
            ) from None
    arr = np.array(times)
    if arr.size == 0:
        raise ValueError(f"{label}: no frame times")
    check_finite(arr, label, "frame times")
    if np.any(np.diff(arr) <= 0):
        raise ValueError(f"{label}: frame times must increase strictly")
    return arr
