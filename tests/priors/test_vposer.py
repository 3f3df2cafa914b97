"""VPoser: strict, safe loading of the published layouts and the encode/decode maths.

No licensed weights exist here, so the fixtures are random tensors under the exact key names and
shapes of the upstream networks, written the way upstream writes them:

- v1.0 (what SLAHMR loads, slahmr/util/loaders.py:63-123): human_body_prior branch ``cvpr19``,
  ``human_body_prior/train/vposer_smpl.py``: layers at lines 75-89, encoder 91-105, decoder
  107-121; the trainer saves ``torch.save(model.state_dict(), snapshots/TR%02d_E%03d.pt)``
  (lines 372-376, 2019: torch's legacy format) and dumps its settings with Configer
  (``TR%02d_%s.ini``, line 470; configer.py:80-91 writes ``[All]`` and ``key : value`` lines).
- V02_05: human_body_prior ``models/vposer_model.py:59-106`` (encoder_net / decoder_net
  ``nn.Sequential``), trained by ``train/vposer_trainer.py`` (``self.vp_model``, line 87; the
  ModelCheckpoint writes ``snapshots/V02_05_epoch=..._val_loss=...ckpt``, lines 300-307) —
  a PyTorch Lightning 1.x checkpoint (``dump_checkpoint``: ``epoch``, ``global_step``,
  ``pytorch-lightning_version``, ``state_dict``, ``callbacks`` keyed by callback class,
  ``optimizer_states``, ``lr_schedulers``, ``hyper_parameters``); settings in ``V02_05.yaml``
  (support_data/dowloads/V02_05/V02_05.yaml: ``model_params: latentD: 32, num_neurons: 512``).
"""

from __future__ import annotations

import os
import sys
import time
import types
from collections import OrderedDict

import numpy as np
import pytest
import roma
import torch

from slahmr_opt.errors import InputError, UnsafeFileError
from slahmr_opt.priors.vposer import VPoser, load_vposer, six_d_to_rotmat

N, D, J = 512, 32, 21

# vposer_smpl.py:75-89 (cvpr19): BatchNorm1d(63), Linear(63, N), BatchNorm1d(N), Linear(N, N),
# mu / logvar Linear(N, D), decoder Linear(D, N), Linear(N, N), Linear(N, 21*6).
V1_SHAPES = {
    "bodyprior_enc_bn1.weight": (63,),
    "bodyprior_enc_bn1.bias": (63,),
    "bodyprior_enc_bn1.running_mean": (63,),
    "bodyprior_enc_bn1.running_var": (63,),
    "bodyprior_enc_bn1.num_batches_tracked": (),
    "bodyprior_enc_fc1.weight": (N, 63),
    "bodyprior_enc_fc1.bias": (N,),
    "bodyprior_enc_bn2.weight": (N,),
    "bodyprior_enc_bn2.bias": (N,),
    "bodyprior_enc_bn2.running_mean": (N,),
    "bodyprior_enc_bn2.running_var": (N,),
    "bodyprior_enc_bn2.num_batches_tracked": (),
    "bodyprior_enc_fc2.weight": (N, N),
    "bodyprior_enc_fc2.bias": (N,),
    "bodyprior_enc_mu.weight": (D, N),
    "bodyprior_enc_mu.bias": (D,),
    "bodyprior_enc_logvar.weight": (D, N),
    "bodyprior_enc_logvar.bias": (D,),
    "bodyprior_dec_fc1.weight": (N, D),
    "bodyprior_dec_fc1.bias": (N,),
    "bodyprior_dec_fc2.weight": (N, N),
    "bodyprior_dec_fc2.bias": (N,),
    "bodyprior_dec_out.weight": (J * 6, N),
    "bodyprior_dec_out.bias": (J * 6,),
}

