"""`choreo score` and `choreo monitor` as a user runs them (monitor on real LSL, loopback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

from choreo.cli import app
from choreo.eeg.monitor import MonitorState, monitor_source
from choreo.eeg.sources.lsl import LslSource
from choreo.eeg.sources.outlet import publish_synthetic
from choreo.eeg.sources.synthetic import SyntheticEEG

REPO = Path(__file__).resolve().parents[2]


def _synthetic_csv(path: Path, duration: float, relaxation: float, seed: int = 3) -> Path:
    rec = SyntheticEEG("muse2016", seed, relaxation, start_time=1533222559.0).recording(duration)
    rows = np.column_stack([np.round(rec.timestamps, 3), np.round(rec.data, 3)])
    header = "timestamps,TP9,AF7,AF8,TP10,Right AUX"
    np.savetxt(path, rows, delimiter=",", header=header, comments="", fmt="%.3f")
    return path


def _choreo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "choreo", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


def test_score_prints_the_table_and_writes_json_plot_and_baseline(tmp_path: Path) -> None:
    rec = _synthetic_csv(tmp_path / "rest.csv", 40.0, 0.3)
    runner = CliRunner()
    out_json, out_png, base = tmp_path / "w.json", tmp_path / "w.png", tmp_path / "base.json"
    res = runner.invoke(
        app,
        [
            "score",
            str(rec),
            "--json",
            str(out_json),
            "--plot",
            str(out_png),
            "--save-baseline",
            str(base),
        ],
        env={"COLUMNS": "120"},
    )
    assert res.exit_code == 0, res.output
    for word in ("AF7 *", "AF8 *", "TP9", "quality", "alpha", "theta", "Score", "frontal"):
        assert word in res.output
    d = json.loads(out_json.read_text())
    n = len(d["windows"]["t"])
    assert n == (40 * 256 - 512) // 32 + 1
    assert len(d["windows"]["per_channel"]["AF7"]["rel_alpha"]) == n
    assert d["frontal"] == ["AF7", "AF8"]
    assert 0.2 < d["summary"]["relaxation_index"] < 0.8
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out_png.stat().st_size > 20_000
    # The saved baseline is the one the file gives as a --baseline recording.
    from choreo.eeg.feedback import Baseline
    from choreo.eeg.offline_scoring import load_baseline
    from choreo.eeg.settings import load_eeg_settings

    assert Baseline.load(base) == load_baseline(rec, settings=load_eeg_settings())
    # A relaxed recording scored against the rest baseline comes out positive.
    relaxed = _synthetic_csv(tmp_path / "relaxed.csv", 30.0, 0.95, seed=4)
    res = runner.invoke(
        app, ["score", str(relaxed), "--baseline", str(base), "--json", str(out_json)]
    )
    assert res.exit_code == 0, res.output
    # (0.45 of the range between the real concentrating and relaxed states: ~0.2 z)
    assert json.loads(out_json.read_text())["summary"]["score"] > 0.1


def _main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    """Run the command line's main() in this process; (exit code, stderr)."""
    from choreo.cli import main

    monkeypatch.setattr(sys, "argv", ["choreo", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0), capsys.readouterr().err


def test_score_errors_are_one_line_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_base = tmp_path / "b.json"
    bad_base.write_text("[1, 2]")
    rec = _synthetic_csv(tmp_path / "r.csv", 5.0, 0.5)
    cases = [
        (["score", str(tmp_path / "missing.csv")], "missing.csv: file not found"),
        (["score", str(rec), "--baseline", str(bad_base)], "b.json: not a choreo baseline"),
        (["score", str(rec), "--device", "nosuchdevice"], "no configuration 'nosuchdevice'"),
    ]
    mne = pytest.importorskip("mne")
    raw = mne.io.RawArray(
        np.random.default_rng(0).standard_normal((2, 64 * 20)) * 1e-5,
        mne.create_info(["AF7", "AF8"], 64.0, "eeg"),
        verbose=False,
    )
    slow = tmp_path / "slow_raw.fif"
    raw.save(slow, verbose=False)
    cases.append((["score", str(slow)], "slow_raw.fif: stream 'slow_raw': rate 64 Hz is too low"))
    cfg = tmp_path / "eeg.toml"
    cfg.write_text("[bandpower]\nwindow_seconds = 2\n")
    cases.append(
        (["score", str(rec), "--config", str(cfg)], "unknown key 'bandpower.window_seconds'")
    )
    for args, message in cases:
        code, err = _main(monkeypatch, capsys, *args)
        assert code == 2, (args, err)
        assert message in err
        assert err.startswith("choreo: error:")
        assert len(err.strip().splitlines()) == 1
    # And as a process: exit status 2, one line, no traceback.
    p = _choreo(*cases[0][0])
    assert p.returncode == 2
    assert cases[0][1] in p.stderr
    assert "Traceback" not in p.stderr


def test_monitor_shows_a_live_stream_then_reports_its_dropout(unique_name: str) -> None:
    pub = publish_synthetic(
        "muse2016", relaxation=0.6, seed=1, name=unique_name, source_id=unique_name, duration=3.0
    )
    console = Console(record=True, width=120, force_terminal=False)
    with LslSource(name=unique_name, timeout=5, dropout_after=0.5) as src, pub:
        state = monitor_source(
            src, console=console, duration=20.0, until=lambda s: s.status == "dropout"
        )
    assert state.windows >= 5  # at least 1 s of windows after the first 2 s
    assert state.samples >= 2 * 256
    assert state.status == "dropout"
    assert "DROPOUT" in state.message
    text = console.export_text()
    assert "AF7 *" in text
    assert "DROPOUT" in text


def test_monitor_stops_cleanly_on_ctrl_c(unique_name: str) -> None:
    pub = publish_synthetic("muse2016", seed=2, name=unique_name, source_id=unique_name)

    def interrupt(state: MonitorState) -> None:
        if state.windows:
            raise KeyboardInterrupt

    console = Console(record=True, width=120)
    with LslSource(name=unique_name, timeout=5) as src, pub:
        state = monitor_source(src, console=console, duration=10.0, on_update=interrupt)
    assert state.windows >= 1
    assert "monitor stopped" in console.export_text()


@pytest.mark.parametrize(
    "args", [["monitor", "--name", "choreo-no-such-stream", "--timeout", "0.3"]]
)
def test_monitor_without_a_stream_says_so(args: list[str]) -> None:
    p = _choreo(*args)
    assert p.returncode == 2
    assert "no LSL stream found with name 'choreo-no-such-stream'" in p.stderr
    assert "Traceback" not in p.stderr
