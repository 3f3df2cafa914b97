"""The ``slahmr`` preset as the original: VPoser latents, α itself, β = 0, the camera shift, the
union length T and the quirk flags (docs/solver.md, "The slahmr preset term by term").

Citations are to vye16/slahmr @ 58518fe.
"""

from __future__ import annotations

import copy
import dataclasses
import logging

import numpy as np
import pytest
import roma
import torch

from slahmr_opt.config import preset
from slahmr_opt.energies.motion import COLLAR_NECK_PARENTS, bone_length_energy, bone_lengths
from slahmr_opt.priors import load_default_prior
from slahmr_opt.scene import Track
from slahmr_opt.solver.floor_plane import prior_frames, prior_frames_ray
from slahmr_opt.solver.motion import MotionProblem
from slahmr_opt.solver.rollout_pass import cvae_step_mask
from slahmr_opt.solver.solve import solve
from slahmr_opt.solver.stages import PassObjective
from slahmr_opt.solver.variables import (
    batch_scene,
    decoded_body_pose,
    init_variables,
    shift_cameras,
    solver_tracks,
)
from tests.solver.helpers import body, random_vposer, scene, tiny_config

D = torch.float64


def test_preset_turns_on_every_original_behaviour():
    cfg = preset("slahmr")
    assert cfg.pose_prior.kind == "vposer"
    assert cfg.init.alpha_space == "linear" and cfg.init.betas == "discard"
    assert cfg.init.camera_shift == "first" and cfg.init.camera_noise == 0.0
    assert all(getattr(cfg.quirks, f.name) for f in dataclasses.fields(cfg.quirks))
    assert cfg.root.stop == cfg.smooth.stop == cfg.motion.stop == "original"
    fast = preset("fast")
    assert not any(getattr(fast.quirks, f.name) for f in dataclasses.fields(fast.quirks))
    assert fast.pose_prior.kind == "estimate" and fast.init.alpha_space == "log"


# ----------------------------------------------------------------------------- VPoser
def test_vposer_parameterises_the_pose_by_its_latent_in_passes_1_to_3(caplog):
    s, _ = scene()
    vp = random_vposer()
    cfg = tiny_config()
    with caplog.at_level(logging.INFO, logger="slahmr_opt"):
        result = solve(s, cfg, body(), progress=False, vposer=vp)
    assert "VPoser v1" in result.pose_prior_note
    assert result.summary()["pose_prior"] == result.pose_prior_note
    # pass 1 does not free the latent: its poses are decode(encode_mean(estimate)), the
    # original's initialisation (base_scene.py:94-96, 222-225)
    for person in result.passes["root"].people:
        track = s.track(person.track_id)
        est = torch.as_tensor(track.body_pose[:, :21], dtype=torch.float32)
        expected = vp.decode_rotmat(vp.encode_mean(est))
        got = roma.rotvec_to_rotmat(torch.as_tensor(person.body_pose[:, :21], dtype=torch.float32))
        torch.testing.assert_close(got, expected, atol=1e-4, rtol=0)
        assert (got - roma.rotvec_to_rotmat(est)).abs().max() > 1e-2  # not the estimate itself
    # pass 2 frees the latents: its poses moved, and are still decodings of latents
    smooth = result.passes["smooth"].people[0]
    assert np.abs(smooth.body_pose - result.passes["root"].people[0].body_pose).max() > 1e-5


def test_pass_2_pose_prior_is_the_latent_norm():
    """losses.py:466-476: Σ_{M} ‖z‖² on the (B, T, D) latents."""
    s, _ = scene()
    vp = random_vposer()
    cfg = tiny_config(dtype="float64")
    b = copy.deepcopy(body()).double()
    data = batch_scene(s, solver_tracks(s), b, cfg.reprojection, dtype=D)
    v = init_variables(s, b, data, cfg.init, 1.0, vposer=vp.double())
    assert v.latent_pose.shape == (2, data.num_frames, vp.latent_dim)
    obj = PassObjective(data, b, cfg, cfg.smooth, None, v, vposer=vp.double())
    terms = obj.terms(v)
    m = data.mask
    expected = cfg.smooth.weights.pose_prior * (v.latent_pose[m] ** 2).sum()
    assert float(terms["pose_prior"]) == pytest.approx(float(expected), rel=1e-12)
    # the body pose the energies see is VPoser's decoding (base_scene.py:157-170)
    pose = decoded_body_pose(v.body_pose, v.latent_pose, vp.double())
    R = vp.double().decode_rotmat(v.latent_pose)
    torch.testing.assert_close(roma.rotvec_to_rotmat(pose[:, :, :21]), R, atol=1e-9, rtol=0)


