"""Short ``repr`` for the library's dataclasses: arrays and tensors as dtype and shape, lists and
dicts by their size, so that a notebook cell that shows a :class:`~slahmr_opt.scene.Scene` or a
:class:`~slahmr_opt.result.Result` prints one readable line, not the arrays.

Use: ``__repr__ = short_repr`` in the class body of a ``@dataclass`` (a class-defined
``__repr__`` is kept by ``dataclass``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

MAX_TEXT = 60
"""Longest string or nested repr shown in full."""


def _shape(value: Any) -> str | None:
    """``float32(300, 24, 3)`` for a numpy array or torch tensor (``tensor`` prefix), else None."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is None or dtype is None or isinstance(value, type):
        return None
    name = str(dtype).removeprefix("torch.")
    dims = ", ".join(str(int(d)) for d in shape)
    prefix = "tensor " if type(value).__module__.startswith("torch") else ""
    if len(shape) == 0:
        try:
            return f"{prefix}{name} {value.item():.6g}"
        except (TypeError, ValueError):
            return f"{prefix}{name}()"
    return f"{prefix}{name}({dims})"


def describe(value: Any) -> str:
    """A short description of one field value."""
    shaped = _shape(value)
    if shaped is not None:
        return shaped
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= MAX_TEXT else repr(value[: MAX_TEXT - 3] + "...")
    if isinstance(value, (list, tuple)):
        kinds = sorted({type(v).__name__ for v in value})
        if value and all(dataclasses.is_dataclass(v) for v in value):
            return f"[{len(value)} × {'/'.join(kinds)}]"
        text = "[" + ", ".join(describe(v) for v in value) + "]"
        if isinstance(value, tuple):
            text = "(" + text[1:-1] + ("," if len(value) == 1 else "") + ")"
        if len(text) <= MAX_TEXT:
            return text
        return f"[{len(value)} × {'/'.join(kinds)}]"
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in value)
        if len(keys) > MAX_TEXT:
            keys = keys[: MAX_TEXT - 3] + "..."
        return f"{{{len(value)} keys: {keys}}}" if value else "{}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        text = repr(value)
        return text if len(text) <= MAX_TEXT else f"{type(value).__name__}(…)"
    text = repr(value)
    return text if len(text) <= MAX_TEXT else f"<{type(value).__name__}>"


def short_repr(self: Any) -> str:
    """``Type(field=short value, ...)`` of a dataclass instance (fields with ``repr=False``
    left out)."""
    parts = [
        f"{f.name}={describe(getattr(self, f.name))}"
        for f in dataclasses.fields(self)
        if f.repr and hasattr(self, f.name)
    ]
    return f"{type(self).__name__}({', '.join(parts)})"