# vposer_model.py:68-88: encoder_net = [BatchFlatten, BatchNorm1d(63), Linear(63,N), LeakyReLU,
# BatchNorm1d(N), Dropout, Linear(N,N), Linear(N,N), NormalDistDecoder(mu, logvar)];
# decoder_net = [Linear(D,N), LeakyReLU, Dropout, Linear(N,N), LeakyReLU, Linear(N,126), 6-D].
V2_SHAPES = {
    "encoder_net.1.weight": (63,),
    "encoder_net.1.bias": (63,),
    "encoder_net.1.running_mean": (63,),
    "encoder_net.1.running_var": (63,),
    "encoder_net.1.num_batches_tracked": (),
    "encoder_net.2.weight": (N, 63),
    "encoder_net.2.bias": (N,),
    "encoder_net.4.weight": (N,),
    "encoder_net.4.bias": (N,),
    "encoder_net.4.running_mean": (N,),
    "encoder_net.4.running_var": (N,),
    "encoder_net.4.num_batches_tracked": (),
    "encoder_net.6.weight": (N, N),
    "encoder_net.6.bias": (N,),
    "encoder_net.7.weight": (N, N),
    "encoder_net.7.bias": (N,),
    "encoder_net.8.mu.weight": (D, N),
    "encoder_net.8.mu.bias": (D,),
    "encoder_net.8.logvar.weight": (D, N),
    "encoder_net.8.logvar.bias": (D,),
    "decoder_net.0.weight": (N, D),
    "decoder_net.0.bias": (N,),
    "decoder_net.3.weight": (N, N),
    "decoder_net.3.bias": (N,),
    "decoder_net.5.weight": (J * 6, N),
    "decoder_net.5.bias": (J * 6,),
}

V1_INI = """[All]
base_lr : 0.005
batch_size : 512
best_model_fname : /is/ps2/expr/004_00_WO_accad/snapshots/TR00_E096.pt
cuda_id : 0
data_shape : [1, 21, 3]
dataset_dir : /ps/project/amass/20190313/VPoser
expr_code : 004_00_WO_accad
fp_precision : 32
kl_coef : 0.005
latentD : 32
log_every_epoch : 2
model_type : smpl
n_workers : 10
num_bodies_to_display : 10
num_epochs : 100
num_neurons : 512
reg_coef : 0.0001
remove_Zrot : True
seed : 4815
try_num : 0
use_cont_repr : True
use_multigpu : True
verbosity : 0
work_dir : /is/ps2/expr/004_00_WO_accad
"""

V2_YAML = """body_model:
  bm_path: /ps/project/common/moshpp/smplx/neutral/model.npz
  gender: neutral
general:
  expr_id: V02_05
  rnd_seed: 100
model_params:
  latentD: 32
  num_neurons: 512
train_parms:
  batch_size: 128
"""


def random_state(shapes: dict, seed: int) -> OrderedDict:
    gen = torch.Generator().manual_seed(seed)
    out = OrderedDict()
    for k, shape in shapes.items():
        if k.endswith("num_batches_tracked"):
            out[k] = torch.tensor(1234)
        elif k.endswith("running_var"):
            out[k] = 0.5 + torch.rand(shape, generator=gen)
        else:
            out[k] = 0.05 * torch.randn(shape, generator=gen)
    return out


def write_v1(folder, state, *, ini: str | None = V1_INI, name="TR00_E096.pt", legacy=True):
    snaps = folder / "snapshots"
    snaps.mkdir(parents=True, exist_ok=True)
    torch.save(state, snaps / name, _use_new_zipfile_serialization=not legacy)
    if ini is not None:
        (folder / "TR00_004_00_WO_accad.ini").write_text(ini)
    (folder / "vposer_smpl.py").write_text("raise SystemExit('must never be executed')\n")
    return snaps / name


@pytest.fixture
def v1_folder(tmp_path):
    state = random_state(V1_SHAPES, 0)
    write_v1(tmp_path / "vposer_v1_0", state)
    return tmp_path / "vposer_v1_0", state


def _fake_lightning_classes():
    """Classes whose pickled names are those of a Lightning 1.x checkpoint."""
    cb = types.ModuleType("pytorch_lightning.callbacks.model_checkpoint")
    es = types.ModuleType("pytorch_lightning.callbacks.early_stopping")
    par = types.ModuleType("pytorch_lightning.utilities.parsing")

    class ModelCheckpoint:
        pass

    class EarlyStopping:
        pass

    class AttributeDict(dict):
        pass

    for module, cls in ((cb, ModelCheckpoint), (es, EarlyStopping), (par, AttributeDict)):
        cls.__module__ = module.__name__
        cls.__qualname__ = cls.__name__
        setattr(module, cls.__name__, cls)
    parents = [
        types.ModuleType(n)
        for n in ("pytorch_lightning", "pytorch_lightning.callbacks", "pytorch_lightning.utilities")
    ]
    modules = {m.__name__: m for m in (*parents, cb, es, par)}
    return modules, ModelCheckpoint, EarlyStopping, AttributeDict


