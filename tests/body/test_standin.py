"""The open stand-in body: SMPL layout, smplx compatibility, anatomy, rigging, shapes, cache."""

from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.sparse as sp
import smplx
import torch
from scipy.sparse.csgraph import connected_components
from smplx.vertex_ids import vertex_ids as SMPLX_VERTEX_IDS

import slahmr_opt.body.standin as standin
from slahmr_opt.vis.mesh_plot import meshes_to_png

PARENTS = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21]


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    return standin.build_standin()


@pytest.fixture(scope="module")
def npz_path(tmp_path_factory) -> str:
    return str(standin.standin_path(tmp_path_factory.mktemp("standin_cache")))


@pytest.fixture(scope="module")
def smpl(npz_path):
    d = dict(np.load(npz_path))
    return smplx.SMPL(model_path=None, data_struct=smplx.utils.Struct(**d), num_betas=10)


def _forward(model, betas=None, body_pose=None) -> tuple[np.ndarray, np.ndarray]:
    """(B, 6890, 3) vertices and (B, 24, 3) joints from smplx."""
    batch = 1 if betas is None else len(betas)
    betas = torch.zeros(batch, 10) if betas is None else torch.as_tensor(betas, dtype=torch.float32)
    if body_pose is None:
        body_pose = torch.zeros(batch, 69)
    with torch.no_grad():
        out = model(
            betas=betas,
            body_pose=torch.as_tensor(body_pose, dtype=torch.float32),
            global_orient=torch.zeros(batch, 3),
            transl=torch.zeros(batch, 3),
        )
    return out.vertices.numpy().astype(np.float64), out.joints[:, :24].numpy().astype(np.float64)


# ----------------------------------------------------------------------------- layout
def test_arrays_have_the_smpl_layout(data):
    assert data["v_template"].shape == (6890, 3)
    assert data["f"].ndim == 2 and data["f"].shape[1] == 3 and data["f"].dtype == np.int64
    assert data["J_regressor"].shape == (24, 6890)
    assert data["weights"].shape == (6890, 24)
    assert data["shapedirs"].shape == (6890, 3, 10)
    assert data["posedirs"].shape == (6890, 3, 207)
    assert data["J"].shape == (24, 3)
    assert data["kintree_table"].shape == (2, 24)
    assert np.issubdtype(data["kintree_table"].dtype, np.integer)
    for key in ("v_template", "J_regressor", "weights", "shapedirs", "posedirs", "J"):
        assert data[key].dtype in (np.float32, np.float64), key
        assert np.isfinite(data[key]).all(), key
    assert not data["posedirs"].any()
    parents = data["kintree_table"][0].astype(np.int64)
    assert parents[0] in (-1, 4294967295)
    assert parents[1:].tolist() == PARENTS[1:]
    assert data["kintree_table"][1].tolist() == list(range(24))
    assert str(data["model_type"]) == "smpl" and str(data["gender"]) == "neutral"
    assert "stand-in" in str(data["description"]) and "not a scan-based" in str(data["description"])
    assert len(standin.SHAPE_DIRECTIONS) == 10 and len(set(standin.SHAPE_DIRECTIONS)) == 10


def test_build_is_deterministic(data):
    again = standin.build_standin()
    assert data.keys() == again.keys()
    for key in data:
        assert data[key].dtype == again[key].dtype, key
        assert data[key].tobytes() == again[key].tobytes(), key


def test_faces_are_valid_closed_and_outward(data):
    v, f = data["v_template"], data["f"]
    assert f.min() >= 0 and f.max() < len(v)
    assert np.array_equal(np.unique(f), np.arange(len(v))), "every vertex is used by a face"
    # Closed and consistently oriented: each directed edge once, always with its reverse.
    e = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    key, rkey = e[:, 0] * len(v) + e[:, 1], e[:, 1] * len(v) + e[:, 0]
    assert len(np.unique(key)) == len(key)
    assert np.isin(key, rkey).all()
    # Outward normals: every closed surface encloses a positive volume.
    graph = sp.coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(len(v), len(v)))
    n, label = connected_components(graph, directed=False)
    vol = np.einsum("ij,ij->i", v[f[:, 0]], np.cross(v[f[:, 1]], v[f[:, 2]])) / 6.0
    per_part = np.bincount(label[f[:, 0]], vol, n)
    assert (per_part > 0).all()
    assert 0.05 < per_part.sum() < 0.09  # m³: an adult of roughly 60-80 kg


# ----------------------------------------------------------------------------- smplx
def test_smplx_loads_the_cached_file_and_runs(smpl, data):
    assert smpl.v_template.shape == (6890, 3)
    assert smpl.parents.tolist() == PARENTS
    verts, joints = _forward(smpl)
    assert verts.shape == (1, 6890, 3)
    np.testing.assert_allclose(verts[0], data["v_template"], atol=1e-5)
    np.testing.assert_allclose(joints[0], data["J"], atol=1e-5)


