"""Random SMPL-family model files for testing the loaders and the evaluation paths.

The arrays are random but have the exact layout of the licensed files (non-zero pose blend
shapes included), so the tests exercise every term the real models use.
"""

from __future__ import annotations

import numpy as np
import pytest

from slahmr_opt.body.joint_maps import SMPL_PARENTS

SMPLH_HAND_PARENTS = []
for wrist in (20, 21):
    for _finger in range(5):
        start = len(SMPL_PARENTS[:22]) + len(SMPLH_HAND_PARENTS)
        SMPLH_HAND_PARENTS += [wrist, start, start + 1]


def _parents(model_type: str) -> list[int]:
    if model_type == "smpl":
        return list(SMPL_PARENTS)
    body = list(SMPL_PARENTS[:22])
    if model_type == "smplh":
        return body + SMPLH_HAND_PARENTS
    # SMPL-X: jaw (22), eyes (23, 24) on the head, then hands from index 25.
    hands = []
    for wrist in (20, 21):
        for _finger in range(5):
            start = 25 + len(hands)
            hands += [wrist, start, start + 1]
    return body + [15, 15, 15] + hands


def random_model_data(model_type: str = "smpl", seed: int = 0) -> dict:
    num_verts = 10475 if model_type == "smplx" else 6890
    rng = np.random.default_rng(seed)
    parents = _parents(model_type)
    j = len(parents)
    num_shape = {"smpl": 10, "smplh": 16, "smplx": 400}[model_type]
    v = rng.normal(scale=0.3, size=(num_verts, 3))
    weights = rng.random((num_verts, j)) ** 8
    weights /= weights.sum(1, keepdims=True)
    reg = rng.random((j, num_verts)) * (rng.random((j, num_verts)) < 0.01)
    reg[:, 0] += 1e-3
    reg /= reg.sum(1, keepdims=True)
    kintree = np.array([[4294967295] + parents[1:], list(range(j))], dtype=np.int64)
    data = {
        "v_template": v,
        "f": rng.integers(0, num_verts, size=(2000, 3)),
        "J_regressor": reg,
        "weights": weights,
        "shapedirs": rng.normal(scale=0.01, size=(num_verts, 3, num_shape)),
        "posedirs": rng.normal(scale=0.005, size=(num_verts, 3, 9 * (j - 1))),
        "kintree_table": kintree,
    }
    if model_type in ("smplh", "smplx"):
        for side in ("l", "r"):
            data[f"hands_components{side}"] = np.linalg.qr(rng.normal(size=(45, 45)))[0]
            data[f"hands_mean{side}"] = rng.normal(scale=0.1, size=45)
    if model_type == "smplx":
        data["lmk_faces_idx"] = np.arange(51, dtype=np.int64)
        data["lmk_bary_coords"] = np.full((51, 3), 1.0 / 3.0)
    return data


@pytest.fixture(scope="session")
def random_smpl_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("models") / "SMPL_NEUTRAL.npz"
    np.savez(path, **random_model_data("smpl"))
    return str(path)
