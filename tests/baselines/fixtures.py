"""Small datasets and method outputs written exactly as the upstream tools lay them out.

Each writer cites the upstream code it follows. The truth inside comes from the project's
synthetic generator (:func:`slahmr_opt.synth.scene.make_scene`), the method outputs from the same
scene's noisy per-frame estimates, so every number has a known answer.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from scipy.spatial.transform import Rotation

from slahmr_opt.body.model import BodyModel
from slahmr_opt.body.model_files import read_model_file
from slahmr_opt.body.standin import standin_path
from slahmr_opt.geometry.smpl_transform import transform_smpl
from slahmr_opt.io.keypoints import body25_to_coco17_array
from slahmr_opt.scene import GroundTruth, PersonMotion, Scene
from tests.baselines.py2pickle import dumps_py2

EMDB_NAME = "P0_09_outdoor_walk"
SMPLX_VERTS = 10475


# ------------------------------------------------------------------------------ helpers


def standin64() -> BodyModel:
    return BodyModel.standin(dtype=torch.float64)


def pelvis_rest(body: BodyModel, betas: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        b = torch.as_tensor(np.atleast_2d(betas)[:, : body.num_betas], dtype=torch.float64)
        return body.joint_template(b)[:, 0].numpy()


def move_smpl(body, R, t, go, transl, betas):
    """Apply X ↦ R X + t to SMPL root parameters (R (T,3,3) or (3,3))."""
    n = go.shape[0]
    R = np.broadcast_to(R, (n, 3, 3)).copy()
    t = np.broadcast_to(t, (n, 3)).copy()
    j0 = np.broadcast_to(pelvis_rest(body, betas), (n, 3)).copy()
    g, tr = transform_smpl(
        *(torch.from_numpy(np.asarray(a, dtype=np.float64)) for a in (R, t, go, transl, j0))
    )
    return g.numpy(), tr.numpy()


def rot_x(deg: float) -> np.ndarray:
    return Rotation.from_euler("x", deg, degrees=True).as_matrix()


def rot_y(deg: float) -> np.ndarray:
    return Rotation.from_euler("y", deg, degrees=True).as_matrix()


def track_camera_params(scene: Scene, tid: str):
    """A track's noisy camera-frame estimate: (frames, go, bp (T,23,3), betas, transl)."""
    t = scene.track(tid)
    return t.frames, t.global_orient, t.body_pose, t.betas, t.transl


def world_estimate_params(body, gt: GroundTruth, pid: str, rng, R=None, t=None, noise=0.01):
    """Ground-truth world motion perturbed (rotation noise, translation drift), then moved into
    another world frame by (R, t): what a world-grounded method outputs."""
    p = gt.person(pid)
    n = p.num_frames
    go = (
        Rotation.from_rotvec(rng.normal(scale=noise, size=(n, 3)))
        * Rotation.from_rotvec(p.global_orient)
    ).as_rotvec()
    bp = p.body_pose + rng.normal(scale=noise, size=p.body_pose.shape)
    drift = np.cumsum(rng.normal(scale=noise * 0.3, size=(n, 3)), axis=0)
    transl = p.transl * 1.03 + drift
    if R is not None:
        go, transl = move_smpl(body, R, t, go, transl, p.betas)
    return p.frames, go, bp, np.tile(p.betas, (n, 1)), transl


def synthetic_truth(seed: int = 3, frames: int = 60, people: int = 2, camera: str = "handheld"):
    from slahmr_opt.synth.scene import make_scene

    return make_scene(
        num_people=people,
        num_frames=frames,
        preset="easy",
        camera=camera,
        seed=seed,
        body=standin64(),
    )


# ------------------------------------------------------------------------------ datasets


