"""Run result folders: save_result / load_result, SLAHMR's world_results.npz, atomic writes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from slahmr_opt import files as atomic
from slahmr_opt.body import BodyModel
from slahmr_opt.geometry.floor import floor_aligned_transform, points_world_to_floor
from slahmr_opt.io.results import (
    LoadedResult,
    load_estimate,
    load_result,
    person_file_name,
    save_estimate,
    save_result,
)
from slahmr_opt.result import PassResult, Result
from slahmr_opt.scene import Cameras, PersonMotion, Scene, Track, Visibility
from slahmr_opt.vis.trajectory import trajectory_plotter

NUM_FRAMES = 24
SPANS = {"a": (2, 12), "b7": (5, 21)}  # two people of different lengths
FLOOR = (np.array([0.05, -0.99, 0.1]) / np.linalg.norm([0.05, -0.99, 0.1]), -1.4)


@pytest.fixture(scope="module")
def body() -> BodyModel:
    return BodyModel.standin(dtype=torch.float64)


def _cameras(seed: int = 0) -> Cameras:
    rng = np.random.default_rng(seed)
    R = Rotation.from_rotvec(0.1 * rng.normal(size=(NUM_FRAMES, 3))).as_matrix()
    t = np.cumsum(0.05 * rng.normal(size=(NUM_FRAMES, 3)), axis=0)
    return Cameras(R=R, t=t, intrinsics=np.tile([600.0, 610.0, 320.0, 240.0], (NUM_FRAMES, 1)))


def _people(seed: int, contacts: bool) -> list[PersonMotion]:
    rng = np.random.default_rng(seed)
    out = []
    for track_id, (start, end) in SPANS.items():
        n = end - start
        out.append(
            PersonMotion(
                track_id=track_id,
                frames=np.arange(start, end),
                global_orient=rng.normal(size=(n, 3)),
                body_pose=0.2 * rng.normal(size=(n, 23, 3)),
                betas=rng.normal(size=10),
                transl=rng.normal(size=(n, 3)) + [0.0, 0.5, 4.0],
                contacts=rng.random((n, 9)) if contacts else None,
            )
        )
    return out


def _result(with_floor: bool = True) -> Result:
    passes = {}
    for i, name in enumerate(("init", "root", "smooth", "motion")):
        last = name == "motion"
        passes[name] = PassResult(
            name=name,
            people=_people(10 + i, contacts=last),
            alpha=1.0 + 0.1 * i,
            history={} if name == "init" else {"total": [5.0 - i, 4.0 - i]},
            steps=3 * i,
            closures=7 * i,
            seconds=0.5 * i,
            stop_reason="init" if name == "init" else "completed",
            events=[{"step": 1, "term": "x", "value": float("inf")}] if name == "root" else [],
            floor=FLOOR if (last and with_floor) else None,
        )
    final = passes["motion"]
    return Result(
        people=final.people,
        alpha=final.alpha,
        alpha_optimized=True,
        alpha_note="moving camera: α optimised",
        alpha_init={"value": 1.0, "how": "median"},
        passes=passes,
        config={"preset": "fast", "seed": 0, "weights": {"data": np.float64(0.001)}},
        cameras=_cameras(),
        fps=30.0,
        scene_name="hand-made",
        skipped_tracks=["zz"],
        events=list(passes["root"].events),
        timings={"init": 0.1, "root": 0.5, "smooth": 1.0, "motion": 1.5, "total": 3.1},
    )


def _scene() -> Scene:
    tracks = []
    for track_id, (start, end) in SPANS.items():
        n = end - start
        kp = np.full((n, 25, 3), 100.0)
        kp[..., 2] = 0.9
        kp[1, :, 2] = 0.0  # frame start+1: nothing detected
        vis = np.full(n, Visibility.VISIBLE, dtype=np.int8)
        vis[3] = Visibility.OCCLUDED  # frame start+3: detected but marked occluded
        tracks.append(Track(track_id=track_id, start=start, keypoints=kp, visibility=vis))
    return Scene(fps=30.0, image_size=(640, 480), cameras=_cameras(), tracks=tracks)


def _assert_people_equal(a: list[PersonMotion], b: list[PersonMotion]) -> None:
    assert [p.track_id for p in a] == [p.track_id for p in b]
    for p, q in zip(a, b, strict=True):
        np.testing.assert_array_equal(p.frames, q.frames)
        for key in ("global_orient", "body_pose", "betas", "transl"):
            np.testing.assert_allclose(getattr(q, key), getattr(p, key), rtol=0, atol=1e-9)
        if p.contacts is None:
            assert q.contacts is None
        else:
            np.testing.assert_allclose(q.contacts, p.contacts, rtol=0, atol=1e-9)


@pytest.fixture(scope="module")
def saved(tmp_path_factory, body):
    out = tmp_path_factory.mktemp("run") / "out"
    result = _result()
    save_result(result, out, scene=_scene(), log_text="hello\nlog", body=body)
    return result, out


def test_round_trip(saved):
    result, out = saved
    back = load_result(out)
    assert isinstance(back, LoadedResult)
    est = result.to_estimate()
    assert back.estimate.alpha == pytest.approx(est.alpha, abs=1e-9)
    assert back.estimate.fps == 30.0 and back.estimate.method == est.method
    np.testing.assert_allclose(back.estimate.floor[0], FLOOR[0], rtol=0, atol=1e-9)
    assert back.estimate.floor[1] == pytest.approx(FLOOR[1], abs=1e-9)
    np.testing.assert_allclose(back.estimate.cameras.w2c(), result.cameras.w2c(), atol=1e-9)
    np.testing.assert_allclose(back.estimate.cameras.intrinsics, result.cameras.intrinsics)
    _assert_people_equal(result.people, back.estimate.people)
    assert list(back.passes) == ["init", "root", "smooth", "motion"]
    for name, p in result.passes.items():
        snap = back.passes[name]
        assert snap.alpha == pytest.approx(p.alpha, abs=1e-9)
        assert (snap.floor is None) == (p.floor is None)
        _assert_people_equal(p.people, snap.people)
    for pid in SPANS:
        np.testing.assert_allclose(
            back.contacts[pid], result.passes["motion"].people[0 if pid == "a" else 1].contacts
        )
    expected_T = floor_aligned_transform(*FLOOR, result.cameras, result.alpha)
    np.testing.assert_allclose(back.floor_transform, expected_T, atol=1e-9)
    assert (out / "log.txt").read_text() == "hello\nlog"
    # load_estimate reads the top level of a run folder too (the eval CLI uses it).
    _assert_people_equal(result.people, load_estimate(out).people)


def test_scene_json_fields(saved):
    result, out = saved

    def refuse(constant):
        raise AssertionError(f"scene.json holds the non-standard JSON constant {constant}")

    info = json.loads((out / "scene.json").read_text(), parse_constant=refuse)
    assert info["format"] == "slahmr-opt-result" and info["kind"] == "run"
    assert info["final_pass"] == "motion" and info["pass_order"] == list(result.passes)
    assert info["alpha"]["value"] == pytest.approx(result.alpha)
    assert info["alpha"]["note"] == result.alpha_note and info["alpha"]["optimized"] is True
    assert info["num_frames"] == NUM_FRAMES and info["fps"] == 30.0
    assert [(p["id"], p["start"], p["end"]) for p in info["people"]] == [
        ("a", 2, 12),
        ("b7", 5, 21),
    ]
    assert info["config"]["weights"]["data"] == 0.001
    assert info["timings"]["motion"] == 1.5 and info["skipped_tracks"] == ["zz"]
    assert info["passes"]["root"]["steps"] == 3 and info["passes"]["motion"]["folder"]
    assert info["events"][0]["term"] == "x" and info["events"][0]["value"] == "inf"
    n, d = FLOOR
    np.testing.assert_allclose(info["floor"]["plane"], n * d, atol=1e-12)
    assert info["up"]["source"] == "floor"
    # plane_slahmr is the floor in camera 0's metric frame: floor points satisfy x·p = |p|².
    p = np.asarray(info["floor"]["plane_slahmr"])
    rng = np.random.default_rng(1)
    raw = rng.normal(size=(5, 3))
    pts = raw - (raw @ n - d)[:, None] * n
    cam = pts @ result.cameras.R[0].T + result.alpha * result.cameras.t[0]
    np.testing.assert_allclose(cam @ p, p @ p, atol=1e-9)
    height = n @ result.cameras.centers(result.alpha)[0] - d
    assert info["floor"]["camera0_height"] == pytest.approx(height, abs=1e-9)


def test_person_files_masks_and_floor_frame(saved, body):
    """poses/trans are the floor-aligned (z-up) motion, *_world the solver's world motion."""
    result, out = saved
    T = floor_aligned_transform(*FLOOR, result.cameras, result.alpha)
    for person in result.people:
        with np.load(out / person_file_name(person.track_id)) as z:
            assert z["poses"].shape == (person.num_frames, 72)
            assert z["pose_body"].shape == (person.num_frames, 63)  # HuMoR's 21 joints
            assert str(z["gender"]) == "neutral" and float(z["mocap_framerate"]) == 30.0
            expected = np.ones(person.num_frames, dtype=bool)
            expected[[1, 3]] = False  # no keypoints; occluded
            np.testing.assert_array_equal(z["observed"], expected)
            assert z["visibility"][3] == Visibility.OCCLUDED
            np.testing.assert_array_equal(z["poses_world"][:, 3:], z["poses"][:, 3:])
            np.testing.assert_array_equal(z["poses"][:, :3], z["root_orient"])
            np.testing.assert_array_equal(z["floor_transform"], T)
            betas = torch.from_numpy(z["betas"])
            with torch.no_grad():
                world = body.joints(
                    torch.from_numpy(z["root_orient_world"]),
                    torch.from_numpy(z["poses_world"][:, 3:]),
                    betas,
                    torch.from_numpy(z["trans_world"]),
                ).numpy()
                floor = body.joints(
                    torch.from_numpy(z["poses"][:, :3]),
                    torch.from_numpy(z["poses"][:, 3:]),
                    betas,
                    torch.from_numpy(z["trans"]),
                ).numpy()
        np.testing.assert_allclose(world, person_joints(body, person), atol=1e-9)
        np.testing.assert_allclose(floor[:, 0], points_world_to_floor(world[:, 0], T), atol=1e-9)
        np.testing.assert_allclose(floor, points_world_to_floor(world, T), atol=1e-7)


