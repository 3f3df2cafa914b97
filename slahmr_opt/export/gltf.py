"""glTF 2.0 binary (``.glb``): every person as an animated skinned mesh, the floor, the camera path.

One file per result, in glTF's frame (+y up, metres; the floor-aligned frame of
:func:`slahmr_opt.export.source.output_transform` turned y-up, floor at y = 0):

- per person a mesh node ``person_<id>`` with the body's shaped rest mesh (template + shape blend
  shapes at the person's β; pose blend shapes are not exported), its skin weights (four joints a
  vertex; more sets if the model has more influences), a material in the person's colour, and a
  skin over the joint nodes ``<id>:<joint name>`` (rest offsets of ``J(β)``, inverse bind
  matrices ``translate(−J(β)_j)``);
- one animation ``motion`` whose keyframes are the scene frames at ``frame / fps`` seconds: per
  person the root joint's translation and every joint's rotation (LINEAR), and the root's scale
  (STEP: 0 outside the person's frames, so people appear and leave with their tracks);
- ``floor``: a grey quad with a 1 m grid of lines at height 0 (only when the result has a floor);
- ``camera``: a perspective camera moving along the SLAM cameras made metric (its field of view
  from ``fy`` and the principal point), and ``camera_path``, the line through its centres.

pygltflib writes the file (the optional extra ``slahmr-opt[gltf]``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from slahmr_opt.errors import InputError
from slahmr_opt.export.skeleton import PersonSkeleton, output_transform, person_skeleton
from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.vis.raster import vertex_normals
from slahmr_opt.vis.source import ResultSource, as_source, resolve_body

if TYPE_CHECKING:
    from slahmr_opt.body import BodyModel

__all__ = ["GLB_CAMERA_FLIP", "export_glb", "require_pygltflib", "result_to_glb"]

GLB_CAMERA_FLIP = np.diag([1.0, -1.0, -1.0])
"""OpenCV camera axes (x right, y down, z forward) → glTF's (x right, y up, looking along −z)."""

_FLOOR_COLOR = (0.62, 0.62, 0.62, 1.0)
_GRID_COLOR = (0.3, 0.3, 0.3, 1.0)
_CAMERA_COLOR = (0.0, 0.0, 0.0, 1.0)
_FLOOR_MARGIN_M = 1.0
_GRID_STEP_M = 1.0
_GRID_LIFT_M = 0.002  # grid lines just above the quad, so that they do not flicker


def require_pygltflib():
    """Import pygltflib, or say how to install it."""
    try:
        import pygltflib
    except ImportError:
        raise InputError(
            "GLB export needs pygltflib: pip install 'slahmr-opt[gltf]' (or pip install pygltflib)"
        ) from None
    return pygltflib


def _rgba(hex_color: str) -> list[float]:
    return [int(hex_color[i : i + 2], 16) / 255.0 for i in (1, 3, 5)] + [1.0]


class _Builder:
    """Accumulates glTF objects and one binary buffer."""

    def __init__(self, gl) -> None:
        self.gl = gl
        self.doc = gl.GLTF2(asset=gl.Asset(generator="slahmr-opt", version="2.0"))
        self.blob = bytearray()

    def accessor(
        self, array: np.ndarray, kind: str, target: int | None = None, bounds: bool = False
    ) -> int:
        gl = self.gl
        a = np.ascontiguousarray(array)
        ctype = {
            np.dtype(np.float32): gl.FLOAT,
            np.dtype(np.uint8): gl.UNSIGNED_BYTE,
            np.dtype(np.uint16): gl.UNSIGNED_SHORT,
            np.dtype(np.uint32): gl.UNSIGNED_INT,
        }[a.dtype]
        while len(self.blob) % 4:
            self.blob.append(0)
        self.doc.bufferViews.append(
            gl.BufferView(buffer=0, byteOffset=len(self.blob), byteLength=a.nbytes, target=target)
        )
        self.blob.extend(a.tobytes())
        count = a.shape[0]
        flat = a.reshape(count, -1)
        acc = gl.Accessor(
            bufferView=len(self.doc.bufferViews) - 1,
            componentType=ctype,
            count=count,
            type=kind,
        )
        if bounds:
            acc.min = [float(v) for v in flat.min(axis=0)]
            acc.max = [float(v) for v in flat.max(axis=0)]
        self.doc.accessors.append(acc)
        return len(self.doc.accessors) - 1

    def material(
        self, name: str, rgba: list[float] | tuple[float, ...], unlit: bool = False
    ) -> int:
        gl = self.gl
        pbr = gl.PbrMetallicRoughness(
            baseColorFactor=list(rgba), metallicFactor=0.0, roughnessFactor=0.9
        )
        self.doc.materials.append(
            gl.Material(name=name, pbrMetallicRoughness=pbr, doubleSided=unlit)
        )
        return len(self.doc.materials) - 1

    def mesh_node(self, name: str, primitives: list) -> int:
        self.doc.meshes.append(self.gl.Mesh(name=name, primitives=primitives))
        return self.node(name=name, mesh=len(self.doc.meshes) - 1)

    def node(self, **kwargs) -> int:
        self.doc.nodes.append(self.gl.Node(**kwargs))
        return len(self.doc.nodes) - 1

    def channel(
        self,
        sampler_input: int,
        values: np.ndarray,
        node: int,
        path: str,
        kind: str,
        interpolation: str = "LINEAR",
    ) -> None:
        gl = self.gl
        anim = self.doc.animations[0]
        out = self.accessor(values.astype(np.float32), kind)
        anim.samplers.append(
            gl.AnimationSampler(input=sampler_input, output=out, interpolation=interpolation)
        )
        anim.channels.append(
            gl.AnimationChannel(
                sampler=len(anim.samplers) - 1,
                target=gl.AnimationChannelTarget(node=node, path=path),
            )
        )

    def to_bytes(self) -> bytes:
        gl = self.gl
        self.doc.buffers = [gl.Buffer(byteLength=len(self.blob))]
        self.doc.set_binary_blob(bytes(self.blob))
        return b"".join(self.doc.save_to_bytes())


