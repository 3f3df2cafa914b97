"""GLB export: parsed with pygltflib; keyframes per person; joints skinned from the file's inverse
bind matrices and animated node transforms match the body model's."""

from __future__ import annotations

import numpy as np
import pytest
import smplx
import torch
from scipy.spatial.transform import Rotation

from slahmr_opt.export.gltf import export_glb, result_to_glb
from slahmr_opt.export.skeleton import output_transform, posed_joints
from slahmr_opt.scene import PersonMotion
from slahmr_opt.vis.source import as_source
from tests.export.scenes import NUM_FRAMES, body64, truth_estimate

gl = pytest.importorskip("pygltflib", reason="pygltflib (gltf extra) reads the GLB back")

_NUM = {"SCALAR": 1, "VEC3": 3, "VEC4": 4, "MAT4": 16}


class Glb:
    """A GLB file read with pygltflib, with accessor reads and node animation sampling."""

    def __init__(self, path) -> None:
        self.doc = gl.GLTF2().load(str(path))
        self.blob = self.doc.binary_blob()
        self.parent = {c: i for i, n in enumerate(self.doc.nodes) for c in (n.children or [])}
        anim = self.doc.animations[0]
        self.channels = {
            (c.target.node, c.target.path): anim.samplers[c.sampler] for c in anim.channels
        }

    def read(self, index: int) -> np.ndarray:
        a = self.doc.accessors[index]
        view = self.doc.bufferViews[a.bufferView]
        dtype = {
            gl.FLOAT: np.float32,
            gl.UNSIGNED_BYTE: np.uint8,
            gl.UNSIGNED_SHORT: np.uint16,
            gl.UNSIGNED_INT: np.uint32,
        }[a.componentType]
        n = _NUM[a.type]
        start = view.byteOffset + (a.byteOffset or 0)
        return np.frombuffer(self.blob, dtype, a.count * n, start).reshape(a.count, n)

    def node_named(self, name: str) -> int:
        return next(i for i, n in enumerate(self.doc.nodes) if n.name == name)

    def local(self, node: int, key: int) -> np.ndarray:
        """The node's 4×4 local transform at keyframe ``key`` of its own samplers."""
        n = self.doc.nodes[node]
        tr = np.array(n.translation or [0.0, 0.0, 0.0])
        q = np.array(n.rotation or [0.0, 0.0, 0.0, 1.0])
        if (node, "translation") in self.channels:
            tr = self.read(self.channels[(node, "translation")].output)[key]
        if (node, "rotation") in self.channels:
            q = self.read(self.channels[(node, "rotation")].output)[key]
        out = np.eye(4)
        out[:3, :3] = Rotation.from_quat(q.astype(np.float64)).as_matrix()
        out[:3, 3] = tr
        return out

    def world(self, node: int, key: int) -> np.ndarray:
        m = self.local(node, key)
        while node in self.parent:
            node = self.parent[node]
            m = self.local(node, key) @ m
        return m


def _late_person_estimate():
    """The truth with p1 seen only on frames 5–19 (it must appear and leave with its track)."""
    est = truth_estimate()
    p = est.people[1]
    sl = slice(5, 20)
    est.people[1] = PersonMotion(
        track_id=p.track_id,
        frames=p.frames[sl],
        global_orient=p.global_orient[sl],
        body_pose=p.body_pose[sl],
        betas=p.betas + 0.5,
        transl=p.transl[sl],
    )
    return est


@pytest.fixture(scope="module")
def glb(tmp_path_factory):
    est = _late_person_estimate()
    path = export_glb(est, tmp_path_factory.mktemp("glb"), body=body64())
    return est, path, Glb(path)


def test_file_is_glb_with_people_floor_and_camera(glb):
    _, path, g = glb
    data = path.read_bytes()
    assert data[:4] == b"glTF" and int.from_bytes(data[4:8], "little") == 2
    names = {n.name for n in g.doc.nodes}
    assert {"person_p0", "person_p1", "floor", "camera", "camera_path"} <= names
    assert len(g.doc.skins) == 2 and len(g.doc.animations) == 1
    assert g.doc.cameras[0].type == "perspective"
    floor = g.read(
        g.doc.meshes[g.doc.nodes[g.node_named("floor")].mesh].primitives[0].attributes.POSITION
    )
    np.testing.assert_allclose(floor[:, 1], 0.0)  # y-up, floor at height 0


