"""Result folders: a solver run (:func:`save_result`) or one estimate (:func:`save_estimate`).

A run folder (docs/formats.md, "Result folder") holds the final pass at the top level:

- ``scene.json``: format, versions, method, α, floor (plane, SLAHMR's form, the world→floor-aligned
  transform), fps, people, the resolved config, timings, per-pass summaries, events;
- ``cameras.npz``: the SLAM cameras (``w2c`` in SLAM units, ``w2c_metric``, ``intrins``);
- ``person_<track id>.npz``: AMASS-style world motion (``poses`` (T, 72), ``trans``, ``betas``,
  ``gender``, ``mocap_framerate``), ``frames``, the ``observed`` mask, ``contacts`` when known, and
  the same motion in the floor-aligned z-up frame when a floor is known;
- ``world_results.npz``: the original SLAHMR's field names, padded to the scene's frames;
- ``passes/<name>/``: one :func:`save_estimate` folder per pass; ``log.txt``; ``trajectory.png``.

An estimate folder (:func:`save_estimate`) has the first three kinds of files only. Every file is
written atomically (temporary file, then rename) and ``scene.json`` last, after the previous one
was removed, so a folder holding ``scene.json`` is complete.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.io.atomic import write_bytes_atomic, write_json_atomic, write_npz_atomic
from slahmr_opt.reprs import short_repr
from slahmr_opt.result import Result, WorldEstimate
from slahmr_opt.safe_load import load_npz
from slahmr_opt.scene import (
    NUM_CONTACT_JOINTS,
    Cameras,
    PersonMotion,
    Scene,
    Visibility,
)

if TYPE_CHECKING:
    from slahmr_opt.body import BodyModel

__all__ = [
    "CAMERAS_FILE",
    "HISTORY_FILE",
    "LOG_FILE",
    "PASSES_DIR",
    "PLOT_FILE",
    "RESULT_FORMAT",
    "RESULT_JSON",
    "RESULT_VERSION",
    "WORLD_RESULTS_FILE",
    "LoadedResult",
    "load_estimate",
    "load_result",
    "person_file_name",
    "person_to_amass",
    "save_estimate",
    "save_result",
    "world_results_arrays",
]

RESULT_FORMAT = "slahmr-opt-result"
RESULT_VERSION = 1
RESULT_JSON = "scene.json"
CAMERAS_FILE = "cameras.npz"
WORLD_RESULTS_FILE = "world_results.npz"
PASSES_DIR = "passes"
LOG_FILE = "log.txt"
HISTORY_FILE = "energy_history.json"
PLOT_FILE = "trajectory.png"

KIND_ESTIMATE = "estimate"
KIND_RUN = "run"

SMPLH_BODY_JOINTS = 21
"""Body joints in SLAHMR's ``pose_body`` (SMPL-H/HuMoR body: SMPL's first 21 after the pelvis)."""

_RUN_SUMMARY_KEYS = (
    "scene",
    "alpha",
    "passes",
    "timings",
    "events",
    "skipped_tracks",
    "dropped_tracks",
    "config",
)


def person_file_name(track_id: str) -> str:
    """File name of one person's motion in a result folder."""
    return f"person_{track_id}.npz"


def person_to_amass(person: PersonMotion, fps: float, gender: str = "neutral") -> dict[str, Any]:
    """AMASS-style arrays of one person's world motion.

    Returns:
        dict: ``poses`` (T, 72), ``trans`` (T, 3), ``betas`` (B,), ``gender`` (str),
        ``mocap_framerate`` (float), ``frames`` (T,) int64, ``root_orient`` (T, 3),
        ``pose_body`` (T, 69), and ``contacts`` (T, 9) when the person has them.
    """
    T = person.num_frames
    poses = np.concatenate([person.global_orient, person.body_pose.reshape(T, -1)], axis=1)
    out = {
        "poses": poses,
        "trans": person.transl,
        "betas": person.betas,
        "gender": np.array(gender),
        "mocap_framerate": np.array(float(fps)),
        "frames": person.frames.astype(np.int64),
        "root_orient": person.global_orient,
        "pose_body": person.body_pose.reshape(T, -1),
    }
    if person.contacts is not None:
        out["contacts"] = person.contacts
    return out


