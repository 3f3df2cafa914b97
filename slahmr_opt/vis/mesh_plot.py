"""Shaded pictures of triangle meshes (bodies) from a few fixed views, with matplotlib Agg.

A painter's-algorithm renderer: triangles facing the viewer are Lambert-shaded, sorted back to
front and drawn as 2D polygons. Meshes must be closed and consistently oriented (outward
normals), as SMPL-family meshes are; back faces are culled.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from slahmr_opt.files import write_atomic

__all__ = ["VIEWS", "meshes_to_png", "project_view"]

# Camera axes (right, up, towards the viewer) in the y-up body frame (+y up, faces +z, left +x).
VIEWS: dict[str, np.ndarray] = {
    "front": np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    "back": np.array([[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]]),
    "side": np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]]),  # from the right
    "left": np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
    "top": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]]),
}
"""Rows: the screen right, screen up and towards-viewer directions of each view."""

_UP_TO_Y = {
    "y": np.eye(3),
    # z-up worlds (AMASS, floor-aligned results): +z becomes +y and -y becomes +z (the front).
    "z": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),
}

_LIGHT = np.array([-0.3, 0.4, 1.0]) / np.linalg.norm([-0.3, 0.4, 1.0])
_BASE_COLOR = np.array([0.80, 0.70, 0.62])


def project_view(verts: np.ndarray, view: str, up: str = "y") -> np.ndarray:
    """Camera coordinates of points for one of :data:`VIEWS`.

    Args:
        verts: (V, 3) points, metres.
        view: a key of :data:`VIEWS`.
        up: the world's up axis, ``"y"`` (SMPL rest frame) or ``"z"`` (floor-aligned frame).

    Returns:
        (V, 3): screen x (right), screen y (up), depth (larger = nearer the viewer).
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {sorted(VIEWS)}, got {view!r}")
    if up not in _UP_TO_Y:
        raise ValueError(f"up must be 'y' or 'z', got {up!r}")
    return np.asarray(verts, dtype=np.float64) @ (VIEWS[view] @ _UP_TO_Y[up]).T


def _shaded_triangles(cam: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Visible triangles (T, 3, 2) back to front and their RGB colours (T, 3)."""
    tri = cam[faces]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    norm = np.linalg.norm(normal, axis=1)
    keep = (normal[:, 2] > 0) & (norm > 0)
    tri, normal = tri[keep], normal[keep] / norm[keep, None]
    order = np.argsort(tri[:, :, 2].mean(axis=1), kind="stable")
    tri, normal = tri[order], normal[order]
    # A key light from the upper left plus a headlight, so that no visible face goes black.
    lambert = np.clip(normal @ _LIGHT, 0.0, 1.0)
    shade = 0.3 + 0.4 * lambert + 0.35 * np.sqrt(normal[:, 2])
    colors = np.clip(shade[:, None] * _BASE_COLOR[None, :], 0.0, 1.0)
    return tri[:, :, :2], colors


def meshes_to_png(
    meshes: Sequence[np.ndarray],
    faces: np.ndarray,
    path: str | os.PathLike,
    titles: Sequence[str] | None = None,
    views: Sequence[str] = ("front", "side"),
    up: str = "y",
    panel_size: float = 3.0,
    dpi: int = 100,
) -> Path:
    """Draw meshes shaded in a grid (rows = meshes, columns = views) and write a PNG atomically.

    Args:
        meshes: sequence of (V, 3) vertex arrays sharing ``faces``, metres.
        faces: (F, 3) integer triangles, outward oriented.
        path: output ``.png`` file; its folder is created if missing.
        titles: one title per mesh (row), optional.
        views: names from :data:`VIEWS`, one column each.
        up: the meshes' up axis, ``"y"`` or ``"z"``.
        panel_size: inches per panel.
        dpi: resolution of the PNG.

    Returns:
        The written path.
    """
    if len(meshes) == 0:
        raise ValueError("meshes must hold at least one (V, 3) array")
    faces = np.asarray(faces)
    if faces.ndim != 2 or faces.shape[1] != 3 or not np.issubdtype(faces.dtype, np.integer):
        raise ValueError(f"faces must be an integer (F, 3) array, got {faces.dtype} {faces.shape}")
    verts_list = []
    for i, m in enumerate(meshes):
        m = np.asarray(m, dtype=np.float64)
        if m.ndim != 2 or m.shape[1] != 3:
            raise ValueError(f"meshes[{i}] must be (V, 3), got {m.shape}")
        if faces.size and (faces.min() < 0 or faces.max() >= len(m)):
            raise ValueError(f"faces index outside meshes[{i}] ({len(m)} vertices)")
        if not np.isfinite(m).all():
            raise ValueError(f"meshes[{i}] holds non-finite coordinates")
        verts_list.append(m)
    if titles is not None and len(titles) != len(verts_list):
        raise ValueError(
            f"titles must have one entry per mesh ({len(verts_list)}), got {len(titles)}"
        )
    if len(views) == 0:
        raise ValueError("views must name at least one view")
    for v in views:
        if v not in VIEWS:
            raise ValueError(f"views: unknown view {v!r}, expected some of {sorted(VIEWS)}")
    if up not in _UP_TO_Y:
        raise ValueError(f"up must be 'y' or 'z', got {up!r}")

    rows, cols = len(verts_list), len(views)
    fig = Figure(figsize=(panel_size * cols, panel_size * rows * 1.1), dpi=dpi)
    FigureCanvasAgg(fig)
    # One scale for the whole picture: every panel spans the largest extent of any view.
    cams = [[project_view(m, v, up) for v in views] for m in verts_list]
    span = max(float(np.ptp(c[:, :2], axis=0).max()) for row in cams for c in row)
    half = 0.55 * span
    for r, row in enumerate(cams):
        for c, cam in enumerate(row):
            ax = fig.add_subplot(rows, cols, r * cols + c + 1)
            tri, colors = _shaded_triangles(cam, faces)
            coll = PolyCollection(
                tri, facecolors=colors, edgecolors=colors, linewidths=0.25, antialiaseds=False
            )
            ax.add_collection(coll)
            mid = 0.5 * (cam[:, :2].min(axis=0) + cam[:, :2].max(axis=0))
            ax.set_xlim(mid[0] - half, mid[0] + half)
            ax.set_ylim(mid[1] - half, mid[1] + half)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            label = views[c] if titles is None else f"{titles[r]} — {views[c]}"
            ax.set_title(label, fontsize=9)
    fig.tight_layout()

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, lambda fh: fig.savefig(fh, format="png", dpi=dpi))
    return out
