"""Overlay videos: every person's fitted body drawn over the frames through the scene's cameras.

Each output frame is one panel per chosen pass, side by side. A panel shows the video frame (or a
plain background), the pass's floor as a 1 m grid (when the pass estimated one), every person
present at that frame as a shaded mesh (:mod:`slahmr_opt.vis.raster`; or as a skeleton) in the
person's colour (:data:`slahmr_opt.vis.trajectory.PERSON_COLORS`), optionally the input 2D
keypoints of the scene's tracks (white dots ringed in the track's colour), and the pass name and
frame index. A world point ``X`` lands in frame ``f`` at ``Π_K(R_f X + α t_f)`` with the pass's
own α (docs/conventions.md).

Frames are read, drawn and written one at a time (:mod:`slahmr_opt.vis.frames`); bodies are posed
in chunks of frames.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import torch

from slahmr_opt.errors import InputError
from slahmr_opt.vis.frames import FrameWriter, open_frames
from slahmr_opt.vis.raster import NEAR_M, face_incidence, rasterize, shade, vertex_normals
from slahmr_opt.vis.source import ResultSource, as_source, resolve_body
from slahmr_opt.vis.trajectory import person_color

if TYPE_CHECKING:
    from slahmr_opt.body import BodyModel
    from slahmr_opt.scene import Scene

__all__ = ["BODY25_LIMBS", "OverlayConfig", "OverlayRenderer", "render_overlay"]

log = logging.getLogger(__name__)

BODY25_LIMBS: tuple[tuple[int, int], ...] = (
    (1, 8), (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (8, 9), (9, 10), (10, 11), (8, 12),
    (12, 13), (13, 14), (1, 0), (0, 15), (15, 17), (0, 16), (16, 18), (14, 19), (19, 20),
    (14, 21), (11, 22), (22, 23), (11, 24),
)  # fmt: skip
"""OpenPose BODY_25 keypoint pairs drawn as limbs."""

STYLES = ("auto", "mesh", "skeleton")
_CHUNK = 32  # frames posed at a time
_GRID_STEP_M = 1.0
_GRID_SAMPLES = 48  # points along each grid line (lines bend under perspective clipping)
_GRID_COLOR = (90, 90, 90)
_TEXT_COLOR = (20, 20, 20)


@dataclass
class OverlayConfig:
    """How overlays are drawn.

    Attributes:
        style: ``"auto"`` (a mesh when the body model has faces), ``"mesh"`` or ``"skeleton"``.
        alpha: opacity of the bodies over the frame, in (0, 1].
        keypoints: also draw the scene's input 2D keypoints (needs the scene).
        floor: draw the pass's floor grid when it has a floor.
        labels: write the pass name and the frame index in each panel.
        max_width: panels wider than this (pixels) are scaled down to it.
        min_confidence: keypoints below this confidence are not drawn.
    """

    style: str = "auto"
    alpha: float = 0.85
    keypoints: bool = False
    floor: bool = True
    labels: bool = True
    max_width: int = 960
    min_confidence: float = 0.1

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise InputError(f"style must be one of {STYLES}, got {self.style!r}")
        if not 0.0 < float(self.alpha) <= 1.0:
            raise InputError(f"alpha must lie in (0, 1], got {self.alpha}")
        if int(self.max_width) < 32:
            raise InputError(f"max_width must be at least 32 pixels, got {self.max_width}")


def _bgr(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i : i + 2], 16) for i in (5, 3, 1)], dtype=np.float64)


class OverlayRenderer:
    """Draws overlay frames of a result; :meth:`render` gives one frame with a panel per pass.

    Args:
        result: a ``Result``, ``LoadedResult`` or ``WorldEstimate``.
        image_size: ``(width, height)`` of the images the cameras' intrinsics refer to.
        out_size: ``(width, height)`` of one output panel (same aspect as ``image_size``).
        body: the body model the result was fitted with (default: the stand-in).
        passes: passes to draw side by side (default: the final one; ``"all"``; a comma list).
        scene: the solved scene, for its input keypoints.
        config: :class:`OverlayConfig`.
    """

    def __init__(
        self,
        result: Any,
        image_size: tuple[int, int],
        out_size: tuple[int, int],
        *,
        body: BodyModel | None = None,
        passes: str | list[str] | None = None,
        scene: Scene | None = None,
        config: OverlayConfig | None = None,
    ) -> None:
        self.source: ResultSource = as_source(result)
        self.body = resolve_body(self.source, body)
        self.config = config or OverlayConfig()
        self.passes = self.source.pass_names(passes)
        self.scene = scene
        if self.config.keypoints and scene is None:
            raise InputError("keypoints: drawing the input keypoints needs the scene (scene=...)")
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.out_size = (int(out_size[0]), int(out_size[1]))
        self.scale = self.out_size[0] / self.image_size[0]
        faces = np.asarray(self.body.faces)
        self.mesh = self.config.style == "mesh" or (self.config.style == "auto" and faces.size > 0)
        self.faces = faces
        if self.mesh:
            self._incidence = face_incidence(faces, self.body.smplx_model.v_template.shape[0])
        self._cache: dict[tuple[str, int], tuple[int, np.ndarray]] = {}
        self._chunk = (-1, -1)
        self._ids = [p.track_id for p in self.source.final.people]
        self._grids = {name: self._floor_grid(name) for name in self.passes}

    def __repr__(self) -> str:
        return (
            f"OverlayRenderer(passes={self.passes}, style={'mesh' if self.mesh else 'skeleton'}, "
            f"out={self.out_size})"
        )

    # ------------------------------------------------------------------ posing
    def _pose_chunk(self, frame: int) -> None:
        start, end = frame, min(frame + _CHUNK, self.source.num_frames)
        self._cache.clear()
        dtype = self.body.joint_template0.dtype
        for name in self.passes:
            for i, person in enumerate(self.source.passes[name].people):
                lo, hi = max(start, person.start), min(end, person.end)
                if lo >= hi:
                    continue
                sl = slice(lo - person.start, hi - person.start)
                args = [
                    torch.as_tensor(a, dtype=dtype)
                    for a in (
                        person.global_orient[sl],
                        person.body_pose[sl],
                        person.betas,
                        person.transl[sl],
                    )
                ]
                with torch.no_grad():
                    out = self.body.forward(*args, joints=not self.mesh, vertices=self.mesh)
                pts = out.vertices if self.mesh else out.joints
                self._cache[(name, i)] = (lo, pts.double().cpu().numpy())
        self._chunk = (start, end)

    def _posed(self, name: str, frame: int) -> list[tuple[int, np.ndarray]]:
        """(person index, (V or J, 3) world points) of the people of pass ``name`` at ``frame``."""
        if not self._chunk[0] <= frame < self._chunk[1]:
            self._pose_chunk(frame)
        out = []
        for (pname, i), (lo, pts) in self._cache.items():
            if pname == name and lo <= frame < lo + len(pts):
                out.append((i, pts[frame - lo]))
        return out

    # ------------------------------------------------------------------ geometry
    def _camera(self, name: str, frame: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(R (3, 3), metric t (3,), output K (3, 3)) of ``frame`` for pass ``name``."""
        est = self.source.passes[name]
        cams = est.cameras
        K = cams.K()[frame].copy()
        K[:2] *= self.scale
        return cams.R[frame], est.alpha * cams.t[frame], K

    def _floor_grid(self, name: str) -> np.ndarray | None:
        """(L, S, 3) world points along the floor grid lines of pass ``name``, or None."""
        from slahmr_opt.geometry.floor import floor_aligned_transform

        est = self.source.passes[name]
        if not self.config.floor or est.floor is None:
            return None
        T = floor_aligned_transform(*est.floor, est.cameras, est.alpha)
        points = [p.transl for p in est.people] + [est.cameras.centers(est.alpha)]
        xy = (np.concatenate(points) @ T[:3, :3].T + T[:3, 3])[:, :2]
        lo = np.floor(xy.min(axis=0) / _GRID_STEP_M - 1) * _GRID_STEP_M
        hi = np.ceil(xy.max(axis=0) / _GRID_STEP_M + 1) * _GRID_STEP_M
        s = np.linspace(0.0, 1.0, _GRID_SAMPLES)
        lines = []
        for x in np.arange(lo[0], hi[0] + 1e-9, _GRID_STEP_M):
            lines.append(np.stack([np.full_like(s, x), lo[1] + s * (hi[1] - lo[1]), 0 * s], 1))
        for y in np.arange(lo[1], hi[1] + 1e-9, _GRID_STEP_M):
            lines.append(np.stack([lo[0] + s * (hi[0] - lo[0]), np.full_like(s, y), 0 * s], 1))
        floor_pts = np.stack(lines)
        return (floor_pts - T[:3, 3]) @ T[:3, :3]  # floor → world

    # ------------------------------------------------------------------ drawing
    def _draw_grid(self, img: np.ndarray, grid: np.ndarray, R, t, K) -> None:
        cam = grid @ R.T + t  # (L, S, 3)
        a, b = cam[:, :-1].reshape(-1, 3), cam[:, 1:].reshape(-1, 3)
        za, zb = a[:, 2], b[:, 2]
        vis = (za > NEAR_M) | (zb > NEAR_M)
        a, b, za, zb = a[vis], b[vis], za[vis], zb[vis]
        # Clip each segment to the near plane.
        dz = np.where(np.abs(zb - za) > 1e-12, zb - za, 1e-12)
        ta = np.where(za < NEAR_M, (NEAR_M - za) / dz, 0.0)[:, None]
        tb = np.where(zb < NEAR_M, (zb - NEAR_M) / dz, 0.0)[:, None]
        a, b = a + ta * (b - a), b + tb * (a - b)
        pa = a[:, :2] / a[:, 2:] * K[[0, 1], [0, 1]] + K[:2, 2]
        pb = b[:, :2] / b[:, 2:] * K[[0, 1], [0, 1]] + K[:2, 2]
        W, H = self.out_size
        lim = 4.0 * max(W, H)
        ok = np.all(np.abs(np.concatenate([pa, pb], 1)) < lim, axis=1)
        layer = img.copy()
        for p, q in zip(pa[ok], pb[ok], strict=True):
            cv2.line(
                layer, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), _GRID_COLOR, 1, cv2.LINE_AA
            )
        cv2.addWeighted(layer, 0.6, img, 0.4, 0.0, dst=img)

    def _draw_meshes(self, img: np.ndarray, posed, R, t, K) -> None:
        if not posed:
            return
        V, F = posed[0][1].shape[0], len(self.faces)
        verts = np.concatenate([pts for _, pts in posed]) @ R.T + t
        faces = np.concatenate([self.faces + k * V for k in range(len(posed))])
        colors = np.repeat(np.stack([_bgr(person_color(i)) / 255.0 for i, _ in posed]), F, axis=0)
        raster = rasterize(verts, faces, K, self.out_size)
        if not raster.mask.any():
            return
        normals = np.concatenate(
            [
                vertex_normals(verts[k * V : (k + 1) * V], self.faces, self._incidence)
                for k in range(len(posed))
            ]
        )
        col = shade(raster, faces, normals, colors) * 255.0
        m = raster.mask
        a = self.config.alpha
        img[m] = np.clip((1 - a) * img[m] + a * col[m], 0, 255).astype(np.uint8)

    def _draw_skeletons(self, img: np.ndarray, posed, R, t, K) -> None:
        parents = self.body.parents.cpu().numpy()
        thick = max(1, round(3 * self.out_size[0] / 960))
        bones = []
        for i, joints in posed:
            cam = joints @ R.T + t
            if np.any(cam[:, 2] <= NEAR_M):
                continue
            px = cam[:, :2] / cam[:, 2:] * K[[0, 1], [0, 1]] + K[:2, 2]
            color = tuple(float(c) for c in _bgr(person_color(i)))
            for j in range(1, len(joints)):
                depth = 0.5 * (cam[j, 2] + cam[parents[j], 2])
                bones.append((depth, px[parents[j]], px[j], color))
        for _, p, q, color in sorted(bones, key=lambda b: -b[0]):
            cv2.line(img, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), color, thick, cv2.LINE_AA)
            cv2.circle(img, (int(q[0]), int(q[1])), thick + 1, color, -1, cv2.LINE_AA)

    def _draw_keypoints(self, img: np.ndarray, frame: int) -> None:
        r = max(2, round(3 * self.out_size[0] / 960))
        sx, sy = self.out_size[0] / self.scene.width, self.out_size[1] / self.scene.height
        for track in self.scene.tracks:
            k = frame - track.start
            if not 0 <= k < track.num_frames:
                continue
            kp = track.keypoints[k]
            ok = kp[:, 2] >= self.config.min_confidence
            xy = kp[:, :2] * [sx, sy]
            i = self._ids.index(track.track_id) if track.track_id in self._ids else None
            color = (128.0, 128.0, 128.0) if i is None else tuple(_bgr(person_color(i)))
            for a, b in BODY25_LIMBS:
                if ok[a] and ok[b]:
                    pa, pb = xy[a].astype(int), xy[b].astype(int)
                    cv2.line(img, tuple(pa), tuple(pb), (255, 255, 255), 1, cv2.LINE_AA)
            for j in np.flatnonzero(ok):
                c = tuple(int(v) for v in xy[j])
                cv2.circle(img, c, r + 1, color, -1, cv2.LINE_AA)
                cv2.circle(img, c, r - 1, (255, 255, 255), -1, cv2.LINE_AA)

    def _draw_label(self, img: np.ndarray, text: str) -> None:
        font = max(0.4, 0.6 * self.out_size[0] / 960)
        (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font, 1)
        box = img[0 : h + base + 8, 0 : w + 12]
        box[:] = (0.4 * box + 0.6 * 255).astype(np.uint8)
        cv2.putText(
            img, text, (6, h + 4), cv2.FONT_HERSHEY_SIMPLEX, font, _TEXT_COLOR, 1, cv2.LINE_AA
        )

    def render(self, frame: int, background: np.ndarray) -> np.ndarray:
        """One output frame: a panel per pass, side by side.

        Args:
            frame: scene frame index.
            background: (h, w, 3) BGR uint8 frame (resized to the panel size).

        Returns:
            (H, W · passes, 3) BGR uint8.
        """
        if not 0 <= frame < self.source.num_frames:
            raise InputError(f"frame {frame} outside the result's {self.source.num_frames} frames")
        W, H = self.out_size
        if background.shape[:2] != (H, W):
            background = cv2.resize(background, (W, H), interpolation=cv2.INTER_AREA)
        panels = []
        for name in self.passes:
            img = background.copy()
            R, t, K = self._camera(name, frame)
            if self._grids[name] is not None:
                self._draw_grid(img, self._grids[name], R, t, K)
            posed = self._posed(name, frame)
            if self.mesh:
                self._draw_meshes(img, posed, R, t, K)
            else:
                self._draw_skeletons(img, posed, R, t, K)
            if self.config.keypoints:
                self._draw_keypoints(img, frame)
            if self.config.labels:
                self._draw_label(img, f"{name}  frame {frame}")
            panels.append(img)
        return np.concatenate(panels, axis=1)


