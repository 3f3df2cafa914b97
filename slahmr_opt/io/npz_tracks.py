"""Plain npz tracks: one ``<track id>.npz`` per person with ``frames`` (or ``start``), optional
``keypoints`` (N, 25|17, 3) and optional camera-frame SMPL arrays.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from slahmr_opt.files import write_npz_atomic
from slahmr_opt.io.common import as_numeric_array, check_frames, read_npz_file
from slahmr_opt.io.keypoints import ConfidenceClips, keypoints_to_body25
from slahmr_opt.io.tracks import (
    SMPL_FIELDS,
    TrackObservations,
    detected_rows,
    track_to_observations,
)
from slahmr_opt.scene import NUM_BODY_JOINTS, Track, Visibility

__all__ = [
    "read_npz_tracks",
    "write_npz_tracks",
]


def _read_npz_track(path: Path, clips: ConfidenceClips) -> TrackObservations:
    label = str(path)
    z = read_npz_file(path, "track")
    tid = path.stem
    smpl_given = [k in z for k in SMPL_FIELDS]
    if any(smpl_given) and not all(smpl_given):
        missing = [k for k, g in zip(SMPL_FIELDS, smpl_given, strict=True) if not g]
        raise ValueError(f"{label}: SMPL fields must be all present or none; missing {missing}")
    if "keypoints" not in z and not all(smpl_given):
        raise ValueError(
            f"{label}: empty track: neither 'keypoints' nor the SMPL fields "
            f"{list(SMPL_FIELDS)} are present"
        )
    rows_from = z["keypoints"] if "keypoints" in z else z["transl"]
    if rows_from.ndim < 1 or rows_from.shape[0] == 0:
        raise ValueError(f"{label}: empty track: the arrays hold no frames")
    n = rows_from.shape[0]
    if "frames" in z:
        frames = check_frames(z["frames"], label)
    elif "start" in z:
        start = z["start"]
        if start.shape != () or start.dtype.kind not in "iu" or int(start) < 0:
            raise ValueError(f"{label}: field 'start' must be a non-negative integer scalar")
        frames = int(start) + np.arange(n)
    else:
        raise ValueError(f"{label}: field 'frames' missing; expected (N,) video frame indices")
    if frames.size != n:
        raise ValueError(
            f"{label}: field 'frames' has {frames.size} entries but the arrays have {n} rows"
        )
    if "keypoints" in z:
        keypoints = keypoints_to_body25(z["keypoints"], label=label, clips=clips)
        if keypoints.shape != (n, 25, 3):
            raise ValueError(
                f"{label}: field 'keypoints' has shape {z['keypoints'].shape}, expected (N, J, 3)"
            )
        if "visibility" in z:
            vis = z["visibility"]
            if vis.shape != (n,):
                raise ValueError(
                    f"{label}: field 'visibility' has shape {vis.shape}, expected ({n},)"
                )
            has_kp = vis == int(Visibility.VISIBLE)
        else:
            has_kp = detected_rows(keypoints)
    else:
        keypoints = np.zeros((n, 25, 3))
        has_kp = np.zeros(n, dtype=bool)
    fields: dict[str, Any] = {}
    if all(smpl_given):
        bp = as_numeric_array(z["body_pose"], label, "body_pose")
        if bp.shape == (n, NUM_BODY_JOINTS * 3):
            bp = bp.reshape(n, NUM_BODY_JOINTS, 3)
        betas = as_numeric_array(z["betas"], label, "betas")
        if betas.ndim == 1:
            betas = np.broadcast_to(betas, (n, betas.size)).copy()
        fields = {
            "global_orient": z["global_orient"],
            "body_pose": bp,
            "betas": betas,
            "transl": z["transl"],
        }
        if "smpl_observed" in z:
            fields["has_smpl"] = z["smpl_observed"]
        else:  # a row holding NaN has no estimate (inf stays an error)
            observed = np.ones(n, dtype=bool)
            for name in SMPL_FIELDS:
                arr = as_numeric_array(fields[name], label, name)
                if arr.ndim >= 1 and arr.shape[0] == n:
                    observed &= ~np.any(np.isnan(arr.reshape(n, -1)), axis=1)
            fields["has_smpl"] = observed
    return TrackObservations(
        track_id=tid,
        frames=frames,
        keypoints=keypoints,
        has_keypoints=has_kp,
        source=label,
        **fields,
    )


def read_npz_tracks(
    path: str | os.PathLike, *, clips: ConfidenceClips | None = None
) -> list[TrackObservations]:
    """Read plain npz tracks: a folder of ``<track id>.npz`` files, or one such file.

    Fields (N rows, one per frame the person has data):

    - ``frames`` (N,) int video frame indices, strictly increasing — or ``start`` (scalar) for
      consecutive frames ``start … start + N − 1`` (our scene folder's track files);
    - ``keypoints`` (N, 25, 3) BODY_25 or (N, 17, 3) COCO-17, optional; a row counts as a
      detection where any confidence is > 0, or where ``visibility`` (N,) is 1 when given;
    - ``global_orient`` (N, 3), ``body_pose`` (N, 23, 3) or (N, 69), ``betas`` (N, B) or (B,),
      ``transl`` (N, 3): camera-frame SMPL, axis-angle and metres, optional but all together;
      rows holding NaN (or False in ``smpl_observed`` (N,) when given) have no estimate;
      infinite values are errors.

    Returns:
        The tracks, sorted by id.
    """
    path = Path(path)
    own = ConfidenceClips(str(path)) if clips is None else clips
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix == ".npz")
        if not files:
            raise ValueError(f"{path}: no <track id>.npz files")
    elif path.is_file():
        files = [path]
    else:
        raise ValueError(f"{path}: file not found (npz tracks)")
    out = [_read_npz_track(f, own) for f in files]
    if clips is None:
        own.report()
    return out


def write_npz_tracks(
    folder: str | os.PathLike, tracks: Iterable[Track], start: int = 0, *, keypoints: bool = True
) -> Path:
    """Write scene tracks as plain npz tracks, ``<folder>/<track id>.npz``.

    Rows are the frames with keypoints (VISIBLE) or an SMPL observation: ``frames`` (video
    index = scene frame + ``start``), ``keypoints`` (N, 25, 3) (zero where not VISIBLE; left out
    with ``keypoints=False``, when they come from another file), and the SMPL arrays with NaN rows
    where ``smpl_observed`` is False.

    Returns:
        The folder.
    """
    folder = Path(folder)
    for track in tracks:
        obs = track_to_observations(track, start)
        arrays: dict[str, np.ndarray] = {"frames": obs.frames}
        if keypoints:
            arrays["keypoints"] = obs.keypoints
        if obs.smpl_given:
            for name in SMPL_FIELDS:
                arr = getattr(obs, name).copy()
                arr[~obs.has_smpl] = np.nan
                arrays[name] = arr
        write_npz_atomic(folder / f"{track.track_id}.npz", arrays)
    return folder
