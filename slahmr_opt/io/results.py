"""Result folders: a :class:`~slahmr_opt.result.WorldEstimate` on disk.

Layout (docs/formats.md, "Result folder"):

- ``scene.json``: format name and version, method, α, floor, fps, people, library version, meta;
- ``cameras.npz``: the SLAM cameras the estimate used (``w2c`` in SLAM units, ``intrins``) and
  ``w2c_metric`` (translations multiplied by α);
- ``person_<track id>.npz``: AMASS-style world motion (``poses`` (T, 72) axis-angle root + 23
  body joints, ``trans`` (T, 3), ``betas``, ``gender``, ``mocap_framerate``) plus ``frames``
  (scene frame indices) and ``root_orient`` / ``pose_body`` splits.

Every file is written atomically; ``scene.json`` is written last, so a folder with a
``scene.json`` is complete.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from slahmr_opt.io.atomic import write_json_atomic, write_npz_atomic
from slahmr_opt.result import WorldEstimate
from slahmr_opt.scene import Cameras, PersonMotion

RESULT_FORMAT = "slahmr-opt-result"
RESULT_VERSION = 1
RESULT_JSON = "scene.json"


def person_file_name(track_id: str) -> str:
    """File name of one person's motion in a result folder."""
    return f"person_{track_id}.npz"


def person_to_amass(person: PersonMotion, fps: float, gender: str = "neutral") -> dict[str, Any]:
    """AMASS-style arrays of one person's world motion.

    Returns:
        dict: ``poses`` (T, 72), ``trans`` (T, 3), ``betas`` (B,), ``gender`` (str),
        ``mocap_framerate`` (float), ``frames`` (T,) int64, ``root_orient`` (T, 3),
        ``pose_body`` (T, 69).
    """
    T = person.num_frames
    poses = np.concatenate([person.global_orient, person.body_pose.reshape(T, -1)], axis=1)
    return {
        "poses": poses,
        "trans": person.transl,
        "betas": person.betas,
        "gender": np.array(gender),
        "mocap_framerate": np.array(float(fps)),
        "frames": person.frames.astype(np.int64),
        "root_orient": person.global_orient,
        "pose_body": person.body_pose.reshape(T, -1),
    }


def save_estimate(
    estimate: WorldEstimate, path: str | os.PathLike, gender: str = "neutral"
) -> Path:
    """Write an estimate into the result folder ``path`` (created if needed).

    Returns:
        the folder.
    """
    from slahmr_opt import __version__

    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    cams = estimate.cameras
    metric = cams.w2c()
    metric[:, :3, 3] *= estimate.alpha
    write_npz_atomic(
        folder / "cameras.npz",
        {
            "w2c": cams.w2c(),
            "w2c_metric": metric,
            "intrins": cams.intrinsics,
            "is_static": np.array(cams.is_static),
            "world_scale": np.array(estimate.alpha),
        },
    )
    for person in estimate.people:
        write_npz_atomic(
            folder / person_file_name(person.track_id),
            person_to_amass(person, estimate.fps, gender),
        )
    floor = None
    if estimate.floor is not None:
        n, d = estimate.floor
        floor = {
            "normal": [float(x) for x in n],
            "offset": float(d),
            "plane": [float(x) * float(d) for x in n],
        }
    write_json_atomic(
        folder / RESULT_JSON,
        {
            "format": RESULT_FORMAT,
            "version": RESULT_VERSION,
            "library_version": __version__,
            "method": estimate.method,
            "fps": estimate.fps,
            "world_scale": estimate.alpha,
            "floor": floor,
            "num_frames": cams.num_frames,
            "people": [
                {
                    "id": p.track_id,
                    "file": person_file_name(p.track_id),
                    "start": int(p.frames[0]),
                    "end": int(p.frames[-1]) + 1,
                }
                for p in estimate.people
            ],
            "meta": estimate.meta,
        },
    )
    return folder


def load_estimate(path: str | os.PathLike) -> WorldEstimate:
    """Read a result folder written by :func:`save_estimate`.

    Raises:
        ValueError: naming the file and field when something is missing or malformed.
    """
    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
    meta_path = folder / RESULT_JSON
    if not meta_path.is_file():
        raise ValueError(f"{meta_path}: missing; not a result folder")
    try:
        info = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{meta_path}: not valid JSON ({exc})") from exc
    if info.get("format") != RESULT_FORMAT:
        raise ValueError(
            f"{meta_path}: field 'format' is {info.get('format')!r}, expected "
            f"{RESULT_FORMAT!r} (is this a scene folder rather than a result?)"
        )
    for key in ("fps", "world_scale", "people"):
        if key not in info:
            raise ValueError(f"{meta_path}: missing field {key!r}")
    cam_path = folder / "cameras.npz"
    if not cam_path.is_file():
        raise ValueError(f"{cam_path}: missing")
    with np.load(cam_path, allow_pickle=False) as z:
        for key in ("w2c", "intrins"):
            if key not in z.files:
                raise ValueError(f"{cam_path}: missing field {key!r}")
        cameras = Cameras.from_w2c(
            z["w2c"],
            z["intrins"],
            is_static=bool(z["is_static"]) if "is_static" in z.files else False,
        )
    people = []
    for entry in info["people"]:
        p = folder / entry["file"]
        if not p.is_file():
            raise ValueError(f"{p}: missing (listed in {meta_path})")
        with np.load(p, allow_pickle=False) as z:
            for key in ("poses", "trans", "betas", "frames"):
                if key not in z.files:
                    raise ValueError(f"{p}: missing field {key!r}")
            poses = z["poses"]
            if poses.ndim != 2 or poses.shape[1] != 72:
                raise ValueError(f"{p}: field 'poses' has shape {poses.shape}, expected (T, 72)")
            people.append(
                PersonMotion(
                    track_id=entry["id"],
                    frames=z["frames"],
                    global_orient=poses[:, :3],
                    body_pose=poses[:, 3:].reshape(-1, 23, 3),
                    betas=z["betas"],
                    transl=z["trans"],
                )
            )
    floor = None
    if info.get("floor"):
        floor = (
            np.asarray(info["floor"]["normal"], dtype=np.float64),
            float(info["floor"]["offset"]),
        )
    return WorldEstimate(
        people=people,
        alpha=float(info["world_scale"]),
        cameras=cameras,
        fps=float(info["fps"]),
        floor=floor,
        method=str(info.get("method", "estimate")),
        meta=info.get("meta", {}),
    )
