"""Fixtures of the session tests: real parts (bridge process, LSL EEG), stopped after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from session_helpers import BridgeProcess, PausableEEG


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
