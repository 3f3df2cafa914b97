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
from pathlib import Path

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


def describe_error(exc: BaseException) -> str:
    """One line for an exception that ended a command: what failed, on which file or argument.

    Errors about the user's files and arguments (:class:`~slahmr_opt.errors.InputError`,
    ValueError) already name the file and field; operating-system errors (a folder that cannot be
    written, a full disk, a missing file) are turned into a sentence naming the path; anything
    else is reported as an internal error with its type, and ``-v`` shows the traceback.
    """
    import errno

    if isinstance(exc, (ValueError, LookupError)) and not isinstance(exc, UnicodeError):
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, OSError):
        path = exc.filename or ""
        reasons = {
            errno.ENOSPC: "the disk is full",
            errno.EDQUOT: "the disk quota is exceeded",
            errno.EACCES: "permission denied",
            errno.EPERM: "operation not permitted",
            errno.EROFS: "the file system is read-only",
            errno.ENOENT: "no such file or folder",
            errno.ENOTDIR: "a part of the path is a file, not a folder",
            errno.EISDIR: "is a folder, expected a file",
            errno.EEXIST: "already exists",
        }
        reason = reasons.get(exc.errno, exc.strerror or type(exc).__name__)
        return f"{path}: {reason}" if path else f"{reason} ({exc})"
    if isinstance(exc, MemoryError):
        return "out of memory (try fewer frames or people per run, or --device cpu)"
    text = str(exc).strip().splitlines()
    detail = f": {text[0]}" if text else ""
    return f"internal error ({type(exc).__name__}{detail}); rerun with -v for the traceback"


def preflight(args: argparse.Namespace) -> None:
    """Check every output a command will write before it does any work.

    Commands declare them with ``set_defaults(outputs=(("out", "folder"), ("json", "file")),
    inputs=("scene",))``: an output folder or file that cannot be written (a file where a folder is
    expected, no permission, a read-only or full disk) or that is one of the inputs is refused
    with an :class:`~slahmr_opt.errors.InputError` naming it. Kind ``"path"`` is a file when the
    name has a suffix, else a folder.
    """
    from slahmr_opt.files import check_output_file, check_output_folder

    inputs: list[str] = []
    for name in getattr(args, "inputs", ()):
        value = getattr(args, name, None)
        values = value if isinstance(value, (list, tuple)) else [value]
        inputs.extend(str(v).split("=", 1)[-1] for v in values if v)
    for name, kind in getattr(args, "outputs", ()):
        value = getattr(args, name, None)
        if not value:
            continue
        option = f"--{name.replace('_', '-')}" if name not in ("dst",) else name
        if kind == "path":
            kind = "file" if Path(value).suffix else "folder"
        check = check_output_file if kind == "file" else check_output_folder
        check(value, inputs=tuple(inputs), what=option)


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
        preflight(args)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted (rerun the same command to resume)", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure is one clear line, never a traceback
        if args.verbose:
            raise
        print(f"error: {describe_error(exc)}", file=sys.stderr)
        internal = not isinstance(exc, (ValueError, LookupError, OSError, MemoryError))
        return 1 if internal else 2


if __name__ == "__main__":
    sys.exit(main())
