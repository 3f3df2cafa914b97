"""Camera files exactly as the upstream tools write them (issue 11, item 6): TUM trajectories
with absolute timestamps, DPVO's strided saved trajectory, DROID / DPVO calibration files with
distortion, MegaSaM's resized intrinsics, WHAM's static-camera fallback, and the original's
float32 ``cameras.npz``.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import joblib
import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from slahmr_opt.io.cameras import read_cameras
from slahmr_opt.io.dpvo import pose7_to_c2w, write_dpvo_saved_trajectory
from slahmr_opt.io.folder import load_scene_folder, write_manifest_folder
from slahmr_opt.io.intrinsics import read_intrinsics, undistort_points, write_intrinsics_txt
from slahmr_opt.io.keypoints import KeypointTrack
from slahmr_opt.io.megasam import megasam_resized_size
from slahmr_opt.io.openpose import write_openpose_tracks
from slahmr_opt.io.slahmr_layout import read_slahmr_cameras, write_slahmr_cameras
from slahmr_opt.io.tracks import track_to_observations
from slahmr_opt.io.tum import write_tum_trajectory
from slahmr_opt.scene import Cameras
from slahmr_opt.synth.scene import make_scene
from tests.io.upstream import run_slam_save_cameras, slahmr_load_cameras

DATA = Path(__file__).parents[1] / "data"
SIZE = (640, 480)
K = np.array([535.4, 539.2, 320.1, 247.6])  # DROID-SLAM calib/tum3.txt


def moving_camera(times: np.ndarray) -> Cameras:
    """A camera turning about y at 0.3 rad/s while its centre moves on a smooth curve."""
    R_c2w = Rotation.from_rotvec(np.outer(0.3 * times, [0.0, 1.0, 0.0])).as_matrix()
    centre = np.stack([np.sin(times), 0.1 * times, np.cos(times)], axis=1)
    c2w = np.tile(np.eye(4), (len(times), 1, 1))
    c2w[:, :3, :3], c2w[:, :3, 3] = R_c2w, centre
    return Cameras.from_c2w(c2w, K)


def assert_same_poses(got: Cameras, want: Cameras, atol: float) -> None:
    np.testing.assert_allclose(got.R, want.R, rtol=0, atol=atol)
    np.testing.assert_allclose(got.centers(), want.centers(), rtol=0, atol=atol)


# ----------------------------------------------------------------- TUM: time, not row numbers


def test_tum_ground_truth_at_100hz_is_associated_with_30hz_frames_by_time(tmp_path):
    """TUM RGB-D ground truth: absolute Unix stamps at 100 Hz; the camera's frames at ~30 Hz are
    listed in rgb.txt (``timestamp filename``). evo reads the file with
    ``read_tum_trajectory_file`` (evo/tools/file_interface.py:108-133) and matches stamps within
    max_diff = 0.01 s (evo/core/sync.py); we interpolate between the two poses around a frame."""
    t0 = 1305031102.175304
    gt_times = t0 + 0.01 * np.arange(201)  # 2 s of ground truth
    write_tum_trajectory(tmp_path / "groundtruth.txt", moving_camera(gt_times - t0), gt_times)
    jitter = np.random.default_rng(0).uniform(-0.002, 0.002, 50)
    frame_times = t0 + 0.05 + np.arange(50) / 30.0 + jitter
    lines = ["# color images", "# file: 'rgbd_dataset_freiburg3.bag'", "# timestamp filename"]
    lines += [f"{t:.6f} rgb/{t:.6f}.png" for t in frame_times]
    (tmp_path / "rgb.txt").write_text("\n".join(lines) + "\n")
    kwargs = dict(image_size=SIZE, num_frames=50, intrinsics=K, timestamps="seconds")
    got, note = read_cameras(
        tmp_path / "groundtruth.txt", "tum", frame_times=tmp_path / "rgb.txt", **kwargs
    )
    assert_same_poses(got, moving_camera(frame_times - t0), atol=2e-5)
    assert note["frame_times"].endswith("rgb.txt")
    # frames counted from 0 s (the old reading) lie 41 years before the trajectory: refused,
    # where every frame used to get the first pose (a static camera, silently)
    with pytest.raises(ValueError, match=r"groundtruth\.txt: frame 0 \(at 0 s\) lies outside"):
        read_cameras(tmp_path / "groundtruth.txt", "tum", fps=30.0, **kwargs)
    # or the first frame's time and the frame rate
    got, _ = read_cameras(
        tmp_path / "groundtruth.txt", "tum", fps=30.0, start_time=t0 + 0.05, **kwargs
    )
    assert_same_poses(got, moving_camera(0.05 + np.arange(50) / 30.0), atol=2e-5)
    # frames past the last pose by more than evo's 0.01 s are not covered
    with pytest.raises(ValueError, match=r"frame 20 \(at .* s\) lies outside the trajectory"):
        read_cameras(tmp_path / "groundtruth.txt", "tum", fps=10.0, start_time=t0 + 0.05, **kwargs)


# ------------------------------------------------------------- DPVO's saved trajectory: stride


@pytest.mark.parametrize("num_frames", [31, 30])
def test_dpvo_saved_trajectory_has_one_row_every_stride_frames(tmp_path, num_frames):
    """DPVO demo.py:66 defaults to --stride 2 and stream.py:21 keeps image_list[skip::stride];
    --save_trajectory writes one TUM row per processed frame, stamps 0 … N−1 (demo.py:84-95)."""
    times = np.arange(num_frames) / 30.0
    truth = moving_camera(times)
    path = write_dpvo_saved_trajectory(tmp_path / "result.txt", truth, stride=2)
    rows = np.loadtxt(path)  # evo writes np.savetxt(..., delimiter=" ")
    assert rows.shape == (len(range(0, num_frames, 2)), 8)
    np.testing.assert_array_equal(rows[:, 0], np.arange(len(rows)))
    kwargs = dict(image_size=SIZE, num_frames=num_frames, intrinsics=K)
    with pytest.raises(ValueError, match=r"--stride 2 \(its default is 2\).*'camera_stride': 2"):
        read_cameras(path, "tum", **kwargs)
    got, note = read_cameras(path, "tum", stride=2, **kwargs)
    assert note["stride"] == 2
    assert_same_poses(_every(got, 2), _every(truth, 2), atol=1e-12)
    inner = 2 * (len(rows) - 1) + 1  # odd frames between rows are interpolated
    assert_same_poses(_first(got, inner), _first(truth, inner), atol=1e-3)
    if num_frames % 2 == 0:  # the last frame was never processed: it takes the last row's pose
        np.testing.assert_allclose(got.R[-1], got.R[-2], atol=1e-12)


def _first(cams: Cameras, n: int) -> Cameras:
    return Cameras(R=cams.R[:n], t=cams.t[:n], intrinsics=cams.intrinsics[:n])


def _every(cams: Cameras, step: int) -> Cameras:
    return Cameras(R=cams.R[::step], t=cams.t[::step], intrinsics=cams.intrinsics[::step])


def test_dpvo_stride_through_the_manifest(tmp_path):
    scene = make_scene(1, 20, "easy", "handheld", seed=3)[0]
    folder = write_manifest_folder(tmp_path, scene, keypoints_format=None, cameras_format="dpvo")
    write_dpvo_saved_trajectory(folder / "result.txt", scene.cameras, stride=2)
    m = json.loads((folder / "slahmr_opt.json").read_text())
    m.update(cameras="result.txt", cameras_format="tum", camera_stride=2)
    (folder / "slahmr_opt.json").write_text(json.dumps(m))
    got = load_scene_folder(folder, min_track_len=1)
    np.testing.assert_allclose(got.cameras.R[::2], scene.cameras.R[::2], atol=1e-12)
    assert got.provenance["cameras"]["stride"] == 2


# ------------------------------------------------------- DROID / DPVO calibration: distortion


def test_real_calib_files_with_and_without_distortion():
    """Files from the DPVO and DROID-SLAM repositories (tests/data/SOURCES.md); both tools read
    them with np.loadtxt(calib, delimiter=" ") and undistort with calib[4:] when there are more
    than 4 numbers (DROID-SLAM demo.py:29-43, DPVO dpvo/stream.py:11-27)."""
    euroc = read_intrinsics(DATA / "dpvo_calib_euroc.txt")
    np.testing.assert_array_equal(euroc.intrinsics, [[458.654, 457.296, 367.215, 248.375]])
    np.testing.assert_array_equal(
        euroc.distortion, [-0.28340811, 0.07395907, 0.00019359, 1.76187114e-05]
    )
    iphone = read_intrinsics(DATA / "dpvo_calib_iphone.txt")
    np.testing.assert_array_equal(iphone.distortion, [0.07, -0.08, 0.0, 0.0])
    tum3 = read_intrinsics(DATA / "droid_calib_tum3.txt")
    np.testing.assert_array_equal(tum3.intrinsics, [K])
    assert tum3.distortion is None
    assert np.loadtxt(DATA / "dpvo_calib_euroc.txt", delimiter=" ").size == 8


def _distort(xy: np.ndarray, intr: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Where OpenCV's lens model puts pinhole pixels ``xy`` in the original image."""
    fx, fy, cx, cy = intr
    rays = np.stack([(xy[:, 0] - cx) / fx, (xy[:, 1] - cy) / fy, np.ones(len(xy))], axis=1)
    Kmat = np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1.0]])
    out, _ = cv2.projectPoints(rays, np.zeros(3), np.zeros(3), Kmat, dist)
    return out.reshape(-1, 2)


