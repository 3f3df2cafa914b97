"""The solver's variables and batched observations (people × frames, with masks).

Every person (track) gets a row ``b`` of tensors over the problem's frames ``t = 0 … T − 1``, the
scene frames ``[frame0, frame0 + T)`` spanned by the tracks (the union of their intervals, as in
the original). ``mask[b, t]`` is True inside track b's interval; frames outside it hold copies of
the nearest frame of the track, contribute nothing to any energy and receive no gradient.

Variables (docs/solver.md, "Variables"):

- ``root_orient`` (B, T, 3): world root orientation, axis-angle.
- ``trans`` (B, T, 3): with ``init.trans_frame = "world"`` the world SMPL translation (the
  original); with ``"camera"`` the pelvis position in each frame's camera frame, metres, from which
  the world pelvis is ``R_tᵀ (p_t − α t_t)``.
- ``body_pose`` (B, T, K, 3): body joint rotations, axis-angle (K = 23 for SMPL, 21 for SMPL-H/X).
- ``betas`` (B, S): one shape per person.
- ``alpha`` (1,): the shared world scale α, metres per SLAM unit, held as ``log α`` so that it
  stays positive (``init.alpha_space = "log"``), or as α itself (``"linear"``, the original's
  ``world_scale``, which can cross 0 where the energy means nothing).
- ``latent_pose`` (B, T, D), only with a VPoser (``pose_prior.kind = "vposer"``): the body
  pose's first 21 rotations are VPoser's decoding of it (the original's parameterisation);
  ``body_pose`` then holds the joints VPoser does not model (SMPL's hands) and, after a pass,
  the decoded pose.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass

import numpy as np
import roma
import torch
from torch import Tensor

from slahmr_opt.body.model import BodyModel
from slahmr_opt.config import InitConfig, ReprojectionConfig
from slahmr_opt.energies.reprojection import keypoint_weights
from slahmr_opt.priors.vposer import NUM_POSE_JOINTS, VPoser
from slahmr_opt.scene import Cameras, PersonMotion, Scene
from slahmr_opt.solver.world_init import alpha_from_median_displacement, track_to_world

log = logging.getLogger(__name__)

VARIABLE_NAMES = ("root_orient", "trans", "body_pose", "betas", "alpha")


@dataclass
class ProblemData:
    """Batched observations of the tracks being fitted, on the solver's device and dtype.

    Attributes:
        track_ids: B track ids, row order.
        frame0: first scene frame of the problem.
        mask: (B, T) bool, frames inside each track.
        keypoints: (B, T, 25, 2) observed BODY_25 keypoints, pixels (0 where not observed).
        weights: (B, T, 25) 2D weights (confidence², 0 when dropped, ignored or outside a track).
        cam_R: (T, 3, 3) world→camera rotations.
        cam_t: (T, 3) world→camera translations, SLAM units.
        intrinsics: (T, 4) fx, fy, cx, cy, pixels.
        ref_body_pose: (B, T, K, 3) the per-frame estimator's body pose, axis-angle.
        is_static: the cameras are static (α is then not optimised).
    """

    track_ids: list[str]
    frame0: int
    mask: Tensor
    keypoints: Tensor
    weights: Tensor
    cam_R: Tensor
    cam_t: Tensor
    intrinsics: Tensor
    ref_body_pose: Tensor
    is_static: bool

    @property
    def num_people(self) -> int:
        """B."""
        return len(self.track_ids)

    @property
    def num_frames(self) -> int:
        """T, the frames spanned by the tracks."""
        return int(self.mask.shape[1])

    @property
    def frames(self) -> np.ndarray:
        """(T,) scene frame indices of the problem's frames."""
        return np.arange(self.frame0, self.frame0 + self.num_frames)


@dataclass
class Variables:
    """The optimisation variables (see the module docstring); all leaf tensors.

    Attributes:
        root_orient: (B, T, 3). trans: (B, T, 3). body_pose: (B, T, K, 3). betas: (B, S).
        log_alpha: (1,) the α variable: ``log α`` (``alpha_space = "log"``) or α itself
            (``"linear"``). trans_frame: ``"world"`` or ``"camera"`` (meaning of ``trans``).
        latent_pose: (B, T, D) VPoser latents, or None (axis-angle ``body_pose`` is the
            variable).
        alpha_space: ``"log"`` or ``"linear"``.
    """

    root_orient: Tensor
    trans: Tensor
    body_pose: Tensor
    betas: Tensor
    log_alpha: Tensor
    trans_frame: str
    latent_pose: Tensor | None = None
    alpha_space: str = "log"

    @property
    def alpha(self) -> Tensor:
        """(1,) the world scale α (exp of the variable, or the variable itself)."""
        return alpha_of(self.log_alpha, self.alpha_space)

    def tensors(self) -> dict[str, Tensor]:
        """Variable name (:data:`VARIABLE_NAMES`, ``"alpha"`` → ``log_alpha``; ``"latent_pose"``
        with a VPoser) → leaf tensor."""
        out = {
            "root_orient": self.root_orient,
            "trans": self.trans,
            "body_pose": self.body_pose,
            "betas": self.betas,
            "alpha": self.log_alpha,
        }
        if self.latent_pose is not None:
            out["latent_pose"] = self.latent_pose
        return out