def _image_size(source: ResultSource, scene: Scene | None, reader_size: tuple[int, int] | None):
    """Size of the images the intrinsics refer to: the scene's, the frames' or 2·(cx, cy)."""
    if scene is not None:
        size = scene.image_size
        if reader_size is not None and reader_size != tuple(size):
            ra, rb = reader_size[0] / reader_size[1], size[0] / size[1]
            if abs(ra / rb - 1.0) > 0.01:
                raise InputError(
                    f"frames are {reader_size[0]}x{reader_size[1]} but the scene's images are "
                    f"{size[0]}x{size[1]} (another aspect ratio): are they the same video?"
                )
        return tuple(size)
    if reader_size is not None:
        return reader_size
    _, _, cx, cy = source.final.cameras.intrinsics[0]
    return (max(2, round(2 * cx)), max(2, round(2 * cy)))


def render_overlay(
    result: Any,
    out: str | os.PathLike,
    *,
    images: str | os.PathLike | None = None,
    scene: Scene | None = None,
    body: BodyModel | None = None,
    passes: str | list[str] | None = None,
    frames: tuple[int, int] | None = None,
    image_offset: int = 0,
    config: OverlayConfig | None = None,
    progress: bool = True,
) -> Path:
    """Render an overlay video (or a still, or a folder of PNGs) of a result.

    Args:
        result: a ``Result``, ``LoadedResult`` or ``WorldEstimate``.
        out: ``.mp4``/``.avi`` (video), ``.png``/``.jpg`` (the first frame of ``frames`` only),
            or a folder (one ``frame_<n>.png`` per frame; frames already there are kept, so a
            rerun resumes).
        images: a folder of frames (sorted by name) or a video file; None for a plain background.
        scene: the solved scene (image size; input keypoints with ``config.keypoints``).
        body: the body model the result was fitted with (default: the stand-in).
        passes: passes side by side (default: the final one; ``"all"``; a comma list).
        frames: ``(start, end)`` scene frames to render (default: all).
        image_offset: index in ``images`` of scene frame 0.
        config: :class:`OverlayConfig`.
        progress: show a tqdm progress bar.

    Returns:
        the written path.
    """
    from tqdm import tqdm

    config = config or OverlayConfig()
    source = as_source(result)
    T = source.num_frames
    start, end = (0, T) if frames is None else (int(frames[0]), int(frames[1]))
    if not 0 <= start < end <= T:
        raise InputError(f"frames: expected 0 ≤ start < end ≤ {T}, got {(start, end)}")
    if image_offset < 0:
        raise InputError(f"image_offset must be ≥ 0, got {image_offset}")
    reader = open_frames(images, (1, 1), T) if images is not None else None
    try:
        size = _image_size(source, scene, reader.size if reader is not None else None)
        if reader is None:
            reader = open_frames(None, size, T)
        elif reader.num_frames < end + image_offset:
            raise InputError(
                f"{images}: {reader.num_frames} frames, but scene frames up to {end - 1} (with "
                f"image_offset {image_offset}) were asked for"
            )
        scale = min(1.0, config.max_width / size[0])
        out_size = (max(2, 2 * round(size[0] * scale / 2)), max(2, 2 * round(size[1] * scale / 2)))
        renderer = OverlayRenderer(
            source, size, out_size, body=body, passes=passes, scene=scene, config=config
        )
        panel_w = out_size[0] * len(renderer.passes)
        writer = FrameWriter(out, source.fps, (panel_w, out_size[1]))
        try:
            if writer.kind == "still":
                end = start + 1
            for f in tqdm(range(start, end), desc="render", unit="frame", disable=not progress):
                if writer.done(f):
                    continue
                writer.write(f, renderer.render(f, reader.read(f + image_offset)))
            return writer.close()
        except BaseException:
            writer.abort()
            raise
    finally:
        if reader is not None:
            reader.close()
