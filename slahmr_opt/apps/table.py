"""``slahmr-opt table``: the metrics table of many results, as a paper reports it.

Inputs are batch outputs (a folder holding ``summary.json``, or the file) and ``eval --json``
files. Each input is one method; its rows are the scored sequences, then the mean over sequences
(each sequence weighs the same) and the frame-weighted mean (every person-frame weighs the same:
the WHAM/GVHMR headline numbers, computed from the per-sequence means and how many values each
averages). Formats: Markdown, CSV, LaTeX (booktabs).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
from pathlib import Path
from typing import Any

FORMATS = ("md", "csv", "latex")
PROTOCOL = (
    "Protocol: WHAM/GVHMR — WA-MPJPE100 and W-MPJPE100 (mm) on 100-frame chunks aligned by a "
    "similarity fitted on the whole chunk (WA) or on its first two frames (W), RTE (% of the "
    "distance travelled, after one rigid fit), jitter "
    "(10 m/s³), foot sliding (mm) on ground-truth contact frames, PA-MPJPE / MPJPE / PVE (mm) in "
    "the camera frame, accel error (m/s²), world-scale error (%), floor angle (deg) and offset "
    "(mm), camera ATE (m); docs/metrics.md."
)


def read_rows(path: str | Path) -> tuple[str, list[dict[str, Any]]]:
    """(method label, scored sequences ``{"name", "metrics", "counts"}``) of one input."""
    p = Path(path)
    target = p / "summary.json" if p.is_dir() else p
    if not target.is_file():
        raise ValueError(
            f"{p}: expected a batch output folder (with summary.json), its summary.json, or an "
            "eval --json file"
        )
    try:
        data = json.loads(target.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{target}: not valid JSON ({exc})") from exc
    if isinstance(data, dict) and isinstance(data.get("sequences"), list):
        label = (p if p.is_dir() else p.parent).name
        rows = [
            {"name": r["name"], "metrics": r["metrics"], "counts": r.get("counts", {})}
            for r in data["sequences"]
            if isinstance(r, dict) and isinstance(r.get("metrics"), dict)
        ]
        return label, rows
    if isinstance(data, dict) and isinstance(data.get("metrics"), dict):
        name = Path(str(data.get("result", target.stem))).name
        label = str(data.get("method", name))
        return label, [{"name": name, "metrics": data["metrics"], "counts": data.get("counts", {})}]
    raise ValueError(
        f"{target}: field 'sequences' (batch summary) or 'metrics' (eval --json) expected"
    )


def means(rows: list[dict[str, Any]], columns: list[str]) -> tuple[dict, dict]:
    """(mean over sequences, frame-weighted mean) of each column over ``rows``; a column is
    frame-weighted only where every row says how many values it averages."""
    per_seq: dict[str, float] = {}
    weighted: dict[str, float] = {}
    for c in columns:
        pairs = [
            (float(r["metrics"][c]), r["counts"].get(c))
            for r in rows
            if c in r["metrics"] and math.isfinite(float(r["metrics"][c]))
        ]
        if not pairs:
            continue
        per_seq[c] = sum(v for v, _ in pairs) / len(pairs)
        if all(isinstance(n, int) and n > 0 for _, n in pairs):
            weighted[c] = sum(v * n for v, n in pairs) / sum(n for _, n in pairs)
    return per_seq, weighted


def build_table(inputs: list[str], per_sequence: bool = True) -> tuple[list[str], list[list]]:
    """Header and rows (method, row label, one value per metric column)."""
    from slahmr_opt.eval.metrics import METRIC_COLUMNS, METRIC_UNITS

    methods = [read_rows(path) for path in inputs]
    seen = {c for _, rows in methods for r in rows for c in r["metrics"]}
    columns = [c for c in METRIC_COLUMNS if c in seen]
    if not columns:
        raise ValueError(
            "no metrics in the inputs (batch sequences are scored when their folder holds gt.npz)"
        )
    header = ["method", "sequence"] + [f"{c} ({METRIC_UNITS[c]})" for c in columns]
    body: list[list] = []
    for label, rows in methods:
        if per_sequence:
            for r in sorted(rows, key=lambda r: r["name"]):
                body.append([label, r["name"], *(r["metrics"].get(c) for c in columns)])
        per_seq, weighted = means(rows, columns)
        body.append([label, f"mean of {len(rows)} sequences", *(per_seq.get(c) for c in columns)])
        body.append([label, "frame-weighted mean", *(weighted.get(c) for c in columns)])
    return header, body


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "–"
    return str(value)


def render(header: list[str], body: list[list], fmt: str) -> str:
    """The table as Markdown, CSV or LaTeX text (with the protocol named)."""
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([[("" if v is None else v) for v in row] for row in body])
        return text.getvalue().rstrip("\n")
    cells = [[_cell(v) for v in row] for row in body]
    if fmt == "md":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines) + f"\n\n{PROTOCOL}"
    if fmt == "latex":

        def esc(text: str) -> str:
            for a, b in (("\\", r"\textbackslash{}"), ("%", r"\%"), ("_", r"\_"), ("&", r"\&")):
                text = text.replace(a, b)
            return text.replace("–", "--").replace("³", "$^3$").replace("²", "$^2$")

        lines = [
            r"\begin{tabular}{ll" + "r" * (len(header) - 2) + "}",
            r"\toprule",
            " & ".join(esc(h) for h in header) + r" \\",
            r"\midrule",
        ]
        lines += [" & ".join(esc(c) for c in row) + r" \\" for row in cells]
        lines += [r"\bottomrule", r"\end{tabular}", "% " + esc(PROTOCOL)]
        return "\n".join(lines)
    raise ValueError(f"--format: expected one of {FORMATS}, got {fmt!r}")


def _cmd_table(args: argparse.Namespace) -> int:
    header, body = build_table(args.results, per_sequence=not args.means_only)
    text = render(header, body, args.format)
    print(text)
    if args.output:
        from slahmr_opt.files import write_bytes_atomic

        write_bytes_atomic(args.output, (text + "\n").encode("utf-8"))
        print(f"wrote {args.output}")
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "table",
        help="metrics table of batch outputs / eval JSON files: per sequence, mean over "
        "sequences and frame-weighted mean (md, csv or latex)",
    )
    p.add_argument(
        "results",
        nargs="+",
        help="batch output folders (or their summary.json) and eval --json files; one method each",
    )
    p.add_argument("--format", default="md", choices=FORMATS, help="output format (default md)")
    p.add_argument("--means-only", action="store_true", help="only the two mean rows per method")
    p.add_argument("--output", default=None, help="also write the table to this file")
    p.set_defaults(func=_cmd_table, outputs=(("output", "file"),), inputs=("results",))