def write_emdb(
    root: Path,
    gt: GroundTruth,
    *,
    name: str = EMDB_NAME,
    emdb1: bool = False,
    emdb2: bool = True,
    gender: str = "male",
    invalid=(10, 11, 12, 13),
) -> Path:
    """``P*/<seq>/<name>_data.pkl`` with the keys of EMDB's ``dataset.md`` (eth-ait/emdb), read by
    its ``evaluation_engine.py:59-75`` and WHAM's ``lib/eval/evaluate_emdb.py:119-125``."""
    p = gt.person("p0")
    n = gt.cameras.num_frames
    assert p.num_frames == n
    mask = np.ones(n, dtype=bool)
    mask[list(invalid)] = False
    cams = gt.cameras
    K = cams.K()[0]
    bboxes = np.tile([100.0, 100.0, 500.0, 900.0], (n, 1)).astype(np.float32)
    data = {
        "gender": gender,
        "name": name,
        "emdb1": emdb1,
        "emdb2": emdb2,
        "n_frames": n,
        "good_frames_mask": mask,
        "camera": {
            "intrinsics": K.astype(np.float32),
            "extrinsics": cams.w2c(),  # world→camera, (n, 4, 4)
            "width": int(2 * K[0, 2]),
            "height": int(2 * K[1, 2]),
        },
        "smpl": {
            "poses_root": p.global_orient.astype(np.float64),
            "poses_body": p.body_pose.reshape(n, 69),
            "trans": p.transl,
            "betas": p.betas[:10].astype(np.float64),
        },
        "kp2d": np.zeros((n, 24, 2), dtype=np.float32),
        "bboxes": {"bboxes": bboxes, "invalid_idxs": np.flatnonzero(~mask)},
    }
    folder = root / name[:2] / name[3:]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}_data.pkl"
    path.write_bytes(pickle.dumps(data))
    return path


def write_3dpw(
    root: Path,
    gt: GroundTruth,
    *,
    seq: str = "downtown_walking_00",
    split: str = "test",
    invalid=(20, 21, 22),
) -> Path:
    """``sequenceFiles/<split>/<seq>.pkl``: a Python 2 pickle with the readme's fields (actor
    lists; ``genders`` as VIBE ``threedpw_utils.py``, WHAM ``threedpw_eval_utils.py:65`` and GVHMR
    ``threedpw/utils.py:28`` read it); loads only with ``encoding="latin1"``."""
    n = gt.cameras.num_frames
    poses, trans, betas, genders, valid, j3d = [], [], [], [], [], []
    for k, p in enumerate(gt.people):
        full = np.zeros((n, 72))
        tr = np.zeros((n, 3))
        v = np.zeros(n, dtype=np.int64)
        full[p.frames, :3] = p.global_orient
        full[p.frames, 3:] = p.body_pose.reshape(-1, 69)
        tr[p.frames] = p.transl
        # 3DPW keeps every actor on every frame: outside the actor's range the pose is held
        full[: p.frames[0]], tr[: p.frames[0]] = full[p.frames[0]], tr[p.frames[0]]
        full[p.frames[-1] + 1 :], tr[p.frames[-1] + 1 :] = full[p.frames[-1]], tr[p.frames[-1]]
        v[p.frames] = 1
        if k == 0:
            v[list(invalid)] = 0
        poses.append(full)
        trans.append(tr)
        betas.append(np.concatenate([p.betas[:10], np.zeros(0)]))
        genders.append("m" if k == 0 else "f")
        valid.append(v)
        j3d.append(np.zeros((n, 72)))
    data = {
        "sequence": seq,
        "betas": betas,
        "poses": poses,
        "trans": trans,
        "poses_60Hz": poses,
        "trans_60Hz": trans,
        "betas_clothed": betas,
        "v_template_clothed": [np.zeros((6890, 3)) for _ in gt.people],
        "genders": genders,
        "texture_maps": [np.zeros((2, 2, 3), dtype=np.uint8) for _ in gt.people],
        "poses2d": [np.zeros((n, 3, 18)) for _ in gt.people],
        "jointPositions": j3d,
        "img_frame_ids": np.arange(n),
        "cam_poses": gt.cameras.w2c(),
        "campose_valid": valid,
        "cam_intrinsics": gt.cameras.K()[0],
    }
    folder = root / "sequenceFiles" / split
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{seq}.pkl"
    path.write_bytes(dumps_py2(data))
    return path


# ------------------------------------------------------------------------------ SMPL-X stand-in


