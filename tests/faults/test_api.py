"""The Python API: wrong arguments get an InputError naming them; recoveries say what they did."""

from __future__ import annotations

import dataclasses
import errno
import logging

import pytest
import torch

import slahmr_opt
from slahmr_opt.cli import describe_error
from slahmr_opt.errors import InputError
from slahmr_opt.scene import Scene, Track
from slahmr_opt.solver.solve import fit_tracks, parse_device
from tests.solver.helpers import body, tiny_config
from tests.solver.helpers import scene as scene_and_truth


def scene() -> Scene:
    return scene_and_truth()[0]


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("runs/scene", "load it first"),
        (None, "got NoneType"),
        ({"tracks": []}, "got dict"),
        (42, "got int"),
    ],
)
def test_solve_needs_a_scene(bad, fragment):
    with pytest.raises(InputError, match=fragment):
        slahmr_opt.solve(bad)


@pytest.mark.parametrize("device", ["tpu", "gpu", "cuda:x", "", "meta", 3.5])
def test_unknown_devices_are_refused(device):
    with pytest.raises(InputError, match="device"):
        parse_device(device)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_cuda_without_a_device_is_refused(device):
    with pytest.raises(InputError, match="no CUDA device"):
        slahmr_opt.solve(scene(), tiny_config(), body=body(), until="root", device=device)


@pytest.mark.parametrize("until", ["all", "pass3", "", "ROOT"])
def test_unknown_until_is_refused(until):
    with pytest.raises(InputError, match="until must be one of"):
        slahmr_opt.solve(scene(), tiny_config(), body=body(), until=until)


@pytest.mark.parametrize("name", ["nope", "", "FAST"])
def test_unknown_preset_is_refused(name):
    with pytest.raises(ValueError, match="preset"):
        slahmr_opt.solve(scene(), name, body=body(), until="init")


def _blind(track: Track) -> Track:
    kp = track.keypoints.copy()
    kp[..., 2] = 0.0
    return dataclasses.replace(track, keypoints=kp, visibility=None)


def test_track_without_confident_keypoints_is_dropped_with_a_reason(caplog, tmp_path):
    s = scene()
    blind = _blind(s.tracks[1])
    s2 = dataclasses.replace(s, tracks=[s.tracks[0], blind])
    with caplog.at_level(logging.WARNING):
        result = slahmr_opt.solve(s2, tiny_config(), body=body(), until="root", progress=False)
    assert [p.track_id for p in result.people] == [s.tracks[0].track_id]
    assert result.skipped_tracks == [blind.track_id]
    (note,) = result.dropped_tracks
    assert note["track_id"] == blind.track_id and "confidence" in note["reason"]
    assert blind.track_id in caplog.text and "not fitted" in caplog.text
    folder = slahmr_opt.save_result(result, tmp_path / "r", scene=s2, body=body())
    loaded = slahmr_opt.load_result(folder)
    assert loaded.info["dropped_tracks"] == result.dropped_tracks


def test_reader_drops_are_reported_by_the_solver():
    s = scene()
    prov = {"dropped_tracks": [{"track_id": "13", "reason": "more than --max-tracks 12"}]}
    s2 = dataclasses.replace(s, provenance=prov)
    ids, dropped = fit_tracks(s2, 0.4)
    assert ids == s.track_ids and dropped == prov["dropped_tracks"]


def test_no_fittable_track_is_an_error_naming_each_reason():
    s = scene()
    s2 = dataclasses.replace(s, tracks=[_blind(t) for t in s.tracks])
    with pytest.raises(InputError, match="no track can be fitted.*confidence"):
        slahmr_opt.solve(s2, tiny_config(), body=body(), until="root", progress=False)


def test_checkpoint_of_another_shape_restarts_the_pass(tmp_path, caplog):
    s = scene()
    cfg = tiny_config()
    slahmr_opt.solve(s, cfg, body=body(), until="root", checkpoint_dir=tmp_path, progress=False)
    ckpt = tmp_path / "root.ckpt"
    payload = torch.load(ckpt, weights_only=True)
    key = next(iter(payload["variables"]))
    payload["variables"][key] = torch.zeros(99, 1)
    torch.save(payload, ckpt)
    with caplog.at_level(logging.WARNING):
        slahmr_opt.solve(s, cfg, body=body(), until="root", checkpoint_dir=tmp_path, progress=False)
    assert "starting the pass over" in caplog.text and key in caplog.text


def test_resume_with_other_threads_says_so(tmp_path, caplog):
    s = scene()
    cfg = tiny_config()
    slahmr_opt.solve(s, cfg, body=body(), until="root", checkpoint_dir=tmp_path, progress=False)
    ckpt = tmp_path / "root.ckpt"
    payload = torch.load(ckpt, weights_only=True)
    assert payload["threads"] == torch.get_num_threads()
    payload["threads"] = torch.get_num_threads() + 3
    torch.save(payload, ckpt)
    with caplog.at_level(logging.WARNING):
        slahmr_opt.solve(s, cfg, body=body(), until="root", checkpoint_dir=tmp_path, progress=False)
    assert "not bit-identical" in caplog.text


@pytest.mark.parametrize(
    "exc, fragment",
    [
        (OSError(errno.ENOSPC, "No space left on device", "/out/x.npz"), "/out/x.npz: the disk"),
        (PermissionError(errno.EACCES, "Permission denied", "/out"), "/out: permission denied"),
        (OSError(errno.EROFS, "Read-only file system", "/ro/f"), "/ro/f: the file system is read"),
        (NotADirectoryError(errno.ENOTDIR, "Not a directory", "/f/x"), "/f/x: a part of the path"),
        (IsADirectoryError(errno.EISDIR, "Is a directory", "/d"), "/d: is a folder"),
        (FileNotFoundError(errno.ENOENT, "No such file", "/nope"), "/nope: no such file"),
        (InputError("a.npz: field 'x' missing"), "a.npz: field 'x' missing"),
        (KeyError("track 'p9'"), "track 'p9'"),
        (
            RuntimeError("shape mismatch\nlong trace"),
            "internal error (RuntimeError: shape mismatch",
        ),
        (MemoryError(), "out of memory"),
    ],
)
def test_describe_error_is_one_line_naming_the_path(exc, fragment):
    text = describe_error(exc)
    assert fragment in text and "\n" not in text, text


def test_scene_is_validated_before_any_work():
    s = scene()
    kp = s.tracks[0].keypoints.copy()
    kp[0, 0] = [1e30, 1e30, 0.9]
    with pytest.raises(ValueError, match="far outside"):
        Scene(
            fps=s.fps,
            image_size=s.image_size,
            cameras=s.cameras,
            tracks=[dataclasses.replace(s.tracks[0], keypoints=kp, visibility=None)],
        )