def test_pass_3_pose_prior_encodes_the_rolled_out_poses():
    """moving_scene.py:446 + losses.py:225-228: Σ_M ‖μ_enc(rolled-out pose)‖²."""
    s, _ = scene()
    vp = random_vposer()
    cfg = tiny_config(**{"motion.weights.joints2d": 0.0})
    b = body()
    data = batch_scene(s, solver_tracks(s), b, cfg.reprojection)
    v = init_variables(s, b, data, cfg.init, 1.0, vposer=vp)
    problem = MotionProblem(data, b, cfg, cfg.motion, load_default_prior(), v, s.fps, vposer=vp)
    assert problem.variables["init_pose"].shape == (2, vp.latent_dim)  # a latent
    out = problem.evaluate(10)
    enc = vp.encode_mean(out.body_pose[:, :, :21])
    expected = cfg.motion.weights.pose_prior * (enc[out.mask] ** 2).sum()
    assert float(out.terms["pose_prior"]) == pytest.approx(float(expected), rel=1e-5)


def test_without_vposer_the_preset_falls_back_and_says_so(caplog):
    s, _ = scene()
    with caplog.at_level(logging.WARNING, logger="slahmr_opt"):
        result = solve(s, tiny_config(), body(), until="root", progress=False)
    assert "VPoser not given" in result.pose_prior_note
    assert any("VPoser not given" in r.getMessage() for r in caplog.records)
    fast = solve(s, "fast", body(), until="init", progress=False)
    assert "open pose prior" in fast.pose_prior_note


# ----------------------------------------------------------------------------- α, β, cameras
def test_alpha_is_optimised_itself_and_may_cross_zero():
    """params.py world_scale: α is an nn.Parameter, optimised as is."""
    s, _ = scene()
    cfg = tiny_config(dtype="float64")
    b = copy.deepcopy(body()).double()
    data = batch_scene(s, solver_tracks(s), b, cfg.reprojection, dtype=D)
    v = init_variables(s, b, data, cfg.init, 1.0)
    assert v.alpha_space == "linear" and float(v.log_alpha[0]) == 1.0
    with torch.no_grad():
        v.log_alpha.fill_(-0.5)
    assert float(v.alpha[0]) == -0.5
    obj = PassObjective(data, b, cfg, cfg.smooth, None, v, vposer=None)
    cfg2 = tiny_config(dtype="float64", pose_prior__kind="estimate")
    from slahmr_opt.solver.stages import build_pose_prior

    obj = PassObjective(data, b, cfg2, cfg2.smooth, build_pose_prior(cfg2, data), v)
    assert all(torch.isfinite(t) for t in obj.terms(v).values())
    # results and estimates carry such an α (cameras scaled by it, as the original's cam_t)
    from slahmr_opt.result import WorldEstimate

    est = WorldEstimate(people=[], alpha=-0.5, cameras=s.cameras, fps=s.fps)
    assert est.alpha == -0.5


def test_discarded_betas_read_the_estimate_as_a_zero_shape_body():
    """base_scene.py:92, 118-128: β = 0 and trans_w = R_c2w (t_c + j0) + t_c2w − j0 with j0 the
    pelvis of the β = 0 body."""
    s, _ = scene()
    b = copy.deepcopy(body()).double()
    cfg = tiny_config(dtype="float64", init__camera_shift="none")
    data = batch_scene(s, solver_tracks(s), b, cfg.reprojection, dtype=D)
    v = init_variables(s, b, data, cfg.init, 1.0)
    assert torch.all(v.betas == 0)
    j0 = b.joint_template(torch.zeros(b.num_betas, dtype=D))[0].numpy()
    track = s.track(data.track_ids[0])
    R = s.cameras.R[track.frames]
    t = s.cameras.t[track.frames]
    R_c2w = np.swapaxes(R, 1, 2)
    expected = (
        np.einsum("tij,tj->ti", R_c2w, track.transl + j0) - np.einsum("tij,tj->ti", R_c2w, t) - j0
    )
    got = v.trans[0, track.start - data.frame0 : track.end - data.frame0].numpy()
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_camera_shift_is_the_original_loader_and_its_noise_is_seeded():
    """dataset.py:325-327: t0 = −cam_t[s] + N(0, 0.1²); cam_t ← cam_t − t0."""
    s, _ = scene()
    moved = dataclasses.replace(
        s, cameras=dataclasses.replace(s.cameras, t=s.cameras.t + np.array([0.3, -0.2, 1.0]))
    )
    cfg = preset("slahmr").init
    out = shift_cameras(moved, cfg)
    np.testing.assert_allclose(out.cameras.t, moved.cameras.t + moved.cameras.t[0])
    noisy = dataclasses.replace(cfg, camera_noise=0.1, camera_noise_seed=7)
    a, b = shift_cameras(moved, noisy), shift_cameras(moved, noisy)
    np.testing.assert_array_equal(a.cameras.t, b.cameras.t)  # seeded: reproducible
    eps = np.random.default_rng(7).normal(scale=0.1, size=3)
    np.testing.assert_allclose(a.cameras.t, moved.cameras.t + moved.cameras.t[0] - eps)
    off = dataclasses.replace(cfg, camera_shift="none")
    assert shift_cameras(moved, off) is moved


