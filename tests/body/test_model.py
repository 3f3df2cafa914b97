"""The three evaluation paths of BodyModel against smplx's own forward, for every model type."""

from __future__ import annotations

import pickle
import sys
import types

import numpy as np
import pytest
import torch

from slahmr_opt.body import BodyModel, convert_model_file, read_model_file

from .conftest import random_model_data


def _smplx_reference(bm: BodyModel, go, bp, betas, transl):
    """Run smplx's own forward with the same pose, split into its per-part arguments."""
    n = go.shape[0]
    kw = dict(global_orient=go, betas=betas, transl=transl)
    if bm.model_type == "smpl":
        kw["body_pose"] = bp.reshape(n, -1)
    elif bm.model_type == "smplh":
        kw.update(
            body_pose=bp[:, :21].reshape(n, -1),
            left_hand_pose=bp[:, 21:36].reshape(n, -1),
            right_hand_pose=bp[:, 36:51].reshape(n, -1),
        )
    else:
        kw.update(
            body_pose=bp[:, :21].reshape(n, -1),
            jaw_pose=bp[:, 21],
            leye_pose=bp[:, 22],
            reye_pose=bp[:, 23],
            left_hand_pose=bp[:, 24:39].reshape(n, -1),
            right_hand_pose=bp[:, 39:54].reshape(n, -1),
            expression=torch.zeros(n, 10),
        )
    return bm.smplx_model(**kw)


@pytest.fixture(scope="module", params=["smpl", "smplh", "smplx"])
def body(request, tmp_path_factory) -> BodyModel:
    path = tmp_path_factory.mktemp(request.param) / "model.npz"
    np.savez(path, **random_model_data(request.param))
    return BodyModel.from_file(path, num_betas=10)


def _random_inputs(bm: BodyModel, lead=(2, 3), seed=0):
    g = torch.Generator().manual_seed(seed)
    go = torch.randn(*lead, 3, generator=g) * 0.8
    bp = torch.randn(*lead, bm.num_joints - 1, 3, generator=g) * 0.4
    betas = torch.randn(*lead, 10, generator=g) * 1.5
    transl = torch.randn(*lead, 3, generator=g)
    return go, bp, betas, transl


def test_three_paths_match_smplx(body: BodyModel):
    go, bp, betas, transl = _random_inputs(body)
    n = 6
    ref = _smplx_reference(
        body, go.reshape(n, 3), bp.reshape(n, -1, 3), betas.reshape(n, 10), transl.reshape(n, 3)
    )
    j = body.num_joints
    fast = body(go, bp, betas, transl, landmarks=True)
    assert fast.vertices is None
    assert fast.joints.shape == (2, 3, j, 3)
    assert fast.landmarks.shape == (2, 3, body.num_landmarks, 3)
    torch.testing.assert_close(fast.joints.reshape(n, j, 3), ref.joints[:, :j], atol=1e-5, rtol=0)
    torch.testing.assert_close(
        fast.landmarks.reshape(n, -1, 3), ref.vertices[:, body.landmark_ids], atol=1e-5, rtol=0
    )
    mesh = body.vertices(go, bp, betas, transl)
    torch.testing.assert_close(mesh.reshape(n, -1, 3), ref.vertices, atol=1e-5, rtol=0)


def test_landmarks_equal_smplx_extra_joints(body: BodyModel):
    if body.model_type == "smplx":
        pytest.skip("SMPL-X extra joints start with face landmarks from barycentric coordinates")
    go, bp, betas, transl = _random_inputs(body, lead=(4,), seed=1)
    ref = _smplx_reference(body, go, bp, betas, transl)
    _, lms = body.keypoints(go, bp, betas, transl)
    j = body.num_joints
    # smplx appends nose, eyes, ears, feet (11) then fingertips (10) after the J joints.
    torch.testing.assert_close(lms, ref.joints[:, j : j + 21], atol=1e-5, rtol=0)


