"""What every file reader does with what it read: one-line checks, and the Recording."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from choreo.eeg.devices import DeviceProfile
from choreo.eeg.stream import MICROVOLTS, FloatArray, Gap, Recording, StreamInfo, find_gaps
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


def file_recording(
    path: Path,
    profile: DeviceProfile,
    data: FloatArray,
    timestamps: FloatArray,
    *,
    sfreq: float,
    ch_names: Sequence[str],
    notes: Iterable[str] = (),
    name: str | None = None,
    source_id: str | None = None,
    manufacturer: str = "",
    hostname: str = "",
    declared_gaps: Iterable[Gap] = (),
) -> Recording:
    """The :class:`Recording` a file reader returns: EEG, samples already in uV.

    Parameters
    ----------
    path
        The file read.
    profile
        The device profile it was read with (names the device; gives the
        manufacturer when the file names none).
    data, timestamps
        Samples (n_samples, n_channels) in uV, and their times in s.
    sfreq
        Nominal rate, Hz; gaps are timestamp steps much longer than its period.
    ch_names
        Channel labels, in column order.
    notes
        What the reader handled, one line each.
    name, source_id
        The stream's; the file's stem and path when None.
    manufacturer, hostname
        From the file's metadata ("" when it has none).
    declared_gaps
        Gaps the file marks itself (e.g. EDF+D skipped acquisition), beside the
        ones found in the timestamps.
    """
    info = StreamInfo(
        name=path.stem if name is None else name,
        type="EEG",
        source_id=str(path) if source_id is None else source_id,
        sfreq=sfreq,
        ch_names=tuple(ch_names),
        units=(MICROVOLTS,) * len(ch_names),
        device=profile.name,
        manufacturer=manufacturer or profile.manufacturer,
        hostname=hostname,
    )
    gaps = (*find_gaps(timestamps, sfreq), *declared_gaps)
    return Recording(
        info=info,
        data=data,
        timestamps=timestamps,
        gaps=tuple(sorted(gaps, key=lambda g: g.index)),
        path=path,
        notes=tuple(notes),
    )
