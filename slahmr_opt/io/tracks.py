"""The common in-memory form of per-person observations, :class:`TrackObservations`.

Every track reader (the original's track_preds, PHALP / 4D-Humans pickles, npz tracks) gives
:class:`TrackObservations`: one person's detections at some frames of a video (0-based video frame
indices), each with BODY_25 keypoints and/or a camera-frame SMPL estimate (axis-angle, SMPL
``transl`` in metres in the OpenCV camera frame). :meth:`TrackObservations.to_track` turns them
into a :class:`~slahmr_opt.scene.Track` over a frame range: the track spans its first to last
detection, frames without keypoints get confidence 0 and visibility OCCLUDED, and frames without
SMPL are filled by the Track (slerp / linear), marked in ``smpl_observed``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from slahmr_opt.io.common import as_numeric_array, check_finite, check_frames
from slahmr_opt.io.keypoints import KeypointTrack, keypoints_to_body25
from slahmr_opt.scene import NUM_BODY_JOINTS, Track, Visibility

__all__ = [
    "SMPL_FIELDS",
    "TrackObservations",
    "associate_keypoints",
    "detected_rows",
    "observations_from_frames",
    "stack_betas",
    "track_to_observations",
]

SMPL_FIELDS = ("global_orient", "body_pose", "betas", "transl")


@dataclass(eq=False)
class TrackObservations:
    """One person's detections at some frames of a video, as an upstream tool wrote them.

    Attributes:
        track_id: the person's id.
        frames: (N,) int64 strictly increasing 0-based video frame indices.
        keypoints: (N, 25, 3) BODY_25 x, y (pixels), confidence; rows without keypoints are 0.
        has_keypoints: (N,) bool, True where the tool gave keypoints with any confidence > 0
            (a detection).
        global_orient: (N, 3) camera-frame root orientation, axis-angle; or None.
        body_pose: (N, 23, 3) axis-angle; or None.
        betas: (N, B) shape coefficients; or None.
        transl: (N, 3) SMPL translation in the camera frame (OpenCV axes), metres; or None.
        has_smpl: (N,) bool, True where the tool gave an SMPL estimate (all False without SMPL).
        source: the file or folder it came from, for messages.
        crop: (N, 6) the HMR crop camera each ``transl`` was made from (PHALP): ``s, tx, ty``,
            crop centre x, y and crop side (pixels); NaN rows have none. ``transl`` can then be
            recomputed for other intrinsics
            (:func:`~slahmr_opt.io.phalp.crop_rows_to_transl`); or None.
        boxes: (N, 4) detection boxes ``x, y, w, h`` (pixels), NaN where unknown; used to
            associate untracked keypoints with the track (:func:`associate_keypoints`); or None.
    """

    track_id: str
    frames: np.ndarray
    keypoints: np.ndarray
    has_keypoints: np.ndarray
    global_orient: np.ndarray | None = None
    body_pose: np.ndarray | None = None
    betas: np.ndarray | None = None
    transl: np.ndarray | None = None
    has_smpl: np.ndarray | None = None
    source: str = ""
    crop: np.ndarray | None = None
    boxes: np.ndarray | None = None

    def __post_init__(self) -> None:
        label = f"{self.source or 'tracks'} (track {self.track_id!r})"
        self.frames = check_frames(self.frames, label)
        n = self.frames.size
        self.keypoints = keypoints_to_body25(self.keypoints, layout="body25", label=label)
        if self.keypoints.shape != (n, 25, 3):
            raise ValueError(
                f"{label}: field 'keypoints' has shape {self.keypoints.shape}, expected "
                f"({n}, 25, 3)"
            )
        self.has_keypoints = _bool_mask(self.has_keypoints, n, label, "has_keypoints")
        given = [getattr(self, k) is not None for k in SMPL_FIELDS]
        if any(given) and not all(given):
            missing = [k for k, g in zip(SMPL_FIELDS, given, strict=True) if not g]
            raise ValueError(f"{label}: SMPL fields must be all given or none; missing {missing}")
        if all(given):
            self.has_smpl = (
                np.ones(n, dtype=bool)
                if self.has_smpl is None
                else _bool_mask(self.has_smpl, n, label, "has_smpl")
            )
            shapes = {
                "global_orient": (n, 3),
                "body_pose": (n, NUM_BODY_JOINTS, 3),
                "transl": (n, 3),
            }
            for name, shape in shapes.items():
                arr = as_numeric_array(getattr(self, name), label, name)
                if arr.shape != shape:
                    raise ValueError(
                        f"{label}: field {name!r} has shape {arr.shape}, expected {shape}"
                    )
                setattr(self, name, arr)
            betas = as_numeric_array(self.betas, label, "betas")
            if betas.ndim != 2 or betas.shape[0] != n or betas.shape[1] < 1:
                raise ValueError(
                    f"{label}: field 'betas' has shape {betas.shape}, expected ({n}, B), B ≥ 1"
                )
            self.betas = betas
            for name in SMPL_FIELDS:
                check_finite(getattr(self, name)[self.has_smpl], label, name)
        else:
            self.has_smpl = np.zeros(n, dtype=bool)
        if not (self.has_keypoints | self.has_smpl).any():
            raise ValueError(f"{label}: empty track: no frame has keypoints or an SMPL estimate")
        for name, width in (("crop", 6), ("boxes", 4)):
            value = getattr(self, name)
            if value is not None:
                arr = as_numeric_array(value, label, name)
                if arr.shape != (n, width):
                    raise ValueError(
                        f"{label}: field {name!r} has shape {arr.shape}, expected ({n}, {width})"
                    )
                setattr(self, name, arr)

    @property
    def smpl_given(self) -> bool:
        """Whether the source holds SMPL estimates at all."""
        return self.global_orient is not None

    def num_detections(self, start: int = 0, end: int | None = None) -> int:
        """Frames with keypoints inside ``[start, end)`` (the original's track length)."""
        sel = (self.frames >= start) & (self.frames < (end if end is not None else np.inf))
        return int(np.count_nonzero(self.has_keypoints & sel))

    def _rows_at(self, frames: np.ndarray) -> dict[str, Any]:
        """This track's per-row fields spread over ``frames`` (a superset of its own)."""
        n = frames.size
        pos = np.searchsorted(frames, self.frames)
        out: dict[str, Any] = {}
        names = [*SMPL_FIELDS] if self.smpl_given else []
        names += [k for k in ("crop", "boxes") if getattr(self, k) is not None]
        for name in names:
            arr = getattr(self, name)
            full = np.full((n,) + arr.shape[1:], np.nan)
            full[pos] = arr
            out[name] = full
        if self.smpl_given:
            has_smpl = np.zeros(n, dtype=bool)
            has_smpl[pos] = self.has_smpl
            out["has_smpl"] = has_smpl
        return out

    def with_keypoints(self, keypoints: KeypointTrack, source: str = "") -> TrackObservations:
        """A copy whose keypoints come from ``keypoints`` (they replace any of its own).

        Frames are the union of both; ``has_keypoints`` is True at the frames of ``keypoints``
        whose row has a confidence > 0.
        """
        frames = np.union1d(self.frames, keypoints.frames)
        kp = np.zeros((frames.size, 25, 3))
        kp[np.searchsorted(frames, keypoints.frames)] = keypoints.keypoints
        return TrackObservations(
            track_id=self.track_id,
            frames=frames,
            keypoints=kp,
            has_keypoints=detected_rows(kp),
            source=source or self.source,
            **self._rows_at(frames),
        )

    def to_track(self, start: int = 0, end: int | None = None) -> Track | None:
        """The :class:`Track` of this person over the video frames ``[start, end)``.

        Scene frame 0 is video frame ``start``. The track spans the first to the last frame in
        the range with keypoints or SMPL; frames in between without keypoints have confidence 0
        and visibility OCCLUDED, frames without SMPL are filled by the Track.

        Returns:
            The track, or None when the person has nothing in the range.
        """
        end = int(self.frames[-1]) + 1 if end is None else end
        sel = (self.frames >= start) & (self.frames < end)
        present = sel & (self.has_keypoints | self.has_smpl)
        if not present.any():
            return None
        rows = np.flatnonzero(present)
        local = self.frames[rows] - start
        first = int(local[0])
        n = int(local[-1]) + 1 - first
        idx = local - first
        hk = self.has_keypoints[rows]
        hs = self.has_smpl[rows]
        keypoints = np.zeros((n, 25, 3))
        keypoints[idx[hk]] = self.keypoints[rows[hk]]
        visibility = np.full(n, int(Visibility.OCCLUDED), dtype=np.int8)
        visibility[idx[hk]] = int(Visibility.VISIBLE)
        smpl: dict[str, Any] = {}
        if hs.any():
            for name in SMPL_FIELDS:
                arr = getattr(self, name)
                full = np.full((n,) + arr.shape[1:], np.nan)
                full[idx[hs]] = arr[rows[hs]]
                smpl[name] = full
            observed = np.zeros(n, dtype=bool)
            observed[idx[hs]] = True
            smpl["smpl_observed"] = observed
        try:
            return Track(
                track_id=self.track_id,
                start=first,
                keypoints=keypoints,
                visibility=visibility,
                **smpl,
            )
        except ValueError as err:
            raise ValueError(f"{self.source or 'tracks'}: {err}") from None


def detected_rows(keypoints: np.ndarray) -> np.ndarray:
    """(N, 25, 3) keypoints → (N,) bool: a row is a detection when any confidence is > 0."""
    return np.any(np.asarray(keypoints)[..., 2] > 0, axis=-1)


def _bool_mask(value: Any, n: int, label: str, name: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.shape != (n,) or arr.dtype != bool:
        raise ValueError(
            f"{label}: field {name!r} must be a bool array of shape ({n},), got dtype "
            f"{arr.dtype} shape {arr.shape}"
        )
    return arr.copy()


def track_to_observations(track: Track, start: int = 0) -> TrackObservations:
    """The detections of a scene :class:`Track` (the inverse of :meth:`TrackObservations.to_track`).

    Keypoints count as given where the visibility is VISIBLE; SMPL where ``smpl_observed``.

    Args:
        track: the track.
        start: video frame index of scene frame 0.
    """
    has_kp = track.visibility == int(Visibility.VISIBLE)
    keep = has_kp | track.smpl_observed
    if not keep.any():
        raise ValueError(
            f"track {track.track_id!r}: empty track: no VISIBLE frame and no SMPL observation"
        )
    smpl: dict[str, Any] = {}
    if track.has_smpl:
        smpl = {name: getattr(track, name)[keep] for name in SMPL_FIELDS}
        smpl["has_smpl"] = track.smpl_observed[keep]
    keypoints = np.where(has_kp[:, None, None], track.keypoints, 0.0)[keep]
    return TrackObservations(
        track_id=track.track_id,
        frames=track.frames[keep] + start,
        keypoints=keypoints,
        has_keypoints=has_kp[keep],
        source=f"track {track.track_id!r}",
        **smpl,
    )


def stack_betas(rows: list[np.ndarray], label: str) -> np.ndarray:
    sizes = {r.size for r in rows}
    if len(sizes) != 1:
        raise ValueError(f"{label}: field 'betas' has different lengths {sorted(sizes)} per frame")
    return np.stack(rows)


def observations_from_frames(
    tid: str,
    kp: Mapping[int, np.ndarray],
    smpl: Mapping[int, Mapping[str, np.ndarray]],
    source: str,
    extras: Mapping[str, Mapping[int, np.ndarray]] | None = None,
) -> TrackObservations:
    """One track from per-frame dicts: frame → (25, 3) keypoints, frame → SMPL fields (and
    optionally ``extras`` ``"crop"`` / ``"boxes"``: frame → row; other frames are NaN)."""
    frames = np.array(sorted(set(kp) | set(smpl)), dtype=np.int64)
    if frames.size == 0:
        raise ValueError(f"{source}: empty track {tid!r}: no detections")
    n = frames.size
    keypoints = np.zeros((n, 25, 3))
    for i, f in enumerate(frames):
        if f in kp:
            keypoints[i] = kp[f]
    has_kp = detected_rows(keypoints)
    fields: dict[str, Any] = {}
    if smpl:
        has_smpl = np.array([f in smpl for f in frames])
        ref = next(iter(smpl.values()))
        for name in SMPL_FIELDS:
            full = np.full((n,) + ref[name].shape, np.nan)
            for i, f in enumerate(frames):
                if f in smpl:
                    if smpl[f][name].shape != ref[name].shape:
                        raise ValueError(
                            f"{source}: track {tid!r}: field {name!r} has shape "
                            f"{smpl[f][name].shape} at frame {f} but {ref[name].shape} elsewhere"
                        )
                    full[i] = smpl[f][name]
            fields[name] = full
        fields["has_smpl"] = has_smpl
    for name, rows in (extras or {}).items():
        if rows:
            width = len(next(iter(rows.values())))
            full = np.full((n, width), np.nan)
            for i, f in enumerate(frames):
                if f in rows:
                    full[i] = rows[f]
            fields[name] = full
    return TrackObservations(
        track_id=tid,
        frames=frames,
        keypoints=keypoints,
        has_keypoints=has_kp,
        source=source,
        **fields,
    )


def associate_keypoints(
    tracks: Sequence[TrackObservations],
    people: Mapping[int, np.ndarray],
    *,
    min_inside: float = 0.5,
    enlarge: float = 1.2,
    label: str = "keypoints",
) -> tuple[dict[str, KeypointTrack], dict[str, Any]]:
    """Give untracked per-frame keypoints (OpenPose's default output) to tracks with boxes.

    In every frame, each person's score for a track is the fraction of its confident keypoints
    (confidence > 0) inside the track's detection box enlarged ``enlarge`` times about its centre
    (the 1.2 that WHAM and GVHMR use to crop around a box); people and tracks are matched one to
    one by the Hungarian method on that score (``scipy.optimize.linear_sum_assignment``) and a
    pair is kept when the score is at least ``min_inside`` (most of the keypoints lie in the box).

    Args:
        tracks: tracks whose ``boxes`` are known (PHALP).
        people: video frame → (P, 25, 3) keypoints of that frame's people.
        min_inside: least fraction of a person's keypoints inside the box.
        enlarge: box enlargement factor.
        label: the keypoint source, for messages.

    Returns:
        (track id → keypoints at the frames where a person was matched, a summary: people
        matched and left over).
    """
    from scipy.optimize import linear_sum_assignment

    with_boxes = [t for t in tracks if t.boxes is not None]
    if not with_boxes:
        raise ValueError(
            f"{label}: untracked keypoints (no person_id) need tracks with detection boxes to be "
            "associated with (a PHALP pickle); the tracks read have none"
        )
    rows: dict[str, dict[int, np.ndarray]] = {t.track_id: {} for t in with_boxes}
    matched = leftover = 0
    for frame, kp in sorted(people.items()):
        if kp.shape[0] == 0:
            continue
        cands = []
        for t in with_boxes:
            i = np.searchsorted(t.frames, frame)
            if i < t.frames.size and t.frames[i] == frame and np.all(np.isfinite(t.boxes[i])):
                cands.append((t.track_id, t.boxes[i]))
        if not cands:
            leftover += kp.shape[0]
            continue
        score = np.zeros((kp.shape[0], len(cands)))
        for j, (_, (x, y, w, h)) in enumerate(cands):
            cx, cy, hw, hh = x + 0.5 * w, y + 0.5 * h, 0.5 * enlarge * w, 0.5 * enlarge * h
            conf = kp[..., 2] > 0
            inside = (np.abs(kp[..., 0] - cx) <= hw) & (np.abs(kp[..., 1] - cy) <= hh) & conf
            score[:, j] = inside.sum(axis=1) / np.maximum(conf.sum(axis=1), 1)
        pi, ti = linear_sum_assignment(-score)
        for p, j in zip(pi, ti, strict=True):
            if score[p, j] >= min_inside:
                rows[cands[j][0]][frame] = kp[p]
                matched += 1
        leftover += kp.shape[0] - int(np.sum(score[pi, ti] >= min_inside))
    out = {
        tid: KeypointTrack(
            tid, np.array(sorted(r), dtype=np.int64), np.stack([r[f] for f in sorted(r)])
        )
        for tid, r in rows.items()
        if r
    }
    return out, {"matched": matched, "unmatched_people": leftover}