def test_undistort_points_inverts_opencvs_lens_model():
    calib = read_intrinsics(DATA / "dpvo_calib_euroc.txt")
    pinhole = np.random.default_rng(0).uniform([100, 80], [650, 420], (50, 2))
    distorted = _distort(pinhole, calib.intrinsics[0], calib.distortion)
    assert np.abs(distorted - pinhole).max() > 20  # EuRoC's lens bends a lot
    back = undistort_points(distorted, calib.intrinsics[0], calib.distortion)
    np.testing.assert_allclose(back, pinhole, atol=1e-3)


def test_keypoints_are_undistorted_when_the_calib_has_distortion(tmp_path):
    """DPVO tracks undistorted images with K: keypoints detected on the original frames must be
    undistorted the same way to fit the pinhole cameras."""
    scene = make_scene(1, 20, "easy", "handheld", seed=3)[0]
    dist = read_intrinsics(DATA / "dpvo_calib_iphone.txt").distortion
    folder = write_manifest_folder(tmp_path, scene, keypoints_format="openpose")
    write_intrinsics_txt(folder / "calib.txt", scene.cameras.intrinsics[0], distortion=dist)
    obs = track_to_observations(scene.tracks[0])
    distorted = obs.keypoints.copy()
    for row in distorted:
        seen = row[:, 2] > 0  # OpenPose writes 0, 0, 0 for a joint it did not find
        row[seen, :2] = _distort(row[seen, :2], scene.cameras.intrinsics[0], dist)
    names = [f"{i:06d}" for i in range(scene.num_frames)]
    write_openpose_tracks(folder / "openpose", [KeypointTrack("p0", obs.frames, distorted)], names)
    got = load_scene_folder(folder, min_track_len=1)
    assert got.provenance["cameras"]["distortion"] == dist.tolist()
    np.testing.assert_allclose(got.tracks[0].keypoints, scene.tracks[0].keypoints, atol=1e-3)
    assert np.abs(distorted - scene.tracks[0].keypoints).max() > 0.5  # what the lens does