def write_v2(folder, inner_state, extra_state=None):
    modules, ModelCheckpoint, EarlyStopping, AttributeDict = _fake_lightning_classes()
    sd = OrderedDict((f"vp_model.{k}", v) for k, v in inner_state.items())
    sd.update(extra_state or {})
    ckpt = {
        "epoch": 8,
        "global_step": 12345,
        "pytorch-lightning_version": "1.0.4",
        "state_dict": sd,
        "callbacks": {
            ModelCheckpoint: {"best_model_score": torch.tensor(0.03), "best_model_path": "x"},
            EarlyStopping: {"wait_count": 0, "patience": 10, "best_score": torch.tensor(0.03)},
        },
        "optimizer_states": [{"state": {}, "param_groups": [{"lr": 0.001, "params": [0, 1]}]}],
        "lr_schedulers": [{"patience": 5, "best": 0.03}],
        "hparams_name": "_config",
        "hyper_parameters": AttributeDict(model_params={"latentD": 32, "num_neurons": 512}),
    }
    snaps = folder / "snapshots"
    snaps.mkdir(parents=True, exist_ok=True)
    path = snaps / "V02_05_epoch=08_val_loss=0.03.ckpt"
    saved = dict(sys.modules)
    sys.modules.update(modules)
    try:
        torch.save(ckpt, path)
    finally:
        for name in modules:
            if name not in saved:
                sys.modules.pop(name, None)
    (folder / "V02_05.yaml").write_text(V2_YAML)
    return path


# ----------------------------------------------------------------------------- references
def bn_eval(x, state, prefix, eps=1e-5):
    return (x - state[f"{prefix}.running_mean"]) / torch.sqrt(
        state[f"{prefix}.running_var"] + eps
    ) * state[f"{prefix}.weight"] + state[f"{prefix}.bias"]


def lin(x, state, prefix):
    return x @ state[f"{prefix}.weight"].T + state[f"{prefix}.bias"]


def leaky(x, slope):
    return torch.where(x > 0, x, slope * x)


def v1_encoder_mean_reference(pose, s):
    """vposer_smpl.py:98-105 written out (dropout is the identity in eval mode)."""
    x = pose.reshape(-1, 63)
    x = bn_eval(x, s, "bodyprior_enc_bn1")
    x = leaky(lin(x, s, "bodyprior_enc_fc1"), 0.2)
    x = bn_eval(x, s, "bodyprior_enc_bn2")
    x = leaky(lin(x, s, "bodyprior_enc_fc2"), 0.2)
    return lin(x, s, "bodyprior_enc_mu")


def gram_schmidt_reference(six):
    """ContinousRotReprDecoder (vposer_smpl.py:53-62) for one 6-vector, with numpy."""
    m = six.reshape(3, 2)
    b1 = m[:, 0] / np.linalg.norm(m[:, 0])
    a2 = m[:, 1]
    b2 = a2 - b1 @ a2 * b1
    b2 = b2 / np.linalg.norm(b2)
    return np.stack([b1, b2, np.cross(b1, b2)], axis=-1)


def v1_decode_reference(z, s):
    """vposer_smpl.py:110-119: decoder layers then the 6-D head, per joint."""
    x = leaky(lin(z, s, "bodyprior_dec_fc1"), 0.2)
    x = leaky(lin(x, s, "bodyprior_dec_fc2"), 0.2)
    out = lin(x, s, "bodyprior_dec_out").reshape(-1, J, 6).double().numpy()
    return np.stack([[gram_schmidt_reference(j) for j in row] for row in out])


