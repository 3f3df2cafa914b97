"""VPoser, the original's pose prior (licensed: the user passes their own checkpoint).

SLAHMR parameterises every body pose by a VPoser latent ``z`` (D = 32): the pose is the decoder's
output, the pose prior is ``Σ‖z‖²`` in pass 2 and, in pass 3, ``Σ‖μ_enc(pose)‖²`` of every
rolled-out pose (docs/solver.md, "VPoser"). This module holds the two published networks and a
safe, strict loader; nothing is downloaded or shipped.

=========== ========================================= =======================================
version     files (an experiment folder)              network
=========== ========================================= =======================================
``v1``      ``*.ini`` + ``snapshots/*.pt``            human_body_prior ``cvpr19`` branch,
            (``vposer_v1_0``, what SLAHMR loads)      ``train/vposer_smpl.py:65-121``
``v2``      ``*.yaml`` + ``snapshots/*.ckpt``         human_body_prior ``models/
            (``V02_05``, a Lightning checkpoint)      vposer_model.py:59-106``
=========== ========================================= =======================================

Both encode the 21 body rotations as axis-angle (63 numbers) and decode ``z`` through a
"continuous 6-D" head to rotation matrices. Weights are read with ``torch.load(weights_only=True)``
only; the experiment folder's own ``vposer_smpl.py`` (which the original imports and runs) is never
executed. Every tensor of the network must be in the file with the right shape.
"""

from __future__ import annotations

import ast
import configparser
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from slahmr_opt.errors import InputError, UnsafeFileError
from slahmr_opt.safe_load import load_torch

log = logging.getLogger(__name__)

__all__ = [
    "NUM_POSE_JOINTS",
    "VPoser",
    "load_vposer",
    "six_d_to_rotmat",
    "vposer_expected_shapes",
]

NUM_POSE_JOINTS = 21
"""Body joints VPoser models (SMPL joints 1–21)."""

# Our layer names → the checkpoint's names, per version. v1: vposer_smpl.py:75-89 (cvpr19);
# v2: vposer_model.py:68-88 (encoder_net / decoder_net nn.Sequential indices).
_KEYS = {
    "v1": {
        "enc_bn_in": "bodyprior_enc_bn1",
        "enc_fc1": "bodyprior_enc_fc1",
        "enc_bn1": "bodyprior_enc_bn2",
        "enc_fc2": "bodyprior_enc_fc2",
        "enc_mu": "bodyprior_enc_mu",
        "enc_logvar": "bodyprior_enc_logvar",
        "dec_fc1": "bodyprior_dec_fc1",
        "dec_fc2": "bodyprior_dec_fc2",
        "dec_out": "bodyprior_dec_out",
    },
    "v2": {
        "enc_bn_in": "encoder_net.1",
        "enc_fc1": "encoder_net.2",
        "enc_bn1": "encoder_net.4",
        "enc_fc2": "encoder_net.6",
        "enc_fc3": "encoder_net.7",
        "enc_mu": "encoder_net.8.mu",
        "enc_logvar": "encoder_net.8.logvar",
        "dec_fc1": "decoder_net.0",
        "dec_fc2": "decoder_net.3",
        "dec_out": "decoder_net.5",
    },
}
_LEAKY_SLOPE = {"v1": 0.2, "v2": 0.01}  # F.leaky_relu(.., .2) in v1; nn.LeakyReLU() in v2
V2_PREFIX = "vp_model."
"""Prefix of the VPoser tensors in a V02_05 Lightning checkpoint (the trainer's ``vp_model``
attribute, vposer_trainer.py:87; human_body_prior's loader strips it, model_loader.py:81-83)."""


def six_d_to_rotmat(x: Tensor) -> Tensor:
    """VPoser's continuous rotation head: (..., 6) → (..., 3, 3).

    The 6 numbers are read as a 3×2 matrix ``[a1 a2]`` (row-major); the rotation's columns are
    ``b1 = a1/‖a1‖``, ``b2`` = the unit part of ``a2`` orthogonal to ``b1``, ``b3 = b1 × b2``.
    """
    m = x.reshape(*x.shape[:-1], 3, 2)
    b1 = F.normalize(m[..., 0], dim=-1)
    a2 = m[..., 1]
    b2 = F.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1)
    b3 = torch.linalg.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


