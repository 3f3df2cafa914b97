"""Applications: everything that sits above the library (command-line subcommands and the jobs
they run). Nothing in the library imports this package.

Each subcommand that lives here is one module with a ``register(sub)`` function that adds its
argparse sub-parser and sets ``func``; the module keeps heavy imports inside the function it
runs, so that ``slahmr-opt --help`` stays fast. :data:`COMMAND_MODULES` lists them in the order
``--help`` shows them.
"""

from __future__ import annotations

COMMAND_MODULES: tuple[str, ...] = (
    "demo",
    "synth",
    "run",
    "batch",
    "naive",
    "eval",
    "evaluate",
    "table",
    "render",
    "export",
    "bench",
    "convert",
    "body_info",
    "bench_body",
    "bench_startup",
    "train_prior",
    "eval_prior",
    "bench_slahmr",
)
