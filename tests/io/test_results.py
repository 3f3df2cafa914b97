"""Result folders round-trip and reject malformed input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from slahmr_opt.io.results import load_estimate, person_file_name, save_estimate
from slahmr_opt.result import WorldEstimate
from slahmr_opt.scene import Cameras, PersonMotion


def _estimate() -> WorldEstimate:
    rng = np.random.default_rng(0)
    people = [
        PersonMotion(
            track_id=f"p{i}",
            frames=np.arange(3 + i, 13 + i),
            global_orient=rng.normal(size=(10, 3)),
            body_pose=0.1 * rng.normal(size=(10, 23, 3)),
            betas=rng.normal(size=10),
            transl=rng.normal(size=(10, 3)),
        )
        for i in range(2)
    ]
    cams = Cameras.static(20, 640, 480)
    return WorldEstimate(
        people=people,
        alpha=1.7,
        cameras=cams,
        fps=30.0,
        floor=(np.array([0.0, -1.0, 0.0]), -0.8),
        method="test",
        meta={"note": "x"},
    )


def test_round_trip(tmp_path):
    est = _estimate()
    save_estimate(est, tmp_path / "res")
    back = load_estimate(tmp_path / "res")
    assert back.alpha == est.alpha and back.fps == 30.0 and back.method == "test"
    assert back.meta == {"note": "x"}
    np.testing.assert_array_equal(back.floor[0], est.floor[0])
    for a, b in zip(est.people, back.people, strict=True):
        assert a.track_id == b.track_id
        for key in ("frames", "global_orient", "body_pose", "betas", "transl"):
            np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    with np.load(tmp_path / "res" / person_file_name("p0")) as z:
        assert z["poses"].shape == (10, 72) and float(z["mocap_framerate"]) == 30.0
        assert str(z["gender"]) == "neutral"
    with np.load(tmp_path / "res" / "cameras.npz") as z:
        np.testing.assert_allclose(z["w2c_metric"][:, :3, 3], 1.7 * z["w2c"][:, :3, 3])


def test_errors_name_the_file(tmp_path):
    with pytest.raises(ValueError, match="scene.json"):
        load_estimate(tmp_path)
    save_estimate(_estimate(), tmp_path / "res")
    info = json.loads((tmp_path / "res" / "scene.json").read_text())
    info["format"] = "slahmr-opt-scene"
    (tmp_path / "res" / "scene.json").write_text(json.dumps(info))
    with pytest.raises(ValueError, match="format"):
        load_estimate(tmp_path / "res")
    save_estimate(_estimate(), tmp_path / "res2")
    (tmp_path / "res2" / person_file_name("p1")).unlink()
    with pytest.raises(ValueError, match="person_p1.npz"):
        load_estimate(tmp_path / "res2")
