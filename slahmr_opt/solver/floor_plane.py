"""The shared ground plane of the motion pass and the per-track prior frames built on it.

The floor is one plane for everybody, held as the 3-vector ``p = n·d`` (the original's
parameterisation), where ``n`` is the unit normal pointing up and the plane is
``{x : n·x = d}`` in the metric world. Decoding takes ``d = ‖p‖``, ``n = p/d`` and flips both signs
when ``n`` points down, "down" being judged against a fixed up hint (the original flips so that
``n_y ≤ 0`` in its y-down world; our world is the SLAM world, so the hint is the cameras' up
direction, :func:`up_from_camera_rotations`).

A track's prior frame (reference: humor-prior.md §3.2) has +z = ``n``, +x = the body's right
(−x of the root rotation) at the track's first frame projected onto the floor, +y = z × x, and its
origin on the floor under the first-frame pelvis, so heights are signed distances to the floor.
"""

from __future__ import annotations

import torch
from torch import Tensor

ORIGINAL_FLOOR_DROP = 0.5
"""The original's starting floor: 0.5 m below the first camera, along its −y."""


def up_from_camera_rotations(R: Tensor) -> Tensor:
    """The world "up" the cameras agree on: −(mean camera y axis), normalised.

    Args:
        R: (T, 3, 3) world→camera rotations (OpenCV axes, y down).

    Returns:
        (3,) unit vector in the world frame.
    """
    down = R[:, 1, :].mean(0)
    return -down / down.norm().clamp_min(1e-9)


def plane_to_normal_offset(plane: Tensor, up: Tensor) -> tuple[Tensor, Tensor]:
    """Decode ``p = n·d`` into the up normal and the offset of ``{x : n·x = d}``.

    Args:
        plane: (3,) floor vector.
        up: (3,) up hint; the returned normal has a non-negative dot product with it.

    Returns:
        (n (3,) unit, d ()) metres.
    """
    length = plane.norm().clamp_min(1e-9)
    n = plane / length
    sign = torch.where((n * up).sum() < 0, -torch.ones_like(length), torch.ones_like(length))
    return n * sign, length * sign


def normal_offset_to_plane(normal: Tensor, offset: Tensor | float) -> Tensor:
    """``p = n·d`` (3,) from a unit normal (3,) and an offset (metres)."""
    return normal * offset


def original_floor_guess(R0: Tensor, t0: Tensor, alpha: Tensor | float) -> tuple[Tensor, Tensor]:
    """The original's fixed start: the plane 0.5 m below the first camera, normal = its −y.

    Args:
        R0: (3, 3) first world→camera rotation. t0: (3,) its translation, SLAM units.
        alpha: world scale.

    Returns:
        (n (3,), d ()) of ``{x : n·x = d}`` in the metric world.
    """
    n = -R0[1]
    centre = -R0.transpose(0, 1) @ (alpha * t0)
    return n, (n * centre).sum() - ORIGINAL_FLOOR_DROP


def fit_floor_to_feet(
    feet: Tensor,
    mask: Tensor,
    up: Tensor,
    fps: float,
    max_speed: float = 0.25,
    trim: float = 0.05,
    ridge: float = 1.0,
    iterations: int = 3,
) -> tuple[Tensor, Tensor, int]:
    """A plane fitted to the low, slow foot points of a motion.

    Per person and frame the lowest foot point (along ``up``) is kept when it moves slower than
    ``max_speed``; a plane ``h = a·u + b·v + c`` over horizontal coordinates (u, v) ⊥ ``up`` is
    fitted by least squares with a ridge pull of the tilt (a, b) towards 0 (so a single straight
    walk, whose points are nearly collinear, still gives a plane), then refitted ``iterations``
    times without points farther than ``trim`` from it.

    Args:
        feet: (B, T, F, 3) world foot points (toes, heels), metres.
        mask: (B, T) bool frames to use.
        up: (3,) up hint.
        fps: frame rate (speeds are in m/s).
        max_speed: m/s.
        trim: metres.
        ridge: strength of the tilt prior, in units of "points".
        iterations: trimming refits.

    Returns:
        (n (3,) up normal, d () offset, number of points used in the last fit).
    """
    if feet.ndim != 4 or feet.shape[-1] != 3:
        raise ValueError(f"feet must have shape (B, T, F, 3), got {tuple(feet.shape)}")
    feet = feet.detach().double()
    up = up.detach().double()
    up = up / up.norm()
    helper = torch.tensor([1.0, 0.0, 0.0], dtype=up.dtype)
    if abs(float(up @ helper)) > 0.9:
        helper = torch.tensor([0.0, 0.0, 1.0], dtype=up.dtype)
    e1 = helper - (helper @ up) * up
    e1 = e1 / e1.norm()
    e2 = torch.linalg.cross(up, e1)
    h = feet @ up
    low = h.argmin(-1)
    point = torch.gather(feet, 2, low[..., None, None].expand(-1, -1, 1, 3))[:, :, 0]
    speed = torch.zeros(point.shape[:2], dtype=point.dtype)
    if point.shape[1] > 1:
        step = (point[:, 1:] - point[:, :-1]).norm(dim=-1) * fps
        pair = mask[:, 1:] & mask[:, :-1]
        step = torch.where(pair, step, torch.full_like(step, float("inf")))
        speed[:, 1:] = step
        speed[:, 0] = step[:, 0]
        speed[:, 1:-1] = torch.minimum(step[:, 1:], step[:, :-1])
    keep = mask & (speed < max_speed)
    if int(keep.sum()) < 3:
        keep = mask.clone()
    pts = point[keep]
    if pts.shape[0] == 0:
        raise ValueError("fit_floor_to_feet: no foot point inside the mask")
    u, v, hh = pts @ e1, pts @ e2, pts @ up
    use = torch.ones_like(hh, dtype=torch.bool)
    coef = torch.zeros(3, dtype=up.dtype)
    for _ in range(iterations + 1):
        A = torch.stack([u[use], v[use], torch.ones_like(u[use])], -1)
        reg = torch.diag(torch.tensor([ridge, ridge, 0.0], dtype=up.dtype))
        coef = torch.linalg.solve(A.T @ A + reg, A.T @ hh[use])
        resid = (hh - (coef[0] * u + coef[1] * v + coef[2])).abs()
        nxt = resid < trim
        if int(nxt.sum()) < 3 or torch.equal(nxt, use):
            break
        use = nxt
    a, b, c = coef
    normal = up - a * e1 - b * e2
    scale = normal.norm()
    return normal / scale, c / scale, int(use.sum())


