"""``slahmr-opt evaluate`` on small datasets laid out as EMDB and 3DPW lay them out, scoring
WHAM-, GVHMR-, TRAM-format results and ours in one table: every number must equal the protocol
computed here independently, in plain numpy (tests/baselines/protocol.py), on arrays read straight
from the files."""

from __future__ import annotations

import csv
import io
import json
import pickle

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from slahmr_opt.body.model import BodyModel
from slahmr_opt.body.standin import standin_path
from slahmr_opt.cli import main
from tests.baselines import fixtures as F
from tests.baselines import protocol as P

joblib = pytest.importorskip("joblib")

FRAMES = 130  # two W/WA chunks: [0, 100) and the short tail
SEQ = F.EMDB_NAME


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    root = tmp_path_factory.mktemp("emdb_case")
    body = F.standin64()
    scene, gt = F.synthetic_truth(seed=5, frames=FRAMES, people=2)
    F.write_emdb(root / "emdb", gt)
    F.write_wham(root / "wham" / SEQ, scene, gt, body)
    F.write_gvhmr(root / "gvhmr" / SEQ, scene, gt, body)
    F.write_tram(root / "tram" / SEQ, scene, gt)
    F.write_tram_emdb(root / "tram_emdb", scene, gt, SEQ[3:])
    F.write_ours(root / "ours" / SEQ, scene, body)
    smplx = F.write_standin_smplx(root / "SMPLX_NEUTRAL.npz")
    F.write_smplx_to_smpl_pt(root / "smplx2smpl_sparse.pt")
    return {"root": root, "scene": scene, "gt": gt, "body": body, "smplx": smplx}


def _body_args(case) -> list[str]:
    s = str(standin_path())
    return [
        "--body",
        f"smpl-neutral={s}",
        "--body",
        f"smpl-male={s}",
        "--body",
        f"smplx-neutral={case['smplx']}",
        "--smplx2smpl",
        str(case["root"] / "smplx2smpl_sparse.pt"),
    ]


def _pose(body: BodyModel, go, bp, betas, transl):
    t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64))  # noqa: E731
    with torch.no_grad():
        out = body(t(go), t(bp), t(betas), t(transl), vertices=True)
    return out.joints.numpy()[:, :24], out.vertices.numpy()


def _apply(R, t, x):
    return np.einsum("nij,npj->npi", R, x) + t[:, None]


def _gt(case, frames):
    """Ground-truth world/camera joints, feet and camera vertices on ``frames`` (EMDB file)."""
    data = pickle.loads((case["root"] / "emdb" / "P0" / SEQ[3:] / f"{SEQ}_data.pkl").read_bytes())
    s = data["smpl"]
    j, v = _pose(
        case["body"],
        s["poses_root"][frames],
        s["poses_body"][frames].reshape(-1, 23, 3),
        s["betas"],
        s["trans"][frames],
    )
    ext = data["camera"]["extrinsics"][frames]
    jc, vc = _apply(ext[:, :3, :3], ext[:, :3, 3], j), _apply(ext[:, :3, :3], ext[:, :3, 3], v)
    return {
        "j": j,
        "jc": jc,
        "feet": v[:, P.FOOT],
        "vc": vc,
        "verts": v,
        "R": ext[:, :3, :3],
        "t": ext[:, :3, 3],
        "mask": data["good_frames_mask"],
    }


def _reg(v):
    return np.einsum("jv,nvc->njc", np.load(standin_path())["J_regressor"], v)


def _expected_wham(case):
    rec = joblib.load(case["root"] / "wham" / SEQ / "wham_output.pkl")[1]  # subject 1 = p0
    mask = _gt(case, np.arange(FRAMES))["mask"]
    frames = np.intersect1d(np.flatnonzero(mask), rec["frame_ids"])
    rows = np.searchsorted(rec["frame_ids"], frames)
    g = _gt(case, frames)
    pose, pw = rec["pose"][rows], rec["pose_world"][rows]
    jc, vc = _pose(
        case["body"],
        pose[:, :3],
        pose[:, 3:].reshape(-1, 23, 3),
        rec["betas"][rows],
        rec["trans"][rows],
    )
    jw, vw = _pose(
        case["body"],
        pw[:, :3],
        pw[:, 3:].reshape(-1, 23, 3),
        rec["betas"][rows],
        rec["trans_world"][rows],
    )
    return P.metrics(jw, g["j"], jc, g["jc"], vw[:, P.FOOT], g["feet"], vc, g["vc"]), frames.size


