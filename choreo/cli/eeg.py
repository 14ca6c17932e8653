"""Commands of the eeg area, registered on :data:`choreo.cli.app`."""

from __future__ import annotations

from choreo.cli import app, bench_app  # noqa: F401