class VPoser(nn.Module):
    """VPoser v1 or v2 (same interface; the layer stacks differ as published).

    Args:
        version: ``"v1"`` or ``"v2"``.
        num_neurons: hidden width (512 in both releases).
        latent_dim: D (32 in both releases).

    Attributes:
        version, num_neurons, latent_dim, source (where the weights came from).
    """

    def __init__(self, version: str = "v1", num_neurons: int = 512, latent_dim: int = 32) -> None:
        super().__init__()
        if version not in _KEYS:
            raise ValueError(f"version must be one of {sorted(_KEYS)}, got {version!r}")
        self.version = version
        self.num_neurons = int(num_neurons)
        self.latent_dim = int(latent_dim)
        self.source = "<random>"
        n_in, n, d = NUM_POSE_JOINTS * 3, self.num_neurons, self.latent_dim
        self.enc_bn_in = nn.BatchNorm1d(n_in)
        self.enc_fc1 = nn.Linear(n_in, n)
        self.enc_bn1 = nn.BatchNorm1d(n)
        self.enc_fc2 = nn.Linear(n, n)
        if version == "v2":
            self.enc_fc3 = nn.Linear(n, n)
        self.enc_mu = nn.Linear(n, d)
        self.enc_logvar = nn.Linear(n, d)
        self.dec_fc1 = nn.Linear(d, n)
        self.dec_fc2 = nn.Linear(n, n)
        self.dec_out = nn.Linear(n, NUM_POSE_JOINTS * 6)
        for p in self.parameters():  # a fixed prior: no weight gradients are ever needed
            p.requires_grad_(False)
        self.eval()

    def _act(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, _LEAKY_SLOPE[self.version])

    def _encoder_features(self, pose: Tensor) -> Tensor:
        lead = pose.shape[:-2]
        x = pose.reshape(-1, NUM_POSE_JOINTS * 3)
        x = self.enc_bn1(self._act(self.enc_fc1(self.enc_bn_in(x))))
        x = self.enc_fc2(x)  # dropout: identity in eval mode
        x = self._act(x) if self.version == "v1" else self.enc_fc3(x)
        return x.reshape(*lead, -1)

    def encode_mean(self, pose: Tensor) -> Tensor:
        """Mean of q(z | pose), the original's ``pose2latent`` (base_scene.py:172-183).

        Args:
            pose: (..., 21, 3) body rotations, axis-angle.

        Returns:
            (..., D).
        """
        if pose.shape[-2:] != (NUM_POSE_JOINTS, 3):
            raise ValueError(f"pose must have shape (..., 21, 3), got {tuple(pose.shape)}")
        return self.enc_mu(self._encoder_features(pose))

    def encode(self, pose: Tensor) -> tuple[Tensor, Tensor]:
        """q(z | pose): (mean (..., D), scale (..., D)); the scale is softplus of the second head
        (vposer_smpl.py:105 / vposer_model.py:56)."""
        h = self._encoder_features(pose)
        return self.enc_mu(h), F.softplus(self.enc_logvar(h))

    def decode_rotmat(self, z: Tensor) -> Tensor:
        """The decoded pose, the original's ``latent2pose`` before its axis-angle conversion.

        Args:
            z: (..., D).

        Returns:
            (..., 21, 3, 3) rotation matrices.
        """
        if z.shape[-1] != self.latent_dim:
            raise ValueError(f"z must have shape (..., {self.latent_dim}), got {tuple(z.shape)}")
        lead = z.shape[:-1]
        h = self._act(self.dec_fc2(self._act(self.dec_fc1(z.reshape(-1, self.latent_dim)))))
        out = self.dec_out(h).reshape(*lead, NUM_POSE_JOINTS, 6)
        return six_d_to_rotmat(out)

    def train(self, mode: bool = True) -> VPoser:
        """Always in evaluation mode (batch-norm running statistics, no dropout), as the
        original uses it (loaders.py:121)."""
        return super().train(False)

    def checkpoint_keys(self) -> dict[str, str]:
        """Our state-dict key → the published checkpoint's key (without the v2 prefix)."""
        out = {}
        for ours, theirs in _KEYS[self.version].items():
            for name, _ in getattr(self, ours).state_dict().items():
                out[f"{ours}.{name}"] = f"{theirs}.{name}"
        return out

    def extra_repr(self) -> str:
        return (
            f"version={self.version}, neurons={self.num_neurons}, latent={self.latent_dim}, "
            f"source={self.source}"
        )


def vposer_expected_shapes(
    version: str, num_neurons: int = 512, latent_dim: int = 32
) -> dict[str, tuple[int, ...]]:
    """Checkpoint key → tensor shape of a published VPoser (v2 keys without ``vp_model.``)."""
    with torch.device("meta"):
        model = VPoser(version, num_neurons, latent_dim)
    ours = model.state_dict()
    return {theirs: tuple(ours[k].shape) for k, theirs in model.checkpoint_keys().items()}


