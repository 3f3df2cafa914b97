"""One sequence of a batch, run in its own process: ``python -m slahmr_opt.apps.batch_job JOB``.

``JOB`` is the JSON of a job (:func:`slahmr_opt.apps.batch.make_job`). The process fits the
sequence exactly as ``slahmr-opt run`` does (:func:`slahmr_opt.apps.run.fit_folder`: checkpoints,
resume, result folder, a log file appended as it goes), scores it when the sequence folder holds
a ``gt.npz``, and writes its record to ``<out>/job.json`` (status ``running`` while it works, then
``done`` or ``failed`` with the error). It exits 0 whether the sequence failed or not: the record
says; any other exit means the process died (the batch reports it from the exit status).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

JOB_FILE = "job.json"
"""A sequence's record inside its result folder."""


def write_record(out: Path, record: dict[str, Any]) -> None:
    from slahmr_opt.files import write_json_atomic

    write_json_atomic(out / JOB_FILE, record)


def read_record(out: Path) -> dict[str, Any] | None:
    """``<out>/job.json``, or None when absent or unreadable."""
    try:
        record = json.loads((out / JOB_FILE).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def result_fields(result) -> dict[str, Any]:
    """JSON-ready numbers of a solver :class:`~slahmr_opt.result.Result` for the summary."""
    floor = result.floor
    return {
        "alpha": float(result.alpha),
        "alpha_note": result.alpha_note,
        "floor": None
        if floor is None
        else {"normal": [float(x) for x in floor[0]], "offset": float(floor[1])},
        "people": len(result.people),
        "frames": int(result.cameras.num_frames),
        "final_pass": result.last_pass,
        "passes": {
            name: {
                "energy": float(p.history["total"][-1]) if p.history.get("total") else None,
                "steps": p.steps,
                "seconds": float(p.seconds),
                "stop_reason": p.stop_reason,
            }
            for name, p in result.passes.items()
        },
        "timings": {k: float(v) for k, v in result.timings.items()},
        "resumed": [name for name, p in result.passes.items() if p.resumed_from is not None],
    }


def score(result, source: Path, body) -> dict[str, Any]:
    """Metrics of the final pass against ``source/gt.npz`` ({} without one)."""
    from slahmr_opt.io.scene_folder import load_ground_truth

    gt_path = source / "gt.npz"
    if not gt_path.is_file():
        return {}
    try:
        report = result.evaluate(load_ground_truth(gt_path), body)
    except ValueError as exc:
        return {"gt": str(gt_path), "metrics_error": str(exc)}
    return {"gt": str(gt_path), "metrics": report.summary(), "counts": report.counts()}


def error_text(exc: BaseException) -> str:
    """One line for a sequence's failure (the command line's wording; the log has the trace)."""
    from slahmr_opt.cli import describe_error

    if isinstance(exc, (ValueError, OSError)):
        return describe_error(exc)
    text = str(exc).strip().splitlines()
    return f"internal error ({type(exc).__name__}{': ' + text[0] if text else ''}); see the log"


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Fit one sequence; returns (and writes) its record."""
    import os

    from slahmr_opt.apps.run import fit_folder

    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    previous = read_record(out)
    record: dict[str, Any] = {
        key: job[key] for key in ("name", "source", "seq", "layout", "digest", "log")
    }
    record.update(
        status="running",
        pid=os.getpid(),
        started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        previous_status=None if previous is None else previous.get("status"),
    )
    write_record(out, record)
    start = time.perf_counter()
    try:
        args = argparse.Namespace(**job["options"])
        args.scene, args.seq = job["source"], job["seq"]
        result, _, body = fit_folder(args, out, progress=False, log_path=job["log"])
        record.update(result_fields(result))
        record.update(score(result, Path(job["source"]), body))
        record["status"] = "done"
    except Exception as exc:  # isolate the sequence: the record has the error, the log the trace
        record["status"] = "failed"
        record["error"] = error_text(exc)
    record["seconds"] = time.perf_counter() - start
    write_record(out, record)
    return record


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m slahmr_opt.apps.batch_job JOB_JSON", file=sys.stderr)
        return 2
    run_job(json.loads(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
