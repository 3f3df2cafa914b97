"""No code runs from a data file: payload files for every loader of user files.

Each payload, if it ran, would create a marker file. Every loader must refuse it (or skip the
offending array) with a clear error, and the marker must never appear — whether or not the user
opted in to reading pickles (``trust_pickle``), since that option only allows reading pickled
*data*.
"""

from __future__ import annotations

import builtins
import os
import pickle
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch

from slahmr_opt.body.model_files import read_model_file
from slahmr_opt.body.standin import build_standin
from slahmr_opt.cli import main as cli_main
from slahmr_opt.errors import InputError, UnsafeFileError
from slahmr_opt.io.common import read_npy_file
from slahmr_opt.io.gvhmr_inputs import read_gvhmr_vitpose
from slahmr_opt.io.phalp import read_phalp_pickle
from slahmr_opt.io.results import load_estimate, save_estimate
from slahmr_opt.io.scene_folder import load_ground_truth, load_scene, save_scene
from slahmr_opt.io.wham_inputs import read_wham_tracking_results
from slahmr_opt.priors.gmm import GaussianMixture
from slahmr_opt.priors.humor import load_original_checkpoint, load_prior, load_weights
from slahmr_opt.safe_load import load_npz, load_pickle, load_torch
from slahmr_opt.solver.optimize import load_checkpoint
from slahmr_opt.synth.scene import make_scene

UNSAFE_HINTS = ("allow_pickle", "weights_only=False", "pickle.load(", "unsafely", "file an issue")


