"""Which clock a live stream stamps with, and its mapping onto the LSL clock.

Headset software does not agree on timestamps: muselsl 2.5 stamps with
``time.time()`` unless ``--lsltime`` is given (BlueMuse likewise), NIC2 and
choreo's own outlets with ``pylsl.local_clock()``, and other tools with a
clock of their own. Everything in choreo (band-power windows, baseline, trial
start and end, the bridge's state) is on the LSL clock, so a stream's stamps
are put on it here, from the stamps themselves against their arrival.

For each chunk the inlet delivers, the *arrival offset* is ``arrival -
last stamp`` (s) with ``arrival = pylsl.local_clock()`` at the read: the
clock offset plus the transport latency (>= 0, tens of ms). From it:

- ``"lsl"``: |offset| < ``domain_tolerance_s``: the stamps are on the LSL clock
  already; the applied offset is exactly 0 (no latency added).
- ``"unix"``: the offset is within the tolerance of ``local_clock() -
  time.time()``: Unix epoch stamps; the applied offset is that exact
  difference (re-read on every chunk, so a wall-clock step is followed).
- ``"offset"``: anything else (a clock of the sender's own): the applied offset
  is the median arrival offset, first of the first chunk, then of the first
  ``settle_s`` seconds, and again whenever the median of the recent chunks
  drifts from it by more than ``drift_tolerance_s``.

A chunk whose offset is off the applied one by more than the domain tolerance
is placed by its own arrival (provisionally); ``confirm_chunks`` such chunks in a
row that agree make a *jump*: the domain is found again from them and the
mapping re-anchored. Each change of the applied offset is a
:class:`ClockSegment` keyed by the index of the first sample it applies to, so
a recording's raw stamps (XDF keeps them raw) can be mapped the same way later
(:func:`apply_segments`).
"""

from __future__ import annotations

import logging
import statistics
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from choreo.errors import StreamError

log = logging.getLogger(__name__)

Domain = Literal["lsl", "unix", "offset"]
ClockPolicy = Literal["map", "lsl-only"]

#: The fix to name when a stream's clock is refused.
LSLTIME_FIX = "stamp with the LSL clock (muselsl stream --lsltime; BlueMuse: LSL timestamps)"


