"""The HuMoR conditional VAE with the original layer layout, and its checkpoint I/O.

Three MLPs of Linear → GroupNorm(16) → ReLU blocks (reference: humor-prior.md §1.4):

- ``encoder`` q(z | s_{t−1}, s_t): 678 → widths → 2·latent (mean, log-variance);
- ``prior_net`` p(z | s_{t−1}): 339 → widths → 2·latent;
- ``decoder``: (s_{t−1}, z) → widths → 216, with z concatenated onto the input of every Linear
  after the first.

Each MLP keeps its layers in ``net`` with the original indices (ReLUs take an index too), so the
parameter names are the original's: ``encoder.net.0.weight`` … ``decoder.net.9.bias``. Widths are
configuration: :meth:`HumorConfig.original` (1024/512, 9,725,976 parameters) loads the released
``best_model.pth``; :meth:`HumorConfig.small` is the shipped default's.

States enter the networks as raw 339-d vectors in the canonical frame of s_{t−1} (no
normalisation, as in the original).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from slahmr_opt.files import write_bytes_atomic
from slahmr_opt.priors.gmm import GaussianMixture
from slahmr_opt.priors.state import FPS, NUM_CONTACTS, OUTPUT_DIM, STATE_DIM
from slahmr_opt.reprs import short_repr
from slahmr_opt.safe_load import load_torch

__all__ = [
    "GMM_FILE",
    "WEIGHTS_FILE",
    "HumorConfig",
    "HumorPrior",
    "MLP",
    "MotionPrior",
    "Normalization",
    "default_prior_dir",
    "expected_original_shapes",
    "load_default_prior",
    "load_original_checkpoint",
    "load_original_prior",
    "load_prior",
    "load_weights",
    "original_state_dict_to_ours",
    "save_weights",
]

# Keys of the body models the qualitative checkpoint carried; never part of the CVAE.
_BODY_MODEL_PREFIXES = ("male_bm.", "female_bm.", "neutral_bm.")


@dataclass(frozen=True)
class HumorConfig:
    """Hyper-parameters of the CVAE that the weights do not store.

    Attributes:
        latent_dim: size of z (48 in the original).
        encoder_widths: hidden widths of the posterior encoder.
        prior_widths: hidden widths of the conditional prior.
        decoder_widths: hidden widths of the decoder.
        groups: GroupNorm groups (every width must be a multiple).
        fps: frame rate of the states the prior was trained on.
        normalized: standardise the network inputs and outputs with fixed per-dimension
            statistics of the training data (:class:`Normalization`). The original has none
            (False); the shipped default uses them, which a CPU-sized training run needs.
    """

    __repr__ = short_repr

    latent_dim: int = 48
    encoder_widths: tuple[int, ...] = (1024, 1024, 1024, 1024)
    prior_widths: tuple[int, ...] = (1024, 1024, 1024, 1024)
    decoder_widths: tuple[int, ...] = (1024, 1024, 512)
    groups: int = 16
    fps: float = FPS
    normalized: bool = False

    def __post_init__(self) -> None:
        if self.latent_dim < 1:
            raise ValueError(f"latent_dim: expected a positive size, got {self.latent_dim}")
        for name in ("encoder_widths", "prior_widths", "decoder_widths"):
            widths = tuple(int(w) for w in getattr(self, name))
            object.__setattr__(self, name, widths)
            if not widths or any(w < 1 or w % self.groups for w in widths):
                raise ValueError(
                    f"{name}: expected positive multiples of groups={self.groups}, got {widths}"
                )

    @classmethod
    def original(cls) -> HumorConfig:
        """The released HuMoR model (``checkpoints/humor/best_model.pth``)."""
        return cls()

    @classmethod
    def small(cls) -> HumorConfig:
        """The shipped default's widths (encoder and prior 4×256, decoder 256/256/128), with
        input and output standardisation."""
        return cls(
            encoder_widths=(256,) * 4,
            prior_widths=(256,) * 4,
            decoder_widths=(256, 256, 128),
            normalized=True,
        )

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HumorConfig:
        known = {f for f in cls.__dataclass_fields__}
        extra = set(data) - known
        if extra:
            raise ValueError(f"HumorConfig: unknown fields {sorted(extra)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


@dataclass
class Normalization:
    """Fixed standardisation of a prior's network inputs and outputs (not in the original).

    Networks see ``(s − input_mean) / input_scale`` for every state vector, and the decoder's raw
    output ``y`` becomes ``y · output_scale + output_mean``. z is not scaled.

    Attributes:
        input_mean, input_scale: (339,) statistics of canonical states.
        output_mean, output_scale: (216,) statistics of the decoder targets (residuals, contacts).
    """

    __repr__ = short_repr

    input_mean: Tensor
    input_scale: Tensor
    output_mean: Tensor
    output_scale: Tensor

    def __post_init__(self) -> None:
        for name, dim in (
            ("input_mean", STATE_DIM),
            ("input_scale", STATE_DIM),
            ("output_mean", OUTPUT_DIM),
            ("output_scale", OUTPUT_DIM),
        ):
            value = torch.as_tensor(getattr(self, name), dtype=torch.float32)
            if value.shape != (dim,) or not torch.isfinite(value).all():
                raise ValueError(
                    f"{name}: expected ({dim},) finite values, got {tuple(value.shape)}"
                )
            if name.endswith("scale") and (value <= 0).any():
                raise ValueError(f"{name}: expected positive scales")
            setattr(self, name, value)

    @classmethod
    def identity(cls) -> Normalization:
        return cls(
            torch.zeros(STATE_DIM),
            torch.ones(STATE_DIM),
            torch.zeros(OUTPUT_DIM),
            torch.ones(OUTPUT_DIM),
        )

    def to_dict(self) -> dict[str, Tensor]:
        return {k: getattr(self, k).clone() for k in self.__dataclass_fields__}


class MLP(nn.Module):
    """``[Linear(in, h1)]`` then ``[GroupNorm, ReLU, Linear(h_k + skip, h_{k+1})]`` per layer.

    With ``skip > 0`` the last ``skip`` input features are concatenated onto the input of every
    Linear after the first (the decoder's z skip).
    """

    def __init__(
        self, in_dim: int, widths: Sequence[int], out_dim: int, groups: int, skip: int = 0
    ) -> None:
        super().__init__()
        self.skip = skip
        dims = [in_dim, *widths, out_dim]
        layers: list[nn.Module] = [nn.Linear(dims[0], dims[1])]
        for k in range(1, len(dims) - 1):
            layers += [
                nn.GroupNorm(groups, dims[k]),
                nn.ReLU(),
                nn.Linear(dims[k] + skip, dims[k + 1]),
            ]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """(N, in_dim) → (N, out_dim)."""
        extra = x[:, x.shape[1] - self.skip :] if self.skip else None
        h = self.net[0](x)
        for k in range(1, len(self.net), 3):
            h = self.net[k + 1](self.net[k](h))
            if extra is not None:
                h = torch.cat([h, extra], dim=1)
            h = self.net[k + 2](h)
        return h


def _flat(x: Tensor) -> tuple[Tensor, torch.Size]:
    return x.reshape(-1, x.shape[-1]), x.shape[:-1]


class HumorPrior(nn.Module):
    """The HuMoR CVAE. All methods take canonical state vectors with any leading shape.

    Attributes:
        config: the :class:`HumorConfig`.
    """

    def __init__(self, config: HumorConfig | None = None) -> None:
        super().__init__()
        self.config = config or HumorConfig.original()
        c = self.config
        self.encoder = MLP(2 * STATE_DIM, c.encoder_widths, 2 * c.latent_dim, c.groups)
        self.prior_net = MLP(STATE_DIM, c.prior_widths, 2 * c.latent_dim, c.groups)
        self.decoder = MLP(
            STATE_DIM + c.latent_dim, c.decoder_widths, OUTPUT_DIM, c.groups, skip=c.latent_dim
        )
        for name, dim, fill in (
            ("input_mean", STATE_DIM, 0.0),
            ("input_scale", STATE_DIM, 1.0),
            ("output_mean", OUTPUT_DIM, 0.0),
            ("output_scale", OUTPUT_DIM, 1.0),
        ):
            self.register_buffer(name, torch.full((dim,), fill), persistent=False)

    def set_normalization(self, norm: Normalization) -> None:
        """Install input/output statistics (used only when ``config.normalized``). They are
        buffers outside the state dict, so the original key set stays exact."""
        dtype = next(self.parameters()).dtype
        if dtype not in (torch.float32, torch.float64):
            dtype = torch.float32
        for name, value in norm.to_dict().items():
            self.register_buffer(name, value.to(dtype), persistent=False)

    def normalization(self) -> Normalization:
        """The installed statistics (identity unless set)."""
        return Normalization(
            self.input_mean.float(),
            self.input_scale.float(),
            self.output_mean.float(),
            self.output_scale.float(),
        )

    def _input(self, state: Tensor) -> Tensor:
        if not self.config.normalized:
            return state
        return (state - self.input_mean) / self.input_scale

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @property
    def fps(self) -> float:
        return self.config.fps

    def _gaussian(self, net: MLP, x: Tensor) -> tuple[Tensor, Tensor]:
        flat, lead = _flat(x)
        out = net(flat).reshape(*lead, -1)
        mean, logvar = out.split(self.latent_dim, dim=-1)
        return mean, logvar

    def prior(self, prev: Tensor) -> tuple[Tensor, Tensor]:
        """Conditional prior p(z | s_{t−1}).

        Args:
            prev: (..., 339) s_{t−1} in its own canonical frame.

        Returns:
            (mean (..., L), log-variance (..., L)).
        """
        return self._gaussian(self.prior_net, self._input(prev))

    def posterior(self, prev: Tensor, nxt: Tensor) -> tuple[Tensor, Tensor]:
        """Posterior q(z | s_{t−1}, s_t).

        Args:
            prev: (..., 339) s_{t−1} in its own canonical frame.
            nxt: (..., 339) s_t in the same frame.

        Returns:
            (mean (..., L), log-variance (..., L)).
        """
        return self._gaussian(self.encoder, torch.cat([self._input(prev), self._input(nxt)], -1))

    def decode(self, prev: Tensor, z: Tensor) -> Tensor:
        """Decoder output: residuals of s_t and contact logits.

        Args:
            prev: (..., 339) s_{t−1} in its own canonical frame.
            z: (..., L) latent.

        Returns:
            (..., 216) laid out as :data:`~slahmr_opt.priors.state.OUTPUT_SLICES`.
        """
        flat, lead = _flat(torch.cat([self._input(prev), z], dim=-1))
        out = self.decoder(flat).reshape(*lead, OUTPUT_DIM)
        if self.config.normalized:
            out = out * self.output_scale + self.output_mean
        return out

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"latent={c.latent_dim}, encoder={c.encoder_widths}, prior={c.prior_widths}, "
            f"decoder={c.decoder_widths}, contacts={NUM_CONTACTS}, fps={c.fps:g}, "
            f"normalized={c.normalized}"
        )


# ----------------------------------------------------------------------------- original checkpoint
def _mlp_shapes(prefix: str, in_dim: int, widths: Sequence[int], out_dim: int, skip: int):
    dims = [in_dim, *widths, out_dim]
    shapes = {
        f"{prefix}.net.0.weight": (dims[1], dims[0]),
        f"{prefix}.net.0.bias": (dims[1],),
    }
    for k in range(1, len(dims) - 1):
        norm, linear = 3 * k - 2, 3 * k
        shapes[f"{prefix}.net.{norm}.weight"] = (dims[k],)
        shapes[f"{prefix}.net.{norm}.bias"] = (dims[k],)
        shapes[f"{prefix}.net.{linear}.weight"] = (dims[k + 1], dims[k] + skip)
        shapes[f"{prefix}.net.{linear}.bias"] = (dims[k + 1],)
    return shapes


def expected_original_shapes(config: HumorConfig | None = None) -> dict[str, tuple[int, ...]]:
    """Every key of the original ``model`` state dict and its shape, for ``config`` widths.

    The original names the layers ``{encoder,prior_net,decoder}.net.{i}.{weight,bias}`` with i
    counting Linear, GroupNorm and ReLU modules (reference §2).
    """
    c = config or HumorConfig.original()
    two_l = 2 * c.latent_dim
    return {
        **_mlp_shapes("encoder", 2 * STATE_DIM, c.encoder_widths, two_l, 0),
        **_mlp_shapes("prior_net", STATE_DIM, c.prior_widths, two_l, 0),
        **_mlp_shapes(
            "decoder", STATE_DIM + c.latent_dim, c.decoder_widths, OUTPUT_DIM, c.latent_dim
        ),
    }


def _original_to_our_name(key: str) -> str:
    """Explicit name map, original → ours. The module tree keeps the original names, so each
    key maps to itself; the map exists so that a layout change is made in one place."""
    net, _, rest = key.partition(".")
    if net not in ("encoder", "prior_net", "decoder") or not rest.startswith("net."):
        raise KeyError(key)
    return f"{net}.{rest}"


def original_state_dict_to_ours(
    state_dict: Mapping[str, Tensor], config: HumorConfig | None = None
) -> dict[str, Tensor]:
    """Check an original ``model`` state dict strictly and rename it to this module's keys.

    Strips a ``module.`` prefix (DataParallel), drops body-model keys (``male_bm.`` …), then
    requires exactly the keys of :func:`expected_original_shapes` with exactly those shapes.

    Raises:
        ValueError: naming the missing, unexpected or mis-shaped keys (a 6d-rotation or
            other-latent variant fails here).
    """
    config = config or HumorConfig.original()
    cleaned: dict[str, Tensor] = {}
    for key, value in state_dict.items():
        key = key.removeprefix("module.")
        if key.startswith(_BODY_MODEL_PREFIXES):
            continue
        cleaned[key] = value
    expected = expected_original_shapes(config)
    missing = sorted(set(expected) - set(cleaned))
    unexpected = sorted(set(cleaned) - set(expected))
    problems = []
    if missing:
        problems.append(f"missing keys {missing[:6]}{' …' if len(missing) > 6 else ''}")
    if unexpected:
        problems.append(f"unexpected keys {unexpected[:6]}{' …' if len(unexpected) > 6 else ''}")
    for key in sorted(set(expected) & set(cleaned)):
        value = cleaned[key]
        shape = tuple(value.shape) if isinstance(value, Tensor) else None
        if shape != expected[key]:
            problems.append(f"{key} has shape {shape}, expected {expected[key]}")
    if problems:
        raise ValueError(
            "not a HuMoR checkpoint of the expected layout (rotation matrices in, axis-angle "
            f"out, latent {config.latent_dim}, widths {config.encoder_widths}/"
            f"{config.decoder_widths}): " + "; ".join(problems)
        )
    return {_original_to_our_name(k): v for k, v in cleaned.items()}


def load_original_checkpoint(
    path: str | os.PathLike, *, dtype: torch.dtype = torch.float32
) -> HumorPrior:
    """Load the released ``best_model.pth`` into a :class:`HumorPrior` at the original widths.

    The file is read with ``weights_only=True`` (:func:`slahmr_opt.safe_load.load_torch`:
    tensors, containers and numpy arrays only), so no code from it runs.

    Args:
        path: the checkpoint (a dict with ``model``, ``optim``, ``epoch``, ...).
        dtype: float dtype of the returned model.

    Raises:
        FileNotFoundError: no such file.
        InputError: not a torch file, truncated, or it refers to code (UnsafeFileError).
        ValueError: the file has no ``model`` entry or another layout (see
            :func:`original_state_dict_to_ours`).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file")
    ckpt = load_torch(path, "HuMoR checkpoint")
    if not isinstance(ckpt, Mapping) or "model" not in ckpt:
        keys = sorted(ckpt)[:8] if isinstance(ckpt, Mapping) else type(ckpt).__name__
        raise ValueError(f"{path}: expected a dict with a 'model' state dict, got {keys}")
    config = HumorConfig.original()
    return _model_from_state(config, original_state_dict_to_ours(ckpt["model"], config), dtype)


def _model_from_state(
    config: HumorConfig,
    state: Mapping[str, Tensor],
    dtype: torch.dtype,
    norm: Normalization | None = None,
) -> HumorPrior:
    """Build the module without a random initialisation and take the given tensors."""
    with torch.device("meta"):
        model = HumorPrior(config)
    model.load_state_dict({k: v.to(dtype) for k, v in state.items()}, strict=True, assign=True)
    model.set_normalization(norm or Normalization.identity())
    return model.eval()


# ----------------------------------------------------------------------------- our weights
def save_weights(
    model: HumorPrior, path: str | os.PathLike, meta: Mapping[str, Any] | None = None
) -> Path:
    """Write ``model``'s weights (float32) and config to ``path`` atomically.

    The file is a plain dict ``{"config": ..., "model": state_dict, "meta": ...}`` that
    ``torch.load(weights_only=True)`` reads; ``model`` uses the original key names.
    """
    buf = io.BytesIO()
    payload = {
        "config": json.dumps(model.config.to_dict()),
        "model": {k: v.detach().to("cpu", torch.float32) for k, v in model.state_dict().items()},
        "meta": json.dumps(dict(meta or {})),
        "normalization": model.normalization().to_dict(),
    }
    torch.save(payload, buf)
    return write_bytes_atomic(path, buf.getvalue())


def load_weights(
    path: str | os.PathLike, dtype: torch.dtype = torch.float32
) -> tuple[HumorPrior, dict[str, Any]]:
    """Read a file written by :func:`save_weights`.

    Returns:
        (model in eval mode, meta dict).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such weights file")
    payload = load_torch(path, "motion prior weights")
    if not isinstance(payload, Mapping) or not {"config", "model"} <= set(payload):
        raise ValueError(f"{path}: expected a dict with 'config' and 'model' (save_weights)")
    config = HumorConfig.from_dict(json.loads(payload["config"]))
    state = original_state_dict_to_ours(payload["model"], config)
    meta = json.loads(payload.get("meta", "{}"))
    norm = payload.get("normalization")
    if config.normalized and norm is None:
        raise ValueError(f"{path}: the config says normalized but the file has no statistics")
    norm = Normalization(**norm) if norm is not None else None
    return _model_from_state(config, state, dtype, norm), meta


# ----------------------------------------------------------------------------- prior folders
WEIGHTS_FILE = "humor_prior.pt"
GMM_FILE = "prior_gmm.npz"


@dataclass
class MotionPrior:
    """A motion prior ready to use: the CVAE and its initial-state GMM.

    Attributes:
        model: the CVAE (eval mode).
        gmm: the initial-state mixture, or None when none was given.
        source: where it came from (folder or file).
        meta: what the weights file says about its training.
    """

    __repr__ = short_repr

    model: HumorPrior
    gmm: GaussianMixture | None
    source: str
    meta: dict[str, Any]

    @property
    def fps(self) -> float:
        return self.model.fps


def default_prior_dir() -> Path:
    """The folder of the shipped default prior (``priors/`` at the repository root), or the
    folder named by the ``SLAHMR_OPT_PRIOR`` environment variable."""
    env = os.environ.get("SLAHMR_OPT_PRIOR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "priors"


def load_prior(
    path: str | os.PathLike | None = None, dtype: torch.dtype = torch.float32
) -> MotionPrior:
    """Load a motion prior.

    Args:
        path: None for the shipped default; a prior folder (``humor_prior.pt`` and
            ``prior_gmm.npz``, as written by training); a weights file written by
            :func:`save_weights`; or an original ``best_model.pth`` (original widths; pair it with
            its GMM through :func:`load_original_prior`).
        dtype: float dtype of the model.

    Raises:
        FileNotFoundError: nothing at ``path`` (or no shipped default).
        ValueError: a file of another layout.
    """
    path = default_prior_dir() if path is None else Path(path)
    if path.is_dir():
        weights = path / WEIGHTS_FILE
        if not weights.is_file():
            raise FileNotFoundError(
                f"{path}: no {WEIGHTS_FILE} in this folder (train one with `slahmr-opt "
                "train-prior --out DIR`, or load an original best_model.pth with "
                "load_original_prior)"
            )
        model, meta = load_weights(weights, dtype)
        gmm_path = path / GMM_FILE
        gmm = GaussianMixture.load(gmm_path) if gmm_path.is_file() else None
        return MotionPrior(model, gmm, str(path), meta)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such prior folder or file")
    payload = load_torch(path, "motion prior")
    if isinstance(payload, Mapping) and "config" in payload:
        model, meta = load_weights(path, dtype)
        return MotionPrior(model, None, str(path), meta)
    return load_original_prior(path, dtype=dtype)


def load_default_prior(dtype: torch.dtype = torch.float32) -> MotionPrior:
    """The shipped default prior (trained on procedural motion; see ``priors/MODEL_CARD.md``)."""
    return load_prior(None, dtype)


def load_original_prior(
    checkpoint: str | os.PathLike,
    gmm: str | os.PathLike | None = None,
    *,
    dtype: torch.dtype = torch.float32,
) -> MotionPrior:
    """The released HuMoR prior: ``best_model.pth`` and optionally ``prior_gmm.npz``.

    Both are checked strictly (:func:`load_original_checkpoint`, :meth:`GaussianMixture.load`).
    The original expects joints of SMPL-H with 16 betas (neutral model for fitting).
    """
    model = load_original_checkpoint(checkpoint, dtype=dtype)
    mixture = GaussianMixture.load(gmm) if gmm is not None else None
    meta = {"trained_on": "AMASS (original HuMoR release)", "checkpoint": str(checkpoint)}
    return MotionPrior(model, mixture, str(checkpoint), meta)