def _jsonable(value: Any) -> Any:
    """``value`` in plain, strict JSON types: numpy scalars/arrays and tuples become numbers and
    lists; non-finite floats become the strings ``"nan"``, ``"inf"``, ``"-inf"``."""
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if np.isfinite(v) else ("nan" if np.isnan(v) else ("inf" if v > 0 else "-inf"))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, Path):
        return str(value)
    return value


def _floor_json(floor: tuple[np.ndarray, float] | None) -> dict[str, Any] | None:
    if floor is None:
        return None
    n, d = floor
    return {
        "normal": [float(x) for x in n],
        "offset": float(d),
        "plane": [float(x) * float(d) for x in n],
    }


def _cameras_arrays(cameras: Cameras, alpha: float) -> dict[str, np.ndarray]:
    metric = cameras.w2c()
    metric[:, :3, 3] *= alpha
    return {
        "w2c": cameras.w2c(),
        "w2c_metric": metric,
        "intrins": cameras.intrinsics,
        "is_static": np.array(cameras.is_static),
        "world_scale": np.array(alpha),
    }


def _people_json(people: list[PersonMotion]) -> list[dict[str, Any]]:
    return [
        {
            "id": p.track_id,
            "file": person_file_name(p.track_id),
            "start": p.start,
            "end": p.end,
        }
        for p in people
    ]


