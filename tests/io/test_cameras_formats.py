"""Camera readers and writers: cameras.npz, DPVO/DROID, TUM, MegaSaM, static; their errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from slahmr_opt.io.cameras import read_cameras
from slahmr_opt.io.dpvo import (
    cameras_to_pose7,
    pose7_to_c2w,
    read_pose7_trajectory,
    write_dpvo_trajectory,
)
from slahmr_opt.io.intrinsics import (
    default_intrinsics,
    read_intrinsics,
    rescale_intrinsics,
    write_intrinsics_txt,
)
from slahmr_opt.io.megasam import read_megasam_npz, write_megasam_npz
from slahmr_opt.io.slahmr_layout import read_slahmr_cameras, write_slahmr_cameras
from slahmr_opt.io.tum import read_tum_trajectory, write_tum_trajectory
from slahmr_opt.scene import Cameras

SIZE = (640, 480)
K = np.array([600.0, 610.0, 322.0, 238.0])


def make_cameras(n: int = 12, seed: int = 0) -> Cameras:
    rng = np.random.default_rng(seed)
    return Cameras(
        R=Rotation.random(n, random_state=seed).as_matrix(),
        t=rng.normal(size=(n, 3)),
        intrinsics=np.tile(K, (n, 1)),
    )


def assert_cameras_close(got: Cameras, want: Cameras, atol: float = 1e-12) -> None:
    np.testing.assert_allclose(got.R, want.R, rtol=0, atol=atol)
    np.testing.assert_allclose(got.t, want.t, rtol=0, atol=atol)
    np.testing.assert_allclose(got.intrinsics, want.intrinsics, rtol=0, atol=atol)


# ---------------------------------------------------------------------------------------------
# conventions
# ---------------------------------------------------------------------------------------------


def test_pose7_is_camera_to_world_with_scalar_last_quaternions():
    # a camera at (1, 2, 3) rotated 90° about z: its centre is the translation of the row
    q = Rotation.from_euler("z", 90, degrees=True).as_quat()  # scipy: x, y, z, w
    row = np.concatenate([[1.0, 2.0, 3.0], q])[None]
    cams = Cameras.from_c2w(pose7_to_c2w(row), K)
    np.testing.assert_allclose(cams.centers()[0], [1.0, 2.0, 3.0], atol=1e-12)
    # the camera's x axis points along world +y
    np.testing.assert_allclose(cams.R[0].T @ [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], atol=1e-12)
    wxyz = row[:, [0, 1, 2, 6, 3, 4, 5]]
    np.testing.assert_allclose(pose7_to_c2w(wxyz, quat_order="wxyz"), pose7_to_c2w(row))
    w2c = pose7_to_c2w(row, pose="w2c")
    np.testing.assert_allclose(w2c[0] @ pose7_to_c2w(row)[0], np.eye(4), atol=1e-12)


@pytest.mark.parametrize("pose", ["c2w", "w2c"])
@pytest.mark.parametrize("quat_order", ["xyzw", "wxyz"])
def test_pose7_round_trip_in_every_convention(pose, quat_order):
    cams = make_cameras()
    rows = cameras_to_pose7(cams, pose=pose, quat_order=quat_order)
    m = pose7_to_c2w(rows, pose=pose, quat_order=quat_order)
    assert_cameras_close(Cameras.from_c2w(m, K), cams)


def test_default_and_rescaled_intrinsics():
    np.testing.assert_allclose(default_intrinsics(640, 480), [560.0, 560.0, 320.0, 240.0])
    np.testing.assert_allclose(default_intrinsics(640, 480, 700.0), [700.0, 700.0, 320.0, 240.0])
    np.testing.assert_allclose(
        rescale_intrinsics(K, (640, 480), (1280, 720)), [1200.0, 915.0, 644.0, 357.0]
    )


def test_intrinsics_file_with_and_without_size(tmp_path):
    write_intrinsics_txt(tmp_path / "a.txt", K)
    calib = read_intrinsics(tmp_path / "a.txt")
    np.testing.assert_array_equal(calib.intrinsics, K[None])
    assert calib.image_size is None and calib.distortion is None
    write_intrinsics_txt(tmp_path / "b.txt", np.tile(K, (3, 1)), size=(320, 240))
    calib = read_intrinsics(tmp_path / "b.txt")
    assert calib.intrinsics.shape == (3, 4) and calib.image_size == (320, 240)


# ---------------------------------------------------------------------------------------------
# round trips per format
# ---------------------------------------------------------------------------------------------


def test_slahmr_cameras_npz_round_trip_in_float32(tmp_path):
    cams = make_cameras()
    write_slahmr_cameras(tmp_path / "cameras.npz", cams, SIZE)
    got, size = read_slahmr_cameras(tmp_path / "cameras.npz")
    assert size == SIZE
    assert_cameras_close(got, cams, atol=1e-4)  # float32, as DROID-SLAM writes it
    z = np.load(tmp_path / "cameras.npz")
    assert set(z.files) == {"w2c", "intrins", "focal", "width", "height"}


def test_slahmr_cameras_are_rescaled_to_the_keypoint_image_size(tmp_path):
    cams = make_cameras()
    write_slahmr_cameras(tmp_path / "cameras.npz", cams, SIZE)
    got, note = read_cameras(tmp_path / "cameras.npz", "slahmr", image_size=(320, 240))
    np.testing.assert_allclose(got.intrinsics, 0.5 * cams.intrinsics, rtol=1e-6)
    assert "rescaled" in note["intrinsics"]
    np.testing.assert_allclose(got.t, cams.t, atol=1e-6)  # float32 in the file


@pytest.mark.parametrize("suffix", [".npy", ".txt"])
def test_dpvo_round_trip(tmp_path, suffix):
    cams = make_cameras()
    write_dpvo_trajectory(tmp_path / f"traj{suffix}", cams)
    raw = np.load(tmp_path / "traj.npy") if suffix == ".npy" else np.loadtxt(tmp_path / "traj.txt")
    assert raw.shape == (12, 7)
    np.testing.assert_allclose(raw[:, :3], cams.centers(), atol=1e-12)  # c2w: row = centre
    write_intrinsics_txt(tmp_path / "calib.txt", K)
    got, note = read_cameras(
        tmp_path / f"traj{suffix}", "dpvo", image_size=SIZE, intrinsics=tmp_path / "calib.txt"
    )
    assert_cameras_close(got, cams)
    assert note["pose"] == "c2w" and note["quat_order"] == "xyzw"


def test_dpvo_torch_tensor_file_loads_without_trust(tmp_path):
    cams = make_cameras()
    torch.save(torch.from_numpy(cameras_to_pose7(cams)), tmp_path / "slam.pt")
    np.testing.assert_allclose(read_pose7_trajectory(tmp_path / "slam.pt"), cams.c2w(), atol=1e-12)


def test_dpvo_default_intrinsics(tmp_path):
    write_dpvo_trajectory(tmp_path / "traj.txt", make_cameras())
    got, note = read_cameras(tmp_path / "traj.txt", "droid", image_size=SIZE, focal=500.0)
    np.testing.assert_allclose(got.intrinsics, np.tile([500.0, 500.0, 320.0, 240.0], (12, 1)))
    assert "default" in note["intrinsics"]


def test_tum_round_trip_and_keyframe_interpolation(tmp_path):
    cams = make_cameras()
    write_tum_trajectory(tmp_path / "traj.txt", cams, timestamps=np.arange(12) * 0.5)
    stamps, c2w = read_tum_trajectory(tmp_path / "traj.txt")
    np.testing.assert_allclose(stamps, np.arange(12) * 0.5)
    assert_cameras_close(Cameras.from_c2w(c2w, K), cams)
    # keyframes only (every 3rd frame), timestamps are frame indices: interpolate the rest
    key = Cameras(R=cams.R[::3], t=cams.t[::3], intrinsics=cams.intrinsics[::3])
    write_tum_trajectory(tmp_path / "key.txt", key, timestamps=np.arange(0, 12, 3.0))
    kwargs = dict(image_size=SIZE, intrinsics=K, timestamps="frame_index")
    got, _ = read_cameras(tmp_path / "key.txt", "tum", num_frames=10, **kwargs)
    np.testing.assert_allclose(got.R[::3], cams.R[:10:3], atol=1e-12)
    c = got.centers()
    np.testing.assert_allclose(c[1], (2 * c[0] + c[3]) / 3, atol=1e-12)  # linear in between
    # frames after the last keyframe are not covered: refused, not held
    with pytest.raises(ValueError, match=r"key\.txt: frame 10 \(at 10\) lies outside the traj"):
        read_cameras(tmp_path / "key.txt", "tum", num_frames=12, **kwargs)


def test_megasam_round_trip_and_size_from_images_header(tmp_path):
    cams = make_cameras()
    write_megasam_npz(tmp_path / "sgd_cvd_hr.npz", cams, SIZE)
    c2w, intr, size = read_megasam_npz(tmp_path / "sgd_cvd_hr.npz")
    assert size == (512, 384)  # MegaSaM resizes 640 × 480 to 512 × 384 (a multiple of 8)
    got, _ = read_cameras(tmp_path / "sgd_cvd_hr.npz", "megasam", image_size=SIZE)
    assert_cameras_close(got, cams)


def test_static_cameras():
    got, note = read_cameras(None, "static", image_size=SIZE, num_frames=5)
    assert got.is_static and got.num_frames == 5
    np.testing.assert_array_equal(got.R, np.tile(np.eye(3), (5, 1, 1)))
    np.testing.assert_allclose(got.intrinsics[0], [560.0, 560.0, 320.0, 240.0])


# ---------------------------------------------------------------------------------------------
# errors: one per kind
# ---------------------------------------------------------------------------------------------


def test_error_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"traj\.txt: file not found \(dpvo cameras\)"):
        read_cameras(tmp_path / "traj.txt", "dpvo", image_size=SIZE)


def test_error_wrong_trajectory_shape(tmp_path):
    np.save(tmp_path / "traj.npy", np.zeros((5, 6)))
    with pytest.raises(ValueError, match=r"traj\.npy: trajectory has shape \(5, 6\), expected"):
        read_pose7_trajectory(tmp_path / "traj.npy")


def test_error_nan_in_trajectory(tmp_path):
    rows = cameras_to_pose7(make_cameras())
    rows[3, 1] = np.nan
    np.save(tmp_path / "traj.npy", rows)
    with pytest.raises(ValueError, match=r"traj\.npy: field 'poses' must be finite.*\(3, 1\)"):
        read_pose7_trajectory(tmp_path / "traj.npy")


def test_error_non_unit_quaternion(tmp_path):
    rows = cameras_to_pose7(make_cameras())
    rows[2, 3:] = 0.0
    np.save(tmp_path / "traj.npy", rows)
    with pytest.raises(ValueError, match=r"traj\.npy: row 2 quaternion has norm 0, not a rot"):
        read_pose7_trajectory(tmp_path / "traj.npy")


def test_error_non_rotation_matrix(tmp_path):
    cams = make_cameras()
    w2c = cams.w2c()
    w2c[4, :3, :3] *= 1.1
    np.savez(tmp_path / "cameras.npz", w2c=w2c, intrins=cams.intrinsics)
    with pytest.raises(ValueError, match=r"cameras\.npz.*R\[4\] is not a proper rotation"):
        read_cameras(tmp_path / "cameras.npz", "slahmr", image_size=SIZE)
    c2w = cams.c2w()
    c2w[1, :3, :3] = np.diag([1.0, 1.0, -1.0])
    np.savez(tmp_path / "mega.npz", cam_c2w=c2w, intrinsic=np.diag([500.0, 500.0, 1.0]))
    with pytest.raises(ValueError, match=r"mega\.npz.*R\[1\] is not a proper rotation"):
        read_cameras(tmp_path / "mega.npz", "megasam", image_size=SIZE, intrinsics_size=SIZE)


def test_error_frame_count_mismatch(tmp_path):
    write_dpvo_trajectory(tmp_path / "traj.txt", make_cameras(12))
    with pytest.raises(
        ValueError,
        match=r"traj\.txt: holds 12 camera poses but the video has 13 "
        r"frames \(images/\)",
    ):
        read_cameras(
            tmp_path / "traj.txt", "dpvo", image_size=SIZE, num_frames=13, frames_source="images/"
        )


def test_error_intrinsics_rows_mismatch(tmp_path):
    write_dpvo_trajectory(tmp_path / "traj.txt", make_cameras(12))
    write_intrinsics_txt(tmp_path / "calib.txt", np.tile(K, (5, 1)))
    with pytest.raises(ValueError, match=r"calib\.txt: holds 5 intrinsics rows, expected 1 or"):
        read_cameras(
            tmp_path / "traj.txt", "dpvo", image_size=SIZE, intrinsics=tmp_path / "calib.txt"
        )


def test_error_tum_wrong_columns(tmp_path):
    write_dpvo_trajectory(tmp_path / "traj.txt", make_cameras())
    with pytest.raises(ValueError, match=r"traj\.txt: TUM trajectory has 7 columns, expected 8"):
        read_tum_trajectory(tmp_path / "traj.txt")


def test_error_megasam_missing_field(tmp_path):
    np.savez(tmp_path / "m.npz", cam_c2w=make_cameras().c2w())
    with pytest.raises(ValueError, match=r"m\.npz: field 'intrinsic' missing"):
        read_megasam_npz(tmp_path / "m.npz")


def test_error_unknown_format():
    with pytest.raises(ValueError, match="unknown camera format 'colmap'"):
        read_cameras(None, "colmap", image_size=SIZE)


def test_error_pickled_trajectory_needs_trust(tmp_path):
    import pickle

    (tmp_path / "slam_results.pth").write_bytes(pickle.dumps(cameras_to_pose7(make_cameras())))
    with pytest.raises(ValueError, match=r"slam_results\.pth: trajectory is a Python pickle"):
        read_pose7_trajectory(tmp_path / "slam_results.pth")
    got = read_pose7_trajectory(tmp_path / "slam_results.pth", trust_pickle=True)
    np.testing.assert_allclose(got, make_cameras().c2w(), atol=1e-12)
