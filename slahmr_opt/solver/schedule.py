"""The original's outer loop: when a pass ends and how the motion pass's roll-out horizon grows.

The original runs every stage through one loop (slahmr/optim/optimizers.py:246-286) and the
motion stage's horizon is a property of the step counter (``MotionOptimizerChunks``, lines
564-589). With ``i`` the outer step, ``cur_loss`` the loss of the **last** energy evaluation of
step ``i`` and ``loss_change = prev_loss − cur_loss`` (signed; ``prev_loss`` starts at +∞):

1. after the step, if the horizon had reached all ``⌈T/chunk⌉`` chunks during it (``reached_max``
   is set when ``add_chunk == ⌈T/chunk⌉``, lines 576-577), the pass ends once
   ``i − (i₀ − 1) ≥ max_chunk_steps``, i₀ being the first such step (lines 270-273);
2. it ends when ``last_updated == i − 1`` and ``loss_change == 0`` (lines 276-278), from step 1
   on (``last_updated`` starts at 0);
3. ``add_chunk`` grows and ``last_updated = i`` when ``cur_loss < 0 and loss_change < 100``, or
   ``i − last_updated ≥ max_chunk_steps``, or ``loss_change < 20 and i − last_updated > 5``
   (lines 279-285); then ``prev_loss = cur_loss``.

The horizon of step ``i`` is ``chunk`` while ``i < init_steps`` and no chunk was added, else
``min(chunk·(k+1), T)`` with ``k = max((i − init_steps)//chunk_steps + 1, add_chunk)``; the cap
is ``init_steps + chunk_steps·(⌈T/chunk⌉ + 1)`` steps (lines 564-578). T is the problem's length
(the union of the tracks, ``seq_len``). In the motion pass the loss tested is the total minus
``0.04 ×`` the unweighted pose prior (lines 299-306). Passes 1–2 run the same loop without
chunks: only rule 2 (with rule 3's bookkeeping) can end them early.
"""

from __future__ import annotations

import math

__all__ = ["ORIGINAL_POSE_PRIOR_SUBTRACTED", "OriginalSchedule"]

ORIGINAL_POSE_PRIOR_SUBTRACTED = 0.04
"""The original subtracts ``0.04 ×`` the unweighted pose prior from the loss it tests in the
motion stage (optimizers.py:302-306), whatever the pose prior's weight."""


class OriginalSchedule:
    """The original's outer loop as a schedule for ``run_pass`` (module docstring).

    Args:
        num_frames: T, the problem's frames (the union of the tracks).
        chunked: grow the horizon in chunks (the motion pass); False = passes 1–2 (horizon T).
        chunk_size, init_steps, chunk_steps, max_chunk_steps: 10, 20, 20, 20 in the original.
        pose_prior_weight: weight of the pose-prior term, to recover its unweighted value.
        advance_on_stall: ours (``stop = "converged"``): an outer step without progress adds a
            chunk (or ends the pass when the horizon is full) instead of going on.
    """

    uses_last_closure = True
    """``run_pass`` passes the terms of the step's last energy evaluation (the original's
    ``cur_loss``), not a re-evaluation at the accepted point."""

    def __init__(
        self,
        num_frames: int,
        *,
        chunked: bool = True,
        chunk_size: int = 10,
        init_steps: int = 20,
        chunk_steps: int = 20,
        max_chunk_steps: int = 20,
        pose_prior_weight: float = 0.0,
        advance_on_stall: bool = False,
    ) -> None:
        self.num_frames = int(num_frames)
        self.chunked = bool(chunked)
        self.chunk_size = int(chunk_size)
        self.init_steps = int(init_steps)
        self.chunk_steps = int(chunk_steps)
        self.max_chunk_steps = int(max_chunk_steps)
        self.pose_prior_weight = float(pose_prior_weight)
        self.stops_on_stall = bool(advance_on_stall)
        self.num_chunks = math.ceil(self.num_frames / self.chunk_size)
        self.step = 0
        self.add_chunk = 0
        self.prev_loss = math.inf
        self.last_updated = 0
        self.reached_max = False
        self.reached_max_iter = -1
        self.stop_reason = "completed"

    @property
    def cap(self) -> int:
        """The original's number of steps of the chunked stage (``num_iters``, lines 564-567)."""
        return self.init_steps + self.chunk_steps * (self.num_chunks + 1)

    @property
    def horizon(self) -> int:
        """H, the frames per track rolled out in the current step (``end_idx``)."""
        if not self.chunked:
            return self.num_frames
        if self.step < self.init_steps and self.add_chunk == 0:
            return self.chunk_size
        k = max((self.step - self.init_steps) // self.chunk_steps + 1, self.add_chunk)
        return min(self.chunk_size * (k + 1), self.num_frames)

    def loss_of(self, values: dict[str, float]) -> float:
        """The loss the original tests: the total, minus 0.04 × the unweighted pose prior when
        both the motion prior and the pose prior are terms."""
        loss = float(values["total"])
        if "motion_prior" in values and "pose_prior" in values and self.pose_prior_weight > 0:
            unweighted = float(values["pose_prior"]) / self.pose_prior_weight
            loss -= ORIGINAL_POSE_PRIOR_SUBTRACTED * unweighted
        return loss

    def update(self, values: dict[str, float]) -> bool:
        """Record the completed step's terms (its last evaluation); True when the pass ends."""
        i = self.step
        if self.chunked and self.add_chunk == self.num_chunks:
            self.reached_max = True  # end_idx saw it during step i (lines 576-577)
        loss = self.loss_of(values)
        if self.reached_max and self.reached_max_iter < 0:
            self.reached_max_iter = i - 1
        if self.reached_max and i - self.reached_max_iter >= self.max_chunk_steps:
            return True
        change = self.prev_loss - loss
        if self.last_updated == i - 1 and change == 0:
            self.stop_reason = "unchanged"
            return True
        if (
            (loss < 0 and change < 100)
            or (i - self.last_updated >= self.max_chunk_steps)
            or (change < 20 and i - self.last_updated > 5)
        ):
            self.add_chunk += 1
            self.last_updated = i
        self.prev_loss = loss
        self.step = i + 1
        return False

    def advance(self) -> bool:
        """Ours: add a chunk now (LBFGS stalled). False when the horizon is already full or the
        schedule follows the original (which keeps stepping)."""
        if not self.stops_on_stall or not self.chunked or self.horizon >= self.num_frames:
            return False
        k = self.horizon // self.chunk_size  # chunks already beyond the first
        self.add_chunk = max(self.add_chunk, k)
        self.last_updated = self.step - 1
        return True

    def state_dict(self) -> dict:
        return {
            k: getattr(self, k)
            for k in (
                "step",
                "add_chunk",
                "prev_loss",
                "last_updated",
                "reached_max",
                "reached_max_iter",
                "stop_reason",
            )
        }

    def load_state_dict(self, state: dict) -> None:
        for k, v in state.items():
            setattr(self, k, v)
