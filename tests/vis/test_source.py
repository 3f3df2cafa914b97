"""Result sources: what the drawing and export code accept, and the body they pose it with."""

from __future__ import annotations

import json

import pytest

from slahmr_opt.io.results import save_estimate, save_result
from slahmr_opt.vis.source import as_source, resolve_body
from tests.export.scenes import PASS_SHIFT, body64, fake_result, scene_and_truth, truth_estimate


def test_results_folders_and_estimates(tmp_path):
    scene, _ = scene_and_truth()
    result = fake_result()
    src = as_source(result)
    assert list(src.passes) == list(PASS_SHIFT) and src.floor_transform is not None
    assert src.energies["motion"]["total"] == result.passes["motion"].history["total"]
    run = save_result(result, tmp_path / "run", scene=scene, body=body64())
    loaded = as_source(run)  # a path: read as a run
    assert list(loaded.passes) == list(PASS_SHIFT) and loaded.body_source == "stand-in"
    assert loaded.energies["motion"]["total"] == [result.passes["motion"].history["total"][-1]]
    est = save_estimate(truth_estimate(floor=False), tmp_path / "est")
    single = as_source(est)  # an estimate folder (e.g. the naive baseline's)
    assert list(single.passes) == ["final"] and single.floor_transform is None
    assert single.pass_names(None) == ["final"]
    assert single.pass_names("none", allow_none=True) == []
    with pytest.raises(ValueError, match="not a result folder"):
        as_source(tmp_path)


def test_a_result_fitted_with_a_model_file_needs_that_body(tmp_path):
    scene, _ = scene_and_truth()
    run = save_result(fake_result(), tmp_path / "run", scene=scene, body=body64())
    meta = run / "scene.json"
    info = json.loads(meta.read_text())
    info["body"]["source"] = "models/SMPL_NEUTRAL.npz"
    meta.write_text(json.dumps(info))
    with pytest.raises(ValueError, match="SMPL_NEUTRAL"):
        resolve_body(as_source(run), None)
    assert resolve_body(as_source(run), body64()) is body64()
