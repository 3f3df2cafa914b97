"""Atomic writes (slahmr_opt.files): permissions follow the umask, interrupted writes leave
nothing behind, stale temporary files are cleaned up."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from slahmr_opt.files import (
    atomic_folder,
    current_umask,
    remove_stale_tmp,
    write_atomic,
    write_json_atomic,
    write_npz_atomic,
)
from slahmr_opt.io.scene_folder import save_scene
from slahmr_opt.synth.scene import make_scene


@pytest.fixture
def umask():
    """Set the process umask for one test, restoring it afterwards."""
    old = os.umask(0o022)
    os.umask(old)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_files_and_folders_get_umask_permissions(tmp_path, umask, mask):
    umask(mask)
    assert current_umask() == mask
    f = write_npz_atomic(tmp_path / "sub" / "a.npz", {"x": np.arange(3)})
    assert _mode(f) == 0o666 & ~mask  # mkstemp alone would give 0o600
    assert _mode(tmp_path / "sub") == 0o777 & ~mask
    with atomic_folder(tmp_path / "built") as tmp:
        write_json_atomic(tmp / "x.json", {"a": 1})
    assert _mode(tmp_path / "built") == 0o777 & ~mask  # mkdtemp alone would give 0o700
    assert _mode(tmp_path / "built" / "x.json") == 0o666 & ~mask


def test_scene_folder_gets_umask_permissions(tmp_path, umask):
    umask(0o022)
    scene = make_scene(1, 10, "easy", "static", seed=0)[0]
    out = save_scene(scene, tmp_path / "scene")
    assert _mode(out) == 0o755
    assert {_mode(p) for p in out.rglob("*") if p.is_file()} == {0o644}
    assert {_mode(p) for p in out.rglob("*") if p.is_dir()} == {0o755}


def test_interrupted_write_keeps_the_old_file_and_leaves_no_tmp(tmp_path):
    dst = write_json_atomic(tmp_path / "a.json", {"v": 1})

    def boom(fh):
        fh.write("{ partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(dst, boom, mode="w")
    assert dst.read_text() == '{\n  "v": 1\n}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_interrupted_folder_build_keeps_the_old_folder(tmp_path):
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "keep.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(tmp_path / "f", may_replace=lambda p: True):
        raise RuntimeError("killed")
    assert (tmp_path / "f" / "keep.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]
    with pytest.raises(ValueError, match="not empty; refusing"), atomic_folder(tmp_path / "f"):
        pass


def test_remove_stale_tmp_removes_only_our_leftovers(tmp_path):
    # What a process killed between write and rename leaves (names as mkstemp/mkdtemp make them)
    stale = [
        tmp_path / ".person_001.npz.k2j4_x9a.tmp",
        tmp_path / ".scene.json.abcdefgh.tmp",
    ]
    for p in stale:
        p.write_bytes(b"partial")
    (tmp_path / ".scene.tmp-a1b2c3d4").mkdir()
    (tmp_path / ".scene.tmp-a1b2c3d4" / "x").write_text("partial")
    (tmp_path / ".scene.old-zzzzzzzz").mkdir()
    # Not ours: a user's files that merely look alike
    keep = ["notes.tmp", ".hidden.tmp", ".x.abc.tmp", "scene.json", ".scene.tmp-short"]
    for name in keep[:-1]:
        (tmp_path / name).write_text("user data")
    (tmp_path / keep[-1]).mkdir()

    only_json = remove_stale_tmp(tmp_path, name="scene.json")
    assert [p.name for p in only_json] == [".scene.json.abcdefgh.tmp"]
    removed = remove_stale_tmp(tmp_path)
    assert sorted(p.name for p in removed) == sorted(
        [".person_001.npz.k2j4_x9a.tmp", ".scene.old-zzzzzzzz", ".scene.tmp-a1b2c3d4"]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)
    assert remove_stale_tmp(tmp_path / "missing") == []
