"""A small synthetic scene and results made from its ground truth, for the export and vis tests.

The "solver" passes are the true motion with known offsets (so every picture and file has a known
answer): ``init`` is shifted by 30 cm, ``root`` by 10 cm, ``smooth`` and ``motion`` are the truth;
``motion`` carries the true floor. The cameras are the true metric ones (α = 1), so projected
bodies land on the scene's keypoints.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from slahmr_opt.body import BodyModel
from slahmr_opt.result import PassResult, Result, WorldEstimate
from slahmr_opt.scene import PersonMotion

NUM_FRAMES = 24
PASS_SHIFT = {"init": 0.3, "root": 0.1, "smooth": 0.0, "motion": 0.0}


@functools.lru_cache(maxsize=1)
def body64() -> BodyModel:
    return BodyModel.standin(dtype=torch.float64)


@functools.lru_cache(maxsize=1)
def scene_and_truth():
    from slahmr_opt.synth.scene import make_scene

    return make_scene(
        num_people=2, num_frames=NUM_FRAMES, preset="easy", camera="orbit", seed=3, body=body64()
    )


def shifted(person: PersonMotion, dx: float, *, betas: np.ndarray | None = None) -> PersonMotion:
    return PersonMotion(
        track_id=person.track_id,
        frames=person.frames,
        global_orient=person.global_orient,
        body_pose=person.body_pose,
        betas=person.betas if betas is None else betas,
        transl=person.transl + np.array([dx, 0.0, 0.0]),
        contacts=person.contacts,
    )


def truth_estimate(floor: bool = True) -> WorldEstimate:
    _, gt = scene_and_truth()
    return WorldEstimate(
        people=list(gt.people),
        alpha=1.0,
        cameras=gt.cameras,
        fps=gt.fps,
        floor=(gt.floor_normal, gt.floor_offset) if floor else None,
        method="truth",
    )


def fake_result() -> Result:
    scene, gt = scene_and_truth()
    floor = (gt.floor_normal, gt.floor_offset)
    passes = {}
    for k, (name, dx) in enumerate(PASS_SHIFT.items()):
        history = (
            {}
            if name == "init"
            else {
                "total": [10.0 / (s + 1 + k) for s in range(4)],
                "reprojection": [6.0 / (s + 1 + k) for s in range(4)],
            }
        )
        passes[name] = PassResult(
            name=name,
            people=[shifted(p, dx) for p in gt.people],
            alpha=1.0,
            history=history,
            steps=3 if history else 0,
            stop_reason="completed" if history else "init",
            floor=floor if name == "motion" else None,
        )
    return Result(
        people=passes["motion"].people,
        alpha=1.0,
        alpha_optimized=False,
        alpha_note="test: true cameras",
        alpha_init={"mode": "one"},
        passes=passes,
        config={"preset": "test"},
        cameras=gt.cameras,
        fps=scene.fps,
        scene_name="synthetic",
    )