def prior_frames(
    normal: Tensor, offset: Tensor, root0: Tensor, pelvis0: Tensor
) -> tuple[Tensor, Tensor]:
    """World → prior frame of each track: ``x_p = A (x_w − o)``.

    Args:
        normal: (3,) floor up normal. offset: () plane offset d (``n·x = d``).
        root0: (B, 3, 3) world root rotation at each track's first frame.
        pelvis0: (B, 3) world pelvis joint at each track's first frame.

    Returns:
        (A (B, 3, 3) rotations with rows [right, forward, up]; o (B, 3) the point on the floor
        under each first-frame pelvis).
    """
    n = normal.to(root0.dtype).expand(root0.shape[0], 3)
    right = -root0[..., :, 0]
    right = right - (right * n).sum(-1, keepdim=True) * n
    right = right / right.norm(dim=-1, keepdim=True).clamp_min(1e-9)
    fwd = torch.linalg.cross(n, right, dim=-1)
    A = torch.stack([right, fwd, n], dim=-2)
    height = (pelvis0 * n).sum(-1, keepdim=True) - offset
    return A, pelvis0 - height * n


RAY_EPSILON = 1e-4
"""The original's ray–plane intersection adds this to ``n·direction`` (geometry/plane.py:89)."""


def prior_frames_ray(
    normal: Tensor,
    offset: Tensor,
    root0: Tensor,
    trans0: Tensor,
    pelvis0: Tensor,
    epsilon: float = RAY_EPSILON,
) -> tuple[Tensor, Tensor]:
    """The original's prior frames (optim/helpers.py:13-62), ray intersections included.

    With ``s(p, v) = (d − n·p)/(n·v + ε)``: the right axis is ``s₂ r + s₁ n`` for the body's
    right ``r`` (= −x of the root) and ``s₁ = s(trans₀, −n)``, ``s₂ = s(trans₀, r)``, negated
    when ``s₂ < 0`` and normalised; forward = normalise(n × right); the rows of ``A`` are
    [right, forward, n] (not exactly orthonormal when ε > 0, as in the original). The first
    pelvis sits at height ``h = s(pelvis₀, −n)·(−1)`` = ``(n·pelvis₀ − d)/(1 − ε)``: the map is
    ``x ↦ A (x − pelvis₀) + h e_z``, returned as ``A (x − o)``. With ε = 0 this is
    :func:`prior_frames`.

    Args:
        normal: (3,) floor up normal. offset: () d. root0: (B, 3, 3) first root rotations.
        trans0: (B, 3) first SMPL translations (the rays' origin). pelvis0: (B, 3) first pelvis.
        epsilon: ε.

    Returns:
        (A (B, 3, 3), o (B, 3)).
    """
    n = normal.to(root0.dtype).expand(root0.shape[0], 3)
    right = -root0[..., :, 0]
    gap = offset - (n * trans0).sum(-1, keepdim=True)
    s1 = gap / (-1.0 + epsilon)
    s2 = gap / ((n * right).sum(-1, keepdim=True) + epsilon)
    axis = s2 * right + s1 * n
    axis = torch.where(s2 < 0, -axis, axis)
    axis = axis / axis.norm(dim=-1, keepdim=True)
    fwd = torch.linalg.cross(n, axis, dim=-1)
    fwd = fwd / fwd.norm(dim=-1, keepdim=True)
    A = torch.stack([axis, fwd, n], dim=-2)
    height = ((n * pelvis0).sum(-1, keepdim=True) - offset) / (1.0 - epsilon)
    ez = torch.zeros_like(pelvis0)
    ez[..., 2] = 1.0
    return A, pelvis0 - height * torch.linalg.solve(A, ez)


def points_world_to_prior(points: Tensor, A: Tensor, o: Tensor) -> Tensor:
    """Points (B, ..., 3) → prior frames given per-track A (B, 3, 3), o (B, 3)."""
    extra = points.ndim - 2
    A_ = A.reshape(A.shape[0], *([1] * extra), 3, 3)
    o_ = o.reshape(o.shape[0], *([1] * extra), 3)
    return (A_ @ (points - o_)[..., None])[..., 0]


def points_prior_to_world(points: Tensor, A: Tensor, o: Tensor) -> Tensor:
    """Inverse of :func:`points_world_to_prior`."""
    extra = points.ndim - 2
    A_ = A.reshape(A.shape[0], *([1] * extra), 3, 3)
    o_ = o.reshape(o.shape[0], *([1] * extra), 3)
    return (A_.transpose(-1, -2) @ points[..., None])[..., 0] + o_
