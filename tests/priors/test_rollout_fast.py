"""The packed sequential roll-out equals the reference roll-out, values and gradients."""

from __future__ import annotations

import math

import pytest
import roma
import torch

from slahmr_opt.priors.humor import HumorConfig, HumorPrior, Normalization
from slahmr_opt.priors.rollout import apply_residual, rollout
from slahmr_opt.priors.rollout_fast import SequentialRollout
from slahmr_opt.priors.state import (
    OUTPUT_DIM,
    STATE_DIM,
    PriorState,
    canonical_frame,
    heading_angle,
    to_local,
    to_world,
)
from tests.priors.conftest import states_of

D = torch.float64
SMALL = HumorConfig(
    latent_dim=8,
    encoder_widths=(32,),
    prior_widths=(32, 32),
    decoder_widths=(32, 48, 16),
    normalized=True,
)


@pytest.fixture(scope="module")
def model() -> HumorPrior:
    torch.manual_seed(0)
    m = HumorPrior(SMALL).double().eval()
    gen = torch.Generator().manual_seed(1)
    m.set_normalization(
        Normalization(
            0.1 * torch.randn(STATE_DIM, generator=gen),
            0.5 + torch.rand(STATE_DIM, generator=gen),
            0.01 * torch.randn(OUTPUT_DIM, generator=gen),
            0.02 + 0.05 * torch.rand(OUTPUT_DIM, generator=gen),
        )
    )
    return m


def two_people(body64, turning):
    states, offset = states_of(body64, turning)
    init = PriorState.stack([states[3], states[17]], 0)
    offset2 = torch.stack([offset, offset * 0.9], 0)
    return init, offset2


def local_chain_rollout(model, init, offset, z, heading_epsilon):
    """The original's bookkeeping (humor_model.py:1163-1351): each step's prediction is made in
    the previous state's local frame, its heading is measured there, and the world pose is the
    composition of all local frames (here: the prediction mapped back through every frame)."""
    frames = [canonical_frame(init, offset, heading_epsilon=heading_epsilon)]
    local = to_local(init, frames[0])
    states = [init]
    for t in range(z.shape[1]):
        out = model.decode(local.to_vector(), z[:, t])
        pred, _ = apply_residual(local, out)
        world = pred
        for f in reversed(frames):
            world = to_world(world, f)
        states.append(world)
        frames.append(canonical_frame(pred, offset, heading_epsilon=heading_epsilon))
        local = to_local(pred, frames[-1])
    return PriorState.stack(states, 1)


@pytest.mark.parametrize("heading_epsilon", [False, True])
def test_same_states_as_the_original_local_frame_chain(model, body64, turning, heading_epsilon):
    init, offset = two_people(body64, turning)
    z = 0.5 * torch.randn(2, 8, 8, generator=torch.Generator().manual_seed(7), dtype=D)
    ref = local_chain_rollout(model, init, offset, z, heading_epsilon)
    got = SequentialRollout(model)(init, offset, z, heading_epsilon=heading_epsilon).states
    for name in ref.__dataclass_fields__:
        torch.testing.assert_close(getattr(got, name), getattr(ref, name), atol=1e-10, rtol=1e-9)


def test_same_states_contacts_and_prior_as_the_reference(model, body64, turning):
    init, offset = two_people(body64, turning)
    z = 0.5 * torch.randn(2, 12, 8, generator=torch.Generator().manual_seed(2), dtype=D)
    ref = rollout(model, init, offset, z)
    got = SequentialRollout(model)(init, offset, z)
    for name in ref.states.__dataclass_fields__:
        torch.testing.assert_close(
            getattr(got.states, name), getattr(ref.states, name), atol=1e-10, rtol=1e-9
        )
    torch.testing.assert_close(got.contact_logits, ref.contact_logits, atol=1e-10, rtol=1e-9)
    torch.testing.assert_close(got.prior_mean, ref.prior_mean, atol=1e-10, rtol=1e-9)
    torch.testing.assert_close(got.prior_logvar, ref.prior_logvar, atol=1e-10, rtol=1e-9)
    torch.testing.assert_close(got.energy(), ref.energy(), atol=1e-9, rtol=1e-10)


def test_same_gradients_as_the_reference(model, body64, turning):
    init, offset = two_people(body64, turning)
    gen = torch.Generator().manual_seed(4)
    z0 = 0.5 * torch.randn(2, 9, 8, generator=gen, dtype=D)
    w = torch.randn(2, 10, 22, 3, generator=gen, dtype=D)

    def grads(fn):
        z = z0.clone().requires_grad_(True)
        trans = init.trans.clone().requires_grad_(True)
        off = offset.clone().requires_grad_(True)
        st = PriorState(**{**init.__dict__, "trans": trans})
        out = fn(st, off, z)
        loss = out.energy() + (out.states.joints * w).sum() + out.contacts.sum()
        return torch.autograd.grad(loss, (z, trans, off))

    ref = grads(lambda s, o, z: rollout(model, s, o, z))
    fast = SequentialRollout(model)
    got = grads(lambda s, o, z: fast(s, o, z))
    for a, b in zip(got, ref, strict=True):
        torch.testing.assert_close(a, b, atol=1e-9, rtol=1e-8)