def person_joints(body, person):
    with torch.no_grad():
        return body.joints(
            torch.from_numpy(person.global_orient),
            torch.from_numpy(person.body_pose),
            torch.from_numpy(person.betas),
            torch.from_numpy(person.transl),
        ).numpy()


def test_world_results_padding_and_mask(saved):
    result, out = saved
    with np.load(out / "world_results.npz") as z:
        assert z["trans"].shape == (2, NUM_FRAMES, 3)
        assert z["pose_body"].shape == (2, NUM_FRAMES, 63)
        assert z["cam_R"].shape == (2, NUM_FRAMES, 3, 3) and z["intrins"].shape == (NUM_FRAMES, 4)
        assert z["track_id"].tolist() == ["a", "b7"]
        for b, person in enumerate(result.people):
            start, end = SPANS[person.track_id]
            mask = np.zeros(NUM_FRAMES, dtype=bool)
            mask[start:end] = True
            np.testing.assert_array_equal(z["track_mask"][b], mask)
            np.testing.assert_array_equal(z["trans"][b, start:end], person.transl)
            np.testing.assert_array_equal(z["root_orient"][b, start:end], person.global_orient)
            np.testing.assert_array_equal(
                z["pose_body"][b, start:end], person.body_pose[:, :21].reshape(-1, 63)
            )
            assert not z["trans"][b, ~mask].any() and not z["pose_body"][b, ~mask].any()
            np.testing.assert_array_equal(z["betas"][b], person.betas)
            np.testing.assert_allclose(z["cam_t"][b], result.alpha * result.cameras.t)
            np.testing.assert_array_equal(z["cam_R"][b], result.cameras.R)
        np.testing.assert_allclose(z["floor_plane"], (FLOOR[0] * FLOOR[1])[None], atol=1e-12)
        np.testing.assert_array_equal(z["floor_idcs"], [0, 0])
        np.testing.assert_allclose(z["world_scale"], [result.alpha])


