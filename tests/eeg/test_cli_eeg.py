"""The eeg commands as a user runs them: `choreo replay`, `choreo synth`, `choreo streams`."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from choreo.cli import main
from choreo.eeg.sources.lsl import LslSource

CHOREO = Path(sys.executable).parent / "choreo"


def _run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["choreo", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:  # main() exits only on errors
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["replay", "{tmp}/missing.csv"], r"^choreo: error: \S*/missing\.csv: file not found$"),
        (
            ["replay", "{tmp}/bad.csv"],
            r"^choreo: error: \S*/bad\.csv: missing column 'AF8' for Muse 2016 "
            r"\(found: timestamps, TP9, AF7, TP10\)$",
        ),
        (
            ["replay", "{tmp}/bad.csv", "--speed", "0"],
            r"^choreo: error: --speed must be positive \(got 0\)$",
        ),
        (
            ["synth", "--relaxation", "1.5"],
            r"^choreo: error: --relaxation must be in 0\.\.1 \(got 1\.5\)$",
        ),
        (
            ["synth", "--device", "nosuch"],
            r"^choreo: error: no configuration 'nosuch' in \S+ \(known: .*muse2016.*\)$",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    (tmp_path / "bad.csv").write_text("timestamps,TP9,AF7,TP10\n1.0,1,2,3\n")
    code, err = _run_main(monkeypatch, capsys, *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert code == 2
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert re.match(message, err.strip()), err


def test_synth_publishes_and_streams_lists_it(
    unique_name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    unique_name = "cli-" + unique_name.rsplit("-", 1)[-1]  # short enough for one table row
    synth = subprocess.Popen(
        [
            str(CHOREO),
            "synth",
            "--device",
            "muse2016",
            "--relaxation",
            "0.8",
            "--name",
            unique_name,
            "--source-id",
            unique_name,
            "--duration",
            "30",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with LslSource(name=unique_name, timeout=10) as src:
            assert src.info.device == "muse2016"
            assert src.info.ch_names == ("TP9", "AF7", "AF8", "TP10", "Right AUX")
            monkeypatch.setattr(sys, "argv", ["choreo", "streams", "--timeout", "0.5"])
            main()  # `choreo streams`, in this process
            listed = capsys.readouterr().out
            got, end = 0, time.monotonic() + 5
            while got < 256 and time.monotonic() < end:
                c = src.read(timeout=0.2)
                if c is not None:
                    assert np.isfinite(c.data).all()
                    got += c.n_samples
        assert got >= 256
        row = next(line for line in listed.splitlines() if unique_name in line)
        assert "EEG" in row
        assert "256" in row
        assert "5" in row
        synth.send_signal(signal.SIGINT)  # Ctrl-C is how a user stops it
        _out, err = synth.communicate(timeout=20)
        assert synth.returncode == 0
        assert "stopped" in err
        assert f"{unique_name}" in err
        assert "muse2016, 5 ch, 256 Hz" in err
    finally:
        if synth.poll() is None:
            synth.kill()
            synth.wait()


def test_replay_command_runs_a_file_to_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    t = 1.7e9 + np.arange(256) / 256.0
    rows = ["timestamps,TP9,AF7,AF8,TP10,Right AUX"] + [f"{ti:.3f},1,2,3,4,5" for ti in t]
    (tmp_path / "short.csv").write_text("\n".join(rows) + "\n")
    name = f"cli-replay-{uuid.uuid4().hex[:8]}"
    code, err = _run_main(
        monkeypatch, capsys, "replay", str(tmp_path / "short.csv"), "--speed", "4", "--name", name
    )
    assert code == 0
    assert f"{name} (muse2016, 5 ch, 256 Hz) | 256/256 samples (100%)" in err
