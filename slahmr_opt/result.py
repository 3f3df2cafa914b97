"""What a method produces for a scene: world motion per person, world scale, cameras, floor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slahmr_opt.scene import Cameras, PersonMotion


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
        timings: seconds per pass (and ``"total"``).
        pose_prior_note: which pose prior the passes used (VPoser or the open prior, and why).
    """

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
            "events": self.events,
            "skipped_tracks": self.skipped_tracks,
            "dropped_tracks": self.dropped_tracks,
            "config": self.config,
        }
