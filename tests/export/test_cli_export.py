"""``slahmr-opt export`` and ``slahmr-opt render`` on a result folder."""

from __future__ import annotations

import cv2
import pytest

from slahmr_opt.cli import main
from slahmr_opt.io.results import save_result
from slahmr_opt.io.scene_folder import save_scene
from tests.export.scenes import body64, fake_result, scene_and_truth


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    scene, _ = scene_and_truth()
    root = tmp_path_factory.mktemp("cli")
    run = save_result(fake_result(), root / "run", scene=scene, body=body64())
    scene_dir = save_scene(scene, root / "scene")
    return run, scene_dir


def test_export_every_format(folders, tmp_path, capsys):
    pytest.importorskip("pygltflib")
    pytest.importorskip("rerun")
    run, _ = folders
    rc = main(["export", str(run), "--format", "bvh,glb,rrd,amass", "--out", str(tmp_path)])
    assert rc == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        [
            "person_p0.bvh",
            "person_p1.bvh",
            "scene.glb",
            "scene.rrd",
            "person_p0.npz",
            "person_p1.npz",
        ]
    )
    out = capsys.readouterr().out
    assert "bvh: 2 file(s)" in out and "glb: 1 file(s)" in out


def test_export_bad_format_is_a_clear_error(folders, tmp_path, capsys):
    run, _ = folders
    assert main(["export", str(run), "--format", "fbx", "--out", str(tmp_path)]) == 2
    assert "--format" in capsys.readouterr().err
    assert main(["export", str(tmp_path), "--format", "bvh", "--out", str(tmp_path / "x")]) == 2
    assert "not a result folder" in capsys.readouterr().err
    assert main(["export", str(run), "--format", "bvh", "--out", str(run)]) == 2
    assert "is (or contains) the input" in capsys.readouterr().err


def test_render_video_and_still(folders, tmp_path):
    run, scene_dir = folders
    video = tmp_path / "overlay.mp4"
    rc = main(
        [
            "render", str(run), "--out", str(video), "--scene", str(scene_dir), "--keypoints",
            "--passes", "smooth,motion", "--frames", "2:6", "--max-width", "320", "--quiet",
        ]
    )  # fmt: skip
    assert rc == 0
    cap = cv2.VideoCapture(str(video))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 4
    assert int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == 640  # two passes side by side
    cap.release()
    still = tmp_path / "still.png"
    assert main(["render", str(run), "--out", str(still), "--frames", "3:4", "--quiet"]) == 0
    assert cv2.imread(str(still)).shape == (540, 960, 3)


def test_render_errors(folders, tmp_path, capsys):
    run, _ = folders
    assert main(["render", str(run), "--out", str(tmp_path / "a.mp4"), "--keypoints"]) == 2
    assert "scene" in capsys.readouterr().err
    assert main(["render", str(run), "--out", str(tmp_path / "a.gif"), "--quiet"]) == 2
    assert ".gif" in capsys.readouterr().err
    assert main(["render", str(run), "--out", str(tmp_path / "a.mp4"), "--frames", "5:99"]) == 2
    assert not (tmp_path / "a.mp4").exists()


def test_demo_writes_an_overlay_and_a_glb_next_to_the_plot(folders):
    pytest.importorskip("pygltflib")
    from slahmr_opt.apps.demo import views_demo

    run, _ = folders
    scene, _ = scene_and_truth()
    views_demo(run, scene, body64(), frames=(0, 3))
    cap = cv2.VideoCapture(str(run / "overlay.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    cap.release()
    assert (run / "scene.glb").read_bytes()[:4] == b"glTF"