def test_without_floor_and_scene(tmp_path, body):
    result = _result(with_floor=False)
    out = save_result(result, tmp_path / "r", body=body)
    back = load_result(out)
    assert back.floor_transform is None and back.estimate.floor is None
    assert back.info["up"]["source"] == "cameras"
    assert all(m.all() for m in back.observed.values())
    with np.load(out / person_file_name("a")) as z:
        assert "trans_floor" not in z.files and "visibility" not in z.files
    with np.load(out / "world_results.npz") as z:
        assert "floor_plane" not in z.files


def test_incomplete_or_wrong_folders_are_rejected(tmp_path, body):
    out = save_result(_result(), tmp_path / "r", body=body)
    (out / "scene.json").unlink()
    with pytest.raises(ValueError, match="scene.json"):
        load_result(out)

    out = save_result(_result(), tmp_path / "r2", body=body)
    (out / "world_results.npz").unlink()
    with pytest.raises(ValueError, match="world_results.npz"):
        load_result(out)

    out = save_result(_result(), tmp_path / "r3", body=body)
    (out / "passes" / "smooth" / "scene.json").unlink()
    with pytest.raises(ValueError, match="smooth"):
        load_result(out)

    out = save_result(_result(), tmp_path / "r4", body=body)
    with np.load(out / person_file_name("b7")) as z:
        arrays = {k: z[k] for k in z.files if k != "observed"}
    np.savez(out / person_file_name("b7"), **arrays)
    with pytest.raises(ValueError, match="person_b7.npz.*observed"):
        load_result(out)

    out = save_result(_result(), tmp_path / "r5", body=body)
    info = json.loads((out / "scene.json").read_text())
    del info["floor_transform"]
    (out / "scene.json").write_text(json.dumps(info))
    with pytest.raises(ValueError, match="floor_transform"):
        load_result(out)

    est_dir = save_estimate(_result().to_estimate(), tmp_path / "est")
    with pytest.raises(ValueError, match="kind"):
        load_result(est_dir)