def alpha_of(variable: Tensor, space: str) -> Tensor:
    """α from its optimisation variable: ``exp`` in ``"log"`` space, itself in ``"linear"``."""
    return variable.exp() if space == "log" else variable


def alpha_variable(alpha: float, space: str, dtype: torch.dtype, device) -> Tensor:
    """(1,) the optimisation variable holding α in ``space``."""
    value = math.log(alpha) if space == "log" else float(alpha)
    return torch.tensor([value], dtype=dtype, device=device)


def decoded_body_pose(
    body_pose: Tensor, latent_pose: Tensor | None, vposer: VPoser | None
) -> Tensor:
    """The body pose the energies see: VPoser's decoding of ``latent_pose`` for the first 21
    joints (as axis-angle) and ``body_pose`` for the rest, or ``body_pose`` itself.

    Args:
        body_pose: (B, T, K, 3). latent_pose: (B, T, D) or None. vposer: the decoder.

    Returns:
        (B, T, K, 3).
    """
    if latent_pose is None or vposer is None:
        return body_pose
    decoded = roma.rotmat_to_rotvec(vposer.decode_rotmat(latent_pose)).to(body_pose.dtype)
    if body_pose.shape[2] == NUM_POSE_JOINTS:
        return decoded
    return torch.cat([decoded, body_pose[:, :, NUM_POSE_JOINTS:]], dim=2)


def solver_tracks(scene: Scene) -> list[str]:
    """Ids of the tracks the solver fits: those with per-frame SMPL estimates."""
    return [t.track_id for t in scene.tracks if t.has_smpl]