# ----------------------------------------------------------------------------- tests
def test_v1_loads_strictly_from_the_experiment_folder(v1_folder):
    folder, state = v1_folder
    model = load_vposer(folder)
    assert model.version == "v1" and model.latent_dim == D and model.num_neurons == N
    assert not model.training
    assert model.source.endswith("TR00_E096.pt")


def test_v1_encoder_mean_and_decoder_match_the_published_maths(v1_folder):
    folder, state = v1_folder
    model = load_vposer(folder)
    gen = torch.Generator().manual_seed(3)
    pose = 0.4 * torch.randn(5, J, 3, generator=gen)
    got = model.encode_mean(pose)
    torch.testing.assert_close(got, v1_encoder_mean_reference(pose, state), atol=1e-5, rtol=1e-5)
    z = torch.randn(4, D, generator=gen)
    R = model.decode_rotmat(z)
    np.testing.assert_allclose(R.double().numpy(), v1_decode_reference(z, state), atol=1e-5)
    # proper rotations
    eye = torch.eye(3).expand_as(R)
    torch.testing.assert_close(R.transpose(-1, -2) @ R, eye, atol=1e-5, rtol=0)
    torch.testing.assert_close(torch.linalg.det(R), torch.ones(4, J), atol=1e-5, rtol=0)


def test_v1_encode_scale_is_softplus_of_second_head(v1_folder):
    folder, state = v1_folder
    model = load_vposer(folder)
    pose = torch.zeros(2, J, 3)
    mean, scale = model.encode(pose)
    x = bn_eval(pose.reshape(-1, 63), state, "bodyprior_enc_bn1")
    x = leaky(lin(x, state, "bodyprior_enc_fc1"), 0.2)
    x = leaky(lin(bn_eval(x, state, "bodyprior_enc_bn2"), state, "bodyprior_enc_fc2"), 0.2)
    expected = torch.nn.functional.softplus(lin(x, state, "bodyprior_enc_logvar"))
    torch.testing.assert_close(scale, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(mean, model.encode_mean(pose))


def test_six_d_head_is_gram_schmidt_on_columns():
    x = torch.tensor([[1.0, 0.3, 0.0, 2.0, 0.0, 0.1]])
    R = six_d_to_rotmat(x)[0].double().numpy()
    np.testing.assert_allclose(R, gram_schmidt_reference(x[0].double().numpy()), atol=1e-6)
    np.testing.assert_allclose(R[:, 0], [1.0, 0.0, 0.0], atol=1e-7)


def test_v1_picks_the_newest_snapshot_like_the_original(tmp_path):
    old, new = random_state(V1_SHAPES, 1), random_state(V1_SHAPES, 2)
    folder = tmp_path / "vp"
    write_v1(folder, new, name="TR00_E001.pt")  # name sorts first ...
    p_old = write_v1(folder, old, name="TR00_E096.pt")
    past = time.time() - 100
    os.utime(p_old, (past, past))  # ... but this one is older
    model = load_vposer(folder)
    assert model.source.endswith("TR00_E001.pt")
    torch.testing.assert_close(model.dec_out.bias, new["bodyprior_dec_out.bias"])


def test_v1_single_file_and_new_zip_format(tmp_path):
    state = random_state(V1_SHAPES, 4)
    path = write_v1(tmp_path / "vp", state, legacy=False)
    model = load_vposer(path)
    torch.testing.assert_close(model.enc_mu.weight, state["bodyprior_enc_mu.weight"])


def test_v1_without_batch_counter_loads(tmp_path):
    state = random_state(V1_SHAPES, 5)
    for k in [k for k in state if k.endswith("num_batches_tracked")]:
        del state[k]
    load_vposer(write_v1(tmp_path / "vp", state).parent.parent)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.pop("bodyprior_dec_fc2.weight"), "missing"),
        (lambda s: s.__setitem__("bodyprior_extra.weight", torch.zeros(3)), "unexpected"),
        (lambda s: s.__setitem__("bodyprior_dec_out.weight", torch.zeros(99, N)), "wrong shapes"),
    ],
)
def test_v1_refuses_other_keys_or_shapes(tmp_path, change, message):
    state = random_state(V1_SHAPES, 6)
    change(state)
    folder = tmp_path / "vp"
    write_v1(folder, state)
    with pytest.raises(ValueError, match=message) as err:
        load_vposer(folder)
    assert "TR00_E096.pt" in str(err.value)


