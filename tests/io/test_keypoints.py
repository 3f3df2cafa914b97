"""Keypoint readers and writers: OpenPose JSON, keypoint arrays, WHAM, GVHMR; their errors."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pytest
import torch

from slahmr_opt.body.joint_maps import COCO17_TO_BODY25, coco17_to_body25
from slahmr_opt.io.common import FrameIndex
from slahmr_opt.io.gvhmr_inputs import read_gvhmr_vitpose, write_gvhmr_vitpose
from slahmr_opt.io.keypoints import (
    KeypointTrack,
    body25_to_coco17_array,
    coco17_to_body25_array,
    keypoints_to_body25,
    read_keypoint_arrays,
    write_coco_results_json,
    write_keypoint_array,
)
from slahmr_opt.io.openpose import (
    read_openpose_json,
    read_openpose_tracks,
    write_openpose_json,
    write_openpose_tracks,
)
from slahmr_opt.io.wham_inputs import read_wham_tracking_results, write_wham_tracking_results

COCO_SLOTS = list(COCO17_TO_BODY25)
EMPTY_SLOTS = [k for k in range(25) if k not in COCO_SLOTS]


def random_body25(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    kp = np.stack(
        [rng.uniform(0, 640, (n, 25)), rng.uniform(0, 480, (n, 25)), rng.uniform(0, 1, (n, 25))],
        axis=-1,
    )
    kp[:, 3, 2] = 0.0  # an undetected joint
    return kp


def coco_only(kp: np.ndarray) -> np.ndarray:
    """What survives a COCO-17 round trip: the COCO slots; the others are zero."""
    out = np.zeros_like(kp)
    out[..., COCO_SLOTS, :] = kp[..., COCO_SLOTS, :]
    return out


def make_tracks() -> dict[str, KeypointTrack]:
    return {
        "3": KeypointTrack("3", np.array([0, 1, 2, 5, 6]), random_body25(5, 1)),
        "7": KeypointTrack("7", np.arange(4, 10), random_body25(6, 2)),
    }


def assert_same_tracks(got, want, *, coco: bool = False, atol: float = 1e-12) -> None:
    assert sorted(got) == sorted(want)
    for tid, kt in want.items():
        np.testing.assert_array_equal(got[tid].frames, kt.frames)
        expected = coco_only(kt.keypoints) if coco else kt.keypoints
        np.testing.assert_allclose(got[tid].keypoints, expected, rtol=0, atol=atol)


# ---------------------------------------------------------------------------------------------
# layouts
# ---------------------------------------------------------------------------------------------


def test_numpy_coco_map_matches_the_torch_map_and_leaves_neck_hip_feet_empty():
    coco = np.random.default_rng(0).uniform(0.1, 1.0, size=(4, 17, 3))
    ours = coco17_to_body25_array(coco)
    theirs = coco17_to_body25(torch.from_numpy(coco)).numpy()
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(ours[:, [1, 8, 19, 20, 21, 22, 23, 24]], 0.0)
    # the original's map: COCO left shoulder (5) → BODY_25 LShoulder (5), right hip (12) → RHip (9)
    np.testing.assert_array_equal(ours[:, 5], coco[:, 5])
    np.testing.assert_array_equal(ours[:, 9], coco[:, 12])
    np.testing.assert_array_equal(body25_to_coco17_array(ours), coco)


def test_keypoints_to_body25_detects_the_layout_by_joint_count():
    kp25 = random_body25(3, 0)
    np.testing.assert_array_equal(keypoints_to_body25(kp25, label="x"), kp25)
    coco = body25_to_coco17_array(kp25)
    np.testing.assert_array_equal(keypoints_to_body25(coco, label="x"), coco_only(kp25))


def test_frame_index_from_list_and_from_trailing_numbers():
    listed = FrameIndex(["a", "b", "c"], source="shots.json")
    assert listed.index("b", "f") == 1 and listed.num_frames == 3
    parsed = FrameIndex(first_frame=1)
    assert parsed.index("frame_000012", "f") == 11
    assert parsed.num_frames is None


# ---------------------------------------------------------------------------------------------
# OpenPose
# ---------------------------------------------------------------------------------------------


def test_openpose_json_round_trip_with_person_ids(tmp_path):
    kp = random_body25(2, 3)
    path = write_openpose_json(tmp_path / "000004_keypoints.json", kp, person_ids=[5, 9])
    raw = json.loads(path.read_text())
    assert len(raw["people"][0]["pose_keypoints_2d"]) == 75
    frame = read_openpose_json(path)
    np.testing.assert_array_equal(frame.keypoints, kp)
    assert frame.person_ids == [5, 9]


def test_openpose_empty_people_and_untracked_ids(tmp_path):
    path = tmp_path / "a_keypoints.json"
    path.write_text(json.dumps({"people": []}))
    assert read_openpose_json(path).keypoints.shape == (0, 25, 3)
    write_openpose_json(path, random_body25(1, 0))
    assert read_openpose_json(path).person_ids == [None]


def test_openpose_track_folders_round_trip(tmp_path):
    tracks = make_tracks()
    names = [f"{i:06d}" for i in range(10)]
    write_openpose_tracks(tmp_path / "op", tracks, names)
    assert (tmp_path / "op" / "7" / "000009_keypoints.json").is_file()
    assert_same_tracks(read_openpose_tracks(tmp_path / "op", FrameIndex(names)), tracks)


def test_openpose_per_frame_files_grouped_by_person_id(tmp_path):
    tracks = make_tracks()
    for frame in range(10):
        rows, ids = [], []
        for tid, kt in tracks.items():
            hit = np.flatnonzero(kt.frames == frame)
            if hit.size:
                rows.append(kt.keypoints[hit[0]])
                ids.append(int(tid))
        write_openpose_json(
            tmp_path / f"video_{frame:012d}_keypoints.json",
            np.array(rows).reshape(-1, 25, 3),
            ids,
        )
    assert_same_tracks(read_openpose_tracks(tmp_path), tracks)


# ---------------------------------------------------------------------------------------------
# keypoint arrays, WHAM, GVHMR
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["coco17", "body25"])
def test_keypoint_array_npz_round_trip(tmp_path, layout):
    tracks = make_tracks()
    for kt in tracks.values():
        write_keypoint_array(tmp_path / f"{kt.track_id}.npz", kt, layout=layout)
    stored = np.load(tmp_path / "3.npz")["keypoints"]
    assert stored.shape == (5, 17 if layout == "coco17" else 25, 3)
    assert_same_tracks(read_keypoint_arrays(tmp_path), tracks, coco=layout == "coco17")


def test_keypoint_array_npy_covers_frames_from_zero(tmp_path):
    kt = KeypointTrack("walker", np.arange(6), random_body25(6, 4))
    write_keypoint_array(tmp_path / "walker.npy", kt)
    got = read_keypoint_arrays(tmp_path / "walker.npy")
    assert_same_tracks(got, {"walker": kt}, coco=True)


def test_coco_results_json_round_trip(tmp_path):
    tracks = make_tracks()
    path = write_coco_results_json(tmp_path / "vitpose.json", tracks.values())
    entries = json.loads(path.read_text())
    assert len(entries[0]["keypoints"]) == 51 and entries[0]["image_id"] == 0
    assert_same_tracks(read_keypoint_arrays(path), tracks, coco=True)


def test_wham_tracking_results_round_trip_behind_trust_pickle(tmp_path):
    tracks = make_tracks()
    path = write_wham_tracking_results(tmp_path / "tracking_results.pth", tracks.values())
    raw = joblib.load(path)  # how WHAM's demo.py:93 reads it back
    assert set(raw) == {3, 7} and raw[3]["keypoints"].shape == (5, 17, 3)
    with pytest.raises(ValueError, match="trust_pickle=True"):
        read_wham_tracking_results(path)
    got = read_wham_tracking_results(path, trust_pickle=True)
    assert_same_tracks(got, tracks, coco=True, atol=1e-4)  # float32, as mmpose writes it


def test_gvhmr_vitpose_round_trip_needs_no_trust(tmp_path):
    kt = KeypointTrack("0", np.arange(8), random_body25(8, 5))
    path = write_gvhmr_vitpose(tmp_path / "vitpose.pt", kt)
    assert torch.load(path, weights_only=True).shape == (8, 17, 3)
    assert_same_tracks(read_gvhmr_vitpose(path), {"0": kt}, coco=True, atol=1e-4)
    assert list(read_gvhmr_vitpose(path, track_id="p0")) == ["p0"]


# ---------------------------------------------------------------------------------------------
# errors: one per kind
# ---------------------------------------------------------------------------------------------


def test_error_missing_file_names_it(tmp_path):
    with pytest.raises(ValueError, match=r"nope_keypoints\.json: file not found"):
        read_openpose_json(tmp_path / "nope_keypoints.json")
    with pytest.raises(ValueError, match=r"missing\.npz: file not found"):
        read_keypoint_arrays(tmp_path / "missing.npz")


def test_error_wrong_shape_openpose(tmp_path):
    path = tmp_path / "0_keypoints.json"
    path.write_text(json.dumps({"people": [{"pose_keypoints_2d": [1.0] * 74}]}))
    with pytest.raises(ValueError, match=r"0_keypoints\.json.*pose_keypoints_2d.*75 numbers"):
        read_openpose_json(path)


def test_error_unknown_keypoint_layout(tmp_path):
    path = tmp_path / "0_keypoints.json"
    path.write_text(json.dumps({"people": [{"pose_keypoints_2d": [0.5] * 54}]}))
    with pytest.raises(ValueError, match=r"18 joints, an unknown keypoint layout"):
        read_openpose_json(path)
    np.save(tmp_path / "p.npy", np.full((4, 18, 3), 0.5))
    with pytest.raises(ValueError, match=r"p\.npy.*18 joints.*expected 25 .*or 17"):
        read_keypoint_arrays(tmp_path / "p.npy")


def test_error_nan_keypoints(tmp_path):
    kp = random_body25(3, 0)
    kp[1, 4, 0] = np.nan
    np.savez(tmp_path / "p.npz", keypoints=kp, frames=np.arange(3))
    with pytest.raises(ValueError, match=r"p\.npz: field 'keypoints' must be finite.*\(1, 4, 0\)"):
        read_keypoint_arrays(tmp_path / "p.npz")


def test_error_negative_confidence(tmp_path):
    kp = random_body25(1, 0)
    kp[0, 2, 2] = -0.5
    path = tmp_path / "0_keypoints.json"
    path.write_text(json.dumps({"people": [{"pose_keypoints_2d": kp.reshape(-1).tolist()}]}))
    with pytest.raises(ValueError, match=r"confidence -0\.5.*expected confidences ≥ 0"):
        read_openpose_json(path)


def test_error_mismatched_frames_and_keypoints(tmp_path):
    np.savez(tmp_path / "p.npz", keypoints=random_body25(4, 0), frames=np.arange(5))
    with pytest.raises(ValueError, match=r"'frames' has 5 entries but 'keypoints' has 4 rows"):
        read_keypoint_arrays(tmp_path / "p.npz")


def test_error_empty_tracks(tmp_path):
    (tmp_path / "op" / "001").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"001: empty track"):
        read_openpose_tracks(tmp_path / "op")
    (tmp_path / "empty.json").write_text("[]")
    with pytest.raises(ValueError, match=r"empty\.json: empty track"):
        read_keypoint_arrays(tmp_path / "empty.json")
    np.savez(tmp_path / "z.npz", keypoints=np.zeros((0, 17, 3)))
    with pytest.raises(ValueError, match=r"z\.npz: empty track"):
        read_keypoint_arrays(tmp_path / "z.npz")


def test_error_untracked_openpose_people(tmp_path):
    write_openpose_json(tmp_path / "000000_keypoints.json", random_body25(2, 0))
    with pytest.raises(ValueError, match=r"person_id' is -1 \(untracked\)"):
        read_openpose_tracks(tmp_path)


def test_error_frame_not_in_frame_list(tmp_path):
    write_openpose_tracks(
        tmp_path, [KeypointTrack("1", np.array([0]), random_body25(1, 0))], ["zz"]
    )
    with pytest.raises(ValueError, match=r"zz_keypoints\.json: frame 'zz' is not in the frame"):
        read_openpose_tracks(tmp_path, FrameIndex(["a", "b"], source="shots.json"))
