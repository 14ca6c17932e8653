"""Files MNE reads: FIF (written by MNE), EDF and BDF (written here by their spec)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from choreo.eeg.devices import frontal_indices, load_device
from choreo.eeg.sources.files import open_recording, read_recording
from choreo.errors import InputError

MUSE4 = ("TP9", "AF7", "AF8", "TP10")


def _field(value: object, width: int) -> bytes:
    return str(value).encode("ascii").ljust(width)[:width]


def write_edf(
    path: Path, labels, digital: np.ndarray, sfreq: int, pmin=-3276.8, pmax=3276.7, bdf=False
) -> Path:
    """EDF (16-bit) or BDF (24-bit) with one-second records; ``digital`` is (n_samples, n_ch)."""
    n, ns = digital.shape
    n_rec = n // sfreq
    dmin, dmax = (-(2**23), 2**23 - 1) if bdf else (-32768, 32767)
    head = (
        (b"\xffBIOSEMI" if bdf else _field("0", 8))
        + _field("X X X X", 80)
        + _field("Startdate 01-JAN-2024 X X X", 80)
    )
    head += _field("01.01.24", 8) + _field("10.00.00", 8) + _field(256 + 256 * ns, 8)
    head += _field("24BIT" if bdf else "", 44) + _field(n_rec, 8) + _field(1, 8) + _field(ns, 4)
    for width, values in (
        (16, labels),
        (80, [""] * ns),
        (8, ["uV"] * ns),
        (8, [pmin] * ns),
        (8, [pmax] * ns),
        (8, [dmin] * ns),
        (8, [dmax] * ns),
        (80, [""] * ns),
        (8, [sfreq] * ns),
        (32, [""] * ns),
    ):
        head += b"".join(_field(v, width) for v in values)
    assert len(head) == 256 + 256 * ns
    body = bytearray()
    for r in range(n_rec):
        for c in range(ns):
            block = digital[r * sfreq : (r + 1) * sfreq, c].astype("<i4")
            if bdf:
                body += b"".join(int(v & 0xFFFFFF).to_bytes(3, "little") for v in block)
            else:
                body += block.astype("<i2").tobytes()
    path.write_bytes(head + bytes(body))
    return path


def _physical(d: np.ndarray, pmin: float, pmax: float, bdf: bool) -> np.ndarray:
    dmin, dmax = (-(2**23), 2**23 - 1) if bdf else (-32768, 32767)
    return (d - dmin) * (pmax - pmin) / (dmax - dmin) + pmin


@pytest.mark.parametrize("bdf", [False, True])
def test_edf_and_bdf_values_in_microvolts(tmp_path: Path, bdf: bool) -> None:
    rng = np.random.default_rng(2)
    lim = 2**23 - 1 if bdf else 32767
    d = rng.integers(-lim, lim, (256 * 4, 4))
    path = write_edf(tmp_path / ("m.bdf" if bdf else "m.edf"), MUSE4, d, 256, bdf=bdf)
    rec = read_recording(path)
    assert rec.info.ch_names == MUSE4
    assert rec.info.sfreq == 256.0
    assert rec.info.device == "muse2016"
    np.testing.assert_allclose(rec.data, _physical(d, -3276.8, 3276.7, bdf), rtol=1e-9, atol=1e-6)
    start = dt.datetime(2024, 1, 1, 10, 0, 0, tzinfo=dt.UTC).timestamp()
    np.testing.assert_allclose(rec.timestamps, start + np.arange(len(d)) / 256.0)
    assert rec.gaps == ()


def test_fif_bad_channels_non_eeg_and_skips(tmp_path: Path) -> None:
    mne = pytest.importorskip("mne")
    fs = 256.0
    info = mne.create_info([*MUSE4, "STI"], fs, ["eeg"] * 4 + ["stim"])
    x = np.random.default_rng(0).normal(0, 1e-5, (5, int(fs * 10)))  # volts
    raw = mne.io.RawArray(x, info, verbose="error")
    raw.info["bads"] = ["TP10"]
    raw.set_annotations(mne.Annotations([4.0], [1.5], ["BAD_ACQ_SKIP"]))
    path = tmp_path / "rec_raw.fif"
    raw.save(path, verbose="error")
    rec = read_recording(path)
    assert rec.info.ch_names == ("TP9", "AF7", "AF8")
    assert rec.info.device == "muse2016"  # matched on every EEG label, bad ones too
    np.testing.assert_allclose(rec.data, x[:3].T * 1e6, rtol=1e-6)
    assert rec.notes == ("dropped channels marked bad: TP10",)
    assert len(rec.gaps) == 1
    assert rec.gaps[0].index == 1024
    assert rec.gaps[0].duration == pytest.approx(1.5)
    with open_recording(path) as src:
        assert sum(c.n_samples for c in src) == x.shape[1]


def test_fif_without_eeg(tmp_path: Path) -> None:
    mne = pytest.importorskip("mne")
    raw = mne.io.RawArray(
        np.zeros((2, 512)), mne.create_info(["a", "b"], 256.0, "misc"), verbose="error"
    )
    raw.save(tmp_path / "x_raw.fif", verbose="error")
    with pytest.raises(InputError, match=r"x_raw\.fif: no EEG channel \(channel types: misc\)"):
        read_recording(tmp_path / "x_raw.fif")


def test_corrupt_edf_is_one_line(tmp_path: Path) -> None:
    p = tmp_path / "broken.edf"
    p.write_bytes(b"0       " + b"garbage" * 20)
    with pytest.raises(InputError, match=r"broken\.edf: cannot read with MNE: ") as err:
        read_recording(p)
    assert "\n" not in str(err.value)


def test_low_rate_file_is_refused_for_the_bands(tmp_path: Path) -> None:
    d = np.zeros((64 * 3, 4), dtype=int)
    d[::7] = 100
    rec = read_recording(write_edf(tmp_path / "slow.edf", MUSE4, d, 64))
    with pytest.raises(
        InputError, match="stream 'slow': rate 64 Hz is too low for the 1-40 Hz bands"
    ):
        frontal_indices(rec.info, load_device("muse2016"))


def test_brainvision_by_hand(tmp_path: Path) -> None:
    """A BrainVision trio (.vhdr, .vmrk, .eeg) written by its spec: float32 in uV, 500 Hz."""
    labels = ("Fp1", "Fp2", "Cz", "Oz")
    x = np.random.default_rng(4).normal(0, 30, (1000, 4)).astype("<f4")
    (tmp_path / "bv.eeg").write_bytes(x.tobytes())
    chans = "\n".join(f"Ch{i + 1}={lab},,1,µV" for i, lab in enumerate(labels))
    (tmp_path / "bv.vhdr").write_text(
        "Brain Vision Data Exchange Header File Version 1.0\n\n[Common Infos]\nCodepage=UTF-8\n"
        "DataFile=bv.eeg\nMarkerFile=bv.vmrk\nDataFormat=BINARY\nDataOrientation=MULTIPLEXED\n"
        "NumberOfChannels=4\nSamplingInterval=2000\n\n"
        "[Binary Infos]\nBinaryFormat=IEEE_FLOAT_32\n\n"
        f"[Channel Infos]\n{chans}\n",
        encoding="utf-8",
    )
    (tmp_path / "bv.vmrk").write_text(
        "Brain Vision Data Exchange Marker File, Version 1.0\n\n[Common Infos]\nCodepage=UTF-8\n"
        "DataFile=bv.eeg\n\n[Marker Infos]\nMk1=New Segment,,1,1,0,20240101100000000000\n",
        encoding="utf-8",
    )
    rec = read_recording(tmp_path / "bv.vhdr")
    assert rec.info.ch_names == labels
    assert rec.info.sfreq == 500.0
    assert rec.info.device == "generic"
    np.testing.assert_allclose(rec.data, x, rtol=1e-6, atol=1e-4)
    assert frontal_indices(rec.info, load_device("generic")) == [0, 1]
