"""The end-to-end demo behind ``make demo`` / ``slahmr-opt demo``.

It runs everything the library can do on built-in data, prints what it did and writes its
results under the output folder.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used, so that ``slahmr-opt --help`` stays fast
    import torch

    from slahmr_opt.body import BodyModel


def walking_pose(num_body_joints: int = 23) -> torch.Tensor:
    """A mid-stride walking pose for pictures: (num_body_joints, 3) axis-angle.

    Left leg forward, right leg back with a bent knee, arms swinging opposite to the legs.
    Indices are SMPL joints minus one (body_pose excludes the pelvis).
    """
    import torch

    pose = torch.zeros(num_body_joints, 3)

    def set_(joint: int, rotvec: tuple[float, float, float]) -> None:
        pose[joint - 1] = torch.tensor(rotvec)

    set_(1, (-0.45, 0.0, 0.0))  # left hip flexed forward
    set_(2, (0.35, 0.0, 0.0))  # right hip extended back
    set_(4, (0.15, 0.0, 0.0))  # left knee, slightly bent
    set_(5, (0.7, 0.0, 0.0))  # right knee bent (swing)
    set_(8, (-0.2, 0.0, 0.0))  # right ankle
    set_(16, (0.35, 0.0, -1.2))  # left arm down from the T-pose, swinging back
    set_(17, (-0.35, 0.0, 1.2))  # right arm down, swinging forward
    set_(18, (0.0, -0.3, 0.0))  # left elbow
    set_(19, (0.0, 0.3, 0.0))  # right elbow
    return pose


def body_demo(out: Path) -> dict:
    """Build the stand-in body, pose it three ways, time the evaluation paths, draw it.

    Returns:
        a summary dict (also printed).
    """
    import torch

    from slahmr_opt.body import BodyModel
    from slahmr_opt.body.benchmark import time_body_paths
    from slahmr_opt.vis.mesh_plot import meshes_to_png

    start = time.perf_counter()
    body = BodyModel.standin()
    built = time.perf_counter() - start
    zero = torch.zeros(1, 3)
    rest = torch.zeros(1, body.num_body_joints, 3)
    walk = walking_pose(body.num_body_joints)[None]
    betas0 = torch.zeros(1, 10)
    tall = torch.zeros(1, 10)
    tall[0, 0] = 2.0
    with torch.no_grad():
        meshes = [
            body.vertices(zero, rest, betas0)[0],
            body.vertices(zero, walk, betas0)[0],
            body.vertices(zero, walk, tall)[0],
        ]
        joints, landmarks = body.keypoints(zero, walk, betas0)
    heights = [float(m[:, 1].max() - m[:, 1].min()) for m in meshes]
    png = meshes_to_png(
        [m.numpy() for m in meshes],
        body.faces,
        out / "standin.png",
        titles=["T-pose, β=0", "walking pose, β=0", "walking pose, β0=+2 (taller)"],
    )
    timings = time_body_paths(body, frames=1000, repeats=2)
    print("== stand-in body ==")
    print(
        f"built/loaded in {built:.2f} s from the cache: {body.source}, {body.model_type}, "
        f"{meshes[0].shape[0]} vertices, {body.faces.shape[0]} faces, {body.num_joints} joints"
    )
    print(f"height: T-pose β=0 {heights[0]:.3f} m, β0=+2 {heights[2]:.3f} m")
    print(
        f"walking pose: {joints.shape[-2]} joints, {landmarks.shape[-2]} landmarks, "
        f"left big toe at {landmarks[0, 5].numpy().round(3)} m"
    )
    print("evaluation paths, seconds per 1000 frames (forward / forward+backward):")
    for t in timings:
        print(f"  {t.path:<18} {t.forward_s:8.4f} / {t.forward_backward_s:8.4f}")
    print(f"picture: {png}")
    return {"heights": heights, "png": str(png), "timings": [t.__dict__ for t in timings]}


def scene_demo(out: Path, body: BodyModel, frames: int = 300, seed: int = 0) -> dict:
    """Make a synthetic 2-person scene with a moving camera, reconstruct it with the naive
    composition and the solver's passes, score everything against the truth.

    Writes ``out/scene`` (the scene folder with gt.npz), one result folder per method under
    ``out/results`` and ``out/metrics.json``; prints the metric table.
    """
    import numpy as np

    from slahmr_opt.eval.evaluate import evaluate_estimate
    from slahmr_opt.eval.metrics import format_table
    from slahmr_opt.files import write_json_atomic
    from slahmr_opt.io.results import save_estimate
    from slahmr_opt.io.scene_folder import load_ground_truth, load_scene
    from slahmr_opt.result import WorldEstimate
    from slahmr_opt.solver.world_init import naive_composition
    from slahmr_opt.synth.scene import write_synthetic_scene

    scene_dir = write_synthetic_scene(
        out / "scene",
        num_people=2,
        num_frames=frames,
        preset="medium",
        camera="orbit",
        seed=seed,
        body=body,
    )
    scene, gt = load_scene(scene_dir), load_ground_truth(scene_dir)
    print(f"\n== synthetic scene ({scene_dir}) ==")
    print(
        f"{len(scene.tracks)} people, {scene.num_frames} frames at {scene.fps:g} fps, orbiting "
        f"camera, preset medium; true world scale α = {gt.alpha:.3f}"
    )
    rows = {}
    for name, alpha in (
        ("naive (α = 1, SLAM units)", "slam"),
        ("naive (α from median displacement)", "median"),
    ):
        start = time.perf_counter()
        people, used = naive_composition(scene, body, alpha=alpha)
        estimate = WorldEstimate(
            people=people, alpha=used, cameras=scene.cameras, fps=scene.fps, method=f"naive-{alpha}"
        )
        seconds = time.perf_counter() - start
        save_estimate(estimate, out / "results" / f"naive-{alpha}")
        report = evaluate_estimate(
            people, gt, body, alpha=used, cameras=scene.cameras, with_pve=True
        )
        rows[name] = report.summary()
        print(f"{name}: α = {used:.3f} ({seconds:.2f} s)")

    from slahmr_opt.io.results import save_result
    from slahmr_opt.solver import solve
    from slahmr_opt.vis.trajectory import trajectory_plotter

    result = solve(scene, config="fast", body=body, checkpoint_dir=out / "checkpoints")
    labels = {
        "root": "solver fast: pass 1 (root)",
        "smooth": "solver fast: pass 2 (smooth)",
        "motion": "solver fast: pass 3 (motion)",
    }
    for name, label in labels.items():
        estimate = result.to_estimate(name)
        report = evaluate_estimate(
            estimate.people,
            gt,
            body,
            alpha=estimate.alpha,
            cameras=scene.cameras,
            floor=estimate.floor,
            with_pve=True,
        )
        rows[label] = report.summary()
        print(f"{label}: α = {estimate.alpha:.3f} ({result.passes[name].seconds:.2f} s)")
    run_dir = save_result(
        result,
        out / "results" / "fast",
        scene=scene,
        body=body,
        plot=trajectory_plotter(body=body, ground_truth=gt),
    )
    if result.floor is not None:
        n, d = result.floor
        print(
            f"floor: normal {np.round(n, 3).tolist()} "
            f"(true {np.round(gt.floor_normal, 3).tolist()}), offset {d:.3f} m "
            f"(true {gt.floor_offset:.3f} m at the true scale)"
        )
    print(
        f"result folder: {run_dir} (load it with slahmr_opt.load_result); plot: "
        f"{run_dir / 'trajectory.png'}"
    )
    views_demo(run_dir, scene, body)
    print(format_table(rows))
    write_json_atomic(
        out / "metrics.json", {"scene": str(scene_dir), "true_alpha": gt.alpha, "rows": rows}
    )
    print(f"results: {out / 'results'}, metrics: {out / 'metrics.json'}")
    return rows


def views_demo(run_dir: Path, scene, body: BodyModel, frames: tuple[int, int] = (0, 60)) -> None:
    """Write a short overlay video (passes smooth and motion side by side, with the input
    keypoints) and a GLB of the result next to its plot."""
    from slahmr_opt.export import export_glb
    from slahmr_opt.vis.overlay import OverlayConfig, render_overlay

    start = time.perf_counter()
    video = render_overlay(
        run_dir,
        run_dir / "overlay.mp4",
        scene=scene,
        body=body,
        passes="smooth,motion",
        frames=frames,
        config=OverlayConfig(keypoints=True, max_width=480),
        progress=False,
    )
    print(
        f"overlay video (frames {frames[0]}–{frames[1] - 1}, smooth | motion): {video} "
        f"({time.perf_counter() - start:.1f} s)"
    )
    start = time.perf_counter()
    try:
        glb = export_glb(run_dir, run_dir, body=body)
    except ValueError as exc:  # pygltflib is an optional extra
        print(f"GLB skipped: {exc}")
        return
    print(f"GLB (skinned people, floor, camera): {glb} ({time.perf_counter() - start:.1f} s)")


def run_demo(out: Path) -> int:
    """Run the demo into ``out``; returns a process exit code."""
    import torch

    from slahmr_opt.body import BodyModel

    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    start = time.perf_counter()
    body_demo(out)
    scene_demo(out, BodyModel.standin())
    print(f"\ndemo finished in {time.perf_counter() - start:.1f} s; everything is under {out}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    return run_demo(Path(args.out))


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the end-to-end demo on built-in data and write results")
    p.add_argument("--out", default="runs/demo", help="output folder (default: runs/demo)")
    p.set_defaults(func=_cmd_demo, outputs=(("out", "folder"),), inputs=())
