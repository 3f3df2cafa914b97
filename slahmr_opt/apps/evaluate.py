"""``slahmr-opt evaluate``: score methods' results on a dataset with one protocol, print the table.

    slahmr-opt evaluate EMDB_ROOT --dataset emdb --split emdb2 --trust-pickle \\
        --results ours=runs/emdb --results WHAM=wham_out --results GVHMR=gvhmr_out \\
        --bodies body_models --smplx2smpl smplx2smpl_sparse.pt --out tables/emdb2

See docs/baselines.md. Per (method, sequence) results are cached under ``--out`` so that an
interrupted evaluation resumes where it stopped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from slahmr_opt.apps.common import positive_float
from slahmr_opt.errors import InputError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="score result folders (ours, WHAM, GVHMR, TRAM) on EMDB/3DPW/RICH and print the "
        "paper table",
    )
    p.add_argument("dataset_root", help="the dataset folder (your own copy)")
    p.add_argument("--dataset", required=True, choices=["emdb", "3dpw", "rich"])
    p.add_argument(
        "--split",
        default=None,
        help="emdb1, emdb2 (default), all | 3dpw: test (default), validation, train | "
        "rich: test (default), val, train",
    )
    p.add_argument(
        "--results",
        action="append",
        required=True,
        metavar="NAME=DIR",
        help="a method's results: DIR/<sequence>/ in any supported format (repeatable)",
    )
    p.add_argument("--sequences", default=None, help="comma-separated sequence names to keep")
    p.add_argument(
        "--pass",
        dest="pass_name",
        default=None,
        help="score this pass of slahmr-opt results (init, root, smooth, motion)",
    )
    g = p.add_argument_group("bodies (docs/baselines.md, 'Bodies')")
    g.add_argument("--bodies", default=None, help="folder with the SMPL / SMPL-X model files")
    g.add_argument(
        "--body",
        action="append",
        default=[],
        metavar="KIND=PATH",
        help="one model file, KIND = smpl-neutral, smpl-male, ..., smplx-female",
    )
    g.add_argument(
        "--smplx2smpl", default=None, help="SMPL-X → SMPL vertex map (GVHMR's smplx2smpl_sparse.pt)"
    )
    g = p.add_argument_group("protocol")
    g.add_argument(
        "--joints",
        default="fk",
        choices=["fk", "regressed"],
        help="fk: SMPL FK joints (WHAM/TRAM); regressed: J_regressor on meshes (GVHMR)",
    )
    g.add_argument("--rte-root", default="pelvis", choices=["pelvis", "transl"])
    g.add_argument("--tail", default="gvhmr", choices=["gvhmr", "tram"])
    g.add_argument("--accel-trim", action="store_true", help="drop first/last accel window")
    g.add_argument("--no-pve", action="store_true", help="skip PVE (no full meshes: faster)")
    g.add_argument(
        "--match-threshold",
        type=positive_float,
        default=0.15,
        help="track↔person matching: max mean 2D distance / image diagonal",
    )
    p.add_argument("--columns", default=None, help="comma-separated metric keys to show")
    p.add_argument(
        "--allow-missing",
        action="store_true",
        help="score methods that lack some sequences (coverage shows it)",
    )
    p.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow reading pickles (the datasets' annotations, WHAM, TRAM demo)",
    )
    p.add_argument(
        "--out",
        default=None,
        help="folder for table.md, table.tex, per_sequence.csv, summary.json, cache/",
    )
    p.add_argument("--csv", default=None, help="also write the per-sequence CSV here")
    p.set_defaults(
        func=run, outputs=(("out", "folder"), ("csv", "file")), inputs=("dataset_root", "results")
    )


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InputError(f"{flag}: expected NAME=PATH, got {item!r}")
        if name.strip() in out:
            raise InputError(f"{flag}: {name.strip()!r} given twice")
        out[name.strip()] = value.strip()
    return out


def _file_stamp(path: Path) -> list[Any]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return [[str(p), p.stat().st_size, p.stat().st_mtime_ns] for p in files[:200]]


def _cache_key(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _load_cached(path: Path, key: str):
    from slahmr_opt.eval.baselines import PersonScore
    from slahmr_opt.safe_load import load_npz

    if not path.is_file():
        return None
    try:
        z = load_npz(path, "evaluate cache")
        meta = json.loads(str(z["meta"]))
        if meta.get("key") != key:
            return None
        out = []
        for i, m in enumerate(meta["people"]):
            metrics = {k: z[f"p{i}_{k}"] for k in m["metric_keys"]}
            out.append(
                PersonScore(
                    m["sequence"],
                    m["person"],
                    m["track"],
                    m["valid_frames"],
                    m["scored_frames"],
                    m["joint_set"],
                    metrics,
                    m["notes"],
                )
            )
        return out
    except (OSError, ValueError, KeyError):  # a stale or damaged cache entry: score again
        return None


def _save_cached(path: Path, key: str, scores) -> None:
    import numpy as np

    from slahmr_opt.files import write_npz_atomic

    arrays: dict[str, Any] = {}
    people = []
    for i, s in enumerate(scores):
        people.append(
            {
                "sequence": s.sequence,
                "person": s.person,
                "track": s.track,
                "valid_frames": s.valid_frames,
                "scored_frames": s.scored_frames,
                "joint_set": s.joint_set,
                "notes": s.notes,
                "metric_keys": sorted(s.metrics),
            }
        )
        for k, v in s.metrics.items():
            arrays[f"p{i}_{k}"] = v
    arrays["meta"] = np.array(json.dumps({"key": key, "people": people}))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_npz_atomic(path, arrays)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from slahmr_opt.eval.baselines import ScoreOptions, score_sequence, summarize
    from slahmr_opt.eval.bodyset import BodySet
    from slahmr_opt.eval.paper_table import (
        DEFAULT_COLUMNS,
        latex_table,
        markdown_table,
        per_sequence_csv,
    )
    from slahmr_opt.files import write_bytes_atomic, write_json_atomic
    from slahmr_opt.io.datasets import DEFAULT_SPLITS, read_dataset
    from slahmr_opt.io.peers import find_sequence, read_peer

    methods = {k: Path(v) for k, v in _pairs(args.results, "--results").items()}
    for name, d in methods.items():
        if not d.is_dir():
            raise InputError(f"--results {name}={d}: folder not found")
    bodies = BodySet.from_files(args.bodies, _pairs(args.body, "--body"), args.smplx2smpl)
    options = ScoreOptions(
        joints=args.joints,
        pve=not args.no_pve,
        root_source=args.rte_root,
        tail=args.tail,
        accel_trim_ends=args.accel_trim,
        match_threshold=args.match_threshold,
    )
    split = args.split or DEFAULT_SPLITS[args.dataset]
    wanted = [s.strip() for s in args.sequences.split(",")] if args.sequences else None
    seqs = read_dataset(
        args.dataset_root, args.dataset, split, trust_pickle=args.trust_pickle, sequences=wanted
    )
    found = {m: {s.name: find_sequence(d, s.names()) for s in seqs} for m, d in methods.items()}
    missing = {m: [n for n, hit in f.items() if hit is None] for m, f in found.items()}
    if any(missing.values()) and not args.allow_missing:
        lines = [
            f"{m}: {', '.join(v[:8])}{' …' if len(v) > 8 else ''} ({len(v)} of {len(seqs)})"
            for m, v in missing.items()
            if v
        ]
        raise InputError(
            f"some methods lack results for some sequences: {'; '.join(lines)} (pass "
            "--allow-missing to score what exists)"
        )
    out_dir = Path(args.out) if args.out else None
    base_key = {
        "options": vars(options) if hasattr(options, "__dict__") else str(options),
        "bodies": bodies.describe(),
        "split": split,
    }
    scores: dict[str, list] = {m: [] for m in methods}
    jobs = [(m, s) for s in seqs for m in methods]
    for method, seq in tqdm(jobs, desc="evaluate", unit="seq", disable=None):
        hit = found[method][seq.name]
        key = cache = None
        if out_dir is not None:
            stamp = _file_stamp(hit[1]) if hit and hit[0] != "tram-emdb" else str(hit)
            key = _cache_key(
                {
                    **base_key,
                    "result": stamp,
                    "gt": _file_stamp(Path(seq.source)),
                    "pass": args.pass_name,
                    "seq": seq.name,
                }
            )
            safe = seq.name.replace("/", "@")
            cache = out_dir / "cache" / method / f"{safe}.npz"
            cached = _load_cached(cache, key)
            if cached is not None:
                scores[method] += cached
                continue
        peer = None
        if hit is not None:
            fmt, path = hit
            peer = read_peer(
                path,
                fmt,
                trust_pickle=args.trust_pickle,
                pass_name=args.pass_name if fmt == "slahmr-opt" else None,
            )
        result = score_sequence(seq, peer, bodies, options)
        if cache is not None and key is not None:
            _save_cached(cache, key, result)
        scores[method] += result

    table_key = split if args.dataset == "emdb" else args.dataset
    columns = (
        [c.strip() for c in args.columns.split(",")]
        if args.columns
        else list(DEFAULT_COLUMNS.get(table_key, DEFAULT_COLUMNS["rich"]))
    )
    rows = {m: summarize(v) for m, v in scores.items()}
    notes, footer = {}, []
    for m, items in scores.items():
        sets = sorted({s.joint_set for s in items if s.joint_set})
        if sets and sets != ["smpl24-fk"]:
            notes[m] = "†"
            footer.append(f"† {m}: joints {', '.join(sets)} (docs/baselines.md, 'Joints')")
    caption = (
        f"{args.dataset.upper()} {split}: {len(seqs)} sequences, frame-weighted means; bodies: "
        f"{bodies.describe()}"
    )
    md = markdown_table(rows, columns, notes)
    tex = latex_table(rows, columns, caption, notes)
    print(caption)
    print()
    print(md)
    for line in footer:
        print(line)
    print()
    print(tex)
    csv_text = per_sequence_csv(scores, columns)
    if out_dir is not None:
        write_bytes_atomic(
            out_dir / "table.md",
            (caption + "\n\n" + md + "\n" + "".join(f"{f}\n" for f in footer)).encode(),
        )
        write_bytes_atomic(out_dir / "table.tex", (tex + "\n").encode())
        write_bytes_atomic(out_dir / "per_sequence.csv", csv_text.encode())
        write_json_atomic(
            out_dir / "summary.json",
            {
                "dataset": args.dataset,
                "split": split,
                "sequences": [s.name for s in seqs],
                "bodies": bodies.describe(),
                "protocol": base_key["options"],
                "methods": rows,
                "missing": missing,
            },
        )
        print(f"\nwrote {out_dir}/table.md, table.tex, per_sequence.csv, summary.json")
    if args.csv:
        write_bytes_atomic(Path(args.csv), csv_text.encode())
        print(f"wrote {args.csv}")
    return 0