def test_unsupported_distortion_is_a_clear_error(tmp_path):
    (tmp_path / "calib.txt").write_text("500 500 320 240 0.1 0.2 0.3\n")
    with pytest.raises(ValueError, match=r"calib\.txt: rows have 7 numbers.*distortion"):
        read_intrinsics(tmp_path / "calib.txt")


# ----------------------------------------------------------------- MegaSaM's resized intrinsics


def test_megasam_intrinsics_are_rescaled_from_its_resize_not_its_crop(tmp_path):
    """test_demo.py:78-83 resizes to ~384×512 px of area, crops to multiples of 8, and saves
    the uncropped resize's K with the cropped images (test_demo.py:133-156)."""
    W, H = 1920, 1080
    w1, h1 = megasam_resized_size(W, H)
    assert (w1, h1) == (591, 332)
    K_full = np.array([1500.0, 1510.0, 955.0, 545.0])
    K_small = K_full * np.array([w1 / W, h1 / H, w1 / W, h1 / H])
    cams = moving_camera(np.arange(3) / 30.0)
    np.savez(
        tmp_path / "seq_droid.npz",
        images=np.zeros((3, h1 - h1 % 8, w1 - w1 % 8, 3), np.uint8),
        depths=np.ones((3, h1 - h1 % 8, w1 - w1 % 8), np.float32),
        intrinsic=np.array([[K_small[0], 0, K_small[2]], [0, K_small[1], K_small[3]], [0, 0, 1.0]]),
        cam_c2w=cams.c2w(),
    )
    got, note = read_cameras(tmp_path / "seq_droid.npz", "megasam", image_size=(W, H))
    np.testing.assert_allclose(got.intrinsics[0], K_full, rtol=1e-12)
    assert "rescaled from (591, 332)" in note["intrinsics"]
    # rescaling from the cropped images' 584 × 328 would make fx 1.2 % too large
    assert abs(K_small[0] * W / (w1 - w1 % 8) / K_full[0] - 1) > 0.01
    with pytest.raises(ValueError, match=r"'images' are 584×328, which is neither"):
        read_cameras(tmp_path / "seq_droid.npz", "megasam", image_size=(1440, 1080))