# ----------------------------------------------------------------------------- quirks
def test_cvae_mask_counts_one_latent_past_a_track_that_ends_in_the_horizon():
    """losses.py:236-241: latent j of track b counts when j < (frames of b in the horizon)."""
    lengths = torch.tensor([7, 10, 4])
    H = 8
    mask = torch.arange(H)[None] < lengths[:, None]  # local frames inside each track
    original = torch.arange(H - 1)[None] < mask.sum(1)[:, None]
    torch.testing.assert_close(cvae_step_mask(mask, past_end=True), original)
    exact = cvae_step_mask(mask, past_end=False)
    assert exact.sum(1).tolist() == [6, 7, 3]  # transitions inside each track
    assert original.sum(1).tolist() == [7, 7, 4]


def test_collar_parents_are_the_neck_in_the_original_bone_term():
    """body_model/specs.py:27-50: SMPL_PARENTS[13] = SMPL_PARENTS[14] = 12."""
    assert COLLAR_NECK_PARENTS[13] == COLLAR_NECK_PARENTS[14] == 12
    assert COLLAR_NECK_PARENTS[:13] == (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
    gen = torch.Generator().manual_seed(0)
    joints = torch.randn(1, 3, 22, 3, generator=gen, dtype=D)
    joints[:, 1, 12] += 0.05  # only the neck moves: the original's collar bones change length
    mask = torch.ones(1, 3, dtype=torch.bool)
    ours = bone_lengths(joints)
    theirs = bone_lengths(joints, COLLAR_NECK_PARENTS)
    torch.testing.assert_close(
        theirs[..., 12], (joints[..., 13, :] - joints[..., 12, :]).norm(dim=-1)
    )
    torch.testing.assert_close(ours[..., 12], (joints[..., 13, :] - joints[..., 9, :]).norm(dim=-1))
    assert float(bone_length_energy(joints, mask, COLLAR_NECK_PARENTS)) != pytest.approx(
        float(bone_length_energy(joints, mask))
    )


def test_prior_frame_rays_with_epsilon():
    """helpers.py:13-62 with plane.py:71-91: s = (d − n·p)/(n·v + 1e-4)."""
    gen = torch.Generator().manual_seed(1)
    n = torch.nn.functional.normalize(torch.tensor([0.1, -0.98, 0.05], dtype=D), dim=0)
    d = torch.tensor(-0.7, dtype=D)
    R0 = roma.random_rotmat(3, dtype=D)
    trans0 = torch.randn(3, 3, generator=gen, dtype=D)
    pelvis0 = trans0 + torch.tensor([0.0, 0.2, 0.0], dtype=D)
    A0, o0 = prior_frames_ray(n, d, R0, trans0, pelvis0, epsilon=0.0)
    A1, o1 = prior_frames(n, d, R0, pelvis0)
    torch.testing.assert_close(A0, A1)
    torch.testing.assert_close(o0, o1)
    eps = 1e-4
    A, o = prior_frames_ray(n, d, R0, trans0, pelvis0, epsilon=eps)
    for b in range(3):
        p, r = trans0[b].numpy(), -R0[b, :, 0].numpy()
        nn_, dd = n.numpy(), float(d)
        s1 = (dd - nn_ @ p) / (nn_ @ -nn_ + eps)
        s2 = (dd - nn_ @ p) / (nn_ @ r + eps)
        right = (p + s2 * r) - (p - s1 * nn_)
        right = -right if s2 < 0 else right
        right /= np.linalg.norm(right)
        np.testing.assert_allclose(A[b, 0].numpy(), right, atol=1e-12)
        height = (dd - nn_ @ pelvis0[b].numpy()) / (nn_ @ -nn_ + eps)
        x = A[b] @ (pelvis0[b] - o[b])  # the first pelvis sits at the original's root height
        assert float(x[2]) == pytest.approx(height, abs=1e-12)
        assert abs(float(x[0])) < 1e-12 and abs(float(x[1])) < 1e-12


# ----------------------------------------------------------------------------- lengths
def _trim(track: Track, a: int, b: int) -> Track:
    cut = lambda x: None if x is None else x[a:b]  # noqa: E731
    return Track(
        track_id=track.track_id,
        start=track.start + a,
        keypoints=track.keypoints[a:b],
        global_orient=cut(track.global_orient),
        body_pose=cut(track.body_pose),
        betas=cut(track.betas),
        transl=cut(track.transl),
        smpl_observed=cut(track.smpl_observed),
        visibility=cut(track.visibility),
    )


def test_pass_3_uses_the_union_length_for_shape_gmm_and_floor():
    """optimizers.py:584-586 and losses.py:186, 334: seq_len (the union of the tracks) scales
    the shape prior, the GMM term and the floor term; the roll-out covers the longest track."""
    s, _ = scene()
    t0, t1 = s.tracks
    s = dataclasses.replace(s, tracks=[_trim(t0, 0, 10), _trim(t1, 4, 13)])  # union 16, L = 10
    cfg = tiny_config(**{"motion.weights.floor_reg": 1.0})
    b = body()
    data = batch_scene(s, solver_tracks(s), b, cfg.reprojection)
    assert data.num_frames == 15
    v = init_variables(s, b, data, cfg.init, 1.0)
    problem = MotionProblem(data, b, cfg, cfg.motion, load_default_prior(), v, s.fps)
    assert problem.local.num_local == 10
    with torch.no_grad():
        problem.variables["betas"].fill_(0.1)
        problem.variables["floor"].add_(0.01)
        out = problem.evaluate(20)  # a horizon past the longest track
    T = 15
    w = cfg.motion.weights
    betas = problem.variables["betas"]
    assert float(out.terms["shape_prior"]) == pytest.approx(
        w.shape_prior * T * float((betas**2).sum())
    )
    diff = problem.variables["floor"] - problem.floor_observed
    assert float(out.terms["floor_reg"]) == pytest.approx(0.5 * T * float((diff**2).sum()))
    assert out.mask.shape[1] == 10  # rolled out over the 10 local frames of the longest track
    with torch.no_grad():
        e10 = float(problem.evaluate(10).terms["init_motion_prior"])
        e15 = float(problem.evaluate(15).terms["init_motion_prior"])
    assert e10 == pytest.approx(e15 * 15 / 10, rel=1e-6)  # × max(1, T/H)


def test_fast_rollout_leaves_every_energy_value_unchanged():
    """The packed sequential roll-out (priors/rollout_fast.py) replaces the reference roll-out
    (priors/rollout.py) without changing any term of the motion pass (exact forms; the first
    step's heading is the prior frame's, so not re-aligning it changes nothing)."""
    from slahmr_opt.priors.rollout import rollout

    s, _ = scene()
    exact = {f"quirks.{f.name}": False for f in dataclasses.fields(preset("slahmr").quirks)}
    cfg = tiny_config(dtype="float64", **{k.replace(".", "__"): v for k, v in exact.items()})
    b = copy.deepcopy(body()).double()
    data = batch_scene(s, solver_tracks(s), b, cfg.reprojection, dtype=D)
    v = init_variables(s, b, data, cfg.init, 1.0)
    prior = load_default_prior(dtype=D)
    problem = MotionProblem(data, b, cfg, cfg.motion, prior, v, s.fps)
    fast = problem.sequential
    for H in (1, 7, 16):
        got = {k: float(x) for k, x in problem.evaluate(H).terms.items()}
        problem.sequential = lambda init, off, z, **kw: rollout(problem.model, init, off, z)
        ref = {k: float(x) for k, x in problem.evaluate(H).terms.items()}
        problem.sequential = fast
        assert got.keys() == ref.keys()
        for k in ref:
            assert got[k] == pytest.approx(ref[k], rel=1e-9, abs=1e-9), (H, k)


def test_collocation_starts_from_the_decoded_pose_with_a_vposer():
    s, _ = scene()
    vp = random_vposer()
    cfg = preset("fast")
    b = body()
    data = batch_scene(s, solver_tracks(s), b, cfg.reprojection)
    v = init_variables(s, b, data, cfg.init, 1.0, vposer=vp)
    problem = MotionProblem(data, b, cfg, cfg.motion, load_default_prior(), v, s.fps, vposer=vp)
    expected = decoded_body_pose(v.body_pose, v.latent_pose, vp)
    torch.testing.assert_close(problem.variables["body_pose"], expected)
