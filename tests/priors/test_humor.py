"""The CVAE layout, the strict loader of the original checkpoint, and our weights files."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from slahmr_opt.errors import UnsafeFileError
from slahmr_opt.priors.gmm import GaussianMixture
from slahmr_opt.priors.humor import (
    HumorConfig,
    HumorPrior,
    Normalization,
    load_original_checkpoint,
    load_original_prior,
    load_prior,
    load_weights,
    original_state_dict_to_ours,
    save_weights,
)


def original_layout() -> dict[str, tuple[int, ...]]:
    """The original ``model`` state dict, written out from the reference table (humor-prior §2)
    independently of the library's own shape builder."""
    shapes: dict[str, tuple[int, ...]] = {}

    def linear(prefix, i, out, inp):
        shapes[f"{prefix}.net.{i}.weight"] = (out, inp)
        shapes[f"{prefix}.net.{i}.bias"] = (out,)

    def norm(prefix, i, c):
        shapes[f"{prefix}.net.{i}.weight"] = (c,)
        shapes[f"{prefix}.net.{i}.bias"] = (c,)

    for prefix, first in (("encoder", 678), ("prior_net", 339)):
        linear(prefix, 0, 1024, first)
        for i in (1, 4, 7, 10):
            norm(prefix, i, 1024)
        for i in (3, 6, 9):
            linear(prefix, i, 1024, 1024)
        linear(prefix, 12, 96, 1024)
    linear("decoder", 0, 1024, 387)
    norm("decoder", 1, 1024)
    linear("decoder", 3, 1024, 1072)
    norm("decoder", 4, 1024)
    linear("decoder", 6, 512, 1072)
    norm("decoder", 7, 512)
    linear("decoder", 9, 216, 560)
    return shapes


BODY_MODEL_KEYS = ("male_bm.shapedirs", "female_bm.v_template", "neutral_bm.J_regressor")


def random_original_model(seed: int = 0) -> dict[str, torch.Tensor]:
    """A random-init CVAE state dict with the original key names and shapes (no prefix)."""
    gen = torch.Generator().manual_seed(seed)
    return {k: torch.randn(shape, generator=gen) * 0.01 for k, shape in original_layout().items()}


def original_file_payload(model: dict[str, torch.Tensor]) -> dict:
    """Wrap a CVAE state dict like the released ``best_model.pth``: DataParallel's ``module.``
    prefix on every key, the body models the training module held, and the optimiser state."""
    wrapped = {f"module.{k}": v for k, v in model.items()}
    for key in BODY_MODEL_KEYS:  # dropped by the loader
        wrapped[f"module.{key}"] = torch.zeros(4, 3)
    optim = {"state": {0: {"step": torch.tensor(3.0)}}, "param_groups": [{"lr": 1e-4}]}
    return {"model": wrapped, "optim": optim, "epoch": 7, "min_val_loss": 0.5}


def random_original_checkpoint(seed: int = 0) -> dict:
    return original_file_payload(random_original_model(seed))


class NotATensor:
    """An arbitrary object: the safe unpickler must refuse a file that holds one."""

    def __init__(self, value: int) -> None:
        self.value = value


def test_original_widths_have_the_original_parameter_count_and_keys():
    model = HumorPrior(HumorConfig.original())
    assert model.num_parameters() == 9_725_976
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert ours == original_layout()


@pytest.fixture(scope="module")
def original_file(tmp_path_factory):
    """A random-init checkpoint of the original keys and shapes, saved the original's way."""
    ckpt = random_original_checkpoint()
    path = tmp_path_factory.mktemp("original") / "best_model.pth"
    torch.save(ckpt, path)
    return ckpt, path


def test_original_checkpoint_loads_strictly(original_file):
    ckpt, path = original_file
    # the test file is what the issue describes: 9,725,976 CVAE numbers plus body-model keys,
    # and plain tensors and containers that the safe unpickler accepts
    cvae = {k: v for k, v in ckpt["model"].items() if "_bm." not in k}
    assert sum(v.numel() for v in cvae.values()) == 9_725_976
    assert len(ckpt["model"]) == len(cvae) + len(BODY_MODEL_KEYS)
    torch.load(path, map_location="cpu", weights_only=True)
    model = load_original_checkpoint(path)
    assert model.config == HumorConfig.original() and not model.training
    sd = model.state_dict()
    assert set(sd) == {k.removeprefix("module.") for k in cvae}
    for key, value in cvae.items():
        assert torch.equal(sd[key.removeprefix("module.")], value), key
    # the loaded network runs: (B, 339) → (B, 48) prior, (B, 216) decoder output
    prev = torch.zeros(2, 339)
    mean, logvar = model.prior(prev)
    assert mean.shape == logvar.shape == (2, 48)
    assert model.decode(prev, mean).shape == (2, 216)


