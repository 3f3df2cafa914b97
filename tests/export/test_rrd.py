"""Rerun export: the .rrd loads back with the rerun SDK and holds the bodies, cameras, floor,
per-pass layers and energies that were logged."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from slahmr_opt.export.rrd import export_rrd
from slahmr_opt.export.skeleton import output_transform
from slahmr_opt.io.results import load_result, save_result
from slahmr_opt.vis.source import as_source
from tests.export.scenes import NUM_FRAMES, PASS_SHIFT, body64, fake_result, scene_and_truth

rr = pytest.importorskip("rerun", reason="rerun-sdk (rerun extra) reads the recording back")


def _chunks(path):
    """entity path → list of (static, pyarrow RecordBatch), read with the rerun SDK."""
    out: dict[str, list] = {}
    for chunk in rr.chunk.RrdReader(str(path)).stream():
        out.setdefault(chunk.entity_path, []).append((chunk.is_static, chunk.to_record_batch()))
    return out


def _temporal(chunks, entity: str, column: str) -> dict[int, np.ndarray]:
    """frame → the column's value at that frame."""
    values = {}
    for static, rb in chunks[entity]:
        if static or column not in rb.schema.names:
            continue
        frames = rb.column("frame").to_pylist()
        for f, v in zip(frames, rb.column(column).to_pylist(), strict=True):
            values[f] = np.asarray(v, dtype=np.float64)
    return values


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    result = fake_result()
    path = export_rrd(result, tmp_path_factory.mktemp("rrd"), body=body64())
    return result, path, _chunks(path)


def test_entities_per_pass_and_person(recording):
    result, path, chunks = recording
    assert path.name == "scene.rrd" and not list(path.parent.glob("*.tmp"))
    for name in PASS_SHIFT:
        for pid in ("p0", "p1"):
            assert f"/world/slam/{name}/{pid}/skeleton" in chunks
            assert f"/world/slam/{name}/{pid}/trajectory" in chunks
            assert (f"/world/slam/{name}/{pid}/mesh" in chunks) == (name == "motion")
    assert {"/world", "/world/floor", "/world/slam", "/world/slam/camera"} <= set(chunks)


def test_bodies_cameras_and_floor_transform_read_back(recording):
    result, _, chunks = recording
    body = body64()
    for name in ("init", "motion"):
        person = result.passes[name].people[0]
        got = _temporal(chunks, f"/world/slam/{name}/p0/skeleton", "Points3D:positions")
        assert sorted(got) == person.frames.tolist()
        with torch.no_grad():
            ref = body.joints(
                *(torch.as_tensor(a) for a in (person.global_orient, person.body_pose)),
                torch.as_tensor(person.betas),
                torch.as_tensor(person.transl),
            ).numpy()
        for f in (0, NUM_FRAMES - 1):
            np.testing.assert_allclose(got[f].reshape(-1, 3), ref[f], atol=1e-5)
    verts = _temporal(chunks, "/world/slam/motion/p0/mesh", "Mesh3D:vertex_positions")
    assert len(verts) == NUM_FRAMES and verts[0].reshape(-1, 3).shape == (6890, 3)
    centres = _temporal(chunks, "/world/slam/camera", "Transform3D:translation")
    np.testing.assert_allclose(
        np.stack([centres[f].reshape(3) for f in range(NUM_FRAMES)]),
        result.cameras.centers(result.alpha),
        atol=1e-5,
    )
    # world/slam sits in the floor frame by the world→floor transform (rerun stores the 3×3
    # column-major).
    (static_rb,) = [rb for s, rb in chunks["/world/slam"] if s]
    mat = np.asarray(static_rb.column("Transform3D:mat3x3").to_pylist()[0][0]).reshape(3, 3).T
    T, _ = output_transform(as_source(result), "z")
    np.testing.assert_allclose(mat, T[:3, :3], atol=1e-6)


def test_energies_are_time_series(recording):
    result, _, chunks = recording
    for name in ("root", "smooth", "motion"):
        for term, values in result.passes[name].history.items():
            entity = f"/energies/{name}/{term}"
            (rb,) = [rb for s, rb in chunks[entity] if not s]
            got = [v[0] for v in rb.column("Scalars:scalars").to_pylist()]
            np.testing.assert_allclose(got, values, rtol=1e-6)
    assert "/energies/init/total" not in chunks


def test_result_folder_and_pass_selection(tmp_path):
    scene, _ = scene_and_truth()
    folder = save_result(fake_result(), tmp_path / "run", scene=scene, body=body64())
    path = export_rrd(
        load_result(folder), tmp_path / "out", body=body64(), passes="smooth,motion", meshes=[]
    )
    chunks = _chunks(path)
    assert not any(e.startswith("/world/slam/init") for e in chunks)
    assert not any(e.endswith("/mesh") for e in chunks)
    # A folder keeps the final energy of each pass: one point per pass.
    (rb,) = [rb for s, rb in chunks["/energies/motion/total"] if not s]
    assert rb.num_rows == 1
    with pytest.raises(ValueError, match="passes"):
        export_rrd(folder, tmp_path / "bad", body=body64(), passes="smooth,pass9")
