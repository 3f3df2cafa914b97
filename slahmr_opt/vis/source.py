"""One view of a result for the drawing and export code.

:func:`as_source` accepts what the library hands out — a :class:`~slahmr_opt.result.Result`
(what :func:`slahmr_opt.solve` returns), a :class:`~slahmr_opt.io.results.LoadedResult` (what
:func:`slahmr_opt.load_result` reads back) or a single :class:`~slahmr_opt.result.WorldEstimate` —
and gives one :class:`ResultSource`: the final state, every pass, the energies, the floor frame.
:func:`resolve_body` picks the body model to pose it with.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from slahmr_opt.errors import InputError
from slahmr_opt.result import Result, WorldEstimate

if TYPE_CHECKING:
    from slahmr_opt.body import BodyModel
    from slahmr_opt.io.results import LoadedResult

__all__ = ["ResultSource", "as_source", "load_result_folder", "resolve_body"]

log = logging.getLogger(__name__)


@dataclass(eq=False)
class ResultSource:
    """One result, ready for the exporters.

    Attributes:
        final: the final state (last pass).
        passes: pass name → state after that pass, in run order (``{"final": final}`` for a
            lone :class:`WorldEstimate`).
        energies: pass name → term → weighted energy after each outer step (a :class:`Result`
            keeps the whole history; a folder only the final values, one per pass).
        floor_transform: (4, 4) world→floor-aligned transform of the final floor, or None.
        body_source: the body model the result was fitted with, when the folder records it.
        name: the scene's (or the method's) name.
    """

    final: WorldEstimate
    passes: dict[str, WorldEstimate]
    energies: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    floor_transform: np.ndarray | None = None
    body_source: str | None = None
    name: str = "result"

    def __repr__(self) -> str:
        return (
            f"ResultSource({self.name!r}, people={[p.track_id for p in self.final.people]}, "
            f"passes={list(self.passes)}, floor={self.floor_transform is not None})"
        )

    @property
    def fps(self) -> float:
        return self.final.fps

    @property
    def num_frames(self) -> int:
        return self.final.cameras.num_frames

    def pass_names(
        self, passes: str | list[str] | tuple[str, ...] | None, allow_none: bool = False
    ) -> list[str]:
        """Check a selection of passes: None (the final pass only), ``"all"``, a comma list or a
        list of names; with ``allow_none``, ``"none"`` or an empty list select no pass."""
        if passes is None:
            return [list(self.passes)[-1]]
        if isinstance(passes, str):
            passes = list(self.passes) if passes == "all" else [s for s in passes.split(",") if s]
            passes = [] if passes == ["none"] else passes
        names = [str(p).strip() for p in passes]
        if not names and allow_none:
            return []
        unknown = [p for p in names if p not in self.passes]
        if unknown or not names:
            raise InputError(
                f"passes: unknown {unknown or names!r}; this result has {list(self.passes)}"
            )
        return names


def load_result_folder(path: str | os.PathLike) -> LoadedResult | WorldEstimate:
    """Read a result folder: a solver run (``load_result``) or a single estimate
    (``load_estimate``, e.g. the naive baseline's), whichever ``scene.json`` says it is."""
    from slahmr_opt.io.results import RESULT_JSON, load_estimate, load_result

    folder = Path(path)
    folder = folder.parent if folder.is_file() else folder
    meta = folder / RESULT_JSON
    if not meta.is_file():
        raise InputError(f"{meta}: missing; {folder} is not a result folder")
    try:
        kind = json.loads(meta.read_text()).get("kind")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
        raise InputError(f"{meta}: not a JSON object ({exc})") from exc
    return load_result(folder) if kind == "run" else load_estimate(folder)


def as_source(result: Any) -> ResultSource:
    """Wrap a :class:`Result`, a ``LoadedResult``, a :class:`WorldEstimate` or a result folder's
    path (read with :func:`load_result_folder`)."""
    from slahmr_opt.geometry.floor import floor_aligned_transform
    from slahmr_opt.io.results import LoadedResult

    if isinstance(result, ResultSource):
        return result
    if isinstance(result, (str, os.PathLike)):
        result = load_result_folder(result)
    if isinstance(result, Result):
        passes = {name: result.to_estimate(name) for name in result.passes}
        energies = {name: dict(p.history) for name, p in result.passes.items() if p.history}
        final, body_source, name = passes[result.last_pass], None, result.scene_name
    elif isinstance(result, LoadedResult):
        passes = dict(result.passes)
        energies = {}
        for pname, summary in (result.info.get("passes") or {}).items():
            final_energy = summary.get("final_energy") if isinstance(summary, dict) else None
            if isinstance(final_energy, dict) and final_energy:
                energies[pname] = {k: [float(v)] for k, v in final_energy.items()}
        final = result.estimate
        body_info = result.info.get("body") or {}
        body_source = body_info.get("source") if isinstance(body_info, dict) else None
        name = str(result.info.get("scene", final.method))
    elif isinstance(result, WorldEstimate):
        final, passes, energies, body_source, name = result, {}, {}, None, result.method
        passes["final"] = result
    else:
        raise InputError(
            "result must be a Result (slahmr_opt.solve), a LoadedResult (slahmr_opt.load_result) "
            f"or a WorldEstimate, got {type(result).__name__}"
        )
    if not final.people:
        raise InputError(f"{name}: the result holds no people to export")
    floor_T = None
    if final.floor is not None:
        floor_T = floor_aligned_transform(*final.floor, final.cameras, final.alpha)
    return ResultSource(final, passes, energies, floor_T, body_source or None, name)


def resolve_body(source: ResultSource, body: BodyModel | None) -> BodyModel:
    """The body model to pose the result with: ``body`` or the stand-in.

    Raises:
        ValueError: when the result was fitted with a model file (recorded in ``scene.json``
            field ``body.source``) and no body was given: posing it with the stand-in would show
            another shape.
    """
    from slahmr_opt.body import BodyModel

    recorded = source.body_source
    if body is None:
        if recorded not in (None, "stand-in"):
            raise InputError(
                f"{source.name}: the result was fitted with the body model {recorded!r} "
                "(scene.json field 'body.source'); pass it (body=BodyModel.from_file(...) or "
                "--body FILE)"
            )
        return BodyModel.standin()
    if recorded not in (None, body.source):
        log.warning("result fitted with body %r, posed with %r", recorded, body.source)
    return body