def test_without_first_rotation_an_aligned_start_is_unchanged(model, body64, turning):
    """The original feeds the initial state without re-aligning its heading; when it already
    faces the canonical way both agree."""
    init, offset = two_people(body64, turning)
    frame = canonical_frame(init, offset)
    aligned = to_local(init, frame)  # heading 0, translation xy 0
    z = 0.3 * torch.randn(2, 6, 8, generator=torch.Generator().manual_seed(5), dtype=D)
    fast = SequentialRollout(model)
    a = fast(aligned, offset, z, rotate_first=False)
    b = fast(aligned, offset, z, rotate_first=True)
    torch.testing.assert_close(a.states.joints, b.states.joints, atol=1e-10, rtol=0)
    # a start that is not aligned keeps its heading for the first step only
    c = fast(init, offset, z, rotate_first=False)
    d = fast(init, offset, z, rotate_first=True)
    assert (c.states.joints[:, 1:] - d.states.joints[:, 1:]).abs().max() > 1e-4


def test_heading_epsilon_is_the_original_form():
    rx = torch.tensor([1.0, 0.3, -0.5, 0.2], dtype=D)
    ry = torch.tensor([0.0, 0.4, -0.1, -0.9], dtype=D)
    exact = heading_angle(rx, ry, epsilon=False)
    torch.testing.assert_close(exact, torch.atan2(ry, rx))
    quirk = heading_angle(rx, ry, epsilon=True)
    # acos(x/(|xy| + 1e-6)) about the axis (r_xy × x̂)/(|r_xy × x̂| + 1e-6) (transforms.py:28-44)
    for i in range(4):
        x, y = float(rx[i]), float(ry[i])
        angle = math.acos(max(-1.0, min(1.0, x / (math.hypot(x, y) + 1e-6))))
        axis_z = -y / (abs(y) + 1e-6)  # (x, y, 0) × (1, 0, 0) = (0, 0, −y)
        # the canonical frame turns by +axis_z·angle, i.e. φ = −axis_z·angle
        assert float(quirk[i]) == pytest.approx(-axis_z * angle, abs=1e-12)
    assert float(quirk[0]) == 0.0  # y = 0: no turn at all (the axis is 0)
    assert (quirk - exact).abs().max() < 5e-3


def test_zero_steps_returns_the_initial_state(model, body64, turning):
    init, offset = two_people(body64, turning)
    out = SequentialRollout(model)(init, offset, torch.zeros(2, 0, 8, dtype=D))
    torch.testing.assert_close(out.states.joints[:, 0], init.joints)
    assert out.states.joints.shape[1] == 1


def test_rotation_update_is_the_exponential_map():
    from slahmr_opt.priors.rollout_fast import exp_matrix

    d = torch.tensor(
        [[0.0, 0.0, 0.0], [1e-9, 0, 0], [0.01, -0.02, 0.03], [0.3, -0.2, 1.1], [3.0, 0.1, 0.0]],
        dtype=D,
    )
    E, _, _ = exp_matrix(d)
    torch.testing.assert_close(E, roma.rotvec_to_rotmat(d), atol=1e-12, rtol=0)


@pytest.mark.parametrize(
    "heading_epsilon, fast_mode",
    [(False, True), (True, True)]
    + [pytest.param(h, False, marks=pytest.mark.slow) for h in (False, True)],
)
def test_hand_written_rollout_gradient(model, body64, turning, heading_epsilon, fast_mode):
    """The roll-out loop's written-out backward (decoder and state update, ``_RolloutFn``)
    against finite differences, both heading forms (random projections by default; every
    entry in the slow run)."""
    from slahmr_opt.priors.rollout_fast import _RolloutFn

    fast = SequentialRollout(model)
    init, offset = two_people(body64, turning)
    gen = torch.Generator().manual_seed(11)
    v0 = fast._pack(init).detach().requires_grad_(True)
    orows = (fast.joint_rows * offset[:, None, :]).detach().requires_grad_(True)
    zcat = (0.3 * torch.randn(2, 3, sum(fast.widths), generator=gen, dtype=D)).requires_grad_()
    weights = [torch.randn(s, generator=gen, dtype=D) for s in [(2, 3, 339), (2, 3, 216)]]

    def fn(v0, orows, zcat):
        ins, outs, nv, nR, phi, tau = _RolloutFn.apply(
            v0, orows, zcat, fast, fast.shift_rows, fast.skew, heading_epsilon
        )
        # every output feeds the loss, as in a roll-out's energy
        return (
            (ins * weights[0]).sum()
            + (outs * weights[1]).sum()
            + nv.square().sum()
            + (nR * nR.flip(-1)).sum()
            + phi.sin().sum()
            + tau.square().sum()
        )

    assert torch.autograd.gradcheck(fn, (v0, orows, zcat), eps=1e-6, atol=1e-5, fast_mode=fast_mode)
