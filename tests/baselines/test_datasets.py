"""Dataset readers on files laid out exactly as EMDB, 3DPW and RICH ship them (fixtures.py cites
each key's source): the ground truth read back equals the synthetic truth written in, the
protocol's frames are kept, and bad input is a clear error naming the file and field."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from slahmr_opt.eval.baselines import floor_from_truth
from slahmr_opt.eval.bodyset import BodySet
from slahmr_opt.eval.evaluate import evaluate_estimate
from slahmr_opt.io.datasets import read_dataset
from slahmr_opt.io.datasets.emdb import EMDB2_NAMES, read_emdb_sequence
from slahmr_opt.io.datasets.rich import read_rich_calibration
from slahmr_opt.io.datasets.threedpw import read_3dpw_sequence
from tests.baselines import fixtures as F


@pytest.fixture(scope="module")
def truth():
    return F.synthetic_truth(seed=7, frames=40, people=2)


# ------------------------------------------------------------------------------ EMDB


def test_emdb_reads_truth_cameras_and_mask(truth, tmp_path):
    _, gt = truth
    path = F.write_emdb(tmp_path, gt)
    seq = read_emdb_sequence(path, trust_pickle=True, split="emdb2")
    assert seq.name == F.EMDB_NAME and F.EMDB_NAME in EMDB2_NAMES
    assert "09_outdoor_walk" in seq.aliases  # TRAM names its outputs by the folder name
    p, true = seq.people[0], gt.person("p0")
    assert p.model == "smpl" and p.gender == "male"
    np.testing.assert_allclose(p.global_orient, true.global_orient)
    np.testing.assert_allclose(p.body_pose, true.body_pose)
    np.testing.assert_allclose(p.transl, true.transl)
    np.testing.assert_allclose(p.betas[0], true.betas)
    np.testing.assert_allclose(seq.cameras.R, gt.cameras.R, atol=1e-12)  # world→camera kept
    np.testing.assert_allclose(seq.cameras.t, gt.cameras.t, atol=1e-12)
    np.testing.assert_allclose(seq.cameras.intrinsics, gt.cameras.intrinsics, rtol=1e-6)
    assert seq.valid["0"].sum() == 36 and not seq.valid["0"][10:14].any()
    assert seq.fps == 30 and seq.image_size == (1920, 1080)


def test_emdb_split_flags_select_sequences(truth, tmp_path):
    _, gt = truth
    F.write_emdb(tmp_path, gt, name="P0_09_outdoor_walk", emdb1=False, emdb2=True)
    F.write_emdb(tmp_path, gt, name="P1_14_outdoor_climb", emdb1=True, emdb2=False)
    assert [s.name for s in read_dataset(tmp_path, "emdb", "emdb1", trust_pickle=True)] == [
        "P1_14_outdoor_climb"
    ]
    assert [s.name for s in read_dataset(tmp_path, "emdb", "emdb2", trust_pickle=True)] == [
        "P0_09_outdoor_walk"
    ]
    assert len(read_dataset(tmp_path, "emdb", "all", trust_pickle=True)) == 2


def test_emdb_errors_name_file_and_field(truth, tmp_path):
    _, gt = truth
    path = F.write_emdb(tmp_path, gt)
    with pytest.raises(ValueError, match="pickle.*trust_pickle"):
        read_emdb_sequence(path)
    data = pickle.loads(path.read_bytes())
    del data["smpl"]["trans"]
    path.write_bytes(pickle.dumps(data))
    with pytest.raises(ValueError, match=r"_data\.pkl \[smpl\]: field 'trans' missing"):
        read_emdb_sequence(path, trust_pickle=True)
    data = pickle.loads(F.write_emdb(tmp_path, gt).read_bytes())
    data["good_frames_mask"] = data["good_frames_mask"][:-1]
    path.write_bytes(pickle.dumps(data))
    with pytest.raises(ValueError, match="good_frames_mask.*expected bool"):
        read_emdb_sequence(path, trust_pickle=True)
    with pytest.raises(ValueError, match="no EMDB annotations"):
        read_dataset(tmp_path / "nothing", "emdb", trust_pickle=True)


def test_emdb_ground_truth_conversion_scores_zero_for_the_truth(truth, tmp_path):
    """The converted GroundTruth (floor fitted to the true feet along EMDB's y-up) works with the
    synthetic-scene evaluator; scoring the truth itself gives zero errors."""
    _, gt = truth
    seq = read_emdb_sequence(F.write_emdb(tmp_path, gt), trust_pickle=True)
    bodies = BodySet.from_files()
    normal, offset = floor_from_truth(seq, bodies)
    np.testing.assert_allclose(normal, [0, 1, 0])
    conv = seq.to_ground_truth((normal, offset))
    report = evaluate_estimate(conv.people, conv, bodies.get("smpl", "neutral"))
    summary = report.summary()
    assert summary["mpjpe"] < 1e-6 and summary["wa_mpjpe100"] < 1e-6


# ------------------------------------------------------------------------------ 3DPW


def test_3dpw_reads_python2_latin1_pickles(truth, tmp_path):
    _, gt = truth
    path = F.write_3dpw(tmp_path, gt)
    with pytest.raises(UnicodeDecodeError):  # as real 3DPW files: ASCII decoding fails
        pickle.loads(path.read_bytes())
    seq = read_3dpw_sequence(path, trust_pickle=True, root=tmp_path)
    assert seq.name == "downtown_walking_00" and [p.track_id for p in seq.people] == ["0", "1"]
    assert [p.gender for p in seq.people] == ["male", "female"]
    for p, true in zip(seq.people, gt.people, strict=True):
        np.testing.assert_allclose(p.global_orient[true.frames], true.global_orient)
        np.testing.assert_allclose(p.transl[true.frames], true.transl)
        assert seq.valid[p.track_id].sum() == (true.num_frames - (3 if p.track_id == "0" else 0))
    assert seq.image_size == (1920, 1080)  # no images: twice the principal point
    assert seq.up is None  # 3DPW does not document its world's up axis
    with pytest.raises(ValueError, match="no documented up axis"):
        floor_from_truth(seq, BodySet.from_files())


def test_3dpw_errors(truth, tmp_path):
    _, gt = truth
    path = F.write_3dpw(tmp_path, gt)
    with pytest.raises(ValueError, match="trust_pickle"):
        read_3dpw_sequence(path)
    with pytest.raises(ValueError, match=r"sequenceFiles/validation"):
        read_dataset(tmp_path, "3dpw", "validation", trust_pickle=True)
    with pytest.raises(ValueError, match="split must be one of"):
        read_dataset(tmp_path, "3dpw", "val", trust_pickle=True)


# ------------------------------------------------------------------------------ RICH


def test_rich_calibration_xml(truth, tmp_path):
    _, gt = F.synthetic_truth(seed=7, frames=12, people=1, camera="static")
    written = F.write_rich(tmp_path, gt)
    for cam, w2c in written.items():
        got, intr = read_rich_calibration(
            tmp_path / "scan_calibration" / "Gym" / "calibration" / f"{cam:03d}.xml"
        )
        np.testing.assert_allclose(got, w2c, atol=1e-10)
        np.testing.assert_allclose(intr, gt.cameras.intrinsics[0])
    bad = tmp_path / "bad.xml"
    bad.write_text(
        "<opencv_storage><CameraMatrix><data>1 2 3</data></CameraMatrix></opencv_storage>"
    )
    with pytest.raises(ValueError, match="CameraMatrix/data holds 3 values, expected 12"):
        read_rich_calibration(bad)


def test_rich_reads_per_frame_smplx_bodies_per_camera(tmp_path):
    _, gt = F.synthetic_truth(seed=7, frames=12, people=1, camera="static")
    F.write_rich(tmp_path, gt)
    seqs = read_dataset(tmp_path, "rich", "test", trust_pickle=True)
    assert [s.name for s in seqs] == ["Gym_013_burpee4/cam_00", "Gym_013_burpee4/cam_03"]
    assert "test/Gym_013_burpee4/cam_00" in seqs[0].aliases  # GVHMR's vid
    p = seqs[0].people[0]
    assert (p.track_id, p.model, p.gender) == ("13", "smplx", "female")
    assert p.hand_pca.shape == (12, 2, 12) and p.hand_mean
    np.testing.assert_array_equal(p.frames, np.arange(12))  # first body frame (00046) is frame 0
    np.testing.assert_allclose(p.body_pose, gt.person("p0").body_pose[:, :21], atol=1e-6)
    assert seqs[0].cameras.is_static and seqs[1].cameras.num_frames == 12
    assert seqs[0].valid["13"].all()
    with pytest.raises(ValueError, match="gender.json not found"):
        (tmp_path / "gender.json").unlink()
        read_dataset(tmp_path, "rich", "test", trust_pickle=True)


class _Payload:
    """Pickles to a call of ``os.system``: a file that would run code when unpickled."""

    def __reduce__(self):
        import os

        return (os.system, ("echo payload-ran",))


def test_dataset_pickles_never_run_code(tmp_path, capfd):
    from slahmr_opt.errors import UnsafeFileError

    path = tmp_path / "P0" / "09_x" / "P0_09_x_data.pkl"
    path.parent.mkdir(parents=True)
    path.write_bytes(pickle.dumps({"name": "P0_09_x", "smpl": _Payload()}))
    with pytest.raises(UnsafeFileError, match="os.*system|posix.*system"):
        read_emdb_sequence(path, trust_pickle=True)
    seq = tmp_path / "sequenceFiles" / "test"
    seq.mkdir(parents=True)
    (seq / "a.pkl").write_bytes(pickle.dumps({"sequence": _Payload()}, protocol=2))
    with pytest.raises(UnsafeFileError):
        read_dataset(tmp_path, "3dpw", "test", trust_pickle=True)
    assert "payload-ran" not in capfd.readouterr().out
