"""Write pickles the way Python 2 wrote 3DPW's ``sequenceFiles`` (test helper).

Python 2 pickled ``str`` (byte strings) with the ``BINSTRING`` opcodes and numpy arrays through
``numpy.core.multiarray._reconstruct`` with their raw buffer as such a byte string. Python 3 can
only load these with ``encoding="latin1"`` (the default ASCII fails on the buffers), which is why
every 3DPW loader passes it. This pickler reproduces those opcodes for dicts, lists, tuples, str,
int, float, bool, None and numpy arrays; it is test code, not part of the library.
"""

from __future__ import annotations

import io
import pickle
import struct

import numpy as np


class Py2Pickler(pickle._Pickler):  # the pure-Python pickler exposes its dispatch table
    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file) -> None:
        super().__init__(file, protocol=2)

    def _bytes_as_py2_str(self, data: bytes) -> None:
        n = len(data)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + data)

    def save_str(self, obj: str) -> None:
        self._bytes_as_py2_str(obj.encode("latin1"))
        self.memoize(obj)

    dispatch[str] = save_str

    def save_bytes(self, obj: bytes) -> None:
        self._bytes_as_py2_str(obj)

    dispatch[bytes] = save_bytes

    def _global(self, module: str, name: str) -> None:
        self.write(pickle.GLOBAL + module.encode() + b"\n" + name.encode() + b"\n")

    def save_ndarray(self, obj: np.ndarray) -> None:
        arr = np.ascontiguousarray(obj)
        # numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), 'b')
        self._global("numpy.core.multiarray", "_reconstruct")
        self._global("numpy", "ndarray")
        self.save((0,))
        self._bytes_as_py2_str(b"b")
        self.write(pickle.TUPLE3 + pickle.REDUCE)
        # state: (1, shape, dtype, is_fortran, raw bytes)
        self.write(pickle.MARK)
        self.save(1)
        self.save(tuple(int(s) for s in arr.shape))
        self._global("numpy", "dtype")
        self._bytes_as_py2_str(arr.dtype.str[1:].encode())  # e.g. 'f8'
        self.save(0)
        self.save(1)
        self.write(pickle.TUPLE3 + pickle.REDUCE)
        order = arr.dtype.str[0] if arr.dtype.str[0] in "<>" else "|"
        self.write(pickle.MARK)
        self.save(3)
        self._bytes_as_py2_str(order.encode())
        for v in (None, None, None, -1, -1, 0):
            self.save(v)
        self.write(pickle.TUPLE + pickle.BUILD)
        self.save(False)
        self._bytes_as_py2_str(arr.tobytes())
        self.write(pickle.TUPLE + pickle.BUILD)

    dispatch[np.ndarray] = save_ndarray


def dumps_py2(obj) -> bytes:
    buf = io.BytesIO()
    Py2Pickler(buf).dump(obj)
    return buf.getvalue()
