"""Is this live EEG stream fit for a session? One verdict per item.

:class:`StreamObserver` watches the chunks a :class:`~choreo.eeg.sources.lsl.LslSource`
hands out (the session feeds it the chunks it scores, ``choreo streams --check``
reads a few seconds of its own) and :meth:`StreamObserver.diagnosis` judges:

- ``rate``: effective rate (samples per second of the stream's own time) vs. nominal;
- ``arrival``: samples per second actually arriving (a slow radio link shows here);
- ``jitter``: spread of the sample intervals (ms) around ``1 / rate``;
- ``dropped``: samples missing in gaps of the stamps;
- ``clock``: the clock domain and its mapping (:mod:`choreo.eeg.clock`);
- ``labels``, ``units``: what the metadata declares, and what had to be assumed;
- ``frontal``: the frontal channels that will be scored.

Verdicts are ``ok``, ``warn`` (works, with a cost the advice names) and ``fail``
(a session would not give trustworthy scores).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from choreo.eeg.clock import LSLTIME_FIX, ClockReport
from choreo.eeg.devices import DeviceProfile, frontal_indices
from choreo.eeg.stream import Chunk, StreamInfo
from choreo.errors import InputError

Verdict = Literal["ok", "warn", "fail"]
_RANK = {"ok": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class Finding:
    """One item of a diagnosis."""

    item: str
    verdict: Verdict
    value: str
    advice: str = ""


@dataclass(frozen=True)
class StreamDiagnosis:
    """Every finding about one stream, over ``seconds`` of it."""

    stream: str
    seconds: float
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> Verdict:
        """The worst verdict of all items."""
        return max((f.verdict for f in self.findings), key=_RANK.__getitem__, default="ok")

    def by_item(self) -> dict[str, Finding]:
        """The findings keyed by item name."""
        return {f.item: f for f in self.findings}

    def problems(self) -> list[Finding]:
        """The items that are not ``ok``."""
        return [f for f in self.findings if f.verdict != "ok"]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (for meta.json)."""
        return {
            "stream": self.stream,
            "seconds": round(self.seconds, 3),
            "verdict": self.verdict,
            "findings": [asdict(f) for f in self.findings],
        }

    def summary(self) -> str:
        """One line: the verdict and what is not ok."""
        bad = "; ".join(f"{f.item}: {f.value}" for f in self.problems())
        return f"stream '{self.stream}': {self.verdict}" + (f" ({bad})" if bad else "")


