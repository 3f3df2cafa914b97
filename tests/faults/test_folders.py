"""Broken scene folders and result folders: each defect gives one line naming the file."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from slahmr_opt.io.result_reader import load_estimate, load_result
from slahmr_opt.io.results import save_estimate
from slahmr_opt.io.scene_folder import load_ground_truth, load_scene, save_scene
from slahmr_opt.solver.world_init import naive_composition
from slahmr_opt.synth.scene import make_scene
from tests.solver.helpers import body


@pytest.fixture(scope="module")
def scene_and_truth():
    return make_scene(num_people=2, num_frames=12, preset="easy", seed=3, body=body())


@pytest.fixture
def scene_dir(tmp_path, scene_and_truth):
    scene, gt = scene_and_truth
    return Path(save_scene(scene, tmp_path / "scene", gt=gt))


@pytest.fixture
def result_dir(tmp_path, scene_and_truth):
    from slahmr_opt.result import WorldEstimate

    scene, _ = scene_and_truth
    people, alpha = naive_composition(scene, body(), alpha="median")
    est = WorldEstimate(people=people, alpha=alpha, cameras=scene.cameras, fps=scene.fps)
    return Path(save_estimate(est, tmp_path / "result"))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _first_track(folder: Path) -> Path:
    return sorted((folder / "tracks").glob("*.npz"))[0]


SCENE_DEFECTS: dict[str, tuple[Callable[[Path], Path], str]] = {
    # name: (make the defect, returning the file the message must name; text in the message)
    "no scene.json": (lambda f: (f / "scene.json").unlink() or f / "scene.json", "not found"),
    "scene.json garbage": (
        lambda f: (f / "scene.json").write_bytes(b"\x00\xff garbage") and f / "scene.json",
        "JSON",
    ),
    "scene.json a list": (
        lambda f: (f / "scene.json").write_text("[]") and f / "scene.json",
        "JSON object",
    ),
    "scene.json truncated": (
        lambda f: _truncate(f / "scene.json") or f / "scene.json",
        "JSON",
    ),
    "fps as a string": (
        lambda f: _edit_json(f / "scene.json", lambda d: d.update(fps="30")) or f / "scene.json",
        "fps",
    ),
    "fps negative": (
        lambda f: _edit_json(f / "scene.json", lambda d: d.update(fps=-1)) or f / "scene.json",
        "fps",
    ),
    "format unknown": (
        lambda f: _edit_json(f / "scene.json", lambda d: d.update(format="x")) or f / "scene.json",
        "format",
    ),
    "cameras.npz truncated": (lambda f: _truncate(f / "cameras.npz") or f / "cameras.npz", ""),
    "cameras.npz missing": (lambda f: (f / "cameras.npz").unlink() or f / "cameras.npz", ""),
    "cameras.npz a pickle": (
        lambda f: (f / "cameras.npz").write_bytes(b"\x80\x04K\x01.") and f / "cameras.npz",
        "npz",
    ),
    "track truncated": (lambda f: _truncate(_first_track(f)) or _first_track(f), ""),
    "track missing": (lambda f: _first_track(f).unlink() or _first_track_name(f), ""),
    "tracks folder gone": (
        lambda f: shutil.rmtree(f / "tracks") or f / "tracks",
        "",
    ),
}


def _first_track_name(folder: Path) -> Path:
    meta = json.loads((folder / "scene.json").read_text())
    return folder / meta["tracks"][0]["file"]


@pytest.mark.parametrize("defect", sorted(SCENE_DEFECTS))
def test_broken_scene_folders(scene_dir, defect):
    make, fragment = SCENE_DEFECTS[defect]
    named = make(scene_dir)
    with pytest.raises(ValueError) as info:
        load_scene(scene_dir)
    text = str(info.value)
    assert named.name in text and fragment in text and "\n" not in text, text


@pytest.mark.parametrize("defect", ["truncated", "missing", "garbage", "wrong field"])
def test_broken_ground_truth(scene_dir, defect):
    gt = scene_dir / "gt.npz"
    if defect == "truncated":
        _truncate(gt)
    elif defect == "missing":
        gt.unlink()
    elif defect == "garbage":
        gt.write_bytes(b"PK\x03\x04garbage")
    else:
        arrays = dict(np.load(gt))
        first = sorted(arrays)[0]
        arrays[first] = np.array(["text"])
        np.savez(gt, **arrays)
    with pytest.raises(ValueError) as info:
        load_ground_truth(scene_dir)
    assert "gt.npz" in str(info.value) and "\n" not in str(info.value)


RESULT_DEFECTS: dict[str, Callable[[Path], str]] = {
    "no scene.json": lambda f: (f / "scene.json").unlink() or "scene.json",
    "scene.json garbage": lambda f: (f / "scene.json").write_bytes(b"\xff\xfe") and "scene.json",
    "scene.json of a scene": lambda f: (
        _edit_json(f / "scene.json", lambda d: d.update(format="slahmr-opt-scene")) or "scene.json"
    ),
    "person file truncated": lambda f: (
        _truncate(sorted(f.glob("person_*.npz"))[0]) or sorted(f.glob("person_*.npz"))[0].name
    ),
    "person file missing": lambda f: [p.unlink() for p in f.glob("person_*.npz")] and "person_",
    "cameras truncated": lambda f: _truncate(f / "cameras.npz") or "cameras.npz",
    "cameras missing": lambda f: (f / "cameras.npz").unlink() or "cameras.npz",
    "world_scale text": lambda f: (
        _edit_json(f / "scene.json", lambda d: d.update(world_scale="big")) or "world_scale"
    ),
}


@pytest.mark.parametrize("defect", sorted(RESULT_DEFECTS))
def test_broken_result_folders(result_dir, defect):
    fragment = RESULT_DEFECTS[defect](result_dir)
    with pytest.raises(ValueError) as info:
        load_estimate(result_dir)
    text = str(info.value)
    assert fragment in text and "\n" not in text, text


def test_load_result_on_an_estimate_folder_says_what_to_use(result_dir):
    with pytest.raises(ValueError, match="load_estimate"):
        load_result(result_dir)


@pytest.mark.parametrize("target", ["a file", "inside a file"])
def test_save_onto_a_file_is_refused(tmp_path, scene_and_truth, target):
    from slahmr_opt.result import WorldEstimate

    scene, _ = scene_and_truth
    people, alpha = naive_composition(scene, body(), alpha="median")
    est = WorldEstimate(people=people, alpha=alpha, cameras=scene.cameras, fps=scene.fps)
    f = tmp_path / "f"
    f.write_text("x")
    out = f if target == "a file" else f / "sub"
    with pytest.raises(ValueError, match="is a file"):
        save_estimate(est, out)
    assert f.read_text() == "x"


def test_saving_a_result_onto_a_scene_folder_is_refused(scene_dir, scene_and_truth):
    from slahmr_opt.result import WorldEstimate

    scene, _ = scene_and_truth
    people, alpha = naive_composition(scene, body(), alpha="median")
    est = WorldEstimate(people=people, alpha=alpha, cameras=scene.cameras, fps=scene.fps)
    before = (scene_dir / "scene.json").read_bytes()
    with pytest.raises(ValueError, match="not the scene.json of a result folder"):
        save_estimate(est, scene_dir)
    assert (scene_dir / "scene.json").read_bytes() == before
    assert load_scene(scene_dir).num_frames == scene.num_frames
