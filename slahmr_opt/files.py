"""Atomic writes of files and folders, and cleanup of what an interrupted write left behind.

A file is written into a temporary sibling ``.<name>.<8 random chars>.tmp`` in the destination's
folder and then renamed onto the destination, so a reader sees the old file or the new one,
never half of one. A folder is built in a temporary sibling ``.<name>.tmp-<8 random chars>`` and
renamed into place the same way (:func:`atomic_folder`).

The results get the permissions an ordinary ``open(path, "w")`` / ``mkdir`` would give them:
``0o666`` (files) or ``0o777`` (folders) minus the user's umask. ``tempfile`` creates ``0o600``
files and ``0o700`` folders, which is why every write goes through here.

A process killed between the write and the rename leaves its temporary sibling behind;
:func:`remove_stale_tmp` deletes those (the writers here call it on folders they own).

This module sits below every other package of the library (io, body, priors, solver, vis use
it) and imports nothing from it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from slahmr_opt.errors import InputError

__all__ = [
    "MIN_FREE_BYTES",
    "atomic_folder",
    "check_output_file",
    "check_output_folder",
    "current_umask",
    "remove_stale_tmp",
    "write_atomic",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_npz_atomic",
    "write_text_atomic",
]

_TMP_FILE = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")
"""Temporary files made by :func:`write_atomic` (``tempfile`` adds 8 random characters)."""

_TMP_DIR = re.compile(r"^\.(?P<name>.+)\.(?:tmp|old)-[A-Za-z0-9_]{8}$")
"""Temporary folders made by :func:`atomic_folder` (the new folder, or the old one moved aside)."""


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux).

    Elsewhere it is read with ``os.umask`` (set and immediately restored).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def chmod_like_new_file(path: str | os.PathLike) -> None:
    """Give a temporary file (``mkstemp`` makes them 0600) the mode a new file gets (0666 less
    the umask), before it is renamed into place."""
    os.chmod(path, 0o666 & ~current_umask())


def write_atomic(
    dst: str | os.PathLike, write: Callable[[IO[Any]], object], *, mode: str = "wb"
) -> Path:
    """Write ``dst`` atomically: ``write(fh)`` fills a temporary sibling, which is renamed onto it.

    The parent folder is created (with umask permissions). On any error the temporary file is
    removed and ``dst`` is left as it was.

    Args:
        dst: the destination file.
        write: called with the open temporary file.
        mode: ``"wb"`` (binary) or ``"w"`` (UTF-8 text).

    Returns:
        ``dst`` as a Path.
    """
    dst = Path(dst)
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    except OSError as err:
        raise _naming(err, dst) from None
    try:
        os.chmod(tmp, 0o666 & ~current_umask())
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            write(fh)
        os.replace(tmp, dst)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise _naming(err, dst) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dst


def _naming(err: OSError, dst: Path) -> OSError:
    """The same OS error, naming the file being written when the system did not."""
    if err.filename is not None or err.errno is None:
        return err
    out = type(err)(err.errno, err.strerror, str(dst))
    return out


def write_npz_atomic(
    dst: str | os.PathLike, arrays: Mapping[str, Any], *, compressed: bool = False
) -> Path:
    """Write ``arrays`` (name → array) to the ``.npz`` file ``dst`` atomically.

    Args:
        compressed: use ``np.savez_compressed`` instead of ``np.savez``.
    """
    save = np.savez_compressed if compressed else np.savez
    return write_atomic(dst, lambda fh: save(fh, **{k: np.asarray(v) for k, v in arrays.items()}))


def write_json_atomic(dst: str | os.PathLike, payload: Any, *, indent: int | None = 2) -> Path:
    """Write ``payload`` as JSON (UTF-8, ``indent`` spaces, final newline) to ``dst`` atomically."""

    def write(fh) -> None:
        json.dump(payload, fh, indent=indent)
        fh.write("\n")

    return write_atomic(dst, write, mode="w")


def write_bytes_atomic(dst: str | os.PathLike, data: bytes) -> Path:
    """Write raw bytes (e.g. an encoded PNG) to ``dst`` atomically."""
    return write_atomic(dst, lambda fh: fh.write(data))


def write_text_atomic(dst: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text to ``dst`` atomically."""
    return write_atomic(dst, lambda fh: fh.write(text), mode="w")