def test_joint_template_is_linear_in_betas(body: BodyModel):
    m = body.smplx_model
    betas = torch.randn(5, 10)
    v_shaped = m.v_template + torch.einsum("bs,vcs->bvc", betas, m.shapedirs[..., :10])
    expected = torch.einsum("jv,bvc->bjc", m.J_regressor, v_shaped)
    torch.testing.assert_close(body.joint_template(betas), expected, atol=1e-5, rtol=0)


def test_gradients_flow_through_fast_paths(body: BodyModel):
    go, bp, betas, transl = (x.clone().requires_grad_() for x in _random_inputs(body, (3,)))
    joints, lms = body.keypoints(go, bp, betas, transl)
    (joints.square().sum() + lms.square().sum()).backward()
    for x in (go, bp, betas, transl):
        assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_short_body_pose_is_padded_with_rest(body: BodyModel):
    go, bp, betas, transl = _random_inputs(body, (2,))
    short = bp[:, :21]
    padded = torch.cat([short, torch.zeros(2, body.num_joints - 22, 3)], dim=1)
    torch.testing.assert_close(
        body.joints(go, short, betas, transl), body.joints(go, padded, betas, transl)
    )
    flat = body.joints(go, short.reshape(2, -1), betas, transl)
    torch.testing.assert_close(flat, body.joints(go, short, betas, transl))


def test_bad_shapes_raise(body: BodyModel):
    go, bp, betas, transl = _random_inputs(body, (2,))
    with pytest.raises(ValueError, match="body_pose"):
        body.joints(go, bp[:1], betas, transl)
    with pytest.raises(ValueError, match="betas"):
        body.joints(go, bp, torch.zeros(2, 11), transl)
    with pytest.raises(ValueError, match="global_orient"):
        body.joints(go[:, :2], bp, betas, transl)


def test_betas_broadcast_per_person(body: BodyModel):
    go, bp, _, transl = _random_inputs(body, (4, 5))
    betas = torch.randn(4, 1, 10)
    a = body.joints(go, bp, betas, transl)
    b = body.joints(go, bp, betas.expand(4, 5, 10), transl)
    torch.testing.assert_close(a, b)


def test_model_type_detection_and_errors(tmp_path):
    bad = random_model_data("smpl")
    bad["J_regressor"] = bad["J_regressor"][:20]
    path = tmp_path / "bad.npz"
    np.savez(path, **bad)
    with pytest.raises(ValueError, match="J_regressor has 20 rows"):
        BodyModel.from_file(path)
    with pytest.raises(ValueError, match="does not exist"):
        BodyModel.from_file(tmp_path / "missing.pkl")
    incomplete = random_model_data("smpl")
    del incomplete["weights"]
    np.savez(tmp_path / "incomplete.npz", **incomplete)
    with pytest.raises(ValueError, match="weights"):
        BodyModel.from_file(tmp_path / "incomplete.npz")
    (tmp_path / "model.obj").write_text("v 0 0 0\n")
    with pytest.raises(ValueError, match=".pkl or .npz"):
        BodyModel.from_file(tmp_path / "model.obj")


def _write_chumpy_pickle(path, data):
    """Pickle ``data`` with some arrays wrapped in a fake ``chumpy.ch.Ch`` class, as SMPL does."""
    chumpy = types.ModuleType("chumpy")
    ch = types.ModuleType("chumpy.ch")

    class Ch:
        def __init__(self, x):
            self.x = x

    Ch.__module__ = "chumpy.ch"
    Ch.__qualname__ = "Ch"
    ch.Ch = Ch
    sys.modules["chumpy"], sys.modules["chumpy.ch"] = chumpy, ch
    try:
        wrapped = dict(data)
        for key in ("shapedirs", "v_template", "posedirs"):
            wrapped[key] = Ch(data[key])
        with open(path, "wb") as fh:
            pickle.dump(wrapped, fh, protocol=2)
    finally:
        del sys.modules["chumpy"], sys.modules["chumpy.ch"]