def _save_mutated(path, mutate) -> None:
    model = random_original_model()
    mutate(model)
    torch.save(original_file_payload(model), path)


def test_original_checkpoint_missing_key_is_named(tmp_path):
    path = tmp_path / "missing.pth"
    _save_mutated(path, lambda m: m.pop("prior_net.net.12.bias"))
    with pytest.raises(
        ValueError, match=r"not a HuMoR checkpoint.*missing keys \['prior_net\.net\.12\.bias'\]"
    ):
        load_original_checkpoint(path)


def test_original_checkpoint_extra_key_is_named(tmp_path):
    path = tmp_path / "extra.pth"
    _save_mutated(path, lambda m: m.__setitem__("decoder.net.12.weight", torch.zeros(216, 216)))
    with pytest.raises(ValueError, match=r"unexpected keys \['decoder\.net\.12\.weight'\]"):
        load_original_checkpoint(path)


def test_original_checkpoint_wrong_shape_names_both_shapes(tmp_path):
    # a variant with another output layout (e.g. 6d rotations) fails on the decoder's last layer
    path = tmp_path / "shape.pth"
    _save_mutated(path, lambda m: m.__setitem__("decoder.net.9.weight", torch.zeros(222, 560)))
    with pytest.raises(
        ValueError,
        match=re.escape("decoder.net.9.weight has shape (222, 560), expected (216, 560)"),
    ):
        load_original_checkpoint(path)
    # and the pure mapping function says the same without a file
    model = random_original_model()
    model["encoder.net.0.weight"] = torch.zeros(1024, 684)
    with pytest.raises(
        ValueError,
        match=re.escape("encoder.net.0.weight has shape (1024, 684), expected (1024, 678)"),
    ):
        original_state_dict_to_ours(model)


def test_checkpoints_that_refer_to_code_are_refused(tmp_path):
    payload = random_original_checkpoint()
    payload["extra"] = NotATensor(3)
    path = tmp_path / "pickled.pth"
    torch.save(payload, path)
    with pytest.raises(UnsafeFileError, match=r"refers to .*NotATensor.*not loaded") as info:
        load_original_checkpoint(path)
    assert "\n" not in str(info.value)  # one readable line
    assert "weights_only" not in str(info.value)  # no advice to load it unsafely
    with pytest.raises(UnsafeFileError):
        load_prior(path)  # the generic loader refuses it the same way


def test_files_without_a_model_entry_are_rejected(tmp_path):
    path = tmp_path / "weights_only.pth"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(ValueError, match="'model'"):
        load_original_checkpoint(path)
    with pytest.raises(FileNotFoundError):
        load_original_checkpoint(tmp_path / "missing.pth")


def test_decoder_skips_z_into_every_layer():
    torch.manual_seed(0)
    cfg = HumorConfig(
        latent_dim=4, encoder_widths=(16,), prior_widths=(16,), decoder_widths=(16, 16)
    )
    model = HumorPrior(cfg).double()
    with torch.no_grad():
        model.decoder.net[0].weight[:, 339:] = 0.0  # z no longer enters the first layer
    prev = torch.randn(3, 339, dtype=torch.float64)
    z1, z2 = torch.zeros(3, 4, dtype=torch.float64), torch.ones(3, 4, dtype=torch.float64)
    assert not torch.allclose(model.decode(prev, z1), model.decode(prev, z2))
    with torch.no_grad():
        for i in (3, 6):
            model.decoder.net[i].weight[:, 16:] = 0.0  # nor the later ones: z has no effect
    torch.testing.assert_close(model.decode(prev, z1), model.decode(prev, z2))
    assert model.decoder.net[3].in_features == 16 + 4


