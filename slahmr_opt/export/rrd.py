"""A rerun recording (``.rrd``) of a result, to open in the rerun viewer (``rerun scene.rrd``).

Entity tree (timelines ``frame``: scene frame index, ``time``: seconds; ``step``: outer solver
step, for the energies):

- ``world``: the floor-aligned frame (+z up, floor at z = 0; :mod:`slahmr_opt.geometry.floor`),
  the viewer's 3D space; ``world/floor``: a 1 m grid on the floor (when the result has one);
- ``world/slam``: the SLAM world made metric (the solver's world frame), placed in ``world`` by
  its world→floor transform; everything below is logged in world coordinates:

  - ``world/slam/camera``: the camera pose of every frame and its pinhole (the viewer draws the
    frustum), ``world/slam/camera_path``: the line through its centres;
  - ``world/slam/<pass>/<id>/mesh``: the body mesh of every frame (the passes in ``meshes``,
    default the final one), ``…/skeleton``: the joints and bones of every frame, ``…/trajectory``:
    the pelvis path — one layer per pass, so the viewer can show and hide passes;

- ``energies/<pass>/<term>``: the weighted energy terms against the outer step (the whole history
  for a :class:`~slahmr_opt.result.Result`; the final value of each pass for a result folder,
  which records only those).

rerun-sdk is an optional extra (``slahmr-opt[rerun]``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from slahmr_opt.errors import InputError
from slahmr_opt.export.skeleton import output_transform
from slahmr_opt.files import chmod_like_new_file
from slahmr_opt.vis.raster import vertex_normals
from slahmr_opt.vis.source import ResultSource, as_source, resolve_body

if TYPE_CHECKING:
    from slahmr_opt.body import BodyModel

__all__ = ["APPLICATION_ID", "export_rrd", "require_rerun"]

APPLICATION_ID = "slahmr-opt"
_GRID_STEP_M = 1.0
_GRID_MARGIN_M = 1.0
_MESH_CHUNK = 64  # frames posed at a time


def require_rerun():
    """Import rerun, or say how to install it."""
    try:
        import rerun
    except ImportError:
        raise InputError(
            "RRD export needs rerun-sdk: pip install 'slahmr-opt[rerun]' (or pip install rerun-sdk)"
        ) from None
    return rerun


def _rgb(hex_color: str) -> list[int]:
    return [int(hex_color[i : i + 2], 16) for i in (1, 3, 5)]


def _times(rr, frames: np.ndarray, fps: float) -> list:
    return [
        rr.TimeColumn("frame", sequence=frames.astype(np.int64)),
        rr.TimeColumn("time", duration=frames / fps),
    ]


def _grid(lo: np.ndarray, hi: np.ndarray) -> list[np.ndarray]:
    x0, y0 = np.floor(lo / _GRID_STEP_M) * _GRID_STEP_M
    x1, y1 = np.ceil(hi / _GRID_STEP_M) * _GRID_STEP_M
    strips = [
        np.array([[x, y0, 0.0], [x, y1, 0.0]]) for x in np.arange(x0, x1 + 1e-9, _GRID_STEP_M)
    ]
    strips += [
        np.array([[x0, y, 0.0], [x1, y, 0.0]]) for y in np.arange(y0, y1 + 1e-9, _GRID_STEP_M)
    ]
    return strips


def _log_cameras(rr, rec, source: ResultSource) -> np.ndarray:
    est = source.final
    cams = est.cameras
    centres = cams.centers(est.alpha)
    frames = np.arange(cams.num_frames)
    rr.send_columns(
        "world/slam/camera",
        indexes=_times(rr, frames, est.fps),
        columns=rr.Transform3D.columns(translation=centres, mat3x3=np.swapaxes(cams.R, 1, 2)),
        recording=rec,
    )
    fx, fy, cx, cy = cams.intrinsics[0]
    rec.log(
        "world/slam/camera",
        rr.Pinhole(
            image_from_camera=[[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]],
            resolution=[2.0 * cx, 2.0 * cy],
            camera_xyz=rr.ViewCoordinates.RDF,
            image_plane_distance=0.5,
        ),
        static=True,
    )
    rec.log("world/slam/camera_path", rr.LineStrips3D([centres], colors=[[0, 0, 0]]), static=True)
    return centres


def _log_person(
    rr, rec, root: str, person, body: BodyModel, color: str, fps: float, mesh: bool
) -> np.ndarray:
    """Skeleton (every frame), trajectory and optionally the mesh of one person of one pass."""
    dtype = body.joint_template0.dtype
    args = [
        torch.as_tensor(a, dtype=dtype)
        for a in (person.global_orient, person.body_pose, person.betas, person.transl)
    ]
    parents = body.parents.cpu().numpy()
    rgb = _rgb(color)
    times = _times(rr, person.frames, fps)
    with torch.no_grad():
        joints = body.joints(*args).double().numpy()  # (T, J, 3)
    T, J = joints.shape[:2]
    bones = np.stack([joints[:, parents[1:]], joints[:, 1:]], axis=2)  # (T, J-1, 2, 3)
    rr.send_columns(
        f"{root}/skeleton",
        indexes=times,
        columns=[
            *rr.Points3D.columns(positions=joints.reshape(-1, 3)).partition([J] * T),
            *rr.LineStrips3D.columns(strips=bones.reshape(-1, 2, 3)).partition([J - 1] * T),
        ],
        recording=rec,
    )
    rec.log(f"{root}/skeleton", rr.Points3D.from_fields(colors=[rgb], radii=0.02), static=True)
    rec.log(f"{root}/skeleton", rr.LineStrips3D.from_fields(colors=[rgb], radii=0.01), static=True)
    rec.log(
        f"{root}/trajectory", rr.LineStrips3D([joints[:, 0]], colors=[rgb], radii=0.01), static=True
    )
    if mesh:
        faces = np.asarray(body.faces, dtype=np.uint32)
        rec.log(
            f"{root}/mesh",
            rr.Mesh3D.from_fields(triangle_indices=faces, albedo_factor=rgb + [255]),
            static=True,
        )
        for s in range(0, T, _MESH_CHUNK):
            sl = slice(s, min(T, s + _MESH_CHUNK))
            with torch.no_grad():
                verts = body.vertices(*(a[sl] for a in args[:2]), args[2], args[3][sl])
            verts = verts.float().numpy()
            n = verts.shape[0]
            normals = vertex_normals(verts, faces)
            rr.send_columns(
                f"{root}/mesh",
                indexes=_times(rr, person.frames[sl], fps),
                columns=rr.Mesh3D.columns(
                    vertex_positions=verts.reshape(-1, 3), vertex_normals=normals.reshape(-1, 3)
                ).partition([verts.shape[1]] * n),
                recording=rec,
            )
    return joints[:, 0]


def _log_energies(rr, rec, source: ResultSource) -> None:
    step0 = 0
    for name, terms in source.energies.items():
        n = max((len(v) for v in terms.values()), default=0)
        for term, values in terms.items():
            vals = np.asarray(values, dtype=np.float64)
            steps = step0 + np.arange(len(vals))
            rr.send_columns(
                f"energies/{name}/{term}",
                indexes=[rr.TimeColumn("step", sequence=steps)],
                columns=rr.Scalars.columns(scalars=vals),
                recording=rec,
            )
        step0 += n


def export_rrd(
    result: Any,
    out_dir: str | os.PathLike,
    *,
    body: BodyModel | None = None,
    passes: str | list[str] | None = "all",
    meshes: str | list[str] | None = None,
    file_name: str = "scene.rrd",
) -> Path:
    """Write a rerun recording of a result to ``out_dir/scene.rrd`` (see the module docstring).

    Args:
        result: a ``Result``, ``LoadedResult`` or ``WorldEstimate``.
        out_dir: the folder (created if missing).
        body: the body model the result was fitted with (default: the stand-in).
        passes: passes to log as layers (``"all"``, a comma list or names; None: the final one).
        meshes: passes whose full meshes are logged (default: the final pass only; ``"none"`` or
            ``[]``: none; meshes are large, about 165 kB a person and frame).
        file_name: name of the recording in ``out_dir``.

    Returns:
        the written path (written to a temporary file first, then renamed).
    """
    from slahmr_opt.vis.trajectory import person_color

    rr = require_rerun()
    source = as_source(result)
    body = resolve_body(source, body)
    names = source.pass_names(passes)
    mesh_names = source.pass_names(meshes, allow_none=True)
    transform, has_floor = output_transform(source, "z")
    out = Path(out_dir) / file_name
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        rec = rr.RecordingStream(APPLICATION_ID, recording_id=f"{source.name}")
        rec.save(tmp)
        rec.log("world", rr.ViewCoordinates.RIGHT_HAND_Z_UP, static=True)
        rec.log(
            "world/slam",
            rr.Transform3D(translation=transform[:3, 3], mat3x3=transform[:3, :3]),
            static=True,
        )
        xy = [_log_cameras(rr, rec, source)]
        for name in names:
            estimate = source.passes[name]
            for i, person in enumerate(estimate.people):
                root = f"world/slam/{name}/{person.track_id}"
                xy.append(
                    _log_person(
                        rr,
                        rec,
                        root,
                        person,
                        body,
                        person_color(i),
                        estimate.fps,
                        name in mesh_names,
                    )
                )
        if has_floor:
            pts = np.concatenate(xy) @ transform[:3, :3].T + transform[:3, 3]
            lo, hi = (
                pts[:, :2].min(axis=0) - _GRID_MARGIN_M,
                pts[:, :2].max(axis=0) + _GRID_MARGIN_M,
            )
            rec.log(
                "world/floor",
                rr.LineStrips3D(_grid(lo, hi), colors=[[128, 128, 128]], radii=0.005),
                static=True,
            )
        _log_energies(rr, rec, source)
        rec.flush()
        rec.disconnect()
        chmod_like_new_file(tmp)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