def _continuous_quats(rotations: np.ndarray) -> np.ndarray:
    """(T, 3, 3) → (T, 4) xyzw quaternions without sign flips between frames."""
    q = Rotation.from_matrix(rotations).as_quat()
    dots = np.einsum("ti,ti->t", q[1:], q[:-1])
    sign = np.cumprod(np.where(dots < 0, -1.0, 1.0))
    q[1:] *= sign[:, None]
    return q


def _skin_weights(weights: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(V, J) skinning weights → sets of (V, 4) joint indices and (V, 4) weights summing to 1."""
    nnz = int((weights > 1e-8).sum(axis=1).max())
    sets = max(1, -(-nnz // 4))
    order = np.argsort(-weights, axis=1, kind="stable")[:, : 4 * sets]
    w = np.take_along_axis(weights, order, axis=1)
    w = np.where(w > 1e-8, w, 0.0)
    w /= w.sum(axis=1, keepdims=True)
    order = np.where(w > 0, order, 0)
    idx_dtype = np.uint8 if weights.shape[1] < 256 else np.uint16
    joints = [order[:, 4 * s : 4 * s + 4].astype(idx_dtype) for s in range(sets)]
    ws = [w[:, 4 * s : 4 * s + 4].astype(np.float32) for s in range(sets)]
    return joints, ws


def _add_person(
    b: _Builder,
    skel: PersonSkeleton,
    body: BodyModel,
    betas: np.ndarray,
    color: str,
    fps: float,
    num_frames: int,
) -> list[int]:
    """Mesh, skin, joint nodes and animation channels of one person.

    Returns:
        the scene's root nodes it added: the skinned mesh node and the root joint node.
    """
    gl = b.gl
    with torch.no_grad():
        dtype = body.joint_template0.dtype
        zeros = torch.zeros(1, 3, dtype=dtype)
        verts = (
            body.vertices(
                zeros,
                torch.zeros(1, body.num_body_joints, 3, dtype=dtype),
                torch.as_tensor(betas, dtype=dtype)[None],
            )[0]
            .double()
            .numpy()
        )
    faces = np.asarray(body.faces)
    weights = body.smplx_model.lbs_weights.detach().cpu().double().numpy()
    joint_sets, weight_sets = _skin_weights(weights)
    attrs = gl.Attributes(
        POSITION=b.accessor(verts.astype(np.float32), gl.VEC3, gl.ARRAY_BUFFER, bounds=True),
        NORMAL=b.accessor(
            vertex_normals(verts, faces).astype(np.float32), gl.VEC3, gl.ARRAY_BUFFER
        ),
        JOINTS_0=b.accessor(joint_sets[0], gl.VEC4, gl.ARRAY_BUFFER),
        WEIGHTS_0=b.accessor(weight_sets[0], gl.VEC4, gl.ARRAY_BUFFER),
    )
    for s in range(1, len(joint_sets)):
        setattr(attrs, f"JOINTS_{s}", b.accessor(joint_sets[s], gl.VEC4, gl.ARRAY_BUFFER))
        setattr(attrs, f"WEIGHTS_{s}", b.accessor(weight_sets[s], gl.VEC4, gl.ARRAY_BUFFER))
    indices = b.accessor(
        faces.reshape(-1).astype(np.uint32), gl.SCALAR, gl.ELEMENT_ARRAY_BUFFER, bounds=True
    )
    material = b.material(f"person_{skel.track_id}", _rgba(color))
    prim = gl.Primitive(attributes=attrs, indices=indices, material=material, mode=gl.TRIANGLES)

    J = len(skel.names)
    quats = np.stack([_continuous_quats(skel.rotations[:, j]) for j in range(J)], axis=1)
    first = len(b.doc.nodes)
    for j in range(J):
        kids = [first + k for k in range(J) if skel.parents[k] == j]
        translation = skel.position[0] if j == 0 else skel.offsets[j]
        b.node(
            name=f"{skel.track_id}:{skel.names[j]}",
            translation=[float(v) for v in translation],
            rotation=[float(v) for v in quats[0, j]],
            children=kids,
        )
    ibm = np.tile(np.eye(4), (J, 1, 1))
    ibm[:, :3, 3] = -skel.rest
    b.doc.skins.append(
        gl.Skin(
            name=f"person_{skel.track_id}",
            joints=list(range(first, first + J)),
            skeleton=first,
            inverseBindMatrices=b.accessor(
                np.transpose(ibm, (0, 2, 1)).reshape(J, 16).astype(np.float32), gl.MAT4
            ),
        )
    )
    b.doc.meshes.append(gl.Mesh(name=f"person_{skel.track_id}", primitives=[prim]))
    mesh_node = b.node(
        name=f"person_{skel.track_id}", mesh=len(b.doc.meshes) - 1, skin=len(b.doc.skins) - 1
    )

    times = b.accessor((skel.frames / fps).astype(np.float32), gl.SCALAR, bounds=True)
    b.channel(times, skel.position, first, gl.TRANSLATION, gl.VEC3)
    for j in range(J):
        b.channel(times, quats[:, j], first + j, gl.ROTATION, gl.VEC4)
    start, end = int(skel.frames[0]), int(skel.frames[-1]) + 1
    keys = ([0.0] if start > 0 else []) + [start / fps] + ([end / fps] if end < num_frames else [])
    scales = ([0.0] if start > 0 else []) + [1.0] + ([0.0] if end < num_frames else [])
    if len(keys) > 1:
        vis_times = b.accessor(np.array(keys, dtype=np.float32), gl.SCALAR, bounds=True)
        b.channel(
            vis_times,
            np.repeat(np.array(scales)[:, None], 3, axis=1),
            first,
            gl.SCALE,
            gl.VEC3,
            interpolation=gl.ANIM_STEP,
        )
    return [mesh_node, first]


def _floor_nodes(b: _Builder, lo: np.ndarray, hi: np.ndarray) -> int:
    """A quad at y = 0 over the x/z box [lo, hi] (y-up frame) and a 1 m grid on it."""
    gl = b.gl
    x0, z0 = np.floor(lo / _GRID_STEP_M) * _GRID_STEP_M
    x1, z1 = np.ceil(hi / _GRID_STEP_M) * _GRID_STEP_M
    quad = np.array([[x0, 0, z0], [x1, 0, z0], [x1, 0, z1], [x0, 0, z1]], dtype=np.float32)
    up = np.tile(np.array([0.0, 1.0, 0.0], dtype=np.float32), (4, 1))
    quad_prim = gl.Primitive(
        attributes=gl.Attributes(
            POSITION=b.accessor(quad, gl.VEC3, gl.ARRAY_BUFFER, bounds=True),
            NORMAL=b.accessor(up, gl.VEC3, gl.ARRAY_BUFFER),
        ),
        indices=b.accessor(
            np.array([0, 2, 1, 0, 3, 2], dtype=np.uint32), gl.SCALAR, gl.ELEMENT_ARRAY_BUFFER
        ),
        material=b.material("floor", _FLOOR_COLOR, unlit=True),
        mode=gl.TRIANGLES,
    )
    lines = []
    y = _GRID_LIFT_M
    for x in np.arange(x0, x1 + 0.5 * _GRID_STEP_M, _GRID_STEP_M):
        lines += [[x, y, z0], [x, y, z1]]
    for z in np.arange(z0, z1 + 0.5 * _GRID_STEP_M, _GRID_STEP_M):
        lines += [[x0, y, z], [x1, y, z]]
    grid_prim = gl.Primitive(
        attributes=gl.Attributes(
            POSITION=b.accessor(
                np.array(lines, dtype=np.float32), gl.VEC3, gl.ARRAY_BUFFER, bounds=True
            )
        ),
        material=b.material("floor_grid", _GRID_COLOR),
        mode=gl.LINES,
    )
    return b.mesh_node("floor", [quad_prim, grid_prim])


def _camera_nodes(b: _Builder, source: ResultSource, transform: np.ndarray) -> list[int]:
    """An animated perspective camera along the metric SLAM cameras, and its path as a line."""
    gl = b.gl
    est = source.final
    cams = est.cameras
    centres = cams.centers(est.alpha) @ transform[:3, :3].T + transform[:3, 3]
    rot = transform[:3, :3] @ np.swapaxes(cams.R, 1, 2) @ GLB_CAMERA_FLIP
    fx, fy, cx, cy = cams.intrinsics[0]
    b.doc.cameras.append(
        gl.Camera(
            name="camera",
            type=gl.PERSPECTIVE,
            perspective=gl.Perspective(
                yfov=float(2.0 * np.arctan(cy / fy)), aspectRatio=float(cx / cy), znear=0.05
            ),
        )
    )
    quats = _continuous_quats(rot)
    cam_node = b.node(
        name="camera",
        camera=len(b.doc.cameras) - 1,
        translation=[float(v) for v in centres[0]],
        rotation=[float(v) for v in quats[0]],
    )
    times = b.accessor(
        (np.arange(cams.num_frames) / est.fps).astype(np.float32), gl.SCALAR, bounds=True
    )
    b.channel(times, centres, cam_node, gl.TRANSLATION, gl.VEC3)
    b.channel(times, quats, cam_node, gl.ROTATION, gl.VEC4)
    path = gl.Primitive(
        attributes=gl.Attributes(
            POSITION=b.accessor(centres.astype(np.float32), gl.VEC3, gl.ARRAY_BUFFER, bounds=True)
        ),
        material=b.material("camera_path", _CAMERA_COLOR),
        mode=gl.LINE_STRIP,
    )
    return [cam_node, b.mesh_node("camera_path", [path])]


def result_to_glb(
    result: Any,
    *,
    body: BodyModel | None = None,
    pass_name: str | None = None,
    floor: bool = True,
    camera: bool = True,
) -> bytes:
    """The bytes of a ``.glb`` file of a result (see the module docstring).

    Args:
        result: a ``Result``, ``LoadedResult`` or ``WorldEstimate``.
        body: the body model the result was fitted with (default: the stand-in).
        pass_name: which pass to write (default: the final one).
        floor: add the floor quad and grid (when the result has a floor).
        camera: add the animated camera and its path.
    """
    from slahmr_opt.vis.trajectory import person_color

    gl = require_pygltflib()
    source = as_source(result)
    body = resolve_body(source, body)
    (name,) = source.pass_names([pass_name] if pass_name else None)
    estimate = source.passes[name]
    transform, has_floor = output_transform(source, "y")
    b = _Builder(gl)
    b.doc.animations.append(gl.Animation(name="motion", samplers=[], channels=[]))
    roots: list[int] = []
    extent = []
    for i, person in enumerate(estimate.people):
        skel = person_skeleton(person, body, transform)
        roots += _add_person(
            b, skel, body, person.betas, person_color(i), estimate.fps, source.num_frames
        )
        extent.append(skel.position[:, [0, 2]])
    if camera:
        roots += _camera_nodes(b, source, transform)
        centres = source.final.cameras.centers(source.final.alpha)
        extent.append((centres @ transform[:3, :3].T + transform[:3, 3])[:, [0, 2]])
    if floor and has_floor:
        allxz = np.concatenate(extent)
        roots.append(
            _floor_nodes(
                b, allxz.min(axis=0) - _FLOOR_MARGIN_M, allxz.max(axis=0) + _FLOOR_MARGIN_M
            )
        )
    b.doc.scenes.append(gl.Scene(name=source.name, nodes=roots))
    b.doc.scene = 0
    return b.to_bytes()


def export_glb(
    result: Any,
    out_dir: str | os.PathLike,
    *,
    body: BodyModel | None = None,
    pass_name: str | None = None,
    file_name: str = "scene.glb",
) -> Path:
    """Write :func:`result_to_glb` to ``out_dir/scene.glb`` atomically; returns the path."""
    data = result_to_glb(result, body=body, pass_name=pass_name)
    return write_bytes_atomic(Path(out_dir) / file_name, data)