def _make_dir(parent: Path, prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(path, 0o777 & ~current_umask())
    return path


@contextmanager
def atomic_folder(
    path: str | os.PathLike, *, may_replace: Callable[[Path], bool] | None = None
) -> Iterator[Path]:
    """Build a folder atomically: yield a temporary sibling, then rename it onto ``path``.

    On success an existing ``path`` is moved aside, the new folder renamed into place and the old
    one deleted; on error the temporary folder is removed and ``path`` is untouched. Folders get
    ``0o777`` minus the umask (files inside get what their writer gives them).

    Args:
        path: the destination folder (its parents are created).
        may_replace: called with an existing non-empty ``path``; a False answer (or no callable)
            refuses with a ValueError, so an unrelated folder is never deleted. An empty folder
            is always replaced.

    Yields:
        The temporary folder to fill.
    """
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise ValueError(f"{path} exists and is not a folder; refusing to replace it")
        if any(path.iterdir()) and not (may_replace is not None and may_replace(path)):
            raise ValueError(f"{path} exists and is not empty; refusing to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _make_dir(path.parent, f".{path.name}.tmp-")
    try:
        yield tmp
        if path.exists():
            old = _make_dir(path.parent, f".{path.name}.old-")
            os.replace(path, old / path.name)
            try:
                os.replace(tmp, path)
            except BaseException:
                os.replace(old / path.name, path)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def remove_stale_tmp(folder: str | os.PathLike, *, name: str | None = None) -> list[Path]:
    """Delete the temporary files and folders an interrupted atomic write left in ``folder``.

    Only entries directly in ``folder`` that match the names this module makes are touched:
    ``.<name>.<8 chars>.tmp`` files and ``.<name>.tmp-<8 chars>`` / ``.<name>.old-<8 chars>``
    folders. Call it on a folder no other process is writing at the same time.

    Args:
        folder: the folder (a missing folder is not an error).
        name: only the leftovers of this destination name (e.g. ``"scene.json"``).

    Returns:
        The paths removed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for entry in folder.iterdir():
        is_dir = entry.is_dir() and not entry.is_symlink()
        m = (_TMP_DIR if is_dir else _TMP_FILE).match(entry.name)
        if m is None or (name is not None and m.group("name") != name):
            continue
        if is_dir:
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return sorted(removed)


MIN_FREE_BYTES = 64 * 2**20
"""Free space an output location must have before any work starts (64 MiB: a result folder of
2 people × 300 frames takes a few MiB; overlay videos and recordings take more)."""


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def _probe_writable(folder: Path, label: str) -> None:
    """Create and delete a file in ``folder``: the only check that also sees read-only mounts,
    ACLs and quotas (``os.access`` answers yes to root everywhere)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".write-check.", suffix=".tmp", dir=folder)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise InputError(f"{label}: cannot write in {folder} ({reason})") from None
    os.close(fd)
    os.unlink(tmp)


def _check_free(folder: Path, label: str, min_free: int) -> None:
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if free < min_free:
        raise InputError(
            f"{label}: only {free / 2**20:.1f} MiB free on the disk of {folder}; at least "
            f"{min_free / 2**20:.0f} MiB are needed"
        )


def _inside(a: Path, b: Path) -> bool:
    """Whether ``a`` is ``b`` or lies inside it (both resolved)."""
    return a == b or b in a.parents


def check_output_folder(
    path: str | os.PathLike,
    *,
    inputs: tuple[str | os.PathLike, ...] = (),
    what: str = "output folder",
    min_free: int | None = None,
) -> Path:
    """Check, before any work, that ``path`` can become an output folder.

    Refused: an existing file at ``path`` or at one of its parents, a folder that cannot be
    written (permissions, read-only file system), less than ``min_free`` bytes free, and a folder
    that is one of ``inputs`` or contains one of them (writing there would replace or move what
    is being read).

    Args:
        path: the folder to write (it need not exist yet).
        inputs: folders or files the command reads.
        what: what the folder is, for messages (e.g. ``"--out"``).
        min_free: bytes that must be free on its disk (default :data:`MIN_FREE_BYTES`).

    Returns:
        ``path`` as a Path.

    Raises:
        InputError: saying which check failed, naming the path.
    """
    path = Path(path).expanduser()
    label = f"{what} {path}"
    existing = _nearest_existing(path.absolute())
    if not existing.is_dir():
        where = "" if existing == path.absolute() else f" ({existing} is a file)"
        raise InputError(f"{label}: is a file, expected a folder{where}")
    resolved = path.resolve()
    for src in inputs:
        src_path = Path(src).expanduser().resolve()
        src_dir = src_path if src_path.is_dir() else src_path.parent
        if _inside(src_dir, resolved):
            raise InputError(
                f"{label}: is (or contains) the input {src}; writing there would replace the "
                "input's files — choose another folder"
            )
    _probe_writable(existing, label)
    _check_free(existing, label, MIN_FREE_BYTES if min_free is None else min_free)
    return path


def check_output_file(
    path: str | os.PathLike,
    *,
    inputs: tuple[str | os.PathLike, ...] = (),
    what: str = "output file",
    min_free: int | None = None,
) -> Path:
    """Check, before any work, that the file ``path`` can be written (see
    :func:`check_output_folder`); an existing folder at ``path`` or an input file is refused.

    Returns:
        ``path`` as a Path.
    """
    path = Path(path).expanduser()
    label = f"{what} {path}"
    if path.is_dir():
        raise InputError(f"{label}: is a folder, expected a file name")
    for src in inputs:
        if Path(src).expanduser().resolve() == path.resolve():
            raise InputError(f"{label}: is the input {src}; choose another file name")
    parent = path.absolute().parent
    existing = _nearest_existing(parent)
    if not existing.is_dir():
        raise InputError(f"{label}: {existing} is a file, expected a folder")
    _probe_writable(existing, label)
    _check_free(existing, label, MIN_FREE_BYTES if min_free is None else min_free)
    return path