def test_weights_round_trip_and_prior_folder(tmp_path):
    torch.manual_seed(1)
    cfg = HumorConfig(latent_dim=8, encoder_widths=(32,), prior_widths=(32,), decoder_widths=(32,))
    model = HumorPrior(cfg)
    save_weights(model, tmp_path / "humor_prior.pt", {"note": "test"})
    back, meta = load_weights(tmp_path / "humor_prior.pt")
    assert back.config == cfg and meta == {"note": "test"}
    for k, v in model.state_dict().items():
        torch.testing.assert_close(back.state_dict()[k], v)
    eye = np.eye(138)[None]
    GaussianMixture(np.ones(1), np.zeros((1, 138)), eye).save(tmp_path / "prior_gmm.npz")
    prior = load_prior(tmp_path)
    assert prior.gmm is not None and prior.gmm.dim == 138 and prior.fps == 30.0
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no humor_prior.pt"):
        load_prior(tmp_path / "empty")


def test_normalization_is_kept_by_the_weights_file_and_outside_the_state_dict(tmp_path):
    torch.manual_seed(2)
    cfg = HumorConfig(
        latent_dim=4,
        encoder_widths=(16,),
        prior_widths=(16,),
        decoder_widths=(16,),
        normalized=True,
    )
    model = HumorPrior(cfg)
    gen = torch.Generator().manual_seed(0)
    norm = Normalization(
        torch.randn(339, generator=gen),
        torch.rand(339, generator=gen) + 0.5,
        torch.randn(216, generator=gen),
        torch.rand(216, generator=gen) + 0.5,
    )
    prev, z = torch.randn(5, 339, generator=gen), torch.randn(5, 4, generator=gen)
    before = model.decode(prev, z)
    model.set_normalization(norm)
    after = model.decode(prev, z)
    assert not torch.allclose(before, after)
    assert set(model.state_dict()) == set(HumorPrior(cfg).state_dict())  # no extra keys
    save_weights(model, tmp_path / "w.pt")
    back, _ = load_weights(tmp_path / "w.pt")
    torch.testing.assert_close(back.decode(prev, z), after)
    torch.testing.assert_close(back.prior(prev)[0], model.prior(prev)[0])
    with pytest.raises(ValueError, match="input_scale: expected positive"):
        Normalization(norm.input_mean, -norm.input_scale, norm.output_mean, norm.output_scale)
    # the original configuration ignores statistics: its numerics stay the original's
    plain = HumorPrior(
        HumorConfig(latent_dim=4, encoder_widths=(16,), prior_widths=(16,), decoder_widths=(16,))
    )
    ref = plain.decode(prev, z)
    plain.set_normalization(norm)
    torch.testing.assert_close(plain.decode(prev, z), ref)


def test_original_prior_with_its_gmm(tmp_path, original_file):
    _, checkpoint = original_file
    rng = np.random.default_rng(0)
    a = rng.normal(size=(12, 138, 138)) * 0.1
    cov = a @ a.transpose(0, 2, 1) + np.eye(138)
    np.savez(
        tmp_path / "prior_gmm.npz",
        weights=np.full(12, 1 / 12),
        means=rng.normal(size=(12, 138)),
        covariances=cov,
    )
    prior = load_original_prior(checkpoint, tmp_path / "prior_gmm.npz")
    assert prior.gmm.num_components == 12 and prior.gmm.dim == 138
    with np.load(tmp_path / "prior_gmm.npz") as f:
        np.testing.assert_array_equal(prior.gmm.means.numpy(), f["means"])
        np.testing.assert_array_equal(prior.gmm.covariances.numpy(), f["covariances"])
        x = f["means"][3] + 0.1
        expect = np.log(
            sum(
                w * multivariate_normal(m, c).pdf(x)
                for w, m, c in zip(f["weights"], f["means"], f["covariances"], strict=True)
            )
        )
    np.testing.assert_allclose(float(prior.gmm.log_prob(torch.tensor(x))), expect, rtol=1e-9)
    assert prior.model.num_parameters() == 9_725_976
    generic = load_prior(checkpoint)  # the generic loader recognises an original file too
    assert generic.gmm is None and generic.model.config == HumorConfig.original()
    np.savez(
        tmp_path / "bad_gmm.npz",
        weights=np.ones(1),
        means=np.zeros((1, 69)),
        covariances=np.eye(69)[None],
    )
    with pytest.raises(ValueError, match="dimension 69, expected 138"):
        load_original_prior(checkpoint, tmp_path / "bad_gmm.npz")
    np.savez(
        tmp_path / "bad_cov.npz",
        weights=np.full(12, 1 / 12),
        means=np.zeros((12, 138)),
        covariances=cov[:, :137, :137],
    )
    with pytest.raises(ValueError, match=re.escape("expected shape (12, 138, 138), got (12, 137")):
        load_original_prior(checkpoint, tmp_path / "bad_cov.npz")
