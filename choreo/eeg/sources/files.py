"""Recordings on disk: pick the reader by extension (or content), serve chunks.

:func:`read_recording` returns the whole :class:`Recording`;
:func:`open_recording` wraps it in a :class:`FileSource` that yields chunks
like a live stream does, so offline scoring runs the live code path.

Formats: muselsl CSV (``.csv``), XDF (``.xdf``, ``.xdfz``) and what MNE
reads (``.fif``, ``.fif.gz``, ``.edf``, ``.bdf``, ``.vhdr``, ``.set``, ``.gdf``,
``.cnt``). A file without a known extension is recognised by its first bytes
(``XDF:`` magic, or a CSV header starting with ``timestamps``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from choreo.eeg.devices import DeviceProfile, load_device, stream_profile
from choreo.eeg.stream import Chunk, Recording, SourceBase, StreamInfo
from choreo.errors import InputError

CSV_SUFFIXES = (".csv",)
XDF_SUFFIXES = (".xdf", ".xdfz")
MNE_SUFFIXES = (".fif", ".fif.gz", ".edf", ".bdf", ".vhdr", ".set", ".gdf", ".cnt")


def _format_of(path: Path) -> str:
    name = path.name.lower()
    for fmt, suffixes in (("csv", CSV_SUFFIXES), ("xdf", XDF_SUFFIXES), ("mne", MNE_SUFFIXES)):
        if name.endswith(suffixes):
            return fmt
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if head.startswith(b"XDF:"):
        return "xdf"
    if head.lstrip(b"\xef\xbb\xbf").lower().startswith(b"timestamps,"):
        return "csv"
    known = ", ".join(CSV_SUFFIXES + XDF_SUFFIXES + MNE_SUFFIXES)
    raise InputError(f"{path}: unknown recording format '{path.suffix}' (known: {known})")


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a recording")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: cannot read: permission denied")


def read_recording(
    path: str | os.PathLike[str], device: str | DeviceProfile | None = None
) -> Recording:
    """Read a whole recording into memory, samples in uV.

    Parameters
    ----------
    path
        CSV, XDF or MNE-readable file.
    device
        Profile name, path or object. For CSV it defaults to ``muse2016``
        (muselsl's layout); for the other formats the profile is matched
        from the file's metadata when not given.

    Raises
    ------
    InputError
        One line naming the file and what is wrong with it.
    """
    p = Path(path)
    _check_file(p)
    fmt = _format_of(p)
    profile = load_device(device) if device is not None else None
    if fmt == "csv":
        from choreo.eeg.sources.csv_muselsl import read_muselsl_csv

        return read_muselsl_csv(p, profile or load_device("muse2016"))
    if fmt == "xdf":
        from choreo.eeg.sources.xdf_file import read_xdf

        return read_xdf(p, profile)
    from choreo.eeg.sources.mne_file import read_mne

    return read_mne(p, profile)


class FileSource(SourceBase):
    """A recording served as chunks of ``chunk_samples`` samples, as fast as read.

    ``read`` never waits: it returns the next chunk, or ``None`` once the
    recording is exhausted (then :attr:`ended` is true). ``device`` is the
    profile the recording was read with, if one was given.
    """

    def __init__(
        self,
        recording: Recording,
        chunk_samples: int | None = None,
        device: str | DeviceProfile | None = None,
    ) -> None:
        self.recording = recording
        self._device = device
        sfreq = recording.info.sfreq or 256.0
        self.chunk_samples = int(chunk_samples or max(1, round(sfreq / 8)))
        self._pos = 0
        self._ended = recording.n_samples == 0

    @property
    def info(self) -> StreamInfo:
        """The recording's stream description (units uV)."""
        return self.recording.info

    @property
    def profile(self) -> DeviceProfile:
        """The device profile the recording was read with (or matched to)."""
        return stream_profile(self.recording.info, self._device)

    def read(self, timeout: float = 0.0) -> Chunk | None:
        """The next chunk (``timeout`` is ignored: a file never waits)."""
        if self.ended:
            return None
        start, stop = self._pos, min(self._pos + self.chunk_samples, self.recording.n_samples)
        self._pos = stop
        if stop >= self.recording.n_samples:
            self._ended = True
        return Chunk(
            np.ascontiguousarray(self.recording.data[start:stop]),
            np.ascontiguousarray(self.recording.timestamps[start:stop]),
        )


def open_recording(
    path: str | os.PathLike[str],
    device: str | DeviceProfile | None = None,
    chunk_samples: int | None = None,
) -> FileSource:
    """Open a recording as a chunk source (see :func:`read_recording`)."""
    return FileSource(read_recording(path, device), chunk_samples, device)
