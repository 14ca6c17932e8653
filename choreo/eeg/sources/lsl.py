"""Live EEG from Lab Streaming Layer (pylsl >= 1.18, which bundles liblsl).

:func:`resolve_stream` finds a stream by name, type or source_id within a
timeout; :class:`LslSource` reads it as chunks in microvolts.

Design decisions:

- Samples are pulled into a preallocated numpy buffer (``dest_obj``) in the
  stream's own dtype: no Python lists on the hot path.
- Time: the inlet applies ``proc_clocksync`` so that timestamps are on this
  machine's LSL clock even when the headset's computer is another one.
  ``proc_dejitter`` is *off*: liblsl's dejitterer fits time against the
  sample count, so after a dropout (outlet alive but silent, as when a Muse
  loses Bluetooth) it would stamp the first samples after the gap as if no
  time had passed and take minutes to catch up. Band power spaces samples
  by the nominal rate and uses timestamps only to place windows in time, so
  the sender's stamps (corrected) are the honest choice.
- Clock domain: senders stamp with the LSL clock, Unix time (muselsl's
  default) or a clock of their own; :class:`~choreo.eeg.clock.StreamClock`
  finds which from stamps vs. arrival and maps every chunk onto the LSL clock
  (:attr:`LslSource.clock` holds the mapping; a recorder keeps the raw stamps). ``proc_monotonize``
  is off too; instead a stamp earlier than the one before it (sender jitter)
  is raised to it, so that chunks keep non-decreasing time.
- Dropouts: when no sample has arrived for ``dropout_after`` seconds the
  source records a :class:`StreamEvent` ``"dropout"``, logs a warning, and
  :attr:`LslSource.status` becomes ``"dropout"``; the first samples after
  it give ``"recovered"``. The inlet is created with ``recover=True`` (liblsl
  reconnects to a restarted outlet with the same source_id); if liblsl
  still reports the stream lost, the source re-resolves it by the same query
  on later reads. :meth:`LslSource.read` always returns within its timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from choreo.eeg.clock import ClockPolicy, StreamClock
from choreo.eeg.devices import DeviceProfile, declared_channels, in_microvolts, load_device
from choreo.eeg.stream import Chunk, SourceBase, StreamEvent, StreamInfo
from choreo.errors import StreamError

if TYPE_CHECKING:
    from choreo.eeg.diagnosis import StreamObserver

log = logging.getLogger(__name__)

try:  # pylsl's exception classes live in pylsl.util (not re-exported at the top)
    from pylsl.util import LostError
    from pylsl.util import TimeoutError as LslTimeout
except ImportError:  # pragma: no cover - older layouts
    LostError = LslTimeout = RuntimeError

Status = Literal["connecting", "ok", "dropout"]


def _quote(value: str) -> str:
    """An XPath string literal for ``value`` (handles either quote inside)."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    parts = value.split("'")
    return "concat(" + ', "\'", '.join(f"'{p}'" for p in parts) + ")"


def describe_query(name: str | None, type: str | None, source_id: str | None) -> str:
    """Human words for a stream query, e.g. ``name 'Muse' and type 'EEG'``."""
    parts = [
        f"{k} '{v}'" for k, v in (("name", name), ("type", type), ("source_id", source_id)) if v
    ]
    return " and ".join(parts) or "any stream"


def resolve_stream(
    name: str | None = None,
    type: str | None = "EEG",
    source_id: str | None = None,
    timeout: float = 5.0,
) -> Any:
    """Find one LSL stream matching every criterion given.

    Parameters
    ----------
    name, type, source_id
        Criteria (exact match); ``None`` leaves one out.
    timeout
        Seconds to look before giving up.

    Returns
    -------
    pylsl.StreamInfo
        The first stream found.

    Raises
    ------
    StreamError
        When nothing matches within ``timeout``, naming what was looked for.
    """
    import pylsl

    preds = [
        f"{k}={_quote(v)}"
        for k, v in (("name", name), ("type", type), ("source_id", source_id))
        if v
    ]
    pred = " and ".join(preds) if preds else "count(.)>0"
    # A ContinuousResolver polled in a daemon thread, waited for up to the timeout: with
    # nothing to find, liblsl 1.18 sometimes blocks for ~5.5 s whatever the timeout (in
    # the one-shot resolve, and now and then inside the continuous resolver on a busy
    # machine), and a caller's timeout must hold. A stuck poll ends on its own later.
    found: list[Any] = []
    stop = threading.Event()
    finished = threading.Event()

    def poll() -> None:
        try:
            resolver = pylsl.ContinuousResolver(pred=pred, forget_after=max(timeout, 1.0))
            while not stop.is_set():
                hits = resolver.results()
                if hits:
                    found.append(hits[0])
                    return
                stop.wait(0.02)
        finally:
            finished.set()

    threading.Thread(target=poll, name="lsl-resolve", daemon=True).start()
    finished.wait(timeout)
    stop.set()
    if not found:
        what = describe_query(name, type, source_id)
        raise StreamError(f"no LSL stream found with {what} within {timeout:g} s")
    return found[0]


