"""The numpy rasteriser: coverage, perspective-correct depth, z-buffering, culling, normals."""

from __future__ import annotations

import numpy as np

from slahmr_opt.vis.raster import rasterize, shade, vertex_normals

K = np.array([[200.0, 0.0, 50.0], [0.0, 200.0, 40.0], [0.0, 0.0, 1.0]])
SIZE = (100, 80)


def _quad(x0, x1, y0, y1, z0, z1=None) -> tuple[np.ndarray, np.ndarray]:
    """A camera-facing quad (two triangles, counter-clockwise seen from the camera)."""
    z1 = z0 if z1 is None else z1
    v = np.array([[x0, y0, z0], [x1, y0, z0], [x1, y1, z1], [x0, y1, z1]], dtype=float)
    f = np.array([[0, 2, 1], [0, 3, 2]])
    return v, f


def test_coverage_matches_the_projected_area():
    v, f = _quad(-0.1, 0.1, -0.05, 0.05, 1.0)  # 40 × 20 pixels at depth 1 m
    r = rasterize(v, f, K, SIZE)
    assert abs(int(r.mask.sum()) - 800) <= 4
    np.testing.assert_allclose(r.depth[r.mask], 1.0)
    np.testing.assert_allclose(r.bary[r.mask].sum(axis=1), 1.0)
    ys, xs = np.nonzero(r.mask)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (30, 69, 30, 49)


def test_depth_is_perspective_correct_on_a_slanted_plane():
    v, f = _quad(-0.2, 0.2, -0.1, 0.1, 1.0, 3.0)  # the plane z = 2 + 10 y, tilted away
    r = rasterize(v, f, K, SIZE)
    ys, xs = np.nonzero(r.mask)
    # A pixel ray (u, v) meets z = 2 + 10 y at y = z (v − cy)/fy: z = 2 / (1 − 10 (v − cy)/fy).
    expect = 2.0 / (1.0 - 10.0 * ((ys + 0.5) - K[1, 2]) / K[1, 1])
    np.testing.assert_allclose(r.depth[ys, xs], expect, rtol=1e-9)


def test_nearest_surface_wins_whatever_the_order():
    near, f = _quad(-0.1, 0.1, -0.1, 0.1, 1.0)
    far, _ = _quad(-0.4, 0.0, -0.4, 0.0, 2.0)
    for verts, faces in (
        (np.concatenate([near, far]), np.concatenate([f, f + 4])),
        (np.concatenate([far, near]), np.concatenate([f, f + 4])),
    ):
        r = rasterize(verts, faces, K, SIZE)
        near_faces = {0, 1} if verts[0, 2] == 1.0 else {2, 3}
        centre = r.face[40, 50]
        assert centre in near_faces and r.depth[40, 50] == 1.0
        assert r.depth[10, 15] == 2.0  # only the far quad reaches up-left of the near one


def test_back_faces_and_points_behind_the_camera_are_dropped():
    v, f = _quad(-0.1, 0.1, -0.1, 0.1, 1.0)
    assert rasterize(v, f[:, ::-1], K, SIZE).mask.sum() == 0
    assert rasterize(v, f[:, ::-1], K, SIZE, cull_back=False).mask.sum() > 0
    behind = v.copy()
    behind[:, 2] = -1.0
    assert rasterize(behind, f, K, SIZE, cull_back=False).mask.sum() == 0


def test_normals_point_out_and_shading_lights_facing_surfaces():
    # An octahedron: outward normals are the vertex directions.
    v = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], float)
    f = np.array(
        [[0, 2, 4], [2, 1, 4], [1, 3, 4], [3, 0, 4], [2, 0, 5], [1, 2, 5], [3, 1, 5], [0, 3, 5]]
    )
    np.testing.assert_allclose(vertex_normals(v, f), v, atol=1e-6)
    assert vertex_normals(np.stack([v, 2 * v]), f).shape == (2, 6, 3)
    quad, qf = _quad(-0.1, 0.1, -0.1, 0.1, 1.0)
    r = rasterize(quad, qf, K, SIZE)
    facing = np.tile([0.0, 0.0, -1.0], (4, 1))
    away = np.tile([1.0, 0.0, 0.0], (4, 1))
    colors = np.ones((2, 3))
    bright = shade(r, qf, facing, colors)[r.mask].mean()
    dim = shade(r, qf, away, colors)[r.mask].mean()
    assert bright > dim > 0
