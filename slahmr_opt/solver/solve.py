"""``solve``: world initialisation, pass 1 (root fit) and pass 2 (smooth fit with world scale).

Runs in a notebook without any file I/O; with ``checkpoint_dir`` every outer step is checkpointed
and a rerun with the same inputs and settings resumes where the last run stopped.

Example::

    from slahmr_opt.solver import solve
    result = solve(scene, config="fast")            # or a SolverConfig, or None
    estimate = result.to_estimate("smooth")         # a WorldEstimate for eval / io
    print(result.alpha, result.timings)
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import logging
import os
import time
from pathlib import Path

import numpy as np
import torch

from slahmr_opt.body.model import BodyModel
from slahmr_opt.config import PASS_NAMES, SolverConfig, config_from_dict, config_to_dict, preset
from slahmr_opt.energies.pose_prior import PosePrior
from slahmr_opt.errors import InputError
from slahmr_opt.files import remove_stale_tmp
from slahmr_opt.priors.humor import MotionPrior, load_prior
from slahmr_opt.priors.vposer import VPoser, load_vposer
from slahmr_opt.result import PassResult, Result
from slahmr_opt.scene import Scene
from slahmr_opt.solver.motion import MotionProblem
from slahmr_opt.solver.optimize import PassOutcome, SolverHooks, run_pass
from slahmr_opt.solver.schedule import OriginalSchedule
from slahmr_opt.solver.stages import PassObjective, build_pose_prior
from slahmr_opt.solver.variables import (
    ProblemData,
    Variables,
    alpha_of,
    batch_scene,
    init_variables,
    initial_alpha,
    shift_cameras,
    variables_to_people,
)

log = logging.getLogger(__name__)

DEFAULT_PRESET = "fast"
"""The preset used when ``solve`` gets no config."""

UNTIL = ("init", *PASS_NAMES)


def resolve_config(config: SolverConfig | str | None) -> SolverConfig:
    """A validated private copy of ``config`` (a preset name, a config, or None = the default)."""
    if config is None:
        return preset(DEFAULT_PRESET)
    if isinstance(config, str):
        return preset(config)
    if not isinstance(config, SolverConfig):
        raise ValueError(
            f"config must be a SolverConfig, a preset name or None, got {type(config).__name__}"
        )
    return config_from_dict(config_to_dict(config))


def _hash_arrays(h: hashlib._Hash, *arrays: object) -> None:
    for a in arrays:
        if a is None:
            h.update(b"none")
        else:
            arr = np.ascontiguousarray(np.asarray(a))
            h.update(str(arr.shape).encode())
            h.update(arr.tobytes())


def scene_digest(scene: Scene) -> str:
    """SHA-256 of everything in a scene the solver reads."""
    h = hashlib.sha256()
    cams = scene.cameras
    _hash_arrays(h, cams.R, cams.t, cams.intrinsics, np.array([cams.is_static, scene.fps]))
    for t in scene.tracks:
        h.update(t.track_id.encode())
        _hash_arrays(h, np.array([t.start]), t.keypoints, t.global_orient, t.body_pose)
        _hash_arrays(h, t.betas, t.transl)
    return h.hexdigest()


def body_digest(body: BodyModel) -> str:
    """SHA-256 of the body model's joint, shape and landmark data."""
    h = hashlib.sha256()
    h.update(f"{body.model_type}/{body.num_betas}/{body.source}".encode())
    for buf in (
        body.joint_template0,
        body.joint_shapedirs,
        body.landmark_template,
        body.landmark_weights,
    ):
        _hash_arrays(h, buf.detach().double().cpu().numpy())
    return h.hexdigest()


def pass_fingerprint(config: SolverConfig, name: str, scene_hash: str, body_hash: str) -> str:
    """Identity of pass ``name``'s inputs: the scene, the body and every setting it depends on.

    A pass depends on the shared sections and on its own and the earlier passes' settings, so
    changing ``smooth.iterations`` keeps the root pass's checkpoint valid.
    """
    data = config_to_dict(config)
    data.pop("preset")
    for later in PASS_NAMES[PASS_NAMES.index(name) + 1 :]:
        data.pop(later)
    text = json.dumps({"config": data, "pass": name, "scene": scene_hash, "body": body_hash})
    return hashlib.sha256(text.encode()).hexdigest()


