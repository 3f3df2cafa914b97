"""Overlay frames: bodies where the cameras see them, in their colours; passes side by side;
frames streamed from image folders and videos; resumable frame folders."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from slahmr_opt.vis.frames import FrameReader, FrameWriter
from slahmr_opt.vis.overlay import OverlayConfig, OverlayRenderer, render_overlay
from tests.export.scenes import NUM_FRAMES, body64, fake_result, scene_and_truth

SIZE = (1920, 1080)
OUT = (480, 270)
GRAY = 235


def _pixel_of_pelvis(person, frame: int, cameras, scale: float) -> tuple[int, int]:
    body = body64()
    k = frame - person.start
    with torch.no_grad():
        j = body.joints(
            *(torch.as_tensor(a[k : k + 1]) for a in (person.global_orient, person.body_pose)),
            torch.as_tensor(person.betas),
            torch.as_tensor(person.transl[k : k + 1]),
        )[0, 0].numpy()
    x = cameras.R[frame] @ j + cameras.t[frame]
    K = cameras.K()[frame]
    return int((K[0, 0] * x[0] / x[2] + K[0, 2]) * scale), int(
        (K[1, 1] * x[1] / x[2] + K[1, 2]) * scale
    )


@pytest.fixture(scope="module")
def result():
    return fake_result()


def test_bodies_are_drawn_where_the_camera_sees_them(result):
    config = OverlayConfig(floor=False, labels=False)
    r = OverlayRenderer(result, SIZE, OUT, body=body64(), config=config)
    bg = np.full((OUT[1], OUT[0], 3), GRAY, np.uint8)
    frame = 12
    img = r.render(frame, bg)
    assert img.shape == (OUT[1], OUT[0], 3)
    # p0 is blue (#1f77b4), p1 red (#d62728): the dominant BGR channel at each pelvis.
    for person, channel in zip(result.people, (0, 2), strict=True):
        u, v = _pixel_of_pelvis(person, frame, result.cameras, OUT[0] / SIZE[0])
        patch = img[v - 1 : v + 2, u - 1 : u + 2].reshape(-1, 3).astype(int)
        assert np.all(np.abs(patch - GRAY).max(axis=1) > 40)
        assert np.all(patch.argmax(axis=1) == channel)
    assert (np.abs(img.astype(int) - GRAY).max(axis=2) > 40).mean() < 0.2  # mostly background


def test_passes_side_by_side_and_skeletons(result):
    config = OverlayConfig(floor=True, labels=True)
    r = OverlayRenderer(result, SIZE, OUT, body=body64(), passes="init,motion", config=config)
    bg = np.full((OUT[1], OUT[0], 3), GRAY, np.uint8)
    img = r.render(5, bg)
    assert img.shape == (OUT[1], 2 * OUT[0], 3)
    left, right = img[:, : OUT[0]], img[:, OUT[0] :]
    assert np.abs(left.astype(int) - right).max() > 100  # init is 30 cm off the truth
    skel = OverlayRenderer(
        result, SIZE, OUT, body=body64(), config=OverlayConfig(style="skeleton", floor=False)
    ).render(5, bg)
    u, v = _pixel_of_pelvis(result.people[0], 5, result.cameras, OUT[0] / SIZE[0])
    assert np.abs(skel[v - 2 : v + 3, u - 2 : u + 3].astype(int) - GRAY).max() > 40


def test_input_keypoints_are_drawn(result):
    scene, _ = scene_and_truth()
    bg = np.zeros((OUT[1], OUT[0], 3), np.uint8)
    cfg = OverlayConfig(keypoints=True, floor=False, labels=False, alpha=0.01)
    img = OverlayRenderer(result, SIZE, OUT, body=body64(), scene=scene, config=cfg).render(7, bg)
    kp = scene.tracks[0].keypoints[7 - scene.tracks[0].start]
    seen = kp[kp[:, 2] > 0.1, :2] * OUT[0] / SIZE[0]
    white = np.all(img > 200, axis=2)
    near = cv2.dilate(white.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    hits = [near[int(y), int(x)] for x, y in seen if 0 <= x < OUT[0] and 0 <= y < OUT[1]]
    assert len(hits) > 10 and np.mean(hits) > 0.9
    with pytest.raises(ValueError, match="scene"):
        OverlayRenderer(result, SIZE, OUT, body=body64(), config=cfg)


def _write_frames(folder, n: int) -> None:
    folder.mkdir()
    for i in range(n):
        img = np.zeros((SIZE[1] // 4, SIZE[0] // 4, 3), np.uint8)
        img[..., 1] = 40 + 5 * i  # each frame its own green level
        cv2.imwrite(str(folder / f"{i:05d}.jpg"), img)


def test_render_over_an_image_folder_into_a_resumable_folder(tmp_path, result):
    frames = tmp_path / "frames"
    _write_frames(frames, NUM_FRAMES)
    out = tmp_path / "out"
    out.mkdir()
    marker = cv2.imencode(".png", np.zeros((2, 2, 3), np.uint8))[1].tobytes()
    (out / "frame_000003.png").write_bytes(marker)  # already rendered by an earlier run
    render_overlay(
        result, out, images=frames, body=body64(), frames=(2, 6), progress=False,
        config=OverlayConfig(max_width=240, labels=False, floor=False),
    )  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == [f"frame_{i:06d}.png" for i in range(2, 6)]
    assert (out / "frame_000003.png").read_bytes() == marker
    img = cv2.imread(str(out / "frame_000004.png"))
    assert img.shape == (136, 240, 3)  # even sizes, for video encoders
    corner = img[:10, :10].reshape(-1, 3)  # background: frame 4's own green level
    assert np.all(np.abs(corner.astype(int) - [0, 60, 0]).max(axis=1) <= 3)


def test_video_in_and_out(tmp_path, result):
    video = tmp_path / "in.avi"
    w = FrameWriter(video, 30.0, (160, 90))
    for i in range(8):
        w.write(i, np.full((90, 160, 3), 20 * i, np.uint8))
    assert w.close() == video
    reader = FrameReader(video)
    assert (reader.num_frames, reader.size) == (8, (160, 90))
    assert abs(int(reader.read(5).mean()) - 100) <= 3  # out of order: seeks
    assert abs(int(reader.read(6).mean()) - 120) <= 3
    reader.close()
    with pytest.raises(ValueError, match="8 frames"):
        render_overlay(result, tmp_path / "o.mp4", images=video, body=body64(), progress=False)
    assert not list(tmp_path.glob("*.mp4")) and not list(tmp_path.glob(".o*"))
    out = render_overlay(
        result, tmp_path / "o.mp4", images=video, body=body64(), frames=(0, 8), progress=False
    )
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 8
    assert int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == 160  # the video's own size (no scene given)
    cap.release()


def test_frames_of_another_aspect_ratio_are_refused(tmp_path, result):
    scene, _ = scene_and_truth()
    video = tmp_path / "square.avi"
    w = FrameWriter(video, 30.0, (100, 100))
    for i in range(NUM_FRAMES):
        w.write(i, np.zeros((100, 100, 3), np.uint8))
    w.close()
    with pytest.raises(ValueError, match="aspect"):
        render_overlay(result, tmp_path / "x.mp4", images=video, scene=scene, body=body64())
    with pytest.raises(ValueError, match="no such"):
        render_overlay(result, tmp_path / "x.mp4", images=tmp_path / "nope", body=body64())