def standin_smplx_data(seed: int = 0, hand_mean_scale: float = 0.1) -> dict:
    """A SMPL-X file whose first 6890 vertices *are* the stand-in SMPL body: body joints 0–21 and
    their skinning copied, SMPL's hand joints (22, 23) mapped to the SMPL-X index-finger roots
    (25, 40), 3585 extra vertices on the pelvis. With :func:`smplx_to_smpl_identity` the SMPL-X →
    SMPL map then reproduces the stand-in mesh exactly (hands at the SMPL-X hand pose)."""
    rng = np.random.default_rng(seed)
    s = read_model_file(standin_path())
    extra = SMPLX_VERTS - 6890
    v = np.concatenate([s["v_template"], s["v_template"][:extra]])
    parents = list(s["kintree_table"][0][:22].astype(np.int64))
    parents[0] = -1
    parents += [15, 15, 15]
    for wrist in (20, 21):
        for _ in range(5):
            start = len(parents)
            parents += [wrist, start, start + 1]
    j = len(parents)
    assert j == 55
    smpl_to_x = {k: k for k in range(22)}
    smpl_to_x.update({22: 25, 23: 40})
    reg = np.zeros((j, SMPLX_VERTS))
    for k in range(22):
        reg[k, :6890] = s["J_regressor"][k]
    for k in range(22, j):  # jaw/eyes at the head, hand joints at SMPL's hand joints
        src = 15 if k < 25 else (22 if k < 40 else 23)
        reg[k, :6890] = s["J_regressor"][src]
    weights = np.zeros((SMPLX_VERTS, j))
    for k, x in smpl_to_x.items():
        weights[:6890, x] = s["weights"][:, k]
    weights[6890:, 0] = 1.0
    posedirs = np.zeros((SMPLX_VERTS, 3, 9 * (j - 1)), dtype=np.float32)
    for k, x in smpl_to_x.items():
        if k == 0:
            continue
        posedirs[:6890, :, 9 * (x - 1) : 9 * x] = s["posedirs"][:, :, 9 * (k - 1) : 9 * k]
    shapedirs = np.zeros((SMPLX_VERTS, 3, 20))  # 10 shape + 10 expression (smplx's small file)
    shapedirs[:6890, :, :10] = s["shapedirs"]
    kintree = np.array([[4294967295] + parents[1:], list(range(j))], dtype=np.int64)
    data = {
        "v_template": v,
        "f": s["f"],
        "J_regressor": reg,
        "weights": weights,
        "shapedirs": shapedirs,
        "posedirs": posedirs,
        "kintree_table": kintree,
        "lmk_faces_idx": np.arange(51, dtype=np.int64),
        "lmk_bary_coords": np.full((51, 3), 1.0 / 3.0),
    }
    for side in ("l", "r"):
        data[f"hands_components{side}"] = np.linalg.qr(rng.normal(size=(45, 45)))[0]
        data[f"hands_mean{side}"] = rng.normal(scale=hand_mean_scale, size=45)
    return data


def write_standin_smplx(path: Path, **kw) -> Path:
    np.savez(path, **standin_smplx_data(**kw))
    return path


def smplx_to_smpl_identity() -> sp.csr_matrix:
    return sp.csr_matrix(
        (np.ones(6890), (np.arange(6890), np.arange(6890))), shape=(6890, SMPLX_VERTS)
    )


def write_smplx_to_smpl_pt(path: Path) -> Path:
    """The map in GVHMR's format: a sparse COO float32 torch tensor, ``torch.save``d
    (``hmr4d/utils/body_model/smplx2smpl_sparse.pt``)."""
    m = smplx_to_smpl_identity().tocoo()
    t = torch.sparse_coo_tensor(
        np.vstack([m.row, m.col]), m.data.astype(np.float32), m.shape, check_invariants=True
    )
    torch.save(t, path)
    return path


