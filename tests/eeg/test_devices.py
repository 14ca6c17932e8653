"""Device profiles and matching a stream to one."""

from __future__ import annotations

from pathlib import Path

import pytest

from choreo.eeg.devices import (
    MIN_SFREQ,
    frontal_indices,
    load_device,
    match_device,
    microvolts_per_unit,
    temporal_indices,
)
from choreo.eeg.stream import StreamInfo
from choreo.errors import ConfigError, InputError

MUSE = ("TP9", "AF7", "AF8", "TP10", "Right AUX")


def _info(name: str, labels: tuple[str, ...], sfreq: float = 256.0, **kw: str) -> StreamInfo:
    return StreamInfo(name, "EEG", "sid", sfreq, labels, ("uV",) * len(labels), **kw)


def test_muse_profile_values() -> None:
    muse = load_device("muse2016")
    assert muse.channels == MUSE
    assert muse.sfreq == 256.0
    assert muse.units == "uV"
    assert muse.reference == "Fpz"
    assert muse.frontal == ("AF7", "AF8")
    assert muse.unused == ("Right AUX",)


@pytest.mark.parametrize("n", [8, 20, 32])
def test_enobio_profiles(n: int) -> None:
    prof = load_device(f"enobio{n}")
    assert prof.sfreq == 500.0
    assert prof.channels == ()
    assert len(prof.default_montage) == n
    assert {"Fp1", "Fp2", "AF3", "AF4", "F3", "F4", "Fz"} <= set(prof.frontal)


def test_match_muse_by_name_or_by_labels() -> None:
    assert match_device(_info("Muse-1A2B", MUSE)).name == "muse2016"
    # BlueMuse names streams differently; the labels still say Muse.
    assert match_device(_info("BlueMuse EEG", MUSE[:4])).name == "muse2016"
    assert match_device(_info("whatever", MUSE)).name == "muse2016"


def test_match_enobio_by_channel_count_and_name_or_maker() -> None:
    labels8 = ("Fp1", "Fp2", "F3", "F4", "C3", "C4", "O1", "O2")
    assert match_device(_info("Enobio8-EEG", labels8, 500.0)).name == "enobio8"
    labels20 = tuple(f"X{i}" for i in range(20))
    assert match_device(_info("NIC", labels20, 500.0)).name == "enobio20"
    info = _info("amp", tuple(f"X{i}" for i in range(32)), 500.0, manufacturer="Neuroelectrics")
    assert match_device(info).name == "enobio32"
    # Wrong channel count for any Enobio: not an Enobio.
    assert match_device(_info("Enobio", labels8[:7], 500.0)).name == "generic"


def test_unknown_device_is_generic_and_uses_its_own_labels() -> None:
    info = _info("ActiChamp", ("Fz", "Cz", "Pz", "Oz"), 500.0)
    prof = match_device(info)
    assert prof.name == "generic"
    assert frontal_indices(info, prof) == [0]


def test_device_named_in_metadata_wins() -> None:
    info = _info(
        "anything", ("Fp1", "Fp2", "F3", "F4", "C3", "C4", "O1", "O2"), 500.0, device="enobio8"
    )
    assert match_device(info).name == "enobio8"


def test_frontal_indices_muse_and_enobio() -> None:
    muse = load_device("muse2016")
    info = _info("Muse", MUSE)
    assert frontal_indices(info, muse) == [1, 2]
    assert temporal_indices(info, muse) == [0, 3]
    eno = load_device("enobio20")
    labels = ("P7", "fp1", "Cz", "AF4", "O1", *tuple(f"X{i}" for i in range(15)))
    assert frontal_indices(_info("Enobio20", labels, 500.0), eno) == [1, 3]


def test_no_frontal_channel_is_a_clear_error() -> None:
    info = _info("Enobio8", ("P7", "P4", "Cz", "Pz", "P3", "P8", "O1", "O2"), 500.0)
    with pytest.raises(
        InputError, match=r"stream 'Enobio8': no usable frontal channel among \[P7"
    ):
        frontal_indices(info, load_device("enobio8"))


def test_rate_too_low_is_a_clear_error() -> None:
    info = _info("Muse", MUSE, sfreq=64.0)
    with pytest.raises(InputError, match=f"rate 64 Hz is too low.*at least {MIN_SFREQ:g} Hz"):
        frontal_indices(info, load_device("muse2016"))


def test_units() -> None:
    assert microvolts_per_unit("microvolts", "x") == 1.0
    assert microvolts_per_unit("nV", "x") == pytest.approx(1e-3)
    assert microvolts_per_unit("Volts", "x") == 1e6
    assert microvolts_per_unit("µV", "x") == 1.0
    with pytest.raises(InputError, match="stream 'X': unknown EEG unit 'degC'"):
        microvolts_per_unit("degC", "stream 'X'")


def test_custom_device_file_and_unknown_key(tmp_path: Path) -> None:
    good = tmp_path / "mine.toml"
    good.write_text('name = "mine"\ndisplay_name = "Mine"\nfrontal = ["Fz"]\nsfreq = 250.0\n')
    prof = load_device(good)
    assert prof.frontal == ("Fz",)
    assert prof.units == "uV"
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "b"\ndisplay_name = "B"\nfrontal = ["Fz"]\nfrontl = ["Fp1"]\n')
    with pytest.raises(ConfigError, match=r"bad.toml: unknown key 'frontl'"):
        load_device(bad)
    with pytest.raises(ConfigError, match="no configuration 'nosuchdevice'"):
        load_device("nosuchdevice")
