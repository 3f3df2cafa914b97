"""The top-down trajectory plot: a valid PNG of the asked size showing every person's colour."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.image import imread
from scipy.spatial.transform import Rotation

from slahmr_opt.body import BodyModel
from slahmr_opt.result import WorldEstimate
from slahmr_opt.scene import Cameras, GroundTruth, PersonMotion
from slahmr_opt.vis.trajectory import PERSON_COLORS, plot_transform, trajectory_to_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def body() -> BodyModel:
    return BodyModel.standin(dtype=torch.float64)


def _estimate(num_people: int, floor: bool) -> WorldEstimate:
    rng = np.random.default_rng(0)
    n = 30
    # y-down world (first camera frame), camera walking forward along +z.
    R = Rotation.from_rotvec(0.02 * rng.normal(size=(n, 3))).as_matrix()
    centres = np.stack([np.zeros(n), np.zeros(n), np.linspace(0, 2, n)], axis=1)
    t = -np.einsum("tij,tj->ti", R, centres)
    cams = Cameras(R=R, t=t, intrinsics=np.tile([500.0, 500.0, 320.0, 240.0], (n, 1)))
    people = []
    for k in range(num_people):
        s = np.linspace(0, 1, n)
        transl = np.stack([2.0 * s - 1.0 + 1.5 * k, np.full(n, 0.6), 4.0 + k + s], axis=1)
        people.append(
            PersonMotion(
                track_id=f"p{k}",
                frames=np.arange(n),
                global_orient=np.tile([np.pi, 0.0, 0.0], (n, 1)),
                body_pose=np.zeros((n, 23, 3)),
                betas=np.zeros(10),
                transl=transl,
            )
        )
    return WorldEstimate(
        people=people,
        alpha=1.0,
        cameras=cams,
        fps=30.0,
        floor=(np.array([0.0, -1.0, 0.0]), -1.5) if floor else None,
        method="test",
    )


def _color_pixels(img: np.ndarray, hex_color: str, tol: float = 0.06) -> int:
    rgb = np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
    return int(np.sum(np.all(np.abs(img[..., :3] - rgb) < tol, axis=-1)))


@pytest.mark.parametrize("floor", [True, False])
def test_png_of_requested_size_with_person_colours(tmp_path, body, floor):
    est = _estimate(3, floor)
    out = trajectory_to_png(est, tmp_path / "sub" / "traj.png", body=body, size=(640, 480))
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    img = imread(out)
    assert img.shape[:2] == (480, 640)
    for color in PERSON_COLORS[:3]:
        assert _color_pixels(img, color) > 100
    assert _color_pixels(img, PERSON_COLORS[3]) == 0  # only three people drawn
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_ground_truth_overlay_and_frame(tmp_path, body):
    est = _estimate(1, True)
    T, has_floor = plot_transform(est)
    assert has_floor
    np.testing.assert_allclose(T[:3, :3] @ [0.0, -1.0, 0.0], [0, 0, 1], atol=1e-12)
    gt = GroundTruth(
        alpha=1.0,
        floor_normal=np.array([0.0, -1.0, 0.0]),
        floor_offset=-1.5,
        cameras=est.cameras,
        people=[est.people[0]],
        fps=30.0,
    )
    plain = trajectory_to_png(est, tmp_path / "a.png", body=body, size=(400, 400))
    overlay = trajectory_to_png(
        est, tmp_path / "b.png", body=body, ground_truth=gt, size=(400, 400)
    )
    a, b = imread(plain), imread(overlay)
    assert a.shape == b.shape == (400, 400, 4)
    dark = "#{:02x}{:02x}{:02x}".format(
        *(int(0.55 * int(PERSON_COLORS[0][i : i + 2], 16)) for i in (1, 3, 5))
    )
    assert _color_pixels(b, dark, tol=0.04) > _color_pixels(a, dark, tol=0.04) + 20


def test_bad_arguments(tmp_path, body):
    est = _estimate(1, True)
    with pytest.raises(ValueError, match="size"):
        trajectory_to_png(est, tmp_path / "x.png", body=body, size=(10, 10))
    with pytest.raises(ValueError, match="estimate"):
        trajectory_to_png(est.people, tmp_path / "x.png", body=body)
    with pytest.raises(ValueError, match="ground_truth"):
        trajectory_to_png(est, tmp_path / "x.png", body=body, ground_truth=est)
