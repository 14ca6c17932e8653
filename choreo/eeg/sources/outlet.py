"""LSL outlets: publish EEG with full metadata, from a recording or synthetic.

:func:`open_eeg_outlet` creates an outlet whose metadata says everything a
reader needs (labels, units, type, manufacturer, nominal rate), in the
layout of the XDF ``<desc><channels><channel>`` convention.

:class:`PacedPublisher` pushes chunks when their timestamps come due on the
LSL clock, in a thread or blocking. :func:`replay_recording` and
:func:`publish_synthetic` use it, so a recording and a synthetic person are
published by the same code.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from choreo.eeg.clock import unix_to_lsl
from choreo.eeg.devices import DeviceProfile, load_device, microvolts_per_unit, stream_profile
from choreo.eeg.sources.files import read_recording
from choreo.eeg.sources.synthetic import Relaxation, SyntheticEEG, SynthSettings
from choreo.eeg.stream import Chunk, Recording, StreamInfo

log = logging.getLogger(__name__)

#: What a publisher stamps samples with: the LSL clock, or Unix time like muselsl's default.
SenderClock = Literal["lsl", "unix"]

#: LSL/XDF spelling of the units choreo publishes.
_UNIT_WORDS = {"uV": "microvolts", "nV": "nanovolts", "mV": "millivolts", "V": "volts"}


def open_eeg_outlet(
    info: StreamInfo,
    units: str = "uV",
    chunk_size: int = 0,
    max_buffered: int = 360,
    reference: str = "",
) -> Any:
    """Create an LSL outlet of type EEG (float32) described by ``info``.

    Parameters
    ----------
    info
        Name, source_id, rate and labels to publish.
    units
        Unit the samples are *published* in (``uV``, or ``nV`` to behave like
        an Enobio); :class:`PacedPublisher` scales the uV chunks to it.
    chunk_size, max_buffered
        As in ``pylsl.StreamOutlet``.
    reference
        Reference electrode, written to the metadata when given.

    Returns
    -------
    pylsl.StreamOutlet
    """
    import pylsl

    lsl_info = pylsl.StreamInfo(
        info.name,
        info.type or "EEG",
        info.n_channels,
        info.sfreq,
        pylsl.cf_float32,
        info.source_id,
    )
    desc = lsl_info.desc()
    desc.append_child_value("manufacturer", info.manufacturer or "choreo")
    if info.device:
        desc.append_child_value("device", info.device)
    channels = desc.append_child("channels")
    word = _UNIT_WORDS.get(units, units)
    for label in info.ch_names:
        ch = channels.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", word)
        ch.append_child_value("type", "EEG")
    if reference:
        desc.append_child("reference").append_child_value("label", reference)
    acq = desc.append_child("acquisition")
    acq.append_child_value("software", "choreo")
    return pylsl.StreamOutlet(lsl_info, chunk_size, max_buffered)


@dataclass
class PublishStatus:
    """What a publisher has done so far (for a status line)."""

    samples: int = 0
    chunks: int = 0
    last_timestamp: float = 0.0
    consumers: bool = False
    finished: bool = False
    error: str = ""


class PacedPublisher:
    """Push chunks to an LSL outlet as their timestamps (LSL clock) come due.

    Parameters
    ----------
    info
        What to publish (see :func:`open_eeg_outlet`).
    chunks
        Chunks in uV whose timestamps are on the LSL clock; each is pushed
        once the LSL clock reaches its last timestamp, with every sample's
        own timestamp.
    units
        Unit published (``uV`` or ``nV``...).
    total
        Samples the chunks hold, when finite (for progress display).
    clock
        What the pushed stamps are on: ``"lsl"``, or ``"unix"`` (``time.time()``, as
        muselsl stamps without ``--lsltime``); pacing stays on the LSL clock.
    clock_offset
        Seconds added to every pushed stamp (a sender with a clock of its own);
        :attr:`clock_offset` may be changed while publishing (a clock jump).
    """

    def __init__(
        self,
        info: StreamInfo,
        chunks: Iterable[Chunk],
        units: str = "uV",
        reference: str = "",
        total: int | None = None,
        clock: SenderClock = "lsl",
        clock_offset: float = 0.0,
    ) -> None:
        if clock not in ("lsl", "unix"):
            raise ValueError(f"clock must be 'lsl' or 'unix' (got {clock!r})")
        self.info = info
        self.clock = clock
        self.clock_offset = float(clock_offset)
        self.total = total
        self.outlet = open_eeg_outlet(info, units=units, reference=reference)
        self._factor = 1.0 / microvolts_per_unit(units, f"outlet '{info.name}'")
        self._chunks = iter(chunks)
        self.status = PublishStatus()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> PublishStatus:
        """Publish until the chunks end or :meth:`stop` is called (blocking)."""
        import pylsl

        try:
            for chunk in self._chunks:
                if self._stop.is_set():
                    break
                due = float(chunk.timestamps[-1]) - pylsl.local_clock()
                if due > 0 and self._stop.wait(due):
                    break
                data = (chunk.data * self._factor).astype(np.float32)
                self.outlet.push_chunk(data, self.sender_stamps(chunk.timestamps).tolist())
                self.status.samples += chunk.n_samples
                self.status.chunks += 1
                self.status.last_timestamp = float(chunk.timestamps[-1])
                self.status.consumers = bool(self.outlet.have_consumers())
        except Exception as exc:  # keep the reason for the thread's owner
            self.status.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self.status.finished = True
        return self.status

    def sender_stamps(self, lsl_stamps: np.ndarray) -> np.ndarray:
        """The stamps as this publisher's sender clock writes them (s)."""
        shift = self.clock_offset - (unix_to_lsl() if self.clock == "unix" else 0.0)
        return np.asarray(lsl_stamps, dtype=np.float64) + shift

    def _run_in_thread(self) -> None:
        # The reason is kept in status.error for the owner; no traceback on stderr.
        with contextlib.suppress(Exception):
            self.run()

    def start(self) -> PacedPublisher:
        """Run in a daemon thread; returns self."""
        self._thread = threading.Thread(
            target=self._run_in_thread, name=f"lsl-{self.info.name}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop publishing, wait for the thread, and withdraw the outlet."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.outlet = None

    def wait_for_consumers(self, timeout: float) -> bool:
        """True once an inlet is connected (or False after ``timeout`` s)."""
        return bool(self.outlet is not None and self.outlet.wait_for_consumers(timeout))

    def __enter__(self) -> PacedPublisher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def replay_chunks(
    recording: Recording,
    start: float | None = None,
    speed: float = 1.0,
    loop: bool = False,
    chunk_samples: int = 12,
    max_pause: float = 5.0,
) -> Iterator[Chunk]:
    """The recording's chunks re-stamped onto the LSL clock from ``start``.

    Time between samples is the recorded time divided by ``speed``; a gap
    longer than ``max_pause`` s (of replay time) is shortened to it, so a
    recording with a long break keeps a visible dropout but does not stall.
    With ``loop`` the recording repeats, one sample period after its end.
    ``start`` (LSL clock, s) defaults to the moment the first chunk is asked for.
    """
    import pylsl

    if speed <= 0:
        raise ValueError("speed must be positive")
    t = recording.timestamps
    period = 1.0 / recording.info.sfreq
    steps = np.diff(t, prepend=t[0]) / speed
    steps = np.clip(steps, 0.0, max_pause)
    played = np.cumsum(steps)  # replay seconds from the first sample
    lap = float(played[-1]) + period / speed
    n = recording.n_samples
    offset = pylsl.local_clock() + 0.05 if start is None else start
    while True:
        for i in range(0, n, chunk_samples):
            j = min(i + chunk_samples, n)
            yield Chunk(recording.data[i:j], offset + played[i:j])
        if not loop:
            return
        offset += lap


def replay_recording(
    path: str | os.PathLike[str],
    speed: float = 1.0,
    loop: bool = False,
    name: str | None = None,
    source_id: str | None = None,
    device: str | DeviceProfile | None = None,
    max_pause: float = 5.0,
    clock: SenderClock = "lsl",
    clock_offset: float = 0.0,
) -> PacedPublisher:
    """Publish a recording as a live LSL stream with its metadata and pacing.

    Returns a :class:`PacedPublisher` (not started): call ``.run()`` to
    block until the end, or ``.start()`` / ``.stop()`` to run in a thread.
    Timestamps are the LSL clock at start plus the recorded offsets divided
    by ``speed``.

    Raises
    ------
    InputError
        When the recording cannot be read (see :func:`read_recording`).
    """
    rec = read_recording(path, device)
    info = StreamInfo(
        name=name or rec.info.name,
        type="EEG",
        source_id=source_id or f"choreo-replay-{rec.info.name}",
        sfreq=rec.info.sfreq,
        ch_names=rec.info.ch_names,
        units=rec.info.units,
        device=rec.info.device,
        manufacturer=rec.info.manufacturer,
    )
    profile = stream_profile(rec.info, device)
    chunk = max(1, round(info.sfreq / 21))  # about Muse's 12-sample packets
    chunks = replay_chunks(rec, None, speed, loop, chunk, max_pause)
    return PacedPublisher(
        info,
        chunks,
        reference=profile.reference,
        total=None if loop else rec.n_samples,
        clock=clock,
        clock_offset=clock_offset,
    )


def publish_synthetic(
    device: str | DeviceProfile = "muse2016",
    relaxation: Relaxation = 0.5,
    seed: int = 0,
    name: str | None = None,
    source_id: str | None = None,
    settings: SynthSettings | None = None,
    duration: float | None = None,
    units: str | None = None,
    clock: SenderClock = "lsl",
    clock_offset: float = 0.0,
) -> PacedPublisher:
    """Publish synthetic EEG for ``device`` in real time (see :class:`SyntheticEEG`).

    ``relaxation`` may be a callable of the LSL time (s). Samples go out in
    the device's own unit (nV for an Enobio, like NIC does) unless ``units``
    says otherwise. Returns a :class:`PacedPublisher` (not started).
    """
    import pylsl

    profile = load_device(device)
    src = SyntheticEEG(
        profile,
        seed=seed,
        relaxation=relaxation,
        settings=settings,
        chunk_samples=max(1, round((profile.sfreq or 250.0) / 32)),
        duration=duration,
        name=name,
        source_id=source_id,
    )

    def chunks() -> Iterator[Chunk]:
        # Start the clock when publishing starts, not when the publisher is made.
        src.start_time = pylsl.local_clock() + 0.05
        yield from src

    return PacedPublisher(
        src.info,
        chunks(),
        units=units or profile.units,
        reference=profile.reference,
        clock=clock,
        clock_offset=clock_offset,
    )


def status_line(
    pub: PacedPublisher, elapsed: float, extra: Callable[[], str] | None = None
) -> str:
    """One line about a running publisher, for the command line."""
    st = pub.status
    info = pub.info
    done = f"{st.samples} samples"
    if pub.total:
        done = f"{st.samples}/{pub.total} samples ({100 * st.samples / pub.total:.0f}%)"
    text = (
        f"{info.name} ({info.device or 'EEG'}, {info.n_channels} ch, {info.sfreq:g} Hz) | "
        f"{done}, {elapsed:.0f} s | "
        f"{'consumer connected' if st.consumers else 'no consumer'}"
    )
    return f"{text} | {extra()}" if extra else text