def _previous_listing(folder: Path) -> dict[str, Any]:
    """The old scene.json of ``folder`` (or {}), then remove it so the folder reads incomplete."""
    meta = folder / RESULT_JSON
    if not meta.is_file():
        return {}
    try:
        old = json.loads(meta.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        old = {}
    meta.unlink()
    return old if isinstance(old, dict) else {}


def _remove_stale_people(folder: Path, old: dict[str, Any], keep: set[str]) -> None:
    for entry in old.get("people", []) or []:
        name = entry.get("file") if isinstance(entry, dict) else None
        if isinstance(name, str) and name not in keep and name == Path(name).name:
            (folder / name).unlink(missing_ok=True)


def save_estimate(
    estimate: WorldEstimate, path: str | os.PathLike, gender: str = "neutral"
) -> Path:
    """Write an estimate into the result folder ``path`` (created if needed).

    Writes ``cameras.npz``, one ``person_<id>.npz`` per person and ``scene.json`` (last; an
    existing one is removed first, and person files it listed that the estimate lacks are
    deleted).

    Returns:
        the folder.
    """
    from slahmr_opt import __version__

    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    old = _previous_listing(folder)
    write_npz_atomic(folder / CAMERAS_FILE, _cameras_arrays(estimate.cameras, estimate.alpha))
    for person in estimate.people:
        write_npz_atomic(
            folder / person_file_name(person.track_id),
            person_to_amass(person, estimate.fps, gender),
        )
    _remove_stale_people(folder, old, {person_file_name(p.track_id) for p in estimate.people})
    write_json_atomic(
        folder / RESULT_JSON,
        {
            "format": RESULT_FORMAT,
            "version": RESULT_VERSION,
            "kind": KIND_ESTIMATE,
            "library_version": __version__,
            "method": estimate.method,
            "fps": estimate.fps,
            "world_scale": estimate.alpha,
            "floor": _floor_json(estimate.floor),
            "num_frames": estimate.cameras.num_frames,
            "people": _people_json(estimate.people),
            "meta": _jsonable(estimate.meta),
        },
    )
    return folder


def _read_info(folder: Path) -> dict[str, Any]:
    meta_path = folder / RESULT_JSON
    if not meta_path.is_file():
        raise ValueError(f"{meta_path}: missing; not a result folder (or an incomplete one)")
    try:
        info = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{meta_path}: not valid JSON ({exc})") from exc
    if not isinstance(info, dict):
        raise ValueError(f"{meta_path}: expected a JSON object, got {type(info).__name__}")
    if info.get("format") != RESULT_FORMAT:
        raise ValueError(
            f"{meta_path}: field 'format' is {info.get('format')!r}, expected "
            f"{RESULT_FORMAT!r} (is this a scene folder rather than a result?)"
        )
    for key in ("fps", "world_scale", "people"):
        if key not in info:
            raise ValueError(f"{meta_path}: missing field {key!r}")
    return info


def _require(z: Any, path: Path, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key not in z:
            raise InputError(f"{path}: missing field {key!r}")


def load_estimate(path: str | os.PathLike) -> WorldEstimate:
    """Read a result folder written by :func:`save_estimate` or :func:`save_result`.

    For a :func:`save_result` folder this is the final pass (without its masks and floor-frame
    arrays: see :func:`load_result`).

    Raises:
        ValueError: naming the file and field when something is missing or malformed.
    """
    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
    meta_path = folder / RESULT_JSON
    info = _read_info(folder)
    cam_path = folder / CAMERAS_FILE
    if not cam_path.is_file():
        raise ValueError(f"{cam_path}: missing")
    z = load_npz(cam_path, "result cameras")
    _require(z, cam_path, ("w2c", "intrins"))
    cameras = Cameras.from_w2c(
        z["w2c"],
        z["intrins"],
        is_static=bool(z["is_static"]) if "is_static" in z else False,
    )
    people = []
    for entry in info["people"]:
        p = folder / entry["file"]
        if not p.is_file():
            raise ValueError(f"{p}: missing (listed in {meta_path})")
        z = load_npz(p, "result person file")
        _require(z, p, ("poses", "trans", "betas", "frames"))
        poses = z["poses"]
        if poses.ndim != 2 or poses.shape[1] != 72:
            raise InputError(f"{p}: field 'poses' has shape {poses.shape}, expected (T, 72)")
        people.append(
            PersonMotion(
                track_id=entry["id"],
                frames=z["frames"],
                global_orient=poses[:, :3],
                body_pose=poses[:, 3:].reshape(-1, 23, 3),
                betas=z["betas"],
                transl=z["trans"],
                contacts=z["contacts"] if "contacts" in z else None,
            )
        )
    floor = None
    if info.get("floor"):
        floor = (
            np.asarray(info["floor"]["normal"], dtype=np.float64),
            float(info["floor"]["offset"]),
        )
    if "meta" in info:
        meta = info["meta"]
    else:
        meta = {k: info[k] for k in _RUN_SUMMARY_KEYS if k in info}
    return WorldEstimate(
        people=people,
        alpha=float(info["world_scale"]),
        cameras=cameras,
        fps=float(info["fps"]),
        floor=floor,
        method=str(info.get("method", "estimate")),
        meta=meta,
    )


# --------------------------------------------------------------------------------------------
# solver runs
# --------------------------------------------------------------------------------------------


def _observed_mask(
    person: PersonMotion, scene: Scene | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """(observed (T,) bool, visibility (T,) int8 or None) of a person's frames.

    A frame is observed when the scene's track is VISIBLE there and has at least one keypoint
    with confidence > 0; frames outside the track are not observed. Without a scene, all True.
    """
    if scene is None:
        return np.ones(person.num_frames, dtype=bool), None
    try:
        track = scene.track(person.track_id)
    except KeyError:
        raise ValueError(
            f"scene: no track {person.track_id!r} for the result's person of that id; scene "
            f"tracks: {scene.track_ids}"
        ) from None
    idx = person.frames - track.start
    inside = (idx >= 0) & (idx < track.num_frames)
    safe = np.clip(idx, 0, track.num_frames - 1)
    detected = np.any(track.keypoints[safe, :, 2] > 0, axis=1)
    visible = track.visibility[safe] == Visibility.VISIBLE
    visibility = np.where(inside, track.visibility[safe], Visibility.OUTSIDE_IMAGE)
    return inside & detected & visible, visibility.astype(np.int8)


def _run_person_arrays(
    person: PersonMotion,
    fps: float,
    gender: str,
    pelvis: np.ndarray,
    observed: np.ndarray,
    visibility: np.ndarray | None,
    floor_T: np.ndarray | None,
) -> dict[str, Any]:
    from slahmr_opt.geometry.floor import smpl_world_to_floor

    out = person_to_amass(person, fps, gender)
    out["observed"] = observed
    out["pelvis_rest"] = pelvis
    if visibility is not None:
        out["visibility"] = visibility
    if floor_T is not None:
        go, tr = smpl_world_to_floor(person.global_orient, person.transl, pelvis, floor_T)
        out["root_orient_floor"] = go
        out["trans_floor"] = tr
        out["poses_floor"] = np.concatenate([go, out["poses"][:, 3:]], axis=1)
        out["floor_transform"] = floor_T
    return out


def world_results_arrays(estimate: WorldEstimate) -> dict[str, np.ndarray]:
    """The final state in the original SLAHMR's ``*_world_results.npz`` layout.

    People are stacked in the estimate's order and padded with zeros to the scene's ``T`` frames
    outside each track (``track_mask`` says where the motion is defined); the cameras are given
    for every frame.

    Returns:
        dict: ``trans`` (B, T, 3), ``root_orient`` (B, T, 3), ``pose_body`` (B, T, 63),
        ``betas`` (B, nb) (zero-padded to the largest count), ``cam_R`` (B, T, 3, 3), ``cam_t``
        (B, T, 3) (world→camera, translation × α, metres), ``intrins`` (T, 4), ``world_scale``
        (1,), ``track_mask`` (B, T) bool, ``track_id`` (B,) str, and with a floor
        ``floor_plane`` (1, 3) = n·d (world frame) and ``floor_idcs`` (B,) int64 zeros.
    """
    cams = estimate.cameras
    T = cams.num_frames
    B = len(estimate.people)
    nb = max((p.betas.size for p in estimate.people), default=0)
    trans = np.zeros((B, T, 3))
    root = np.zeros((B, T, 3))
    body = np.zeros((B, T, 3 * SMPLH_BODY_JOINTS))
    betas = np.zeros((B, nb))
    mask = np.zeros((B, T), dtype=bool)
    for b, p in enumerate(estimate.people):
        if p.end > T:
            raise ValueError(
                f"person {p.track_id!r}: frames [{p.start}, {p.end}) exceed the cameras' {T} frames"
            )
        f = p.frames
        trans[b, f] = p.transl
        root[b, f] = p.global_orient
        body[b, f] = p.body_pose[:, :SMPLH_BODY_JOINTS].reshape(len(f), -1)
        betas[b, : p.betas.size] = p.betas
        mask[b, f] = True
    out = {
        "trans": trans,
        "root_orient": root,
        "pose_body": body,
        "betas": betas,
        "cam_R": np.broadcast_to(cams.R, (B, T, 3, 3)).copy(),
        "cam_t": np.broadcast_to(estimate.alpha * cams.t, (B, T, 3)).copy(),
        "intrins": cams.intrinsics,
        "world_scale": np.array([estimate.alpha]),
        "track_mask": mask,
        "track_id": np.array([p.track_id for p in estimate.people]),
    }
    if estimate.floor is not None:
        n, d = estimate.floor
        out["floor_plane"] = (np.asarray(n, dtype=np.float64) * float(d))[None]
        out["floor_idcs"] = np.zeros(B, dtype=np.int64)
    return out


def _floor_info(estimate: WorldEstimate) -> dict[str, Any] | None:
    from slahmr_opt.geometry.floor import transform_plane

    info = _floor_json(estimate.floor)
    if info is None:
        return None
    n, d = estimate.floor
    cams = estimate.cameras
    n_c, d_c = transform_plane(n, d, cams.R[0], estimate.alpha * cams.t[0])
    info["plane_slahmr"] = [float(x) * d_c for x in n_c]
    info["camera0_height"] = -d_c
    return info


def save_result(
    result: Result,
    out_dir: str | os.PathLike,
    *,
    scene: Scene | None = None,
    gender: str = "neutral",
    plot: Callable[[WorldEstimate, Path], object] | None = None,
    log_text: str | None = None,
    body: BodyModel | None = None,
    log_file: str | os.PathLike | None = None,
) -> Path:
    """Write a solver run into the result folder ``out_dir`` (docs/formats.md, "Result folder").

    Files: ``cameras.npz``, ``person_<id>.npz`` (final pass, AMASS-style, with ``observed``,
    ``contacts`` when known and the floor-aligned motion when a floor is known),
    ``world_results.npz`` (SLAHMR's layout), ``passes/<name>/`` (one :func:`save_estimate`
    folder per pass), ``log.txt`` (with ``log_text``), ``trajectory.png`` (with ``plot``), and
    ``scene.json`` last. Each file is written atomically; an existing ``scene.json`` is removed
    first, so a folder holding one is complete. Files of people or passes that a previous result
    listed and this one lacks are removed.

    Args:
        result: what :func:`slahmr_opt.solve` returned.
        out_dir: the folder (created if needed).
        scene: the solved scene; gives each person's ``observed`` mask and ``visibility``.
            Without it every frame counts as observed.
        gender: written into every person file.
        plot: draws the final estimate into ``trajectory.png``, called as
            ``plot(estimate, path)`` (e.g. :func:`slahmr_opt.vis.trajectory.trajectory_plotter`;
            io does not import the drawing code); None for no picture.
        log_text: written to ``log.txt`` when given.
        log_file: a log the run already wrote inside the folder (path relative to it, e.g.
            ``logs/run-<time>.log``, appended as the run went); recorded in ``scene.json``
            (``files.log``) in place of ``log_text``.
        body: :class:`~slahmr_opt.body.BodyModel` the run used: its rest pelvis ``J(β)[0]``
            moves SMPL parameters into the floor frame (default: the stand-in body, as
            :func:`slahmr_opt.solve`).

    Returns:
        the folder.
    """
    from slahmr_opt import __version__
    from slahmr_opt.geometry.floor import floor_aligned_transform, rest_pelvis, up_from_cameras

    if not isinstance(result, Result):
        raise ValueError(f"result must be a Result, got {type(result).__name__}")
    if scene is not None and not isinstance(scene, Scene):
        raise ValueError(f"scene must be a Scene or None, got {type(scene).__name__}")
    if scene is not None and scene.num_frames != result.cameras.num_frames:
        raise ValueError(
            f"scene: {scene.num_frames} frames, but the result's cameras have "
            f"{result.cameras.num_frames}"
        )
    if not isinstance(gender, str) or not gender:
        raise ValueError(f"gender must be a non-empty str, got {gender!r}")
    if body is None:
        from slahmr_opt.body import BodyModel

        body = BodyModel.standin()

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    old = _previous_listing(folder)
    final = result.to_estimate()
    floor_T = None
    if final.floor is not None:
        n, d = final.floor
        floor_T = floor_aligned_transform(n, d, final.cameras, final.alpha)

    write_npz_atomic(folder / CAMERAS_FILE, _cameras_arrays(final.cameras, final.alpha))
    people_info = _people_json(final.people)
    for person, entry in zip(final.people, people_info, strict=True):
        observed, visibility = _observed_mask(person, scene)
        pelvis = rest_pelvis(body, person.betas)
        arrays = _run_person_arrays(
            person, final.fps, gender, pelvis, observed, visibility, floor_T
        )
        write_npz_atomic(folder / entry["file"], arrays)
        entry["num_observed"] = int(observed.sum())
        entry["has_contacts"] = person.contacts is not None
    _remove_stale_people(folder, old, {e["file"] for e in people_info})
    write_npz_atomic(folder / WORLD_RESULTS_FILE, world_results_arrays(final))

    order = list(result.passes)
    for name in order:
        save_estimate(result.to_estimate(name), folder / PASSES_DIR / name, gender)
    for name in old.get("pass_order", []) or []:
        stale = folder / PASSES_DIR / str(name)
        if name not in order and stale.parent == folder / PASSES_DIR and stale.is_dir():
            shutil.rmtree(stale)

    files: dict[str, str | None] = {
        "cameras": CAMERAS_FILE,
        "world_results": WORLD_RESULTS_FILE,
        "log": None,
        "plot": None,
    }
    if log_text is not None:
        write_bytes_atomic(folder / LOG_FILE, str(log_text).encode("utf-8"))
        files["log"] = LOG_FILE
    if log_file is not None:
        rel = Path(log_file)
        if rel.is_absolute() or not (folder / rel).is_file():
            raise ValueError(f"log_file: expected a file inside {folder}, got {log_file}")
        files["log"] = rel.as_posix()
    histories = {name: p.history for name, p in result.passes.items()}
    write_json_atomic(folder / HISTORY_FILE, _jsonable(histories))
    files["energy_history"] = HISTORY_FILE
    if plot is not None:
        plot(final, folder / PLOT_FILE)
        files["plot"] = PLOT_FILE

    up = final.floor[0] if final.floor is not None else up_from_cameras(final.cameras)
    summary = result.summary()
    info = {
        "format": RESULT_FORMAT,
        "version": RESULT_VERSION,
        "kind": KIND_RUN,
        "library_version": __version__,
        "method": final.method,
        "scene": result.scene_name,
        "final_pass": result.last_pass,
        "pass_order": order,
        "world_scale": final.alpha,
        "alpha": {
            "value": final.alpha,
            "optimized": result.alpha_optimized,
            "note": result.alpha_note,
            "init": result.alpha_init,
        },
        "floor": _floor_info(final),
        "floor_transform": None if floor_T is None else floor_T.tolist(),
        "up": {
            "vector": [float(x) for x in up],
            "source": "floor" if final.floor is not None else "cameras",
        },
        "fps": final.fps,
        "num_frames": final.cameras.num_frames,
        "gender": gender,
        "body": {
            "source": str(getattr(body, "source", "")),
            "model_type": str(getattr(body, "model_type", "")),
            "num_betas": int(body.num_betas),
        },
        "people": people_info,
        "skipped_tracks": result.skipped_tracks,
        "dropped_tracks": result.dropped_tracks,
        "config": summary["config"],
        "timings": summary["timings"],
        "timings_cover": summary["timings_cover"],
        "passes": {
            name: {**s, "folder": f"{PASSES_DIR}/{name}"} for name, s in summary["passes"].items()
        },
        "events": summary["events"],
        "files": files,
    }
    write_json_atomic(folder / RESULT_JSON, _jsonable(info))
    return folder


@dataclass(eq=False)
class LoadedResult:
    """A result folder written by :func:`save_result`, read back.

    Attributes:
        estimate: the final pass (world frame; people carry ``contacts`` when known).
        passes: pass name → :class:`WorldEstimate`, in run order (``"init"`` first).
        info: the folder's ``scene.json``.
        floor_transform: (4, 4) world→floor-aligned rigid transform, or None without a floor.
        observed: person id → (T_i,) bool mask of frames with 2D evidence.
        contacts: person id → (T_i, 9) contact probabilities, or None.
        history: pass name → energy term (and ``"total"``) → (steps + 1,) weighted energy at the
            start and after every outer step (``energy_history.json``; empty for folders written
            before it existed).
    """

    __repr__ = short_repr

    estimate: WorldEstimate
    passes: dict[str, WorldEstimate]
    info: dict[str, Any]
    floor_transform: np.ndarray | None
    observed: dict[str, np.ndarray]
    contacts: dict[str, np.ndarray | None]
    history: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


_RUN_JSON_FIELDS = (
    "version",
    "pass_order",
    "passes",
    "floor",
    "floor_transform",
    "num_frames",
    "config",
    "timings",
)
_WORLD_RESULTS_FIELDS = (
    "trans",
    "root_orient",
    "pose_body",
    "betas",
    "cam_R",
    "cam_t",
    "intrins",
    "world_scale",
    "track_mask",
    "track_id",
)


def load_result(path: str | os.PathLike) -> LoadedResult:
    """Read a result folder written by :func:`save_result`.

    Args:
        path: the folder (or a file inside it).

    Raises:
        ValueError: naming the file and the field when something is missing or malformed
            (a folder without ``scene.json`` is incomplete and refused).
    """
    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
    meta_path = folder / RESULT_JSON
    info = _read_info(folder)
    if info.get("kind") != KIND_RUN:
        raise ValueError(
            f"{meta_path}: field 'kind' is {info.get('kind')!r}, expected {KIND_RUN!r} (an "
            "estimate folder written by save_estimate: read it with load_estimate)"
        )
    for key in _RUN_JSON_FIELDS:
        if key not in info:
            raise ValueError(f"{meta_path}: missing field {key!r}")
    if not isinstance(info["version"], int) or info["version"] > RESULT_VERSION:
        raise ValueError(
            f"{meta_path}: field 'version' is {info['version']!r}, expected ≤ {RESULT_VERSION}"
        )
    floor_T = None
    if info["floor_transform"] is not None:
        floor_T = np.asarray(info["floor_transform"], dtype=np.float64)
        if floor_T.shape != (4, 4):
            raise ValueError(
                f"{meta_path}: field 'floor_transform' has shape {floor_T.shape}, expected (4, 4)"
            )
    estimate = load_estimate(folder)
    if (floor_T is None) != (estimate.floor is None):
        raise ValueError(
            f"{meta_path}: fields 'floor' and 'floor_transform' must both be set or both null"
        )

    wr_path = folder / WORLD_RESULTS_FILE
    if not wr_path.is_file():
        raise ValueError(f"{wr_path}: missing")
    z = load_npz(wr_path, "world_results")
    _require(z, wr_path, _WORLD_RESULTS_FIELDS)
    if estimate.floor is not None:
        _require(z, wr_path, ("floor_plane", "floor_idcs"))

    observed: dict[str, np.ndarray] = {}
    contacts: dict[str, np.ndarray | None] = {}
    for person in estimate.people:
        p = folder / person_file_name(person.track_id)
        z = load_npz(p, "result person file")
        _require(z, p, ("observed",))
        if floor_T is not None:
            _require(z, p, ("trans_floor", "root_orient_floor", "poses_floor"))
        mask = z["observed"]
        if mask.dtype != bool or mask.shape != (person.num_frames,):
            raise InputError(
                f"{p}: field 'observed' is {mask.dtype} {mask.shape}, expected bool "
                f"({person.num_frames},)"
            )
        observed[person.track_id] = mask
        contacts[person.track_id] = person.contacts
        if person.contacts is not None and person.contacts.shape[1] != NUM_CONTACT_JOINTS:
            raise InputError(f"{p}: field 'contacts' must have {NUM_CONTACT_JOINTS} columns")

    passes: dict[str, WorldEstimate] = {}
    for name in info["pass_order"]:
        sub = folder / PASSES_DIR / str(name)
        if not (sub / RESULT_JSON).is_file():
            raise ValueError(
                f"{sub / RESULT_JSON}: missing (pass {name!r} is listed in {meta_path} field "
                "'pass_order')"
            )
        passes[str(name)] = load_estimate(sub)
    return LoadedResult(
        estimate=estimate,
        passes=passes,
        info=info,
        floor_transform=floor_T,
        observed=observed,
        contacts=contacts,
        history=_read_history(folder),
    )


def _read_history(folder: Path) -> dict[str, dict[str, np.ndarray]]:
    """The energy histories of ``folder``'s ``energy_history.json`` ({} when absent)."""
    path = folder / HISTORY_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected an object pass → term → list of numbers")
    out: dict[str, dict[str, np.ndarray]] = {}
    for name, terms in data.items():
        if not isinstance(terms, dict):
            raise ValueError(f"{path}: field {name!r}: expected an object term → list of numbers")
        out[name] = {}
        for term, values in terms.items():
            try:
                out[name][term] = np.asarray(values, dtype=np.float64).reshape(-1)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"{path}: field {name}.{term}: expected a list of numbers ({exc})"
                ) from exc
    return out
