"""Tests of the on-disk scene folder: exact round trip, atomic writes, load errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from slahmr_opt.io.scene_folder import (
    FORMAT_NAME,
    FORMAT_VERSION,
    has_ground_truth,
    load_ground_truth,
    load_scene,
    save_scene,
)
from slahmr_opt.scene import Cameras, GroundTruth, PersonMotion, Scene, Track

TRACK_FIELDS = (
    "keypoints",
    "global_orient",
    "body_pose",
    "betas",
    "transl",
    "smpl_observed",
    "visibility",
)


def make_cameras(num_frames: int, seed: int = 0, is_static: bool = False) -> Cameras:
    rng = np.random.default_rng(seed)
    intrinsics = np.tile([600.0, 605.0, 320.0, 240.0], (num_frames, 1))
    intrinsics[:, :2] += rng.uniform(0, 3, size=(num_frames, 2))
    return Cameras(
        R=Rotation.random(num_frames, random_state=seed).as_matrix(),
        t=rng.normal(size=(num_frames, 3)),
        intrinsics=intrinsics,
        is_static=is_static,
    )


def make_track(track_id: str, start: int, num_frames: int, smpl: bool, seed: int) -> Track:
    rng = np.random.default_rng(seed)
    kp = np.stack(
        [
            rng.uniform(-20, 660, size=(num_frames, 25)),
            rng.uniform(0, 480, size=(num_frames, 25)),
            rng.uniform(0, 1, size=(num_frames, 25)),
        ],
        axis=-1,
    )
    kp[2, :, 2] = 0.0  # an occluded frame
    if not smpl:
        return Track(track_id, start, kp)
    observed = np.ones(num_frames, dtype=bool)
    observed[[0, 4, 5]] = False
    go = rng.normal(scale=0.4, size=(num_frames, 3))
    go[~observed] = np.nan
    return Track(
        track_id,
        start,
        kp,
        global_orient=go,
        body_pose=rng.normal(scale=0.2, size=(num_frames, 23, 3)),
        betas=rng.normal(size=(num_frames, 10)),
        transl=rng.normal(size=(num_frames, 3)),
        smpl_observed=observed,
    )


def make_scene(num_frames: int = 20) -> Scene:
    return Scene(
        fps=29.97,
        image_size=(640, 480),
        cameras=make_cameras(num_frames),
        tracks=[make_track("p1", 0, 12, True, 1), make_track("p_2", 6, 14, False, 2)],
        name="round-trip",
        provenance={"tracker": "phalp", "slam": {"tool": "dpvo", "scale": 0.1}, "seeds": [1, 2]},
    )


def make_ground_truth(num_frames: int = 20) -> GroundTruth:
    rng = np.random.default_rng(9)
    people = []
    for k, (tid, start, n) in enumerate([("p1", 0, 12), ("p_2", 6, 14)]):
        people.append(
            PersonMotion(
                track_id=tid,
                frames=np.arange(start, start + n),
                global_orient=rng.normal(size=(n, 3)),
                body_pose=rng.normal(size=(n, 23, 3)),
                betas=rng.normal(size=10),
                transl=rng.normal(size=(n, 3)),
                contacts=rng.uniform(size=(n, 9)) if k == 0 else None,
            )
        )
    normal = np.array([0.1, -1.0, 0.05])
    return GroundTruth(
        alpha=2.3,
        floor_normal=normal / np.linalg.norm(normal),
        floor_offset=-0.7,
        cameras=make_cameras(num_frames, seed=3, is_static=False),
        people=people,
        fps=29.97,
    )


def assert_tracks_identical(a: Track, b: Track) -> None:
    assert a.track_id == b.track_id and a.start == b.start and a.has_smpl == b.has_smpl
    for name in TRACK_FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if x is None:
            assert y is None, name
            continue
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)


def assert_cameras_identical(a: Cameras, b: Cameras) -> None:
    assert a.is_static == b.is_static
    for name in ("R", "t", "intrinsics"):
        assert getattr(a, name).dtype == getattr(b, name).dtype == np.float64
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def rewrite_npz(path: Path, **changes) -> None:
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    for k, v in changes.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v
    np.savez(path, **arrays)


def siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


# ------------------------------------------------------------------------------------------
# round trip
# ------------------------------------------------------------------------------------------


def test_round_trip_is_exact(tmp_path):
    scene, gt = make_scene(), make_ground_truth()
    out = save_scene(scene, tmp_path / "scene", gt=gt)
    assert out == tmp_path / "scene"
    loaded = load_scene(out)
    assert loaded.name == scene.name and loaded.fps == scene.fps
    assert loaded.image_size == scene.image_size and loaded.provenance == scene.provenance
    assert loaded.track_ids == scene.track_ids
    assert_cameras_identical(loaded.cameras, scene.cameras)
    for a, b in zip(scene.tracks, loaded.tracks, strict=True):
        assert_tracks_identical(a, b)
    # the gap-filled frames stay marked as not observed and keep their filled values
    assert not loaded.track("p1").smpl_observed[[0, 4, 5]].any()
    assert np.isfinite(loaded.track("p1").global_orient).all()

    assert has_ground_truth(out) and has_ground_truth(out / "gt.npz")
    g = load_ground_truth(out)
    assert g.alpha == gt.alpha and g.floor_offset == gt.floor_offset and g.fps == gt.fps
    np.testing.assert_array_equal(g.floor_normal, gt.floor_normal)
    assert_cameras_identical(g.cameras, gt.cameras)
    assert [p.track_id for p in g.people] == ["p1", "p_2"]
    for p, q in zip(gt.people, g.people, strict=True):
        for name in ("frames", "global_orient", "body_pose", "betas", "transl"):
            assert getattr(p, name).dtype == getattr(q, name).dtype
            np.testing.assert_array_equal(getattr(p, name), getattr(q, name), err_msg=name)
    np.testing.assert_array_equal(g.people[0].contacts, gt.people[0].contacts)
    assert g.people[1].contacts is None
    # also by file path
    np.testing.assert_array_equal(load_ground_truth(out / "gt.npz").floor_plane, gt.floor_plane)


def test_static_scene_round_trip_without_ground_truth(tmp_path):
    scene = Scene(25.0, (320, 240), Cameras.static(8, 320, 240), [make_track("a", 1, 7, True, 4)])
    out = save_scene(scene, tmp_path / "nested" / "static")
    assert not has_ground_truth(out)
    loaded = load_scene(out / "scene.json")
    assert loaded.cameras.is_static
    assert_cameras_identical(loaded.cameras, scene.cameras)
    assert_tracks_identical(loaded.track("a"), scene.track("a"))
    with pytest.raises(ValueError, match="gt.npz: file not found"):
        load_ground_truth(out)


def test_files_and_fields_on_disk(tmp_path):
    scene = make_scene()
    out = save_scene(scene, tmp_path / "s", gt=make_ground_truth())
    assert sorted(p.name for p in out.iterdir()) == [
        "cameras.npz",
        "gt.npz",
        "scene.json",
        "tracks",
    ]
    meta = json.loads((out / "scene.json").read_text())
    assert meta["format"] == FORMAT_NAME and meta["version"] == FORMAT_VERSION
    assert (meta["fps"], meta["width"], meta["height"], meta["num_frames"]) == (29.97, 640, 480, 20)
    assert meta["tracks"] == [
        {"id": "p1", "start": 0, "end": 12, "file": "tracks/p1.npz", "has_smpl": True},
        {"id": "p_2", "start": 6, "end": 20, "file": "tracks/p_2.npz", "has_smpl": False},
    ]
    with np.load(out / "cameras.npz") as z:
        assert set(z.files) == {"w2c", "intrins", "width", "height", "focal", "is_static"}
        np.testing.assert_array_equal(z["w2c"], scene.cameras.w2c())
        assert z["focal"] == np.mean(scene.cameras.intrinsics[:, :2])
        assert (int(z["width"]), int(z["height"]), bool(z["is_static"])) == (640, 480, False)
    with np.load(out / "tracks" / "p_2.npz") as z:
        assert set(z.files) == {"start", "keypoints", "visibility", "smpl_observed"}
        assert z["visibility"].dtype == np.int8 and z["keypoints"].dtype == np.float64
    with np.load(out / "gt.npz") as z:
        assert int(z["num_people"]) == 2 and "p0_contacts" in z.files
        assert "p1_contacts" not in z.files and str(z["p1_track_id"]) == "p_2"


def test_slahmr_cameras_npz_drops_in(tmp_path):
    out = save_scene(make_scene(), tmp_path / "s")
    cams = make_cameras(20, seed=7)
    # what SLAHMR's run_slam.py writes: float32, no is_static
    np.savez(
        out / "cameras.npz",
        w2c=cams.w2c().astype(np.float32),
        intrins=cams.intrinsics.astype(np.float32),
        focal=np.float32(600.0),
        width=640,
        height=480,
    )
    loaded = load_scene(out)
    assert loaded.cameras.is_static is False
    np.testing.assert_allclose(loaded.cameras.R, cams.R, atol=1e-6)
    np.testing.assert_allclose(loaded.cameras.t, cams.t, atol=1e-6)


def test_overwrite_replaces_existing_scene(tmp_path):
    dest = tmp_path / "s"
    save_scene(make_scene(), dest, gt=make_ground_truth())
    small = Scene(30.0, (64, 48), Cameras.static(5, 64, 48), [make_track("q", 0, 5, False, 0)])
    save_scene(small, dest)
    loaded = load_scene(dest)
    assert loaded.track_ids == ["q"] and loaded.num_frames == 5
    assert not has_ground_truth(dest) and not (dest / "tracks" / "p1.npz").exists()
    assert siblings(dest) == ["s"], "no temporary folders may be left behind"


def test_refuses_to_replace_a_folder_that_is_not_a_scene(tmp_path):
    dest = tmp_path / "precious"
    dest.mkdir()
    (dest / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a scene folder"):
        save_scene(make_scene(), dest)
    assert (dest / "notes.txt").read_text() == "keep me"
    file_dest = tmp_path / "a_file"
    file_dest.write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        save_scene(make_scene(), file_dest)


def test_ground_truth_must_match_scene_frames(tmp_path):
    with pytest.raises(ValueError, match="gt: cameras have 25 frames, expected the scene's 20"):
        save_scene(make_scene(20), tmp_path / "s", gt=make_ground_truth(25))
    assert not (tmp_path / "s").exists()


# ------------------------------------------------------------------------------------------
# atomic writes
# ------------------------------------------------------------------------------------------


def _fail_after_first_savez(monkeypatch):
    real = np.savez
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise OSError("disk full (simulated)")
        return real(*args, **kwargs)

    monkeypatch.setattr(np, "savez", flaky)
    return calls


def test_failed_write_leaves_no_destination(tmp_path, monkeypatch):
    calls = _fail_after_first_savez(monkeypatch)
    dest = tmp_path / "new_scene"
    with pytest.raises(OSError, match="simulated"):
        save_scene(make_scene(), dest)
    assert len(calls) == 2
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == [], "the temporary folder must be cleaned up"


def test_failed_write_leaves_existing_scene_untouched(tmp_path, monkeypatch):
    dest = tmp_path / "scene"
    save_scene(make_scene(), dest, gt=make_ground_truth())
    before = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    _fail_after_first_savez(monkeypatch)
    other = Scene(30.0, (64, 48), Cameras.static(5, 64, 48), [make_track("q", 0, 5, False, 0)])
    with pytest.raises(OSError, match="simulated"):
        save_scene(other, dest)
    after = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    assert after == before
    assert siblings(dest) == ["scene"]
    monkeypatch.undo()
    assert load_scene(dest).track_ids == ["p1", "p_2"]


# ------------------------------------------------------------------------------------------
# load errors
# ------------------------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path) -> Path:
    return save_scene(make_scene(), tmp_path / "s", gt=make_ground_truth())


def test_missing_scene_json(saved):
    (saved / "scene.json").unlink()
    with pytest.raises(ValueError, match=r"scene.json: file not found"):
        load_scene(saved)


def test_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="scene folder not found"):
        load_scene(tmp_path / "nope")


def test_missing_cameras(saved):
    (saved / "cameras.npz").unlink()
    with pytest.raises(ValueError, match=r"cameras.npz: file not found"):
        load_scene(saved)


def test_missing_track_file(saved):
    (saved / "tracks" / "p_2.npz").unlink()
    with pytest.raises(ValueError, match=r"tracks/p_2.npz: file not found"):
        load_scene(saved)


def test_wrong_keypoint_shape_names_file_and_field(saved):
    rewrite_npz(saved / "tracks" / "p1.npz", keypoints=np.zeros((12, 17, 3)))
    with pytest.raises(ValueError, match=r"tracks/p1.npz: track 'p1': keypoints has shape"):
        load_scene(saved)


def test_wrong_smpl_shape_names_file_and_field(saved):
    rewrite_npz(saved / "tracks" / "p1.npz", body_pose=np.zeros((12, 21, 3)))
    with pytest.raises(ValueError, match=r"tracks/p1.npz: track 'p1': body_pose has shape"):
        load_scene(saved)


def test_missing_track_field(saved):
    rewrite_npz(saved / "tracks" / "p_2.npz", keypoints=None)
    with pytest.raises(ValueError, match=r"tracks/p_2.npz: missing field 'keypoints'"):
        load_scene(saved)


def test_wrong_camera_shape_names_file_and_field(saved):
    rewrite_npz(saved / "cameras.npz", intrins=np.ones((20, 3)))
    with pytest.raises(ValueError, match=r"cameras.npz: field 'intrins' has shape \(20, 3\)"):
        load_scene(saved)
    rewrite_npz(saved / "cameras.npz", w2c=np.ones((20, 3, 4)), intrins=np.ones((20, 4)))
    with pytest.raises(ValueError, match=r"cameras.npz: field 'w2c' has shape \(20, 3, 4\)"):
        load_scene(saved)


def test_camera_without_rotation_names_file(saved):
    w2c = np.tile(np.eye(4), (20, 1, 1))
    w2c[3, 0, 0] = 2.0
    rewrite_npz(saved / "cameras.npz", w2c=w2c)
    with pytest.raises(ValueError, match=r"cameras.npz: cameras: R\[3\] is not a proper rotation"):
        load_scene(saved)


def test_cameras_shorter_than_a_track(saved):
    cams = make_cameras(15)
    rewrite_npz(saved / "cameras.npz", w2c=cams.w2c(), intrins=cams.intrinsics)
    with pytest.raises(
        ValueError,
        match=r"tracks/p_2.npz: track 'p_2' ends at frame 20 but cameras.npz holds only 15",
    ):
        load_scene(saved)


def test_num_frames_mismatch(saved):
    meta = json.loads((saved / "scene.json").read_text())
    meta["num_frames"] = 21
    (saved / "scene.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"scene.json: num_frames is 21 but cameras.npz holds 20"):
        load_scene(saved)


def test_image_size_mismatch(saved):
    rewrite_npz(saved / "cameras.npz", width=np.int64(1280))
    with pytest.raises(ValueError, match=r"cameras.npz: field 'width' is 1280, but scene.json"):
        load_scene(saved)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m.update(format="other"), r"scene.json: field 'format' is 'other'"),
        (lambda m: m.update(version=99), r"scene.json: field 'version' is 99"),
        (lambda m: m.pop("fps"), r"scene.json: missing field 'fps'"),
        (lambda m: m.update(fps=-3), r"scene.json: scene: fps must be a positive"),
        (
            lambda m: m["tracks"][0].update(file="../outside.npz"),
            r"scene.json: tracks\[0\] file '../outside.npz' must be a relative path",
        ),
        (
            lambda m: m["tracks"][1].update(start=3),
            r"tracks/p_2.npz: track 'p_2' has start = 6 but scene.json says 3",
        ),
        (
            lambda m: m["tracks"][1].update(has_smpl=True),
            r"tracks/p_2.npz: scene.json says has_smpl = True",
        ),
    ],
)
def test_scene_json_errors(saved, edit, message):
    meta = json.loads((saved / "scene.json").read_text())
    edit(meta)
    (saved / "scene.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=message):
        load_scene(saved)


def test_unparsable_scene_json(saved):
    (saved / "scene.json").write_text("{not json")
    with pytest.raises(ValueError, match="scene.json: cannot parse"):
        load_scene(saved)


def test_pickled_arrays_are_refused(saved):
    rewrite_npz(saved / "tracks" / "p1.npz", keypoints=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match=r"tracks/p1.npz: field .keypoints. holds Python objects"):
        load_scene(saved)


def test_ground_truth_errors(saved):
    rewrite_npz(saved / "gt.npz", p1_betas=np.zeros((3, 10)))
    with pytest.raises(ValueError, match=r"gt.npz: person 'p_2': betas has shape \(3, 10\)"):
        load_ground_truth(saved)
    rewrite_npz(saved / "gt.npz", p0_transl=None)
    with pytest.raises(ValueError, match=r"gt.npz: missing field 'p0_transl'"):
        load_ground_truth(saved)
