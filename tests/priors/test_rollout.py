"""Roll-out bookkeeping, inference, energies and their invariances (random weights suffice)."""

from __future__ import annotations

import math

import pytest
import roma
import torch

from slahmr_opt.geometry.smpl_transform import transform_smpl
from slahmr_opt.priors.gmm import GaussianMixture, initial_state_energy
from slahmr_opt.priors.humor import HumorConfig, HumorPrior
from slahmr_opt.priors.rollout import (
    apply_residual,
    gaussian_nll,
    infer_latents,
    prior_energy,
    rollout,
    sample_motion,
    scatter_tracks,
    transition_energy,
)
from slahmr_opt.priors.state import GMM_DIM, PriorState
from tests.priors.conftest import states_of

D = torch.float64
TINY = HumorConfig(
    latent_dim=8, encoder_widths=(32, 32), prior_widths=(32, 32), decoder_widths=(32, 32)
)


@pytest.fixture(scope="module")
def model() -> HumorPrior:
    torch.manual_seed(0)
    return HumorPrior(TINY).double().eval()


def moved(body, params, R, t):
    """SMPL parameters of the same motion after the rigid world map x ↦ R x + t."""
    pelvis = body.joint_template(params["betas"])[0]
    orient, transl = transform_smpl(R, t, params["global_orient"], params["transl"], pelvis)
    return {**params, "global_orient": orient, "transl": transl}


def yawed(states: PriorState, offset, R, t) -> PriorState:
    """States mapped exactly by a rotation R about +z and a shift t (SMPL-consistent transl)."""
    v = lambda x: x @ R.T  # noqa: E731
    return PriorState(
        trans=v(states.trans) + offset @ R.T - offset + t,
        trans_vel=v(states.trans_vel),
        root_orient=R @ states.root_orient,
        root_orient_vel=v(states.root_orient_vel),
        pose_body=states.pose_body,
        joints=v(states.joints) + t,
        joints_vel=v(states.joints_vel),
    )


def rot(axis: str, angle: float) -> torch.Tensor:
    v = torch.zeros(3, dtype=D)
    v["xyz".index(axis)] = angle
    return roma.rotvec_to_rotmat(v)


def energies(model, gmm, body, params):
    states, offset = states_of(body, params)
    e_cvae = transition_energy(model, states[None], offset[None]).sum()
    e_init = initial_state_energy(gmm, states[0], offset)
    return e_cvae, e_init


@pytest.fixture(scope="module")
def gmm() -> GaussianMixture:
    gen = torch.Generator().manual_seed(3)
    a = torch.randn(3, GMM_DIM, GMM_DIM, generator=gen, dtype=D) * 0.05
    cov = a @ a.transpose(1, 2) + torch.eye(GMM_DIM, dtype=D)
    return GaussianMixture(
        torch.tensor([0.2, 0.3, 0.5]), torch.randn(3, GMM_DIM, generator=gen, dtype=D), cov
    )


def test_energies_are_invariant_to_yaw_and_xy_shift_only(model, gmm, body64, turning):
    base = energies(model, gmm, body64, turning)
    shift = torch.tensor([3.0, -2.0, 0.0], dtype=D)
    same = energies(model, gmm, body64, moved(body64, turning, rot("z", 2.1), shift))
    for a, b in zip(base, same, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-8)
    for R, t in (
        (rot("x", 0.15), torch.zeros(3, dtype=D)),  # roll/pitch
        (rot("y", -0.15), torch.zeros(3, dtype=D)),
        (torch.eye(3, dtype=D), torch.tensor([0.0, 0.0, 0.1], dtype=D)),  # height
    ):
        other = energies(model, gmm, body64, moved(body64, turning, R, t))
        for a, b in zip(base, other, strict=True):
            assert abs(float(a.detach() - b.detach())) > 1e-4 * max(1.0, abs(float(a.detach())))


def test_zeroed_output_layer_returns_the_initial_state(body64, turning):
    torch.manual_seed(1)
    model = HumorPrior(TINY).double()
    with torch.no_grad():
        model.decoder.net[-1].weight.zero_()
        model.decoder.net[-1].bias.zero_()
    states, offset = states_of(body64, turning)
    init = PriorState.stack([states[5], states[20]], 0)  # two people, moving, turned
    out = rollout(model, init, offset.expand(2, 3), num_steps=12, sample=True, seed=4)
    assert out.states.shape == (2, 13)
    expect = init.to_vector()[:, None].expand(2, 13, -1)
    torch.testing.assert_close(out.states.to_vector(), expect, rtol=0, atol=1e-12)
    torch.testing.assert_close(out.contacts, torch.full((2, 13, 9), 0.5, dtype=D))


