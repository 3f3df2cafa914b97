"""``slahmr-opt bench-slahmr``: how fast the faithful ``slahmr`` preset runs, beside the original.

It fits one synthetic scene (2 people × 100 frames by default) with all three passes of the
``slahmr`` preset and prints, per pass, the wall and CPU seconds, the outer steps, the energy
evaluations ("closures", each with its gradient) and the cost of one closure, next to the
original's figures measured on the same kind of machine (reference/slahmr-original-speed.md:
vye16/slahmr @ 58518fe, 2-core CPU, 2 people × 100 frames, SMPL-H, HuMoR at its original widths,
VPoser v1). It then times single closures of each pass at the original's network sizes — a
randomly initialised HuMoR of the original widths and a VPoser v1 of 512 neurons — so that the
per-closure numbers compare like with like (the shipped prior is smaller). Every number is also
written to ``--json``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

from slahmr_opt.apps.common import add_threads_option, positive_int, set_threads

ORIGINAL = {
    "source": "reference/slahmr-original-speed.md (vye16/slahmr @ 58518fe, 2-core CPU, torch "
    "2.13, 2 threads, 2 people, SMPL-H, HuMoR original widths, VPoser v1)",
    "frames": 100,
    "root": {"closure_s": 0.39, "step_s": 9.0, "pass_s": 93.0},
    "smooth": {"closure_s": 0.37, "step_s": 8.1, "pass_s": 280.0},
    "motion": {
        "closure_s_h10": 2.19,
        "closure_s_hT": 4.01,
        "step_s": "47-89",
        "pass_s": "5900-15500 (1.65-4.3 h, schedule extrapolated)",
    },
}
"""The original's figures at T = 100 (per closure: one energy evaluation with its gradient)."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``bench-slahmr`` subcommand."""
    p = sub.add_parser(
        "bench-slahmr",
        help="speed of the faithful slahmr preset (all three passes), beside the original's",
    )
    p.add_argument("--people", type=positive_int, default=2)
    p.add_argument("--frames", type=positive_int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--preset", default="medium", help="noise preset of the synthetic scene")
    p.add_argument("--camera", default="handheld")
    add_threads_option(p)
    p.add_argument("--vposer", default=None, help="the user's VPoser folder or file (optional)")
    p.add_argument(
        "--repeats", type=positive_int, default=5, help="timed closures (the best is kept)"
    )
    p.add_argument(
        "--closures-only",
        action="store_true",
        help="only time single closures (no full solve)",
    )
    p.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    p.set_defaults(func=run, outputs=(("json", "file"),), inputs=("vposer",))


def _time_closure(energy, params, repeats: int) -> dict[str, float]:
    """Best CPU and wall seconds of ``energy()`` plus its backward pass."""
    best_cpu = best_wall = math.inf
    for _ in range(repeats):
        for p in params:
            p.grad = None
        c0, w0 = time.process_time(), time.perf_counter()
        total = sum(energy().values())
        total.backward()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return {"cpu_s": best_cpu, "wall_s": best_wall}


def closure_costs(scene, body, vposer, repeats: int, original_sizes: bool) -> dict[str, dict]:
    """Seconds of one closure of each pass of the ``slahmr`` preset (at T and, for pass 3, at the
    first and the full horizon)."""
    import copy

    import torch

    from slahmr_opt.config import preset
    from slahmr_opt.priors.humor import HumorConfig, HumorPrior, MotionPrior, load_prior
    from slahmr_opt.priors.vposer import VPoser
    from slahmr_opt.solver.motion import MotionProblem
    from slahmr_opt.solver.stages import PassObjective, build_pose_prior
    from slahmr_opt.solver.variables import (
        batch_scene,
        init_variables,
        shift_cameras,
        solver_tracks,
    )

    cfg = preset("slahmr")
    prior = load_prior(None)
    if original_sizes:
        torch.manual_seed(0)
        model = HumorPrior(HumorConfig.original()).eval()
        prior = MotionPrior(model=model, gmm=prior.gmm, source="random (original widths)", meta={})
        if vposer is None:
            vposer = VPoser("v1", 512, 32)
    scene = shift_cameras(scene, cfg.init)
    data = batch_scene(scene, solver_tracks(scene), body, cfg.reprojection)
    variables = init_variables(scene, body, data, cfg.init, 1.0, vposer=vposer)
    out: dict[str, dict] = {}
    for name in ("root", "smooth"):
        pass_cfg = cfg.pass_config(name)
        pose_prior = None if vposer is not None else build_pose_prior(cfg, data)
        obj = PassObjective(data, body, cfg, pass_cfg, pose_prior, variables, vposer=vposer)
        tensors = variables.tensors()
        free = [
            "latent_pose" if (v == "body_pose" and vposer is not None) else v for v in pass_cfg.free
        ]
        params = [tensors[k] for k in free]
        for t in tensors.values():
            t.requires_grad_(False)
        for p in params:
            p.requires_grad_(True)
        out[name] = _time_closure(lambda obj=obj: obj.terms(variables), params, repeats)
        for p in params:
            p.requires_grad_(False)
    problem = MotionProblem(
        data, body, cfg, cfg.motion, prior, copy.copy(variables), scene.fps, vposer=vposer
    )
    free = problem.free_names()
    for k in free:
        problem.variables[k].requires_grad_(True)
    params = [problem.variables[k] for k in free]
    T = data.num_frames
    for H in (cfg.motion.chunk_size, T):
        out[f"motion_h{H}"] = _time_closure(
            lambda H=H: problem.evaluate(H).terms, params, max(1, repeats // 2)
        )
    return out


def run(args: argparse.Namespace) -> int:
    import torch

    from slahmr_opt.body import BodyModel
    from slahmr_opt.files import write_json_atomic
    from slahmr_opt.priors.vposer import load_vposer
    from slahmr_opt.solver import solve
    from slahmr_opt.solver.optimize import SolverHooks
    from slahmr_opt.synth.scene import make_scene

    set_threads(args.threads)
    body = BodyModel.standin()
    scene, _ = make_scene(
        num_people=args.people,
        num_frames=args.frames,
        preset=args.preset,
        camera=args.camera,
        seed=args.seed,
        body=body,
    )
    vposer = load_vposer(args.vposer) if args.vposer else None
    report: dict = {
        "scene": {
            "people": args.people,
            "frames": args.frames,
            "seed": args.seed,
            "preset": args.preset,
            "camera": args.camera,
        },
        "threads": torch.get_num_threads(),
        "original": ORIGINAL,
    }
    print(
        f"slahmr preset, {args.people} people × {args.frames} frames ({args.camera}, "
        f"{args.preset}, seed {args.seed}), {torch.get_num_threads()} thread(s), stand-in body, "
        f"{'VPoser ' + vposer.version if vposer else 'no VPoser (open pose prior)'}"
    )
    if not args.closures_only:
        marks: dict[str, float] = {}  # CPU seconds at the end of each pass's last step

        def after_step(name: str, step: int) -> None:
            marks[name] = time.process_time()

        c0, w0 = time.process_time(), time.perf_counter()
        result = solve(
            scene,
            config="slahmr",
            body=body,
            progress=False,
            vposer=vposer,
            hooks=SolverHooks(after_step=after_step),
        )
        total_cpu, total_wall = time.process_time() - c0, time.perf_counter() - w0
        passes = {}
        print(
            "\nfull run (shipped prior); CPU seconds are this process's (the machine may be shared)"
        )
        print(
            f"{'pass':<8}{'steps':>7}{'closures':>10}{'CPU s':>9}{'wall s':>9}{'CPU s/closure':>15}"
            f"{'stop':>11}   original: s/closure, s/pass"
        )
        previous = c0
        for name in ("root", "smooth", "motion"):
            p = result.passes[name]
            cpu = marks.get(name, previous) - previous
            previous = marks.get(name, previous)
            per = cpu / max(p.closures, 1)
            orig = ORIGINAL[name]
            orig_c = orig.get(
                "closure_s", f"{orig.get('closure_s_h10')}-{orig.get('closure_s_hT')}"
            )
            print(
                f"{name:<8}{p.steps:>7}{p.closures:>10}{cpu:>9.1f}{p.seconds:>9.1f}{per:>15.4f}"
                f"{p.stop_reason:>11}   {orig_c}, {orig['pass_s']}"
            )
            passes[name] = {
                "steps": p.steps,
                "closures": p.closures,
                "cpu_s": cpu,
                "wall_s": p.seconds,
                "cpu_s_per_closure": per,
                "stop_reason": p.stop_reason,
            }
        print(
            f"all three passes: {total_cpu:.1f} s CPU, {total_wall:.1f} s wall "
            "(original: ≈ 6 min for passes 1-2 + 1.7-4.3 h for pass 3)"
        )
        report["run"] = {"passes": passes, "wall_s": total_wall, "cpu_s": total_cpu}
    costs = {}
    for label, original_sizes in (("shipped", False), ("original_sizes", True)):
        costs[label] = closure_costs(scene, body, vposer, args.repeats, original_sizes)
    report["closure"] = costs
    T = args.frames
    print("\none closure (energy + gradient), best of repeats, CPU seconds")
    print(f"{'pass':<12}{'shipped prior':>15}{'original sizes':>16}{'original code':>15}")
    rows = [
        ("root", "root", ORIGINAL["root"]["closure_s"]),
        ("smooth", "smooth", ORIGINAL["smooth"]["closure_s"]),
        ("motion H=10", "motion_h10", ORIGINAL["motion"]["closure_s_h10"]),
        (f"motion H={T}", f"motion_h{T}", ORIGINAL["motion"]["closure_s_hT"]),
    ]
    for label, key, orig in rows:
        a, b = costs["shipped"][key]["cpu_s"], costs["original_sizes"][key]["cpu_s"]
        print(f"{label:<12}{a:>15.4f}{b:>16.4f}{orig:>15.2f}")
    print(
        "(original sizes: random HuMoR at 1024/1024/512 widths and VPoser v1 with 512 "
        "neurons; the original's figures are for T = 100)"
    )
    if args.json:
        write_json_atomic(Path(args.json), json.loads(json.dumps(report)))
        print(f"wrote {args.json}")
    return 0
