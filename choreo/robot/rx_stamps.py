"""Kernel receive timestamps of UDP datagrams (``SO_TIMESTAMPNS``), to measure answer latency.

The kernel stamps a datagram when it arrives, before the reading thread is scheduled,
so "answer sent minus arrival" includes any wait for the CPU, and a busy reader does
not make an answer that arrived in time look late. Used by the RSI process and the
fake controller.
"""

from __future__ import annotations

import socket
import struct
import sys
from collections.abc import Iterable

# Python's socket module lacks the constant before 3.14; 35 on Linux (asm-generic, x86).
SO_TIMESTAMPNS: int | None = getattr(
    socket, "SO_TIMESTAMPNS", 35 if sys.platform == "linux" else None
)
#: Ancillary buffer for ``socket.recvmsg`` that holds one timestamp, bytes.
ANCILLARY_BYTES = 64
_TIMESPEC = struct.Struct("@ll")


def enable_rx_stamps(sock: socket.socket) -> bool:
    """Ask the kernel to stamp each datagram's arrival on ``sock``; True if granted."""
    if SO_TIMESTAMPNS is None:
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        return False
    return True


def rx_stamp_ns(ancillary: Iterable[tuple[int, int, bytes]]) -> int | None:
    """Arrival time (ns, CLOCK_REALTIME) in the ancillary data of ``recvmsg``, or None."""
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= 16:
            sec, nsec = _TIMESPEC.unpack_from(payload)
            return int(sec * 1_000_000_000 + nsec)
    return None
