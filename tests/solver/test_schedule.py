"""The original's outer loop (slahmr/optim/optimizers.py:246-286 and 547-589), step by step.

Each script is a sequence of losses (the last evaluation of each outer step); the expected
horizons and end steps below were worked out by hand from the original's code with its
options chunk_size = 10, init_steps = 20, chunk_steps = 20, max_chunk_steps = 20
(confs/optim.yaml:10, 23-26):

- ``end_idx`` (lines 569-578): ``chunk_size`` while ``cur_step < init_steps`` and
  ``add_chunk == 0``; else ``min(10·(k+1), seq_len)``, ``k = max((cur_step−20)//20 + 1,
  add_chunk)``; it sets ``reached_max`` when ``add_chunk == ⌈seq_len/10⌉``.
- after step i (lines 269-286): end if ``reached_max`` and ``i − reached_max_iter ≥ 20``
  (``reached_max_iter = i − 1`` on the first step it is seen); ``loss_change = prev − cur``
  (signed, ``prev`` starts at +∞); end if ``last_updated == i − 1 and loss_change == 0``;
  ``add_chunk += 1, last_updated = i`` if ``cur < 0 and loss_change < 100`` or
  ``i − last_updated ≥ 20`` or ``loss_change < 20 and i − last_updated > 5``.
"""

from __future__ import annotations

import pytest

from slahmr_opt.solver.schedule import OriginalSchedule


def drive(schedule: OriginalSchedule, losses, extra=None) -> tuple[list[int], int | None]:
    """Horizon of every step run, and the index of the step after which the pass ended."""
    horizons = []
    for i, loss in enumerate(losses):
        horizons.append(schedule.horizon)
        values = {"total": loss, **(extra[i] if extra else {})}
        if schedule.update(values):
            return horizons, i
    return horizons, None


def test_no_early_chunks_grow_every_twenty_steps_and_end_twenty_after_the_last():
    # T = 35: ⌈35/10⌉ = 4 chunks. The loss drops by 50 per step, so chunks are only added when
    # i − last_updated ≥ 20: after steps 20, 40, 60, 80 (add_chunk = 4 after step 80). Step 81
    # sees reached_max, reached_max_iter = 80, the pass ends after step 100 (101 steps; cap 120).
    s = OriginalSchedule(35)
    horizons, end = drive(s, [10000 - 50 * i for i in range(200)])
    assert end == 100
    assert horizons == [10] * 20 + [20] * 20 + [30] * 20 + [35] * 41
    assert s.cap == 120 and s.add_chunk == 4


def test_small_changes_add_chunks_early():
    # loss − 10 per step: change 10 < 20, chunks after steps 6, 12, 18, 24 (i − last > 5);
    # steps 7-12: k = max((i−20)//20 + 1, 1) = 1 → 20; 13-18: add_chunk 2 → 30; 19-24: 3 → 35.
    # add_chunk = 4 after step 24 → reached_max_iter = 24 → ends after step 44.
    s = OriginalSchedule(35)
    horizons, end = drive(s, [1000 - 10 * i for i in range(100)])
    assert end == 44
    assert horizons == [10] * 7 + [20] * 6 + [30] * 6 + [35] * 26


def test_negative_loss_adds_a_chunk_every_step():
    # cur < 0 and change (= 1) < 100 from step 1 on: add_chunk = i after step i; step 2 has
    # k = max((2−20)//20 + 1, 1) = 1 → 20, step 3 → 30, step 4 → 35. add_chunk = 4 after step 4
    # → reached_max_iter = 4 → ends after step 24.
    s = OriginalSchedule(35)
    horizons, end = drive(s, [-1000 - i for i in range(100)])
    assert end == 24
    assert horizons[:6] == [10, 10, 20, 30, 35, 35]


def test_the_change_is_signed():
    # The loss rises by 50 per step: change = −50 < 20, so a chunk is added after step 6
    # (i − last_updated = 6 > 5); with |change| = 50 it would not be.
    s = OriginalSchedule(100)
    horizons, _ = drive(s, [100 + 50 * i for i in range(8)])
    assert horizons == [10] * 7 + [20]


def test_an_unchanged_loss_right_after_an_update_ends_the_pass_from_step_one():
    # last_updated starts at 0, so an unchanged loss at step 1 ends the pass (2 steps).
    s = OriginalSchedule(100)
    _, end = drive(s, [500.0, 500.0, 400.0])
    assert end == 1 and s.stop_reason == "unchanged"


def test_flat_loss_ends_only_after_the_next_update():
    # Passes 1-2 (no chunks): −5 per step until step 7, then flat. Update after step 6
    # (change 5 < 20, 6 > 5); step 7 changes by 5 (no end); steps 8-11 are flat but
    # last_updated = 6 ≠ i − 1; update after step 12 (12 − 6 > 5); step 13 flat → end.
    s = OriginalSchedule(100, chunked=False)
    losses = [100 - 5 * i for i in range(8)] + [65.0] * 20
    horizons, end = drive(s, losses)
    assert end == 13
    assert set(horizons) == {100}


def test_motion_loss_subtracts_point_04_of_the_unweighted_pose_prior():
    # total 100 at both steps, weighted pose prior 0.4 then 0.2 (weight 0.04): the losses tested
    # are 100 − 0.04·10 = 99.6 and 100 − 0.04·5 = 99.8, so step 1 does not end the pass.
    extra = [
        {"motion_prior": 1.0, "pose_prior": 0.4},
        {"motion_prior": 1.0, "pose_prior": 0.2},
    ]
    s = OriginalSchedule(100, pose_prior_weight=0.04)
    _, end = drive(s, [100.0, 100.0], extra)
    assert end is None
    assert s.prev_loss == pytest.approx(99.8)
    # without the motion prior term (passes 1-2) nothing is subtracted: step 1 ends the pass
    s = OriginalSchedule(100, chunked=False, pose_prior_weight=0.04)
    _, end = drive(s, [100.0, 100.0], [{"pose_prior": 0.4}, {"pose_prior": 0.2}])
    assert end == 1


def test_cap_uses_the_union_length():
    assert OriginalSchedule(100).cap == 240  # 20 + 20·(10 + 1)
    assert OriginalSchedule(180).cap == 400  # issue vye16/slahmr#32: ..._000400_...npz
    assert OriginalSchedule(104).cap == 260  # issue vye16/slahmr#20: ..._000260_...npz


def test_state_round_trip_resumes_identically():
    losses = [1000 - 10 * i for i in range(60)]
    a = OriginalSchedule(50)
    ha, ea = drive(a, losses)
    b = OriginalSchedule(50)
    hb1, _ = drive(b, losses[:17])
    c = OriginalSchedule(50)
    c.load_state_dict(b.state_dict())
    hb2, eb = drive(c, losses[17:])
    assert hb1 + hb2 == ha and eb + 17 == ea


def test_ours_advances_on_stall_and_the_original_does_not():
    ours = OriginalSchedule(50, advance_on_stall=True)
    assert ours.horizon == 10 and ours.advance() and ours.horizon == 20
    assert not OriginalSchedule(50).advance()