def test_v1_settings_must_agree_with_the_weights(tmp_path):
    folder = tmp_path / "vp"
    write_v1(folder, random_state(V1_SHAPES, 7), ini=V1_INI.replace("latentD : 32", "latentD : 16"))
    with pytest.raises(ValueError, match="latentD = 16"):
        load_vposer(folder)


def test_refuses_pickled_code_and_empty_folders(tmp_path):
    folder = tmp_path / "vp"
    (folder / "snapshots").mkdir(parents=True)
    with pytest.raises(ValueError, match="no VPoser weights"):
        load_vposer(folder)
    with pytest.raises(InputError, match="no such VPoser"):
        load_vposer(tmp_path / "nowhere")
    # a pickle that would call a function on load is refused by the safe loader
    torch.save({"x": np.float64(1.0), "f": os.getcwd}, folder / "snapshots" / "TR00_E001.pt")
    with pytest.raises(UnsafeFileError, match="not loaded"):
        load_vposer(folder)


def test_v2_lightning_checkpoint_loads_safely_and_strictly(tmp_path):
    inner = random_state(V2_SHAPES, 8)
    # the trainer's body model buffers live beside vp_model.* and are not VPoser's
    path = write_v2(tmp_path / "V02_05", inner, {"bm_train.v_template": torch.zeros(10, 3)})
    assert "pytorch_lightning" not in sys.modules
    model = load_vposer(tmp_path / "V02_05")
    assert model.version == "v2" and model.source == str(path)
    assert "pytorch_lightning" not in sys.modules  # nothing was imported
    # encoder (vposer_model.py:68-78): bn, linear, leaky(0.01), bn, linear, linear, mu
    pose = 0.3 * torch.randn(3, J, 3, generator=torch.Generator().manual_seed(9))
    s = inner
    x = bn_eval(pose.reshape(-1, 63), s, "encoder_net.1")
    x = bn_eval(leaky(lin(x, s, "encoder_net.2"), 0.01), s, "encoder_net.4")
    x = lin(lin(x, s, "encoder_net.6"), s, "encoder_net.7")
    torch.testing.assert_close(
        model.encode_mean(pose), lin(x, s, "encoder_net.8.mu"), atol=1e-5, rtol=1e-5
    )
    # decoder (lines 80-88)
    z = torch.randn(2, D, generator=torch.Generator().manual_seed(10))
    h = leaky(lin(leaky(lin(z, s, "decoder_net.0"), 0.01), s, "decoder_net.3"), 0.01)
    six = lin(h, s, "decoder_net.5").reshape(-1, J, 6).double().numpy()
    ref = np.stack([[gram_schmidt_reference(j) for j in row] for row in six])
    np.testing.assert_allclose(model.decode_rotmat(z).double().numpy(), ref, atol=1e-5)


def test_v2_refuses_a_v1_layout_under_the_prefix(tmp_path):
    inner = random_state(V2_SHAPES, 11)
    inner.pop("encoder_net.7.weight")
    write_v2(tmp_path / "V02_05", inner)
    with pytest.raises(ValueError, match="missing"):
        load_vposer(tmp_path / "V02_05")


def test_decode_encode_round_trip_shapes(v1_folder):
    model = load_vposer(v1_folder[0])
    z = torch.zeros(2, 3, D)
    R = model.decode_rotmat(z)
    assert R.shape == (2, 3, J, 3, 3)
    mean = model.encode_mean(roma.rotmat_to_rotvec(R))
    assert mean.shape == (2, 3, D)
    with pytest.raises(ValueError, match="21, 3"):
        model.encode_mean(torch.zeros(2, 23, 3))


def test_random_init_network_has_the_published_key_names():
    """Our layer names map one-to-one onto the upstream keys (the loader's contract)."""
    for version, shapes in (("v1", V1_SHAPES), ("v2", V2_SHAPES)):
        model = VPoser(version, N, D)
        theirs = model.checkpoint_keys()
        sd = model.state_dict()
        assert {theirs[k]: tuple(v.shape) for k, v in sd.items()} == shapes
