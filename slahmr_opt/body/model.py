"""SMPL-family body model with three evaluation paths: joints, landmarks, full mesh.

The model wraps smplx (``smplx.SMPL``, ``smplx.SMPLH``, ``smplx.SMPLX``) for loading and for the
full-mesh path, and adds two cheaper paths that the solver uses on every energy evaluation:

1. joints only: forward kinematics with ``smplx.lbs.batch_rodrigues`` and
   ``smplx.lbs.batch_rigid_transform`` on the shaped joint template
   ``J(β) = J_regressor @ (v_template + shapedirs · β)``, precomputed as a linear function of β;
2. landmarks: the keypoints that come from vertices (nose, eyes, ears, toes, heels, fingertips),
   skinned on those vertices only;
3. full mesh, only when asked.

All paths accept any leading batch shape ``(...,)``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import smplx
import torch
from smplx.lbs import batch_rigid_transform, batch_rodrigues, blend_shapes, vertices2joints
from smplx.utils import Struct
from smplx.vertex_ids import vertex_ids as SMPLX_VERTEX_IDS
from torch import Tensor, nn

from slahmr_opt.body.joint_maps import LANDMARK_NAMES
from slahmr_opt.body.model_files import infer_model_type, read_model_file
from slahmr_opt.files import write_npz_atomic
from slahmr_opt.reprs import short_repr

log = logging.getLogger(__name__)

# Body joints (pelvis excluded) that every model of the family shares, in kinematic order.
NUM_SHARED_BODY_JOINTS = 21

SMPLX_SHAPE_SPACE = 300
"""smplx keeps at most 10 betas of a model whose ``shapedirs`` has fewer than this many columns
(smplx/body_models.py, ``SMPL.__init__``); SMPL-X files hold 300 shape + 100 expression columns."""

LARGE_SHAPE_SPACE_BETAS = 10
"""Default number of betas of a model with a full 300-dimensional shape space (SMPL 1.1, SMPL-X),
where fitting all of them is rarely wanted; smaller spaces (SMPL 1.0: 10, SMPL-H: 16) are used
whole."""


SMPLX_EXPRESSION_SPACE = 100
"""Expression columns that follow the 300 shape columns of a full SMPL-X file."""


def file_num_betas(data: Mapping[str, Any], model_type: str) -> int:
    """Shape directions a model file holds. SMPL-X files put expressions after the shape
    columns: a full file has 300 shape + 100 expression columns, a smaller one 10 + 10 (smplx's
    own reading, ``SMPLX.__init__``)."""
    available = int(np.asarray(data["shapedirs"]).shape[-1])
    if model_type != "smplx":
        return available
    full = available >= SMPLX_SHAPE_SPACE + SMPLX_EXPRESSION_SPACE
    return SMPLX_SHAPE_SPACE if full else min(available, 10)


def default_num_betas(available: int) -> int:
    """The betas fitted when none are asked for: the file's own number (16 for SMPL-H), or
    :data:`LARGE_SHAPE_SPACE_BETAS` for a 300-dimensional shape space."""
    return available if available < SMPLX_SHAPE_SPACE else LARGE_SHAPE_SPACE_BETAS


@dataclass(frozen=True)
class BodyOutput:
    """What a forward pass computed; each entry is ``None`` unless it was asked for.

    Attributes:
        joints: (..., J, 3) posed joints (J = 24 SMPL, 52 SMPL-H, 55 SMPL-X), metres.
        landmarks: (..., L, 3) vertex keypoints in :data:`LANDMARK_NAMES` order.
        vertices: (..., V, 3) the full mesh.
    """

    __repr__ = short_repr

    joints: Tensor | None = None
    landmarks: Tensor | None = None
    vertices: Tensor | None = None


class BodyModel(nn.Module):
    """A SMPL, SMPL-H or SMPL-X model, loaded through smplx, with cheap joint and landmark paths.

    Build it with :meth:`from_file` (the user's licensed model file) or :meth:`standin`
    (the open procedural stand-in body that ships with the library).

    Attributes:
        model_type: ``"smpl"``, ``"smplh"`` or ``"smplx"``.
        gender: ``"neutral"``, ``"male"`` or ``"female"`` (as stored in or given for the file).
        num_betas: number of shape coefficients used.
        num_joints: J, joints of the kinematic tree (24, 52 or 55).
        num_body_joints: body joints after the pelvis that a ``body_pose`` may hold
            (23 for SMPL, 21 for SMPL-H and SMPL-X).
        parents: (J,) long tensor, parent of each joint (-1 for the root).
        faces: (F, 3) numpy int64 triangle indices.
        source: where the model came from (path or ``"stand-in"``).
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        model_type: str | None = None,
        gender: str = "neutral",
        num_betas: int | None = None,
        source: str = "<memory>",
        dtype: torch.dtype = torch.float32,
        landmark_ids: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__()
        model_type = model_type or infer_model_type(data, source)
        if model_type not in ("smpl", "smplh", "smplx"):
            raise ValueError(
                f"{source}: model_type must be smpl, smplh or smplx, got {model_type!r}"
            )
        available = file_num_betas(data, model_type)
        if num_betas is None:
            num_betas = default_num_betas(available)
        if not isinstance(num_betas, int) or not 1 <= num_betas <= available:
            raise ValueError(f"{source}: num_betas={num_betas}, the file has 1..{available}")
        self.model_type = model_type
        self.gender = gender
        self.num_betas = num_betas
        self.source = source
        self.smplx_model = _build_smplx(data, model_type, gender, num_betas, dtype)
        m = self.smplx_model
        self.num_joints = int(m.J_regressor.shape[0])
        self.num_body_joints = 23 if model_type == "smpl" else NUM_SHARED_BODY_JOINTS
        self.faces = np.asarray(m.faces, dtype=np.int64)
        self.register_buffer("parents", m.parents.clone(), persistent=False)

        shapedirs = m.shapedirs[..., :num_betas]  # (V, 3, S)
        self.register_buffer(
            "joint_template0", vertices2joints(m.J_regressor, m.v_template[None])[0]
        )
        # J(β) = J0 + Σ_s β_s · J_s, with J_s = J_regressor @ shapedirs[..., s]
        self.register_buffer(
            "joint_shapedirs", torch.einsum("jv,vcs->jcs", m.J_regressor, shapedirs)
        )

        ids_source = landmark_ids or SMPLX_VERTEX_IDS["smplx" if model_type == "smplx" else "smplh"]
        ids = torch.tensor([int(ids_source[name]) for name in LANDMARK_NAMES], dtype=torch.long)
        self.register_buffer("landmark_ids", ids, persistent=False)
        self.register_buffer("landmark_template", m.v_template[ids].clone())
        self.register_buffer("landmark_shapedirs", shapedirs[ids].clone())
        num_verts = m.v_template.shape[0]
        posedirs = m.posedirs.reshape(-1, num_verts, 3)  # (P, V, 3)
        self.register_buffer("landmark_posedirs", posedirs[:, ids].reshape(posedirs.shape[0], -1))
        self.register_buffer("landmark_weights", m.lbs_weights[ids].clone())

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike,
        *,
        gender: str | None = None,
        num_betas: int | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> BodyModel:
        """Load a SMPL, SMPL-H or SMPL-X model file (``.pkl`` with or without chumpy, or ``.npz``).

        Args:
            path: the licensed model file the user downloaded.
            gender: overrides the gender stored in the file (used for reporting only).
            num_betas: shape coefficients to fit, at most the file's; None = the file's own
                number (16 for SMPL-H, as the original fits; 10 for SMPL 1.0) or 10 for a
                300-dimensional shape space (:func:`default_num_betas`).
            dtype: float dtype of the buffers.
        """
        data = read_model_file(path)
        model_type = infer_model_type(data, path)
        if gender is None:
            stored = data.get("gender")
            gender = str(np.asarray(stored)) if stored is not None else _gender_from_name(path)
        return cls(
            data,
            model_type=model_type,
            gender=gender,
            num_betas=num_betas,
            source=str(path),
            dtype=dtype,
        )

    @classmethod
    def standin(
        cls,
        *,
        cache_dir: str | os.PathLike | None = None,
        dtype: torch.dtype = torch.float32,
        num_betas: int | None = None,
    ) -> BodyModel:
        """The open procedural stand-in body (SMPL topology, 10 betas), built once and cached.

        See docs/body.md: it is a stand-in for demos and tests, not a scan-based human model.
        """
        from slahmr_opt.body.standin import standin_path

        path = standin_path(cache_dir)
        data = read_model_file(path)
        return cls(
            data,
            model_type="smpl",
            gender="neutral",
            num_betas=num_betas,
            source="stand-in",
            dtype=dtype,
        )

    @classmethod
    def resolve(cls, path: str | os.PathLike | None, **kwargs: Any) -> BodyModel:
        """Load ``path`` if given, else the stand-in body (and say so once in the log)."""
        if path is None:
            log.info("no body model file given: using the open stand-in body (docs/body.md)")
            return cls.standin(
                dtype=kwargs.get("dtype", torch.float32), num_betas=kwargs.get("num_betas")
            )
        return cls.from_file(path, **kwargs)

    @property
    def is_standin(self) -> bool:
        return self.source == "stand-in"

    @property
    def num_landmarks(self) -> int:
        return int(self.landmark_ids.shape[0])

    # ------------------------------------------------------------------ evaluation
    def joint_template(self, betas: Tensor) -> Tensor:
        """Shaped rest-pose joints ``J(β)``.

        Args:
            betas: (..., S) shape coefficients, S ≤ num_betas (missing ones are zero).

        Returns:
            (..., J, 3) joint positions at the rest pose, metres.
        """
        betas = self._pad_betas(betas)
        return self.joint_template0 + torch.einsum("...s,jcs->...jc", betas, self.joint_shapedirs)

    def full_pose(self, global_orient: Tensor, body_pose: Tensor) -> Tensor:
        """Stack root and body rotations into one (..., J, 3) axis-angle pose.

        Args:
            global_orient: (..., 3) root rotation, axis-angle.
            body_pose: (..., K, 3) or (..., 3K) body rotations in kinematic order. K may be 21
                (the body joints every model shares), the model's ``num_body_joints`` or any
                count up to J − 1; missing joints are at rest. SMPL's two hand joints (22, 23)
                have no counterpart in SMPL-H/SMPL-X: a 23-joint pose given to those models
                keeps its first 21 joints.

        Returns:
            (..., J, 3) axis-angle per joint.
        """
        if global_orient.shape[-1] != 3:
            raise ValueError(
                f"global_orient: expected shape (..., 3), got {tuple(global_orient.shape)}"
            )
        lead = global_orient.shape[:-1]
        if body_pose.shape[:-1] == lead and body_pose.shape[-1] % 3 == 0:
            body_pose = body_pose.reshape(*lead, -1, 3)
        if body_pose.shape[:-2] != lead or body_pose.shape[-1] != 3:
            raise ValueError(
                f"body_pose: expected shape {(*lead, 'K', 3)} or {(*lead, '3K')}, "
                f"got {tuple(body_pose.shape)}"
            )
        k = body_pose.shape[-2]
        if k == 23 and self.model_type != "smpl":
            body_pose = body_pose[..., :NUM_SHARED_BODY_JOINTS, :]
            k = NUM_SHARED_BODY_JOINTS
        if k > self.num_joints - 1:
            raise ValueError(
                f"body_pose has {k} joints, the {self.model_type} model has "
                f"{self.num_joints - 1} after the pelvis"
            )
        pad = self.num_joints - 1 - k
        parts = [global_orient[..., None, :], body_pose]
        if pad:
            parts.append(body_pose.new_zeros(*lead, pad, 3))
        return torch.cat(parts, dim=-2)

    def forward(
        self,
        global_orient: Tensor,
        body_pose: Tensor,
        betas: Tensor,
        transl: Tensor | None = None,
        *,
        joints: bool = True,
        landmarks: bool = False,
        vertices: bool = False,
    ) -> BodyOutput:
        """Pose the body.

        Args:
            global_orient: (..., 3) root orientation, axis-angle.
            body_pose: (..., K, 3) or (..., 3K) body joint rotations (see :meth:`full_pose`).
            betas: (..., S) or (S,) shape coefficients (broadcast over the leading shape).
            transl: (..., 3) root translation (SMPL's ``transl``), or None for zero.
            joints: compute the (..., J, 3) joints (forward kinematics only).
            landmarks: compute the (..., L, 3) landmark vertices.
            vertices: compute the full (..., V, 3) mesh.

        Returns:
            :class:`BodyOutput` with the requested entries.
        """
        pose = self.full_pose(global_orient, body_pose)
        lead = pose.shape[:-2]
        n = int(np.prod(lead)) if len(lead) else 1
        betas = self._pad_betas(betas)
        betas = torch.broadcast_to(betas, (*lead, self.num_betas)).reshape(n, self.num_betas)
        pose = pose.reshape(n, self.num_joints, 3)
        if transl is None:
            transl = pose.new_zeros(n, 3)
        else:
            if transl.shape[-1] != 3:
                raise ValueError(f"transl: expected shape (..., 3), got {tuple(transl.shape)}")
            transl = torch.broadcast_to(transl, (*lead, 3)).reshape(n, 3)

        out_joints = out_landmarks = out_vertices = None
        if vertices:
            out_vertices, full_joints = self._mesh(pose, betas)
            out_vertices = out_vertices + transl[:, None]
            if joints:
                out_joints = full_joints + transl[:, None]
            if landmarks:
                out_landmarks = out_vertices[:, self.landmark_ids]
        elif joints or landmarks:
            rotmats = batch_rodrigues(pose.reshape(-1, 3)).reshape(n, self.num_joints, 3, 3)
            rest = self.joint_template(betas)
            posed, rel = batch_rigid_transform(rotmats, rest, self.parents, dtype=pose.dtype)
            if joints:
                out_joints = posed + transl[:, None]
            if landmarks:
                out_landmarks = self._landmarks(rotmats, rel, betas) + transl[:, None]

        def shape(x: Tensor | None) -> Tensor | None:
            return None if x is None else x.reshape(*lead, *x.shape[1:])

        return BodyOutput(shape(out_joints), shape(out_landmarks), shape(out_vertices))

    def joints(
        self, global_orient: Tensor, body_pose: Tensor, betas: Tensor, transl: Tensor | None = None
    ) -> Tensor:
        """Posed joints only, (..., J, 3). See :meth:`forward`."""
        return self.forward(global_orient, body_pose, betas, transl).joints

    def keypoints(
        self, global_orient: Tensor, body_pose: Tensor, betas: Tensor, transl: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """Joints and landmarks in one pass: ((..., J, 3), (..., L, 3))."""
        out = self.forward(global_orient, body_pose, betas, transl, landmarks=True)
        return out.joints, out.landmarks

    def vertices(
        self, global_orient: Tensor, body_pose: Tensor, betas: Tensor, transl: Tensor | None = None
    ) -> Tensor:
        """The full posed mesh, (..., V, 3). See :meth:`forward`."""
        return self.forward(
            global_orient, body_pose, betas, transl, joints=False, vertices=True
        ).vertices

    # ------------------------------------------------------------------ internals
    def _pad_betas(self, betas: Tensor) -> Tensor:
        s = betas.shape[-1]
        if s > self.num_betas:
            raise ValueError(f"betas has {s} coefficients, the model uses {self.num_betas}")
        if s < self.num_betas:
            betas = torch.cat([betas, betas.new_zeros(*betas.shape[:-1], self.num_betas - s)], -1)
        return betas

    def _landmarks(self, rotmats: Tensor, rel: Tensor, betas: Tensor) -> Tensor:
        """Skin the landmark vertices only. rotmats (N, J, 3, 3), rel (N, J, 4, 4) → (N, L, 3)."""
        n = rotmats.shape[0]
        v = self.landmark_template + blend_shapes(betas, self.landmark_shapedirs)
        eye = torch.eye(3, dtype=rotmats.dtype, device=rotmats.device)
        pose_feature = (rotmats[:, 1:] - eye).reshape(n, -1)
        v = v + (pose_feature @ self.landmark_posedirs).reshape(n, -1, 3)
        transforms = torch.einsum("lj,njab->nlab", self.landmark_weights, rel)
        return torch.einsum("nlab,nlb->nla", transforms[..., :3, :3], v) + transforms[..., :3, 3]

    def _mesh(self, pose: Tensor, betas: Tensor) -> tuple[Tensor, Tensor]:
        m = self.smplx_model
        return smplx.lbs.lbs(
            betas,
            pose.reshape(pose.shape[0], -1),
            m.v_template,
            m.shapedirs[..., : self.num_betas],
            m.posedirs,
            m.J_regressor,
            self.parents,
            m.lbs_weights,
            pose2rot=True,
        )

    def extra_repr(self) -> str:
        return (
            f"model_type={self.model_type}, gender={self.gender}, num_betas={self.num_betas}, "
            f"num_joints={self.num_joints}, source={self.source}"
        )


def _gender_from_name(path: str | os.PathLike) -> str:
    name = Path(path).name.lower()
    for gender in ("female", "male", "neutral"):
        if gender in name:
            return gender
    if "_f." in name or "_f_" in name:
        return "female"
    if "_m." in name or "_m_" in name:
        return "male"
    return "neutral"


def _build_smplx(
    data: Mapping[str, Any], model_type: str, gender: str, num_betas: int, dtype: torch.dtype
) -> nn.Module:
    """Create the smplx module from in-memory arrays (no parameters, buffers only)."""
    # smplx prints warnings about the number of betas to stdout; keep the CLI's output clean.
    with contextlib.redirect_stdout(io.StringIO()):
        return _build_smplx_quiet(data, model_type, gender, num_betas, dtype)


def _build_smplx_quiet(
    data: Mapping[str, Any], model_type: str, gender: str, num_betas: int, dtype: torch.dtype
) -> nn.Module:
    common = dict(
        create_global_orient=False,
        create_body_pose=False,
        create_betas=False,
        create_transl=False,
        num_betas=num_betas,
        dtype=dtype,
        gender=gender,
    )
    arrays = {k: v for k, v in data.items()}
    shapedirs = np.asarray(arrays["shapedirs"])
    if model_type != "smplx" and num_betas > 10 and shapedirs.shape[-1] < SMPLX_SHAPE_SPACE:
        # smplx would silently keep 10 of them; pad with zero columns to its 300 as the original
        # does for its 16-beta SMPL-H (slahmr/body_model/body_model.py:48-52). Only the file's
        # own columns are used (num_betas ≤ the file's count is checked by the caller).
        pad = np.zeros((*shapedirs.shape[:-1], SMPLX_SHAPE_SPACE - shapedirs.shape[-1]))
        arrays["shapedirs"] = np.concatenate([shapedirs, pad], axis=-1)
    if model_type == "smpl":
        return smplx.SMPL(model_path=None, data_struct=Struct(**arrays), **common)
    if model_type == "smplh":
        for side in ("l", "r"):
            arrays.setdefault(f"hands_components{side}", np.eye(45))
            arrays.setdefault(f"hands_mean{side}", np.zeros(45))
        return smplx.SMPLH(
            model_path=None,
            data_struct=Struct(**arrays),
            use_pca=False,
            flat_hand_mean=True,
            create_left_hand_pose=False,
            create_right_hand_pose=False,
            **common,
        )
    # smplx.SMPLX only reads from a file: hand it a clean temporary npz.
    with tempfile.TemporaryDirectory() as tmp:
        path = write_npz_atomic(
            Path(tmp) / "model.npz",
            {k: np.asarray(v) for k, v in arrays.items() if np.asarray(v).dtype != object},
        )
        return smplx.SMPLX(
            model_path=str(path),
            ext="npz",
            use_pca=False,
            flat_hand_mean=True,
            create_left_hand_pose=False,
            create_right_hand_pose=False,
            create_jaw_pose=False,
            create_leye_pose=False,
            create_reye_pose=False,
            create_expression=False,
            use_face_contour=False,
            **common,
        )