def prior_digest(prior: MotionPrior) -> str:
    """SHA-256 of a motion prior's weights and GMM (part of the motion pass's fingerprint)."""
    h = hashlib.sha256()
    for key, value in sorted(prior.model.state_dict().items()):
        h.update(key.encode())
        _hash_arrays(h, value.detach().double().cpu().numpy())
    if prior.gmm is not None:
        _hash_arrays(h, prior.gmm.weights.numpy(), prior.gmm.means.numpy())
        _hash_arrays(h, prior.gmm.covariances.numpy())
    return h.hexdigest()


def pass_result(
    name: str,
    people: list,
    alpha: float,
    outcome: PassOutcome,
    floor: tuple[np.ndarray, float] | None = None,
) -> PassResult:
    """The :class:`PassResult` of a pass from its people, α, optimiser outcome and floor."""
    return PassResult(
        name=name,
        people=people,
        alpha=alpha,
        history=outcome.history,
        steps=outcome.steps,
        closures=outcome.closures,
        seconds=outcome.seconds,
        stop_reason=outcome.stop_reason,
        lr=outcome.lr,
        events=outcome.events,
        resumed_from=outcome.resumed_from,
        floor=floor,
    )


def module_digest(module: torch.nn.Module) -> str:
    """SHA-256 of a network's tensors (a VPoser's, for the checkpoint fingerprints)."""
    h = hashlib.sha256()
    for key, value in sorted(module.state_dict().items()):
        h.update(key.encode())
        _hash_arrays(h, value.detach().double().cpu().numpy())
    return h.hexdigest()


def resolve_vposer(
    config: SolverConfig, vposer: VPoser | str | os.PathLike | None
) -> tuple[VPoser | None, str]:
    """The VPoser the solver uses (or None) and a note saying which pose prior is used.

    With ``pose_prior.kind = "vposer"`` and no VPoser given the solver falls back to the open
    prior and the note (logged as a warning, kept in ``Result.pose_prior_note``) says so.
    """
    if config.pose_prior.kind == "estimate":
        if vposer is not None:
            log.warning("a VPoser was given but pose_prior.kind = 'estimate': it is not used")
        return None, "open pose prior (pull to the per-frame estimate + joint limits)"
    if vposer is None:
        note = (
            "VPoser not given (--vposer PATH / solve(vposer=...)): the original's VPoser "
            "pose prior is replaced by the open pose prior (pull to the per-frame estimate + "
            "joint limits) on axis-angle poses; results are not the original's"
        )
        log.warning("pose prior: %s", note)
        return None, note
    model = vposer if isinstance(vposer, VPoser) else load_vposer(vposer)
    note = (
        f"VPoser {model.version} ({model.source}): body poses are its latents in passes 1-3, "
        "pose prior Σ‖z‖² (pass 2) and Σ‖μ_enc(pose)‖² of the rolled-out poses (pass 3)"
    )
    log.info("pose prior: %s", note)
    return model, note


def resolve_prior(prior: MotionPrior | str | os.PathLike | None) -> MotionPrior:
    """A :class:`MotionPrior` from an object, a path or None (the shipped default)."""
    if isinstance(prior, MotionPrior):
        return prior
    return load_prior(prior)


