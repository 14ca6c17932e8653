"""The bridge's OSC address space: strict decoding of incoming packets, encoding of replies.

Incoming datagrams are decoded here rather than by python-osc's server, which drops
what it cannot parse without a trace: every datagram either becomes a
:class:`Command` or a :class:`Rejection` with a kind that the bridge counts. The
decoder is strict on purpose (the bridge is the safety authority):

- only exact addresses are accepted; OSC address patterns (``*``, ``?``, ``[..]``,
  ``{..}``) are refused as unknown, so ``/choreo/*`` cannot fire every command at once;
- each address has exactly one type signature (int32 only for the play vector and
  the heartbeat); a type tag string is required when there are arguments;
- the packet length must match its contents exactly (no truncation, no trailing
  bytes), and at most :data:`MAX_PACKET_BYTES`;
- bundles are unpacked (nested at most :data:`MAX_BUNDLE_DEPTH` deep) and their
  messages handled at once; time tags are ignored (``strict_timing=False``
  semantics), since a scheduled robot command would be a surprise.

Replies are built with python-osc's :class:`~pythonosc.osc_message_builder.OscMessageBuilder`.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pythonosc.osc_message_builder import OscMessageBuilder

# -- addresses -------------------------------------------------------------------------
PLAY = "/choreo/play"
STOP = "/choreo/stop"
RESET = "/choreo/reset"
HOME = "/choreo/home"
HEARTBEAT = "/choreo/heartbeat"
#: With no arguments, to the bridge: ask for one ``/choreo/state`` now.
STATE = "/choreo/state"
#: With no arguments, to the bridge: ask for one ``/choreo/status`` (mode and counters).
STATUS = "/choreo/status"

STARTED = "/choreo/started"
DONE = "/choreo/done"
REJECTED = "/choreo/rejected"
ABORTED = "/choreo/aborted"
FAULT = "/choreo/fault"
#: From the session (not the bridge): the live feedback score, each window
#: (t, score, rel_alpha, rel_theta), to port 9002 by default.
FEEDBACK = "/choreo/feedback"

#: Number of choreography values after the trial id of ``/choreo/play``.
VECTOR_LEN = 196
#: Trial id used in replies about ``/choreo/home`` (it has no trial of its own).
HOME_TRIAL = -1
#: Largest datagram accepted (a play message is 1004 bytes, in a bundle 1024).
MAX_PACKET_BYTES = 2048
#: Deepest bundle nesting accepted.
MAX_BUNDLE_DEPTH = 4

#: Type tags (without the comma) each command address accepts.
SIGNATURES: dict[str, str] = {
    PLAY: "i" * (1 + VECTOR_LEN),
    STOP: "",
    RESET: "",
    HOME: "",
    HEARTBEAT: "i",
    STATE: "",
    STATUS: "",
}

_DESCRIPTIONS = {
    PLAY: "a trial id and 196 values 0..255 (197 int32)",
    HEARTBEAT: "a sequence number (1 int32)",
}

#: Rejection kinds, the names of the bridge's counters.
GARBAGE = "garbage"
OVERSIZED = "oversized"
MALFORMED = "malformed"
UNKNOWN_ADDRESS = "unknown_address"
BAD_ARGUMENTS = "bad_arguments"
OUT_OF_RANGE = "out_of_range"
DECODE_KINDS = (GARBAGE, OVERSIZED, MALFORMED, UNKNOWN_ADDRESS, BAD_ARGUMENTS, OUT_OF_RANGE)

_INT32 = struct.Struct(">i")
_PLAY_VALUES = struct.Struct(">" + "i" * (1 + VECTOR_LEN))
_PRINTABLE = re.compile(rb"^[\x20-\x7e]*$")


@dataclass(frozen=True, slots=True)
class Command:
    """A well-formed command.

    Attributes
    ----------
    address : str
        One of the command addresses (:data:`SIGNATURES`).
    trial : int or None
        Trial id of ``/choreo/play``.
    vector : ndarray of uint8 (196,) or None
        The choreography of ``/choreo/play``.
    seq : int or None
        Sequence number of ``/choreo/heartbeat``.
    """

    address: str
    trial: int | None = None
    vector: NDArray[np.uint8] | None = None
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message or datagram that is refused: counter ``kind``, a one-line ``reason``,
    and the trial id when one could be read (then the sender is answered)."""

    kind: str
    reason: str
    trial: int | None = None
    address: str | None = None


