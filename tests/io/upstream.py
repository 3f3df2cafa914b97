"""What the upstream tools do with files, re-done here (our own code, same behaviour) so that the
readers are tested on files exactly as those tools write them and the writers on files read
exactly as those tools read them. Each function cites the code whose behaviour it reproduces.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import joblib
import numpy as np
import torch

# ------------------------------------------------------------------------------- SLAHMR inputs


def slahmr_export_phalp(res_path: Path, track_dir: Path, shot_path: Path) -> None:
    """vye16/slahmr ``slahmr/preproc/export_phalp.py:9-125`` (``export_sequence_results``).

    Per tracked detection of every frame: ``<tid:03d>/<name>_smpl.json`` (axis-angle from
    ``cv2.Rodrigues``; ``cam_trans`` from the crop camera with ``f = 0.5 (H + W)`` and the larger
    side of ``bbox``) and ``<tid:03d>/<name>_keypoints.json`` (``extra_data[i].tolist()``: a
    nested list), ``json.dump(..., indent=1)``; ``shot_idcs``: image file name → cumulative shot.
    """
    data = joblib.load(res_path)
    os.makedirs(track_dir, exist_ok=True)
    for frame, rec in data.items():
        name = os.path.splitext(frame.split("/")[-1])[0]
        for i, tid in enumerate(rec["tid"]):
            if tid not in rec["tracked_ids"]:
                continue
            cam = np.asarray(rec["camera_bbox"][i]).squeeze()
            H, W = rec["size"][i]
            focal = 0.5 * (H + W)
            cx, cy = rec["center"][i]
            side = max(rec["bbox"][i][-2:])
            tz = 2 * focal / (side * cam[0] + 1e-6)
            trans = [cam[1] + tz / focal * (cx - W / 2), cam[2] + tz / focal * (cy - H / 2), tz]
            smpl = rec["smpl"][i]
            pose = np.stack([cv2.Rodrigues(r)[0].squeeze() for r in smpl["body_pose"].squeeze()])
            out = Path(track_dir) / f"{tid:03d}"
            out.mkdir(exist_ok=True)
            with open(out / f"{name}_smpl.json", "w") as f:
                pred = {
                    "betas": smpl["betas"].squeeze().tolist(),
                    "body_pose": pose.tolist(),
                    "global_orient": cv2.Rodrigues(smpl["global_orient"].squeeze())[0]
                    .squeeze()
                    .tolist(),
                    "cam_trans": np.array(trans).tolist(),
                }
                json.dump(pred, f, indent=1)
            with open(out / f"{name}_keypoints.json", "w") as f:
                people = [{"pose_keypoints_2d": rec["extra_data"][i].tolist()}]
                json.dump({"people": people}, f, indent=1)
    frames = sorted(data)
    shots = np.cumsum([data[k]["shot"] for k in frames]).astype(int).tolist()
    os.makedirs(Path(shot_path).parent, exist_ok=True)
    with open(shot_path, "w") as f:
        json.dump({k.split("/")[-1]: s for k, s in zip(frames, shots, strict=True)}, f, indent=1)


def slahmr_read_keypoints(path: Path) -> np.ndarray:
    """vye16/slahmr ``slahmr/data/tools.py:12-30``: ``people[0]``, ``reshape([-1, 3])``."""
    with open(path) as f:
        data = json.load(f)
    return np.array(data["people"][0]["pose_keypoints_2d"], dtype=np.float32).reshape([-1, 3])


def run_slam_save_cameras(map_dir: Path, w2c: np.ndarray, intrins: np.ndarray, W, H) -> Path:
    """vye16/slahmr ``slahmr/preproc/run_slam.py:270-285`` (``save_cameras``): DROID's float32
    tensors through ``np.savez`` (``height``, ``width`` and ``focal`` are 0-d float32)."""
    os.makedirs(map_dir, exist_ok=True)
    intrins = torch.as_tensor(np.asarray(intrins), dtype=torch.float32)
    np.savez(
        f"{map_dir}/cameras.npz",
        height=torch.tensor(float(H)),
        width=torch.tensor(float(W)),
        focal=intrins[:, :2].mean(),
        intrins=intrins[:, :4],
        w2c=torch.as_tensor(np.asarray(w2c), dtype=torch.float32),
    )
    return Path(map_dir) / "cameras.npz"


def slahmr_load_cameras(path: Path, img_w: int) -> dict[str, torch.Tensor]:
    """vye16/slahmr ``slahmr/data/dataset.py:310-327, 396-417``: the file's arrays as tensors,
    intrinsics rescaled by ``img_w / width``, then composed with float32 tensors
    (``torch.randn(3) * 0.1`` is the original's unseeded noise, here zero)."""
    cam_data = np.load(path)
    width = int(cam_data["width"])
    assert int(cam_data["height"]) > 0
    w2c = torch.from_numpy(cam_data["w2c"])
    intrins = torch.from_numpy(cam_data["intrins"].astype(np.float32))
    cam_R, cam_t = w2c[:, :3, :3], w2c[:, :3, 3]
    t0 = -cam_t[0:1] + torch.zeros(3)
    cam_t = cam_t - t0
    # the base scene puts SMPL into the world with float32 tensors (optim/base_scene.py:104-113)
    einsum = torch.einsum("tij,tj->ti", cam_R.transpose(-1, -2), torch.zeros(len(cam_R), 3))
    return {"cam_R": cam_R, "cam_t": cam_t, "intrins": img_w / width * intrins, "x": einsum}


# ------------------------------------------------------------------------------ SLAHMR outputs


def slahmr_results_paths(res_dir: Path) -> dict[str, dict[str, str]]:
    """vye16/slahmr ``slahmr/optim/output.py:14-30`` (``get_results_paths``)."""
    path_dict: dict[str, dict[str, str]] = {}
    for res_file in sorted(Path(res_dir).glob("*_results.npz")):
        it, name, _ = res_file.name.split("_")[-3:]
        assert name in ["world", "prior"]
        path_dict.setdefault(it, {})[name] = str(res_file)
    return path_dict


def slahmr_load_result(res_path_dict: dict[str, str]) -> dict[str, dict[str, torch.Tensor]]:
    """vye16/slahmr ``slahmr/optim/output.py:33-43`` with ``util/tensor.py:25-32``
    (``to_torch``: ``torch.from_numpy(x).float()`` for every array)."""
    out = {}
    for name, path in res_path_dict.items():
        res = np.load(path)
        out[name] = {k: torch.from_numpy(res[k]).float() for k in res.files}
    return out


def slahmr_smpl_inputs(res: dict[str, torch.Tensor], num_betas: int = 16) -> dict:
    """The reshapes of vye16/slahmr ``slahmr/body_model/utils.py:15-39`` (``run_smpl``, with the
    SMPL-H body of ``util/loaders.py:37-59``: 16 betas) and the floor parse of
    ``geometry/plane.py:49-65`` that ``vis/output.py:38-82`` runs."""
    B, T, _ = res["trans"].shape
    betas = res["betas"].reshape((B, 1, num_betas)).expand((B, T, num_betas))
    out = {
        "pose_body": res["pose_body"].reshape((B * T, -1)),
        "betas": betas.reshape((B * T, -1)),
        "root_orient": res["root_orient"].reshape((B * T, -1)),
        "trans": res["trans"].reshape((B * T, -1)),
        "T_w2c": torch.cat([res["cam_R"][0], res["cam_t"][0][..., None]], dim=-1),
    }
    if "floor_plane" in res:
        plane = res["floor_plane"][0]
        offset = torch.norm(plane, dim=-1, keepdim=True)
        normal = plane / offset
        flip = normal[..., 1:2] > 0.0
        out["floor_normal"] = torch.where(flip.expand_as(normal), -normal, normal)
        out["floor_offset"] = torch.where(flip, -offset, offset)
    return out


def slahmr_load_track_info(path: Path):
    """vye16/slahmr ``slahmr/optim/output.py:105-126`` (``load_track_info``)."""
    with open(path) as f:
        track_info = json.load(f)
    meta, tracks = track_info["meta"], track_info["tracks"]
    track_ids, idcs, vis_masks = map(
        torch.as_tensor,
        zip(
            *[(int(tid), info["index"], info["vis_mask"]) for tid, info in tracks.items()],
            strict=True,
        ),
    )
    return track_ids[idcs], vis_masks[idcs], meta["data_interval"], meta["seq_interval"]


# ------------------------------------------------------------------------------- AMASS readers


def aitviewer_from_amass(path: Path, num_body_joints: int = 21, num_hand_joints: int = 15):
    """eth-ait/aitviewer ``aitviewer/renderables/smpl.py:198-251`` (``SMPLSequence.from_amass``)
    with its default SMPL-H layer: ``np.load``, ``gender.item()``, the ``poses`` slices."""
    body_data = np.load(path)
    gender = body_data["gender"].item()
    fps = body_data["mocap_framerate"].tolist()
    poses, trans = body_data["poses"], body_data["trans"]
    i_root_end = 3
    i_body_end = i_root_end + num_body_joints * 3
    i_left_hand_end = i_body_end + num_hand_joints * 3
    i_right_hand_end = i_left_hand_end + num_hand_joints * 3
    return {
        "gender": gender,
        "fps": fps,
        "poses_root": poses[:, :i_root_end],
        "poses_body": poses[:, i_root_end:i_body_end],
        "poses_left_hand": poses[:, i_body_end:i_left_hand_end],
        "poses_right_hand": poses[:, i_left_hand_end:i_right_hand_end],
        "betas": body_data["betas"][np.newaxis],
        "trans": trans,
    }


def human_body_prior_slices(path: Path) -> dict[str, np.ndarray]:
    """nghorbani/human_body_prior ``human_body_prior/data/prepare_data.py:94-102`` and
    ``tutorials/ik_example_joints.py:63-71``: ``poses[:, :3]`` root, ``poses[:, 3:66]`` body."""
    cdata = np.load(path)
    fullpose = cdata["poses"].astype(np.float32)
    return {
        "root_orient": fullpose[:, :3],
        "pose_body": fullpose[:, 3:66],
        "trans": cdata["trans"],
    }
