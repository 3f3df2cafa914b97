"""Bad values in the data model: every case is refused with a message naming the field.

NaN/inf/huge values, wrong shapes and dtypes, text where numbers belong, empty and one-frame
tracks, mismatched lengths, a person behind the camera, focal lengths and keypoints outside any
physical range. The data model is what every reader builds, so these hold for every file format.
"""

from __future__ import annotations

import numpy as np
import pytest

from slahmr_opt.scene import Cameras, Scene, Track

T = 6


def _track_kwargs(**changes):
    rng = np.random.default_rng(0)
    kp = np.zeros((T, 25, 3))
    kp[..., 0] = rng.uniform(100, 500, size=(T, 25))
    kp[..., 1] = rng.uniform(100, 400, size=(T, 25))
    kp[..., 2] = 0.9
    out = {
        "track_id": "p1",
        "start": 0,
        "keypoints": kp,
        "global_orient": np.tile([np.pi, 0.0, 0.0], (T, 1)),
        "body_pose": np.zeros((T, 23, 3)),
        "betas": np.zeros((T, 10)),
        "transl": np.tile([0.0, 0.3, 4.0], (T, 1)),
    }
    out.update(changes)
    return out


def _cameras(**changes):
    out = {
        "R": np.tile(np.eye(3), (T, 1, 1)),
        "t": np.zeros((T, 3)) + np.linspace(0, 1, T)[:, None] * [1, 0, 0],
        "intrinsics": np.tile([600.0, 600.0, 320.0, 240.0], (T, 1)),
    }
    out.update(changes)
    return out


def _with(array: np.ndarray, index, value) -> np.ndarray:
    out = np.array(array, dtype=float)
    out[index] = value
    return out


BASE = _track_kwargs()
CAM = _cameras()

TRACK_CASES = {
    # field: (value, message fragment)
    "keypoints NaN": ("keypoints", _with(BASE["keypoints"], (2, 3, 0), np.nan), "finite"),
    "keypoints inf": ("keypoints", _with(BASE["keypoints"], (0, 0, 1), np.inf), "finite"),
    "keypoints -inf conf": ("keypoints", _with(BASE["keypoints"], (0, 0, 2), -np.inf), "finite"),
    "keypoints conf negative": ("keypoints", _with(BASE["keypoints"], (1, 1, 2), -0.1), "[0, 1]"),
    "keypoints wrong joints": ("keypoints", BASE["keypoints"][:, :17], "shape"),
    "keypoints 2 columns": ("keypoints", BASE["keypoints"][..., :2], "shape"),
    "keypoints flat": ("keypoints", BASE["keypoints"].reshape(T, -1), "shape"),
    "keypoints empty": ("keypoints", np.zeros((0, 25, 3)), "at least one frame"),
    "keypoints strings": ("keypoints", BASE["keypoints"].astype(str), "text"),
    "keypoints object strings": (
        "keypoints",
        np.array(BASE["keypoints"].tolist(), dtype=object).astype(str).astype(object),
        "text",
    ),
    "keypoints ragged": ("keypoints", [[[1, 2, 3]], [[1, 2]]], "numeric"),
    "keypoints None": ("keypoints", None, "shape"),
    "global_orient NaN everywhere": (
        "global_orient",
        np.full((T, 3), np.nan),
        "at least one observed",
    ),
    "global_orient wrong length": ("global_orient", np.zeros((T + 1, 3)), "shape"),
    "global_orient 4 columns": ("global_orient", np.zeros((T, 4)), "shape"),
    "body_pose 21 joints": ("body_pose", np.zeros((T, 21, 3)), "shape"),
    "body_pose 69 flat": ("body_pose", np.zeros((T, 69)), "shape"),
    "betas 1-D": ("betas", np.zeros(10), "shape"),
    "betas zero columns": ("betas", np.zeros((T, 0)), "B ≥ 1"),
    "betas huge": ("betas", _with(np.zeros((T, 10)), (3, 0), 1e6), "betas"),
    "betas text": ("betas", np.zeros((T, 10)).astype(str), "text"),
    "transl 1e30": ("transl", _with(BASE["transl"], (2, 0), 1e30), "beyond"),
    "transl 5 km": ("transl", _with(BASE["transl"], (2, 2), 5000.0), "beyond"),
    "transl behind camera": ("transl", BASE["transl"] * [1, 1, -1], "behind the camera"),
    "transl at the camera": ("transl", BASE["transl"] * [1, 1, 0], "behind the camera"),
    "transl wrong length": ("transl", BASE["transl"][:-1], "shape"),
    "transl 2 columns": ("transl", BASE["transl"][:, :2], "shape"),
    "transl text": ("transl", BASE["transl"].astype(str), "text"),
    "start negative": ("start", -1, "start"),
    "start float": ("start", 1.5, "integer"),
    "start string": ("start", "0", "integer"),
    "start bool": ("start", True, "integer"),
    "track id empty": ("track_id", "", "invalid"),
    "track id path": ("track_id", "../evil", "invalid"),
    "track id slash": ("track_id", "a/b", "invalid"),
    "track id int": ("track_id", 3, "invalid"),
    "smpl partial": ("betas", None, "all given or all None"),
    "smpl_observed int": ("smpl_observed", np.ones(T, dtype=int), "bool"),
    "smpl_observed wrong length": ("smpl_observed", np.ones(T + 2, dtype=bool), "shape"),
    "smpl_observed none true": ("smpl_observed", np.zeros(T, dtype=bool), "at least one"),
    "visibility codes": ("visibility", np.full(T, 7, dtype=np.int8), "codes"),
    "visibility float": ("visibility", np.ones(T, dtype=float), "integer codes"),
}