def test_regressor_reproduces_the_joint_template(data):
    reg = data["J_regressor"]
    assert (reg >= 0).all()
    np.testing.assert_allclose(reg.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(reg @ data["v_template"], data["J"], atol=1e-6)
    # Each joint is a local average: its vertices lie within 25 cm of it.
    for j in range(24):
        used = data["v_template"][reg[j] > 0]
        assert np.linalg.norm(used - data["J"][j], axis=1).max() < 0.25, j


def test_joint_template_is_adult_and_anatomical(data):
    J = data["J"]
    np.testing.assert_allclose(J[0], [0.0, -0.22, 0.0], atol=0.03)
    for left, right in (
        (1, 2),
        (4, 5),
        (7, 8),
        (10, 11),
        (13, 14),
        (16, 17),
        (18, 19),
        (20, 21),
        (22, 23),
    ):
        assert J[left, 0] > 0.03 and J[right, 0] < -0.03
        np.testing.assert_allclose(J[left] * [-1, 1, 1], J[right], atol=1e-9)
    # Legs straight down, arms horizontal along ±x (SMPL's T-pose), spine stacked upwards.
    assert J[1, 1] > J[4, 1] > J[7, 1] > J[10, 1]
    assert J[0, 1] < J[3, 1] < J[6, 1] < J[9, 1] < J[12, 1] < J[15, 1]
    assert J[13, 0] < J[16, 0] < J[18, 0] < J[20, 0] < J[22, 0]
    assert np.ptp(J[[16, 18, 20, 22], 1]) < 0.03
    assert J[10, 2] > J[7, 2] + 0.08  # toe base ahead of the ankle
    thigh, shin = np.linalg.norm(J[4] - J[1]), np.linalg.norm(J[7] - J[4])
    upper, fore = np.linalg.norm(J[18] - J[16]), np.linalg.norm(J[20] - J[18])
    assert 0.35 < thigh < 0.45 and 0.35 < shin < 0.45
    assert 0.22 < upper < 0.32 and 0.2 < fore < 0.3


# ----------------------------------------------------------------------------- anatomy
def test_height_at_rest(data):
    v = data["v_template"]
    height = v[:, 1].max() - v[:, 1].min()
    assert 1.65 <= height <= 1.75
    assert abs(v[:, 1].min() + 1.15) < 0.02 and abs(v[:, 1].max() - 0.55) < 0.02


def test_height_grows_monotonically_with_beta0(smpl):
    betas = np.zeros((13, 10))
    betas[:, 0] = np.linspace(-3, 3, 13)
    verts, _ = _forward(smpl, betas)
    height = verts[:, :, 1].max(axis=1) - verts[:, :, 1].min(axis=1)
    assert (np.diff(height) > 0).all()
    per_unit = (height[-1] - height[0]) / 6.0
    assert 0.06 < per_unit < 0.09
    # The feet stay on the ground.
    assert np.abs(verts[:, :, 1].min(axis=1) + 1.15).max() < 0.01


@pytest.mark.parametrize("direction", range(10))
def test_every_direction_stays_human(smpl, direction):
    betas = np.zeros((7, 10))
    betas[:, direction] = np.linspace(-3, 3, 7)
    verts, joints = _forward(smpl, betas)
    assert np.isfinite(verts).all() and np.isfinite(joints).all()
    extent = verts.max(axis=1) - verts.min(axis=1)
    assert ((extent[:, 1] > 1.4) & (extent[:, 1] < 2.0)).all(), extent[:, 1]  # height
    assert ((extent[:, 0] > 1.35) & (extent[:, 0] < 2.1)).all(), extent[:, 0]  # arm span
    assert ((extent[:, 2] > 0.2) & (extent[:, 2] < 0.45)).all(), extent[:, 2]  # depth
    # The skeleton keeps its order: hips above knees above ankles, head above neck.
    assert (joints[:, 1, 1] > joints[:, 4, 1]).all() and (joints[:, 4, 1] > joints[:, 7, 1]).all()
    assert (joints[:, 15, 1] > joints[:, 12, 1]).all()


def _measures(v: np.ndarray, J: np.ndarray) -> dict[str, float]:
    """A few body measures from vertices (6890, 3) and joints (24, 3)."""
    x, y, z = v.T
    waist = (np.abs(y + 0.05) < 0.02) & (np.abs(x) < 0.25)
    thigh = (np.abs(y - 0.5 * (J[1, 1] + J[4, 1])) < 0.02) & (x > 0.01)
    belly = (np.abs(y + 0.1) < 0.03) & (np.abs(x) < 0.05)
    return {
        "height": y.max() - y.min(),
        "girth": np.ptp(x[waist]),
        "leg_torso_ratio": (J[1, 1] - y.min()) / (J[12, 1] - J[1, 1]),
        "shoulder_width": J[16, 0] - J[17, 0],
        "hip_width": J[1, 0] - J[2, 0],
        "arm_length": np.linalg.norm(J[20] - J[16]),
        "head_size": y.max() - J[15, 1],
        "belly": z[belly].max(),
        "neck_length": J[15, 1] - J[12, 1],
        "limb_thickness": np.ptp(x[thigh]),
    }


@pytest.mark.parametrize("direction", range(10))
def test_each_direction_changes_what_its_name_says(smpl, direction):
    name = standin.SHAPE_DIRECTIONS[direction]
    betas = np.zeros((2, 10))
    betas[:, direction] = (-2.0, 2.0)
    verts, joints = _forward(smpl, betas)
    low, high = _measures(verts[0], joints[0]), _measures(verts[1], joints[1])
    assert high[name] > low[name] * 1.02, (name, low[name], high[name])
    if name not in ("height", "head_size", "neck_length"):
        assert abs(high["height"] - low["height"]) < 0.02, name


def test_landmark_ids_are_smplx_ids(data):
    expected = {k: v for k, v in SMPLX_VERTEX_IDS["smplh"].items()}
    assert standin.LANDMARK_VERTEX_IDS == expected


def test_landmarks_sit_at_their_body_parts(data):
    v, J = data["v_template"], data["J"]
    lm = {k: v[i] for k, i in standin.LANDMARK_VERTEX_IDS.items()}
    for side, ankle in (("L", 7), ("R", 8)):
        big, small, heel = lm[f"{side}BigToe"], lm[f"{side}SmallToe"], lm[f"{side}Heel"]
        for toe in (big, small):
            assert toe[2] > J[ankle, 2] + 0.1 and toe[1] < J[ankle, 1] - 0.03
        assert heel[2] < J[ankle, 2] - 0.03 and heel[1] < J[ankle, 1] - 0.03
        assert abs(heel[1] - v[:, 1].min()) < 0.03  # at the bottom of the foot
        assert abs(big[0]) < abs(small[0])  # big toe on the inner side
        assert big[2] > small[2]
    nose = lm["nose"]
    assert abs(nose[0]) < 1e-6 and nose[2] > J[15, 2] + 0.06
    assert nose[2] == pytest.approx(v[v[:, 1] > J[12, 1], 2].max())  # the tip of the face
    for eye in (lm["leye"], lm["reye"]):
        assert eye[1] > nose[1] + 0.015 and eye[2] > J[15, 2] + 0.02
    for ear, eye in ((lm["lear"], lm["leye"]), (lm["rear"], lm["reye"])):
        assert abs(ear[0]) > abs(eye[0]) + 0.03 and ear[2] < eye[2] - 0.05
        assert abs(ear[1] - eye[1]) < 0.05
    for name, p in lm.items():
        if name == "nose":
            continue
        left = name[0] in "lL"
        assert (p[0] > 0.02) if left else (p[0] < -0.02), name
    for side, wrist in (("l", 20), ("r", 21)):
        for finger in ("thumb", "index", "middle", "ring", "pinky"):
            tip = lm[side + finger]
            assert abs(tip[0]) > abs(J[wrist, 0]) + 0.05, side + finger
    # The middle finger reaches furthest; the thumb sits in front (+z) of the other fingers.
    assert abs(lm["lmiddle"][0]) > max(abs(lm[f"l{f}"][0]) for f in ("thumb", "index", "pinky"))
    assert lm["lthumb"][2] > max(lm[f"l{f}"][2] for f in ("index", "middle", "ring", "pinky"))


# ----------------------------------------------------------------------------- skinning
def test_skinning_weights_are_a_smooth_partition(data):
    w, v, J = data["weights"], data["v_template"], data["J"]
    assert (w >= 0).all()
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    # Around the left knee the weight moves smoothly from the thigh bone (1) to the shin (4).
    near = (np.abs(v[:, 1] - J[4, 1]) < 0.1) & (v[:, 0] > 0.03)
    pair = w[near][:, [1, 4]].sum(axis=1)
    assert (pair > 0.999).all()
    share = w[near, 4]
    along = (v[near] - J[4]) @ (J[7] - J[4])  # position along the shin
    order = np.argsort(along)
    assert (np.diff(share[order]) >= -1e-9).all()  # monotone: more shin further down the leg
    assert ((share > 0.2) & (share < 0.8)).sum() >= 20  # a blended band, not a hard cut
    # Far from joints a vertex belongs to its own bone.
    mid_shin = (np.abs(v[:, 1] - 0.5 * (J[4, 1] + J[7, 1])) < 0.03) & (v[:, 0] > 0.03)
    assert (w[mid_shin, 4] > 0.99).all()
    mid_upper_arm = (np.abs(v[:, 0] - 0.5 * (J[16, 0] + J[18, 0])) < 0.02) & (v[:, 1] > 0.1)
    assert (w[mid_upper_arm, 16] > 0.99).all()
    # Foot-contact landmarks follow only the ankle and toe bones.
    for name, bones in (
        ("LBigToe", [7, 10]),
        ("LHeel", [7, 10]),
        ("RBigToe", [8, 11]),
        ("RHeel", [8, 11]),
    ):
        assert w[standin.LANDMARK_VERTEX_IDS[name], bones].sum() > 0.99, name


def test_bending_the_left_knee_moves_only_the_left_shin(smpl, data):
    v, J = data["v_template"], data["J"]
    pose = np.zeros((1, 69))
    pose[0, 3 * (4 - 1)] = 1.0  # left knee, 1 rad about x
    rest, _ = _forward(smpl)
    bent, _ = _forward(smpl, body_pose=pose)
    move = np.linalg.norm(bent[0] - rest[0], axis=1)
    left_shin = (v[:, 0] > 0.03) & (v[:, 1] < J[4, 1] - 0.08) & (v[:, 1] > J[7, 1] + 0.08)
    assert left_shin.sum() > 100
    assert move[left_shin].min() > 0.03
    right_leg = (v[:, 0] < -0.03) & (v[:, 1] < -0.45)
    assert move[right_leg].max() < 1e-5
    thigh_top = (v[:, 0] > 0.03) & (np.abs(v[:, 1] - J[1, 1]) < 0.03)
    assert move[thigh_top].max() < 1e-5
    # The foot turns with the shin: toe and heel move by about their distance to the knee.
    for name in ("LBigToe", "LHeel"):
        i = standin.LANDMARK_VERTEX_IDS[name]
        chord = 2 * np.sin(0.5) * np.linalg.norm((v[i] - J[4])[1:])
        assert move[i] == pytest.approx(chord, rel=1e-3)


# ----------------------------------------------------------------------------- cache
def test_standin_path_caches_and_honours_env(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("SLAHMR_OPT_CACHE", str(cache))
    path = standin.standin_path()
    assert path == cache / f"standin_v{standin.STANDIN_VERSION}.npz"
    assert path.is_file()
    assert sorted(p.name for p in cache.iterdir()) == [path.name]  # no temporary left behind
    mtime = os.stat(path).st_mtime_ns

    def no_rebuild():
        raise AssertionError("the cached file must be reused")

    monkeypatch.setattr(standin, "build_standin", no_rebuild)
    assert standin.standin_path() == path
    assert os.stat(path).st_mtime_ns == mtime
    with np.load(path) as npz:
        assert npz["v_template"].shape == (6890, 3)


def test_standin_path_argument_and_xdg_default(tmp_path, monkeypatch):
    explicit = standin.standin_path(tmp_path / "explicit")
    assert explicit.parent == tmp_path / "explicit" and explicit.is_file()
    monkeypatch.delenv("SLAHMR_OPT_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert standin.default_cache_dir() == tmp_path / "xdg" / "slahmr_opt"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert standin.default_cache_dir() == tmp_path / "home" / ".cache" / "slahmr_opt"


# ----------------------------------------------------------------------------- picture
def test_meshes_to_png_draws_the_body(data, tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image

    out = meshes_to_png(
        [data["v_template"]],
        data["f"],
        tmp_path / "sub" / "body.png",
        titles=["rest"],
        views=("front", "side"),
        panel_size=2.0,
        dpi=50,
    )
    assert out.is_file() and not list(out.parent.glob("*.tmp"))
    img = np.asarray(Image.open(out).convert("L"), dtype=np.float64)
    assert img.shape == (110, 200)
    left, right = img[:, :100], img[:, 100:]
    # Both views show a body: a good share of non-white pixels in each panel.
    assert (left < 200).mean() > 0.04 and (right < 200).mean() > 0.02
    # The front view (arms out) covers more pixels than the side view.
    assert (left < 200).mean() > (right < 200).mean()
    with pytest.raises(ValueError, match="faces"):
        meshes_to_png([data["v_template"]], data["f"] + 7000, tmp_path / "bad.png")
    with pytest.raises(ValueError, match="views"):
        meshes_to_png([data["v_template"]], data["f"], tmp_path / "bad.png", views=("above",))
