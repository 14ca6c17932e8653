"""Reader for every format MNE opens (FIF, EDF, BDF, BrainVision, EEGLAB, GDF, CNT).

MNE holds EEG in volts; samples are converted to microvolts. Only EEG
channels are kept. Channels the file marks as bad (``info["bads"]``) are
dropped with a note: whoever recorded them already judged them unusable.
Skipped acquisition (``BAD_ACQ_SKIP`` annotations, as in EDF+D files) is
reported as gaps. Timestamps start at the measurement date (Unix seconds)
when the file has one, otherwise at 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from choreo.eeg.devices import DeviceProfile, match_device
from choreo.eeg.sources.checks import check_samples, file_recording
from choreo.eeg.stream import Gap, Recording, StreamInfo
from choreo.errors import InputError


def read_mne(path: Path, profile: DeviceProfile | None = None) -> Recording:
    """Read an MNE-readable file into a :class:`Recording` (EEG channels, uV).

    Raises
    ------
    InputError
        When MNE cannot read the file, or it has no EEG channel or no finite sample.
    """
    import mne

    try:
        raw = mne.io.read_raw(path, preload=True, verbose="error")
    except Exception as exc:  # MNE raises many types for corrupt files; report one line
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: cannot read with MNE: {msg}") from None
    notes: list[str] = []
    bads = [b for b in raw.info["bads"] if b in raw.ch_names]
    picks = mne.pick_types(raw.info, eeg=True, exclude=bads)
    if len(picks) == 0:
        kinds = sorted(set(raw.get_channel_types()))
        raise InputError(f"{path}: no EEG channel (channel types: {', '.join(kinds)})")
    if bads:
        notes.append(f"dropped channels marked bad: {', '.join(bads)}")
    data = np.ascontiguousarray(raw.get_data(picks=picks).T) * 1e6  # V -> uV
    check_samples(data, str(path))
    sfreq = float(raw.info["sfreq"])
    meas = raw.info["meas_date"]
    t0 = meas.timestamp() if meas is not None else 0.0
    timestamps = t0 + raw.times
    skipped = []
    for ann in raw.annotations:
        if str(ann["description"]).upper().startswith("BAD_ACQ_SKIP"):
            index = int(np.searchsorted(raw.times, ann["onset"] - raw.first_time))
            skipped.append(
                Gap(index=index, start=t0 + float(ann["onset"]), duration=float(ann["duration"]))
            )
    ch_names = tuple(raw.ch_names[i] for i in picks)
    if profile is None:
        # Match on every EEG label, bad ones included: they still say what the device is.
        every = tuple(raw.ch_names[i] for i in mne.pick_types(raw.info, eeg=True, exclude=[]))
        profile = match_device(
            StreamInfo(path.stem, "EEG", str(path), sfreq, every, ("",) * len(every))
        )
    return file_recording(
        path,
        profile,
        data,
        timestamps,
        sfreq=sfreq,
        ch_names=ch_names,
        notes=notes,
        declared_gaps=skipped,
    )