@dataclass(frozen=True)
class ClockSegment:
    """From sample ``from_sample`` on (counted from the first one read), add ``offset_s``."""

    from_sample: int
    offset_s: float
    domain: Domain
    #: "start", "settled", "drift", "wall clock", "jump", "provisional", "back".
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (for the session's records)."""
        return asdict(self)


@dataclass
class ClockReport:
    """What is known of a stream's clock so far."""

    domain: Domain | None = None
    offset_s: float = 0.0
    #: Rate of the sender's clock against the LSL clock, in parts per million
    #: (from a line fitted through the arrival offsets; nan until 10 s of data).
    drift_ppm: float = float("nan")
    #: Median arrival latency after the mapping (s): how late chunks arrive.
    latency_s: float = float("nan")
    jumps: int = 0
    segments: list[ClockSegment] = field(default_factory=list)

    def describe(self, stream: str) -> str:
        """One line for the artist, e.g. ``clock of 'Muse': Unix epoch, mapped (...)``."""
        if self.domain is None:
            return f"clock of '{stream}': not seen yet"
        words = {
            "lsl": "LSL clock (used as it is)",
            "unix": "Unix epoch (muselsl's default), mapped onto the LSL clock",
            "offset": "a clock of its own, mapped onto the LSL clock",
        }[self.domain]
        extra = f"offset {self.offset_s:+.3f} s" if self.domain != "lsl" else ""
        if self.jumps:
            extra += f"{', ' if extra else ''}{self.jumps} jump(s)"
        return f"clock of '{stream}': {words}" + (f" ({extra})" if extra else "")


def unix_to_lsl() -> float:
    """Seconds to add to a ``time.time()`` stamp to put it on the LSL clock, now."""
    import pylsl

    # Read both clocks twice around each other and keep the closer pair: the
    # difference is then good to a few microseconds.
    a = pylsl.local_clock()
    w = time.time()
    b = pylsl.local_clock()
    return (a + b) / 2 - w


class StreamClock:
    """Maps one live stream's stamps onto the LSL clock, chunk by chunk.

    Parameters
    ----------
    stream
        The stream's name (for messages).
    sfreq
        Nominal rate (Hz), to tell stamps that do not advance.
    policy
        ``"map"`` maps any domain; ``"lsl-only"`` refuses stamps not on the LSL clock.
    domain_tolerance_s
        Offsets closer than this (s) to a domain's count as that domain; also the
        size of a jump.
    settle_s
        Seconds of chunks whose median offset replaces the first chunk's (``"offset"``).
    drift_tolerance_s
        Re-anchor an ``"offset"`` mapping when the recent median moves this far (s).
    confirm_chunks
        Chunks in a row off the mapping, agreeing with each other, that make a jump.
    """

    def __init__(
        self,
        stream: str,
        sfreq: float,
        policy: ClockPolicy = "map",
        domain_tolerance_s: float = 1.0,
        settle_s: float = 2.0,
        drift_tolerance_s: float = 0.02,
        confirm_chunks: int = 3,
    ) -> None:
        self.stream = stream
        self.sfreq = float(sfreq)
        self.policy = policy
        self.tol = float(domain_tolerance_s)
        self.settle_s = float(settle_s)
        self.drift_tol = float(drift_tolerance_s)
        self.confirm = int(confirm_chunks)
        self.report = ClockReport()
        self.first_raw: float | None = None
        self.n_samples = 0
        self._new: list[ClockSegment] = []
        self._applied: float | None = None
        self._settled = False
        self._t_first: float | None = None
        self._recent: deque[float] = deque(maxlen=64)
        self._history: deque[tuple[float, float]] = deque(maxlen=2000)
        self._latency: deque[float] = deque(maxlen=64)
        self._suspect: list[tuple[int, float]] = []
        self._stalled_since: float | None = None
        self._next_report = -np.inf
        self._n_tracked = 0
        self._last_raw = -np.inf

    # ------------------------------------------------------------------ public
    @property
    def domain(self) -> Domain | None:
        """The clock domain found (None before the first chunk)."""
        return self.report.domain

    def pop_segments(self) -> list[ClockSegment]:
        """Segments begun since the last call, oldest first."""
        out, self._new = self._new, []
        return out

    def map(self, stamps: np.ndarray, arrival: float, fresh: bool = True) -> np.ndarray:
        """The chunk's stamps on the LSL clock (s); ``arrival`` = local_clock() at the read.

        ``fresh`` says that the chunk's last sample was the newest one waiting: only then
        does ``arrival - last stamp`` measure the clock (a backlog, after the reader was
        busy, is mapped as the chunks before it and judged no further).

        Raises
        ------
        StreamError
            For stamps that are not finite or do not advance, or (policy
            ``"lsl-only"``) not on the LSL clock: one line naming the stream and the fix.
        """
        raw = np.asarray(stamps, dtype=np.float64)
        n = len(raw)
        if n == 0:
            return raw
        if not np.all(np.isfinite(raw)):
            raise StreamError(
                f"LSL stream '{self.stream}' sends timestamps that are not finite numbers: "
                f"its clock cannot be used; {LSLTIME_FIX}"
            )
        self._check_advancing(raw, arrival)
        if self.first_raw is None:
            self.first_raw = float(raw[0])
            self._t_first = arrival
        observed = arrival - float(raw[-1])
        index = self.n_samples
        self.n_samples += n
        if self._applied is None:
            domain, offset = self._classify(observed)
            self._start(index, domain, offset, "start")
        elif not fresh:
            offset = self._suspect[-1][1] if self._suspect else self._expected(index)
        elif abs(observed - self._expected(index)) > self.tol:
            offset = self._off_mapping(index, observed)
        else:
            if self._suspect:  # a lone outlier, not a jump: back to the mapping
                self._suspect = []
                self._segment(index, self._expected(index), "back")
            self._track(arrival, observed, index)
            offset = self._expected(index)
        return raw + offset

    # ----------------------------------------------------------------- helpers
    def _classify(self, observed: float) -> tuple[Domain, float]:
        if abs(observed) < self.tol:
            return "lsl", 0.0
        to_lsl = unix_to_lsl()
        if abs(observed - to_lsl) < self.tol:
            return "unix", to_lsl
        return "offset", observed

    def _refuse_unless_lsl(self, domain: Domain) -> None:
        if self.policy == "lsl-only" and domain != "lsl":
            what = "Unix epoch time" if domain == "unix" else "a clock that is not the LSL clock"
            raise StreamError(
                f"LSL stream '{self.stream}' stamps with {what} and the session asks for the "
                f'LSL clock ([eeg] clock = "lsl-only"): {LSLTIME_FIX}, or set [eeg] clock = "map"'
            )

    def _start(self, index: int, domain: Domain, offset: float, reason: str) -> None:
        self._refuse_unless_lsl(domain)
        self.report.domain = domain
        self._settled = domain != "offset"
        # Offsets from before a jump say nothing of the clock after it.
        self._recent.clear()
        self._history.clear()
        self._latency.clear()
        self._segment(index, offset, reason)

    def _expected(self, index: int) -> float:
        """The offset to apply from sample ``index`` (the unix domain follows the wall clock)."""
        assert self._applied is not None
        if self.report.domain == "unix":
            now = unix_to_lsl()
            if abs(now - self._applied) > self.drift_tol:  # the wall clock was stepped
                self._segment(index, now, "wall clock")
        return self._applied

    def _segment(self, index: int, offset: float, reason: str) -> None:
        assert self.report.domain is not None
        seg = ClockSegment(index, float(offset), self.report.domain, reason)
        if reason != "provisional":
            self._applied = float(offset)
            self.report.offset_s = float(offset)
        segs = self.report.segments
        if segs and segs[-1].from_sample == index:
            segs[-1] = seg  # several changes before the next sample: the last one holds
            if self._new and self._new[-1].from_sample == index:
                self._new[-1] = seg
            else:
                self._new.append(seg)
        else:
            segs.append(seg)
            self._new.append(seg)
        if reason in ("start", "jump", "wall clock"):
            log.info("%s", self.report.describe(self.stream))

    def _off_mapping(self, index: int, observed: float) -> float:
        """A chunk far from the mapping: place it by its arrival; confirm a jump."""
        if self._suspect and abs(observed - self._suspect[-1][1]) > self.tol:
            self._suspect = []  # the suspects disagree: start counting again
        self._suspect.append((index, observed))
        if len(self._suspect) >= self.confirm:
            domain, offset = self._classify(statistics.median(o for _, o in self._suspect))
            self._suspect = []
            self.report.jumps += 1
            log.warning(
                "LSL stream '%s': its clock jumped by %+.3f s; re-anchored",
                self.stream,
                offset - (self._applied or 0.0),
            )
            # The chunks already placed by their arrival keep their provisional segments
            # (that is what was scored); the new mapping starts with this chunk.
            self._start(index, domain, offset, "jump")
            return offset
        self._segment(index, observed, "provisional")
        return observed

    def _track(self, arrival: float, observed: float, index: int) -> None:
        """Latency, drift and (``"offset"`` domain) re-anchoring on the recent median."""
        offset = self._expected(index)
        self._latency.append(observed - offset)
        assert self._t_first is not None
        self._history.append((arrival, observed))
        # The figures for the report every 2 s: a line fit per chunk would cost more
        # than scoring the chunk.
        if arrival >= self._next_report:
            self._next_report = arrival + 2.0
            self.report.latency_s = float(statistics.median(self._latency))
            if arrival - self._history[0][0] >= 10.0 and len(self._history) >= 20:
                t, o = np.array(self._history).T
                self.report.drift_ppm = float(np.polyfit(t - t[0], o, 1)[0] * 1e6)
        if self.report.domain != "offset":
            return
        self._recent.append(observed)
        if not self._settled:
            if arrival - self._t_first >= self.settle_s:
                self._settled = True
                self._segment(index, statistics.median(self._recent), "settled")
            return
        self._n_tracked += 1
        if len(self._recent) >= 16 and self._n_tracked % 8 == 0:  # drift is slow: not every chunk
            median = statistics.median(self._recent)
            if abs(median - offset) > self.drift_tol:
                self._segment(index, median, "drift")

    def _check_advancing(self, raw: np.ndarray, arrival: float) -> None:
        """Refuse stamps that stay put while samples keep coming (no usable clock)."""
        advanced = raw[-1] != self._last_raw  # a jump back (a clock reset) moves too
        self._last_raw = float(raw[-1])
        if advanced:
            self._stalled_since = None
            return
        if self._stalled_since is None:
            self._stalled_since = arrival
        elif arrival - self._stalled_since > 2.0:
            raise StreamError(
                f"LSL stream '{self.stream}' sends samples whose timestamps do not advance "
                f"(stuck at {self._last_raw:.3f}): its clock cannot be used; {LSLTIME_FIX}"
            )


def apply_segments(raw: np.ndarray, segments: list[dict[str, Any]], start: int = 0) -> np.ndarray:
    """Raw stamps of a recording on the LSL clock by the live mapping (s).

    Parameters
    ----------
    raw
        Stamps as the stream sent them (s), from the recording.
    segments
        The live session's :class:`ClockSegment` dicts, in order.
    start
        Index in ``raw`` of the first sample the live source read (segment index 0).

    Returns
    -------
    numpy.ndarray
        Samples before ``start`` take the first segment's offset; the result is made
        non-decreasing as the live source makes it.
    """
    out = np.asarray(raw, dtype=np.float64).copy()
    if not segments:
        return out
    bounds = [start + int(s["from_sample"]) for s in segments] + [len(out)]
    out[: bounds[0]] += float(segments[0]["offset_s"])
    for seg, lo, hi in zip(segments, bounds[:-1], bounds[1:], strict=True):
        out[lo:hi] += float(seg["offset_s"])
    out[start:] = np.maximum.accumulate(out[start:])
    return out
