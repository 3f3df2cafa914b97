"""Moved to :mod:`slahmr_opt.files` (shared by io, body, priors, solver and vis); kept as an alias
so that code importing ``slahmr_opt.io.atomic`` keeps working."""

from slahmr_opt.files import (  # noqa: F401
    write_bytes_atomic,
    write_json_atomic,
    write_npz_atomic,
)
