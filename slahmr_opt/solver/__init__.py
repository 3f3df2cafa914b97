"""The staged optimizer and its initialisation (docs/solver.md)."""

from slahmr_opt.solver.optimize import SolverHooks
from slahmr_opt.solver.solve import solve

__all__ = ["SolverHooks", "solve"]
