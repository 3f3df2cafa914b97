"""AMASS export: files read the way AMASS consumers read them (plain ``np.load``: ``poses``,
``trans``, ``betas``, ``mocap_framerate``, ``gender``) pose the body z-up with the floor at 0."""

from __future__ import annotations

import numpy as np
import torch

from slahmr_opt.body.joint_maps import SMPL_JOINT_NAMES
from slahmr_opt.export import export_result
from slahmr_opt.export.skeleton import output_transform, posed_joints
from slahmr_opt.vis.source import as_source
from tests.export.scenes import body64, fake_result

FEET = [SMPL_JOINT_NAMES.index(n) for n in ("left_foot", "right_foot")]


def test_amass_files_pose_the_body_in_the_floor_frame(tmp_path):
    result = fake_result()
    body = body64()
    files = export_result(result, "amass", tmp_path, body=body, gender="female")
    assert [f.name for f in files] == ["person_p0.npz", "person_p1.npz"]
    T, has_floor = output_transform(as_source(result), "z")
    assert has_floor
    for person, path in zip(result.people, files, strict=True):
        with np.load(path, allow_pickle=False) as z:
            poses, trans, betas = z["poses"], z["trans"], z["betas"]
            assert float(z["mocap_framerate"]) == result.fps
            assert str(z["gender"]) == "female"
        assert poses.shape == (person.num_frames, 72)
        with torch.no_grad():
            joints = body.joints(
                torch.as_tensor(poses[:, :3]),
                torch.as_tensor(poses[:, 3:]),
                torch.as_tensor(betas),
                torch.as_tensor(trans),
            ).numpy()
        np.testing.assert_allclose(joints, posed_joints(person, body, T), atol=1e-6)
        assert -0.03 < joints[:, FEET, 2].min() < 0.08  # z-up, feet on the floor at z = 0


def test_export_result_checks_its_options(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="format"):
        export_result(fake_result(), "fbx", tmp_path)
    with pytest.raises(ValueError, match="options"):
        export_result(fake_result(), "glb", tmp_path, body=body64(), up="z")
