"""Choosing frames and tracks as the original does: track selection (all / longest-N / ids, with
minimum length and maximum count), frame sub-ranges, cropping a scene.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from slahmr_opt.io.slahmr_layout import slice_cameras
from slahmr_opt.scene import Scene, Track

__all__ = [
    "DEFAULT_MAX_TRACKS",
    "DEFAULT_MIN_TRACK_LEN",
    "NoTracksError",
    "crop_scene",
    "parse_track_spec",
    "select_tracks",
    "sub_range",
]

DEFAULT_MAX_TRACKS = 12
"""At most this many tracks for ``tracks="all"`` on upstream layouts (the original's)."""

DEFAULT_MIN_TRACK_LEN = 21
"""Fewest detected frames a track needs on upstream layouts: the original keeps tracks with
*more than* 20 frames with keypoints, i.e. at least 21."""


class NoTracksError(ValueError):
    """No track is left after reading and selection (a ValueError)."""


def parse_track_spec(spec: str | Sequence[str]) -> tuple[str, Any]:
    """Parse a track selection: ``"all"``, ``"longest-N"``, ``"id1,id2"`` or a list of ids.

    Returns:
        ``("all", None)``, ``("longest", N)`` or ``("ids", [ids])``.
    """
    if isinstance(spec, str):
        text = spec.strip()
        if text == "all":
            return "all", None
        m = re.fullmatch(r"longest-(\d+)", text)
        if m:
            n = int(m.group(1))
            if n < 1:
                raise ValueError(f"tracks: {spec!r} must name N ≥ 1 tracks")
            return "longest", n
        if text.startswith("longest"):
            raise ValueError(f"tracks: {spec!r} is not of the form 'longest-N'")
        ids = [s.strip() for s in text.split(",") if s.strip()]
    else:
        ids = [str(s) for s in spec]
    if not ids:
        raise ValueError(f"tracks: {spec!r} names no track; expected 'all', 'longest-N' or ids")
    if len(set(ids)) != len(ids):
        raise ValueError(f"tracks: {spec!r} names a track twice")
    return "ids", ids


def select_tracks(
    lengths: dict[str, int],
    spec: str | Sequence[str] = "all",
    *,
    max_tracks: int | None = DEFAULT_MAX_TRACKS,
    min_track_len: int = DEFAULT_MIN_TRACK_LEN,
    label: str = "tracks",
) -> tuple[list[str], dict[str, str]]:
    """Choose tracks as the original does, with configurable limits.

    ``"all"``: tracks with at least ``min_track_len`` detected frames, the ``max_tracks``
    longest (None: no limit). ``"longest-N"``: the same with N as the limit. Explicit ids: those
    tracks whatever their length (an unknown id or one with no detected frame is an error).

    Args:
        lengths: track id → detected frames, in source order.
        spec: see :func:`parse_track_spec`.
        max_tracks: limit for ``"all"``.
        min_track_len: fewest detected frames for ``"all"`` / ``"longest-N"`` (≥ 1).
        label: where the tracks come from, for messages.

    Returns:
        (kept ids in source order, dropped id → reason).
    """
    kind, arg = parse_track_spec(spec)
    if isinstance(min_track_len, bool) or not isinstance(min_track_len, int) or min_track_len < 1:
        raise ValueError(f"min_track_len must be an integer ≥ 1, got {min_track_len!r}")
    if max_tracks is not None and (
        isinstance(max_tracks, bool) or not isinstance(max_tracks, int) or max_tracks < 1
    ):
        raise ValueError(f"max_tracks must be an integer ≥ 1 or None, got {max_tracks!r}")
    order = list(lengths)
    dropped: dict[str, str] = {}
    if kind == "ids":
        unknown = [i for i in arg if i not in lengths]
        if unknown:
            raise ValueError(f"{label}: no track {unknown} (tracks: {order})")
        for i in arg:
            if lengths[i] < 1:
                raise ValueError(
                    f"{label}: empty track {i!r}: no detected frame in the frames read"
                )
        kept = set(arg)
        dropped = {i: "not requested" for i in order if i not in kept}
        return [i for i in order if i in kept], dropped
    limit = arg if kind == "longest" else max_tracks
    long_enough = [i for i in order if lengths[i] >= min_track_len]
    for i in order:
        if lengths[i] < min_track_len:
            dropped[i] = f"{lengths[i]} detected frames < min_track_len {min_track_len}"
    ranked = sorted(long_enough, key=lambda i: -lengths[i])  # stable: ties keep source order
    chosen = set(ranked[:limit] if limit is not None else ranked)
    for i in ranked[len(chosen) :]:
        dropped[i] = f"beyond the {limit} longest tracks"
    return [i for i in order if i in chosen], dropped


def sub_range(frame_range: tuple[int, int] | None, length: int, label: str) -> tuple[int, int]:
    if frame_range is None:
        return 0, length
    try:
        a, b = (int(v) for v in frame_range)
    except (TypeError, ValueError):
        raise ValueError(f"frame_range must be (start, end), got {frame_range!r}") from None
    if b < 0:
        b += length + 1
    if not 0 <= a < b <= length:
        raise ValueError(
            f"{label}: frame_range {tuple(frame_range)} must satisfy 0 ≤ start < end ≤ {length} "
            "(frames of the chosen shot)"
        )
    return a, b


def crop_scene(scene: Scene, start: int, end: int) -> Scene:
    """The frames ``[start, end)`` of a scene; tracks are cut (and dropped when empty there).

    Args:
        scene: the scene.
        start, end: scene frame range, ``0 ≤ start < end ≤ num_frames``.

    Returns:
        A new scene whose frame 0 is ``start``.
    """
    if not 0 <= start < end <= scene.num_frames:
        raise ValueError(
            f"scene {scene.name!r}: frame range [{start}, {end}) must lie in [0, "
            f"{scene.num_frames})"
        )
    tracks = []
    for t in scene.tracks:
        if t.end <= start or t.start >= end:
            continue
        a, b = max(start, t.start) - t.start, min(end, t.end) - t.start
        smpl: dict[str, Any] = {}
        if t.has_smpl and t.smpl_observed[a:b].any():
            smpl = {
                "global_orient": t.global_orient[a:b],
                "body_pose": t.body_pose[a:b],
                "betas": t.betas[a:b],
                "transl": t.transl[a:b],
                "smpl_observed": t.smpl_observed[a:b],
            }
        tracks.append(
            Track(
                track_id=t.track_id,
                start=t.start + a - start,
                keypoints=t.keypoints[a:b],
                visibility=t.visibility[a:b],
                **smpl,
            )
        )
    if not tracks:
        raise NoTracksError(f"scene {scene.name!r}: no track in frames [{start}, {end})")
    return Scene(
        fps=scene.fps,
        image_size=scene.image_size,
        cameras=slice_cameras(scene.cameras, start, end),
        tracks=tracks,
        name=scene.name,
        provenance=scene.provenance,
    )