def _expected_gvhmr(case):
    pred = torch.load(case["root"] / "gvhmr" / SEQ / "hmr4d_results.pt", weights_only=True)
    mask = _gt(case, np.arange(FRAMES))["mask"]
    frames = np.flatnonzero(mask)
    g = _gt(case, frames)
    sx = np.load(case["smplx"])
    hands = np.stack([sx["hands_meanl"][:3], sx["hands_meanr"][:3]])
    out = []
    for key in ("smpl_params_incam", "smpl_params_global"):
        p = {k: v.double().numpy()[frames] for k, v in pred[key].items()}
        # the stand-in SMPL-X is the stand-in SMPL with SMPL's hand joints at the mean SMPL-X hand
        bp = np.concatenate(
            [p["body_pose"].reshape(-1, 21, 3), np.broadcast_to(hands, (frames.size, 2, 3))], axis=1
        )
        out.append(_pose(case["body"], p["global_orient"], bp, p["betas"], p["transl"])[1])
    vc, vw = out
    gj, gjc = _reg(g["verts"]), _reg(g["vc"])
    return P.metrics(
        _reg(vw), gj, _reg(vc), gjc, vw[:, P.FOOT], g["feet"], vc, g["vc"]
    ), frames.size


def _expected_tram(case, emdb_layout: bool):
    if emdb_layout:
        rec = dict(np.load(case["root"] / "tram_emdb" / "smpl" / f"{SEQ[3:]}.npz"))
        cam = dict(np.load(case["root"] / "tram_emdb" / "camera" / f"{SEQ[3:]}.npz"))
        R, T, rec_frames = cam["pred_cam_R"], cam["pred_cam_T"], np.arange(FRAMES)
    else:
        rec = np.load(
            case["root"] / "tram" / SEQ / "hps" / "hps_track_0.npy", allow_pickle=True
        ).item()
        rec = {k: v.numpy() if torch.is_tensor(v) else v for k, v in rec.items()}
        cam = np.load(case["root"] / "tram" / SEQ / "camera.npy", allow_pickle=True).item()
        R, T, rec_frames = cam["world_cam_R"], cam["world_cam_T"], rec["frame"]
    mask = _gt(case, np.arange(FRAMES))["mask"]
    frames = np.intersect1d(np.flatnonzero(mask), rec_frames)
    rows = np.searchsorted(rec_frames, frames)
    g = _gt(case, frames)
    aa = Rotation.from_matrix(rec["pred_rotmat"][rows].reshape(-1, 3, 3).astype(np.float64))
    aa = aa.as_rotvec().reshape(-1, 24, 3)
    betas = rec["pred_shape"].astype(np.float64).mean(0)
    jc, vc = _pose(case["body"], aa[:, 0], aa[:, 1:], betas, rec["pred_trans"][rows, 0])
    Rw, Tw = R[frames].astype(np.float64), T[frames].astype(np.float64)
    jw, vw = _apply(Rw, Tw, jc), _apply(Rw, Tw, vc)
    return P.metrics(jw, g["j"], jc, g["jc"], vw[:, P.FOOT], g["feet"], vc, g["vc"]), frames.size


def _expected_ours(case):
    folder = case["root"] / "ours" / SEQ
    z = np.load(folder / "person_p0.npz")
    w2c = np.load(folder / "cameras.npz")["w2c_metric"]
    mask = _gt(case, np.arange(FRAMES))["mask"]
    frames = np.intersect1d(np.flatnonzero(mask), z["frames"])
    rows = np.searchsorted(z["frames"], frames)
    g = _gt(case, frames)
    poses = z["poses_world"][rows]  # person files: world motion under *_world (formats.md)
    jw, vw = _pose(
        case["body"],
        poses[:, :3],
        poses[:, 3:].reshape(-1, 23, 3),
        z["betas"],
        z["trans_world"][rows],
    )
    R, t = w2c[frames, :3, :3], w2c[frames, :3, 3]
    jc, vc = _apply(R, t, jw), _apply(R, t, vw)
    return P.metrics(jw, g["j"], jc, g["jc"], vw[:, P.FOOT], g["feet"], vc, g["vc"]), frames.size


def _emdb_args(case, out) -> list[str]:
    r = case["root"]
    methods = {
        "ours": "ours",
        "WHAM": "wham",
        "GVHMR": "gvhmr",
        "TRAM": "tram",
        "TRAM-emdb": "tram_emdb",
    }
    results = [a for m, d in methods.items() for a in ("--results", f"{m}={r / d}")]
    return [
        "evaluate",
        str(r / "emdb"),
        "--dataset",
        "emdb",
        "--trust-pickle",
        *results,
        *_body_args(case),
        "--out",
        str(out),
    ]


