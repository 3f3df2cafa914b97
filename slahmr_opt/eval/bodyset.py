"""The body models an evaluation needs, and posing :class:`~slahmr_opt.io.body_tracks.BodyTrack`
parameters with them.

Ground truth and every method are posed with the body they were made with: EMDB and 3DPW with the
gendered SMPL, WHAM and TRAM with the neutral SMPL, GVHMR with the neutral SMPL-X, RICH with the
gendered SMPL-X, our results with the body recorded in the result. A :class:`BodySet` finds those
files (licensed: the user passes them) and the optional SMPL-X → SMPL vertex map
(``smplx2smpl_sparse.pt`` of GVHMR, (6890, 10475)) that puts SMPL-X meshes on SMPL's topology, as
GVHMR's evaluation does.

Without any file the open stand-in body (SMPL topology) stands in for every SMPL body, so that the
pipeline runs anywhere; such numbers are not comparable with published ones and tables say so.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

from slahmr_opt.body.joint_maps import LANDMARK_NAMES
from slahmr_opt.body.model import BodyModel
from slahmr_opt.body.model_files import read_model_file
from slahmr_opt.errors import InputError
from slahmr_opt.eval.metrics import FOOT_VERTEX_IDS
from slahmr_opt.io.body_tracks import SMPLX_BODY_JOINTS, BodyTrack
from slahmr_opt.safe_load import load_npz, load_torch

__all__ = ["BODY_KINDS", "FOOT_LANDMARKS", "BodySet", "Posed", "load_smplx_to_smpl"]

BODY_KINDS = tuple(f"{m}-{g}" for m in ("smpl", "smplx") for g in ("neutral", "male", "female"))
"""Names of the bodies a set can hold: ``smpl-neutral`` … ``smplx-female``."""

FOOT_LANDMARKS = tuple(LANDMARK_NAMES.index(n) for n in ("LBigToe", "LHeel", "RBigToe", "RHeel"))
"""Landmark rows of the foot-sliding points (SMPL vertices 3216, 3387, 6617, 6787)."""

SMPL_NUM_VERTS = 6890
SMPLX_NUM_VERTS = 10475
SHARED_JOINTS = SMPLX_BODY_JOINTS + 1
"""Joints every SMPL-family model shares (pelvis + 21 body joints)."""

# File names the SMPL and SMPL-X releases use, per kind (matched case-insensitively).
_FILE_NAMES = {
    "smpl-neutral": ("smpl_neutral", "basicmodel_neutral_lbs_10_207_0_v1.0.0"),
    "smpl-male": ("smpl_male", "basicmodel_m_lbs_10_207_0_v1.0.0"),
    "smpl-female": ("smpl_female", "basicmodel_f_lbs_10_207_0_v1.0.0"),
    "smplx-neutral": ("smplx_neutral",),
    "smplx-male": ("smplx_male",),
    "smplx-female": ("smplx_female",),
}
_SUFFIXES = (".npz", ".pkl")


def _hands(path: Path) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """((components (45, 45), mean (45,)) left, right) of a SMPL-X file."""
    data = read_model_file(path)
    return tuple(
        (
            np.asarray(data[f"hands_components{s}"], dtype=np.float64),
            np.asarray(data[f"hands_mean{s}"], dtype=np.float64),
        )
        for s in ("l", "r")
    )


def load_smplx_to_smpl(path: str | os.PathLike) -> sp.csr_matrix:
    """Read a (6890, 10475) SMPL-X → SMPL vertex map.

    Accepts GVHMR's ``smplx2smpl_sparse.pt`` (a sparse torch tensor: loads with
    ``weights_only=True``, no code runs) or an ``.npz`` written by ``scipy.sparse.save_npz``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: SMPL-X → SMPL map not found")
    if path.suffix == ".npz":  # scipy.sparse.save_npz: format, shape and the index arrays
        z = load_npz(path, "SMPL-X → SMPL map")
        fmt = bytes(np.asarray(z.get("format", b""))).decode(errors="replace").strip("\x00")
        try:
            shape = tuple(int(x) for x in z["shape"])
            if fmt == "coo":
                m = sp.coo_matrix((z["data"], (z["row"], z["col"])), shape=shape)
            elif fmt in ("csr", "csc"):
                cls = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
                m = cls((z["data"], z["indices"], z["indptr"]), shape=shape)
            else:
                raise KeyError("format")
        except (KeyError, ValueError, TypeError) as err:
            raise InputError(
                f"{path}: not a scipy sparse .npz (csr, csc or coo; problem with {err})"
            ) from None
    else:
        if not zipfile.is_zipfile(path):
            raise InputError(f"{path}: expected a torch .pt file or a scipy sparse .npz")
        t = load_torch(path, "SMPL-X → SMPL map")
        if not isinstance(t, torch.Tensor):
            raise InputError(f"{path}: expected a tensor, got {type(t).__name__}")
        t = t.coalesce() if t.is_sparse else t.to_sparse().coalesce()
        idx = t.indices().numpy()
        m = sp.coo_matrix((t.values().double().numpy(), (idx[0], idx[1])), shape=tuple(t.shape))
    m = sp.csr_matrix(m, dtype=np.float64)
    if m.shape != (SMPL_NUM_VERTS, SMPLX_NUM_VERTS):
        raise InputError(
            f"{path}: map has shape {m.shape}, expected ({SMPL_NUM_VERTS}, {SMPLX_NUM_VERTS})"
        )
    return m