# ------------------------------------------------------------------ WHAM's static fallback


def test_wham_static_fallback_is_a_static_camera(tmp_path):
    """WHAM demo.py:77-79 without DPVO: np.zeros((N, 7)) with column 3 set to 1, saved with
    joblib.dump (demo.py:88). Read as x y z qx qy qz qw that is a 180° turn about x."""
    rows = np.zeros((12, 7))
    rows[:, 3] = 1.0
    joblib.dump(rows, tmp_path / "slam_results.pth")
    np.testing.assert_allclose(pose7_to_c2w(rows)[0, :3, :3], np.diag([1.0, -1.0, -1.0]))
    for fmt in ("wham", "dpvo"):
        got, note = read_cameras(
            tmp_path / "slam_results.pth", fmt, image_size=SIZE, num_frames=12, trust_pickle=True
        )
        assert got.is_static and note["wham_static_fallback"]
        np.testing.assert_array_equal(got.R, np.tile(np.eye(3), (12, 1, 1)))
    # a real DPVO trajectory in the same file is read as moving cameras
    truth = moving_camera(np.arange(12) / 30.0)
    from slahmr_opt.io.dpvo import cameras_to_pose7

    joblib.dump(cameras_to_pose7(truth), tmp_path / "slam_results.pth")
    got, _ = read_cameras(
        tmp_path / "slam_results.pth", "wham", image_size=SIZE, intrinsics=K, trust_pickle=True
    )
    assert not got.is_static
    assert_same_poses(got, truth, atol=1e-12)


# ----------------------------------------------------------- the original's float32 cameras.npz


def test_run_slam_cameras_npz_reads_and_ours_loads_in_the_original(tmp_path):
    truth = moving_camera(np.arange(10) / 30.0)
    path = run_slam_save_cameras(tmp_path / "a", truth.w2c(), truth.intrinsics, 640, 480)
    z = np.load(path)
    assert {k: z[k].dtype for k in z.files} == dict.fromkeys(
        ["height", "width", "focal", "intrins", "w2c"], np.float32
    )
    got, size = read_slahmr_cameras(path)
    assert size == (640, 480)
    assert_same_poses(got, truth, atol=1e-6)
    # our writer emits the same dtypes, so the original's loader and its float32 math take it
    ours = write_slahmr_cameras(tmp_path / "b" / "cameras.npz", truth, (640, 480))
    z = np.load(ours)
    assert {k: z[k].dtype for k in z.files} == {k: np.dtype(np.float32) for k in z.files}
    loaded = slahmr_load_cameras(ours, img_w=320)
    np.testing.assert_allclose(loaded["intrins"].numpy(), 0.5 * truth.intrinsics, rtol=1e-6)
    # a float64 file (what we wrote before) breaks the original's float32 composition
    np.savez(tmp_path / "c.npz", **{k: z[k].astype(np.float64) for k in z.files})
    with pytest.raises(RuntimeError):
        slahmr_load_cameras(tmp_path / "c.npz", img_w=320)
    assert torch.from_numpy(z["w2c"]).dtype == torch.float32
