"""The solve() API: passes, results, static cameras, asynchronous tracks, devices."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from slahmr_opt.config import preset
from slahmr_opt.result import Result, WorldEstimate
from slahmr_opt.solver.solve import resolve_config, solve
from tests.solver.helpers import body, scene, tiny_config


def test_result_structure_and_estimates():
    s, _ = scene()
    result = solve(s, tiny_config(), body(), progress=False)
    assert isinstance(result, Result)
    assert list(result.passes) == ["init", "root", "smooth", "motion"]
    assert result.last_pass == "motion"
    for name in result.passes:
        est = result.to_estimate(name)
        assert isinstance(est, WorldEstimate) and name in est.method
        assert [p.track_id for p in est.people] == s.track_ids
    for person, track in zip(result.people, s.tracks, strict=True):
        assert person.frames.tolist() == track.frames.tolist()  # T_i frames per person
    assert result.alpha_optimized and "smooth" in result.alpha_note
    assert set(result.timings) == {"init", "root", "smooth", "motion", "total", "this_run"}
    passes = sum(result.timings[k] for k in ("init", "root", "smooth", "motion"))
    assert result.timings["total"] == pytest.approx(passes)  # no resume: all of this run
    assert result.timings["this_run"] >= passes
    json.dumps(result.summary())  # the resolved config and summaries are JSON-ready
    assert result.config == tiny_config().to_dict()
    assert result.passes["smooth"].floor is None and result.floor is not None
    assert result.to_estimate("motion").floor is result.floor
    assert all(p.contacts is not None for p in result.people)
    with pytest.raises(ValueError, match="pass_name"):
        result.to_estimate("refine")


def test_until_stops_early():
    s, _ = scene()
    assert list(solve(s, tiny_config(), body(), until="root", progress=False).passes) == [
        "init",
        "root",
    ]
    with pytest.raises(ValueError, match="until"):
        solve(s, tiny_config(), body(), until="refine", progress=False)


def test_root_pass_moves_only_the_root():
    s, _ = scene()
    result = solve(s, tiny_config(), body(), until="root", progress=False)
    init, root = result.passes["init"], result.passes["root"]
    for a, b in zip(init.people, root.people, strict=True):
        np.testing.assert_array_equal(a.body_pose, b.body_pose)
        np.testing.assert_array_equal(a.betas, b.betas)
        assert not np.allclose(a.transl, b.transl)
    assert root.alpha == init.alpha


def test_static_cameras_keep_alpha_fixed():
    s, _ = scene(camera="static")
    cfg = tiny_config(init__alpha=2.0)
    result = solve(s, cfg, body(), progress=False)
    assert result.alpha == 1.0 and not result.alpha_optimized
    assert "static" in result.alpha_note and result.alpha_init["method"] == "static"
    assert all(p.alpha == 1.0 for p in result.passes.values())
    profiled = tiny_config(init__trans_frame="camera", init__alpha_update="profile")
    assert solve(s, profiled, body(), progress=False).alpha == 1.0


def test_moving_cameras_optimise_alpha_in_the_smooth_pass():
    s, _ = scene()
    result = solve(s, tiny_config(), body(), progress=False)
    assert result.passes["root"].alpha == 1.0
    assert result.passes["smooth"].alpha != 1.0
    frozen = solve(
        s,
        tiny_config(smooth__free="root_orient,trans,body_pose,betas"),
        body(),
        until="smooth",
        progress=False,
    )
    assert frozen.alpha == 1.0 and not frozen.alpha_optimized


def test_asynchronous_tracks_keep_their_frames():
    s, _ = scene()
    short = s.tracks[1]
    assert short.start > 0 or short.end < s.num_frames
    result = solve(s, tiny_config(), body(), progress=False)
    person = result.people[1]
    assert person.frames[0] == short.start and person.frames[-1] == short.end - 1


def test_energy_decreases_in_both_presets():
    s, _ = scene()
    for base in ("slahmr", "fast"):
        result = solve(s, tiny_config(base), body(), progress=False)
        for name in ("root", "smooth"):
            h = result.passes[name].history["total"]
            assert h[-1] < h[0], (base, name)


def test_config_inputs_are_not_modified_and_presets_resolve():
    cfg = preset("slahmr")
    before = cfg.to_dict()
    s, _ = scene()
    solve(s, tiny_config(), body(), until="init", progress=False)
    assert cfg.to_dict() == before
    assert resolve_config("slahmr") == preset("slahmr")
    assert resolve_config(None).preset == "fast"
    with pytest.raises(ValueError, match="config"):
        resolve_config(42)


def test_float64_and_device_argument():
    s, _ = scene()
    result = solve(s, tiny_config(dtype="float64"), body(), device="cpu", progress=False)
    assert np.all(np.isfinite(result.people[0].transl))
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="cuda"):
            solve(s, tiny_config(), body(), device="cuda", progress=False)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu():
    s, _ = scene()
    cfg = tiny_config(dtype="float64")
    a = solve(s, cfg, body(), progress=False)
    b = solve(s, cfg, body(), device="cuda", progress=False)
    for x, y in zip(a.people, b.people, strict=True):
        np.testing.assert_allclose(x.transl, y.transl, atol=1e-5)


def test_a_pass_with_nothing_left_to_optimise_is_skipped():
    s, _ = scene(camera="static")
    result = solve(s, tiny_config(smooth__free="alpha"), body(), progress=False)
    p = result.passes["smooth"]
    assert p.stop_reason == "skipped" and p.steps == 0 and len(p.history["total"]) == 1
    for a, b in zip(result.passes["root"].people, p.people, strict=True):
        np.testing.assert_array_equal(a.transl, b.transl)
