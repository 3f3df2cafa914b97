"""Result files read the way the tools users open them with read them (issue 11, outputs): the
original SLAHMR's loaders and visualiser, aitviewer's ``from_amass``, human_body_prior, HuMoR.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from slahmr_opt.body import BodyModel
from slahmr_opt.io.results import load_estimate, load_result, save_estimate, save_result
from slahmr_opt.io.slahmr_results import original_track_ids
from tests.body.conftest import random_model_data
from tests.io.test_result_folder import FLOOR, SPANS, _result, _scene
from tests.io.upstream import (
    aitviewer_from_amass,
    human_body_prior_slices,
    slahmr_load_result,
    slahmr_load_track_info,
    slahmr_results_paths,
    slahmr_smpl_inputs,
)


@pytest.fixture(scope="module")
def standin() -> BodyModel:
    return BodyModel.standin(dtype=torch.float64)


@pytest.fixture(scope="module")
def smplh(tmp_path_factory) -> BodyModel:
    """A body in the SMPL-H file layout (random arrays; 10 of its shape coefficients)."""
    path = tmp_path_factory.mktemp("smplh") / "SMPLH_NEUTRAL.npz"
    np.savez(path, **random_model_data("smplh", seed=3))
    return BodyModel.from_file(path, num_betas=10, dtype=torch.float64)


def _joints(body, root, pose, betas, trans) -> np.ndarray:
    t = lambda x: torch.as_tensor(np.asarray(x, np.float64))  # noqa: E731
    with torch.no_grad():
        return body.joints(t(root), t(pose), t(betas), t(trans)).numpy()


# ------------------------------------------------------------------ the original's own layout


def test_original_layout_loads_in_slahmrs_run_vis(tmp_path, standin):
    """run_vis.py:65-73: get_results_paths (optim/output.py:14-30) picks the last iteration of
    <out>/<phase>, load_result (output.py:33-43) turns every array into a float tensor (a string
    array breaks it), run_smpl (body_model/utils.py:15-39) reshapes betas to (B, 1, 16)."""
    result = _result()
    out = save_result(result, tmp_path / "run", scene=_scene(), body=standin)
    # our own world_results.npz is what the issue found unreadable there: a string track_id
    with pytest.raises(TypeError):
        slahmr_load_result({"world": str(out / "world_results.npz")})
    steps = {name: p.steps for name, p in result.passes.items()}
    for stage, name in (
        ("root_fit", "root"),
        ("smooth_fit", "smooth"),
        ("motion_chunks", "motion"),
    ):
        paths = slahmr_results_paths(out / stage)
        assert list(paths) == [f"{steps[name]:06d}"]
        assert paths[f"{steps[name]:06d}"]["world"].endswith(
            f"hand-made_{steps[name]:06d}_world_results.npz"
        )
    assert list(slahmr_results_paths(out / "init")) == ["init"]  # run_opt.py:97's name
    it = sorted(slahmr_results_paths(out / "motion_chunks"))[-1]
    res = slahmr_load_result(slahmr_results_paths(out / "motion_chunks")[it])["world"]
    B, S = 2, max(e for _, e in SPANS.values()) - min(s for s, _ in SPANS.values())
    assert res["trans"].shape == (B, S, 3) and res["pose_body"].shape == (B, S, 63)
    assert res["betas"].shape == (B, 16) and res["world_scale"].shape == (1, 1)
    assert res["intrins"].shape == (4,) and res["track_mask"].dtype == torch.float32
    smpl = slahmr_smpl_inputs(res)
    assert smpl["betas"].shape == (B * S, 16) and smpl["pose_body"].shape == (B * S, 63)
    # the original's world is camera 0's metric frame (DROID's first pose is the identity);
    # the file covers the frames the tracks span, from frame 2
    cams, alpha = result.cameras, result.alpha
    R0, t0 = cams.R[0], alpha * cams.t[0]
    start = min(s for s, _ in SPANS.values())
    R_c0 = cams.R[start:] @ R0.T
    np.testing.assert_allclose(res["cam_R"][1].numpy(), R_c0[:S], atol=1e-6)
    t_c0 = alpha * cams.t[start : start + S] - np.einsum("tij,j->ti", R_c0[:S], t0)
    np.testing.assert_allclose(res["cam_t"][0].numpy(), t_c0, atol=1e-5)

    for b, person in enumerate(result.people):
        rows = person.frames - start
        theirs = _joints(
            standin,
            res["root_orient"][b, rows].double(),
            torch.cat([res["pose_body"][b, rows].double(), torch.zeros(len(rows), 6)], -1),
            res["betas"][b, :10].double(),
            res["trans"][b, rows].double(),
        )
        pose = person.body_pose.reshape(len(rows), -1).copy()
        pose[:, 63:] = 0.0  # the original's pose_body has no SMPL hand joints
        ours = _joints(standin, person.global_orient, pose, person.betas, person.transl)
        np.testing.assert_allclose(theirs, ours @ R0.T + t0, atol=2e-5)  # float32 file
        assert res["track_mask"][b, rows].all() and res["track_mask"][b].sum() == len(rows)
    # the floor, parsed the original's way (geometry/plane.py:49-65), is ours in camera 0's frame
    n, d = FLOOR
    n_c, d_c = R0 @ n, d + (R0 @ n) @ t0
    np.testing.assert_allclose(smpl["floor_normal"].numpy(), n_c, atol=1e-6)
    assert smpl["floor_offset"].item() == pytest.approx(d_c, abs=1e-5)
    assert smpl["floor_normal"][1] <= 0  # up in a y-down camera

    ids, vis, data_interval, seq_interval = slahmr_load_track_info(out / "track_info.json")
    assert ids.tolist() == original_track_ids(["a", "b7"]) == [1, 2]
    assert vis.shape == (2, 24) and seq_interval == [2, 21] and data_interval == [0, 24]
    names = [
        t["name"] for t in json.loads((out / "track_info.json").read_text())["tracks"].values()
    ]
    assert names == ["a", "b7"]


def test_original_layout_rerun_leaves_no_stale_iterations(tmp_path, standin):
    out = save_result(_result(), tmp_path / "run", body=standin)
    stale = out / "root_fit" / "hand-made_000999_world_results.npz"
    stale.write_bytes((out / "root_fit" / "hand-made_000003_world_results.npz").read_bytes())
    save_result(_result(), out, body=standin)
    assert list(slahmr_results_paths(out / "root_fit")) == ["000003"]


def test_original_layout_betas_fill_the_smplh_count(tmp_path, smplh):
    out = save_result(_result(), tmp_path / "run", body=smplh)
    res = slahmr_load_result(slahmr_results_paths(out / "motion_chunks")["000009"])["world"]
    assert res["betas"].shape == (2, 16)
    assert slahmr_smpl_inputs(res)["betas"].shape[1] == 16


# ------------------------------------------------------------------------------ AMASS and HuMoR


def test_person_files_open_like_amass_in_aitviewer_and_human_body_prior(tmp_path, smplh):
    """aitviewer smpl.py:198-251 (default SMPL-H layer, z_up=True); human_body_prior
    prepare_data.py:94-102; HuMoR process_amass_data.py:537-554 (pose_body (T, 63))."""
    result = _result()
    out = save_result(result, tmp_path / "run", body=smplh)
    T_floor = np.asarray(json.loads((out / "scene.json").read_text())["floor_transform"])
    for person in result.people:
        path = out / f"person_{person.track_id}.npz"
        seq = aitviewer_from_amass(path)
        T = person.num_frames
        assert seq["gender"] == "neutral" and seq["fps"] == 30.0
        assert seq["poses_body"].shape == (T, 63) and seq["poses_left_hand"].shape == (T, 45)
        assert seq["poses_right_hand"].shape == (T, 45) and seq["betas"].shape == (1, 10)
        np.testing.assert_array_equal(seq["poses_left_hand"], 0.0)
        hbp = human_body_prior_slices(path)
        np.testing.assert_array_equal(hbp["pose_body"], seq["poses_body"].astype(np.float32))
        with np.load(path) as z:
            np.testing.assert_array_equal(z["pose_body"], seq["poses_body"])  # HuMoR's (T, 63)
            np.testing.assert_array_equal(z["root_orient"], seq["poses_root"])
            assert z["poses"].shape == (T, 156)
        # z-up with the floor at z = 0: the floor frame's joints are the world's moved by T_floor
        pose = person.body_pose.reshape(T, -1).copy()
        pose[:, 63:] = 0.0
        world = _joints(smplh, person.global_orient, pose, person.betas, person.transl)
        floor = _joints(smplh, seq["poses_root"], pose, seq["betas"][0], seq["trans"])
        np.testing.assert_allclose(floor, world @ T_floor[:3, :3].T + T_floor[:3, 3], atol=1e-7)
    n, d = FLOOR
    np.testing.assert_allclose(T_floor[:3, :3] @ n, [0.0, 0.0, 1.0], atol=1e-12)
    on_floor = n * d + np.cross(n, [1.0, 0.0, 0.0])
    assert (T_floor[:3, :3] @ on_floor + T_floor[:3, 3])[2] == pytest.approx(0.0, abs=1e-12)


def test_smpl_body_person_file_is_72_wide_and_humor_sized(tmp_path, standin):
    out = save_result(_result(), tmp_path / "run", body=standin)
    with np.load(out / "person_a.npz") as z:
        assert z["poses"].shape == (10, 72) and z["pose_body"].shape == (10, 63)
        hbp = human_body_prior_slices(out / "person_a.npz")
        np.testing.assert_allclose(hbp["pose_body"], z["pose_body"], rtol=1e-6)
        np.testing.assert_array_equal(z["poses_world"][:, 3:], z["poses"][:, 3:])


def test_estimate_without_a_floor_is_still_z_up_with_the_feet_at_zero(tmp_path, standin):
    """No pass estimated a floor (e.g. the naive composition): up from the cameras, the floor at
    the people's lowest points."""
    from slahmr_opt.solver.world_init import naive_composition
    from slahmr_opt.synth.scene import make_scene

    scene, gt = make_scene(1, 20, "easy", "handheld", seed=2)
    people, alpha = naive_composition(scene, standin, alpha="slam")
    from slahmr_opt.result import WorldEstimate

    est = WorldEstimate(people=people, alpha=alpha, cameras=scene.cameras, fps=scene.fps)
    out = save_estimate(est, tmp_path / "naive", body=standin)
    info = json.loads((out / "scene.json").read_text())
    assert info["amass_frame"]["floor"] == "lowest points"
    with np.load(out / "person_p0.npz") as z:
        pts = _joints(standin, z["poses"][:, :3], z["poses"][:, 3:], z["betas"], z["trans"])
    lowest = pts[..., 2].min(axis=1)
    assert np.median(lowest) == pytest.approx(0.0, abs=0.02)  # joints: feet near the floor
    assert pts[:, 0, 2].mean() > 0.5  # the pelvis is up, not down
    back = load_estimate(out)
    np.testing.assert_allclose(back.people[0].transl, people[0].transl, atol=1e-12)


def test_result_files_of_format_version_1_still_load(tmp_path, standin):
    """Files written before the z-up change held the world motion in poses/trans."""
    out = save_result(_result(), tmp_path / "run", body=standin)
    info = json.loads((out / "scene.json").read_text())
    info["version"] = 1
    (out / "scene.json").write_text(json.dumps(info))
    for name in ("person_a.npz", "person_b7.npz"):
        with np.load(out / name) as z:
            arrays = {k: z[k] for k in z.files}
        arrays["poses"], arrays["trans"] = arrays.pop("poses_world"), arrays.pop("trans_world")
        np.savez(out / name, **arrays)
    back = load_result(out)
    assert [p.track_id for p in back.estimate.people] == ["a", "b7"]
    np.testing.assert_allclose(back.estimate.people[0].transl, _result().people[0].transl)
