"""The ``slahmr-opt`` command line: the parser, the subcommands registered by the modules named
in :data:`slahmr_opt.apps.COMMAND_MODULES`, and the error handling.

Each subcommand lives in its own module ``slahmr_opt/apps/<name>.py`` with a ``register(sub)``
function; heavy imports happen inside the function it runs so that ``--help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from slahmr_opt.apps import COMMAND_MODULES


class _Version(argparse.Action):
    """``--version``: the package version, looked up only when asked (keeps ``--help`` fast)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, **kw):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, **kw)

    def __call__(self, parser, namespace, values, option_string=None):
        import slahmr_opt

        print(f"slahmr-opt {slahmr_opt.__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slahmr-opt",
        description="World-grounded multi-person SMPL motion from 2D keypoints, per-frame SMPL "
        "and SLAM cameras (a fast reimplementation of the SLAHMR optimizer).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:  # subcommands that live in slahmr_opt/apps/
        importlib.import_module(f"slahmr_opt.apps.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ValueError as exc:  # bad input: a clear message, not a traceback
        if args.verbose:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
