"""Fuzzing the bridge: thousands of random and mutated datagrams over real UDP, then a
valid choreography must still be performed correctly.

Every datagram is decoded offline with the same decoder to know what the bridge must
count; the bridge's counters must agree exactly (sends are paced so that no datagram
is dropped by the socket buffer).
"""

from __future__ import annotations

import struct
from collections import Counter

import numpy as np
from bridge_fixtures import sim_bridge, wait_until

from choreo.robot import osc_protocol as osc
from choreo.robot.bridge import Bridge
from choreo.robot.client import BridgeClient
from choreo.robot.codec import random_vector
from choreo.robot.config import load_robot_config
from choreo.robot.safety import check_choreography

N_PACKETS = 3000
NEAR_ADDRESSES = [
    "/choreo/play/",
    "/choreo/PLAY",
    "/choreo/pla",
    "/choreo/*",
    "//choreo/play",
    "/choreo/play\x7f",
    "/choreo/{play,stop}",
    "/choreo/heartbeat",
    "/choreo/status",
]


def _seeds() -> list[bytes]:
    return [
        osc.encode_play(1, random_vector(11)),
        osc.encode_play(2, random_vector(12)),
        osc.encode(osc.HEARTBEAT, ("i", 5)),
        osc.encode(osc.STATE),
        osc.encode(osc.STATUS),
        osc.encode(osc.STOP),
        osc.encode(osc.RESET),
    ]


def _random_message(rng: np.random.Generator) -> bytes:
    address = NEAR_ADDRESSES[rng.integers(len(NEAR_ADDRESSES))]
    args: list[tuple[str, object]] = []
    for _ in range(int(rng.integers(0, 200))):
        tag = "ifsd"[rng.integers(4)]
        value: object = {
            "i": int(rng.integers(-(2**31), 2**31)),
            "f": float(rng.normal()),
            "s": "x" * int(rng.integers(0, 5)),
            "d": float(rng.normal()),
        }[tag]
        args.append((tag, value))
    return osc.encode(address, *args)


def _mutate(rng: np.random.Generator, data: bytes) -> bytes:
    buf = bytearray(data)
    kind = rng.integers(5)
    if kind == 0:  # byte flips
        for _ in range(int(rng.integers(1, 12))):
            buf[rng.integers(len(buf))] = int(rng.integers(256))
    elif kind == 1:  # truncation
        buf = buf[: rng.integers(0, len(buf))]
    elif kind == 2:  # extension
        buf += rng.integers(0, 256, int(rng.integers(1, 3000)), dtype=np.uint8).tobytes()
    elif kind == 3:  # wrapped in a (possibly lying) bundle
        size = len(buf) + int(rng.integers(-8, 9)) * 4
        buf = bytearray(b"#bundle\0" + b"\0" * 7 + b"\1" + struct.pack(">i", size)) + buf
    else:  # a type tag character changed
        tags = buf.find(b",")
        pos = tags + 1 + int(rng.integers(4))
        if tags >= 0 and pos < len(buf):
            buf[pos] = ord("ifsdbhTFN["[rng.integers(10)])
    return bytes(buf)


def make_corpus(seed: int = 20261122) -> list[bytes]:
    rng = np.random.default_rng(seed)
    seeds = _seeds()
    corpus: list[bytes] = []
    for _ in range(N_PACKETS):
        pick = rng.integers(10)
        if pick < 3:
            corpus.append(
                rng.integers(0, 256, int(rng.integers(0, 2600)), dtype=np.uint8).tobytes()
            )
        elif pick < 5:
            corpus.append(_random_message(rng))
        else:
            corpus.append(_mutate(rng, seeds[rng.integers(len(seeds))]))
    return corpus


def _send_paced(
    client: BridgeClient, bridge: Bridge, corpus: list[bytes], batch: int = 50
) -> None:
    """Send ``corpus`` in batches, waiting until the bridge has read each (no drops)."""
    for start in range(0, len(corpus), batch):
        for data in corpus[start : start + batch]:
            client.send_raw(data)
        target = min(start + batch, len(corpus))

        def caught_up(target: int = target) -> bool:
            return bridge.counters()["packets"] >= target

        wait_until(caught_up, what="paced")


def test_fuzz_then_a_valid_choreography_is_performed_correctly() -> None:
    corpus = make_corpus()
    expected: Counter[str] = Counter()
    for data in corpus:
        for item in osc.decode_packet(data):
            expected["commands" if isinstance(item, osc.Command) else item.kind] += 1
    assert sum(expected[k] for k in osc.DECODE_KINDS) > 0.9 * N_PACKETS  # mostly bad

    with sim_bridge(speed=60.0) as (bridge, client):
        _send_paced(client, bridge, corpus)
        counters = bridge.counters()
        assert counters["packets"] == N_PACKETS
        assert counters["internal_error"] == 0
        for kind in osc.DECODE_KINDS:
            assert counters[kind] == expected[kind], kind
        assert counters["commands"] == expected["commands"]

        # Whatever the fuzz started or latched: stop, release, and perform a valid one.
        client.stop()
        wait_until(lambda: bridge.mode in ("latched", "idle"), timeout=10, what="at rest")
        client.reset()
        wait_until(lambda: bridge.mode == "idle", what="idle")
        state = client.request_state()
        vector = random_vector(3)
        verdict = check_choreography(vector, load_robot_config(), start_deg=state.q)
        assert verdict.plan is not None
        client.play(999, vector)
        assert client.wait_for((osc.STARTED, osc.REJECTED), 999).address == osc.STARTED
        done = client.wait_for((osc.DONE, osc.ABORTED, osc.FAULT), 999, timeout=10)
        assert done.address == osc.DONE
        np.testing.assert_allclose(client.request_state().q, verdict.plan.q[-1], atol=1e-3)
        assert all(t.is_alive() for t in bridge._threads)


def test_fuzz_does_not_disturb_the_rsi_exchange() -> None:
    """The OSC flood lands on the bridge's process; RSI answers come from its own."""
    from bridge_fixtures import FakeKukaProcess

    from choreo.robot.backends.rsi import RsiBackend
    from choreo.robot.bridge_settings import BridgeSettings

    corpus = make_corpus(seed=7)[:2000]
    settings = BridgeSettings(
        listen=("127.0.0.1", 0), reply=None, backend="rsi", rsi_listen=("127.0.0.1", 0)
    )
    with Bridge(settings) as bridge, BridgeClient(bridge.address) as client:
        assert isinstance(bridge.backend, RsiBackend)
        fake = FakeKukaProcess(bridge.backend.address)
        try:
            wait_until(lambda: bridge.backend is not None and bridge.backend.not_ready() is None)
            _send_paced(client, bridge, corpus)
            client.stop()  # whatever a fuzzed play started
            wait_until(lambda: bridge.mode in ("latched", "idle"), timeout=5, what="at rest")
            assert bridge.counters()["internal_error"] == 0
        finally:
            summary = fake.finish()
    assert summary["sent"] > 100
    assert summary["missed"] == 0, summary
