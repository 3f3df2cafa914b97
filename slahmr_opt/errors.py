"""Exception types the library raises for problems with the user's files and arguments.

Every error a user can cause by what they pass (a file, a field in it, an option) is an
:class:`InputError` — a :class:`ValueError`, so ``except ValueError`` keeps working — whose message
names the file or argument, the field and what was expected. :class:`UnsafeFileError` is the
:class:`InputError` raised when a file would need code to run to be read (a pickle referring to a
function or a class that is not plain data); nothing from such a file is loaded.
"""

from __future__ import annotations


class InputError(ValueError):
    """A file, field or argument the user passed is missing, malformed or out of range."""


class UnsafeFileError(InputError):
    """A data file refers to code (a callable or a non-data class); it was not loaded."""
