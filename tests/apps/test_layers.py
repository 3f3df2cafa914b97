"""Imports flow one way: io → scene → solver → result → eval/vis → applications (DESIGN.md).

Every import in every module counts, including those inside functions (a lazy import is still a
dependency). Applications (``slahmr_opt.apps``, ``slahmr_opt.cli``) may import anything; the
library never imports them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import slahmr_opt

PACKAGE = Path(slahmr_opt.__file__).parent

# layer → layers it must not import (names of top-level modules/packages under slahmr_opt)
UPPER = ("solver", "eval", "vis", "export", "synth", "apps", "cli")
BASE = ("scene", "config", "geometry", "body", "io", "result", "energies", "priors")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "errors": (*BASE, *UPPER, "safe_load", "reprs", "files"),  # the bottom: imports nothing
    "reprs": (*BASE, *UPPER, "safe_load", "errors", "files"),  # short reprs: imports nothing
    "safe_load": (*BASE, *UPPER, "reprs", "files"),  # reading user files safely: only errors
    "files": (*BASE, *UPPER, "safe_load", "reprs"),  # atomic writes: only errors
    "scene": ("io", "result", *UPPER, "priors", "energies"),
    "config": ("io", "result", *UPPER, "priors", "energies"),
    "geometry": ("io", "result", *UPPER, "priors", "energies"),
    "body": (*UPPER, "priors", "energies", "result"),
    "io": (*UPPER, "priors", "energies"),
    "result": ("solver", "vis", "synth", "apps", "cli", "io", "priors", "energies"),
    "energies": (*UPPER, "priors"),
    "priors": UPPER,
    "solver": ("eval", "vis", "export", "synth", "apps", "cli"),
    "eval": ("solver", "vis", "export", "synth", "apps", "cli"),
    "vis": ("solver", "eval", "export", "synth", "apps", "cli"),
    "export": ("solver", "eval", "synth", "apps", "cli"),  # exports draw on vis (colours, frames)
    "synth": ("solver", "eval", "vis", "export", "priors", "energies", "apps", "cli"),
}


def imported_layers(path: Path) -> set[str]:
    """Top-level slahmr_opt modules/packages that the file at ``path`` imports anywhere."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import (use absolute slahmr_opt.* imports)")
        if isinstance(node, ast.ImportFrom) and node.module == "slahmr_opt":
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("slahmr_opt."):
            out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("slahmr_opt."))
    return out


def layer_of(path: Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").parts[0]


def test_every_library_layer_imports_only_lower_layers():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = layer_of(path)
        bad = imported_layers(path) & set(FORBIDDEN.get(layer, ()))
        if bad:
            problems.append(f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)}")
    assert not problems, "\n".join(problems)


# The one allowed upward edge: WorldEstimate.evaluate / Result.evaluate, a notebook facade that
# calls eval.evaluate lazily. Nothing else in result.py may use eval.
FACADES = {"result.py": {"eval": ("slahmr_opt.eval.evaluate",)}}


def test_the_result_facade_is_the_only_upward_edge():
    path = PACKAGE / "result.py"
    modules = {
        node.module
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("slahmr_opt.eval")
    }
    assert modules <= set(FACADES["result.py"]["eval"]), modules
    top_level = [n for n in ast.parse(path.read_text()).body if isinstance(n, ast.ImportFrom)]
    assert not any((n.module or "").startswith("slahmr_opt.eval") for n in top_level)


def test_nothing_outside_the_applications_imports_them():
    for path in sorted(PACKAGE.rglob("*.py")):
        if layer_of(path) in ("apps", "cli"):
            continue
        assert not imported_layers(path) & {"apps", "cli"}, path


def test_every_layer_is_covered():
    """A new top-level module or package gets its place in FORBIDDEN (or is an application)."""
    layers = {layer_of(p) for p in PACKAGE.rglob("*.py")} - {"__init__", "apps", "cli"}
    assert layers <= set(FORBIDDEN), sorted(layers - set(FORBIDDEN))


def test_the_checker_sees_lazy_imports(tmp_path):
    code = "def f():\n    from slahmr_opt.solver import solve\n    import slahmr_opt.apps.run\n"
    (tmp_path / "m.py").write_text(code)
    assert imported_layers(tmp_path / "m.py") == {"solver", "apps"}