def test_rollout_is_equivariant_and_reproduces_given_latents(model, body64, turning):
    states, offset = states_of(body64, turning)
    z = torch.randn(1, 8, TINY.latent_dim, generator=torch.Generator().manual_seed(2), dtype=D)
    out = rollout(model, states[0:1], offset[None], z)
    R, t = rot("z", -1.0), torch.tensor([1.0, 5.0, 0.0], dtype=D)
    turned = yawed(states, offset, R, t)
    out2 = rollout(model, turned[0:1], offset[None], z)
    torch.testing.assert_close(out2.states.joints, out.states.joints @ R.T + t, rtol=0, atol=1e-9)
    torch.testing.assert_close(out2.energy(), out.energy())
    torch.testing.assert_close(out.latents, z)
    # the roll-out's energy is −log N(z; prior) of the states it produced
    inf = infer_latents(model, out.states, offset[None])
    torch.testing.assert_close(inf.prior_mean, out.prior_mean)
    nll = gaussian_nll(z, out.prior_mean, out.prior_logvar)
    expect = (0.5 * out.prior_logvar + 0.5 * math.log(2 * math.pi)).sum(-1) + (
        0.5 * (z - out.prior_mean) ** 2 / out.prior_logvar.exp()
    ).sum(-1)
    torch.testing.assert_close(nll, expect)
    mask = torch.zeros(1, 8, dtype=torch.bool)
    mask[0, :3] = True
    torch.testing.assert_close(
        prior_energy(z, out.prior_mean, out.prior_logvar, mask), nll[0, :3].sum()
    )


def test_gradients_reach_latents_and_initial_state(model, body64, turning):
    states, offset = states_of(body64, turning)
    init = states[0:1].map(lambda x: x.clone().requires_grad_(True))
    z = torch.zeros(1, 6, TINY.latent_dim, dtype=D, requires_grad=True)
    out = rollout(model, init, offset[None], z)
    (out.energy() + out.states.joints[:, -1].square().sum()).backward()
    for g in (z.grad, init.trans.grad, init.joints.grad, init.root_orient.grad):
        assert g is not None and torch.isfinite(g).all() and g.abs().sum() > 0


def test_sampling_is_seeded_and_mean_rollout_is_deterministic(model, body64, turning):
    states, offset = states_of(body64, turning)
    a = sample_motion(model, states[0:1], offset[None], 5, seed=7)
    b = sample_motion(model, states[0:1], offset[None], 5, seed=7)
    c = sample_motion(model, states[0:1], offset[None], 5, seed=8)
    torch.testing.assert_close(a.states.to_vector(), b.states.to_vector())
    assert not torch.allclose(a.latents, c.latents)
    m = rollout(model, states[0:1], offset[None], num_steps=5)
    torch.testing.assert_close(m.latents, m.prior_mean)


def test_apply_residual_left_multiplies_rotations(body64, turning):
    states, _ = states_of(body64, turning)
    prev = states[0:2]
    out = torch.zeros(2, 216, dtype=D)
    out[:, 6:9] = torch.tensor([0.0, 0.0, 0.3], dtype=D)
    out[:, 0:3] = torch.tensor([0.1, 0.0, 0.0], dtype=D)
    nxt, logits = apply_residual(prev, out)
    torch.testing.assert_close(nxt.root_orient, rot("z", 0.3) @ prev.root_orient)
    torch.testing.assert_close(nxt.trans, prev.trans + torch.tensor([0.1, 0.0, 0.0], dtype=D))
    assert logits.shape == (2, 9)


def test_scatter_tracks_places_each_track_at_its_start():
    values = torch.arange(2 * 4, dtype=D).reshape(2, 4)
    timeline, mask = scatter_tracks(values, torch.tensor([0, 3]), 6)
    torch.testing.assert_close(timeline[0, :4], values[0])
    torch.testing.assert_close(timeline[1, 3:], values[1, :3])
    assert mask.tolist() == [[True] * 4 + [False] * 2, [False] * 3 + [True] * 3]