def run_motion_pass(
    data: ProblemData,
    body: BodyModel,
    cfg: SolverConfig,
    previous: Variables,
    prior: MotionPrior,
    fps: float,
    *,
    checkpoint_path: Path | None = None,
    fingerprint: str = "",
    progress: bool = True,
    hooks: SolverHooks | None = None,
    vposer: VPoser | None = None,
) -> tuple[PassResult, bool]:
    """Pass 3 from the pass-2 variables (not modified).

    Returns:
        (the pass result with people, α, floor and contacts; whether α was free).
    """
    pass_cfg = cfg.motion
    problem = MotionProblem(data, body, cfg, pass_cfg, prior, previous, fps, vposer=vposer)
    free = problem.free_names()
    schedule = None
    chunked = pass_cfg.method == "rollout" and pass_cfg.horizon == "chunks"
    if pass_cfg.method == "rollout" and (chunked or pass_cfg.stop == "original"):
        schedule = OriginalSchedule(
            data.num_frames,
            chunked=chunked,
            chunk_size=pass_cfg.chunk_size,
            init_steps=pass_cfg.init_steps,
            chunk_steps=pass_cfg.chunk_steps,
            max_chunk_steps=pass_cfg.max_chunk_steps,
            pose_prior_weight=pass_cfg.weights.pose_prior,
            advance_on_stall=pass_cfg.stop == "converged",
        )
        if chunked:  # the original's cap (optimizers.py:564-567); the smaller applies
            pass_cfg = dataclasses.replace(
                pass_cfg, iterations=min(pass_cfg.iterations, schedule.cap)
            )

    def energy() -> dict:
        horizon = schedule.horizon if schedule is not None else None
        return problem.evaluate(horizon).terms

    outcome = run_pass(
        "motion",
        problem.variables,
        energy,
        pass_cfg,
        cfg.nan,
        free=free,
        checkpoint_path=checkpoint_path,
        fingerprint=fingerprint,
        progress=progress,
        hooks=hooks,
        schedule=schedule,
        alpha_space=problem.alpha_space,
    )
    alpha = float(alpha_of(problem.variables["alpha"].detach(), problem.alpha_space)[0])
    result = pass_result("motion", problem.people(), alpha, outcome, problem.floor_numpy())
    log.info(
        "pass motion (%s): %d steps, %d evaluations, %.2f s, α = %.4g, %s",
        pass_cfg.method,
        outcome.steps,
        outcome.closures,
        outcome.seconds,
        alpha,
        outcome.stop_reason,
    )
    return result, "alpha" in free


def parse_device(device: str | torch.device) -> torch.device:
    """``device`` as a torch device the solver can run on, or an InputError saying why not."""
    try:
        out = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise InputError(f"device must be 'cpu' or 'cuda' (or 'cuda:N'), got {device!r}") from None
    if out.type not in ("cpu", "cuda"):
        raise InputError(f"device must be 'cpu' or 'cuda' (or 'cuda:N'), got {device!r}")
    if out.type == "cuda" and not torch.cuda.is_available():
        raise InputError("device is 'cuda' but torch sees no CUDA device; use device='cpu'")
    if out.type == "cuda" and out.index is not None and out.index >= torch.cuda.device_count():
        raise InputError(
            f"device {device!r}: torch sees {torch.cuda.device_count()} CUDA device(s)"
        )
    return out


def fit_tracks(scene: Scene, conf_threshold: float) -> tuple[list[str], list[dict[str, str]]]:
    """Which tracks the solver fits, and why each other one is left out.

    Tracks the reader already left out are listed in ``scene.provenance["dropped_tracks"]``
    (``{"track_id", "reason"}`` entries); they are reported too.

    Args:
        scene: the scene.
        conf_threshold: the 2D term's keypoint confidence threshold.

    Returns:
        (ids of the tracks to fit, ``[{"track_id", "reason"}]`` for those left out).
    """
    dropped: list[dict[str, str]] = []
    for note in scene.provenance.get("dropped_tracks", []):
        if isinstance(note, dict) and "track_id" in note:
            dropped.append({"track_id": str(note["track_id"]), "reason": str(note.get("reason"))})
    fit = []
    for track in scene.tracks:
        usable = int(np.sum(track.keypoints[..., 2] >= conf_threshold))
        if not track.has_smpl:
            dropped.append({"track_id": track.track_id, "reason": "no per-frame SMPL estimates"})
        elif usable == 0:
            dropped.append(
                {
                    "track_id": track.track_id,
                    "reason": f"no keypoint with confidence ≥ {conf_threshold:g} on any of its "
                    f"{track.num_frames} frames (nothing to fit it to)",
                }
            )
        else:
            fit.append(track.track_id)
    return fit, dropped


def _prepare_body(body: BodyModel | None, dtype: torch.dtype) -> BodyModel:
    body = body if body is not None else BodyModel.standin()
    if body.joint_template0.dtype != dtype or body.joint_template0.device.type != "cpu":
        body = copy.deepcopy(body).to(device="cpu", dtype=dtype)
    return body


