"""``slahmr-opt evaluate`` on 3DPW (two people, gendered SMPL, ``campose_valid``; tracks matched
to people in 2D) and RICH (SMPL-X ground truth with PCA hands, static cameras) fixtures, checked
against the protocol in plain numpy (protocol.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from slahmr_opt.body.standin import standin_path
from slahmr_opt.cli import main
from tests.baselines import fixtures as F
from tests.baselines import protocol as P
from tests.baselines.test_evaluate import _apply, _pose, _reg

joblib = pytest.importorskip("joblib")


def _wham_person(folder, subject, frames_valid, body):
    rec = joblib.load(folder / "wham_output.pkl")[subject]
    frames = np.intersect1d(frames_valid, rec["frame_ids"])
    rows = np.searchsorted(rec["frame_ids"], frames)
    pose, pw = rec["pose"][rows], rec["pose_world"][rows]
    jc, vc = _pose(
        body, pose[:, :3], pose[:, 3:].reshape(-1, 23, 3), rec["betas"][rows], rec["trans"][rows]
    )
    jw, vw = _pose(
        body, pw[:, :3], pw[:, 3:].reshape(-1, 23, 3), rec["betas"][rows], rec["trans_world"][rows]
    )
    return frames, jc, vc, jw, vw


# ------------------------------------------------------------------------------ 3DPW


def test_3dpw_two_people_wham_and_tram(tmp_path):
    body = F.standin64()
    scene, gt = F.synthetic_truth(seed=13, frames=50, people=2)
    F.write_3dpw(tmp_path / "3dpw", gt)
    seq = "downtown_walking_00"
    F.write_wham(tmp_path / "wham" / seq, scene, gt, body, ids=("p1", "p0"))
    F.write_tram(tmp_path / "tram" / seq, scene, gt, ids=("p1", "p0"))
    s = str(standin_path())
    out = tmp_path / "out"
    assert (
        main(
            [
                "evaluate",
                str(tmp_path / "3dpw"),
                "--dataset",
                "3dpw",
                "--trust-pickle",
                "--results",
                f"WHAM={tmp_path / 'wham'}",
                "--results",
                f"TRAM={tmp_path / 'tram'}",
                "--body",
                f"smpl-male={s}",
                "--body",
                f"smpl-female={s}",
                "--body",
                f"smpl-neutral={s}",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    summary = json.loads((out / "summary.json").read_text())["methods"]
    csv_text = (out / "per_sequence.csv").read_text()
    assert "WHAM,downtown_walking_00,0,1," in csv_text  # actor 0 (p0) is WHAM subject 1
    assert "WHAM,downtown_walking_00,1,0," in csv_text
    assert "TRAM,downtown_walking_00,0,1," in csv_text  # and TRAM's hps_track_1

    import pickle

    raw = pickle.loads(
        (tmp_path / "3dpw" / "sequenceFiles" / "test" / f"{seq}.pkl").read_bytes(),
        encoding="latin1",
    )
    cams = raw["cam_poses"]
    want = []
    for actor, subject in ((0, 1), (1, 0)):
        valid = np.flatnonzero(raw["campose_valid"][actor])
        frames, jc, vc, jw, vw = _wham_person(tmp_path / "wham" / seq, subject, valid, body)
        pose = raw["poses"][actor][frames]
        gj, gv = _pose(
            body,
            pose[:, :3],
            pose[:, 3:].reshape(-1, 23, 3),
            raw["betas"][actor][:10],
            raw["trans"][actor][frames],
        )
        R, t = cams[frames, :3, :3], cams[frames, :3, 3]
        want.append(
            P.metrics(
                jw, gj, jc, _apply(R, t, gj), vw[:, P.FOOT], gv[:, P.FOOT], vc, _apply(R, t, gv)
            )
        )
    for key, value in P.pooled(want).items():
        assert summary["WHAM"][key] == pytest.approx(value, rel=1e-6, abs=1e-6), key
    # 3DPW's table shows the camera-frame metrics
    md = (out / "table.md").read_text()
    assert "PA-MPJPE" in md and "WA-MPJPE100" not in md


# ------------------------------------------------------------------------------ RICH


def test_rich_smplx_truth_with_smpl_and_smplx_methods(tmp_path):
    body = F.standin64()
    scene, gt = F.synthetic_truth(seed=17, frames=30, people=1, camera="static")
    F.write_rich(tmp_path / "rich", gt)
    name = "Gym_013_burpee4/cam_00"
    F.write_wham(tmp_path / "wham" / name, scene, gt, body, ids=("p0",), drop=(5, 6))
    F.write_gvhmr(tmp_path / "gvhmr" / name, scene, gt, body)
    smplx = F.write_standin_smplx(tmp_path / "SMPLX_NEUTRAL.npz")
    F.write_smplx_to_smpl_pt(tmp_path / "smplx2smpl_sparse.pt")
    s = str(standin_path())
    out = tmp_path / "out"
    args = [
        "evaluate",
        str(tmp_path / "rich"),
        "--dataset",
        "rich",
        "--trust-pickle",
        "--sequences",
        name,
        "--results",
        f"WHAM={tmp_path / 'wham'}",
        "--results",
        f"GVHMR={tmp_path / 'gvhmr'}",
        "--body",
        f"smpl-neutral={s}",
        "--body",
        f"smplx-neutral={smplx}",
        "--body",
        f"smplx-female={smplx}",
    ]
    assert (
        main([*args, "--smplx2smpl", str(tmp_path / "smplx2smpl_sparse.pt"), "--out", str(out)])
        == 0
    )
    summary = json.loads((out / "summary.json").read_text())["methods"]

    # ground truth: the stand-in SMPL-X is the stand-in SMPL whose hand joints take the SMPL-X
    # index-finger rotation: mean + 12 PCA coefficients × components
    sx = np.load(smplx)
    import pickle

    bodies_dir = tmp_path / "rich" / "bodies" / "test" / "Gym_013_burpee4"
    frames_dirs = sorted(bodies_dir.iterdir())
    recs = [pickle.loads((d / "013.pkl").read_bytes()) for d in frames_dirs]
    cat = lambda k: np.concatenate([r[k] for r in recs]).astype(np.float64)  # noqa: E731
    hands = []
    for side, key in (("l", "left_hand_pose"), ("r", "right_hand_pose")):
        aa = sx[f"hands_mean{side}"] + cat(key) @ sx[f"hands_components{side}"][:12]
        hands.append(aa[:, :3])
    bp = np.concatenate([cat("body_pose").reshape(-1, 21, 3), np.stack(hands, 1)], axis=1)
    _, gv_all = _pose(body, cat("global_orient"), bp, cat("betas"), cat("transl"))
    ext = np.tile(gt.cameras.w2c()[0], (30, 1, 1))

    frames, jc, vc, jw, vw = _wham_person(tmp_path / "wham" / name, 0, np.arange(30), body)
    gv = gv_all[frames]
    R, t = ext[frames, :3, :3], ext[frames, :3, 3]
    want = P.metrics(
        _reg(vw),
        _reg(gv),
        _reg(vc),
        _reg(_apply(R, t, gv)),
        vw[:, P.FOOT],
        gv[:, P.FOOT],
        vc,
        _apply(R, t, gv),
    )
    for key, value in want.items():
        assert summary["WHAM"][key] == pytest.approx(value.mean(), rel=1e-6, abs=1e-6), key
    assert summary["WHAM"]["scored_frames"] == 29  # WHAM lost frame 5
    rows = (out / "per_sequence.csv").read_text()
    assert "smpl24-reg" in rows and "smpl24-fk" not in rows  # SMPL-X truth: GVHMR's joints

    # without the SMPL-X → SMPL map: the 22 shared joints, no PVE
    out2 = tmp_path / "out2"
    assert main([*args, "--out", str(out2), "--no-pve"]) == 0
    s2 = json.loads((out2 / "summary.json").read_text())["methods"]
    assert "pve" not in s2["WHAM"] and "body22-fk" in (out2 / "per_sequence.csv").read_text()
    assert s2["GVHMR"]["mpjpe"] > 0
    # --joints regressed needs the map for SMPL-X sides
    assert main([*args, "--joints", "regressed"]) == 2