def write_rich(
    root: Path,
    gt: GroundTruth,
    *,
    seq: str = "Gym_013_burpee4",
    split: str = "test",
    cams=(0, 3),
    seed: int = 0,
) -> dict[int, np.ndarray]:
    """RICH as released (rich_toolkit ``README.md``; ``smplx2images.py:32-47``): per-frame body
    pickles ``bodies/<split>/<seq>/<frame:05d>/<subject>.pkl`` of SMPL-X parameters with a batch
    axis of 1 and 12 PCA hand coefficients, calibration XMLs
    ``scan_calibration/<scene>/calibration/<cam:03d>.xml`` (``utils.py:5-34``), ``gender.json``.

    Camera 0 is the truth's (static) camera; camera 3 another static view. Returns cam → w2c.
    """
    rng = np.random.default_rng(seed)
    p = gt.person("p0")
    first = 46
    sub = seq.split("_")[1]
    hand = rng.normal(scale=0.3, size=(p.num_frames, 2, 12))
    for i in range(p.num_frames):
        d = root / "bodies" / split / seq / f"{first + i:05d}"
        d.mkdir(parents=True, exist_ok=True)
        body = {
            "global_orient": p.global_orient[i][None].astype(np.float32),
            "body_pose": p.body_pose[i, :21].reshape(1, 63).astype(np.float32),
            "transl": p.transl[i][None].astype(np.float32),
            "betas": p.betas[:10][None].astype(np.float32),
            "left_hand_pose": hand[i, 0][None].astype(np.float32),
            "right_hand_pose": hand[i, 1][None].astype(np.float32),
            "jaw_pose": np.zeros((1, 3), dtype=np.float32),
            "leye_pose": np.zeros((1, 3), dtype=np.float32),
            "reye_pose": np.zeros((1, 3), dtype=np.float32),
            "expression": np.zeros((1, 10), dtype=np.float32),
        }
        (d / f"{sub}.pkl").write_bytes(pickle.dumps(body))
    scene = seq.split("_")[0]
    calib = root / "scan_calibration" / scene / "calibration"
    calib.mkdir(parents=True, exist_ok=True)
    K = gt.cameras.K()[0]
    out = {}
    for cam in cams:
        w2c = (
            gt.cameras.w2c()[0]
            if cam == 0
            else np.block(
                [
                    [rot_y(25.0) @ gt.cameras.R[0], np.array([[0.4], [0.0], [0.3]])],
                    [np.zeros((1, 3)), np.ones((1, 1))],
                ]
            )
        )
        out[cam] = w2c
        ext = " ".join(f"{x:.12g}" for x in w2c[:3].reshape(-1))
        intr = " ".join(f"{x:.12g}" for x in K.reshape(-1))
        (calib / f"{cam:03d}.xml").write_text(
            '<?xml version="1.0"?>\n<opencv_storage>\n'
            f'<CameraMatrix type_id="opencv-matrix"><rows>3</rows><cols>4</cols><dt>d</dt>'
            f"<data>{ext}</data></CameraMatrix>\n"
            f'<Intrinsics type_id="opencv-matrix"><rows>3</rows><cols>3</cols><dt>d</dt>'
            f"<data>{intr}</data></Intrinsics>\n"
            '<Distortion type_id="opencv-matrix"><rows>5</rows><cols>1</cols><dt>d</dt>'
            "<data>0 0 0 0 0</data></Distortion>\n</opencv_storage>\n"
        )
    (root / "gender.json").write_text('{"13": "female", "14": "male"}')
    return out


# ------------------------------------------------------------------------------ methods


def write_wham(
    folder: Path,
    scene: Scene,
    gt: GroundTruth,
    body,
    *,
    ids=("p1", "p0"),
    drop=(30, 33),
    seed: int = 1,
) -> Path:
    """WHAM ``demo.py:155-171``: ``joblib.dump(results, 'wham_output.pkl')`` with per subject
    ``pose`` / ``trans`` (camera), ``pose_world`` / ``trans_world`` (its own y-up world),
    ``betas``, ``verts``, ``frame_ids``; plus ``tracking_results.pth`` and ``slam_results.pth``
    (``demo.py:87-88``). Subject ``k`` is scene track ``ids[k]``; frames ``drop`` are missing."""
    import joblib

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    results, tracking = {}, {}
    flip = rot_x(180.0)
    for k, tid in enumerate(ids):
        frames, go, bp, betas, tr = track_camera_params(scene, tid)
        keep = ~np.isin(frames, np.arange(*drop))
        wf, wgo, wbp, wb, wtr = world_estimate_params(
            body, gt, tid, rng, R=flip @ rot_y(40.0 * k), t=np.array([1.0, 0.5, -2.0])
        )
        assert np.array_equal(wf, frames)
        sel = np.flatnonzero(keep)
        results[k] = {
            "pose": np.concatenate([go, bp.reshape(-1, 69)], 1)[sel].astype(np.float32),
            "trans": tr[sel].astype(np.float32),
            "pose_world": np.concatenate([wgo, bp.reshape(-1, 69)], 1)[sel].astype(np.float32),
            "trans_world": wtr[sel].astype(np.float32),
            "betas": betas[sel].astype(np.float32),
            "verts": np.zeros((sel.size, 6890, 3), dtype=np.float32),
            "frame_ids": frames[sel],
        }
        t = scene.track(tid)
        tracking[k] = {
            "frame_id": frames[sel],
            "keypoints": body25_to_coco17_array(t.keypoints[sel]),
            "bbox": np.tile([500.0, 500.0, 2.0], (sel.size, 1)),
            "features": np.zeros((sel.size, 1024), dtype=np.float32),
        }
    joblib.dump(results, folder / "wham_output.pkl")
    joblib.dump(tracking, folder / "tracking_results.pth")
    c2w = scene.cameras.c2w()
    quat = Rotation.from_matrix(c2w[:, :3, :3]).as_quat()  # x y z w
    joblib.dump(np.concatenate([c2w[:, :3, 3], quat], 1), folder / "slam_results.pth")
    return folder