def test_chumpy_pickle_loads_without_chumpy(tmp_path):
    data = random_model_data("smpl", seed=3)
    data["gender"] = "female"
    pkl = tmp_path / "basicModel_f_lbs.pkl"
    _write_chumpy_pickle(pkl, data)
    assert "chumpy" not in sys.modules
    loaded = read_model_file(pkl)
    np.testing.assert_array_equal(loaded["shapedirs"], data["shapedirs"])
    np.testing.assert_array_equal(loaded["v_template"], data["v_template"])
    bm = BodyModel.from_file(pkl)
    assert bm.gender == "female" and bm.model_type == "smpl"

    npz = convert_model_file(pkl, tmp_path / "clean" / "model.npz")
    with np.load(npz, allow_pickle=False) as z:
        np.testing.assert_array_equal(z["posedirs"], data["posedirs"])
    bm2 = BodyModel.from_file(npz)
    go, bp, betas, transl = _random_inputs(bm, (3,))
    torch.testing.assert_close(bm.joints(go, bp, betas, transl), bm2.joints(go, bp, betas, transl))


def test_pickle_with_foreign_class_is_refused(tmp_path):
    path = tmp_path / "evil.pkl"
    with open(path, "wb") as fh:
        pickle.dump({"v_template": np.zeros(3), "f": types.SimpleNamespace()}, fh)
    with pytest.raises(ValueError, match="types.SimpleNamespace"):
        read_model_file(path)


def test_smplh_fits_its_own_16_betas(tmp_path):
    """SMPL+H ``model.npz`` (the original's body, slahmr/confs/config.yaml:29) holds 16 shape
    directions and the original fits all 16 (util/loaders.py:40, padding shapedirs to smplx's 300
    columns in body_model/body_model.py:48-52); smplx alone would keep 10."""
    data = random_model_data("smplh", seed=3)
    path = tmp_path / "model.npz"
    np.savez(path, **data)
    body = BodyModel.from_file(path)
    assert body.num_betas == 16
    betas = torch.zeros(16, dtype=torch.float64)
    betas[10:] = torch.tensor([1.0, -2.0, 0.5, 3.0, -1.0, 2.0], dtype=torch.float64)
    body64 = BodyModel.from_file(path, dtype=torch.float64)
    # J(β) = J_regressor (v_template + shapedirs β), every one of the 16 columns used
    v = data["v_template"] + np.einsum("vcs,s->vc", data["shapedirs"], betas.numpy())
    np.testing.assert_allclose(
        body64.joint_template(betas).numpy(), data["J_regressor"] @ v, atol=1e-7
    )
    zero = torch.zeros(1, 3, dtype=torch.float64)
    mesh = body64.vertices(zero, torch.zeros(1, 21, 3, dtype=torch.float64), betas[None])
    np.testing.assert_allclose(mesh[0].numpy(), v, atol=1e-7)
    assert BodyModel.from_file(path, num_betas=10).num_betas == 10
    with pytest.raises(ValueError, match="num_betas=17, the file has 1..16"):
        BodyModel.from_file(path, num_betas=17)


def test_default_betas_of_each_family(tmp_path):
    for model_type, expected in (("smpl", 10), ("smplx", 10)):
        path = tmp_path / f"{model_type}.npz"
        np.savez(path, **random_model_data(model_type))
        assert BodyModel.from_file(path).num_betas == expected
    # a small SMPL-X file (10 shape + 10 expression columns, smplx's layout) has 10 betas
    small = random_model_data("smplx")
    small["shapedirs"] = small["shapedirs"][..., :20]
    np.savez(tmp_path / "small_smplx.npz", **small)
    assert BodyModel.from_file(tmp_path / "small_smplx.npz").num_betas == 10
    with pytest.raises(ValueError, match="num_betas=11, the file has 1..10"):
        BodyModel.from_file(tmp_path / "small_smplx.npz", num_betas=11)
    assert BodyModel.standin().num_betas == 10
    with pytest.raises(ValueError, match="num_betas=16"):
        BodyModel.resolve(None, num_betas=16)
