"""The diagnosis of a live stream: a verdict per item (choreo.eeg.diagnosis)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from choreo.eeg.clock import ClockReport
from choreo.eeg.devices import declared_channels, in_microvolts, load_device
from choreo.eeg.diagnosis import StreamObserver
from choreo.eeg.stream import Chunk, StreamInfo

MUSE = ("TP9", "AF7", "AF8", "TP10", "Right AUX")
CHOREO = Path(sys.executable).parent / "choreo"


def observer(labels=MUSE, units=("microvolts",) * 5, domain="lsl", name="Muse"):  # type: ignore[no-untyped-def]
    declared = StreamInfo(name, "EEG", name, 256.0, *declared_channels(labels, units, 5))
    info, profile, _ = in_microvolts(declared, load_device("muse2016"), name)
    return StreamObserver(info, declared, profile, ClockReport(domain=domain))


def feed(obs: StreamObserver, seconds: float, drop: slice | None = None, rate: float = 256.0):
    t = 1000.0 + np.arange(int(seconds * 256)) / rate
    keep = np.ones(len(t), bool)
    if drop is not None:
        keep[drop] = False
    t = t[keep]
    for k, i in enumerate(range(0, len(t), 12)):
        ts = t[i : i + 12]
        obs.observe(Chunk(np.zeros((len(ts), 5)), ts), arrival=k * 12 / 256.0)


def test_a_clean_lsl_stream_is_ok_on_every_item() -> None:
    obs = observer()
    feed(obs, 4)
    diag = obs.diagnosis()
    assert diag.verdict == "ok", diag.summary()
    items = diag.by_item()
    assert set(items) == {
        "rate",
        "arrival",
        "jitter",
        "dropped",
        "clock",
        "labels",
        "units",
        "frontal",
    }
    assert items["rate"].value == "256.0 Hz (nominal 256 Hz)"
    assert items["frontal"].value == "AF7, AF8"
    assert diag.as_dict()["verdict"] == "ok"


def test_dropped_samples_are_counted() -> None:
    obs = observer()
    feed(obs, 4, drop=slice(300, 340))  # 40 samples lost in one gap
    f = obs.diagnosis().by_item()["dropped"]
    assert f.verdict == "warn"
    assert f.value.startswith("40 samples in 1 gaps")
    # The rate counts the lost samples as the time they took: still nominal.
    assert obs.diagnosis().by_item()["rate"].verdict == "ok"


def test_stamps_at_another_rate_fail() -> None:
    obs = observer()
    feed(obs, 4, rate=220.0)  # the sender stamps as if it ran at 220 Hz
    f = obs.diagnosis().by_item()["rate"]
    assert f.verdict == "fail"
    assert "220.0 Hz" in f.value


def test_unix_clock_labels_and_units_missing_are_warnings_with_advice() -> None:
    obs = observer(labels=("",) * 5, units=("",) * 5, domain="unix")
    feed(obs, 2)
    items = obs.diagnosis().by_item()
    assert items["clock"].verdict == "warn"
    assert "muselsl stream --lsltime" in items["clock"].advice
    assert items["labels"].verdict == "warn"
    assert "taken from muse2016" in items["labels"].value
    assert items["units"].verdict == "warn"
    assert "uV assumed" in items["units"].value


def test_no_frontal_channel_fails_naming_the_labels() -> None:
    obs = observer(labels=("A", "B", "C", "D", "E"))
    feed(obs, 2)
    f = obs.diagnosis().by_item()["frontal"]
    assert f.verdict == "fail"
    assert "[A, B, C, D, E]" in f.value


def test_streams_check_diagnoses_muselsls_default_clock(unique_name: str) -> None:
    """`choreo synth --clock unix` stamps as muselsl does by default; the check says so."""
    name = "chk-" + unique_name.rsplit("-", 1)[-1]
    synth = subprocess.Popen(
        [
            str(CHOREO),
            "synth",
            "--clock",
            "unix",
            "--name",
            name,
            "--source-id",
            name,
            "--duration",
            "30",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        out = subprocess.run(
            [str(CHOREO), "streams", "--check", name, "--seconds", "2", "--timeout", "10"],
            capture_output=True,
            text=True,
            timeout=60,
            env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        )
    finally:
        synth.kill()
        synth.wait()
    assert out.returncode == 0, out.stderr
    rows = {line.split("│")[1].strip(): line for line in out.stdout.splitlines() if "│" in line}
    assert "warn" in rows["clock"]
    assert "Unix epoch, mapped" in rows["clock"]
    assert "ok" in rows["rate"]
    assert "AF7, AF8" in rows["frontal"]


def test_streams_check_of_a_missing_stream_is_one_line() -> None:
    out = subprocess.run(
        [
            str(CHOREO),
            "streams",
            "--check",
            "no-such-stream-x1",
            "--seconds",
            "1",
            "--timeout",
            "0.5",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "no-such-stream-x1" in out.stderr