class _Call:
    """Pickles as ``func(*args)``: what a payload looks like on disk."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _payloads(marker: Path, tmp: Path) -> dict[str, _Call]:
    """Payloads that would create ``marker`` through different routes."""
    nested = tmp / "nested.npy"  # for numpy.load(..., allow_pickle=True)
    nested.write_bytes(pickle.dumps(_Call(builtins.open, str(marker), "w")))
    return {
        "open": _Call(builtins.open, str(marker), "w"),
        "exec": _Call(builtins.exec, f"open({str(marker)!r}, 'w').close()"),
        "eval": _Call(builtins.eval, f"open({str(marker)!r}, 'w').close()"),
        "os.system": _Call(os.system, f"touch '{marker}'"),
        "numpy.load": _Call(np.load, str(nested), None, True),  # a numpy function, not data
    }


PAYLOAD_NAMES = ("open", "exec", "eval", "os.system", "numpy.load")


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "MARKER"
    yield path
    assert not path.exists(), "a payload ran"


def _assert_clear(err: BaseException, path: Path) -> None:
    text = str(err)
    assert str(path) in text, text
    assert "\n" not in text
    for hint in UNSAFE_HINTS:
        assert hint not in text, text


def _standin_dict() -> dict:
    return dict(build_standin())


# ------------------------------------------------------------------------------- body files
@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_body_pickle_payload_never_runs(tmp_path, marker, name):
    data = _standin_dict()
    data["extra"] = _payloads(marker, tmp_path)[name]
    path = tmp_path / "SMPL_NEUTRAL.pkl"
    path.write_bytes(pickle.dumps(data, protocol=2))
    with pytest.raises(UnsafeFileError) as info:
        read_model_file(path)
    _assert_clear(info.value, path)


def test_body_pickle_payload_via_cli_is_a_one_line_error(tmp_path, marker, capsys):
    data = _standin_dict()
    data["kintree_table"] = _payloads(marker, tmp_path)["os.system"]
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(data, protocol=2))
    assert cli_main(["body-info", "--body", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(path) in err and "os.system" not in err.split()[0]


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_body_npz_object_arrays_are_skipped_unread(tmp_path, marker, name):
    data = _standin_dict()
    path = tmp_path / "model.npz"
    extra = np.array([_payloads(marker, tmp_path)[name]], dtype=object)
    np.savez(path, **data, joint2num=extra)
    out = read_model_file(path)  # the object array is left out, never unpickled
    assert "joint2num" not in out and out["v_template"].shape == (6890, 3)


def test_body_npz_that_is_really_a_pickle_is_refused(tmp_path, marker):
    path = tmp_path / "model.npz"
    path.write_bytes(pickle.dumps(_payloads(marker, tmp_path)["open"]))
    with pytest.raises(InputError, match="not an .npz archive") as info:
        read_model_file(path)
    _assert_clear(info.value, path)


def test_required_body_field_as_object_array_is_refused(tmp_path, marker):
    data = _standin_dict()
    data["weights"] = np.array([_payloads(marker, tmp_path)["eval"]], dtype=object)
    path = tmp_path / "model.npz"
    np.savez(path, **data)
    with pytest.raises(InputError, match="missing field.*weights") as info:
        read_model_file(path)
    _assert_clear(info.value, path)


# ------------------------------------------------------------------- priors and checkpoints
def _torch_payload(path: Path, payload) -> None:
    torch.save({"model": {"w": torch.zeros(2)}, "config": "{}", "extra": payload}, path)


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_prior_files_with_payload_are_refused(tmp_path, marker, name):
    path = tmp_path / "best_model.pth"
    _torch_payload(path, _payloads(marker, tmp_path)[name])
    for loader in (load_original_checkpoint, load_weights, load_prior):
        with pytest.raises(UnsafeFileError) as info:
            loader(path)
        _assert_clear(info.value, path)


def test_prior_folder_with_payload_weights_is_refused(tmp_path, marker):
    folder = tmp_path / "prior"
    folder.mkdir()
    _torch_payload(folder / "humor_prior.pt", _payloads(marker, tmp_path)["exec"])
    with pytest.raises(UnsafeFileError):
        load_prior(folder)


def test_gmm_with_object_array_is_refused(tmp_path, marker):
    path = tmp_path / "prior_gmm.npz"
    np.savez(
        path,
        weights=np.ones(1),
        means=np.zeros((1, 138)),
        covariances=np.array([_payloads(marker, tmp_path)["open"]], dtype=object),
    )
    with pytest.raises(InputError, match="covariances.*Python objects") as info:
        GaussianMixture.load(path)
    _assert_clear(info.value, path)


def test_pass_checkpoint_with_payload_is_ignored_not_run(tmp_path, marker, caplog):
    path = tmp_path / "root.pt"
    torch.save({"format": 1, "fingerprint": "x", "v": _payloads(marker, tmp_path)["exec"]}, path)
    assert load_checkpoint(path, "x", "cpu") is None
    assert "cannot be read" in caplog.text


def test_training_state_with_payload_is_refused(tmp_path, marker):
    from slahmr_opt.apps.train_prior import train_prior
    from slahmr_opt.priors import train

    out = tmp_path / "prior"
    out.mkdir()
    torch.save({"config": "{}", "x": _payloads(marker, tmp_path)["eval"]}, out / train.STATE_FILE)
    with pytest.raises(UnsafeFileError):
        train_prior(out, train.TrainConfig.tiny(), resume=True, progress=False)


# ---------------------------------------------------------------------- scene and results
@pytest.fixture
def scene_folder(tmp_path):
    scene, gt = make_scene(num_people=1, num_frames=12, preset="easy", seed=0)
    return save_scene(scene, tmp_path / "scene", gt=gt)


@pytest.mark.parametrize("member", ["cameras.npz", "tracks/*.npz", "gt.npz"])
def test_scene_npz_with_object_array_is_refused(scene_folder, tmp_path, marker, member):
    path = sorted(Path(scene_folder).glob(member))[0]
    arrays = dict(np.load(path))
    first = sorted(arrays)[0]
    arrays[first] = np.array([_payloads(marker, tmp_path)["os.system"]], dtype=object)
    np.savez(path, **arrays)
    with pytest.raises(InputError, match="Python objects") as info:
        if member == "gt.npz":
            load_ground_truth(scene_folder)
        else:
            load_scene(scene_folder)
    _assert_clear(info.value, path)


def test_result_npz_with_object_array_is_refused(tmp_path, marker):
    from tests.io.test_results import _estimate

    folder = save_estimate(_estimate(), tmp_path / "res")
    person = sorted(Path(folder).glob("person_*.npz"))[0]
    arrays = dict(np.load(person))
    arrays["trans"] = np.array([_payloads(marker, tmp_path)["open"]], dtype=object)
    np.savez(person, **arrays)
    with pytest.raises(InputError, match="Python objects") as info:
        load_estimate(folder)
    _assert_clear(info.value, person)


def test_result_files_that_are_pickles_are_refused(tmp_path, marker):
    from tests.io.test_results import _estimate

    folder = save_estimate(_estimate(), tmp_path / "res")
    cams = Path(folder) / "cameras.npz"
    cams.write_bytes(pickle.dumps(_payloads(marker, tmp_path)["exec"]))
    with pytest.raises(InputError) as info:
        load_estimate(folder)
    _assert_clear(info.value, cams)


# ------------------------------------------------------------------- upstream tool files
@pytest.mark.parametrize("trust", [False, True])
@pytest.mark.parametrize("compress", [0, 3])
@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_phalp_pickle_payload_never_runs(tmp_path, marker, trust, compress, name):
    path = tmp_path / "demo_video.pkl"
    record = {"tracked_ids": [1], "extra": _payloads(marker, tmp_path)[name]}
    joblib.dump({"frame_000001.jpg": record}, path, compress=compress)  # PHALP's own save call
    with pytest.raises(InputError) as info:
        read_phalp_pickle(path, trust_pickle=trust)
    _assert_clear(info.value, path)
    if trust:
        assert isinstance(info.value, UnsafeFileError)
    else:
        assert "trust_pickle" in str(info.value)


@pytest.mark.parametrize("trust", [False, True])
@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_wham_tracking_results_payload_never_runs(tmp_path, marker, trust, name):
    path = tmp_path / "tracking_results.pth"
    joblib.dump({0: {"frame_id": np.arange(3), "x": _payloads(marker, tmp_path)[name]}}, path)
    with pytest.raises(InputError) as info:
        read_wham_tracking_results(path, trust_pickle=trust)
    _assert_clear(info.value, path)


@pytest.mark.parametrize("trust", [False, True])
@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_gvhmr_vitpose_payload_never_runs(tmp_path, marker, trust, name):
    path = tmp_path / "vitpose.pt"
    torch.save({"kp": torch.zeros(3, 17, 3), "x": _payloads(marker, tmp_path)[name]}, path)
    with pytest.raises(UnsafeFileError) as info:
        read_gvhmr_vitpose(path, trust_pickle=trust)
    _assert_clear(info.value, path)


def test_npy_that_is_a_pickle_is_refused_without_unsafe_advice(tmp_path, marker):
    path = tmp_path / "keypoints.npy"
    np.save(path, np.array([_payloads(marker, tmp_path)["open"]], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="Python objects") as info:
        read_npy_file(path, "keypoints")
    _assert_clear(info.value, path)


# ---------------------------------------------------------------------- data still loads
def test_data_pickles_load(tmp_path):
    """What the upstream tools really write (arrays, scalars, tensors, containers) reads fine."""
    import collections

    data = {
        "a": np.zeros((2, 3), np.float32),
        "s": np.float64(1.5),
        "t": torch.ones(3),
        "od": collections.OrderedDict(x=[1, 2]),
        "dd": collections.defaultdict(list, y=[3]),
        "set": {1, 2},
        "bytes": b"\x00\x01",
    }
    for compress in (0, 3):
        path = tmp_path / f"j{compress}.pkl"
        joblib.dump(data, path, compress=compress)
        out = load_pickle(path, "test")
        assert np.array_equal(out["a"], data["a"]) and torch.equal(out["t"], data["t"])
        assert out["dd"]["y"] == [3] and out["set"] == {1, 2} and out["bytes"] == b"\x00\x01"
    for protocol in (2, 4, 5):
        path = tmp_path / f"p{protocol}.pkl"
        path.write_bytes(pickle.dumps(data, protocol=protocol))
        assert float(load_pickle(path, "test")["s"]) == 1.5
    path = tmp_path / "t.pt"
    torch.save({"m": {"w": torch.ones(2)}, "val": np.float64(0.25), "arr": np.ones(3)}, path)
    out = load_torch(path, "test")
    assert float(out["val"]) == 0.25 and out["arr"].shape == (3,)


def test_sparse_regressor_pickle_loads(tmp_path):
    """SMPL's official pickles keep J_regressor as a scipy sparse matrix (protocol 2)."""
    import scipy.sparse

    data = _standin_dict()
    path = tmp_path / "m.pkl"
    sparse = scipy.sparse.csc_matrix(data["J_regressor"])
    path.write_bytes(pickle.dumps({**data, "J_regressor": sparse}, protocol=2))
    out = read_model_file(path)
    assert np.allclose(out["J_regressor"], data["J_regressor"])


def test_garbage_files_give_one_clear_line(tmp_path):
    cases = {
        "empty.npz": b"",
        "trunc.npz": None,
        "text.npz": b"hello",
        "garbage.pth": b"\x80\x04garbage",
        "garbage.pkl": b"not a pickle at all",
    }
    src = tmp_path / "ok.npz"
    np.savez(src, a=np.arange(1000))
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(src.read_bytes()[:300] if content is None else content)
        for loader in (load_npz, load_torch, load_pickle):
            with pytest.raises(InputError) as info:
                loader(path, "test")
            _assert_clear(info.value, path)
    assert zipfile.is_zipfile(src)
