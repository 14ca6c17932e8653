"""Entry point of the bridge's RSI process: ``python -m choreo.robot.rsi_process``.

Kept apart from :mod:`choreo.robot.backends.rsi` so that running it as ``__main__``
does not import the backends package a second time.
"""

from __future__ import annotations

from choreo.robot.backends.rsi import child_main

if __name__ == "__main__":
    child_main()