def solve(
    scene: Scene,
    config: SolverConfig | str | None = None,
    body: BodyModel | None = None,
    until: str = "motion",
    device: str | torch.device = "cpu",
    checkpoint_dir: str | os.PathLike | None = None,
    progress: bool = True,
    pose_prior: PosePrior | None = None,
    hooks: SolverHooks | None = None,
    prior: MotionPrior | str | os.PathLike | None = None,
    vposer: VPoser | str | os.PathLike | None = None,
) -> Result:
    """Fit every tracked person's world motion, the world scale and the floor (passes 1–3).

    Args:
        scene: the validated input scene; tracks without SMPL estimates are skipped (listed in
            ``Result.skipped_tracks``).
        config: a :class:`~slahmr_opt.config.SolverConfig`, a preset name (``"slahmr"``,
            ``"fast"``) or None for :data:`DEFAULT_PRESET`. It is copied, never modified.
        body: the body model (default: the open stand-in body). Not modified.
        until: last pass to run: ``"init"`` (world initialisation only), ``"root"``,
            ``"smooth"`` or ``"motion"``.
        device: ``"cpu"`` or ``"cuda"`` (nothing requires a GPU).
        checkpoint_dir: folder for per-pass checkpoints (written after every outer step, resumed
            from on rerun); None for no file I/O.
        progress: show a tqdm bar per pass.
        pose_prior: a custom pose prior (default: the one named by ``config.pose_prior``).
        hooks: instrumentation (:class:`~slahmr_opt.solver.optimize.SolverHooks`).
        prior: the motion prior of pass 3: a :class:`~slahmr_opt.priors.MotionPrior`, a path
            (prior folder, weights file or original ``best_model.pth``), or None for the shipped
            default. Loaded only when pass 3 runs; its fps must equal the scene's.
        vposer: the user's VPoser (a :class:`~slahmr_opt.priors.vposer.VPoser` or its folder /
            weights file, ``priors.vposer.load_vposer``). With ``pose_prior.kind = "vposer"``
            (preset ``slahmr``) the body poses are its latents as in the original; without it
            the open pose prior is used and ``Result.pose_prior_note`` says so.

    Returns:
        a :class:`~slahmr_opt.result.Result`.
    """
    started = time.perf_counter()
    if not isinstance(scene, Scene):
        hint = (
            " (to fit a folder, load it first: slahmr_opt.load_scene(path) or "
            "slahmr_opt.io.folder.load_scene_folder(path))"
            if isinstance(scene, (str, os.PathLike))
            else ""
        )
        raise InputError(f"solve: scene must be a Scene, got {type(scene).__name__}{hint}")
    cfg = resolve_config(config)
    if until not in UNTIL:
        raise InputError(f"until must be one of {list(UNTIL)}, got {until!r}")
    device = parse_device(device)
    dtype = getattr(torch, cfg.dtype)
    body_cpu = _prepare_body(body, dtype)
    body_dev = body_cpu if device.type == "cpu" else copy.deepcopy(body_cpu).to(device)
    vp, pose_prior_note = resolve_vposer(cfg, vposer)
    if vp is not None:
        vp = copy.deepcopy(vp).to(device=device, dtype=dtype)

    track_ids, dropped = fit_tracks(scene, cfg.reprojection.conf_threshold)
    for note in dropped:
        log.warning("track %s is not fitted: %s", note["track_id"], note["reason"])
    skipped = [note["track_id"] for note in dropped]
    if not track_ids:
        raise InputError(
            f"scene {scene.name!r}: no track can be fitted ("
            + "; ".join(f"{d['track_id']}: {d['reason']}" for d in dropped)
            + ")"
        )
    scene = shift_cameras(scene, cfg.init, track_ids)
    data = batch_scene(scene, track_ids, body_cpu, cfg.reprojection, device, dtype)
    alpha0 = initial_alpha(scene, body_cpu, cfg.init)
    variables = init_variables(scene, body_cpu, data, cfg.init, alpha0, vposer=vp)
    init_seconds = time.perf_counter() - started
    passes: dict[str, PassResult] = {
        "init": PassResult(
            name="init",
            people=variables_to_people(variables, data, body_dev, vp),
            alpha=alpha0,
            seconds=init_seconds,
            stop_reason="init",
            lr=0.0,
        )
    }
    alpha_init = {"value": alpha0, "method": "static" if data.is_static else cfg.init.alpha}
    alpha_optimized = False
    if data.is_static:
        alpha_note = "static cameras: α is not optimised (fixed at 1)"
    else:
        alpha_note = "α was not a free variable of any pass run"
    alpha_passes: list[str] = []

    run_names = PASS_NAMES[: UNTIL.index(until)]
    motion_prior = None
    if "motion" in run_names:
        motion_prior = resolve_prior(prior)
        if abs(float(scene.fps) - float(motion_prior.fps)) > 1e-6:
            raise ValueError(
                f"scene {scene.name!r}: fps is {scene.fps:g} but the motion prior runs at "
                f"{motion_prior.fps:g} fps; resample the scene explicitly "
                "(slahmr_opt.priors.resample_smpl) or stop before pass 3 (until='smooth')"
            )
    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if ckpt_dir is not None:
        for stale in remove_stale_tmp(ckpt_dir):  # left by a run killed while writing
            log.info("removed %s (an interrupted checkpoint write)", stale)
    hashes = (scene_digest(scene), body_digest(body_cpu)) if ckpt_dir is not None else ("", "")
    if ckpt_dir is not None and vp is not None:
        hashes = (hashes[0], hashes[1] + module_digest(vp))
    prior = pose_prior
    events: list[dict] = []
    for name in run_names:
        if name == "motion":
            motion_result, alpha_free = run_motion_pass(
                data,
                body_dev,
                cfg,
                variables,
                motion_prior,
                scene.fps,
                checkpoint_path=ckpt_dir / "motion.ckpt" if ckpt_dir is not None else None,
                fingerprint=pass_fingerprint(cfg, name, *hashes)
                + (prior_digest(motion_prior) if ckpt_dir is not None else ""),
                progress=progress,
                hooks=hooks,
                vposer=vp,
            )
            passes["motion"] = motion_result
            events.extend(motion_result.events)
            if alpha_free and motion_result.steps > 0:
                alpha_optimized = True
                alpha_passes.append("motion (LBFGS)")
                alpha_note = "α optimised in pass " + ", ".join(alpha_passes)
            continue
        pass_cfg = cfg.pass_config(name)
        free = tuple(pass_cfg.free)
        if data.is_static and "alpha" in free:
            free = tuple(v for v in free if v != "alpha")
            log.info("pass %s: static cameras, α stays fixed", name)
        profile = "alpha" in free and cfg.init.alpha_update == "profile"
        if prior is None and pass_cfg.weights.pose_prior > 0 and vp is None:
            prior = build_pose_prior(cfg, data)
        objective = PassObjective(
            data, body_dev, cfg, pass_cfg, prior, variables, profile, vposer=vp
        )
        schedule = None
        if pass_cfg.stop == "original":
            schedule = OriginalSchedule(data.num_frames, chunked=False)
        tensor_names = tuple(
            "latent_pose" if (v == "body_pose" and vp is not None) else v
            for v in free
            if not (profile and v == "alpha")
        )
        outcome = run_pass(
            name,
            variables.tensors(),
            lambda objective=objective: objective.terms(variables),
            pass_cfg,
            cfg.nan,
            free=tensor_names,
            checkpoint_path=ckpt_dir / f"{name}.ckpt" if ckpt_dir is not None else None,
            fingerprint=pass_fingerprint(cfg, name, *hashes),
            progress=progress,
            hooks=hooks,
            schedule=schedule,
            alpha_space=variables.alpha_space,
        )
        if "alpha" in free and outcome.steps > 0:
            alpha_optimized = True
            how = "profiled (exact minimiser)" if profile else "LBFGS"
            alpha_passes.append(f"{name} ({how})")
            alpha_note = "α optimised in pass " + ", ".join(alpha_passes)
        events.extend(outcome.events)
        alpha = float(variables.alpha.detach()[0])
        passes[name] = pass_result(
            name, variables_to_people(variables, data, body_dev, vp), alpha, outcome
        )
        log.info(
            "pass %s: %d steps, %d evaluations, %.2f s, α = %.4g, %s",
            name,
            outcome.steps,
            outcome.closures,
            outcome.seconds,
            alpha,
            outcome.stop_reason,
        )

    last = passes[list(passes)[-1]]
    timings = {k: p.seconds for k, p in passes.items()}
    timings["total"] = float(sum(timings.values()))  # every run's work, as the passes
    timings["this_run"] = time.perf_counter() - started
    return Result(
        people=last.people,
        alpha=last.alpha,
        alpha_optimized=alpha_optimized,
        alpha_note=alpha_note,
        alpha_init=alpha_init,
        passes=passes,
        config=cfg.to_dict(),
        cameras=scene.cameras,
        fps=scene.fps,
        scene_name=scene.name,
        skipped_tracks=skipped,
        dropped_tracks=dropped,
        events=events,
        timings=timings,
        pose_prior_note=pose_prior_note,
    )
