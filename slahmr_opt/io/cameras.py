"""Cameras from any supported file: :func:`read_cameras` returns world→camera
:class:`~slahmr_opt.scene.Cameras`, one per video frame, with intrinsics at the scene's image size.

Formats (docs/formats.md, "Cameras"): ``slahmr`` (the original's DROID ``cameras.npz``),
``dpvo`` / ``droid`` ((T, 7) rows), ``wham`` (WHAM's ``slam_results.pth``), ``tum`` (text with
timestamps), ``megasam`` and ``static``. How trajectory rows map to video frames:

- ``timestamps="rows"``: row ``r`` is video frame ``skip + stride · r`` (``stride`` 1: one row
  per frame; DPVO's ``demo.py`` defaults to ``--stride 2``);
- ``"frame_index"``: the timestamp ``t`` of a row is frame ``skip + stride · t``;
- ``"seconds"``: the timestamps are times in seconds, matched to frame times (a ``rgb.txt``-style
  list, or ``start_time + k / fps``) as evo associates trajectories.

Frames between poses are interpolated (rotation slerp, centre linear); frames outside the poses
are refused, except the up to ``stride − 1`` frames after the last row that a strided run never
processes (they take the last pose). WHAM's static-camera fallback becomes static cameras.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import numpy as np

from slahmr_opt.io.common import as_numeric_array, check_finite
from slahmr_opt.io.dpvo import (
    PoseConvention,
    QuatOrder,
    interpolate_c2w,
    pose7_to_c2w,
    read_pose7_rows,
)
from slahmr_opt.io.intrinsics import (
    check_focal,
    default_intrinsics,
    read_intrinsics,
    rescale_intrinsics,
)
from slahmr_opt.io.megasam import megasam_intrinsics_size, read_megasam_npz
from slahmr_opt.io.slahmr_layout import read_slahmr_cameras
from slahmr_opt.io.tum import read_frame_times, read_tum_trajectory
from slahmr_opt.io.wham_inputs import is_wham_static_fallback
from slahmr_opt.scene import Cameras

__all__ = [
    "CAMERA_FORMATS",
    "EVO_MAX_DIFF",
    "TIMESTAMPS",
    "read_cameras",
]

CAMERA_FORMATS = ("slahmr", "dpvo", "droid", "wham", "tum", "megasam", "static")
"""Names accepted by :func:`read_cameras` (``droid`` and ``wham`` are (T, 7) rows like ``dpvo``)."""

TIMESTAMPS = ("rows", "frame_index", "seconds")

EVO_MAX_DIFF = 0.01
"""evo's default largest time difference (s) when it associates two trajectories."""

_POSE7 = ("dpvo", "droid", "wham", "tum")


def _given_intrinsics(
    given: str | os.PathLike | np.ndarray, num_frames: int
) -> tuple[np.ndarray, tuple[int, int] | None, np.ndarray | None, str]:
    if isinstance(given, (str, os.PathLike)):
        calib = read_intrinsics(given)
        return calib.intrinsics, calib.image_size, calib.distortion, f"file {given}"
    values = as_numeric_array(given, "intrinsics", "intrinsics")
    if values.shape != (4,) and not (values.ndim == 2 and values.shape[1] == 4):
        raise ValueError(f"intrinsics: shape {values.shape}, expected (4,) or (T, 4) fx fy cx cy")
    check_finite(values, "intrinsics", "intrinsics")
    check_focal(values, "intrinsics", "intrinsics")
    return values, None, None, "given values"


def _resolve_intrinsics(
    given: str | os.PathLike | np.ndarray | None,
    own: np.ndarray | None,
    own_size: tuple[int, int] | None,
    intrinsics_size: tuple[int, int] | None,
    image_size: tuple[int, int],
    focal: float | None,
    num_frames: int,
    label: str,
) -> tuple[np.ndarray, str, np.ndarray | None]:
    distortion = None
    if given is not None:
        values, file_size, distortion, source = _given_intrinsics(given, num_frames)
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
    return np.broadcast_to(values, (num_frames, 4)).copy(), source, distortion


def _stride_hint(rows: int, num_frames: int, skip: int) -> str:
    for s in range(2, 9):
        if len(range(skip, num_frames, s)) == rows:
            return (
                f"; {rows} rows for {num_frames} frames is one row every {s} frames, as DPVO's "
                f"demo.py --save_trajectory writes with --stride {s} (its default is 2): set the "
                f"stride (manifest 'camera_stride': {s})"
            )
    return ""