@pytest.fixture(scope="module")
def emdb_run(case, tmp_path_factory):
    out = tmp_path_factory.mktemp("emdb_out")
    assert main([*_emdb_args(case, out), "--split", "emdb2"]) == 0
    return out


@pytest.mark.parametrize(
    "method, expected",
    [
        ("WHAM", _expected_wham),
        ("GVHMR", _expected_gvhmr),
        ("TRAM", lambda c: _expected_tram(c, emdb_layout=False)),
        ("TRAM-emdb", lambda c: _expected_tram(c, emdb_layout=True)),
        ("ours", _expected_ours),
    ],
)
def test_emdb_numbers_match_the_protocol_in_numpy(case, emdb_run, method, expected):
    summary = json.loads((emdb_run / "summary.json").read_text())
    got = summary["methods"][method]
    want, scored = expected(case)
    assert got["scored_frames"] == scored
    for key, values in want.items():
        assert got[key] == pytest.approx(values.mean(), rel=1e-6, abs=1e-6), (method, key)


def test_emdb_table_and_csv(case, emdb_run):
    md = (emdb_run / "table.md").read_text()
    tex = (emdb_run / "table.tex").read_text()
    for m in ("ours", "WHAM", "GVHMR", "TRAM"):
        assert f"| {m}" in md
        assert m in tex
    assert "WA-MPJPE100" in md and r"\begin{tabular}" in tex and r"\toprule" in tex
    assert "GVHMR: joints smpl24-reg" in md  # GVHMR is scored on SMPL-X put on SMPL's topology
    rows = list(csv.DictReader(io.StringIO((emdb_run / "per_sequence.csv").read_text())))
    by = {r["method"]: r for r in rows}
    assert by["WHAM"]["track"] == "1"  # WHAM subject 1 is the EMDB subject (matched in 2D)
    assert int(by["WHAM"]["valid_frames"]) == FRAMES - 4  # good_frames_mask drops 4 frames
    assert int(by["WHAM"]["scored_frames"]) == FRAMES - 4 - 3  # WHAM lost frames 30–32
    assert by["GVHMR"]["joint_set"] == "smpl24-reg" and by["WHAM"]["joint_set"] == "smpl24-fk"
    summary = json.loads((emdb_run / "summary.json").read_text())
    assert summary["methods"]["WHAM"]["coverage"] == pytest.approx(
        100 * (FRAMES - 7) / (FRAMES - 4)
    )


def test_evaluate_resumes_from_its_cache(case, emdb_run, monkeypatch, capsys):
    """A second run with the same --out reads every (method, sequence) from cache/."""
    import slahmr_opt.eval.baselines as B

    def boom(*a, **k):
        raise AssertionError("scored again instead of reading the cache")

    monkeypatch.setattr(B, "score_sequence", boom)
    before = json.loads((emdb_run / "summary.json").read_text())["methods"]
    assert main(_emdb_args(case, emdb_run)) == 0
    after = json.loads((emdb_run / "summary.json").read_text())["methods"]
    assert after == before


def test_emdb1_split_is_empty_and_says_so(case, capsys):
    r = case["root"]
    code = main(
        [
            "evaluate",
            str(r / "emdb"),
            "--dataset",
            "emdb",
            "--split",
            "emdb1",
            "--trust-pickle",
            "--results",
            f"WHAM={r / 'wham'}",
        ]
    )
    assert code == 2
    assert "no EMDB sequence in split 'emdb1'" in capsys.readouterr().err


def test_missing_results_are_an_error_unless_allowed(case, tmp_path, capsys):
    r = case["root"]
    empty = tmp_path / "empty"
    empty.mkdir()
    args = [
        "evaluate",
        str(r / "emdb"),
        "--dataset",
        "emdb",
        "--trust-pickle",
        "--results",
        f"WHAM={r / 'wham'}",
        "--results",
        f"none={empty}",
        *_body_args(case),
    ]
    assert main(args) == 2
    assert "none: P0_09_outdoor_walk" in capsys.readouterr().err
    assert main([*args, "--allow-missing", "--no-pve"]) == 0
    out = capsys.readouterr().out
    none_row = next(line for line in out.splitlines() if line.startswith("| none"))
    assert none_row.rstrip().endswith("| 0.0 |")  # coverage 0 %, every metric "–"
    assert "–" in none_row


def test_pickles_need_trust(case, capsys):
    r = case["root"]
    assert (
        main(["evaluate", str(r / "emdb"), "--dataset", "emdb", "--results", f"WHAM={r / 'wham'}"])
        == 2
    )
    err = capsys.readouterr().err
    assert "_data.pkl" in err and "--trust-pickle" in err
