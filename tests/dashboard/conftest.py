"""Fixtures of the dashboard tests: the session tests' real parts (bridge process, LSL
EEG), a served dashboard, and Chromium when Debian's package is installed."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "session"))

from session_helpers import BridgeProcess, PausableEEG

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def bridge_process() -> Iterator[Callable[..., BridgeProcess]]:
    """Start bridges with ``bridge_process(speed, extra_args)``; all stopped at teardown."""
    started: list[BridgeProcess] = []

    def make(speed: float = 40.0, extra: list[str] | None = None) -> BridgeProcess:
        b = BridgeProcess(speed, extra)
        started.append(b)
        return b

    yield make
    for b in started:
        b.close()


@pytest.fixture
def eeg(unique_name: str) -> Iterator[PausableEEG]:
    """Synthetic EEG published over LSL under a unique name."""
    e = PausableEEG(unique_name)
    yield e
    e.close()


@pytest.fixture
def browser() -> Iterator[object]:
    """Headless Chromium (Debian's) driven by Playwright; skipped when either is absent."""
    if CHROMIUM is None:
        pytest.skip("chromium not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield b
        finally:
            b.close()
