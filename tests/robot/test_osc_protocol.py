"""Strict decoding of the bridge's OSC address space: every bad kind is named, nothing raises."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from choreo.robot import osc_protocol as osc

VECTOR = np.arange(196) % 256


def one(data: bytes) -> osc.Command | osc.Rejection:
    items = osc.decode_packet(data)
    assert len(items) == 1
    return items[0]


def test_valid_play_decodes_trial_and_vector() -> None:
    cmd = one(osc.encode_play(42, VECTOR))
    assert isinstance(cmd, osc.Command)
    assert cmd.address == osc.PLAY
    assert cmd.trial == 42
    assert cmd.vector is not None
    assert cmd.vector.dtype == np.uint8
    np.testing.assert_array_equal(cmd.vector, VECTOR)
    assert len(osc.encode_play(42, VECTOR)) == 1004  # the size the limit is set around


@pytest.mark.parametrize("address", [osc.STOP, osc.RESET, osc.HOME, osc.STATE, osc.STATUS])
def test_no_argument_commands(address: str) -> None:
    cmd = one(osc.encode(address))
    assert isinstance(cmd, osc.Command)
    assert cmd.address == address


def test_heartbeat_carries_its_sequence() -> None:
    cmd = one(osc.encode(osc.HEARTBEAT, ("i", 7)))
    assert isinstance(cmd, osc.Command)
    assert cmd.seq == 7


def _rejection(data: bytes) -> osc.Rejection:
    item = one(data)
    assert isinstance(item, osc.Rejection), item
    return item


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (osc.encode("/choreo/dance"), osc.UNKNOWN_ADDRESS),
        (osc.encode("/choreo/*"), osc.UNKNOWN_ADDRESS),  # patterns never fan out
        (osc.encode("/choreo/sto?"), osc.UNKNOWN_ADDRESS),
        (osc.encode(osc.STOP, ("i", 1)), osc.BAD_ARGUMENTS),
        (osc.encode(osc.HEARTBEAT), osc.BAD_ARGUMENTS),
        (osc.encode(osc.HEARTBEAT, ("f", 1.0)), osc.BAD_ARGUMENTS),
        (osc.encode(osc.PLAY, ("i", 1), *[("i", 1)] * 195), osc.BAD_ARGUMENTS),
        (osc.encode(osc.PLAY, ("i", 1), *[("i", 1)] * 197), osc.BAD_ARGUMENTS),
        (osc.encode(osc.PLAY, ("i", 1), *[("f", 1.0)] * 196), osc.BAD_ARGUMENTS),
        (osc.encode(osc.PLAY, ("i", 1), *[("s", "a")] * 196), osc.BAD_ARGUMENTS),
        (osc.encode_play(1, [*VECTOR[:-1], 256]), osc.OUT_OF_RANGE),
        (osc.encode_play(1, [-1, *VECTOR[1:]]), osc.OUT_OF_RANGE),
        (osc.encode_play(1, VECTOR)[:-4], osc.MALFORMED),  # truncated
        (osc.encode_play(1, VECTOR)[:-2], osc.MALFORMED),  # not a multiple of 4
        (osc.encode_play(1, VECTOR) + b"\0\0\0\0", osc.MALFORMED),  # trailing bytes
        (osc.encode_play(1, VECTOR)[:10], osc.MALFORMED),
        (b"/choreo/play", osc.MALFORMED),  # no NUL terminator
        (osc.encode_play(1, VECTOR) * 3, osc.OVERSIZED),
        (b"\x00" * 5000, osc.OVERSIZED),
        (b"", osc.GARBAGE),
        (b"hello world!", osc.GARBAGE),
        (b"\xff\xfe\xfd\xfc", osc.GARBAGE),
        (b"/ch\x01reo\0\0\0\0\0", osc.GARBAGE),
        (b"/choreo/stop\0\0\0\0iiii", osc.MALFORMED),  # arguments without a type tag string
    ],
)
def test_each_bad_kind_is_rejected(data: bytes, kind: str) -> None:
    rej = _rejection(data)
    assert rej.kind == kind, rej.reason
    assert rej.reason


def test_play_rejections_keep_the_trial_id_when_readable() -> None:
    assert _rejection(osc.encode_play(9, [*VECTOR[:-1], 300])).trial == 9
    assert _rejection(osc.encode(osc.PLAY, ("i", 8), ("i", 1))).trial == 8
    assert _rejection(osc.encode_play(7, VECTOR)[:-8]).trial == 7
    assert _rejection(osc.encode(osc.PLAY, ("f", 1.0))).trial is None


def test_out_of_range_reason_names_index_and_value() -> None:
    rej = _rejection(osc.encode_play(1, [*VECTOR[:5], 999, *VECTOR[6:]]))
    assert "value 5 is 999" in rej.reason


def test_bundles_are_unpacked_and_their_time_tags_ignored() -> None:
    builder = OscBundleBuilder(IMMEDIATELY)
    builder.add_content(OscMessageBuilder(osc.HEARTBEAT).build())
    msg = OscMessageBuilder(osc.HEARTBEAT)
    msg.add_arg(3, "i")
    builder.add_content(msg.build())
    items = osc.decode_packet(builder.build().dgram)
    assert [type(i).__name__ for i in items] == ["Rejection", "Command"]
    assert isinstance(items[1], osc.Command)
    assert items[1].seq == 3


def test_deeply_nested_bundles_are_refused() -> None:
    inner = osc.encode(osc.STOP)
    for _ in range(osc.MAX_BUNDLE_DEPTH + 1):
        inner = b"#bundle\0" + b"\0" * 7 + b"\x01" + struct.pack(">i", len(inner)) + inner
    rej = _rejection(inner)
    assert rej.kind == osc.MALFORMED
    assert "nested" in rej.reason


def test_bundle_element_size_beyond_the_packet_is_refused() -> None:
    data = b"#bundle\0" + b"\0" * 8 + struct.pack(">i", 400) + osc.encode(osc.STOP)
    assert _rejection(data).kind == osc.MALFORMED


def test_status_round_trip() -> None:
    from pythonosc.osc_message import OscMessage

    data = osc.encode_status("idle", "sim", False, {"packets": 3, "garbage": 1})
    parsed = osc.parse_status(OscMessage(data).params)
    assert parsed == {
        "mode": "idle",
        "backend": "sim",
        "latched": False,
        "counters": {"packets": 3, "garbage": 1},
    }


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    for item in osc.decode_packet(data):
        assert isinstance(item, osc.Command | osc.Rejection)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1003), st.integers(0, 255)), max_size=8),
    st.integers(0, 1004),
)
def test_mutated_plays_decode_to_valid_commands_or_rejections(
    flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(osc.encode_play(5, VECTOR))
    for pos, value in flips:
        data[pos] = value
    for item in osc.decode_packet(bytes(data[: max(cut, 1)])):
        if isinstance(item, osc.Command) and item.address == osc.PLAY:
            assert item.vector is not None
            assert item.vector.shape == (196,)
            assert item.trial is not None