@pytest.mark.parametrize("case", sorted(TRACK_CASES))
def test_bad_track_values_are_refused(case):
    field, value, fragment = TRACK_CASES[case]
    with pytest.raises(ValueError) as info:
        Track(**_track_kwargs(**{field: value}))
    message = str(info.value)
    assert fragment in message, message
    assert field.split("_")[0] in message or "track" in message, message
    assert "\n" not in message


CAMERA_CASES = {
    "R NaN": ("R", _with(CAM["R"], (1, 0, 0), np.nan), "finite"),
    "R not rotation": ("R", CAM["R"] * 2, "proper rotation"),
    "R reflection": ("R", CAM["R"] * [[1], [1], [-1]], "proper rotation"),
    "R wrong shape": ("R", CAM["R"][:, :2], "shape"),
    "R empty": ("R", np.zeros((0, 3, 3)), "at least one"),
    "R text": ("R", CAM["R"].astype(str), "text"),
    "t inf": ("t", _with(CAM["t"], (0, 1), np.inf), "finite"),
    "t 1e30": ("t", _with(CAM["t"], (2, 1), 1e30), "beyond"),
    "t wrong length": ("t", CAM["t"][:-1], "shape"),
    "intrinsics zero focal": ("intrinsics", _with(CAM["intrinsics"], (0, 0), 0.0), "fx > 0"),
    "intrinsics negative focal": (
        "intrinsics",
        _with(CAM["intrinsics"], (3, 1), -600.0),
        "fx > 0",
    ),
    "intrinsics NaN": ("intrinsics", _with(CAM["intrinsics"], (0, 2), np.nan), "finite"),
    "intrinsics 3 columns": ("intrinsics", CAM["intrinsics"][:, :3], "shape"),
    "intrinsics wrong length": ("intrinsics", CAM["intrinsics"][:2], "shape"),
    "is_static string": ("is_static", "yes", "bool"),
}


@pytest.mark.parametrize("case", sorted(CAMERA_CASES))
def test_bad_camera_values_are_refused(case):
    field, value, fragment = CAMERA_CASES[case]
    with pytest.raises(ValueError) as info:
        Cameras(**_cameras(**{field: value}))
    assert fragment in str(info.value) and "cameras" in str(info.value), str(info.value)


def _scene(**changes):
    kwargs = {
        "fps": 30.0,
        "image_size": (640, 480),
        "cameras": Cameras(**CAM),
        "tracks": [Track(**BASE)],
    }
    kwargs.update(changes)
    return Scene(**kwargs)


