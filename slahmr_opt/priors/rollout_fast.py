"""The sequential roll-out with the fewest operations per step (same states as ``rollout``).

The roll-out is inherently sequential — state t+1 depends on state t through the decoder — and
at the sizes of a fit (a few people) every step is a chain of tiny tensor operations whose cost is
the per-operation overhead of PyTorch, twice (forward and backward). :class:`SequentialRollout`
keeps only what must be sequential inside the loop and moves everything else out of it:

- the decoder's input standardisation, output de-standardisation and the layout of its output
  are folded into its weights once (``pack``); the latent's share of every layer (z is skipped
  into each one) is one batched matrix product for all steps before the loop, so a layer is one
  ``addmm`` plus GroupNorm and ReLU per step;
- the state is kept in one packed vector ``[additive fields | 22 rotation matrices]`` so that the
  decoder's residuals are added with a single operation and the 22 rotations are updated with one
  batched exponential map;
- the conditional prior (needed only for the CVAE term, it does not feed back) runs once on all
  steps' inputs after the loop;
- the world pose of every step (the composition of the per-step heading frames) is one cumulative
  sum of heading angles and of rotated offsets after the loop, instead of a frame change per step.

Same maths as :func:`slahmr_opt.priors.rollout.rollout` (``tests/priors/test_rollout_fast.py``
checks the states agree to float precision), plus two options for the original's forms:
``rotate_first = False`` leaves the initial state's heading as it is (the original feeds the
initial state to the first step without ``canonicalize_input``, humor_model.py:1138-1140) and
``heading_epsilon`` computes every heading as ``acos(x / (|xy| + 1e-6))``
(humor/transforms.py:24-47).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from slahmr_opt.priors.humor import HumorPrior
from slahmr_opt.priors.rollout import Rollout
from slahmr_opt.priors.state import (
    NUM_BODY_ROTS,
    NUM_JOINTS,
    OUTPUT_DIM,
    OUTPUT_SLICES,
    STATE_DIM,
    STATE_SLICES,
    PriorState,
    heading_angle,
)

__all__ = ["SequentialRollout", "heading_angle"]

_ADD_FIELDS = ("trans", "trans_vel", "root_orient_vel", "joints", "joints_vel")
_NUM_ADD = 3 + 3 + 3 + 3 * NUM_JOINTS * 2  # 141 numbers = 47 three-vectors
_NUM_VEC = _NUM_ADD // 3
_JOINT_ROWS = slice(3, 3 + NUM_JOINTS)  # rows of the joints among the 47 vectors
_NUM_ROTS = 1 + NUM_BODY_ROTS


def _range(s: slice) -> list[int]:
    return list(range(s.start, s.stop))


def _state_permutation() -> list[int]:
    """Packed position → index into the 339-vector: additive fields, then root, then pose."""
    idx: list[int] = []
    for name in _ADD_FIELDS:
        idx += _range(STATE_SLICES[name])
    return idx + _range(STATE_SLICES["root_orient"]) + _range(STATE_SLICES["pose_body"])


def _output_permutation() -> list[int]:
    """Packed decoder output: additive residuals (same order as the state), rotation deltas,
    contact logits."""
    idx: list[int] = []
    for name in _ADD_FIELDS:
        idx += _range(OUTPUT_SLICES[name])
    idx += _range(OUTPUT_SLICES["root_orient"]) + _range(OUTPUT_SLICES["pose_body"])
    return idx + _range(OUTPUT_SLICES["contacts"])


def _skew_map(dtype: torch.dtype, device: torch.device) -> Tensor:
    """(3, 9) S with ``vec([d]×) = d @ S`` (row-major 3×3)."""
    S = torch.zeros(3, 9, dtype=dtype, device=device)
    # [d]× = [[0, −d2, d1], [d2, 0, −d0], [−d1, d0, 0]]
    for k, entry, sign in ((2, 1, -1), (1, 2, 1), (2, 3, 1), (0, 5, -1), (1, 6, -1), (0, 7, 1)):
        S[k, entry] = sign
    return S


def exp_matrix(d: Tensor, S: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """``exp([d]×)`` of (..., 3) axis-angle vectors → ((..., 3, 3), b, c) with the coefficients
    ``b = (1 − cos θ)/θ²`` and ``c = (θ − sin θ)/θ³`` (...) of the left Jacobian
    ``J_l = I + b [d]× + c [d]×²`` (for the gradient). Smooth at θ = 0 (``sinc``)."""
    S = _skew_map(d.dtype, d.device) if S is None else S
    theta = torch.linalg.vector_norm(d, dim=-1, keepdim=True)
    a = torch.sinc(theta * (1.0 / math.pi))
    h = torch.sinc(theta * (0.5 / math.pi))
    b = 0.5 * h * h
    c = (1.0 - a) / (theta * theta).clamp_min(
        1e-30
    )  # multiplies an O(θ²) vector: cancellation is harmless
    K = (d @ S).unflatten(-1, (3, 3))
    E = torch.addcmul(a[..., None] * K, b[..., None], K @ K)
    E.diagonal(dim1=-2, dim2=-1).add_(1.0)
    return E, b, c


def _exp_left_grad(d: Tensor, E: Tensor, out: Tensor, G: Tensor, b: Tensor, c: Tensor):
    """Gradients of ``out = exp([d]×) R`` for an output gradient G (..., 3, 3):
    ``∂/∂R = exp([d]×)ᵀ G`` and ``∂/∂d = J_lᵀ ω`` with ``ω = vee(A − Aᵀ)``, ``A = G outᵀ``."""
    grad_R = E.transpose(-1, -2) @ G
    A = G @ out.transpose(-1, -2)
    w = (A - A.transpose(-1, -2)).flatten(-2)[..., _VEE]
    dw = torch.linalg.cross(d, w, dim=-1)
    return w - b * dw + c * torch.linalg.cross(d, dw, dim=-1), grad_R


_VEE = [7, 2, 3]  # (A₃₂ − A₂₃, A₁₃ − A₃₁, A₂₁ − A₁₂) in a row-major 3×3 of A − Aᵀ
_EPS_HEADING = 1e-6  # humor/transforms.py:29 and :43


def _heading_and_partials(rx: Tensor, ry: Tensor, epsilon: bool) -> tuple[Tensor, Tensor, Tensor]:
    """φ = :func:`~slahmr_opt.priors.state.heading_angle` and ∂φ/∂rx, ∂φ/∂ry."""
    rho2 = rx * rx + ry * ry
    if not epsilon:
        return torch.atan2(ry, rx), -ry / rho2, rx / rho2
    rho = torch.sqrt(rho2)
    den = rho + _EPS_HEADING
    raw = rx / den
    u = raw.clamp(-1.0, 1.0)
    inside = (raw > -1.0) & (raw < 1.0)
    acos = torch.acos(u)
    ay = ry.abs() + _EPS_HEADING
    a = ry / ay
    dacos = torch.where(inside, -1.0 / torch.sqrt((1.0 - u * u).clamp_min(1e-30)), 0.0)
    du_drx = 1.0 / den - rx * rx / (rho * den * den)
    du_dry = -rx * ry / (rho * den * den)
    return a * acos, a * dacos * du_drx, _EPS_HEADING / (ay * ay) * acos + a * dacos * du_dry


def _state_forward(v, out, orows, shift_rows, S, epsilon: bool):
    """One roll-out step after the decoder (no autograd; :func:`_state_backward` is its
    gradient).

    Args: the packed canonical state ``v`` (B, 339), the packed decoder output ``out``
    (B, 216), the pelvis offset on the joint rows ``orows`` (B, 47, 3), the rows that move with
    the frame (47, 1), the skew map (3, 9), the heading form.

    Returns:
        (``v'`` (B, 339) the next canonical state; ``nv`` (B, 47, 3) and ``nR``
        (B, 22, 3, 3), the predicted additive fields and rotations in the current frame; ``φ``
        (B,) the heading of the new frame; ``τ`` (B, 3) its translation; the saved tensors)::

            nv = v_add + out_add              nR = exp([out_rot]×) R
            φ = heading(−nR[0][0, 0], −nR[0][1, 0])        τ = (nv_trans,x, nv_trans,y, 0)
            v'_add = (nv − rows·τ − orows) Rzᵀ + orows     v'_root = Rz nR[0],  Rz = Rz(−φ)
    """
    B = v.shape[0]
    nv = (v[:, :_NUM_ADD] + out[:, :_NUM_ADD]).view(B, _NUM_VEC, 3)
    d = out[:, _NUM_ADD : _NUM_ADD + 3 * _NUM_ROTS].reshape(B, _NUM_ROTS, 3)
    E, b, c = exp_matrix(d, S)
    nR = E @ v[:, _NUM_ADD:].view(B, _NUM_ROTS, 3, 3)
    right = -nR[:, 0, :2, 0]
    phi, dphi_drx, dphi_dry = _heading_and_partials(right[:, 0], right[:, 1], epsilon)
    co, si = torch.cos(phi), torch.sin(phi)
    zero, one = torch.zeros_like(co), torch.ones_like(co)
    Rz = torch.stack([co, si, zero, -si, co, zero, zero, zero, one], -1).view(B, 3, 3)
    tau = torch.cat([nv[:, 0, :2], zero[:, None]], 1)
    Y = (nv - shift_rows * tau[:, None, :] - orows) @ Rz.transpose(1, 2)
    croot = Rz @ nR[:, 0]
    v_next = torch.cat([(Y + orows).view(B, -1), croot.view(B, 9), nR[:, 1:].reshape(B, -1)], 1)
    return v_next, nv, nR, phi, tau, (d, E, nR, b, c, Y, croot, Rz, dphi_drx, dphi_dry)


def _state_backward(saved, shift_rows, g_next, g_nv, g_nR, g_phi, g_tau):
    """Gradient of :func:`_state_forward`: (∂/∂v, ∂/∂out (B, 216), ∂/∂orows)."""
    d, E, nR, b, c, Y, croot, Rz, dphi_drx, dphi_dry = saved
    B = nR.shape[0]
    g_Y = g_next[:, :_NUM_ADD].view(B, _NUM_VEC, 3)
    g_croot = g_next[:, _NUM_ADD : _NUM_ADD + 9].view(B, 3, 3)
    # Y = X Rzᵀ, croot = Rz nR[0]; ∂Rz/∂φ = M Rz with M = [[0, 1, 0], [−1, 0, 0], 0], so
    # ∂L/∂φ = Σ (M ∘ (g_Yᵀ Y + g_croot crootᵀ)) = C₀₁ − C₁₀
    C = g_Y.transpose(1, 2) @ Y + g_croot @ croot.transpose(1, 2)
    gphi = C[:, 0, 1] - C[:, 1, 0] + g_phi
    g_X = g_Y @ Rz
    g_nvt = g_nv + g_X
    g_tau_t = g_tau - (shift_rows * g_X).sum(1)
    g_nvt[:, 0, :2] += g_tau_t[:, :2]
    g_rot = g_nR + g_next[:, _NUM_ADD:].view(B, _NUM_ROTS, 3, 3)
    g_rot[:, 0] += Rz.transpose(1, 2) @ g_croot - g_croot
    g_rot[:, 0, 0, 0] -= gphi * dphi_drx  # right = −(nR₀₀, nR₁₀) of the root
    g_rot[:, 0, 1, 0] -= gphi * dphi_dry
    g_d, g_R = _exp_left_grad(d, E, nR, g_rot, b, c)
    flat_nv = g_nvt.view(B, _NUM_ADD)
    g_v = torch.cat([flat_nv, g_R.reshape(B, -1)], 1)
    pad = torch.zeros(B, OUTPUT_DIM - _NUM_ADD - 3 * _NUM_ROTS, dtype=nR.dtype, device=nR.device)
    return g_v, torch.cat([flat_nv, g_d.reshape(B, -1), pad], 1), g_Y - g_X


class _RolloutFn(torch.autograd.Function):
    """The whole sequential loop as one autograd node: the forward runs every step's decoder
    and state update without recording a graph; the backward runs the steps in reverse with
    their gradients written out (the decoder's through ``native_group_norm_backward``), so the
    per-operation cost of autograd is paid for a handful of batched operations instead of ~100
    per step.

    Inputs: the first canonical state ``v0`` (B, 339), ``orows`` (B, 47, 3), the latent's share
    of every decoder layer for all steps ``zcat`` (B, N, Σ widths), then constants (the packed
    decoder, shift rows, skew map, heading form). Outputs, stacked over the N steps: the
    canonical inputs (B, N, 339), the decoder outputs (B, N, 216), ``nv`` (B, N, 47, 3), ``nR``
    (B, N, 22, 3, 3), ``φ`` (B, N), ``τ`` (B, N, 3).
    """

    @staticmethod
    def forward(ctx, v0, orows, zcat, dec, shift_rows, S, epsilon: bool):  # type: ignore[override]
        B, N = zcat.shape[0], zcat.shape[1]
        zs = zcat.split(dec.widths, dim=-1)
        W = dec.weights
        v = v0
        inputs, outs, nvs, nRs, phis, taus, dec_saved, state_saved = [], [], [], [], [], [], [], []
        for t in range(N):
            inputs.append(v)
            pre = torch.addmm(zs[0][:, t], v, W[0])
            layer = []
            for k, (groups, gw, gb, eps) in enumerate(dec.norms):
                y, mean, rstd = torch.native_group_norm(
                    pre, gw, gb, B, pre.shape[1], 1, groups, eps
                )
                h = torch.relu(y)
                layer.append((pre, mean, rstd, h))
                pre = torch.addmm(zs[k + 1][:, t], h, W[k + 1])
            outs.append(pre)
            v, nv, nR, phi, tau, saved = _state_forward(v, pre, orows, shift_rows, S, epsilon)
            nvs.append(nv)
            nRs.append(nR)
            phis.append(phi)
            taus.append(tau)
            dec_saved.append(layer)
            state_saved.append(saved)
        ctx.dec, ctx.shift_rows, ctx.saved_steps = dec, shift_rows, (dec_saved, state_saved)
        stack = torch.stack
        return (
            stack(inputs, 1),
            stack(outs, 1),
            stack(nvs, 1),
            stack(nRs, 1),
            stack(phis, 1),
            stack(taus, 1),
        )

    @staticmethod
    def backward(ctx, g_in, g_out, g_nv, g_nR, g_phi, g_tau):  # type: ignore[override]
        dec, shift_rows = ctx.dec, ctx.shift_rows
        dec_saved, state_saved = ctx.saved_steps
        d0 = state_saved[0][2]
        B, N = d0.shape[0], len(state_saved)
        dtype, device = d0.dtype, d0.device

        def grad(g: Tensor | None, shape: tuple[int, ...]) -> Tensor:
            return torch.zeros(shape, dtype=dtype, device=device) if g is None else g

        g_in = grad(g_in, (B, N, STATE_DIM))
        g_out = grad(g_out, (B, N, OUTPUT_DIM))
        g_nv = grad(g_nv, (B, N, _NUM_VEC, 3))
        g_nR = grad(g_nR, (B, N, _NUM_ROTS, 3, 3))
        g_phi = grad(g_phi, (B, N))
        g_tau = grad(g_tau, (B, N, 3))
        g_z = [torch.empty(B, N, w, dtype=dtype, device=device) for w in dec.widths]
        g_orows = torch.zeros(B, _NUM_VEC, 3, dtype=dtype, device=device)
        g_v = torch.zeros(B, STATE_DIM, dtype=dtype, device=device)  # ∂L/∂(state after step t)
        WT = dec.weights_t
        for t in range(N - 1, -1, -1):
            g_v_s, g_pre, g_o = _state_backward(
                state_saved[t],
                shift_rows,
                g_v,
                g_nv[:, t].clone(),
                g_nR[:, t],
                g_phi[:, t],
                g_tau[:, t],
            )
            g_orows += g_o
            g_pre = g_pre + g_out[:, t]
            for k in range(len(dec.norms) - 1, -1, -1):
                g_z[k + 1][:, t] = g_pre
                pre, mean, rstd, h = dec_saved[t][k]
                groups, gw, _, _ = dec.norms[k]
                g_y = (g_pre @ WT[k + 1]) * (h > 0)
                g_pre = torch.ops.aten.native_group_norm_backward(
                    g_y, pre, mean, rstd, gw, B, pre.shape[1], 1, groups, [True, False, False]
                )[0]
            g_z[0][:, t] = g_pre
            g_v = g_pre @ WT[0] + g_v_s + g_in[:, t]
        return g_v, g_orows, torch.cat(g_z, -1), None, None, None, None


class SequentialRollout:
    """A CVAE's decoder packed for fast sequential roll-outs (module docstring).

    Args:
        model: the prior (its weights are read once; later changes to them are not seen).
    """

    def __init__(self, model: HumorPrior) -> None:
        self.model = model
        dec = model.decoder
        net = list(dec.net)
        param = next(model.parameters())
        dtype, device = param.dtype, param.device
        L = model.latent_dim
        state_perm = torch.tensor(_state_permutation(), device=device)
        out_perm = torch.tensor(_output_permutation(), device=device)
        self.state_perm = state_perm
        self.state_unperm = torch.argsort(state_perm)
        normalized = model.config.normalized
        with torch.no_grad():
            first = net[0]
            Wv, Wz = first.weight[:, :STATE_DIM], first.weight[:, STATE_DIM:]
            b = first.bias.clone()
            if normalized:
                Wv = Wv / model.input_scale
                b = b - Wv @ model.input_mean
            self.layers: list[tuple[Tensor, Tensor, Tensor]] = [
                (Wv[:, state_perm].T.contiguous(), Wz.T.contiguous(), b)
            ]
            self.norms = []
            linears = [net[k + 2] for k in range(1, len(net), 3)]
            for k, lin in zip(range(1, len(net), 3), linears, strict=True):
                gn = net[k]
                self.norms.append((gn.num_groups, gn.weight.detach(), gn.bias.detach(), gn.eps))
                width = lin.weight.shape[1] - L
                Wh, Wz, b = lin.weight[:, :width], lin.weight[:, width:], lin.bias.clone()
                if lin is linears[-1]:
                    if normalized:
                        Wh = Wh * model.output_scale[:, None]
                        Wz = Wz * model.output_scale[:, None]
                        b = b * model.output_scale + model.output_mean
                    Wh, Wz, b = Wh[out_perm], Wz[out_perm], b[out_perm]
                self.layers.append((Wh.T.contiguous(), Wz.T.contiguous(), b))
        self.weights = [Wh for Wh, _, _ in self.layers]  # (in, out): x @ W
        self.weights_t = [Wh.T.contiguous() for Wh in self.weights]  # for the gradient
        self.widths = [Wh.shape[1] for Wh in self.weights]
        self.xy = torch.tensor([1.0, 1.0, 0.0], dtype=dtype, device=device)
        self.skew = _skew_map(dtype, device)
        joint_rows = torch.zeros(_NUM_VEC, 1, dtype=dtype, device=device)
        joint_rows[_JOINT_ROWS] = 1.0
        self.joint_rows = joint_rows
        shift_rows = joint_rows.clone()
        shift_rows[0] = 1.0  # the translation row moves with the frame too
        self.shift_rows = shift_rows

    # ------------------------------------------------------------------ helpers
    def _pack(self, state: PriorState) -> Tensor:
        """(B,) state → (B, 339) packed vector."""
        return state.to_vector()[:, self.state_perm]

    def _unpack(self, packed: Tensor) -> Tensor:
        return packed[..., self.state_unperm]

    @staticmethod
    def _rot_z(angle: Tensor) -> Tensor:
        """(...) angles → (..., 3, 3) rotations about +z."""
        c, s = torch.cos(angle), torch.sin(angle)
        zero, one = torch.zeros_like(c), torch.ones_like(c)
        return torch.stack([c, -s, zero, s, c, zero, zero, zero, one], -1).reshape(*c.shape, 3, 3)

    def _canonicalize(self, vecs: Tensor, root: Tensor, offset_rows: Tensor, angle: Tensor | None):
        """Move (B, 47, 3) additive vectors and (B, 3, 3) root of a state to its canonical frame:
        translation xy → 0, then (unless ``angle`` is None) turn by −angle about +z."""
        tau = vecs[:, 0] * self.xy
        shifted = vecs - self.shift_rows * tau[:, None, :] - offset_rows
        if angle is None:
            return shifted + offset_rows, root, tau, None
        Rz = self._rot_z(-angle)
        return shifted @ Rz.transpose(1, 2) + offset_rows, Rz @ root, tau, Rz

    # ------------------------------------------------------------------ roll-out
    def __call__(
        self,
        init: PriorState,
        pelvis_offset: Tensor,
        z: Tensor,
        *,
        heading_epsilon: bool = False,
        rotate_first: bool = True,
    ) -> Rollout:
        """Roll out ``z.shape[1]`` transitions from ``init``.

        Args:
            init: initial states, leading shape (B,), in a z-up floor frame.
            pelvis_offset: (B, 3) ``o`` (z = 0).
            z: (B, N, L) latents.
            heading_epsilon: the original's heading form (:func:`heading_angle`).
            rotate_first: canonicalise the initial state's heading (False: the original).

        Returns:
            :class:`~slahmr_opt.priors.rollout.Rollout` with N + 1 states in the frame of
            ``init``.
        """
        B, N = z.shape[0], z.shape[1]
        dtype = init.dtype
        offset = torch.broadcast_to(pelvis_offset.to(dtype), (B, 3))
        offset_rows = self.joint_rows * offset[:, None, :]  # o on the joint rows
        if N == 0:
            empty = z.new_zeros(B, 0, 0)
            return Rollout(init[:, None], z.new_zeros(B, 1, 9), empty, empty, empty)
        v0 = self._pack(init)
        vecs0 = v0[:, :_NUM_ADD].reshape(B, _NUM_VEC, 3)
        root0 = v0[:, _NUM_ADD : _NUM_ADD + 9].reshape(B, 3, 3)
        angle0 = None
        if rotate_first:
            angle0 = heading_angle(-root0[:, 0, 0], -root0[:, 1, 0], heading_epsilon)
        vecs, root, tau0, _ = self._canonicalize(vecs0, root0, offset_rows, angle0)
        v = torch.cat([vecs.reshape(B, -1), root.reshape(B, 9), v0[:, _NUM_ADD + 9 :]], 1)

        # the latent's share of every layer, all steps at once
        zcat = torch.cat([torch.matmul(z, Wz) + b for _, Wz, b in self.layers], -1)
        inputs, outs, vecs, rots, phi, tau = _RolloutFn.apply(
            v, offset_rows, zcat, self, self.shift_rows, self.skew, heading_epsilon
        )
        return self._assemble(init, z, offset, tau0, angle0, inputs, outs, vecs, rots, phi, tau)

    def _assemble(
        self,
        init: PriorState,
        z: Tensor,
        offset: Tensor,
        tau0: Tensor,
        angle0: Tensor | None,
        inputs: Tensor,
        out: Tensor,
        vecs: Tensor,
        rots: Tensor,
        phi: Tensor,
        tau: Tensor,
    ) -> Rollout:
        """World states, contacts and the conditional prior, batched over all steps.

        ``inputs`` (B, N, 339) and ``out`` (B, N, 216) are packed; ``vecs`` (B, N, 47, 3) and
        ``rots`` (B, N, 22, 3, 3) are in the local frame of the previous step; frame t+1 is
        frame t turned by ``phi`` (B, N) and shifted by ``tau`` (B, N, 3).
        """
        B, N = z.shape[0], z.shape[1]
        mean, logvar = self.model.prior(self._unpack(inputs))
        # local frame t → world: x_w = C_t x + c_t, C_t = Rz(psi_t)
        psi0 = angle0 if angle0 is not None else torch.zeros_like(phi[:, 0])
        psi = psi0[:, None] + torch.cat([torch.zeros_like(phi[:, :1]), phi[:, :-1]], 1).cumsum(1)
        C = self._rot_z(psi)  # (B, N, 3, 3)
        o = offset[:, None, :]
        c0 = o[:, 0] + tau0 - (C[:, 0] @ offset[:, :, None])[..., 0]  # (B, 3)
        # c_{t+1} = c_t + C_t (o + tau_t − Rz(phi_t) o)
        step = o + tau - (self._rot_z(phi) @ offset[:, None, :, None])[..., 0]
        inc = (C @ step[..., None])[..., 0]
        c = c0[:, None] + torch.cat([torch.zeros_like(inc[:, :1]), inc[:, :-1]], 1).cumsum(1)
        world_vecs = vecs @ C.transpose(-1, -2)  # rotated, then points get + c
        point_rows = self.shift_rows.expand(_NUM_VEC, 1)
        world_vecs = world_vecs + point_rows * c[:, :, None, :]
        world_vecs = world_vecs + (self.shift_rows - self.joint_rows) * (
            (C @ o[..., None])[..., 0][:, :, None, :] - o[:, :, None, :]
        )
        root_w = C @ rots[:, :, 0]
        flat = world_vecs.reshape(B, N, -1)
        fields = {}
        pos = 0
        for name in _ADD_FIELDS:
            n = STATE_SLICES[name].stop - STATE_SLICES[name].start
            fields[name] = flat[..., pos : pos + n]
            pos += n
        steps = PriorState(
            trans=fields["trans"],
            trans_vel=fields["trans_vel"],
            root_orient=root_w,
            root_orient_vel=fields["root_orient_vel"],
            pose_body=rots[:, :, 1:],
            joints=fields["joints"].reshape(B, N, NUM_JOINTS, 3),
            joints_vel=fields["joints_vel"].reshape(B, N, NUM_JOINTS, 3),
        )
        states = PriorState.stack([init], 1)
        states = PriorState(
            **{
                name: torch.cat([getattr(states, name), getattr(steps, name)], 1)
                for name in states.__dataclass_fields__
            }
        )
        logits = out[..., _NUM_ADD + 3 * _NUM_ROTS :]
        return Rollout(
            states=states,
            contact_logits=torch.cat([logits[:, :1], logits], 1),
            latents=z,
            prior_mean=mean,
            prior_logvar=logvar,
        )
