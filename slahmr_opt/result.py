"""What a method produces for a scene: world motion per person, world scale, cameras, floor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from slahmr_opt.reprs import short_repr
from slahmr_opt.scene import Cameras, GroundTruth, PersonMotion

if TYPE_CHECKING:
    from slahmr_opt.body import BodyModel
    from slahmr_opt.eval.evaluate import EvalReport

TIMINGS_COVER = (
    "seconds per pass over every run that worked on it (a resumed pass adds the earlier runs' "
    "time); total: their sum; this_run: wall time of the call that returned the result"
)

FRAMES = ("world", "floor")
"""Coordinate frames of :meth:`WorldEstimate.joints`: the metric SLAM world, or the floor-aligned
frame (+z up, floor at z = 0; docs/conventions.md)."""


def _joints_of(person: PersonMotion, body: BodyModel) -> np.ndarray:
    """(T, J, 3) posed joints of one person (all the body's joints), float64, metres."""
    import torch

    dtype = body.joint_template0.dtype
    with torch.no_grad():
        out = body(
            torch.as_tensor(person.global_orient, dtype=dtype),
            torch.as_tensor(person.body_pose, dtype=dtype),
            torch.as_tensor(person.betas[: body.num_betas], dtype=dtype),
            torch.as_tensor(person.transl, dtype=dtype),
        )
    return out.joints.double().cpu().numpy()


@dataclass(eq=False)
class WorldEstimate:
    """A world-grounded estimate of everybody's motion in one scene.

    Attributes:
        people: world SMPL motion per track (metric, SLAM world frame).
        alpha: world scale used (metres per SLAM unit). Positive, except that the ``slahmr``
            preset optimises α itself as the original does, and it can end at or below 0.
        cameras: the SLAM cameras (world→camera, SLAM units); metric ones are ``t·alpha``.
        fps: frame rate, Hz.
        floor: ``(up normal (3,), offset d)`` of the plane ``n·x = d``, or None if not estimated.
        method: a short name (``"naive-median"``, ``"smooth"``, ...).
        meta: JSON-serialisable extra information (config, timings, notes).
    """

    __repr__ = short_repr

    people: list[PersonMotion]
    alpha: float
    cameras: Cameras
    fps: float
    floor: tuple[np.ndarray, float] | None = None
    method: str = "estimate"
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not np.isfinite(self.alpha):
            raise ValueError(f"WorldEstimate: alpha must be a finite number, got {self.alpha}")
        if self.fps <= 0:
            raise ValueError(f"WorldEstimate: fps must be > 0, got {self.fps}")
        ids = [p.track_id for p in self.people]
        if len(set(ids)) != len(ids):
            raise ValueError(f"WorldEstimate: duplicate person ids {ids}")

    def joints(self, frame: str = "world", body: BodyModel | None = None) -> dict[str, np.ndarray]:
        """Every person's posed joints.

        Args:
            frame: ``"world"`` (metric SLAM world) or ``"floor"`` (floor-aligned: +z up, floor at
                z = 0, origin under camera 0; needs an estimated floor).
            body: the body model of the estimate (default: the open stand-in, as ``solve``).

        Returns:
            track id → (T_i, J, 3) joints (J = the body's joints, SMPL's 24 first), metres.
        """
        if frame not in FRAMES:
            raise ValueError(f"frame must be one of {FRAMES}, got {frame!r}")
        if body is None:
            from slahmr_opt.body import BodyModel

            body = BodyModel.standin()
        out = {p.track_id: _joints_of(p, body) for p in self.people}
        if frame == "floor":
            from slahmr_opt.geometry.floor import floor_aligned_transform, points_world_to_floor

            if self.floor is None:
                raise ValueError(
                    f"frame='floor': the estimate {self.method!r} has no floor (run the motion "
                    "pass, which estimates it)"
                )
            T = floor_aligned_transform(self.floor[0], self.floor[1], self.cameras, self.alpha)
            out = {k: points_world_to_floor(v, T) for k, v in out.items()}
        return out

    def evaluate(
        self, gt: GroundTruth, body: BodyModel | None = None, **options: Any
    ) -> EvalReport:
        """Score against ground truth with the WHAM/GVHMR protocol
        (:func:`slahmr_opt.eval.evaluate.evaluate_estimate`; ``report.summary()`` gives the
        numbers).

        Args:
            gt: the scene's ground truth (e.g. :func:`slahmr_opt.load_ground_truth`).
            body: the body model of both sides (default: the open stand-in).
            **options: ``with_pve``, ``root_source``, ``tail`` of ``evaluate_estimate``.
        """
        from slahmr_opt.eval.evaluate import evaluate_estimate  # a facade: eval sits above

        if body is None:
            from slahmr_opt.body import BodyModel

            body = BodyModel.standin()
        return evaluate_estimate(
            self.people,
            gt,
            body,
            alpha=self.alpha,
            cameras=self.cameras,
            floor=self.floor,
            **options,
        )

    def person(self, track_id: str) -> PersonMotion:
        for p in self.people:
            if p.track_id == track_id:
                return p
        raise KeyError(f"no person {track_id!r}; people are {[p.track_id for p in self.people]}")


@dataclass(eq=False)
class PassResult:
    """The state after one solver pass, and how the pass went.

    Attributes:
        name: ``"init"`` (the world initialisation), ``"root"``, ``"smooth"`` or ``"motion"``.
        people: world SMPL motion per track after the pass (T_i frames each).
        alpha: world scale after the pass.
        history: term → weighted energy at the start and after each outer step (``"total"``
            too); empty for ``"init"``.
        steps: outer LBFGS steps completed.
        closures: energy-and-gradient evaluations.
        seconds: wall time of the pass.
        stop_reason: ``"completed"``, ``"converged"``, ``"unchanged"`` (the original's rule:
            the loss did not change right after an update), ``"non-finite"``, ``"skipped"`` or
            ``"init"``.
        lr: final LBFGS lr (halved after each non-finite failure).
        events: non-finite events of the pass (also in the log).
        resumed_from: outer step the pass resumed from a checkpoint, or None.
        floor: ``(up normal (3,), offset d)`` of the world floor plane ``n·x = d`` (metres),
            estimated by the motion pass; None for passes that do not estimate it.
    """

    __repr__ = short_repr

    name: str
    people: list[PersonMotion]
    alpha: float
    history: dict[str, list[float]] = field(default_factory=dict)
    steps: int = 0
    closures: int = 0
    seconds: float = 0.0
    stop_reason: str = "completed"
    lr: float = 1.0
    events: list[dict] = field(default_factory=list)
    resumed_from: int | None = None
    floor: tuple[np.ndarray, float] | None = None

    def summary(self) -> dict[str, Any]:
        """JSON-ready scalars of the pass (no arrays)."""
        final = {k: v[-1] for k, v in self.history.items() if v}
        return {
            "name": self.name,
            "alpha": self.alpha,
            "steps": self.steps,
            "closures": self.closures,
            "seconds": self.seconds,
            "stop_reason": self.stop_reason,
            "lr": self.lr,
            "final_energy": final,
            "events": self.events,
            "resumed_from": self.resumed_from,
            "floor": None
            if self.floor is None
            else {"normal": [float(x) for x in self.floor[0]], "offset": float(self.floor[1])},
        }


@dataclass(eq=False)
class Result:
    """What ``slahmr_opt.solve`` returns.

    Attributes:
        people: world SMPL motion per track after the last pass run (T_i frames each).
        alpha: world scale after the last pass (metres per SLAM unit).
        alpha_optimized: whether α was a free variable in some pass.
        alpha_note: why α was or was not optimised (e.g. ``"static cameras: α fixed at 1"``).
        alpha_init: the starting α and how it was chosen (``"one"``, ``"median"``, a number).
        passes: pass name → :class:`PassResult`, in run order (``"init"`` first).
        config: the resolved solver config (JSON-ready dict).
        cameras: the scene's SLAM cameras (world→camera, SLAM units).
        fps: frame rate (Hz).
        scene_name: the scene's name.
        skipped_tracks: ids of the tracks that were not fitted.
        dropped_tracks: why each of them was not fitted (``{"track_id", "reason"}``), including
            those the reader left out (``scene.provenance["dropped_tracks"]``).
        events: every non-finite event of every pass.
        timings: seconds per pass, ``"total"`` (their sum) and ``"this_run"``. A pass resumed
            from a checkpoint counts the time of every run that worked on it (a pass that was
            complete in its checkpoint keeps the earlier run's time); ``"this_run"`` is the wall
            time of this call only. :meth:`timings_text` says which is which.
        pose_prior_note: which pose prior the passes used (VPoser or the open prior, and why).
    """

    __repr__ = short_repr

    people: list[PersonMotion]
    alpha: float
    alpha_optimized: bool
    alpha_note: str
    alpha_init: dict[str, Any]
    passes: dict[str, PassResult]
    config: dict[str, Any]
    cameras: Cameras
    fps: float
    scene_name: str = "scene"
    skipped_tracks: list[str] = field(default_factory=list)
    dropped_tracks: list[dict[str, str]] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    pose_prior_note: str = ""

    @property
    def floor(self) -> tuple[np.ndarray, float] | None:
        """The floor of the last pass that estimated one (``(up normal (3,), offset)``), or None."""
        for p in reversed(list(self.passes.values())):
            if p.floor is not None:
                return p.floor
        return None

    @property
    def last_pass(self) -> str:
        """Name of the last pass run."""
        return list(self.passes)[-1]

    def to_estimate(self, pass_name: str | None = None) -> WorldEstimate:
        """The state after ``pass_name`` (default: the last pass) as a :class:`WorldEstimate`.

        Args:
            pass_name: ``"init"``, ``"root"`` or ``"smooth"`` (a pass that was run).
        """
        name = pass_name or self.last_pass
        if name not in self.passes:
            raise ValueError(f"pass_name must be one of {list(self.passes)}, got {name!r}")
        p = self.passes[name]
        return WorldEstimate(
            people=p.people,
            alpha=p.alpha,
            cameras=self.cameras,
            fps=self.fps,
            floor=p.floor,
            method=f"slahmr-opt {self.config.get('preset', '')} {name}".strip(),
            meta=self.summary(),
        )

    def joints(
        self, frame: str = "world", body: BodyModel | None = None, pass_name: str | None = None
    ) -> dict[str, np.ndarray]:
        """Posed joints after ``pass_name`` (default: the last pass) in the ``"world"`` or
        ``"floor"`` frame: track id → (T_i, J, 3), metres (:meth:`WorldEstimate.joints`)."""
        return self.to_estimate(pass_name).joints(frame, body)

    def evaluate(
        self,
        gt: GroundTruth,
        body: BodyModel | None = None,
        pass_name: str | None = None,
        **options: Any,
    ) -> EvalReport:
        """Score the state after ``pass_name`` (default: the last pass) against ground truth
        (:meth:`WorldEstimate.evaluate`)."""
        return self.to_estimate(pass_name).evaluate(gt, body, **options)

    def timings_text(self) -> str:
        """The timings, one line each, saying what each covers (resumed passes included)."""
        lines = []
        for name, seconds in self.timings.items():
            if name in ("total", "this_run"):
                continue
            p = self.passes.get(name)
            note = ""
            if p is not None and p.resumed_from is not None:
                note = (
                    "complete in its checkpoint, not rerun: time of the earlier run"
                    if p.resumed_from >= p.steps
                    else f"resumed at step {p.resumed_from}: time of every run"
                )
            lines.append(f"  {name:<9}{seconds:9.2f} s  {note}".rstrip())
        if "total" in self.timings:
            lines.append(f"  {'total':<9}{self.timings['total']:9.2f} s  the passes above")
        if "this_run" in self.timings:
            lines.append(
                f"  {'this run':<9}{self.timings['this_run']:9.2f} s  wall time of this call"
            )
        return "\n".join(lines)

    def summary(self) -> dict[str, Any]:
        """JSON-ready description: config, α, per-pass summaries, timings, events."""
        return {
            "scene": self.scene_name,
            "alpha": self.alpha,
            "alpha_optimized": self.alpha_optimized,
            "alpha_note": self.alpha_note,
            "alpha_init": self.alpha_init,
            "pose_prior": self.pose_prior_note,
            "passes": {k: v.summary() for k, v in self.passes.items()},
            "timings": self.timings,
            "timings_cover": TIMINGS_COVER,
            "events": self.events,
            "skipped_tracks": self.skipped_tracks,
            "dropped_tracks": self.dropped_tracks,
            "config": self.config,
        }
