"""Fixtures of the dashboard tests: the session tests' real parts (bridge process, LSL
EEG), a served dashboard, and Chromium when Debian's package is installed."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "session"))

from session_helpers import bridge_process, eeg

__all__ = ["bridge_process", "eeg"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


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
