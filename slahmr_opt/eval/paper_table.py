"""Paper tables of :mod:`slahmr_opt.eval.baselines` results: Markdown, LaTeX and per-sequence CSV.

Every metric here is lower-is-better; the best value of each column is bold. Coverage (% of the
protocol's frames a method has output for) is shown so that a method that drops frames is not
silently compared on easier frames.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence

from slahmr_opt.eval.baselines import PersonScore
from slahmr_opt.eval.metrics import METRIC_UNITS

__all__ = [
    "COLUMN_LABELS",
    "DEFAULT_COLUMNS",
    "latex_table",
    "markdown_table",
    "per_sequence_csv",
]

COLUMN_LABELS = {
    "wa_mpjpe100": "WA-MPJPE100",
    "w_mpjpe100": "W-MPJPE100",
    "rte": "RTE",
    "jitter": "Jitter",
    "foot_sliding": "FS",
    "pa_mpjpe": "PA-MPJPE",
    "mpjpe": "MPJPE",
    "pve": "PVE",
    "accel_error": "Accel",
    "coverage": "Coverage",
}
_UNITS = {**METRIC_UNITS, "coverage": "%"}
_DECIMALS = {"rte": 2}
_HIGHER_BETTER = {"coverage"}

_CAMERA = ("pa_mpjpe", "mpjpe", "pve", "accel_error")
_WORLD = ("wa_mpjpe100", "w_mpjpe100", "rte", "jitter", "foot_sliding")
DEFAULT_COLUMNS = {
    "emdb1": (*_CAMERA, "coverage"),
    "emdb2": (*_WORLD, "coverage"),
    "3dpw": (*_CAMERA, "coverage"),
    "rich": (*_WORLD, *_CAMERA, "coverage"),
}
"""Columns the papers report per dataset/split (EMDB-1 and 3DPW camera frame, EMDB-2 world,
RICH both); other splits show everything."""


def _fmt(key: str, value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{_DECIMALS.get(key, 1)}f}"


def _best(rows: Mapping[str, Mapping[str, float]], key: str) -> str | None:
    vals = [(v[key], m) for m, v in rows.items() if key in v and math.isfinite(v[key])]
    if len(vals) < 2:
        return None
    pick = max if key in _HIGHER_BETTER else min
    value = pick(vals)[0]
    winners = [m for v, m in vals if _fmt(key, v) == _fmt(key, value)]
    return winners[0] if len(winners) == 1 else None


def _header(key: str, arrows: bool) -> str:
    arrow = (" ↑" if key in _HIGHER_BETTER else " ↓") if arrows else ""
    return f"{COLUMN_LABELS.get(key, key)}{arrow} ({_UNITS.get(key, '')})"


def markdown_table(
    rows: Mapping[str, Mapping[str, float]],
    columns: Sequence[str],
    notes: Mapping[str, str] | None = None,
) -> str:
    """A Markdown table, one row per method (``notes``: method → footnote marker text)."""
    notes = notes or {}
    head = "| Method | " + " | ".join(_header(c, True) for c in columns) + " |"
    rule = "|---|" + "---:|" * len(columns)
    best = {c: _best(rows, c) for c in columns}
    lines = [head, rule]
    for method, vals in rows.items():
        cells = []
        for c in columns:
            text = _fmt(c, vals.get(c))
            cells.append(f"**{text}**" if best[c] == method else text)
        name = method + (f" {notes[method]}" if method in notes else "")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _tex_escape(text: str) -> str:
    for a, b in (
        ("\\", r"\textbackslash{}"),
        ("_", r"\_"),
        ("%", r"\%"),
        ("&", r"\&"),
        ("#", r"\#"),
    ):
        text = text.replace(a, b)
    return text


def latex_table(
    rows: Mapping[str, Mapping[str, float]],
    columns: Sequence[str],
    caption: str = "",
    notes: Mapping[str, str] | None = None,
) -> str:
    """A ``booktabs`` LaTeX table (best values in ``\\textbf``)."""
    notes = notes or {}
    units = {"m/s²": r"m/s$^2$", "10 m/s³": r"10\,m/s$^3$", "%": r"\%"}
    up, down = r"$\uparrow$", r"$\downarrow$"
    head = " & ".join(
        f"{_tex_escape(COLUMN_LABELS.get(c, c))} {up if c in _HIGHER_BETTER else down}"
        for c in columns
    )
    sub = " & ".join(units.get(_UNITS.get(c, ""), _UNITS.get(c, "")) for c in columns)
    best = {c: _best(rows, c) for c in columns}
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        r"\begin{tabular}{l" + "r" * len(columns) + "}",
        r"\toprule",
        f"Method & {head} \\\\",
        f" & {sub} \\\\",
        r"\midrule",
    ]
    for method, vals in rows.items():
        cells = []
        for c in columns:
            text = _fmt(c, vals.get(c))
            cells.append(f"\\textbf{{{text}}}" if best[c] == method else text)
        name = _tex_escape(method) + (r"$^\dagger$" if method in notes else "")
        lines.append(f"{name} & " + " & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption:
        lines.append(f"\\caption{{{_tex_escape(caption)}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines)


def per_sequence_csv(scores: Mapping[str, Sequence[PersonScore]], columns: Sequence[str]) -> str:
    """CSV text: one row per (method, sequence, person) with that person's metric means."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    metric_cols = [c for c in columns if c != "coverage"]
    w.writerow(
        [
            "method",
            "sequence",
            "person",
            "track",
            "joint_set",
            "valid_frames",
            "scored_frames",
            *metric_cols,
            "notes",
        ]
    )
    for method, items in scores.items():
        for s in items:
            means = s.means()
            w.writerow(
                [
                    method,
                    s.sequence,
                    s.person,
                    s.track or "",
                    s.joint_set or "",
                    s.valid_frames,
                    s.scored_frames,
                    *(("" if c not in means else f"{means[c]:.6g}") for c in metric_cols),
                    "; ".join(s.notes),
                ]
            )
    return buf.getvalue()
