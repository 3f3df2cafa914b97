"""``slahmr-opt batch``: every sequence under a folder, each in its own process, locally or on Ray.

Discovery walks ``ROOT`` and takes every folder that ``run`` reads
(:func:`slahmr_opt.io.folder.detect_layout`: scene folders, manifest folders, the original SLAHMR
layout, one job per sequence there) without looking inside it. Each sequence is fitted by its own
``python -m slahmr_opt.apps.batch_job`` process (one torch thread by default) into
``OUT/<relative path>/``, a ``run`` result folder plus its record ``job.json``:

- finished sequences (complete result, record ``done`` with the same options) are skipped
  without starting a process;
- interrupted or failed ones run again and resume from their checkpoints;
- a failing sequence never stops the others: its record holds the error, its log the details.

Executors: ``local`` (a thread pool of ``--workers`` that each wait on one process) and ``ray``
(the same job function as a Ray task of ``--threads`` CPUs on a local instance or the cluster at
``--address``). Both end in ``OUT/summary.json`` and ``OUT/summary.csv``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slahmr_opt.apps.batch_job import read_record
from slahmr_opt.apps.common import positive_int
from slahmr_opt.apps.run import add_run_options

SUMMARY_JSON = "summary.json"
SUMMARY_CSV = "summary.csv"
EXECUTORS = ("local", "ray")
NOT_RUN_OPTIONS = ("root", "out", "workers", "executor", "address", "func", "command", "verbose")
"""Namespace entries that are not per-sequence run options."""
NO_RERUN_OPTIONS = ("threads", "device", "no_plot")
"""Run options that do not change a result: changing them does not make a sequence rerun."""


@dataclass(frozen=True)
class Sequence:
    """One sequence found under the batch root.

    Attributes:
        folder: the folder ``run`` reads.
        seq: the sequence name in the original layout when the folder holds several, else None.
        layout: ``detect_layout``'s answer.
        name: a unique relative name (also the result folder under ``OUT``).
    """

    folder: Path
    seq: str | None
    layout: str
    name: str


def original_sequences(folder: Path) -> list[str]:
    """Sequence names in the original SLAHMR layout under ``folder``: ``track_preds/<seq>/``
    folders, else ``phalp_out/results/<seq>.pkl`` (with or without the ``slahmr/`` level)."""
    for base in (folder / "slahmr", folder):
        tracks = base / "track_preds"
        if tracks.is_dir():
            return sorted(p.name for p in tracks.iterdir() if p.is_dir())
        phalp = base / "phalp_out" / "results"
        if phalp.is_dir():
            return sorted(p.stem for p in phalp.glob("*.pkl"))
    return []


def finished_layouts(out: Path) -> dict[Path, str]:
    """Folder → layout of every sequence that a batch into ``out`` finished before (records
    ``done`` in ``out/**/job.json``), so that a rerun need not read those folders again."""
    known: dict[Path, str] = {}
    if not out.is_dir():
        return known
    for folder, dirs, files in os.walk(out):
        if "job.json" in files:
            dirs[:] = []  # a sequence's folder holds no other sequence
            record = read_record(Path(folder))
            if record and record.get("status") == "done" and record.get("layout"):
                known[Path(record["source"])] = str(record["layout"])
    return known


def discover(
    root: str | os.PathLike,
    exclude: Iterable[Path] = (),
    seq: str | None = None,
    known: dict[Path, str] | None = None,
):
    """Every sequence under ``root`` (``root`` itself may be one), in path order.

    Args:
        root: the folder to search.
        exclude: folders not to enter (the batch output).
        seq: with the original layout, only this sequence (``run --seq``).
        known: resolved folder → layout of sequences finished before
            (:func:`finished_layouts`): taken as they are, and their parent folders are searched
            without asking ``detect_layout``, so that a rerun over finished folders does not
            import the readers.

    Returns:
        a list of :class:`Sequence`.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root}: folder not found")
    skip = {p.resolve() for p in exclude}
    known = dict(known or {})
    holders = {parent for folder in known for parent in folder.parents}
    found: list[Sequence] = []

    def layout_of(folder: Path) -> str | None:
        resolved = folder.resolve()
        if resolved in known:
            return known[resolved]
        if resolved in holders:  # holds finished sequences, so it is not one itself
            return None
        from slahmr_opt.io.folder import detect_layout

        try:
            return detect_layout(folder)
        except ValueError:
            return None

    def visit(folder: Path) -> None:
        if folder.resolve() in skip:
            return
        rel = folder.relative_to(root).as_posix()
        name = root.resolve().name if rel == "." else rel
        layout = layout_of(folder)
        if layout == "slahmr-original":
            names = original_sequences(folder)
            if seq is not None:
                names = [s for s in names if s == seq] or [seq]  # run reports a missing one
            if len(names) == 1:
                found.append(Sequence(folder, names[0], layout, name))
            else:  # none found: run reports it clearly; several: one job each
                found.extend(Sequence(folder, s, layout, f"{name}/{s}") for s in names or [None])
            return
        if layout is not None:
            found.append(Sequence(folder, None, layout, name))
            return
        for child in sorted(folder.iterdir()):
            if child.is_dir() and not child.is_symlink() and not child.name.startswith("."):
                visit(child)

    visit(root)
    return found


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The per-sequence ``run`` options of a ``batch`` command line (JSON-ready)."""
    return {k: v for k, v in vars(args).items() if k not in NOT_RUN_OPTIONS}


def make_job(sequence: Sequence, out: Path, options: dict[str, Any]) -> dict[str, Any]:
    """The JSON-ready job of one sequence (what :mod:`slahmr_opt.apps.batch_job` runs)."""
    identity = {k: v for k, v in options.items() if k not in NO_RERUN_OPTIONS}
    identity.update(source=str(sequence.folder.resolve()), seq=sequence.seq)
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    return {
        "name": sequence.name,
        "source": str(sequence.folder.resolve()),
        "seq": sequence.seq,
        "layout": sequence.layout,
        "out": str((out / sequence.name).resolve()),
        "options": options,
        "digest": digest,
        "log": None,
    }


STATUSES = ("done", "skipped", "failed")


def count_statuses(records: list[dict]) -> dict[str, int]:
    """How many records are ``done``, ``skipped`` and ``failed``."""
    return {s: sum(r["status"] == s for r in records) for s in STATUSES}


def failed_record(job: dict[str, Any], error: str, **extra: Any) -> dict[str, Any]:
    """The record of a job whose process or task ended without writing its own."""
    keys = ("name", "source", "seq", "layout", "digest", "log")
    return {**{k: job.get(k) for k in keys}, "status": "failed", "error": error, **extra}


def finished_record(job: dict[str, Any]) -> dict[str, Any] | None:
    """The record of a sequence finished earlier with the same options (its result complete),
    or None when it must run."""
    out = Path(job["out"])
    record = read_record(out)
    if record is None or record.get("status") != "done" or record.get("digest") != job["digest"]:
        return None
    if not (out / "scene.json").is_file():
        return None
    return record


def execute_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job in a new process and return its record (the local and the Ray executor both
    call this). The process's output is appended to the job's log file."""
    from slahmr_opt.apps.common import thread_env
    from slahmr_opt.apps.run import new_log_path

    out = Path(job["out"])
    log_path = new_log_path(out)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    job = {**job, "log": str(log_path)}
    start = time.perf_counter()
    with open(log_path, "ab") as log:
        proc = subprocess.run(
            [sys.executable, "-m", "slahmr_opt.apps.batch_job", json.dumps(job)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=thread_env(int(job["options"].get("threads", 1))),
            check=False,
        )
    record = read_record(out)
    if proc.returncode != 0 or record is None or record.get("status") not in ("done", "failed"):
        how = (
            f"killed by signal {-proc.returncode}"
            if proc.returncode < 0
            else f"exited with status {proc.returncode}"
        )
        record = failed_record(
            job,
            f"the sequence's process {how} before finishing (see {log_path})",
            seconds=time.perf_counter() - start,
        )
    return record


def run_local(jobs: list[dict], workers: int, on_done: Callable[[dict], None]) -> None:
    """Run ``jobs`` on this machine, ``workers`` processes at a time."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(execute_job, job) for job in jobs]
        for future in as_completed(futures):
            on_done(future.result())


def run_ray(
    jobs: list[dict],
    workers: int,
    threads: int,
    address: str | None,
    on_done: Callable[[dict], None],
) -> None:
    """Run ``jobs`` as Ray tasks (``threads`` CPUs each, at most ``workers`` in flight) on the
    running Ray instance, the cluster at ``address``, or a new local instance of
    ``workers × threads`` CPUs."""
    try:
        import ray
    except ImportError:
        raise ValueError(
            "--executor ray: Ray is not installed; pip install 'slahmr-opt[ray]'"
        ) from None
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers * max(threads, 1), include_dashboard=False)
    try:
        task = ray.remote(num_cpus=max(threads, 1), max_retries=0)(execute_job)
        queue, pending = list(jobs), {}
        while queue or pending:
            while queue and len(pending) < workers:
                job = queue.pop(0)
                pending[task.remote(job)] = job
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                job = pending.pop(ref)
                try:
                    record = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    record = failed_record(job, f"Ray task failed: {exc}")
                on_done(record)
    finally:
        if started_here:
            ray.shutdown()


def summary_rows(records: list[dict]) -> tuple[list[str], list[dict[str, Any]]]:
    """CSV columns and one flat row per record: the estimate (``alpha``, the floor normal
    ``floor_nx``… and offset ``floor_d_m`` in metres), the final energy of each pass
    (``energy_<pass>``), then the metrics under their own names (``floor_offset`` there is the
    floor error in mm, docs/metrics.md)."""
    passes: list[str] = []
    metrics: list[str] = []  # in the order the records list them (eval's column order)
    for r in records:
        passes += [p for p in r.get("passes", {}) if p not in passes]
        metrics += [m for m in r.get("metrics", {}) if m not in metrics]
    head = ["name", "status", "seconds", "alpha", "floor_nx", "floor_ny", "floor_nz", "floor_d_m"]
    head += ["people", "frames", *(f"energy_{p}" for p in passes)]
    tail = ["resumed", "error", "layout", "source", "seq", "log"]
    metric_column = {m: m if m not in head + tail else f"metric_{m}" for m in metrics}
    columns = head + list(metric_column.values()) + tail
    rows = []
    for r in records:
        floor = r.get("floor") or {}
        normal = floor.get("normal") or [None, None, None]
        row = {k: r.get(k) for k in columns}
        row.update(floor_nx=normal[0], floor_ny=normal[1], floor_nz=normal[2])
        row["floor_d_m"] = floor.get("offset")
        row["resumed"] = " ".join(r.get("resumed") or [])
        for p in passes:
            row[f"energy_{p}"] = r.get("passes", {}).get(p, {}).get("energy")
        for m, column in metric_column.items():
            row[column] = r.get("metrics", {}).get(m)
        rows.append(row)
    return columns, rows


def write_summary(out: Path, records: list[dict], meta: dict[str, Any]) -> None:
    """``OUT/summary.json`` (everything) and ``OUT/summary.csv`` (one row per sequence)."""
    from slahmr_opt.files import write_bytes_atomic, write_json_atomic

    records = sorted(records, key=lambda r: r["name"])
    counts = count_statuses(records)
    write_json_atomic(out / SUMMARY_JSON, {**meta, "counts": counts, "sequences": records})
    columns, rows = summary_rows(records)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_bytes_atomic(out / SUMMARY_CSV, text.getvalue().encode("utf-8"))


def run_batch(args: argparse.Namespace, progress: bool = True) -> tuple[list[dict], Path]:
    """Discover, skip, run and summarise; returns (the records, OUT)."""
    from tqdm.auto import tqdm

    if args.workers < 1:
        raise ValueError(f"--workers: expected a positive count, got {args.workers}")
    if args.executor not in EXECUTORS:
        raise ValueError(f"--executor: expected one of {EXECUTORS}, got {args.executor!r}")
    started = time.perf_counter()
    root, out = Path(args.root), Path(args.out)
    sequences = discover(root, exclude=[out], seq=args.seq, known=finished_layouts(out))
    if not sequences:
        raise ValueError(
            f"{root}: no sequences found (scene folders with scene.json, folders with a "
            "slahmr_opt.json/manifest.json, or the original layout slahmr/track_preds/<seq>/)"
        )
    out.mkdir(parents=True, exist_ok=True)
    options = run_options(args)
    jobs = [make_job(s, out, options) for s in sequences]
    records: list[dict] = []
    todo = []
    for job in jobs:
        earlier = finished_record(job)
        if earlier is None:
            todo.append(job)
        else:
            records.append({**earlier, "status": "skipped"})
    bar = tqdm(
        total=len(jobs), initial=len(records), desc="batch", unit="seq", disable=not progress
    )

    def on_done(record: dict) -> None:
        records.append(record)
        bar.update(1)
        bar.set_postfix(count_statuses(records), refresh=True)
        if record["status"] == "failed":
            bar.write(f"FAILED {record['name']}: {record.get('error')}")

    if todo:
        if args.executor == "local":
            run_local(todo, args.workers, on_done)
        else:
            run_ray(todo, args.workers, args.threads, args.address, on_done)
    bar.close()
    meta = {
        "root": str(root.resolve()),
        "out": str(out.resolve()),
        "executor": args.executor,
        "workers": args.workers,
        "threads": args.threads,
        "options": options,
        "seconds": time.perf_counter() - started,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_summary(out, records, meta)
    return records, out


def _cmd_batch(args: argparse.Namespace) -> int:
    records, out = run_batch(args)
    counts = count_statuses(records)
    print(
        f"{len(records)} sequences: {counts['done']} done, {counts['skipped']} skipped "
        f"(finished earlier), {counts['failed']} failed"
    )
    for r in sorted(records, key=lambda r: r["name"]):
        if r["status"] == "failed":
            print(f"  FAILED {r['name']}: {r.get('error')}")
            if r.get("log"):
                print(f"         log: {r['log']}")
    print(f"wrote {out / SUMMARY_JSON} and {out / SUMMARY_CSV}")
    return 1 if counts["failed"] else 0


def register(sub) -> None:
    p = sub.add_parser(
        "batch",
        help="run every sequence under a folder (each in its own process; local or Ray), skip "
        "finished ones, write OUT/summary.json and summary.csv",
    )
    p.add_argument("root", help="folder searched for sequences (any layout run reads)")
    p.add_argument("--out", required=True, help="output folder: one result folder per sequence")
    p.add_argument(
        "--workers", type=positive_int, default=2, help="sequences at a time (default 2)"
    )
    p.add_argument(
        "--executor",
        default="local",
        choices=EXECUTORS,
        help="local processes, or Ray tasks (pip install 'slahmr-opt[ray]')",
    )
    p.add_argument(
        "--address",
        default=None,
        help="Ray cluster to join (e.g. 'auto' or ray://host:10001; default: a new local "
        "instance); ROOT and OUT must be on a file system every node sees",
    )
    add_run_options(p)
    p.set_defaults(func=_cmd_batch, outputs=(("out", "folder"),), inputs=("root",))
