"""The clock domain of a stream and its mapping onto the LSL clock (choreo.eeg.clock)."""

from __future__ import annotations

import numpy as np
import pylsl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choreo.eeg.clock import StreamClock, apply_segments, unix_to_lsl
from choreo.errors import StreamError

SFREQ = 256.0
CHUNK = 12  # muselsl's packets


def feed(
    clock: StreamClock, seconds: float, shift, latency: float = 0.02, t0: float | None = None
):
    """Chunks of 12 samples at 256 Hz whose sender stamps are ``LSL time + shift(t)``.

    Returns the raw stamps, the mapped stamps (made non-decreasing as LslSource does) and the
    true LSL times of the samples.
    """
    t0 = pylsl.local_clock() if t0 is None else t0
    n = int(seconds * SFREQ)
    true = t0 + np.arange(n) / SFREQ
    raws, maps = [], []
    last = -np.inf
    rng = np.random.default_rng(0)
    for i in range(0, n - CHUNK + 1, CHUNK):
        t = true[i : i + CHUNK]
        raw = t + shift(float(t[-1] - t0))
        arrival = float(t[-1]) + latency * (0.5 + rng.random())
        mapped = clock.map(raw, arrival)
        mapped = np.maximum.accumulate(np.maximum(mapped, last))
        last = float(mapped[-1])
        raws.append(raw)
        maps.append(mapped)
    k = len(raws) * CHUNK
    return np.concatenate(raws), np.concatenate(maps), true[:k]


def test_lsl_stamps_are_used_as_they_are() -> None:
    clock = StreamClock("Muse", SFREQ)
    raw, mapped, _ = feed(clock, 5, lambda t: 0.0)
    assert clock.domain == "lsl"
    np.testing.assert_array_equal(mapped, raw)
    assert [s.reason for s in clock.report.segments] == ["start"]
    assert 0.01 < clock.report.latency_s < 0.04


def test_unix_stamps_are_mapped_exactly() -> None:
    clock = StreamClock("Muse", SFREQ)
    raw, mapped, true = feed(clock, 5, lambda t: -unix_to_lsl())
    assert clock.domain == "unix"
    assert raw[0] > 1.6e9  # seconds since 1970
    # The exact wall-clock difference, not the arrival: no latency is added.
    assert np.max(np.abs(mapped - true)) < 2e-3
    assert "Unix epoch" in clock.report.describe("Muse")


def test_a_clock_of_its_own_is_mapped_by_the_median_offset() -> None:
    clock = StreamClock("Other", SFREQ)
    _raw, mapped, true = feed(clock, 6, lambda t: 12345.678, latency=0.02)
    assert clock.domain == "offset"
    reasons = [s.reason for s in clock.report.segments]
    assert reasons[:2] == ["start", "settled"]
    settled = clock.report.segments[1]
    # median arrival offset = -shift + median latency (0.02 * (0.5 + U(0,1)) ~ 0.02)
    assert settled.offset_s == pytest.approx(-12345.678 + 0.02, abs=0.005)
    after = slice(settled.from_sample, None)
    assert np.max(np.abs(mapped[after] - true[after])) < 0.03


def test_a_jump_is_confirmed_reported_and_followed() -> None:
    clock = StreamClock("Muse", SFREQ)
    # A restarted muselsl without --lsltime: LSL stamps, then Unix stamps from t = 4 s.
    to_unix = -unix_to_lsl()
    _raw, mapped, true = feed(clock, 8, lambda t: 0.0 if t < 4 else to_unix)
    assert clock.report.jumps == 1
    assert clock.domain == "unix"
    reasons = [s.reason for s in clock.report.segments]
    assert reasons == ["start", "provisional", "provisional", "jump"]
    # Time stays on the LSL clock across the jump (provisional chunks placed by arrival).
    assert np.max(np.abs(mapped - true)) < 0.05
    assert np.all(np.diff(mapped) >= 0)


def test_a_lone_outlier_chunk_is_not_a_jump() -> None:
    clock = StreamClock("Muse", SFREQ)

    def shift(t: float) -> float:
        return 50.0 if 2.0 <= t < 2.04 else 0.0  # one chunk 50 s off

    _raw, mapped, true = feed(clock, 4, shift)
    assert clock.report.jumps == 0
    assert [s.reason for s in clock.report.segments] == ["start", "provisional", "back"]
    assert clock.domain == "lsl"
    assert np.max(np.abs(mapped - true)) < 0.05


def test_drift_is_measured_and_followed() -> None:
    clock = StreamClock("Enobio", SFREQ)
    ppm = 500.0  # a sender clock 0.05 % fast
    _raw, mapped, true = feed(clock, 40, lambda t: 777.0 + t * ppm * 1e-6)
    assert clock.domain == "offset"
    assert clock.report.drift_ppm == pytest.approx(-ppm, rel=0.15)  # arrival - stamp falls
    assert any(s.reason == "drift" for s in clock.report.segments)
    settled = next(s for s in clock.report.segments if s.reason == "settled").from_sample
    assert np.max(np.abs(mapped[settled:] - true[settled:])) < 0.06


def test_stamps_that_are_not_finite_are_refused_naming_the_fix() -> None:
    clock = StreamClock("Muse", SFREQ)
    with pytest.raises(StreamError, match=r"'Muse'.*not finite.*--lsltime"):
        clock.map(np.full(CHUNK, np.nan), pylsl.local_clock())


def test_stamps_that_do_not_advance_are_refused() -> None:
    clock = StreamClock("Stuck", SFREQ)
    now = pylsl.local_clock()
    for k in range(40):  # 40 chunks = 1.9 s: not yet
        clock.map(np.full(CHUNK, now), now + k * CHUNK / SFREQ)
    with pytest.raises(StreamError, match=r"'Stuck'.*do not advance"):
        clock.map(np.full(CHUNK, now), now + 2.1)


def test_lsl_only_refuses_unix_stamps_naming_stream_and_fix() -> None:
    clock = StreamClock("Muse-1234", SFREQ, policy="lsl-only")
    with pytest.raises(StreamError) as err:
        feed(clock, 1, lambda t: -unix_to_lsl())
    text = str(err.value)
    assert "Muse-1234" in text
    assert "Unix epoch" in text
    assert "muselsl stream --lsltime" in text
    assert "\n" not in text


@settings(max_examples=40, deadline=None)
@given(
    jumps=st.lists(
        st.tuples(st.floats(0.5, 9.5), st.sampled_from([-3600.0, -5.0, 2.5, 90.0, 1e6])),
        max_size=3,
    ),
    base=st.sampled_from(["lsl", "unix", "offset"]),
)
def test_replay_maps_raw_stamps_exactly_as_live(jumps, base) -> None:
    """apply_segments(raw stamps, the recorded segments) == what the live source produced."""
    clock = StreamClock("S", SFREQ)
    first = {"lsl": 0.0, "unix": -unix_to_lsl(), "offset": 4321.0}[base]

    def shift(t: float) -> float:
        return first + sum(size for at, size in jumps if t >= at)

    raw, mapped, _ = feed(clock, 10, shift)
    segments = [s.as_dict() for s in clock.report.segments]
    # In a recording the live source's first sample sits after some earlier ones.
    earlier = raw[0] - np.arange(50, 0, -1) / SFREQ
    replayed = apply_segments(np.concatenate([earlier, raw]), segments, start=50)
    np.testing.assert_array_equal(replayed[50:], mapped)
