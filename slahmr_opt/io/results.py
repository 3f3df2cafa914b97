"""Result folders: a solver run (:func:`save_result`) or one estimate (:func:`save_estimate`).

A run folder (docs/formats.md, "Result folder") holds the final pass at the top level:

- ``scene.json``: format, versions, method, α, floor (plane, SLAHMR's form, the world→floor-aligned
  transform), fps, people, the resolved config, timings, per-pass summaries, events;
- ``cameras.npz``: the SLAM cameras (``w2c`` in SLAM units, ``w2c_metric``, ``intrins``);
- ``person_<track id>.npz``: AMASS-style motion (:mod:`~slahmr_opt.io.amass`): ``poses``,
  ``trans``, ``root_orient``, ``pose_body`` in the floor-aligned z-up frame, the world motion
  under ``*_world`` names, ``frames``, the ``observed`` mask, ``contacts`` when known;
- ``world_results.npz``: the original SLAHMR's field names, padded to the scene's frames;
- the original SLAHMR's own output layout (:mod:`~slahmr_opt.io.slahmr_results`):
  ``track_info.json`` and ``<stage>/<seq>_<iter>_world_results.npz``;
- ``passes/<name>/``: one :func:`save_estimate` folder per pass; ``log.txt``; ``trajectory.png``.

An estimate folder (:func:`save_estimate`) has the first three kinds of files only. Every file is
written atomically (temporary file, then rename) and ``scene.json`` last, after the previous one
was removed, so a folder holding ``scene.json`` is complete; temporary files an interrupted
write left in the folder are removed first.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.files import (
    check_output_folder,
    remove_stale_tmp,
    write_bytes_atomic,
    write_json_atomic,
    write_npz_atomic,
)
from slahmr_opt.io.amass import amass_frame, person_arrays, person_file_name
from slahmr_opt.io.result_reader import (
    CAMERAS_FILE,
    HISTORY_FILE,
    KIND_ESTIMATE,
    KIND_RUN,
    LOG_FILE,
    PASSES_DIR,
    PLOT_FILE,
    RESULT_FORMAT,
    RESULT_JSON,
    RESULT_VERSION,
    WORLD_RESULTS_FILE,
    LoadedResult,
    load_estimate,
    load_result,
)
from slahmr_opt.io.slahmr_results import world_results_arrays, write_original_results
from slahmr_opt.result import Result, WorldEstimate
from slahmr_opt.scene import (
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
    "save_estimate",
    "save_result",
    "world_results_arrays",
]


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
        old = None
    if not isinstance(old, dict) or old.get("kind") not in (KIND_RUN, KIND_ESTIMATE):
        raise InputError(
            f"{meta}: is not the scene.json of a result folder (a scene folder or another "
            "tool's file?); refusing to overwrite it — write the result to another folder"
        )
    meta.unlink()
    return old


def _remove_stale_people(folder: Path, old: dict[str, Any], keep: set[str]) -> None:
    for entry in old.get("people", []) or []:
        name = entry.get("file") if isinstance(entry, dict) else None
        if isinstance(name, str) and name not in keep and name == Path(name).name:
            (folder / name).unlink(missing_ok=True)


def _default_body(body: BodyModel | None) -> BodyModel:
    if body is not None:
        return body
    from slahmr_opt.body import BodyModel

    return BodyModel.standin()


def save_estimate(
    estimate: WorldEstimate,
    path: str | os.PathLike,
    gender: str = "neutral",
    *,
    body: BodyModel | None = None,
) -> Path:
    """Write an estimate into the result folder ``path`` (created if needed).

    Writes ``cameras.npz``, one ``person_<id>.npz`` per person and ``scene.json`` (last; an
    existing one is removed first, and person files it listed that the estimate lacks are
    deleted).

    Args:
        estimate: the motion.
        path: the folder.
        gender: written into every person file.
        body: the body model the motion was fitted with (default: the stand-in); its rest pelvis
            moves SMPL parameters into the floor-aligned frame and its type sizes ``poses``.

    Returns:
        the folder.
    """
    from slahmr_opt import __version__

    body = _default_body(body)
    folder = check_output_folder(path, what="result folder", min_free=0)
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(folder)
    old = _previous_listing(folder)
    write_npz_atomic(folder / CAMERAS_FILE, _cameras_arrays(estimate.cameras, estimate.alpha))
    transform, frame_source = amass_frame(estimate, body)
    for person in estimate.people:
        write_npz_atomic(
            folder / person_file_name(person.track_id),
            person_arrays(person, estimate.fps, gender, body, transform),
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
            "amass_frame": _amass_json(transform, frame_source),
            "people": _people_json(estimate.people),
            "meta": _jsonable(estimate.meta),
        },
    )
    return folder


def _amass_json(transform: np.ndarray, source: str) -> dict[str, Any]:
    return {"transform": transform.tolist(), "floor": source}


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

    Files: ``cameras.npz``, ``person_<id>.npz`` (final pass, AMASS-style in the floor-aligned
    frame, with the world motion, ``observed`` and ``contacts`` when known),
    ``world_results.npz`` (SLAHMR's field names), the original's own layout
    (``track_info.json``, ``<stage>/<seq>_<iter>_world_results.npz``,
    :func:`~slahmr_opt.io.slahmr_results.write_original_results`), ``passes/<name>/`` (one
    :func:`save_estimate` folder per pass), ``log.txt`` (with ``log_text``), ``trajectory.png``
    (with ``plot``), and ``scene.json`` last. Each file is written atomically; an existing
    ``scene.json`` is removed first, so a folder holding one is complete. Files of people or
    passes that a previous result listed and this one lacks are removed.

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
    from slahmr_opt.geometry.floor import floor_aligned_transform, up_from_cameras

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
    body = _default_body(body)

    folder = check_output_folder(out_dir, what="result folder", min_free=0)
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(folder)
    old = _previous_listing(folder)
    final = result.to_estimate()
    floor_T = None
    if final.floor is not None:
        n, d = final.floor
        floor_T = floor_aligned_transform(n, d, final.cameras, final.alpha)

    write_npz_atomic(folder / CAMERAS_FILE, _cameras_arrays(final.cameras, final.alpha))
    transform, frame_source = amass_frame(final, body)
    people_info = _people_json(final.people)
    for person, entry in zip(final.people, people_info, strict=True):
        observed, visibility = _observed_mask(person, scene)
        arrays = person_arrays(
            person,
            final.fps,
            gender,
            body,
            transform,
            observed=observed,
            visibility=visibility,
        )
        write_npz_atomic(folder / entry["file"], arrays)
        entry["num_observed"] = int(observed.sum())
        entry["has_contacts"] = person.contacts is not None
    _remove_stale_people(folder, old, {e["file"] for e in people_info})
    write_npz_atomic(folder / WORLD_RESULTS_FILE, world_results_arrays(final))
    write_original_results(folder, result, body, scene=scene, seq=result.scene_name)

    order = list(result.passes)
    for name in order:
        save_estimate(result.to_estimate(name), folder / PASSES_DIR / name, gender, body=body)
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
        "amass_frame": _amass_json(transform, frame_source),
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