def _frame_times(
    frame_times: str | os.PathLike | np.ndarray | None,
    start_time: float | None,
    fps: float | None,
    num_frames: int,
    label: str,
) -> tuple[np.ndarray, str]:
    if frame_times is not None:
        if isinstance(frame_times, (str, os.PathLike)):
            times, source = read_frame_times(frame_times), str(frame_times)
        else:
            times, source = np.asarray(frame_times, np.float64).reshape(-1), "given frame times"
        if times.size != num_frames:
            raise ValueError(
                f"{source}: {times.size} frame times for {num_frames} frames; expected one per "
                "frame"
            )
        return times, source
    if fps is None:
        raise ValueError(f"{label}: timestamps='seconds' needs the frame rate (fps)")
    t0 = 0.0 if start_time is None else float(start_time)
    return t0 + np.arange(num_frames) / float(fps), f"first frame at {t0} s, {fps} fps"


def _frames_c2w(
    label: str,
    c2w: np.ndarray,
    stamps: np.ndarray | None,
    num_frames: int | None,
    timing: dict[str, Any],
    fps: float | None,
) -> np.ndarray:
    """Camera→world at every video frame from trajectory rows (and their timestamps)."""
    timestamps, stride, skip = timing["timestamps"], timing["stride"], timing["skip"]
    n = c2w.shape[0]
    if timestamps not in TIMESTAMPS:
        raise ValueError(f"{label}: timestamps must be one of {TIMESTAMPS}, got {timestamps!r}")
    if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
        raise ValueError(f"{label}: stride must be an integer ≥ 1, got {stride!r}")
    if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
        raise ValueError(f"{label}: skip must be an integer ≥ 0, got {skip!r}")
    if timestamps != "rows" and stamps is None:
        raise ValueError(f"{label}: timestamps={timestamps!r} needs a TUM file (timestamps)")
    if timestamps == "rows" and stride == 1 and skip == 0:
        if num_frames is not None and n != num_frames:
            raise ValueError(
                f"{label}: holds {n} camera poses but the video has {num_frames} frames "
                f"({timing['frames_source'] or 'the frame count'}); expected one pose per frame"
                + _stride_hint(n, num_frames, 0)
            )
        return c2w
    if num_frames is None:
        raise ValueError(
            f"{label}: matching poses to frames needs the video's frame count (a frame list, "
            "shots or the manifest's 'num_frames')"
        )
    if timestamps == "seconds":
        times, source = _frame_times(
            timing["frame_times"], timing["start_time"], fps, num_frames, label
        )
        timing["frame_times_source"] = source
        diff = timing["max_time_diff"]
        return interpolate_c2w(stamps, c2w, times, before=diff, after=diff, label=label, unit=" s")
    t = np.arange(n, dtype=np.float64) if timestamps == "rows" else stamps
    positions = skip + stride * t
    query = np.arange(num_frames, dtype=np.float64)
    if timestamps == "rows" and positions[-1] > num_frames - 1:
        raise ValueError(
            f"{label}: {n} rows at stride {stride} from frame {skip} reach frame "
            f"{int(positions[-1])}, but the video has only {num_frames} frames "
            f"({timing['frames_source'] or 'the frame count'}); check the stride and skip"
        )
    if timestamps == "rows" and positions[-1] < num_frames - stride:
        raise ValueError(
            f"{label}: {n} rows at stride {stride} from frame {skip} end at frame "
            f"{int(positions[-1])}, but the video has {num_frames} frames"
            + _stride_hint(n, num_frames, skip)
        )
    return interpolate_c2w(positions, c2w, query, before=0, after=stride - 1, label=label)


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
    stride: int = 1,
    skip: int = 0,
    frame_times: str | os.PathLike | np.ndarray | None = None,
    start_time: float | None = None,
    max_time_diff: float = EVO_MAX_DIFF,
    fps: float | None = None,
    trust_pickle: bool = False,
) -> tuple[Cameras, dict[str, Any]]:
    """Read cameras in any supported format, one per video frame, at the scene's image size.

    Args:
        path: the camera file (ignored for "static").
        format: one of :data:`CAMERA_FORMATS`.
        image_size: ``(W, H)`` of the keypoints (the scene); intrinsics are rescaled to it.
        num_frames: the video's (or shot's) frame count; the cameras must cover it.
        frames_source: where ``num_frames`` comes from, for messages.
        intrinsics: a calibration file (:func:`~slahmr_opt.io.intrinsics.read_intrinsics`; its
            distortion coefficients are returned in the note) or ``(4,)``/``(T, 4)`` values;
            default: the file's own, else ``[f, f, W/2, H/2]``.
        intrinsics_size: ``(W, H)`` the intrinsics belong to, when the file does not say.
        focal: focal length (pixels) of the default intrinsics.
        pose: "c2w" or "w2c" for the 7-number formats.
        quat_order: "xyzw" or "wxyz" for the 7-number formats.
        key: the trajectory field of an npz holding several arrays.
        timestamps: how rows map to frames (module docstring); "frame_index" and "seconds"
            need a TUM file.
        stride, skip: row ``r`` (or timestamp ``t``) is frame ``skip + stride · r``.
        frame_times: "seconds": a ``rgb.txt``-style file or (T,) times of the video's frames.
        start_time: "seconds" without ``frame_times``: the first frame's time (default 0).
        max_time_diff: "seconds": how far outside the trajectory a frame may lie (evo's 0.01 s).
        fps: frame rate, for "seconds" without ``frame_times``.
        trust_pickle: allow pickled trajectories (WHAM's ``slam_results.pth``).

    Returns:
        (cameras, a JSON-able note of what was read, for provenance; ``note["distortion"]``
        holds the calibration file's distortion coefficients, or None).
    """
    if format not in CAMERA_FORMATS:
        raise ValueError(f"unknown camera format {format!r}; expected one of {CAMERA_FORMATS}")
    W, H = int(image_size[0]), int(image_size[1])
    label = str(path) if path is not None else "static cameras"
    note: dict[str, Any] = {"format": format, "file": None if format == "static" else str(path)}
    own = own_size = None
    w2c_cams: Cameras | None = None
    is_static = False
    if format != "static" and (path is None or not Path(path).exists()):
        raise ValueError(f"{label}: file not found ({format} cameras)")
    if format in _POSE7:
        stamps = None
        if format == "tum":
            stamps, c2w = read_tum_trajectory(path, pose=pose, quat_order=quat_order)
        else:
            rows = read_pose7_rows(path, key=key, trust_pickle=trust_pickle)
            if is_wham_static_fallback(rows):
                note["wham_static_fallback"] = True
                format = "static"
            else:
                c2w = pose7_to_c2w(rows, pose=pose, quat_order=quat_order, label=label)
        if format != "static":
            timing = {
                "timestamps": timestamps,
                "stride": stride,
                "skip": skip,
                "frame_times": frame_times,
                "start_time": start_time,
                "max_time_diff": max_time_diff,
                "frames_source": frames_source,
            }
            c2w = _frames_c2w(label, c2w, stamps, num_frames, timing, fps)
            note.update(pose=pose, quat_order=quat_order, timestamps=timestamps)
            note.update(stride=stride, skip=skip)
            if "frame_times_source" in timing:
                note["frame_times"] = timing["frame_times_source"]
    if format == "static":
        n_static = num_frames if num_frames is not None else None
        if n_static is None and "wham_static_fallback" in note:
            n_static = rows.shape[0]
        if n_static is None:
            raise ValueError("static cameras need the number of frames (num_frames)")
        c2w = np.tile(np.eye(4), (n_static, 1, 1))
        is_static = True
    elif format == "slahmr":
        w2c_cams, own_size = read_slahmr_cameras(path)
        c2w, own, is_static = w2c_cams.c2w(), w2c_cams.intrinsics, w2c_cams.is_static
    elif format == "megasam":
        c2w, own, stored = read_megasam_npz(path)
        own_size = None if intrinsics_size else megasam_intrinsics_size((W, H), stored, label)
    n = c2w.shape[0]
    if num_frames is not None and n != num_frames:
        raise ValueError(
            f"{label}: holds {n} camera poses but the video has {num_frames} frames"
            f"{f' ({frames_source})' if frames_source else ''}; expected one pose per frame"
            + (_stride_hint(n, num_frames, 0) if format in ("slahmr", "megasam") else "")
        )
    intr, intr_source, distortion = _resolve_intrinsics(
        intrinsics, own, own_size, intrinsics_size, (W, H), focal, n, label
    )
    try:
        if w2c_cams is not None:  # keep the file's world→camera numbers bit-exact
            cameras = Cameras(R=w2c_cams.R, t=w2c_cams.t, intrinsics=intr, is_static=is_static)
        else:
            cameras = Cameras.from_c2w(c2w, intr, is_static=is_static)
    except ValueError as err:
        raise ValueError(f"{label}: {err}") from None
    note["intrinsics"] = intr_source
    note["distortion"] = None if distortion is None else [float(v) for v in distortion]
    return cameras, note