def test_keyframes_follow_each_track(glb):
    est, _, g = glb
    for person in est.people:
        root = g.node_named(f"{person.track_id}:pelvis")
        times = g.read(g.channels[(root, "translation")].input)[:, 0]
        assert len(times) == person.num_frames
        np.testing.assert_allclose(times, person.frames / est.fps, rtol=1e-6)
        rot_times = g.read(g.channels[(root, "rotation")].input)[:, 0]
        assert len(rot_times) == person.num_frames
    cam = g.node_named("camera")
    assert g.read(g.channels[(cam, "translation")].input).shape[0] == NUM_FRAMES
    # p1 starts late and leaves early: its root scale is 0, 1, 0 (STEP) at 0, start, end.
    root = g.node_named("p1:pelvis")
    sampler = g.channels[(root, "scale")]
    assert sampler.interpolation == "STEP"
    np.testing.assert_allclose(g.read(sampler.input)[:, 0], [0.0, 5 / est.fps, 20 / est.fps])
    np.testing.assert_allclose(g.read(sampler.output)[:, 0], [0.0, 1.0, 0.0])
    assert (g.node_named("p0:pelvis"), "scale") not in g.channels  # seen throughout


def test_skinned_joints_and_vertices_match_the_body_model(glb):
    est, _, g = glb
    body = body64()
    T, _ = output_transform(as_source(est), "y")
    m = body.smplx_model
    for person in est.people:
        skin = next(s for s in g.doc.skins if s.name == f"person_{person.track_id}")
        ibm = g.read(skin.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)
        rest_joints = np.linalg.inv(ibm.astype(np.float64))[:, :3, 3]
        prim = g.doc.meshes[g.doc.nodes[g.node_named(f"person_{person.track_id}")].mesh].primitives[
            0
        ]
        rest_verts = g.read(prim.attributes.POSITION).astype(np.float64)
        joints_idx = g.read(prim.attributes.JOINTS_0).astype(np.int64)
        weights = g.read(prim.attributes.WEIGHTS_0).astype(np.float64)
        ref = posed_joints(person, body, T)
        for key in (0, person.num_frames // 2, person.num_frames - 1):
            S = np.stack([g.world(j, key) @ ibm[i] for i, j in enumerate(skin.joints)])
            skinned = np.einsum("jab,jb->ja", S[:, :3, :3], rest_joints) + S[:, :3, 3]
            np.testing.assert_allclose(skinned, ref[key], atol=1e-4)
            # Vertices: linear blend skinning with the file's weights equals the body's LBS
            # without pose blend shapes (which glTF does not carry).
            Sv = np.einsum("vk,vkab->vab", weights, S[joints_idx])
            verts = np.einsum("vab,vb->va", Sv[:, :3, :3], rest_verts) + Sv[:, :3, 3]
            dt = torch.float64
            go, bp = (
                torch.as_tensor(a[key : key + 1], dtype=dt)
                for a in (person.global_orient, person.body_pose)
            )
            pose = body.full_pose(go, bp).reshape(1, -1)
            expect, _ = smplx.lbs.lbs(
                torch.as_tensor(person.betas, dtype=dt)[None],
                pose,
                m.v_template,
                m.shapedirs,
                torch.zeros_like(m.posedirs),
                m.J_regressor,
                body.parents,
                m.lbs_weights,
            )
            expect = expect[0].numpy() + person.transl[key]
            expect = expect @ T[:3, :3].T + T[:3, 3]
            np.testing.assert_allclose(verts, expect, atol=2e-4)


def test_no_floor_no_floor_node():
    data = result_to_glb(truth_estimate(floor=False), body=body64(), camera=False)
    doc = gl.GLTF2().load_from_bytes(data)
    names = {n.name for n in doc.nodes}
    assert "floor" not in names and "camera" not in names and "person_p0" in names
