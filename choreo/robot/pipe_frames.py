"""Length-prefixed pickle frames over a private pipe between the bridge and its RSI process.

Only ever used between a parent and the child it started (stdin/stdout pipes), so the
frames are trusted; nothing from the network is unpickled.
"""

from __future__ import annotations

import pickle
import struct
from typing import IO, Any

_HEAD = struct.Struct(">I")


def write_frame(stream: IO[bytes], obj: object) -> None:
    """Write one frame and flush."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEAD.pack(len(data)) + data)
    stream.flush()


def _read_exact(stream: IO[bytes], n: int) -> bytes:
    parts = []
    while n > 0:
        chunk = stream.read(n)
        if not chunk:
            raise EOFError("pipe closed")
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def read_frame(stream: IO[bytes]) -> Any:
    """Read one frame (works on raw, unbuffered streams too); EOFError when closed."""
    (size,) = _HEAD.unpack(_read_exact(stream, _HEAD.size))
    return pickle.loads(_read_exact(stream, size))
