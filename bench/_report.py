"""What every benchmark does with its figures: summarise timings, name the machine, write JSON.

Imported by the scripts beside it (run as ``.venv/bin/python bench/<script>.py``, so
this folder is on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Where each benchmark writes ``<name>.json``.
RESULTS_DIR = Path(__file__).resolve().parent / "results"

_PER_SECOND = {"s": 1.0, "ms": 1e3, "us": 1e6}


def timing_stats(seconds: Sequence[float] | np.ndarray, unit: str = "ms") -> dict[str, float]:
    """Count, median (p50), p90, p99 and maximum of durations.

    Parameters
    ----------
    seconds
        The durations, s.
    unit
        ``"s"``, ``"ms"`` or ``"us"``: the unit of the figures, which also ends
        their keys (``p50_ms``...).
    """
    a = np.asarray(seconds, dtype=np.float64) * _PER_SECOND[unit]
    return {
        "n": int(a.size),
        f"p50_{unit}": float(np.percentile(a, 50)),
        f"p90_{unit}": float(np.percentile(a, 90)),
        f"p99_{unit}": float(np.percentile(a, 99)),
        f"max_{unit}": float(a.max()),
    }


def machine() -> str:
    """The machine the figures come from: platform, Python, CPUs and the load right now."""
    return (
        f"{platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.2f}"
    )


def write_results(name: str, result: Mapping[str, Any]) -> Path:
    """Write ``result`` to ``bench/results/<name>.json`` and say where."""
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")
    return path