def write_gvhmr(
    folder: Path, scene: Scene, gt: GroundTruth, body, *, tid: str = "p0", seed: int = 2
) -> Path:
    """GVHMR ``tools/demo/demo.py:299-303``: ``torch.save(pred, 'hmr4d_results.pt')`` with
    ``smpl_params_global`` / ``smpl_params_incam`` (SMPL-X ``body_pose`` (L, 63), ``betas``
    (L, 10), ``global_orient``, ``transl``), ``K_fullimg`` (L, 3, 3), ``net_outputs``
    (``gvhmr_pl_demo.py:40-45``); plus ``preprocess/vitpose.pt`` and ``preprocess/slam_results.pt``
    (``demo.py:115, 149``). The stand-in SMPL-X shares the stand-in's pelvis, so SMPL
    ``transl`` carries over."""
    rng = np.random.default_rng(seed)
    (folder / "preprocess").mkdir(parents=True, exist_ok=True)
    frames, go, bp, betas, tr = track_camera_params(scene, tid)
    n = scene.num_frames
    assert np.array_equal(frames, np.arange(n))
    wf, wgo, wbp, wb, wtr = world_estimate_params(
        body, gt, tid, rng, R=rot_x(180.0) @ rot_y(-70.0), t=np.zeros(3)
    )
    t32 = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float32))  # noqa: E731
    K = torch.from_numpy(scene.cameras.K().astype(np.float32))
    pred = {
        "smpl_params_global": {
            "body_pose": t32(wbp[:, :21].reshape(n, 63)),
            "betas": t32(wb),
            "global_orient": t32(wgo),
            "transl": t32(wtr),
        },
        "smpl_params_incam": {
            "body_pose": t32(bp[:, :21].reshape(n, 63)),
            "betas": t32(betas),
            "global_orient": t32(go),
            "transl": t32(tr),
        },
        "K_fullimg": K,
        "net_outputs": {
            "model_output": {"pred_x": torch.zeros(1, n, 151)},
            "static_conf_logits": torch.zeros(1, n, 6),
        },
    }
    torch.save(pred, folder / "hmr4d_results.pt")
    t = scene.track(tid)
    torch.save(
        torch.from_numpy(body25_to_coco17_array(t.keypoints)).float(),
        folder / "preprocess" / "vitpose.pt",
    )
    c2w = scene.cameras.c2w()
    quat = Rotation.from_matrix(c2w[:, :3, :3]).as_quat()
    torch.save(np.concatenate([c2w[:, :3, 3], quat], 1), folder / "preprocess" / "slam_results.pt")
    return folder