class _Bad(Exception):
    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def _padded(n: int) -> int:
    return (n + 4) & ~3  # string plus its NUL, padded to 4 bytes


def _read_string(data: bytes, start: int, what: str) -> tuple[bytes, int]:
    end = data.find(b"\0", start)
    if end < 0:
        raise _Bad(MALFORMED, f"{what} is not NUL-terminated (truncated packet)")
    raw = data[start:end]
    nxt = start + _padded(end - start)
    if nxt > len(data):
        raise _Bad(MALFORMED, f"{what} padding is cut off (truncated packet)")
    if data[end:nxt].strip(b"\0"):
        raise _Bad(MALFORMED, f"{what} padding is not NUL bytes")
    if not _PRINTABLE.match(raw):
        raise _Bad(GARBAGE, f"{what} holds non-printable bytes")
    return raw, nxt


def _decode_message(data: bytes) -> Command | Rejection:
    raw_addr, pos = _read_string(data, 0, "address")
    address = raw_addr.decode("ascii")
    if pos == len(data):
        tags = ""
    else:
        raw_tags, pos = _read_string(data, pos, f"{address}: type tag string")
        if not raw_tags.startswith(b","):
            return Rejection(GARBAGE, f"{address}: no type tag string", address=address)
        tags = raw_tags[1:].decode("ascii")
    signature = SIGNATURES.get(address)
    if signature is None:
        return Rejection(UNKNOWN_ADDRESS, f"unknown address {address[:64]!r}", address=address)
    payload = len(data) - pos
    trial: int | None = None
    if address == PLAY and tags[:1] == "i" and payload >= 4:
        trial = _INT32.unpack_from(data, pos)[0]
    if tags != signature:
        want = _DESCRIPTIONS.get(address, "no arguments")
        got = f"{len(tags)} argument(s) of type '{tags[:16]}{'...' if len(tags) > 16 else ''}'"
        return Rejection(BAD_ARGUMENTS, f"{address}: expects {want}, got {got}", trial, address)
    need = 4 * len(tags)
    if payload != need:
        what = "truncated" if payload < need else f"{payload - need} trailing bytes"
        return Rejection(
            MALFORMED, f"{address}: {what} (arguments need {need} bytes)", trial, address
        )
    if address == PLAY:
        values = np.array(_PLAY_VALUES.unpack_from(data, pos)[1:], dtype=np.int64)
        bad = np.flatnonzero((values < 0) | (values > 255))
        if bad.size:
            i = int(bad[0])
            return Rejection(
                OUT_OF_RANGE,
                f"{address}: value {i} is {int(values[i])}, outside 0..255 ({bad.size} bad)",
                trial,
                address,
            )
        return Command(PLAY, trial=trial, vector=values.astype(np.uint8))
    if address == HEARTBEAT:
        return Command(HEARTBEAT, seq=_INT32.unpack_from(data, pos)[0])
    return Command(address)


def _decode_bundle(data: bytes, depth: int, out: list[Command | Rejection]) -> None:
    if depth >= MAX_BUNDLE_DEPTH:
        raise _Bad(MALFORMED, f"bundles nested deeper than {MAX_BUNDLE_DEPTH}")
    if len(data) < 16:
        raise _Bad(MALFORMED, "bundle without a time tag (truncated packet)")
    pos = 16  # "#bundle\0" and the 8-byte time tag, ignored on purpose
    while pos < len(data):
        if pos + 4 > len(data):
            raise _Bad(MALFORMED, "bundle element size is cut off (truncated packet)")
        size = _INT32.unpack_from(data, pos)[0]
        pos += 4
        if size <= 0 or size % 4 or pos + size > len(data):
            raise _Bad(MALFORMED, f"bundle element of size {size} does not fit the packet")
        _decode_one(data[pos : pos + size], depth + 1, out)
        pos += size


