"""A top-down picture of a result: people's pelvis paths, the camera path and the floor.

Drawn with matplotlib's Agg canvas (no display) in the floor-aligned frame of
:func:`slahmr_opt.geometry.floor.floor_aligned_transform` (+z up, x = the first camera's heading
on the floor); without an estimated floor, in the plane orthogonal to
:func:`slahmr_opt.geometry.floor.up_from_cameras` through the first camera.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.geometry.floor import (
    floor_aligned_transform,
    points_world_to_floor,
    rest_pelvis,
    up_from_cameras,
)
from slahmr_opt.result import Result, WorldEstimate
from slahmr_opt.scene import Cameras, GroundTruth, PersonMotion

if TYPE_CHECKING:
    from slahmr_opt.body import BodyModel

__all__ = [
    "PERSON_COLORS",
    "person_color",
    "plot_transform",
    "trajectory_plotter",
    "trajectory_to_png",
]

PERSON_COLORS: tuple[str, ...] = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#e377c2",
    "#8c564b",
    "#bcbd22",
)
"""Colour of the i-th person of a plot (cycled); the camera path is black."""

_CAMERA_COLOR = "#000000"
_GRID_COLOR = "#d9d9d9"
_HEADING_TICKS = 6


def person_color(index: int) -> str:
    """Hex colour of the ``index``-th person of a plot."""
    return PERSON_COLORS[index % len(PERSON_COLORS)]


def plot_transform(estimate: WorldEstimate) -> tuple[np.ndarray, bool]:
    """The world→plot frame transform of :func:`trajectory_to_png`.

    Returns:
        ((4, 4) rigid transform, whether it comes from an estimated floor). Without a floor the
        plane through the first camera's centre orthogonal to :func:`up_from_cameras` is used.
    """
    if estimate.floor is not None:
        n, d = estimate.floor
        return floor_aligned_transform(n, d, estimate.cameras, estimate.alpha), True
    up = up_from_cameras(estimate.cameras)
    centre = estimate.cameras.centers(estimate.alpha)[0]
    return floor_aligned_transform(up, float(up @ centre), estimate.cameras, estimate.alpha), False


def _pelvis_paths(people: Sequence[PersonMotion], body: BodyModel) -> list[np.ndarray]:
    """World pelvis joint per frame, (T_i, 3) each: ``transl + J(β)[0]`` (SMPL's root pivot)."""
    return [p.transl + rest_pelvis(body, p.betas) for p in people]


def _camera_arrows(cameras: Cameras, alpha: float, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Camera centres (N, 2) and unit viewing directions (N, 2) in the plot plane."""
    centres = points_world_to_floor(cameras.centers(alpha), T)[:, :2]
    forward = cameras.R[:, 2] @ T[:3, :3].T
    flat = forward[:, :2]
    norms = np.linalg.norm(flat, axis=1, keepdims=True)
    return centres, np.where(norms > 1e-9, flat / np.maximum(norms, 1e-12), 0.0)


def _darker(color: str, factor: float = 0.55) -> tuple[float, float, float]:
    """``color`` (hex) with its RGB scaled by ``factor``: the truth overlay's shade."""
    rgb = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
    return tuple(float(v) for v in rgb * factor)


def _nice_step(span: float) -> float:
    """Grid step (1, 2 or 5 × 10^k metres) giving about 8–20 cells over ``span``."""
    raw = max(span, 1e-3) / 12.0
    power = 10.0 ** np.floor(np.log10(raw))
    for m in (1.0, 2.0, 5.0, 10.0):
        if raw <= m * power:
            return float(m * power)
    return float(10.0 * power)


def trajectory_to_png(
    estimate: WorldEstimate | Result,
    path: str | os.PathLike,
    *,
    body: BodyModel | None = None,
    ground_truth: GroundTruth | None = None,
    size: tuple[int, int] = (800, 800),
    title: str | None = None,
) -> Path:
    """Draw a top-down plot of a result and write it as a PNG, atomically.

    Shows each person's pelvis path (own colour from :data:`PERSON_COLORS`, a circle at the
    start, a square at the end, the id at the start), the camera centres' path (black) with a few
    viewing-direction ticks, the floor as a light square grid covering the content, axes in
    metres with equal aspect, and a title with α. With ``ground_truth``, its people and cameras
    are overlaid dashed, mapped through the same transform (they must be in the same world
    frame: the SLAM world made metric).

    Args:
        estimate: a :class:`WorldEstimate` or a :class:`Result` (its last pass).
        path: the ``.png`` to write; its folder is created if missing.
        body: :class:`~slahmr_opt.body.BodyModel` giving the rest pelvis ``J(β)[0]`` that SMPL
            rotates about (the pelvis path is ``transl + J(β)[0]``); default the stand-in body.
        ground_truth: optional truth to overlay.
        size: (width, height) of the picture in pixels.
        title: first title line (default: the estimate's method).

    Returns:
        The written path.
    """
    if isinstance(estimate, Result):
        estimate = estimate.to_estimate()
    if not isinstance(estimate, WorldEstimate):
        raise ValueError(
            f"estimate must be a WorldEstimate or a Result, got {type(estimate).__name__}"
        )
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (width, height) in pixels, got {size!r}") from None
    if width < 64 or height < 64:
        raise ValueError(f"size must be at least 64 × 64 pixels, got {(width, height)}")
    if ground_truth is not None and not isinstance(ground_truth, GroundTruth):
        raise ValueError(f"ground_truth must be a GroundTruth, got {type(ground_truth).__name__}")
    if body is None:
        from slahmr_opt.body import BodyModel

        body = BodyModel.standin()

    T, has_floor = plot_transform(estimate)
    paths = [points_world_to_floor(p, T)[:, :2] for p in _pelvis_paths(estimate.people, body)]
    cam_xy, cam_dir = _camera_arrows(estimate.cameras, estimate.alpha, T)
    content = [cam_xy, *paths]
    gt_paths: list[tuple[str, np.ndarray]] = []
    gt_cams = None
    if ground_truth is not None:
        for p, xyz in zip(
            ground_truth.people, _pelvis_paths(ground_truth.people, body), strict=True
        ):
            gt_paths.append((p.track_id, points_world_to_floor(xyz, T)[:, :2]))
        gt_cams = points_world_to_floor(ground_truth.cameras.centers(1.0), T)[:, :2]
        content += [xy for _, xy in gt_paths] + [gt_cams]
    allxy = np.concatenate(content)
    lo, hi = allxy.min(axis=0), allxy.max(axis=0)
    span = float(max(hi - lo)) + 1.0
    mid = 0.5 * (lo + hi)
    aspect = width / height
    half_x = 0.5 * span * max(aspect, 1.0) * 1.08
    half_y = 0.5 * span * max(1.0 / aspect, 1.0) * 1.08

    dpi = 100
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    if has_floor:
        step = _nice_step(span)
        gx = np.arange(np.floor((mid[0] - half_x) / step), np.ceil((mid[0] + half_x) / step) + 1)
        gy = np.arange(np.floor((mid[1] - half_y) / step), np.ceil((mid[1] + half_y) / step) + 1)
        for x in gx * step:
            ax.plot([x, x], [gy[0] * step, gy[-1] * step], color=_GRID_COLOR, lw=0.8, zorder=0)
        for y in gy * step:
            ax.plot([gx[0] * step, gx[-1] * step], [y, y], color=_GRID_COLOR, lw=0.8, zorder=0)
    else:
        ax.grid(True, color=_GRID_COLOR, lw=0.8)

    ax.plot(cam_xy[:, 0], cam_xy[:, 1], color=_CAMERA_COLOR, lw=1.5, label="camera", zorder=2)
    tick = 0.06 * span
    for i in np.unique(np.linspace(0, len(cam_xy) - 1, _HEADING_TICKS).round().astype(int)):
        ax.plot(
            [cam_xy[i, 0], cam_xy[i, 0] + tick * cam_dir[i, 0]],
            [cam_xy[i, 1], cam_xy[i, 1] + tick * cam_dir[i, 1]],
            color=_CAMERA_COLOR,
            lw=1.5,
            zorder=2,
        )
    ax.plot(*cam_xy[0], marker="^", color=_CAMERA_COLOR, ms=7, zorder=3)
    if gt_cams is not None:
        ax.plot(
            gt_cams[:, 0],
            gt_cams[:, 1],
            color="#7f7f7f",
            lw=1.2,
            ls="--",
            zorder=1,
            label="camera (truth)",
        )

    ids = [p.track_id for p in estimate.people]
    for i, (p, xy) in enumerate(zip(estimate.people, paths, strict=True)):
        c = person_color(i)
        ax.plot(xy[:, 0], xy[:, 1], color=c, lw=2.5, label=p.track_id, zorder=4)
        ax.plot(*xy[0], marker="o", color=c, ms=8, zorder=5)
        ax.plot(*xy[-1], marker="s", color=c, ms=8, zorder=5)
        ax.annotate(
            p.track_id, xy[0], textcoords="offset points", xytext=(6, 6), color=c, fontsize=9
        )
    for k, (track_id, xy) in enumerate(gt_paths):
        c = person_color(ids.index(track_id)) if track_id in ids else "#7f7f7f"
        ax.plot(
            xy[:, 0],
            xy[:, 1],
            color=_darker(c),
            lw=1.3,
            ls="--",
            zorder=6,
            label="people (truth)" if k == 0 else None,
        )

    ax.set_xlim(mid[0] - half_x, mid[0] + half_x)
    ax.set_ylim(mid[1] - half_y, mid[1] + half_y)
    ax.set_aspect("equal", adjustable="box")
    frame = "floor frame" if has_floor else "no floor: plane ⊥ camera up"
    ax.set_xlabel(f"x (m, {frame}; +x = camera 0 heading)")
    ax.set_ylabel("y (m)")
    head = title if title is not None else estimate.method
    extra = ", dashed = truth" if ground_truth is not None else ""
    ax.set_title(f"{head}\nα = {estimate.alpha:.4g} m/SLAM unit{extra}", fontsize=10)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
    fig.tight_layout()

    buf = io.BytesIO()
    fig.canvas.print_png(buf)
    return write_bytes_atomic(Path(path), buf.getvalue())


def trajectory_plotter(
    *,
    body: BodyModel | None = None,
    ground_truth: GroundTruth | None = None,
    size: tuple[int, int] = (800, 800),
) -> Callable[[WorldEstimate, Path], Path]:
    """A ``plot(estimate, path)`` callable for :func:`slahmr_opt.io.results.save_result` that
    draws :func:`trajectory_to_png` with these settings.

    Args:
        body: the run's body model (default: the stand-in).
        ground_truth: drawn dashed under the estimate (same world frame).
        size: (width, height) pixels.
    """

    def plot(estimate: WorldEstimate, path: Path) -> Path:
        return trajectory_to_png(estimate, path, body=body, ground_truth=ground_truth, size=size)

    return plot
