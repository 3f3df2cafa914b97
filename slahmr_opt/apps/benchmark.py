"""The synthetic benchmark: methods × seeded synthetic scenes → one metrics table.

A *method* is a function ``(scene, body) -> WorldEstimate``. Rows pool every person's per-frame
errors over all scenes (frame-weighted, as WHAM/GVHMR report); scene-level numbers (scale, floor,
camera ATE) are averaged over scenes. Wall time per method is reported too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from tqdm.auto import tqdm

from slahmr_opt.body.model import BodyModel
from slahmr_opt.eval import metrics as M
from slahmr_opt.eval.evaluate import EvalReport, evaluate_estimate
from slahmr_opt.reprs import short_repr
from slahmr_opt.result import WorldEstimate
from slahmr_opt.scene import GroundTruth, Scene
from slahmr_opt.solver.world_init import naive_composition

Method = Callable[[Scene, BodyModel], "WorldEstimate | Mapping[str, WorldEstimate]"]
"""A method maps (scene, body) to one estimate, or to several named ones (e.g. one per solver
pass, from a single run); each named estimate becomes its own row ``"<method>: <name>"``."""

MOVING_RIGS = ("handheld", "orbit", "pan_tilt")


def naive_method(alpha: float | str) -> Method:
    """The naive composition as a benchmark method (see ``solver.world_init``)."""

    def run(scene: Scene, body: BodyModel) -> WorldEstimate:
        people, used = naive_composition(scene, body, alpha=alpha)
        return WorldEstimate(
            people=people, alpha=used, cameras=scene.cameras, fps=scene.fps, method=f"naive-{alpha}"
        )

    return run


def solver_method(
    preset: str, until: str = "motion", overrides: Mapping[str, str] | None = None
) -> Method:
    """The solver as a benchmark method: one row per pass (``pass 1 (root)``,
    ``pass 2 (smooth)``, ``pass 3 (motion)``).

    Args:
        preset: solver preset (``"fast"`` or ``"slahmr"``).
        until: last pass to run.
        overrides: ``--set``-style config overrides (``{"smooth.iterations": "30"}``).
    """
    from slahmr_opt.config import apply_overrides
    from slahmr_opt.config import preset as make_preset
    from slahmr_opt.solver import solve

    config = make_preset(preset)
    if overrides:
        config = apply_overrides(config, overrides)
    labels = {"root": "pass 1 (root)", "smooth": "pass 2 (smooth)", "motion": "pass 3 (motion)"}

    def run(scene: Scene, body: BodyModel) -> dict[str, WorldEstimate]:
        result = solve(scene, config=config, body=body, until=until, progress=False)
        out = {}
        for name, label in labels.items():
            if name in result.passes:
                est = result.to_estimate(name)
                est.meta = {"seconds": result.passes[name].seconds}
                out[label] = est
        return out

    return run


METHOD_NAMES = ("naive", "fast", "slahmr")


def default_methods(names: Sequence[str] = METHOD_NAMES) -> dict[str, Method]:
    """Benchmark methods by family name: ``naive`` (two rows: SLAM scale and median α),
    ``fast`` and ``slahmr`` (the solver presets, one row per pass)."""
    methods: dict[str, Method] = {}
    for name in names:
        if name == "naive":
            methods["naive (α = 1, SLAM units)"] = naive_method("slam")
            methods["naive (α from median displacement)"] = naive_method("median")
        elif name in ("fast", "slahmr"):
            methods[name] = solver_method(name)
        else:
            raise ValueError(f"unknown benchmark method {name!r}; expected one of {METHOD_NAMES}")
    return methods


@dataclass
class BenchConfig:
    """What to benchmark.

    Attributes:
        preset: noise preset of the synthetic scenes (``easy``, ``medium``, ``hard``).
        people: people per scene.
        frames: frames per scene.
        scenes: number of scenes (seeds ``seed .. seed + scenes − 1``).
        seed: first seed.
        camera: a camera rig, or ``"mixed"`` to cycle through the moving rigs.
        with_pve: also compute PVE (poses full meshes; slower).
    """

    preset: str = "medium"
    people: int = 2
    frames: int = 300
    scenes: int = 5
    seed: int = 0
    camera: str = "mixed"
    with_pve: bool = True


@dataclass
class BenchResult:
    """Benchmark output: one row of metrics per method, plus per-scene details and timings."""

    __repr__ = short_repr

    config: BenchConfig
    rows: dict[str, dict[str, float]] = field(default_factory=dict)
    per_scene: list[dict] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def table(self) -> str:
        """The metrics table (text)."""
        return M.format_table(self.rows)

    def to_json(self) -> dict:
        return {
            "config": asdict(self.config),
            "rows": self.rows,
            "per_scene": self.per_scene,
            "seconds_per_scene": self.seconds,
            "units": M.METRIC_UNITS,
        }


def scene_camera(config: BenchConfig, index: int) -> str:
    """The camera rig of the ``index``-th scene."""
    return MOVING_RIGS[index % len(MOVING_RIGS)] if config.camera == "mixed" else config.camera


def run_benchmark(
    config: BenchConfig,
    methods: Mapping[str, Method] | None = None,
    body: BodyModel | None = None,
    scenes: Sequence[tuple[Scene, GroundTruth]] | None = None,
    progress: bool = True,
) -> BenchResult:
    """Run every method on every synthetic scene and tabulate the metrics.

    Args:
        config: scene settings.
        methods: name → method (default :func:`default_methods`).
        body: body model (default: the stand-in).
        scenes: pre-made (scene, ground truth) pairs; made from ``config`` when None.
        progress: show a tqdm bar.

    Returns:
        a :class:`BenchResult`.
    """
    from slahmr_opt.synth.scene import make_scene

    body = body or BodyModel.standin()
    methods = dict(methods or default_methods())
    if scenes is None:
        scenes = [
            make_scene(
                num_people=config.people,
                num_frames=config.frames,
                preset=config.preset,
                camera=scene_camera(config, i),
                seed=config.seed + i,
                body=body,
            )
            for i in range(config.scenes)
        ]
    reports: dict[str, list[EvalReport]] = {}
    seconds: dict[str, list[float]] = {}
    result = BenchResult(config=config)
    jobs = [(i, name) for i in range(len(scenes)) for name in methods]
    for i, name in tqdm(jobs, desc="bench", disable=not progress, leave=False):
        scene, gt = scenes[i]
        start = time.perf_counter()
        produced = methods[name](scene, body)
        elapsed = time.perf_counter() - start
        if isinstance(produced, WorldEstimate):
            produced = {"": produced}
        for sub, estimate in produced.items():
            row = f"{name}: {sub}" if sub else name
            row_seconds = float(estimate.meta.get("seconds", elapsed)) if sub else elapsed
            report = evaluate_estimate(
                estimate.people,
                gt,
                body,
                alpha=estimate.alpha,
                cameras=estimate.cameras,
                floor=estimate.floor,
                with_pve=config.with_pve,
            )
            reports.setdefault(row, []).append(report)
            seconds.setdefault(row, []).append(row_seconds)
            result.per_scene.append(
                {
                    "scene": i,
                    "seed": config.seed + i,
                    "method": row,
                    "camera": scene.provenance.get("camera_rig", ""),
                    "true_alpha": gt.alpha,
                    "alpha": estimate.alpha,
                    "seconds": row_seconds,
                    **report.summary(),
                }
            )
    for name in reports:
        per_person = [p for r in reports[name] for p in r.per_person.values()]
        row = M.aggregate(per_person)
        for key in ("scale_error", "floor_angle", "floor_offset", "camera_ate"):
            values = [r.scene[key] for r in reports[name] if key in r.scene]
            if values:
                row[key] = float(np.mean(values))
        result.rows[name] = row
        result.seconds[name] = float(np.mean(seconds[name]))
    return result
