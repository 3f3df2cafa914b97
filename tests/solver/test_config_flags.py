"""Every config flag has an effect (the original silently ignores two of its flags).

Each leaf field of ``SolverConfig`` is changed on its own (with any prerequisite settings) and a
tiny solve must come out different. A new field without an entry in ``CHANGES`` fails
``test_every_flag_is_covered``.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

from slahmr_opt.config import leaf_paths, preset
from slahmr_opt.solver.optimize import SolverHooks
from slahmr_opt.solver.solve import solve
from tests.solver.helpers import body, random_vposer, scene, tiny_config

CAMERA = {"init.trans_frame": "camera"}

# path → (new value, prerequisite overrides applied to both runs)
CHANGES: dict[str, tuple[object, dict]] = {
    "preset": ("custom", {}),
    "dtype": ("float64", {}),
    "reprojection.sigma": (5.0, {}),
    "reprojection.conf_threshold": (0.9, {}),
    "reprojection.hip_adjust": (False, {}),
    "reprojection.ignore_joints": ((), {}),
    "pose_prior.pull_scale": (0.02, {}),
    "pose_prior.pull_robust": (0.5, {}),
    "pose_prior.limit_weight": (0.0, {"scene": "hyperextended"}),
    "init.alpha": ("median", {}),
    "init.betas": ("zero", {}),
    "init.trans_frame": ("camera", {}),
    "init.alpha_update": ("profile", CAMERA),
    "init.alpha_space": ("log", {}),
    "init.camera_shift": ("none", {"scene": "moved"}),
    "init.camera_noise": (0.1, {}),
    "init.camera_noise_seed": (1, {"init.camera_noise": 0.1}),
    "pose_prior.kind": ("estimate", {"vposer": True}),
    "quirks.cvae_mask_past_end": (False, {"motion.horizon": "full"}),
    "quirks.collar_parents_neck": (False, {}),
    "quirks.plane_ray_epsilon": (False, {}),
    "quirks.heading_epsilon": (False, {}),
    "nan.max_failures": (0, {}),
    "nan.lr_factor": (0.1, {}),
}
for _pass in ("root", "smooth"):
    CHANGES.update(
        {
            f"{_pass}.iterations": (1, {}),
            f"{_pass}.free": (("root_orient",), {}),
            f"{_pass}.weights.joints2d": (0.01, {}),
            f"{_pass}.weights.joints3d_smooth": (50.0, {}),
            f"{_pass}.weights.joints3d_accel": (1e4, {}),
            f"{_pass}.weights.pose_prior": (1.0, {}),
            f"{_pass}.weights.shape_prior": (1.0, {}),
            f"{_pass}.optimizer.lr": (0.3, {}),
            f"{_pass}.optimizer.max_iter": (1, {}),
            f"{_pass}.optimizer.max_eval": (2, {}),
            f"{_pass}.optimizer.history_size": (1, {}),
            f"{_pass}.optimizer.line_search": ("none", {f"{_pass}.optimizer.lr": 0.01}),
            f"{_pass}.optimizer.tolerance_grad": (1e6, {}),
            f"{_pass}.optimizer.tolerance_change": (1e6, {}),
            # no progress in a step: ours stops after it, the original's rule one step later
            f"{_pass}.stop": ("converged", {f"{_pass}.optimizer.tolerance_grad": 1e6}),
        }
    )
COLLOCATION = {"motion.method": "collocation", "motion.free": ("motion", "betas", "floor")}
CHANGES.update(
    {
        "motion.iterations": (1, {}),
        "motion.method": ("collocation", {"motion.free": ("betas", "floor")}),
        "motion.horizon": ("full", {}),
        "motion.chunk_size": (5, {}),
        "motion.init_steps": (0, {}),
        "motion.chunk_steps": (1, {"motion.init_steps": 0, "motion.chunk_size": 4}),
        "motion.max_chunk_steps": (1, {"motion.iterations": 3}),
        "motion.stop": ("converged", {"motion.optimizer.tolerance_grad": 1e6}),
        "motion.free": (("betas",), {}),
        "motion.floor_init": ("feet", {}),
        "motion.weights.joints2d": (0.01, {}),
        "motion.weights.pose_prior": (1.0, {}),
        "motion.weights.shape_prior": (1.0, {}),
        "motion.weights.motion_prior": (1.0, {}),
        "motion.weights.init_motion_prior": (1.0, {}),
        "motion.weights.joint_consistency": (1.0, {}),
        "motion.weights.bone_length": (1.0, {}),
        "motion.weights.contact_vel": (1.0, {}),
        "motion.weights.contact_height": (1.0, {}),
        "motion.weights.floor_reg": (1.0, {}),
        "motion.weights.motion_recon": (1.0, COLLOCATION),
        "motion.weights.joints3d_accel": (1e4, {}),
        "motion.optimizer.lr": (0.3, {}),
        "motion.optimizer.max_iter": (1, {}),
        "motion.optimizer.max_eval": (2, {"motion.optimizer.max_iter": 10}),
        "motion.optimizer.history_size": (1, {"motion.optimizer.max_iter": 10}),
        "motion.optimizer.line_search": ("none", {"motion.optimizer.lr": 0.01}),
        "motion.optimizer.tolerance_grad": (1e6, {}),
        "motion.optimizer.tolerance_change": (1e6, {}),
    }
)

NAN_FLAGS = ("nan.max_failures", "nan.lr_factor")


def _nan_at_second_smooth_step(name, step, total):
    return total * float("nan") if name == "smooth" and step == 1 else total


def _signature(result) -> np.ndarray:
    parts = [np.array([result.alpha, len(result.events)])]
    for p in result.passes.values():
        for person in p.people:
            parts += [person.transl.ravel(), person.global_orient.ravel()]
            parts += [person.body_pose.ravel(), person.betas.ravel()]
        parts.append(np.array([p.lr, p.steps, p.closures]))
        for v in p.history.values():
            parts.append(np.asarray(v))
    return np.concatenate(parts)


@functools.lru_cache(maxsize=1)
def _hyperextended_scene():
    """The test scene with every estimated knee bent backwards by 0.3 rad."""
    s, _ = scene()
    tracks = []
    for t in s.tracks:
        pose = t.body_pose.copy()
        pose[:, 3:5, 0] = -0.3
        tracks.append(dataclasses.replace(t, body_pose=pose))
    return dataclasses.replace(s, tracks=tracks)


@functools.lru_cache(maxsize=1)
def _moved_scene():
    """The test scene in a world moved by 1 m (x) and 2 m (z): its first camera is no longer at
    the origin, so the original's camera shift (cam_t += cam_t[first]) changes the problem."""
    s, _ = scene()
    c = np.array([1.0, 0.0, 2.0])
    cams = dataclasses.replace(s.cameras, t=s.cameras.t - np.einsum("tij,j->ti", s.cameras.R, c))
    return dataclasses.replace(s, cameras=cams)