@dataclass
class StreamObserver:
    """Collects what a diagnosis needs from the chunks of one stream.

    Parameters
    ----------
    info
        The stream as handed out (uV, labels possibly taken from the profile).
    declared
        The stream as its metadata declared it (labels, units before conversion).
    profile
        Its device profile.
    clock
        The source's clock report (read when the diagnosis is made).
    """

    info: StreamInfo
    declared: StreamInfo
    profile: DeviceProfile
    clock: ClockReport
    _stamps: list[np.ndarray] = field(default_factory=list)
    _first_arrival: float | None = None
    _last_arrival: float = 0.0
    _n: int = 0
    _n_at_first: int = 0

    def observe(self, chunk: Chunk, arrival: float | None = None) -> None:
        """Take one chunk in (``arrival``: monotonic time of the read, s)."""
        if not chunk.n_samples:
            return
        now = time.monotonic() if arrival is None else arrival
        if self._first_arrival is None:
            self._first_arrival = now
            self._n_at_first = chunk.n_samples  # they came before the clock started
        self._last_arrival = now
        self._n += chunk.n_samples
        self._stamps.append(np.asarray(chunk.timestamps, dtype=np.float64))

    @property
    def seconds(self) -> float:
        """Arrival time spanned so far (s)."""
        return 0.0 if self._first_arrival is None else self._last_arrival - self._first_arrival

    def diagnosis(self) -> StreamDiagnosis:
        """The verdicts on what was observed so far."""
        sfreq = self.info.sfreq
        stamps = np.concatenate(self._stamps) if self._stamps else np.empty(0)
        findings = [
            *self._timing(stamps, sfreq),
            self._clock(),
            *self._metadata(),
        ]
        return StreamDiagnosis(self.info.name, self.seconds, tuple(findings))

    # ------------------------------------------------------------------ items
    def _timing(self, stamps: np.ndarray, sfreq: float) -> list[Finding]:
        if len(stamps) < 2 or sfreq <= 0:
            return [Finding("rate", "fail", f"{len(stamps)} samples", "no samples arrived")]
        out = []
        steps = np.diff(stamps)
        period = 1.0 / sfreq
        gaps = steps > 1.5 * period
        missing = int(np.sum(np.round(steps[gaps] / period) - 1))
        span = float(stamps[-1] - stamps[0])
        effective = (len(stamps) - 1 + missing) / span if span > 0 else float("inf")
        err = abs(effective / sfreq - 1.0)
        out.append(
            Finding(
                "rate",
                "ok" if err < 0.02 else "warn" if err < 0.1 else "fail",
                f"{effective:.1f} Hz (nominal {sfreq:g} Hz)",
                "" if err < 0.02 else "the stamps advance at another rate than declared",
            )
        )
        if self.seconds > 0:
            # Samples after the first chunk, over the time since it arrived.
            arriving = (self._n - self._n_at_first) / self.seconds
            share = arriving / sfreq
            out.append(
                Finding(
                    "arrival",
                    "ok" if share > 0.95 else "warn" if share > 0.8 else "fail",
                    f"{arriving:.1f} samples/s over {self.seconds:.1f} s",
                    "" if share > 0.95 else "fewer samples arrive than the rate: weak radio link?",
                )
            )
        regular = steps[~gaps]
        jitter_ms = float(np.std(regular - period) * 1e3) if len(regular) else 0.0
        out.append(
            Finding(
                "jitter",
                "ok" if jitter_ms < 2.0 else "warn" if jitter_ms < 10.0 else "fail",
                f"{jitter_ms:.2f} ms",
                "" if jitter_ms < 2.0 else "irregular stamps; windows are placed less exactly",
            )
        )
        share_missing = missing / max(1, len(stamps) + missing)
        out.append(
            Finding(
                "dropped",
                "ok" if missing == 0 else "warn" if share_missing < 0.05 else "fail",
                f"{missing} samples in {int(gaps.sum())} gaps ({100 * share_missing:.1f} %)",
                "" if missing == 0 else "move the receiver closer to the headset",
            )
        )
        return out

    def _clock(self) -> Finding:
        c = self.clock
        if c.domain is None:
            return Finding("clock", "fail", "no stamps seen", "")
        value = {
            "lsl": "LSL clock",
            "unix": f"Unix epoch, mapped (offset {c.offset_s:+.3f} s)",
            "offset": f"own clock, mapped (offset {c.offset_s:+.3f} s)",
        }[c.domain]
        if c.jumps:
            value += f", {c.jumps} jump(s)"
        if c.domain == "lsl" and not c.jumps:
            return Finding("clock", "ok", value)
        return Finding(
            "clock",
            "warn",
            value,
            f"works as mapped; for exact timing {LSLTIME_FIX}",
        )

    def _metadata(self) -> list[Finding]:
        d, info, profile = self.declared, self.info, self.profile
        out = []
        if d.ch_names and d.ch_names[0] == "ch1":
            assumed = info.ch_names[0] != "ch1"
            out.append(
                Finding(
                    "labels",
                    "warn" if assumed else "fail",
                    f"none declared; {'taken from ' + profile.name if assumed else 'unknown'}",
                    "the headset software should send channel labels"
                    + ("" if assumed else "; give --device"),
                )
            )
        else:
            out.append(Finding("labels", "ok", ", ".join(d.ch_names)))
        missing = [ch for ch, u in zip(info.ch_names, d.units, strict=True) if not u]
        if missing:
            out.append(
                Finding(
                    "units",
                    "warn",
                    f"none declared for {len(missing)} channel(s): {profile.units} assumed "
                    f"({profile.name})",
                    "check the scale: a wrong unit shifts every threshold",
                )
            )
        else:
            out.append(Finding("units", "ok", ", ".join(sorted(set(d.units)))))
        try:
            idx = frontal_indices(info, profile)
        except InputError as exc:
            out.append(Finding("frontal", "fail", str(exc), "give --device or fix the labels"))
        else:
            out.append(Finding("frontal", "ok", ", ".join(info.ch_names[i] for i in idx)))
        return out


def check_stream(
    name: str | None = None,
    type: str | None = "EEG",
    source_id: str | None = None,
    seconds: float = 5.0,
    timeout: float = 5.0,
    device: str | None = None,
    progress: Any = None,
) -> StreamDiagnosis:
    """Read a live stream for ``seconds`` and diagnose it (``choreo streams --check``).

    ``progress`` is called with (seconds read, seconds wanted) after each chunk.

    Raises
    ------
    StreamError
        When the stream is not found, or its stamps are unusable (naming the fix).
    """
    from choreo.eeg.sources.lsl import LslSource

    with LslSource(name, type, source_id, timeout=timeout, device=device) as src:
        observer = src.observer()
        deadline = time.monotonic() + seconds + timeout
        while observer.seconds < seconds and time.monotonic() < deadline:
            chunk = src.read(timeout=0.2)
            if chunk is not None:
                observer.observe(chunk)
                if progress is not None:
                    progress(observer.seconds, seconds)
        return observer.diagnosis()
