"""BVH export: parsed back with bvhio (an independent parser), joints within 1 mm of the body's."""

from __future__ import annotations

import numpy as np
import pytest

from slahmr_opt.body.joint_maps import SMPL_JOINT_NAMES
from slahmr_opt.export.bvh import export_bvh, skeleton_to_bvh
from slahmr_opt.export.skeleton import (
    Z_UP_FROM_SMPL_REST,
    output_transform,
    person_skeleton,
    posed_joints,
    skeleton_forward,
)
from slahmr_opt.vis.source import as_source
from tests.export.scenes import body64, shifted, truth_estimate

FEET = [SMPL_JOINT_NAMES.index(n) for n in ("left_foot", "right_foot")]


def _estimate_with_shape():
    """The truth, with person p1 given a distinctive shape (β applied to the rest offsets)."""
    est = truth_estimate()
    betas = np.zeros(10)
    betas[:3] = [1.5, -0.8, 0.6]
    est.people[1] = shifted(est.people[1], 0.0, betas=betas)
    return est


@pytest.mark.parametrize("up", ["z", "y"])
def test_skeleton_forward_kinematics_equal_body_joints(up):
    est = _estimate_with_shape()
    T, _ = output_transform(as_source(est), up)
    rest = Z_UP_FROM_SMPL_REST if up == "z" else np.eye(3)
    for person in est.people:
        skel = person_skeleton(person, body64(), T, rest)
        np.testing.assert_allclose(
            skeleton_forward(skel), posed_joints(person, body64(), T), atol=1e-7
        )


@pytest.mark.parametrize(("up", "units"), [("z", "m"), ("y", "cm")])
def test_bvh_round_trip_with_bvhio(tmp_path, up, units):
    bvhio = pytest.importorskip("bvhio", reason="bvhio (dev extra) parses the BVH back")
    est = _estimate_with_shape()
    body = body64()
    files = export_bvh(est, tmp_path, body=body, up=up, units=units)
    assert [f.name for f in files] == ["person_p0.bvh", "person_p1.bvh"]
    T, has_floor = output_transform(as_source(est), up)
    assert has_floor
    scale = 100.0 if units == "cm" else 1.0
    up_axis = 2 if up == "z" else 1
    for person, path in zip(est.people, files, strict=True):
        container = bvhio.readAsBvh(str(path))
        assert container.FrameCount == person.num_frames
        assert container.FrameTime == pytest.approx(1.0 / est.fps, rel=1e-6)
        root = bvhio.readAsHierarchy(str(path))
        joints = [j for j, _, _ in root.layout()]
        assert sorted(j.Name for j in joints) == sorted(SMPL_JOINT_NAMES)
        ref = posed_joints(person, body, T) * scale
        err = 0.0
        for t in range(person.num_frames):
            root.loadPose(t)
            for j in joints:
                got = np.array(j.PositionWorld, dtype=np.float64)
                err = max(err, float(np.abs(got - ref[t, SMPL_JOINT_NAMES.index(j.Name)]).max()))
        assert err < 1e-4 * scale  # 0.1 mm: well inside the 1 mm asked for
        if person.track_id == "p0":  # true shape: the floor frame puts its feet at height 0
            feet = ref[:, FEET, up_axis] / scale
            assert -0.03 < feet.min() < 0.08


def test_rest_offsets_carry_the_shape(tmp_path):
    est = _estimate_with_shape()
    body = body64()
    (path,) = [p for p in export_bvh(est, tmp_path, body=body, up="y") if "p1" in p.name]
    text = path.read_text()
    offsets = [
        np.array(line.split()[1:], dtype=float)
        for line in text.split("MOTION")[0].splitlines()
        if line.strip().startswith("OFFSET")
    ]
    import torch

    rest = body.joint_template(torch.as_tensor(est.people[1].betas))[None].numpy()[0]
    # The first joint after the root is left_hip: its offset is J(β)[1] − J(β)[0].
    np.testing.assert_allclose(offsets[1], rest[1] - rest[0], atol=1e-6)
    plain = body.joint_template(torch.zeros(10, dtype=torch.float64)).numpy()
    assert np.abs(offsets[1] - (plain[1] - plain[0])).max() > 1e-3  # β changed it


def test_bad_arguments(tmp_path):
    est = truth_estimate()
    with pytest.raises(ValueError, match="units"):
        export_bvh(est, tmp_path, body=body64(), units="mm")
    with pytest.raises(ValueError, match="up"):
        export_bvh(est, tmp_path, body=body64(), up="x")
    with pytest.raises(ValueError, match="passes"):
        export_bvh(est, tmp_path, body=body64(), pass_name="smooth")
    skel = person_skeleton(est.people[0], body64(), np.eye(4))
    with pytest.raises(ValueError, match="fps"):
        skeleton_to_bvh(skel, 0.0)
    with pytest.raises(ValueError, match="Result"):
        export_bvh([1, 2], tmp_path)