# ----------------------------------------------------------------------------- loading
def _latest(files: list[Path]) -> Path:
    """The newest file, as the original picks its snapshot (loaders.py:72-74: by mtime)."""
    return max(files, key=lambda p: (p.stat().st_mtime, p.name))


def _locate(path: Path) -> tuple[str, Path, Path | None]:
    """(version, weights file, settings file or None) for a folder or a weights file."""
    if path.is_file():
        weights = path
        folder = path.parent.parent if path.parent.name == "snapshots" else path.parent
    elif path.is_dir():
        folder = path
        snaps = path / "snapshots"
        pts = sorted(snaps.glob("*.pt")) if snaps.is_dir() else []
        ckpts = sorted(snaps.glob("*.ckpt")) if snaps.is_dir() else []
        if not pts and not ckpts:
            raise InputError(
                f"{path}: no VPoser weights: expected snapshots/*.pt (VPoser v1.0, the folder "
                "vposer_v1_0 that SLAHMR uses) or snapshots/*.ckpt (VPoser V02_05)"
            )
        if pts and ckpts:
            raise InputError(
                f"{path}: snapshots/ holds both .pt and .ckpt files; pass the one to use"
            )
        weights = _latest(pts or ckpts)
    else:
        raise InputError(f"{path}: no such VPoser folder or file")
    if weights.suffix == ".pt":
        version, pattern = "v1", "*.ini"
    elif weights.suffix == ".ckpt":
        version, pattern = "v2", "*.yaml"
    else:
        raise InputError(
            f"{weights}: expected a VPoser v1 snapshot (.pt) or a V02_05 checkpoint (.ckpt)"
        )
    settings = sorted(folder.glob(pattern))
    return version, weights, settings[0] if settings else None