@functools.cache
def _cached_run(items: tuple, nan: bool):
    overrides = dict(items)
    which = overrides.pop("scene", None)
    s = {"hyperextended": _hyperextended_scene, "moved": _moved_scene}.get(
        which, lambda: scene()[0]
    )()
    vposer = random_vposer() if overrides.pop("vposer", None) else None
    cfg = tiny_config(**{k.replace(".", "__"): v for k, v in overrides.items()})
    hooks = SolverHooks(on_energy=_nan_at_second_smooth_step) if nan else None
    return solve(s, cfg, body(), progress=False, hooks=hooks, vposer=vposer)


def _run(overrides: dict, nan: bool):
    return _cached_run(tuple(sorted(overrides.items())), nan)


def test_every_flag_is_covered():
    assert sorted(leaf_paths(preset("slahmr"))) == sorted(CHANGES)


@pytest.mark.parametrize("path", sorted(CHANGES))
def test_flag_has_an_effect(path):
    value, prerequisites = CHANGES[path]
    nan = path in NAN_FLAGS
    base = _run(prerequisites, nan)
    changed = _run({**prerequisites, path: value}, nan)
    if path == "preset":
        assert changed.config["preset"] == "custom" != base.config["preset"]
        assert "custom" in changed.to_estimate().method
        return
    a, b = _signature(base), _signature(changed)
    assert a.shape != b.shape or not np.allclose(a, b, rtol=0, atol=1e-9), path