SCENE_CASES = {
    "fps string": ({"fps": "30"}, "fps"),
    "fps zero": ({"fps": 0}, "fps"),
    "fps negative": ({"fps": -30}, "fps"),
    "fps NaN": ({"fps": float("nan")}, "fps"),
    "fps inf": ({"fps": float("inf")}, "fps"),
    "fps bool": ({"fps": True}, "fps"),
    "image size 1 value": ({"image_size": (640,)}, "image_size"),
    "image size zero": ({"image_size": (0, 480)}, "image_size"),
    "image size float": ({"image_size": (640.5, 480)}, "integer"),
    "image size string": ({"image_size": "640x480"}, "image_size"),
    "no tracks": ({"tracks": []}, "at least one"),
    "tracks not Track": ({"tracks": [{"track_id": "p1"}]}, "Track"),
    "duplicate ids": ({"tracks": [Track(**BASE), Track(**BASE)]}, "more than once"),
    "track past the cameras": (
        {"tracks": [Track(**_track_kwargs(start=3))]},
        "inside the scene frames",
    ),
    "cameras not Cameras": ({"cameras": CAM}, "Cameras"),
    "focal 1e30": (
        {"cameras": Cameras(**_cameras(intrinsics=np.tile([1e30, 1e30, 320, 240], (T, 1))))},
        "focal length",
    ),
    "focal 1 px": (
        {"cameras": Cameras(**_cameras(intrinsics=np.tile([1.0, 1.0, 320, 240], (T, 1))))},
        "focal length",
    ),
    "keypoints 1e30 px": (
        {"tracks": [Track(**_track_kwargs(keypoints=_with(BASE["keypoints"], (1, 4, 0), 1e30)))]},
        "far outside",
    ),
    "keypoints -1e5 px": (
        {"tracks": [Track(**_track_kwargs(keypoints=_with(BASE["keypoints"], (0, 7, 1), -1e5)))]},
        "far outside",
    ),
    "name not str": ({"name": 3}, "name"),
    "provenance not dict": ({"provenance": [1]}, "provenance"),
    "provenance not JSON": ({"provenance": {"x": object()}}, "JSON"),
    "provenance NaN": ({"provenance": {"x": float("nan")}}, "JSON"),
}


@pytest.mark.parametrize("case", sorted(SCENE_CASES))
def test_bad_scene_values_are_refused(case):
    changes, fragment = SCENE_CASES[case]
    with pytest.raises(ValueError) as info:
        _scene(**changes)
    assert fragment in str(info.value), str(info.value)


def test_undetected_keypoints_may_be_anywhere():
    """Confidence 0 means 'not detected': its coordinates are not checked (OpenPose writes 0s)."""
    kp = _with(BASE["keypoints"], (1, 4), [1e30, -1e30, 0.0])
    scene = _scene(tracks=[Track(**_track_kwargs(keypoints=kp))])
    assert scene.tracks[0].keypoints[1, 4, 2] == 0


def test_one_frame_track_and_partly_behind_camera_are_accepted():
    one = {k: (v[:1] if isinstance(v, np.ndarray) else v) for k, v in BASE.items()}
    assert Track(**one).num_frames == 1
    transl = BASE["transl"].copy()
    transl[0, 2] = -1.0  # one bad frame among good ones is a detector error, not a unit error
    assert Track(**_track_kwargs(transl=transl)).num_frames == T


def test_non_finite_smpl_frames_count_as_unobserved_unless_marked_observed():
    """Documented recovery: a frame whose SMPL is not finite is filled from its neighbours and
    marked unobserved; when the caller marks it observed, it is an error."""
    bad = _with(np.zeros((T, 23, 3)), (2, 0, 0), np.inf)
    track = Track(**_track_kwargs(body_pose=bad))
    assert not track.smpl_observed[2] and track.smpl_observed.sum() == T - 1
    assert np.isfinite(track.body_pose).all()
    with pytest.raises(ValueError, match="body_pose must be finite where smpl_observed"):
        Track(**_track_kwargs(body_pose=bad, smpl_observed=np.ones(T, dtype=bool)))