def test_atomic_writes_leave_no_temporary_files(tmp_path, body, monkeypatch):
    out = save_result(_result(), tmp_path / "r", plot=trajectory_plotter(body=body), body=body)
    assert (out / "trajectory.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]

    # A write that fails half-way leaves no temporary file and no scene.json (incomplete).
    calls = {"n": 0}
    real = np.savez

    def failing_savez(fh, **arrays):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real(fh, **arrays)

    monkeypatch.setattr(atomic.np, "savez", failing_savez)
    with pytest.raises(OSError, match="disk full"):
        save_result(_result(), out, body=body)
    monkeypatch.undo()
    assert not (out / "scene.json").exists()
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    with pytest.raises(ValueError, match="scene.json"):
        load_result(out)


def test_rewrite_removes_stale_people_and_passes(tmp_path, body):
    out = save_result(_result(), tmp_path / "r", body=body)
    smaller = _result()
    for p in smaller.passes.values():
        p.people = [q for q in p.people if q.track_id == "a"]
    smaller.people = smaller.passes["motion"].people
    del smaller.passes["smooth"]
    save_result(smaller, out, body=body)
    assert not (out / person_file_name("b7")).exists()
    assert not (out / "passes" / "smooth").exists()
    back = load_result(out)
    assert [p.track_id for p in back.estimate.people] == ["a"]
    assert list(back.passes) == ["init", "root", "motion"]


def test_bad_arguments(tmp_path, body):
    with pytest.raises(ValueError, match="result"):
        save_result(_result().to_estimate(), tmp_path / "x", body=body)
    scene = _scene()
    scene.tracks = [t for t in scene.tracks if t.track_id == "a"]
    with pytest.raises(ValueError, match="b7"):
        save_result(_result(), tmp_path / "y", scene=scene, body=body)
