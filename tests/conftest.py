"""Shared fixtures: the real recordings in ../shared/data and unique LSL names."""

from __future__ import annotations

import itertools
import os
import signal
import uuid
from pathlib import Path

import pytest

from choreo.runtime import configure_process

# The test process is an entry point like the CLI: the same process-wide settings.
configure_process()

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CHOREO_SHARED_DATA", REPO.parent / "shared" / "data"))
MUSE_DIR = SHARED_DATA / "muse-mental-state"

_counter = itertools.count()

# A job started in the background by a non-interactive shell (``cmd &``, as some CI
# runners and nohup scripts do) inherits SIGINT ignored, and so would every process the
# tests start: the Ctrl-C (SIGINT) that the tests send to stop the bridge, fake-kuka,
# synth and live sessions would do nothing. A handled SIGINT here is reset to the
# default in the children, where Python turns it into KeyboardInterrupt.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def muse_dir() -> Path:
    """The real Muse recordings; the test is skipped when they are absent."""
    if not MUSE_DIR.is_dir() or not any(MUSE_DIR.glob("*.csv")):
        pytest.skip(f"real Muse recordings not found in {MUSE_DIR}")
    return MUSE_DIR


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A stream name and source_id no other test (or machine) uses."""
    return f"choreo-test-{request.node.name[:40]}-{next(_counter)}-{uuid.uuid4().hex[:8]}"
