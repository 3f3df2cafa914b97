"""The LBFGS loop of one pass: checkpoints and resume, the NaN policy, progress, energy history.

One *outer step* is one ``torch.optim.LBFGS.step`` (up to ``max_iter`` inner iterations with a
strong-Wolfe line search), as in the original. After every outer step:

1. the weighted energy terms are evaluated at the new point and appended to the history;
2. a checkpoint (variables, LBFGS state, history, counters) is written atomically, when a
   checkpoint path is given — rerunning with the same inputs resumes from it and gives the same
   result as an uninterrupted run;
3. the progress bar shows the total and the main terms.

A non-finite energy or gradient (NaN policy, docs/solver.md): the step is abandoned, the variables
are restored to the last good state, LBFGS restarts (fresh curvature memory) with its ``lr``
multiplied by ``nan.lr_factor``, and the event is logged and recorded; after ``nan.max_failures``
failures the pass stops at the last good state and says so.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import torch
from torch import Tensor
from tqdm.auto import tqdm

from slahmr_opt.config import LBFGSConfig, NaNPolicy, PassConfig
from slahmr_opt.errors import InputError
from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.safe_load import load_torch

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 1


class NonFiniteEnergy(RuntimeError):
    """Raised inside an energy evaluation whose value or gradient is not finite."""


@dataclass
class SolverHooks:
    """Instrumentation points (tests, debugging, custom logging).

    Attributes:
        on_energy: called with ``(pass name, outer step, total energy)`` at every energy
            evaluation that will be differentiated; returns the energy to use (a test injects a
            NaN here).
        after_step: called with ``(pass name, completed outer steps)`` after each outer step,
            once its checkpoint is written (a test raises here to simulate an interruption).
    """

    on_energy: Callable[[str, int, Tensor], Tensor] | None = None
    after_step: Callable[[str, int], None] | None = None


class PassSchedule(Protocol):
    """What :func:`run_pass` needs from a schedule (``solver/schedule.py``).

    Optional attributes: ``uses_last_closure`` (True: ``update`` gets the terms of the step's
    last energy evaluation instead of a re-evaluation after the step) and ``stops_on_stall``
    (False: a step without progress does not end the pass; the schedule decides).
    """

    def update(self, values: dict[str, float]) -> bool: ...

    def advance(self) -> bool: ...

    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> None: ...


@dataclass
class PassOutcome:
    """What happened in one pass.

    Attributes:
        history: term name → weighted energy at the start and after every outer step (index 0
            is the initial value), plus ``"total"``.
        steps: completed outer steps.
        closures: energy-and-gradient evaluations.
        seconds: wall time of the pass (summed over resumed runs).
        stop_reason: ``"completed"``, ``"converged"`` (LBFGS made no progress), ``"unchanged"``
            (the original's rule: the loss did not change right after an update), ``"non-finite"``
            (too many NaN failures) or ``"skipped"`` (0 iterations).
        lr: the LBFGS lr at the end (smaller than configured after NaN failures).
        failures: number of non-finite failures.
        events: NaN events, each a dict with ``pass``, ``step``, ``kind``, ``action``, ``lr``.
        resumed_from: outer step the pass resumed from, or None.
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    steps: int = 0
    closures: int = 0
    seconds: float = 0.0
    stop_reason: str = "completed"
    lr: float = 1.0
    failures: int = 0
    events: list[dict] = field(default_factory=list)
    resumed_from: int | None = None


def make_lbfgs(params: list[Tensor], cfg: LBFGSConfig, lr: float) -> torch.optim.LBFGS:
    """``torch.optim.LBFGS`` from the config (``max_eval = 0`` → PyTorch's default)."""
    return torch.optim.LBFGS(
        params,
        lr=lr,
        max_iter=cfg.max_iter,
        max_eval=cfg.max_eval or None,
        tolerance_grad=cfg.tolerance_grad,
        tolerance_change=cfg.tolerance_change,
        history_size=cfg.history_size,
        line_search_fn=None if cfg.line_search == "none" else cfg.line_search,
    )


def _record(history: dict[str, list[float]], terms: dict[str, Tensor]) -> dict[str, float]:
    values = {k: float(v.detach()) for k, v in terms.items()}
    values["total"] = float(sum(values.values()))
    for k, v in values.items():
        history.setdefault(k, []).append(v)
    return values


def _postfix(
    values: dict[str, float], variables: dict[str, Tensor], alpha_space: str
) -> dict[str, str]:
    short = {"total": "E", "joints2d": "2d", "joints3d_smooth": "smooth", "pose_prior": "pose"}
    out = {short[k]: f"{values[k]:.4g}" for k in short if k in values}
    if "alpha" in variables:
        a = variables["alpha"].detach()
        out["α"] = f"{float((a.exp() if alpha_space == 'log' else a)[0]):.4g}"
    return out


def _save(path: Path, payload: dict) -> None:
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_bytes_atomic(path, buffer.getvalue())


def load_checkpoint(path: Path, fingerprint: str, device: torch.device | str) -> dict | None:
    """The checkpoint at ``path`` if it exists and matches ``fingerprint``, else None.

    A checkpoint of different inputs or settings is not resumed from (a warning says so); it is
    overwritten by the new run.
    """
    if not path.exists():
        return None
    try:
        payload = load_torch(path, "pass checkpoint", map_location=device)
    except InputError as err:  # a truncated, foreign or unsafe file: start over, loudly
        log.warning("checkpoint %s cannot be read (%s): starting the pass over", path, err)
        return None
    if (
        not isinstance(payload, dict)
        or payload.get("format") != CHECKPOINT_FORMAT
        or payload.get("fingerprint") != fingerprint
    ):
        log.warning(
            "checkpoint %s was written for other inputs or settings: starting the pass over", path
        )
        return None
    return payload


def _matches(payload: dict, variables: dict[str, Tensor], path: Path | None) -> bool:
    """Whether a checkpoint holds every variable with the current shape (else start over)."""
    saved = payload.get("variables")
    if not isinstance(saved, dict):
        log.warning("checkpoint %s holds no variables: starting the pass over", path)
        return False
    for key, value in variables.items():
        other = saved.get(key)
        if not isinstance(other, Tensor) or tuple(other.shape) != tuple(value.shape):
            log.warning(
                "checkpoint %s: variable %r has shape %s, this run needs %s (another body or "
                "scene?): starting the pass over",
                path,
                key,
                None if not isinstance(other, Tensor) else tuple(other.shape),
                tuple(value.shape),
            )
            return False
    return True


def run_pass(
    name: str,
    variables: dict[str, Tensor],
    energy_fn: Callable[[], dict[str, Tensor]],
    pass_config: PassConfig,
    nan_policy: NaNPolicy,
    *,
    free: tuple[str, ...],
    checkpoint_path: Path | None = None,
    fingerprint: str = "",
    progress: bool = True,
    hooks: SolverHooks | None = None,
    schedule: PassSchedule | None = None,
    alpha_space: str = "log",
) -> PassOutcome:
    """Minimise ``energy_fn`` over the ``free`` variables with LBFGS, in place.

    Args:
        name: pass name (progress bar, log, checkpoint).
        variables: name → leaf tensor, all variables (the free ones are optimised in place, all
            are saved in checkpoints).
        energy_fn: evaluates the weighted terms at the current variables, name → () tensor.
        pass_config: iterations, optimizer settings.
        nan_policy: what a non-finite energy does.
        free: names of the variables to optimise (a subset of ``variables``).
        checkpoint_path: file to write after every outer step and to resume from.
        fingerprint: identifies inputs and settings; a checkpoint with another one is ignored.
        progress: show a tqdm bar.
        hooks: instrumentation (:class:`SolverHooks`).
        schedule: a schedule that changes the problem between outer steps (the motion pass's
            growing horizon): told the terms after each step (it may end the pass), asked to
            advance when LBFGS stalls, saved in and restored from checkpoints.
        alpha_space: how ``variables["alpha"]`` holds α (``"log"`` or ``"linear"``), for the
            progress bar.

    Returns:
        :class:`PassOutcome`.
    """
    hooks = hooks or SolverHooks()
    opt_cfg = pass_config.optimizer
    outcome = PassOutcome(lr=opt_cfg.lr)
    params = [variables[k] for k in free]
    for k, v in variables.items():
        v.requires_grad_(k in free)
    device = params[0].device if params else "cpu"

    resume = load_checkpoint(checkpoint_path, fingerprint, device) if checkpoint_path else None
    if resume is not None and not _matches(resume, variables, checkpoint_path):
        resume = None
    optimizer = make_lbfgs(params, opt_cfg, opt_cfg.lr) if params else None
    if resume is not None:
        threads = resume.get("threads")
        if threads is not None and int(threads) != torch.get_num_threads():
            log.warning(
                "pass %s: resuming a checkpoint written with %d torch thread(s) using %d: the "
                "result is valid but not bit-identical to an uninterrupted run with either",
                name,
                int(threads),
                torch.get_num_threads(),
            )
        with torch.no_grad():
            for k, v in variables.items():
                v.copy_(resume["variables"][k])
        outcome.history = {k: list(v) for k, v in resume["history"].items()}
        outcome.steps = int(resume["step"])
        outcome.closures = int(resume["closures"])
        outcome.seconds = float(resume["seconds"])
        outcome.lr = float(resume["lr"])
        outcome.failures = int(resume["failures"])
        outcome.events = list(resume["events"])
        outcome.stop_reason = str(resume["stop_reason"])
        outcome.resumed_from = outcome.steps
        if schedule is not None and resume.get("schedule") is not None:
            schedule.load_state_dict(resume["schedule"])
        optimizer = make_lbfgs(params, opt_cfg, outcome.lr) if params else None
        if resume["optimizer"] is not None and optimizer is not None:
            optimizer.load_state_dict(resume["optimizer"])
        if resume["done"]:
            log.info("pass %s: complete in %s, not rerun", name, checkpoint_path)
            return outcome
        log.info("pass %s: resuming from step %d of %s", name, outcome.steps, checkpoint_path)

    started = time.perf_counter()
    elapsed_before = outcome.seconds
    if not outcome.history:
        with torch.no_grad():
            _record(outcome.history, energy_fn())
    if pass_config.iterations == 0 or not params:
        outcome.stop_reason = "skipped"

    def checkpoint(done: bool) -> None:
        outcome.seconds = elapsed_before + time.perf_counter() - started
        if checkpoint_path is None:
            return
        _save(
            checkpoint_path,
            {
                "format": CHECKPOINT_FORMAT,
                "fingerprint": fingerprint,
                "pass": name,
                "step": outcome.steps,
                "done": done,
                "variables": {k: v.detach().cpu() for k, v in variables.items()},
                "optimizer": None if done or optimizer is None else optimizer.state_dict(),
                "lr": outcome.lr,
                "failures": outcome.failures,
                "history": outcome.history,
                "events": outcome.events,
                "closures": outcome.closures,
                "seconds": outcome.seconds,
                "stop_reason": outcome.stop_reason,
                "schedule": None if schedule is None else schedule.state_dict(),
                "threads": torch.get_num_threads(),
            },
        )

    bar = tqdm(
        total=pass_config.iterations,
        initial=outcome.steps,
        desc=f"pass {name}",
        disable=not progress,
        leave=False,
    )
    step_closures = 0
    last_closure = schedule is not None and getattr(schedule, "uses_last_closure", False)
    stops_on_stall = schedule is None or getattr(schedule, "stops_on_stall", True)
    last_values: dict[str, float] = {}

    def closure() -> Tensor:
        nonlocal step_closures
        optimizer.zero_grad()
        terms = energy_fn()
        total = sum_terms(terms)
        if hooks.on_energy is not None:
            total = hooks.on_energy(name, outcome.steps, total)
        if not bool(torch.isfinite(total)):
            raise NonFiniteEnergy(f"energy is {float(total.detach())}")
        if last_closure:
            last_values.clear()
            last_values.update({k: float(v.detach()) for k, v in terms.items()})
            last_values["total"] = float(total.detach())
        total.backward()
        for k, p in zip(free, params, strict=True):
            if p.grad is not None and not bool(torch.isfinite(p.grad).all()):
                raise NonFiniteEnergy(f"gradient of {k} is not finite")
        step_closures += 1
        outcome.closures += 1
        return total

    try:
        while outcome.stop_reason not in ("skipped", "non-finite", "converged") and (
            outcome.steps < pass_config.iterations
        ):
            good = [p.detach().clone() for p in params]
            step_closures = 0
            try:
                optimizer.step(closure)
                if not all(bool(torch.isfinite(p).all()) for p in params):
                    raise NonFiniteEnergy("a variable became non-finite")
            except NonFiniteEnergy as err:
                with torch.no_grad():
                    for p, g in zip(params, good, strict=True):
                        p.copy_(g)
                outcome.failures += 1
                stop = outcome.failures > nan_policy.max_failures
                if not stop:
                    outcome.lr *= nan_policy.lr_factor
                    optimizer = make_lbfgs(params, opt_cfg, outcome.lr)
                action = (
                    "restored the last good state and stopped the pass"
                    if stop
                    else f"restored the last good state, LBFGS restarted with lr {outcome.lr:.4g}"
                )
                event = {
                    "pass": name,
                    "step": outcome.steps,
                    "kind": "non-finite",
                    "detail": str(err),
                    "action": action,
                    "lr": outcome.lr,
                }
                outcome.events.append(event)
                log.warning("pass %s, step %d: %s; %s", name, outcome.steps, err, action)
                if stop:
                    outcome.stop_reason = "non-finite"
                continue
            outcome.steps += 1
            with torch.no_grad():
                values = _record(outcome.history, energy_fn())
            unchanged = all(torch.equal(p.detach(), g) for p, g in zip(params, good, strict=True))
            finished = False
            if schedule is not None:
                finished = schedule.update(dict(last_values) if last_closure else values)
                if finished:
                    outcome.stop_reason = getattr(schedule, "stop_reason", "completed")
                if (step_closures <= 1 or unchanged) and not finished and schedule.advance():
                    unchanged = False
                    step_closures = 2
            if (step_closures <= 1 or unchanged) and stops_on_stall:
                outcome.stop_reason = "converged"
            done = (
                finished
                or outcome.steps >= pass_config.iterations
                or outcome.stop_reason != "completed"
            )
            checkpoint(done)
            # the postfix first, so that the refresh of update() shows this step's accepted state
            bar.set_postfix(_postfix(values, variables, alpha_space), refresh=False)
            bar.update(1)
            if hooks.after_step is not None:
                hooks.after_step(name, outcome.steps)
            if finished:
                break
        checkpoint(True)
    finally:
        bar.close()
        for v in variables.values():
            v.requires_grad_(False)
    return outcome


def sum_terms(terms: dict[str, Tensor]) -> Tensor:
    """Sum of the weighted terms (raises if there are none)."""
    values = list(terms.values())
    if not values:
        raise ValueError("every energy weight of the pass is 0: nothing to minimise")
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total
