"""Commands of the session area, registered on :data:`choreo.cli.app`."""

from __future__ import annotations

from choreo.cli import app, bench_app  # noqa: F401
