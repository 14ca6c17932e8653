"""The session commands: bad input gives one line and a non-zero exit, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _choreo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "choreo", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_bad_config_and_missing_directory_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[trials]\ncount = 0\n")
    out = _choreo("session", "--config", str(bad))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"choreo: error: {bad}: key 'trials.count': Input should be greater than or equal to 1"
    ]
    out = _choreo("replay-session", str(tmp_path))
    assert out.returncode == 2
    assert (
        out.stderr.strip()
        == f"choreo: error: {tmp_path}: not a session directory (no config.json)"
    )
    assert "Traceback" not in out.stderr


def test_starts_from_a_missing_session_is_one_line_and_makes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "s.toml"
    config.write_text(f'root = "{tmp_path / "sessions"}"\n')
    out = _choreo("session", "--config", str(config), "--starts-from", str(tmp_path / "gone"))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"choreo: error: [learner] starts_from: {tmp_path / 'gone'}: no such session directory"
    ]
    assert not (tmp_path / "sessions").exists()
