"""The shared data model: chunks, recordings, gaps."""

from __future__ import annotations

import numpy as np
import pytest

from choreo.eeg.sources.files import FileSource
from choreo.eeg.stream import Chunk, ChunkSource, Gap, Recording, StreamInfo, find_gaps


def _info(n: int = 2) -> StreamInfo:
    return StreamInfo("s", "EEG", "id", 256.0, [f"c{i}" for i in range(n)], ["uV"] * n)


def test_chunk_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match="3 samples but 2 timestamps"):
        Chunk(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="n_samples, n_channels"):
        Chunk(np.zeros(3), np.zeros(3))


def test_concat_keeps_order_and_empty_needs_channels() -> None:
    a = Chunk(np.ones((2, 3)), np.array([0.0, 1.0]))
    b = Chunk(2 * np.ones((1, 3)), np.array([2.0]))
    c = Chunk.concat([a, b])
    assert c.n_samples == 3
    assert c.n_channels == 3
    np.testing.assert_array_equal(c.timestamps, [0, 1, 2])
    np.testing.assert_array_equal(c.data[:, 0], [1, 1, 2])
    assert Chunk.concat([], n_channels=4).data.shape == (0, 4)


def test_streaminfo_checks_units_and_stores_tuples() -> None:
    info = _info(3)
    assert info.ch_names == ("c0", "c1", "c2")
    assert info.n_channels == 3
    hash(info)  # usable as a key
    with pytest.raises(ValueError, match="2 units for 3 channels"):
        StreamInfo("s", "EEG", "id", 256.0, ["a", "b", "c"], ["uV", "uV"])


def test_find_gaps_positions_and_durations() -> None:
    fs = 256.0
    t = np.arange(1000) / fs
    t[500:] += 2.0  # 2 s missing after sample 499
    t[800:] += 0.05
    gaps = find_gaps(t, fs)
    assert [g.index for g in gaps] == [500, 800]
    assert gaps[0].duration == pytest.approx(2.0)
    assert gaps[1].duration == pytest.approx(0.05)
    assert gaps[0].start == pytest.approx(t[499])
    # 1 ms rounding of the timestamps is not a gap.
    assert find_gaps(np.round(np.arange(1000) / fs, 3), fs) == ()


def test_file_source_chunks_cover_the_recording_once() -> None:
    rec = Recording(_info(), np.arange(200.0).reshape(100, 2), np.arange(100) / 256.0)
    src = FileSource(rec, chunk_samples=32)
    assert isinstance(src, ChunkSource)
    with src:
        chunks = list(src)
    assert [c.n_samples for c in chunks] == [32, 32, 32, 4]
    np.testing.assert_array_equal(Chunk.concat(chunks).data, rec.data)
    assert src.ended
    assert src.read() is None


def test_gap_is_plain_data() -> None:
    assert Gap(3, 1.0, 0.5) == Gap(3, 1.0, 0.5)
