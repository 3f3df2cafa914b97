"""A folder of mixed sequences for trying ``batch`` (and for its tests and benchmark): scene
folders with ground truth, the original SLAHMR layout (one root with two sequences, one with
one), manifest folders (DPVO cameras, OpenPose keypoints, npz tracks) and one corrupt sequence.
"""

from __future__ import annotations

import os
from pathlib import Path

CAMERAS = ("orbit", "handheld", "pan_tilt")


def write_mixed_root(
    root: str | os.PathLike,
    *,
    scene_folders: int = 5,
    original_roots: tuple[int, ...] = (2, 1),
    manifests: int = 3,
    corrupt: bool = True,
    people: int = 1,
    frames: int = 40,
    seed: int = 0,
) -> Path:
    """Write synthetic sequences under ``root`` in every layout ``run`` reads.

    Layout: ``scenes/scene_<i>/`` (scene folders with ``gt.npz``), ``videos/original_<k>/``
    (original layout, ``original_roots[k]`` sequences each), ``videos/manifest_<i>/`` (manifest
    folders) and ``broken/scene_bad/`` (a scene folder whose cameras file is truncated).

    Returns:
        ``root``; it holds ``scene_folders + sum(original_roots) + manifests + corrupt``
        sequences.
    """
    from slahmr_opt.body import BodyModel
    from slahmr_opt.io.folder import write_manifest_folder, write_original_layout
    from slahmr_opt.synth.scene import make_scene, write_synthetic_scene

    root = Path(root)
    body = BodyModel.standin()
    n = seed

    def scene_kwargs() -> dict:
        nonlocal n
        n += 1
        return dict(
            num_people=people,
            num_frames=frames,
            preset="easy",
            camera=CAMERAS[n % len(CAMERAS)],
            seed=n,
            body=body,
        )

    for i in range(scene_folders):
        write_synthetic_scene(root / "scenes" / f"scene_{i}", **scene_kwargs())
    for k, count in enumerate(original_roots):
        for j in range(count):
            scene, _ = make_scene(**scene_kwargs())
            write_original_layout(root / "videos" / f"original_{k}", scene, seq=f"seq_{j}")
    for i in range(manifests):
        scene, _ = make_scene(**scene_kwargs())
        write_manifest_folder(root / "videos" / f"manifest_{i}", scene)
    if corrupt:
        bad = write_synthetic_scene(root / "broken" / "scene_bad", **scene_kwargs())
        cameras = bad / "cameras.npz"
        cameras.write_bytes(cameras.read_bytes()[:100])
    return root