def _read_v1_settings(path: Path) -> dict[str, object]:
    """``num_neurons``, ``latentD``, ``data_shape`` from a Configer ``.ini`` (``[All]`` then
    ``key : value`` lines, configer.py:80-91; values are Python literals)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive (latentD)
    try:
        parser.read(path)
    except configparser.Error as err:
        raise InputError(f"{path}: not a readable VPoser settings file ({err})") from err
    values: dict[str, str] = {}
    for section in parser.sections():
        values.update(parser.items(section))
    out: dict[str, object] = {}
    for key in ("num_neurons", "latentD", "data_shape"):
        if key in values:
            try:
                out[key] = ast.literal_eval(values[key].strip())
            except (ValueError, SyntaxError) as err:
                raise InputError(f"{path}: {key} = {values[key]!r} is not a literal") from err
    return out


def _read_v2_settings(path: Path) -> dict[str, object]:
    """``num_neurons`` and ``latentD`` of the ``model_params:`` block of a V02_05 ``.yaml``
    (V02_05.yaml: ``model_params:`` followed by indented ``key: int`` lines)."""
    out: dict[str, object] = {}
    inside = False
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            inside = line.split("#")[0].strip() == "model_params:"
            continue
        m = re.fullmatch(r"\s+(num_neurons|latentD)\s*:\s*(\d+)\s*(#.*)?", line)
        if inside and m:
            out[m.group(1)] = int(m.group(2))
    return out


def _inert_stub(qualified: str) -> type:
    """A do-nothing stand-in for a class named in a checkpoint (a Lightning callback type used as
    a dict key, a hyper-parameter dict subclass): creating one gives an empty plain dict, so the
    weights-only unpickler can read past what is not a tensor without importing or running
    anything."""

    def __new__(cls: type, *args: object, **kwargs: object) -> dict:
        return {}

    return type(qualified.rsplit(".", 1)[-1], (), {"__new__": __new__})


def _load_tensors(path: Path) -> object:
    """``safe_load.load_torch`` (``weights_only=True``). A Lightning checkpoint also names
    classes besides tensors (callback types, hyper-parameter dicts): for a ``.ckpt`` refused for
    that, the read is repeated, still with ``weights_only=True``, with those names bound to inert
    stubs, so that nothing is imported or run."""
    try:
        return load_torch(path, "VPoser checkpoint")
    except UnsafeFileError:
        getter = getattr(torch.serialization, "get_unsafe_globals_in_checkpoint", None)
        if getter is None or path.suffix != ".ckpt":
            raise
    try:
        names = getter(path)
        stubs = [(_inert_stub(n), n) for n in names]
        with torch.serialization.safe_globals(stubs):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise UnsafeFileError(
            f"{path}: the safe loader (weights_only=True) could not read this Lightning "
            f"checkpoint ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
        ) from None


def _check_settings(
    settings: Path | None, values: Mapping[str, object], neurons: int, latent: int
) -> None:
    if settings is None:
        log.info("VPoser: no settings file next to the weights; sizes read from the tensors")
        return
    expect = {"num_neurons": neurons, "latentD": latent}
    for key, value in expect.items():
        if key in values and values[key] != value:
            raise InputError(
                f"{settings}: {key} = {values[key]!r} but the weights have {key} = {value}"
            )
    shape = values.get("data_shape")
    if shape is not None and list(shape) != [1, NUM_POSE_JOINTS, 3]:  # type: ignore[arg-type]
        raise InputError(f"{settings}: data_shape = {shape!r}, VPoser here needs [1, 21, 3]")


def _state_dict_of(version: str, raw: object, path: Path) -> dict[str, Tensor]:
    if version == "v1":
        if not isinstance(raw, Mapping) or not all(isinstance(v, Tensor) for v in raw.values()):
            raise InputError(
                f"{path}: expected a VPoser v1 state dict (name → tensor, as vposer_smpl.py:376 "
                f"saves it), got {type(raw).__name__}"
            )
        return dict(raw)
    if not isinstance(raw, Mapping) or not isinstance(raw.get("state_dict"), Mapping):
        raise InputError(
            f"{path}: expected a Lightning checkpoint with a 'state_dict' entry "
            f"(VPoser V02_05), got {sorted(raw)[:8] if isinstance(raw, Mapping) else type(raw)}"
        )
    sd = raw["state_dict"]
    inner = {k[len(V2_PREFIX) :]: v for k, v in sd.items() if k.startswith(V2_PREFIX)}
    if not inner:
        raise InputError(f"{path}: no '{V2_PREFIX}*' tensors in state_dict (VPoser V02_05)")
    return inner


def load_vposer(path: str | os.PathLike, dtype: torch.dtype = torch.float32) -> VPoser:
    """Load the user's VPoser, strictly and safely.

    Args:
        path: the experiment folder (``vposer_v1_0`` with ``*.ini`` and ``snapshots/*.pt``, or
            ``V02_05`` with ``*.yaml`` and ``snapshots/*.ckpt``; the newest snapshot is used, as
            the original does) or one weights file.
        dtype: float dtype of the returned network.

    Raises:
        InputError: no such path, no weights, missing or unexpected tensors,
            wrong shapes, or settings that contradict the weights (the message names the file
            and the keys); ``UnsafeFileError`` (an InputError) for a file that refers to code.
    """
    path = Path(path)
    version, weights, settings = _locate(path)
    state = _state_dict_of(version, _load_tensors(weights), weights)
    values = {}
    if settings is not None:
        values = _read_v1_settings(settings) if version == "v1" else _read_v2_settings(settings)
    mu = state.get("bodyprior_enc_mu.weight" if version == "v1" else "encoder_net.8.mu.weight")
    if not isinstance(mu, Tensor) or mu.ndim != 2:
        raise InputError(f"{weights}: no encoder mean layer ({version}); not a VPoser {version}")
    latent, neurons = int(mu.shape[0]), int(mu.shape[1])
    _check_settings(settings, values, neurons, latent)
    expected = vposer_expected_shapes(version, neurons, latent)
    optional = {k for k in expected if k.endswith("num_batches_tracked")}
    missing = sorted(set(expected) - set(state) - optional)
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(
        f"{k} {tuple(state[k].shape)} (expected {expected[k]})"
        for k in set(expected) & set(state)
        if tuple(state[k].shape) != expected[k]
    )
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing {missing[:6]}{' …' if len(missing) > 6 else ''}")
        if unexpected:
            parts.append(f"unexpected {unexpected[:6]}{' …' if len(unexpected) > 6 else ''}")
        if wrong:
            parts.append(f"wrong shapes {wrong[:4]}")
        raise InputError(
            f"{weights}: not a VPoser {version} with {neurons} neurons and latent {latent}: "
            + "; ".join(parts)
        )
    with torch.device("meta"):
        model = VPoser(version, neurons, latent)
    theirs = model.checkpoint_keys()
    ours = {}
    for k, t in theirs.items():
        if t in state:
            ours[k] = state[t].to(torch.long if t.endswith("num_batches_tracked") else dtype)
        else:  # an old snapshot without the (unused) batch counter
            ours[k] = torch.zeros((), dtype=torch.long)
    model.load_state_dict(ours, strict=True, assign=True)
    for p in model.parameters():
        p.requires_grad_(False)
    model.source = str(weights)
    log.info("VPoser %s loaded from %s (latent %d, %d neurons)", version, weights, latent, neurons)
    return model.eval()