def write_tram(
    folder: Path, scene: Scene, gt: GroundTruth, *, ids=("p0", "p1"), seed: int = 3
) -> Path:
    """TRAM demo layout: ``np.save('camera.npy', camera)`` (``scripts/estimate_camera.py:50-54``)
    with metric camera→world ``pred_cam_R/T`` and gravity-aligned ``world_cam_R/T``, and
    ``np.save('hps/hps_track_<k>.npy', results)`` (``scripts/estimate_humans.py:51-55``) with the
    tensors of ``hmr_vimo.inference`` (``pred_rotmat`` (N, 24, 3, 3), ``pred_shape``,
    ``pred_trans`` (N, 1, 3), ``pred_cam``, ``pred_pose``, ``frame``)."""
    rng = np.random.default_rng(seed)
    (folder / "hps").mkdir(parents=True, exist_ok=True)
    c2w_true = gt.cameras.c2w()
    R0 = rot_x(180.0)
    world_R = np.einsum("ij,tjk->tik", R0, c2w_true[:, :3, :3])
    world_T = (c2w_true[:, :3, 3] * 0.98) @ R0.T + np.array([0.0, 1.6, 0.0])
    camera = {
        "pred_cam_R": c2w_true[:, :3, :3].astype(np.float32),
        "pred_cam_T": c2w_true[:, :3, 3].astype(np.float32),
        "world_cam_R": world_R.astype(np.float32),
        "world_cam_T": world_T.astype(np.float32),
        "img_focal": np.float64(scene.cameras.intrinsics[0, 0]),
        "img_center": scene.cameras.intrinsics[0, 2:].copy(),
        "spec_focal": np.float64(scene.cameras.intrinsics[0, 0]),
    }
    np.save(folder / "camera.npy", camera)
    for k, tid in enumerate(ids):
        frames, go, bp, betas, tr = track_camera_params(scene, tid)
        n = frames.size
        aa = np.concatenate([go[:, None], bp], axis=1)
        rotmat = Rotation.from_rotvec(aa.reshape(-1, 3)).as_matrix().reshape(n, 24, 3, 3)
        shape = betas + rng.normal(scale=0.05, size=betas.shape)
        results = {
            "pred_cam": torch.zeros(n, 3),
            "pred_pose": torch.zeros(n, 144),
            "pred_shape": torch.from_numpy(shape).float(),
            "pred_rotmat": torch.from_numpy(rotmat).float(),
            "pred_trans": torch.from_numpy(tr[:, None]).float(),
            "frame": torch.from_numpy(frames),
        }
        np.save(folder / "hps" / f"hps_track_{k}.npy", results)
    return folder


def write_tram_emdb(root: Path, scene: Scene, gt: GroundTruth, seq: str, *, tid="p0") -> Path:
    """TRAM's EMDB evaluation inputs: ``np.savez(camera/<seq>.npz, **camera)`` and
    ``np.savez(smpl/<seq>.npz, **results)`` (``scripts/emdb/run_cam.py:121-128``,
    ``run_smpl.py:134-142``), one person over every frame."""
    (root / "camera").mkdir(parents=True, exist_ok=True)
    (root / "smpl").mkdir(parents=True, exist_ok=True)
    c2w = gt.cameras.c2w()
    np.savez(
        root / "camera" / f"{seq}.npz",
        pred_cam_R=c2w[:, :3, :3],
        pred_cam_T=c2w[:, :3, 3],
        world_cam_R=c2w[:, :3, :3],
        world_cam_T=c2w[:, :3, 3],
        img_focal=float(scene.cameras.intrinsics[0, 0]),
        img_center=scene.cameras.intrinsics[0, 2:],
        spec_focal=1000.0,
    )
    frames, go, bp, betas, tr = track_camera_params(scene, tid)
    n = frames.size
    aa = np.concatenate([go[:, None], bp], axis=1)
    rotmat = Rotation.from_rotvec(aa.reshape(-1, 3)).as_matrix().reshape(n, 24, 3, 3)
    np.savez(
        root / "smpl" / f"{seq}.npz",
        pred_cam=torch.zeros(n, 3),
        pred_pose=torch.zeros(n, 144),
        pred_shape=torch.from_numpy(betas).float(),
        pred_rotmat=torch.from_numpy(rotmat).float(),
        pred_trans=torch.from_numpy(tr[:, None]).float(),
        img_focal=float(scene.cameras.intrinsics[0, 0]),
        img_center=scene.cameras.intrinsics[0, 2:],
    )
    return root


def write_ours(folder: Path, scene: Scene, body) -> Path:
    """Our naive composition as a result folder (``save_estimate``)."""
    from slahmr_opt.io.results import save_estimate
    from slahmr_opt.result import WorldEstimate
    from slahmr_opt.solver.world_init import naive_composition

    people, alpha = naive_composition(scene, body, alpha="median")
    est = WorldEstimate(people, alpha, scene.cameras, scene.fps, method="naive-median")
    return save_estimate(est, folder)


def person_slice(p: PersonMotion, rows: np.ndarray) -> PersonMotion:
    return PersonMotion(
        p.track_id,
        p.frames[rows],
        p.global_orient[rows],
        p.body_pose[rows],
        p.betas,
        p.transl[rows],
    )
