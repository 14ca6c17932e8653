"""The data model every EEG source shares: stream description, chunks, recordings.

A source (LSL inlet, file, synthetic generator) describes itself with a
:class:`StreamInfo` and yields :class:`Chunk` objects: samples in microvolts
(uV) as float64 ``(n_samples, n_channels)`` and their timestamps in seconds.
Live sources stamp on the LSL clock (``pylsl.local_clock()``); file sources
keep the clock of the recording. Downstream code (band power, quality,
feedback) sees only these types, so the live and offline paths are one path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol, Self, runtime_checkable

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: Unit string of every sample a source hands out.
MICROVOLTS = "uV"


@dataclass(frozen=True)
class StreamInfo:
    """What a stream is: name, type, rate and channels.

    Parameters
    ----------
    name, type, source_id
        As in LSL (``type`` is ``"EEG"`` for EEG streams).
    sfreq
        Nominal sampling rate in Hz (0 for an irregular stream).
    ch_names
        Channel labels, in column order of every chunk.
    units
        Unit of each channel *in the chunks* (always ``"uV"`` for EEG: the
        sources convert from the unit the device declares).
    device
        Name of the matched device profile (``"muse2016"``, ``"enobio8"``...), if any.
    manufacturer, hostname
        Metadata passed through from the source, for display and re-publishing.
    """

    name: str
    type: str
    source_id: str
    sfreq: float
    ch_names: tuple[str, ...]
    units: tuple[str, ...]
    device: str | None = None
    manufacturer: str = ""
    hostname: str = ""

    def __post_init__(self) -> None:
        # Accept lists from callers but store tuples so the info stays hashable.
        object.__setattr__(self, "ch_names", tuple(self.ch_names))
        object.__setattr__(self, "units", tuple(self.units))
        if len(self.units) != len(self.ch_names):
            raise ValueError(
                f"stream '{self.name}': {len(self.units)} units for {len(self.ch_names)} channels"
            )

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return len(self.ch_names)


@dataclass(frozen=True)
class Chunk:
    """A block of consecutive samples.

    Attributes
    ----------
    data
        float64 ``(n_samples, n_channels)`` in microvolts. NaN or inf may occur
        (a real amplifier can send them); the quality layer rejects their windows.
    timestamps
        float64 ``(n_samples,)`` in seconds, non-decreasing.
    """

    data: FloatArray
    timestamps: FloatArray

    def __post_init__(self) -> None:
        if self.data.ndim != 2 or self.timestamps.ndim != 1:
            raise ValueError(
                "Chunk needs data (n_samples, n_channels) and timestamps (n_samples,)"
            )
        if self.data.shape[0] != self.timestamps.shape[0]:
            raise ValueError(
                f"Chunk has {self.data.shape[0]} samples but {self.timestamps.shape[0]} timestamps"
            )

    @property
    def n_samples(self) -> int:
        """Number of samples (rows)."""
        return int(self.data.shape[0])

    @property
    def n_channels(self) -> int:
        """Number of channels (columns)."""
        return int(self.data.shape[1])

    @classmethod
    def empty(cls, n_channels: int) -> Chunk:
        """A chunk with no samples."""
        return cls(np.empty((0, n_channels)), np.empty(0))

    @classmethod
    def concat(cls, chunks: Iterable[Chunk], n_channels: int | None = None) -> Chunk:
        """Join chunks in order (``n_channels`` is needed only when there are none)."""
        items = list(chunks)
        if not items:
            if n_channels is None:
                raise ValueError("Chunk.concat of no chunks needs n_channels")
            return cls.empty(n_channels)
        return cls(
            np.concatenate([c.data for c in items], axis=0),
            np.concatenate([c.timestamps for c in items]),
        )


@dataclass(frozen=True)
class Gap:
    """A stretch where samples are missing in a recording.

    Attributes
    ----------
    index
        Index of the first sample *after* the gap.
    start
        Timestamp (s) of the last sample before the gap.
    duration
        Missing time in seconds (the step minus one nominal sample period).
    """

    index: int
    start: float
    duration: float


@dataclass(frozen=True)
class Recording:
    """A whole recording in memory: ``data`` (n_samples, n_channels) uV, ``timestamps`` s.

    ``gaps`` lists where samples are missing (timestamp steps much longer than
    the nominal period); ``path`` is the file it came from; ``notes`` are
    one-line remarks on what the reader handled (clock resets, dropped
    channels, empty streams skipped...).
    """

    info: StreamInfo
    data: FloatArray
    timestamps: FloatArray
    gaps: tuple[Gap, ...] = ()
    path: Path | None = None
    notes: tuple[str, ...] = ()

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return int(self.data.shape[0])

    @property
    def duration(self) -> float:
        """Time from first to last sample, in seconds (gaps included)."""
        return float(self.timestamps[-1] - self.timestamps[0]) if self.n_samples else 0.0

    def as_chunk(self) -> Chunk:
        """The whole recording as one chunk."""
        return Chunk(self.data, self.timestamps)


def find_gaps(timestamps: FloatArray, sfreq: float, tolerance: float = 2.5) -> tuple[Gap, ...]:
    """Find steps between timestamps longer than ``tolerance`` nominal sample periods.

    A 1 ms allowance is added because files such as muselsl CSV round their
    timestamps to the millisecond.
    """
    if sfreq <= 0 or timestamps.size < 2:
        return ()
    period = 1.0 / sfreq
    steps = np.diff(timestamps)
    where = np.flatnonzero(steps > tolerance * period + 1e-3)
    return tuple(
        Gap(index=int(i + 1), start=float(timestamps[i]), duration=float(steps[i] - period))
        for i in where
    )


@dataclass(frozen=True)
class StreamEvent:
    """Something a live source reports beside its samples.

    ``kind`` is ``"dropout"`` (no samples for longer than the source's limit)
    or ``"recovered"`` (samples arrive again); ``time`` is the LSL clock (s)
    when it was noticed; ``detail`` is a one-line human message.
    """

    kind: Literal["dropout", "recovered"]
    time: float
    detail: str


@runtime_checkable
class ChunkSource(Protocol):
    """Anything that yields EEG chunks: LSL inlet, file, synthetic generator.

    ``read(timeout)`` returns the next chunk, or ``None`` when nothing came
    within ``timeout`` seconds or the source has ended; it always returns.
    ``ended`` becomes true once a finite source (a file) has nothing left.
    Iterating yields chunks until the source ends (a live source ends only
    when closed).
    """

    @property
    def info(self) -> StreamInfo: ...

    @property
    def ended(self) -> bool: ...

    def read(self, timeout: float = ...) -> Chunk | None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def __iter__(self) -> Iterator[Chunk]: ...


class SourceBase:
    """Context manager and iteration shared by every source.

    Subclasses implement :attr:`info` and :meth:`read`, set ``_ended`` when a
    finite source runs out, and call ``super().close()`` from their ``close``.
    """

    _ended: bool = False
    _closed: bool = False

    @property
    def info(self) -> StreamInfo:
        raise NotImplementedError

    @property
    def ended(self) -> bool:
        """True once the source has nothing more to give (or was closed)."""
        return self._ended or self._closed

    def read(self, timeout: float = 1.0) -> Chunk | None:
        raise NotImplementedError

    def close(self) -> None:
        """Release the source; further reads return ``None``."""
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Chunk]:
        while not self.ended:
            chunk = self.read(timeout=1.0)
            if chunk is not None and chunk.n_samples:
                yield chunk