def _stream_info(
    lsl_info: Any, device: str | DeviceProfile | None
) -> tuple[StreamInfo, StreamInfo, DeviceProfile, np.ndarray]:
    """The stream as declared, as handed out (units uV), the profile, the scale to uV."""
    ch_names, units = declared_channels(
        lsl_info.get_channel_labels() or [],
        lsl_info.get_channel_units() or [],
        int(lsl_info.channel_count()),
    )
    declared = StreamInfo(
        name=lsl_info.name(),
        type=lsl_info.type(),
        source_id=lsl_info.source_id(),
        sfreq=float(lsl_info.nominal_srate()),
        ch_names=ch_names,
        units=units,
        device=lsl_info.desc().child_value("device") or None,
        manufacturer=lsl_info.desc().child_value("manufacturer"),
        hostname=lsl_info.hostname(),
    )
    profile = load_device(device) if device is not None else None
    return declared, *in_microvolts(declared, profile, f"LSL stream '{declared.name}'")


class LslSource(SourceBase):
    """An LSL EEG stream as a chunk source (samples in uV, LSL clock in s).

    Parameters
    ----------
    name, type, source_id
        Which stream to resolve (see :func:`resolve_stream`); ignored when
        ``stream`` (an already resolved ``pylsl.StreamInfo``) is given.
    timeout
        Seconds allowed to find the stream and read its full metadata.
    device
        Device profile (name, path or object); matched from metadata if None.
    dropout_after
        Seconds without samples before a dropout is reported.
    max_buffered
        Seconds the inlet buffers when the reader falls behind.
    on_event
        Called with each :class:`StreamEvent` (from the reading thread).
    clock
        ``"map"`` puts stamps of any clock domain on the LSL clock; ``"lsl-only"``
        refuses stamps that are not on it (see :class:`~choreo.eeg.clock.StreamClock`).

    Raises
    ------
    StreamError
        When the stream is not found, has no numeric samples, or no metadata arrives;
        from :meth:`read`, when its timestamps are unusable (naming the fix).
    """

    def __init__(
        self,
        name: str | None = None,
        type: str | None = "EEG",
        source_id: str | None = None,
        *,
        stream: Any = None,
        timeout: float = 5.0,
        device: str | DeviceProfile | None = None,
        dropout_after: float = 2.0,
        max_buffered: int = 360,
        on_event: Callable[[StreamEvent], None] | None = None,
        clock: ClockPolicy = "map",
    ) -> None:
        import pylsl

        self._pylsl = pylsl
        self.query = (name, type, source_id)
        self.dropout_after = float(dropout_after)
        self.max_buffered = int(max_buffered)
        self.on_event = on_event
        self.events: deque[StreamEvent] = deque(maxlen=1000)
        self.status: Status = "connecting"
        self._device = device
        resolved = stream if stream is not None else resolve_stream(name, type, source_id, timeout)
        if resolved.channel_format() == pylsl.cf_string:
            raise StreamError(f"LSL stream '{resolved.name()}' carries strings, not EEG samples")
        self._open_inlet(resolved, timeout)
        self.clock = StreamClock(self._info.name, self._info.sfreq, clock)
        self._arrival = 0.0
        self._fresh = True
        self.samples_received = 0
        self._last_data = time.monotonic()
        self._last_stamp = -np.inf
        self._next_resolve = 0.0

    def _open_inlet(self, resolved: Any, timeout: float) -> None:
        pylsl = self._pylsl
        self._inlet = pylsl.StreamInlet(
            resolved,
            max_buflen=self.max_buffered,
            recover=True,
            processing_flags=pylsl.proc_clocksync,
        )
        try:
            full = self._inlet.info(timeout=timeout)
        except (LslTimeout, LostError):
            raise StreamError(
                f"LSL stream '{resolved.name()}' sent no metadata within {timeout:g} s"
            ) from None
        self.declared, self._info, self.profile, self._scale = _stream_info(full, self._device)
        # Room for one second (at least 1024 samples) per pull, in the stream's dtype.
        n_buf = max(1024, int(self._info.sfreq) + 1)
        self._buf = np.empty((n_buf, self._info.n_channels), dtype=self._inlet.np_dtype)
        try:
            self._inlet.open_stream(timeout=timeout)
        except (LslTimeout, LostError):
            raise StreamError(
                f"LSL stream '{resolved.name()}' could not be opened within {timeout:g} s"
            ) from None

    @property
    def info(self) -> StreamInfo:
        """The stream description (units uV, device profile matched)."""
        return self._info

    def observer(self) -> StreamObserver:
        """A :class:`~choreo.eeg.diagnosis.StreamObserver` of this stream (feed it chunks)."""
        from choreo.eeg.diagnosis import StreamObserver

        return StreamObserver(self._info, self.declared, self.profile, self.clock.report)

    def _event(self, kind: Literal["dropout", "recovered"], detail: str) -> None:
        ev = StreamEvent(kind, self._pylsl.local_clock(), detail)
        self.events.append(ev)
        (log.warning if kind == "dropout" else log.info)("%s", detail)
        if self.on_event is not None:
            self.on_event(ev)

    def pop_events(self) -> list[StreamEvent]:
        """Events since the last call, oldest first."""
        out = list(self.events)
        self.events.clear()
        return out

    def _pull(self, timeout: float) -> int:
        """Pull into the buffer; returns the sample count (0 on timeout or loss)."""
        if self._inlet is None:
            self._try_reopen(timeout)
            return 0
        try:
            _, stamps = self._inlet.pull_chunk(
                timeout=timeout,
                max_samples=self._buf.shape[0],
                dest_obj=self._buf,
                min_samples=1,
                as_numpy=True,
            )
        except LostError:
            log.warning("LSL stream '%s' lost; will look for it again", self._info.name)
            self._inlet = None
            return 0
        self._stamps = stamps
        self._arrival = self._pylsl.local_clock()
        # A full buffer or more samples waiting: a backlog, whose age says nothing of the clock.
        self._fresh = len(stamps) < self._buf.shape[0] and not self._inlet.samples_available()
        return len(stamps)

    def _try_reopen(self, timeout: float) -> None:
        """After liblsl gave the stream up: look for it again, at most once a second."""
        now = time.monotonic()
        if now < self._next_resolve:
            time.sleep(min(timeout, self._next_resolve - now))
            return
        self._next_resolve = now + 1.0
        name, type_, source_id = self.query
        old = self._info
        try:
            found = resolve_stream(
                name or old.name, type_, source_id or old.source_id or None, max(timeout, 0.05)
            )
            self._open_inlet(found, max(timeout, 0.5))
        except StreamError:
            self._inlet = None
            return
        new = self._info
        if (new.ch_names, new.sfreq) != (old.ch_names, old.sfreq):
            self._inlet, self._info = None, old
            raise StreamError(
                f"LSL stream '{old.name}' came back with another layout "
                f"({new.n_channels} ch at {new.sfreq:g} Hz, was {old.n_channels} ch at "
                f"{old.sfreq:g} Hz)"
            )
        log.info("LSL stream '%s' found again", old.name)

    def read(self, timeout: float = 1.0) -> Chunk | None:
        """The samples that arrived, waiting up to ``timeout`` s for the first one.

        Returns ``None`` when nothing came (and after :meth:`close`). A
        dropout or recovery noticed during the call is recorded in
        :attr:`events` and :attr:`status`.
        """
        if self.ended:
            return None
        n = self._pull(timeout)
        now = time.monotonic()
        if n == 0:
            if self.status != "dropout" and now - self._last_data > self.dropout_after:
                self.status = "dropout"
                self._event(
                    "dropout",
                    f"LSL stream '{self._info.name}': no samples for "
                    f"{now - self._last_data:.1f} s",
                )
            return None
        if self.status == "dropout":
            self._event(
                "recovered",
                f"LSL stream '{self._info.name}': samples again after "
                f"{now - self._last_data:.1f} s",
            )
        self.status = "ok"
        self._last_data = now
        self.samples_received += n
        data = self._buf[:n].astype(np.float64)
        data *= self._scale
        stamps = self.clock.map(
            np.array(self._stamps, dtype=np.float64), self._arrival, self._fresh
        )
        # Chunks promise non-decreasing time; a sender's jitter can break that.
        if stamps[0] < self._last_stamp or np.any(np.diff(stamps) < 0):
            stamps = np.maximum.accumulate(np.maximum(stamps, self._last_stamp))
        self._last_stamp = float(stamps[-1])
        return Chunk(data, stamps)

    def close(self) -> None:
        """Disconnect from the stream."""
        if self._inlet is not None:
            self._inlet.close_stream()
            self._inlet = None
        super().close()