def _decode_one(data: bytes, depth: int, out: list[Command | Rejection]) -> None:
    if data.startswith(b"#bundle\0"):
        _decode_bundle(data, depth, out)
    elif data.startswith(b"/"):
        if len(data) % 4:
            raise _Bad(MALFORMED, f"length {len(data)} is not a multiple of 4 (truncated packet)")
        try:
            out.append(_decode_message(data))
        except _Bad as exc:
            out.append(Rejection(exc.kind, exc.reason))
    else:
        raise _Bad(GARBAGE, "not an OSC message or bundle")


def decode_packet(data: bytes) -> list[Command | Rejection]:
    """Decode one UDP datagram into commands and rejections (never raises).

    Parameters
    ----------
    data : bytes
        The datagram as received.

    Returns
    -------
    list of Command or Rejection
        One entry per message (a bundle may hold several); a datagram that cannot
        be read at all gives one :class:`Rejection`.
    """
    if len(data) > MAX_PACKET_BYTES:
        return [Rejection(OVERSIZED, f"packet of {len(data)} bytes exceeds {MAX_PACKET_BYTES}")]
    if not data:
        return [Rejection(GARBAGE, "empty packet")]
    out: list[Command | Rejection] = []
    try:
        _decode_one(data, 0, out)
    except _Bad as exc:
        out.append(Rejection(exc.kind, exc.reason))
    except (UnicodeDecodeError, struct.error) as exc:  # belt and braces: never raise
        out.append(Rejection(GARBAGE, f"unreadable packet ({type(exc).__name__})"))
    return out


# -- encoding --------------------------------------------------------------------------
def encode(address: str, *args: tuple[str, Any]) -> bytes:
    """Encode one OSC message from ``(type tag, value)`` pairs ('i', 'f', 'd', 's')."""
    builder = OscMessageBuilder(address=address)
    for tag, value in args:
        builder.add_arg(value, tag)
    return builder.build().dgram


def encode_play(trial: int, vector: Sequence[int] | NDArray[Any]) -> bytes:
    """Encode ``/choreo/play`` (trial id and 196 values); no checks, so tests can send bad ones."""
    values = [int(v) for v in vector]
    return encode(PLAY, ("i", int(trial)), *(("i", v) for v in values))


def encode_state(q_deg: Sequence[float] | NDArray[np.float64], t: float, backend: str) -> bytes:
    """Encode ``/choreo/state``: A1..A6 (deg, float32), LSL time (double), backend name."""
    return encode(STATE, *(("f", float(v)) for v in q_deg), ("d", float(t)), ("s", backend))


def encode_status(mode: str, backend: str, latched: bool, counters: dict[str, int]) -> bytes:
    """Encode ``/choreo/status``: mode (s), backend (s), latched (i), then pairs of
    counter name (s) and value (i)."""
    pairs: list[tuple[str, Any]] = []
    for name, value in counters.items():
        pairs += [("s", name), ("i", int(value))]
    return encode(STATUS, ("s", mode), ("s", backend), ("i", int(latched)), *pairs)


def parse_status(args: Sequence[Any]) -> dict[str, Any]:
    """Turn the arguments of a ``/choreo/status`` reply into a dict (``counters`` inside)."""
    mode, backend, latched, *rest = args
    counters = {str(rest[i]): int(rest[i + 1]) for i in range(0, len(rest) - 1, 2)}
    return {"mode": mode, "backend": backend, "latched": bool(latched), "counters": counters}