@dataclass
class Posed:
    """Posed points of one track over a chunk of frames, float64, metres.

    Attributes:
        joints: (N, J, 3) the model's forward-kinematics joints (24 SMPL, 55 SMPL-X).
        feet: (N, 4, 3) the foot-sliding landmarks (left toe, left heel, right toe, right heel).
        verts: (N, 6890, 3) the mesh on SMPL's topology, or None (not asked, or SMPL-X without
            the map).
    """

    joints: np.ndarray
    feet: np.ndarray
    verts: np.ndarray | None


@dataclass
class BodySet:
    """Body model files by kind (:data:`BODY_KINDS`), loaded on first use.

    Attributes:
        paths: kind → model file.
        smplx_to_smpl: the SMPL-X → SMPL vertex map, or None.
        standin: use the open stand-in body for every SMPL kind without a file.
    """

    paths: dict[str, Path] = field(default_factory=dict)
    smplx_to_smpl: sp.csr_matrix | None = None
    standin: bool = False
    _models: dict[str, BodyModel] = field(default_factory=dict, repr=False)
    _hands: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_files(
        cls,
        bodies_dir: str | os.PathLike | None = None,
        explicit: dict[str, str | os.PathLike] | None = None,
        smplx_to_smpl: str | os.PathLike | None = None,
    ) -> BodySet:
        """Find the model files.

        Args:
            bodies_dir: a folder searched (recursively) for the release file names
                (``SMPL_NEUTRAL.pkl``, ``basicmodel_m_lbs_10_207_0_v1.0.0.pkl``,
                ``SMPLX_NEUTRAL.npz`` …).
            explicit: kind → file, overriding the search.
            smplx_to_smpl: the vertex map file (:func:`load_smplx_to_smpl`).

        With neither a folder nor files, the stand-in body serves every SMPL kind.
        """
        paths: dict[str, Path] = {}
        if bodies_dir is not None:
            root = Path(bodies_dir)
            if not root.is_dir():
                raise InputError(f"{root}: body model folder not found")
            files = {p.name.lower(): p for p in sorted(root.rglob("*")) if p.is_file()}
            for kind, stems in _FILE_NAMES.items():
                for stem in stems:
                    hit = next(
                        (files[s + x] for s in (stem,) for x in _SUFFIXES if s + x in files), None
                    )
                    if hit is not None:
                        paths[kind] = hit
                        break
        for kind, p in (explicit or {}).items():
            if kind not in BODY_KINDS:
                raise InputError(f"body kind must be one of {BODY_KINDS}, got {kind!r}")
            p = Path(p)
            if not p.is_file():
                raise InputError(f"{p}: body model file for {kind} not found")
            paths[kind] = p
        mapping = load_smplx_to_smpl(smplx_to_smpl) if smplx_to_smpl is not None else None
        return cls(paths=paths, smplx_to_smpl=mapping, standin=not paths)

    def describe(self) -> str:
        """One line naming the bodies (for table captions)."""
        if self.standin:
            return "open stand-in body for every SMPL model (not comparable with published numbers)"
        parts = [f"{k}: {p.name}" for k, p in sorted(self.paths.items())]
        if self.smplx_to_smpl is not None:
            parts.append("SMPL-X→SMPL vertex map")
        return "; ".join(parts)

    def has(self, model: str, gender: str) -> bool:
        kind = f"{model}-{gender}"
        return kind in self.paths or (self.standin and model == "smpl")

    def get(self, model: str, gender: str) -> BodyModel:
        """The body for ``(model, gender)`` (float64)."""
        kind = f"{model}-{gender}"
        if kind in self._models:
            return self._models[kind]
        if kind in self.paths:
            path = self.paths[kind]
            same = next((k for k, p in self.paths.items() if p == path and k in self._models), None)
            if same is not None:  # one file given for several kinds: load it once
                body = self._models[same]
            else:
                body = BodyModel.from_file(path, gender=gender, dtype=torch.float64)
            if body.model_type != model:
                raise InputError(f"{path}: is a {body.model_type} file, given as {kind}")
            if model == "smplx":
                self._hands[kind] = self._hands[same] if same in self._hands else _hands(path)
        elif self.standin and model == "smpl":
            body = self._models.get("standin") or BodyModel.standin(dtype=torch.float64)
            self._models["standin"] = body
        else:
            have = sorted(self.paths) or ["none"]
            raise InputError(
                f"needs the {kind} body model file (pass --body {kind}=PATH or --bodies DIR); "
                f"have: {', '.join(have)}"
            )
        self._models[kind] = body
        return body

    def smpl_topology(self, model: str) -> bool:
        """Whether meshes of ``model`` can be put on SMPL's topology."""
        return model == "smpl" or self.smplx_to_smpl is not None

    def regressor(self) -> np.ndarray:
        """(24, 6890) joint regressor of the neutral SMPL body (GVHMR's evaluation joints)."""
        body = self.get("smpl", "neutral")
        return body.smplx_model.J_regressor.detach().double().numpy()

    def _full_pose(self, track: BodyTrack, rows: np.ndarray, kind: str) -> np.ndarray:
        """(N, K, 3) body pose for :meth:`BodyModel.forward`: SMPL's 23 joints, or SMPL-X's
        21 body + jaw, eyes + 2 × 15 hand joints."""
        if track.model == "smpl":
            return track.body_pose[rows]
        n = rows.size
        face = np.zeros((n, 3, 3)) if track.face_pose is None else track.face_pose[rows]
        hands = np.zeros((n, 2, 45))
        if kind in self._hands:
            for side, (comps, mean) in enumerate(self._hands[kind]):
                if track.hand_mean:
                    hands[:, side] += mean
                if track.hand_pca is not None:
                    c = track.hand_pca.shape[2]
                    hands[:, side] += track.hand_pca[rows, side] @ comps[:c]
        return np.concatenate(
            [
                track.body_pose[rows],
                face,
                hands[:, 0].reshape(n, 15, 3),
                hands[:, 1].reshape(n, 15, 3),
            ],
            axis=1,
        )

    @torch.no_grad()
    def pose(self, track: BodyTrack, rows: np.ndarray, *, mesh: bool) -> Posed:
        """Pose ``track`` at ``rows`` (indices into its frames).

        Args:
            mesh: also compute the mesh on SMPL's topology (for PVE and regressed joints).
        """
        body = self.get(track.model, track.gender)
        kind = f"{track.model}-{track.gender}"
        betas = track.betas[rows]
        if betas.shape[1] > body.num_betas:
            extra = betas[:, body.num_betas :]
            if np.any(np.abs(extra) > 1e-9):
                raise InputError(
                    f"track {track.track_id!r} has {betas.shape[1]} betas, the {kind} body uses "
                    f"{body.num_betas}"
                )
            betas = betas[:, : body.num_betas]
        dt = torch.float64
        out = body(
            torch.as_tensor(track.global_orient[rows], dtype=dt),
            torch.as_tensor(self._full_pose(track, rows, kind), dtype=dt),
            torch.as_tensor(betas, dtype=dt),
            torch.as_tensor(track.transl[rows], dtype=dt),
            landmarks=True,
            vertices=mesh and self.smpl_topology(track.model),
        )
        verts = None if out.vertices is None else out.vertices.numpy()
        if verts is not None and track.model == "smplx":
            m = self.smplx_to_smpl
            verts = np.stack([m @ v for v in verts])
        if verts is not None:  # SMPL topology: the protocol's foot vertices themselves
            feet = verts[:, list(FOOT_VERTEX_IDS)]
        else:
            feet = out.landmarks[:, list(FOOT_LANDMARKS)].numpy()
        return Posed(joints=out.joints.numpy(), feet=feet, verts=verts)