def batch_scene(
    scene: Scene,
    track_ids: list[str],
    body: BodyModel,
    reprojection: ReprojectionConfig,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> ProblemData:
    """Stack the observations of ``track_ids`` into (B, T, ...) tensors with masks.

    Args:
        scene: the scene.
        track_ids: tracks to fit (each must have SMPL estimates).
        body: body model (gives K, the body joints of ``body_pose``).
        reprojection: 2D observation settings (confidence threshold, ignored joints).
        device, dtype: where the tensors live.

    Returns:
        :class:`ProblemData`.
    """
    if not track_ids:
        raise ValueError("scene: no track has per-frame SMPL estimates; nothing to fit")
    tracks = [scene.track(i) for i in track_ids]
    frame0 = min(t.start for t in tracks)
    num_frames = max(t.end for t in tracks) - frame0
    num_people = len(tracks)
    k = min(body.num_body_joints, tracks[0].body_pose.shape[1])

    mask = np.zeros((num_people, num_frames), dtype=bool)
    keypoints = np.zeros((num_people, num_frames, 25, 3))
    ref_pose = np.zeros((num_people, num_frames, k, 3))
    for b, track in enumerate(tracks):
        a, e = track.start - frame0, track.end - frame0
        mask[b, a:e] = True
        keypoints[b, a:e] = track.keypoints
        ref_pose[b, a:e] = track.body_pose[:, :k]
        ref_pose[b, :a] = track.body_pose[0, :k]
        ref_pose[b, e:] = track.body_pose[-1, :k]

    def t(x: np.ndarray) -> Tensor:
        return torch.as_tensor(x, dtype=dtype, device=device)

    conf = t(keypoints[..., 2])
    weights = keypoint_weights(conf, reprojection.conf_threshold, reprojection.ignore_joints)
    frames = slice(frame0, frame0 + num_frames)
    return ProblemData(
        track_ids=list(track_ids),
        frame0=frame0,
        mask=torch.as_tensor(mask, device=device),
        keypoints=t(keypoints[..., :2]),
        weights=weights,
        cam_R=t(scene.cameras.R[frames]),
        cam_t=t(scene.cameras.t[frames]),
        intrinsics=t(scene.cameras.intrinsics[frames]),
        ref_body_pose=t(ref_pose),
        is_static=bool(scene.cameras.is_static),
    )


def initial_alpha(scene: Scene, body: BodyModel, init: InitConfig) -> float:
    """The starting world scale: 1, the median-displacement estimate, or the given number.

    Static cameras always give 1 (there is no translation to scale).
    """
    if scene.cameras.is_static:
        return 1.0
    if init.alpha == "one":
        return 1.0
    if init.alpha == "median":
        return float(alpha_from_median_displacement(scene, body))
    return float(init.alpha)


def shift_cameras(scene: Scene, init: InitConfig, track_ids: list[str] | None = None) -> Scene:
    """The scene with the original loader's camera shift applied (``init.camera_shift``).

    The original reads ``cameras.npz`` and sets ``cam_t ← cam_t + cam_t[s] − ε`` for every frame,
    s the first frame of the problem and ε ~ N(0, σ²) a 3-vector (data/dataset.py:325-327; σ =
    0.1, unseeded). Here ε is drawn with ``init.camera_noise_seed`` and σ = ``init.camera_noise``
    (0 = no noise). Static cameras are not shifted (the original builds identity cameras). s is
    the first frame of the tracks ``track_ids`` (default: every track with SMPL estimates).

    Returns:
        ``scene`` itself when nothing changes, else a copy with new cameras.
    """
    cams = scene.cameras
    if cams.is_static or (init.camera_shift == "none" and init.camera_noise == 0):
        return scene
    fitted = [t for t in scene.tracks if (t.track_id in track_ids if track_ids else t.has_smpl)]
    frame0 = min((t.start for t in fitted), default=0)
    shift = cams.t[frame0].copy() if init.camera_shift == "first" else np.zeros(3)
    if init.camera_noise > 0:
        rng = np.random.default_rng(init.camera_noise_seed)
        shift = shift - rng.normal(scale=init.camera_noise, size=3)
    log.info("cameras: translations shifted by %s (init.camera_shift, camera_noise)", shift)
    shifted = Cameras(R=cams.R, t=cams.t + shift, intrinsics=cams.intrinsics, is_static=False)
    return dataclasses.replace(scene, cameras=shifted)


def _pad_to_span(values: np.ndarray, start: int, num_frames: int) -> np.ndarray:
    """Place a track's (T_i, ...) values at ``start`` in a (T, ...) array, edges repeated."""
    out = np.empty((num_frames, *values.shape[1:]), dtype=np.float64)
    end = start + values.shape[0]
    out[start:end] = values
    out[:start] = values[0]
    out[end:] = values[-1]
    return out


def init_variables(
    scene: Scene,
    body: BodyModel,
    data: ProblemData,
    init: InitConfig,
    alpha: float,
    vposer: VPoser | None = None,
) -> Variables:
    """World initialisation from the per-frame camera-frame SMPL estimates.

    Each track is carried into the world with ``world_init.track_to_world`` at scale ``alpha``
    (root rotated about the pelvis, the j0 terms); frames inside a track without an estimate were
    interpolated when the track was built. With ``init.betas = "zero"`` the shape starts at 0 and
    the translation is corrected so that the pelvis stays where the estimate put it; with
    ``"discard"`` (the original) the estimate is read as a β = 0 body.

    Args:
        scene: the scene.
        body: body model.
        data: the batched observations (:func:`batch_scene`).
        init: initialisation settings.
        alpha: the starting world scale.
        vposer: with a VPoser the first 21 body rotations become latents, the encoder means of
            the estimates (the original's ``pose2latent``, base_scene.py:94-96).

    Returns:
        :class:`Variables` (leaf tensors, no gradient yet).
    """
    dtype, device = data.keypoints.dtype, data.keypoints.device
    num_frames = data.num_frames
    k = data.ref_body_pose.shape[2]
    roots, trans, poses, betas = [], [], [], []
    for track_id in data.track_ids:
        track = scene.track(track_id)
        if init.betas == "discard":
            track = dataclasses.replace(track, betas=np.zeros_like(track.betas))
        person = track_to_world(track, scene, body, alpha=alpha)
        start = track.start - data.frame0
        b = np.zeros(body.num_betas)
        n = min(body.num_betas, person.betas.shape[0])
        b[:n] = person.betas[:n]
        with torch.no_grad():
            j0_est = body.joint_template(torch.as_tensor(b, dtype=body.joint_template0.dtype))[0]
        pelvis = person.transl + j0_est.double().cpu().numpy()
        if init.betas in ("zero", "discard"):
            b = np.zeros(body.num_betas)
        with torch.no_grad():
            j0 = body.joint_template(torch.as_tensor(b, dtype=body.joint_template0.dtype))[0]
        j0 = j0.double().cpu().numpy()
        if init.trans_frame == "world":
            value = pelvis - j0
        else:
            R = scene.cameras.R[track.frames]
            tt = scene.cameras.t[track.frames]
            value = np.einsum("tij,tj->ti", R, pelvis) + alpha * tt
        roots.append(_pad_to_span(person.global_orient, start, num_frames))
        trans.append(_pad_to_span(value, start, num_frames))
        poses.append(_pad_to_span(person.body_pose[:, :k], start, num_frames))
        betas.append(b)

    def t(x: list[np.ndarray]) -> Tensor:
        return torch.as_tensor(np.stack(x), dtype=dtype, device=device)

    body_pose = t(poses)
    latent = None
    if vposer is not None:
        with torch.no_grad():
            vp = vposer.to(device=device, dtype=dtype)
            latent = vp.encode_mean(body_pose[:, :, :NUM_POSE_JOINTS]).detach().clone()
    return Variables(
        root_orient=t(roots),
        trans=t(trans),
        body_pose=body_pose,
        betas=t(betas),
        log_alpha=alpha_variable(alpha, init.alpha_space, dtype, device),
        trans_frame=init.trans_frame,
        latent_pose=latent,
        alpha_space=init.alpha_space,
    )


def world_pelvis_parts(
    variables: Variables, data: ProblemData, pelvis_rest: Tensor
) -> tuple[Tensor, Tensor | None]:
    """The world pelvis split as ``base + α · per_alpha``.

    With ``trans_frame = "world"`` the pelvis does not depend on α (``per_alpha`` is None); with
    ``"camera"`` it is ``R_tᵀ p_t − α R_tᵀ t_t``.

    Args:
        variables: the variables.
        data: the observations (cameras).
        pelvis_rest: (B, 3) ``J(β)[0]``, the rest pelvis of each person's shape.

    Returns:
        (base (B, T, 3) metres, per_alpha (T, 3) metres per unit of α, or None).
    """
    if variables.trans_frame == "world":
        return variables.trans + pelvis_rest[:, None], None
    base = torch.einsum("tji,btj->bti", data.cam_R, variables.trans)
    per_alpha = -torch.einsum("tji,tj->ti", data.cam_R, data.cam_t)
    return base, per_alpha


def world_pelvis(variables: Variables, data: ProblemData, pelvis_rest: Tensor) -> Tensor:
    """World pelvis positions (B, T, 3), metres, at the variables' α.

    Args:
        variables: the variables.
        data: the observations (cameras).
        pelvis_rest: (B, 3) ``J(β)[0]``, the rest pelvis of each person's shape.
    """
    base, per_alpha = world_pelvis_parts(variables, data, pelvis_rest)
    return base if per_alpha is None else base + variables.alpha * per_alpha


def variables_to_people(
    variables: Variables, data: ProblemData, body: BodyModel, vposer: VPoser | None = None
) -> list[PersonMotion]:
    """World SMPL motion per track (T_i frames each) from the variables (with VPoser latents,
    the decoded body pose).

    Returns:
        one :class:`~slahmr_opt.scene.PersonMotion` per row, frames = the track's scene frames.
    """
    with torch.no_grad():
        j0 = body.joint_template(variables.betas.to(body.joint_template0.dtype))[:, 0]
        j0 = j0.to(variables.trans.dtype)
        pelvis = world_pelvis(variables, data, j0)
        transl = (pelvis - j0[:, None]).double().cpu().numpy()
    root = variables.root_orient.detach().double().cpu().numpy()
    with torch.no_grad():
        pose_t = decoded_body_pose(variables.body_pose, variables.latent_pose, vposer)
    pose = pose_t.detach().double().cpu().numpy()
    betas = variables.betas.detach().double().cpu().numpy()
    mask = data.mask.cpu().numpy()
    out = []
    for b, track_id in enumerate(data.track_ids):
        idx = np.flatnonzero(mask[b])
        full_pose = np.zeros((idx.size, 23, 3))
        full_pose[:, : pose.shape[2]] = pose[b, idx]
        out.append(
            PersonMotion(
                track_id=track_id,
                frames=idx + data.frame0,
                global_orient=root[b, idx],
                body_pose=full_pose,
                betas=betas[b],
                transl=transl[b, idx],
            )
        )
    return out
