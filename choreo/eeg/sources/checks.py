"""Checks every file reader applies to the samples it read, with one-line errors."""

from __future__ import annotations

import numpy as np

from choreo.eeg.stream import FloatArray
from choreo.errors import InputError


def check_samples(data: FloatArray, where: str) -> None:
    """Refuse a recording with no samples, or with no finite sample at all.

    Isolated NaN/inf samples are kept: the quality layer rejects the windows
    they fall in, and the rest of the recording stays usable.
    """
    if data.shape[0] == 0:
        raise InputError(f"{where}: no samples")
    if not np.isfinite(data).any():
        raise InputError(f"{where}: every sample is NaN or infinite")


def first_backwards_step(timestamps: FloatArray) -> int | None:
    """Index ``i`` of the first sample whose timestamp is earlier than sample ``i - 1``."""
    steps = np.diff(timestamps)
    bad = np.flatnonzero(steps < 0)
    return int(bad[0] + 1) if bad.size else None
