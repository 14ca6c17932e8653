"""Real LSL on loopback: outlet -> LslSource, metadata, units, dropout and recovery."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pylsl
import pytest

from choreo.eeg.sources.files import read_recording
from choreo.eeg.sources.lsl import LslSource, resolve_stream
from choreo.eeg.sources.outlet import open_eeg_outlet, publish_synthetic, replay_recording
from choreo.eeg.sources.synthetic import SyntheticEEG
from choreo.eeg.stream import Chunk, StreamEvent, StreamInfo
from choreo.errors import StreamError

MUSE = ("TP9", "AF7", "AF8", "TP10", "Right AUX")


def _muse_info(name: str) -> StreamInfo:
    return StreamInfo(
        name, "EEG", name, 256.0, MUSE, ("uV",) * 5, device=None, manufacturer="Interaxon"
    )


def _read_n(src: LslSource, n: int, limit: float = 5.0) -> Chunk:
    chunks, got, end = [], 0, time.monotonic() + limit
    while got < n and time.monotonic() < end:
        c = src.read(timeout=0.2)
        if c is not None:
            chunks.append(c)
            got += c.n_samples
    return Chunk.concat(chunks, n_channels=src.info.n_channels)


def test_values_timestamps_and_metadata_arrive_intact(unique_name: str) -> None:
    outlet = open_eeg_outlet(_muse_info(unique_name), reference="Fpz")
    with LslSource(name=unique_name, source_id=unique_name, timeout=5) as src:
        assert outlet.wait_for_consumers(5)
        assert src.info.ch_names == MUSE
        assert src.info.device == "muse2016"
        assert src.info.units == ("uV",) * 5
        assert src.info.sfreq == 256.0
        assert src.info.manufacturer == "Interaxon"
        x = (
            np.arange(512 * 5, dtype=np.float32).reshape(512, 5) - 1000.0
        ) / 4.0  # exact in float32
        # Two seconds of samples that end now, pushed at once (stamps in the future would
        # look like a clock of their own to the source).
        t0 = pylsl.local_clock() - 2.0
        stamps = t0 + np.arange(512) / 256.0
        for i in range(0, 512, 12):
            outlet.push_chunk(x[i : i + 12], stamps[i : i + 12].tolist())
        got = _read_n(src, 512)
    assert got.n_samples == 512
    assert got.data.dtype == np.float64
    np.testing.assert_array_equal(got.data, x.astype(np.float64))
    # Same machine: the clock correction is (almost) zero, the stamps come back as sent.
    np.testing.assert_allclose(got.timestamps, stamps, atol=1e-4)
    np.testing.assert_allclose(np.diff(got.timestamps), 1 / 256.0, atol=1e-9)


def test_nanovolt_stream_is_converted_and_time_kept_monotonic(unique_name: str) -> None:
    labels = ("Fp1", "Fp2", "F3", "F4", "C3", "C4", "O1", "O2")
    info = StreamInfo(
        unique_name, "EEG", unique_name, 500.0, labels, ("uV",) * 8, manufacturer="Neuroelectrics"
    )
    outlet = open_eeg_outlet(info, units="nV")
    with LslSource(source_id=unique_name, timeout=5) as src:
        assert src.info.device == "enobio8"
        assert outlet.wait_for_consumers(5)
        x_nv = np.full((50, 8), 25_000.0, dtype=np.float32)  # 25 uV
        stamps = pylsl.local_clock() + np.arange(50) / 500.0
        stamps[30] -= 0.01  # sender jitter: one stamp earlier than the one before
        outlet.push_chunk(x_nv, stamps.tolist())
        got = _read_n(src, 50)
    np.testing.assert_allclose(got.data, 25.0)
    assert np.all(np.diff(got.timestamps) >= 0)
    assert got.timestamps[30] == pytest.approx(stamps[29], abs=1e-4)


def test_resolve_names_what_was_looked_for(unique_name: str) -> None:
    t = time.monotonic()
    with pytest.raises(
        StreamError,
        match=f"no LSL stream found with name '{unique_name}' and type 'EEG' within 0.5 s",
    ):
        resolve_stream(name=unique_name, timeout=0.5)
    assert time.monotonic() - t < 2.0
    with pytest.raises(StreamError, match=f"source_id '{unique_name}'"):
        LslSource(name=None, source_id=unique_name, timeout=0.3)


def test_string_stream_is_refused(unique_name: str) -> None:
    info = pylsl.StreamInfo(unique_name, "EEG", 1, 0, pylsl.cf_string, unique_name)
    _outlet = pylsl.StreamOutlet(info)
    with pytest.raises(StreamError, match="carries strings, not EEG samples"):
        LslSource(name=unique_name, timeout=5)


def test_dropout_is_reported_and_recovered(
    unique_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    outlet = open_eeg_outlet(_muse_info(unique_name))
    seen: list[StreamEvent] = []
    caplog.set_level(logging.INFO, logger="choreo.eeg.sources.lsl")
    with LslSource(name=unique_name, timeout=5, dropout_after=0.4, on_event=seen.append) as src:
        assert outlet.wait_for_consumers(5)
        outlet.push_chunk(np.ones((64, 5), np.float32))
        assert _read_n(src, 64).n_samples == 64
        assert src.status == "ok"
        # Silence: every read returns within its timeout, and the dropout is reported.
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            t = time.monotonic()
            assert src.read(timeout=0.1) is None
            assert time.monotonic() - t < 0.3
        assert src.status == "dropout"
        assert [e.kind for e in seen] == ["dropout"]
        assert "no samples for" in caplog.text
        # The stream returns.
        outlet.push_chunk(2 * np.ones((32, 5), np.float32))
        back = _read_n(src, 32)
        np.testing.assert_array_equal(back.data, 2.0)
        assert src.status == "ok"
        assert [e.kind for e in src.pop_events()] == ["dropout", "recovered"]
        assert [e.kind for e in seen] == ["dropout", "recovered"]
        assert seen[1].time > seen[0].time
        assert "samples again after" in caplog.text


def test_outlet_restarted_with_same_source_id_is_recovered(unique_name: str) -> None:
    outlet = open_eeg_outlet(_muse_info(unique_name))
    with LslSource(source_id=unique_name, timeout=5, dropout_after=0.3) as src:
        assert outlet.wait_for_consumers(5)
        outlet.push_chunk(np.ones((16, 5), np.float32))
        assert _read_n(src, 16).n_samples == 16
        del outlet  # the headset's app crashes...
        end = time.monotonic() + 0.8
        while time.monotonic() < end:
            src.read(timeout=0.1)
        assert src.status == "dropout"
        outlet = open_eeg_outlet(_muse_info(unique_name))  # ... and comes back
        got = None
        end = time.monotonic() + 10
        while time.monotonic() < end and got is None:
            outlet.push_chunk(3 * np.ones((8, 5), np.float32))
            got = src.read(timeout=0.2)
        assert got is not None
        np.testing.assert_array_equal(got.data, 3.0)
        assert src.status == "ok"


def test_replay_of_a_real_recording(muse_dir: Path, unique_name: str) -> None:
    path = muse_dir / "subjecta-relaxed-1.csv"
    rec = read_recording(path)
    pub = replay_recording(path, speed=4.0, name=unique_name, source_id=unique_name)
    with LslSource(name=unique_name, timeout=5) as src:
        assert src.info.ch_names == MUSE
        assert src.info.device == "muse2016"
        assert src.info.sfreq == 256.0
        with pub:
            got = _read_n(src, 600)
    assert got.n_samples >= 600
    np.testing.assert_array_equal(got.data[:600], rec.data[:600].astype(np.float32))
    # Original pacing, four times faster.
    np.testing.assert_allclose(
        np.diff(got.timestamps[:600]), np.diff(rec.timestamps[:600]) / 4, atol=1e-6
    )


def test_synthetic_enobio_over_lsl_matches_offline(unique_name: str) -> None:
    pub = publish_synthetic(
        "enobio8", relaxation=0.6, seed=9, name=unique_name, source_id=unique_name
    )
    with LslSource(name=unique_name, timeout=5) as src, pub:
        got = _read_n(src, 300)
    assert src.info.device == "enobio8"
    ref = SyntheticEEG("enobio8", seed=9, relaxation=0.6).generate(5000).data
    k = int(np.argmin(np.abs(ref[:, 0] - got.data[0, 0]) + np.abs(ref[:, 1] - got.data[0, 1])))
    # Published in nV as float32 like NIC, read back in uV.
    np.testing.assert_allclose(got.data[:300], ref[k : k + 300], rtol=1e-6, atol=1e-6)


def _no_sid_info(name: str, labels: tuple[str, ...] = MUSE) -> StreamInfo:
    return StreamInfo(name, "EEG", "", 256.0, labels, ("uV",) * len(labels))


def test_lost_stream_without_source_id_is_found_again(unique_name: str) -> None:
    """liblsl cannot recover a stream without source_id: the source resolves it again."""
    outlet = open_eeg_outlet(_no_sid_info(unique_name))
    with LslSource(name=unique_name, timeout=5, dropout_after=0.3) as src:
        assert outlet.wait_for_consumers(5)
        outlet.push_chunk(np.ones((16, 5), np.float32))
        assert _read_n(src, 16).n_samples == 16
        del outlet
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            t = time.monotonic()
            src.read(timeout=0.1)
            assert time.monotonic() - t < 1.5  # never a hang, even while looking again
        assert src.status == "dropout"
        outlet = open_eeg_outlet(_no_sid_info(unique_name))
        got, end = None, time.monotonic() + 10
        while got is None and time.monotonic() < end:
            outlet.push_chunk(4 * np.ones((8, 5), np.float32))
            got = src.read(timeout=0.2)
        assert got is not None
        np.testing.assert_array_equal(got.data, 4.0)
        assert [e.kind for e in src.pop_events()] == ["dropout", "recovered"]


def _read_for(src: LslSource, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        src.read(timeout=0.2)


def test_stream_back_with_another_layout_is_an_error(unique_name: str) -> None:
    outlet = open_eeg_outlet(_no_sid_info(unique_name))
    with LslSource(name=unique_name, timeout=5, dropout_after=0.3) as src:
        assert outlet.wait_for_consumers(5)
        del outlet
        _other = open_eeg_outlet(_no_sid_info(unique_name, ("Fp1", "Fp2")))
        match = f"'{unique_name}' came back with another layout \\(2 ch"
        with pytest.raises(StreamError, match=match):
            _read_for(src, 10)


@pytest.mark.parametrize("clock", ["unix", "lsl"])
def test_sender_clock_is_mapped_and_a_busy_reader_is_no_jump(unique_name: str, clock: str) -> None:
    """muselsl's default (Unix stamps) arrives on the LSL clock; a reader that was busy for
    2.5 s reads a backlog, which is neither a jump nor a reason to move the samples."""
    from choreo.eeg.sources.outlet import publish_synthetic

    with (
        publish_synthetic(
            "muse2016", seed=1, name=unique_name, source_id=unique_name, clock=clock
        ) as pub,
        LslSource(source_id=unique_name, timeout=5) as src,
    ):
        assert pub.wait_for_consumers(5)
        first = _read_n(src, 256)
        time.sleep(2.5)  # the session was busy (a checkpoint, a learner step)
        later = _read_n(src, 3 * 256)
        now = pylsl.local_clock()
    assert src.clock.domain == clock
    assert src.clock.report.jumps == 0
    assert [s.reason for s in src.clock.report.segments] == ["start"]
    got = Chunk.concat([first, later], n_channels=src.info.n_channels)
    # On the LSL clock: the newest sample is less than a chunk old...
    assert -0.05 < now - got.timestamps[-1] < 0.5
    # ...and the samples stay evenly spaced across the backlog.
    np.testing.assert_allclose(np.diff(got.timestamps), 1 / 256.0, atol=2e-3)
