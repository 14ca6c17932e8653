"""The session's link to the person: the headset's LSL stream in, the feedback out.

:class:`EegLink` resolves the EEG stream, opens the feedback publisher and (with
``[motion]``) the motion stream, names the streams the recorder must take, then opens
the session's own inlet (after the recorder, so every sample scored is in the XDF) and
its scoring pipeline. :meth:`EegLink.pump` reads what arrived, with the stream's clock
mapped onto the LSL clock, and scores it; the trial state machine
(:mod:`choreo.session.live`) sees only feedback samples, the stream's status and the
records to keep (clock segments, windows left out for head movement).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pylsl

from choreo.errors import StreamError
from choreo.session import scoring
from choreo.session.links import close_all
from choreo.session.markers import FeedbackOutlet
from choreo.session.settings import SessionSettings


class EegLink:
    """The EEG side of one run of a session.

    Parameters
    ----------
    settings
        The session settings (``[eeg]``, ``[feedback]``, ``[motion]``, ``[scoring]``).
    record
        Appends a record to the session's log (clock segments, gated windows).
    """

    def __init__(self, settings: SessionSettings, record: Callable[[dict[str, Any]], None]):
        self.settings = settings
        self._record = record
        self.resolved: Any = None
        self.source: Any = None
        self.observer: Any = None
        self.pipeline: Any = None
        self.feedback: Any = None
        self.motion: Any = None
        #: Every feedback sample of this run, oldest first.
        self.samples: list[Any] = []
        #: LSL time of the first sample read (s), None before.
        self.first_sample_t: float | None = None
        # Clock segments read before the run record exists (they go into it).
        self._early_clock: list[Any] | None = []
        #: Clock jumps seen since the last call of :meth:`pop_jumps` (for the view).
        self._jumps: list[str] = []

    # ------------------------------------------------------------------ connecting
    def resolve(self) -> str:
        """Find the EEG stream; returns a description for the view.

        Raises
        ------
        StreamError
            Nothing matches ``[eeg]`` within its timeout (naming how to start one).
        """
        from choreo.eeg.sources.lsl import describe_query, resolve_stream

        q = self.settings.eeg
        try:
            self.resolved = resolve_stream(
                q.name or None, q.type or None, q.source_id or None, q.resolve_timeout_s
            )
        except StreamError:
            raise StreamError(
                f"no EEG stream with {describe_query(q.name, q.type, q.source_id)} on the network "
                f"within {q.resolve_timeout_s:g} s: start the headset's LSL app (muselsl stream, "
                "BlueMuse, NIC2) or `choreo synth`, or set [eeg] name in the session config"
            ) from None
        r = self.resolved
        return f"{r.name()} ({r.type()}, {r.nominal_srate():g} Hz)"

    def open_outputs(self, session: str, run_tag: str) -> list[str]:
        """Open the feedback publisher and the motion stream; returns what to say."""
        f, m = self.settings.feedback, self.settings.motion
        self.feedback = FeedbackOutlet(
            name=f"choreo-feedback-{session}",
            source_id=f"choreo-feedback-{run_tag}",
            osc=(f.osc_host, f.osc_port) if f.osc_port else None,
        )
        if not m.enabled:
            return []
        from choreo.eeg.motion import MotionSource

        self.motion = MotionSource(m.name or self.resolved.name(), m)
        return [f"head movement gating on '{self.motion.name}' ({m.type})"]

    def selectors(self) -> list[dict[str, str]]:
        """The streams of this side the recorder must take (EEG, feedback, motion)."""
        out = [{"name": self.resolved.name(), "source_id": self.resolved.source_id()}]
        if self.feedback is not None and getattr(self.feedback, "selector", None):
            out.append(self.feedback.selector)
        if self.motion is not None:
            out.append(self.motion.selector)
        return out

    def open(self, baseline: dict[str, Any] | None) -> None:
        """Open the session's inlet and pipeline; wait for the first sample.

        ``baseline`` (a resumed session's first-run baseline) is restored before any
        sample is scored.

        Raises
        ------
        StreamError
            The stream sends nothing within ``[eeg] resolve_timeout_s``.
        """
        from choreo.eeg.sources.lsl import LslSource

        q = self.settings.eeg
        self.source = LslSource(
            stream=self.resolved,
            timeout=q.resolve_timeout_s,
            device=q.device or None,
            dropout_after=q.lost_after_s,
            clock=q.clock,
        )
        self.observer = self.source.observer()
        self.pipeline = scoring.build_pipeline(self.source.info, self.settings.scoring, q.device)
        if self.motion is not None:
            self.pipeline.gate = self.motion.detector
        if baseline is not None:
            scoring.restore_baseline(self.pipeline, baseline)
        deadline = time.monotonic() + q.resolve_timeout_s
        while self.first_sample_t is None:
            if time.monotonic() > deadline:
                raise StreamError(f"EEG stream '{self.source.info.name}' sends no samples")
            self.pump(0.2)

    def run_fields(self) -> dict[str, Any]:
        """This side's items of the run record; later clock changes become records."""
        info = self.source.info
        clock = self.source.clock
        out = {
            "first_sample_t": self.first_sample_t,
            # How the stream's stamps were put on the LSL clock; the XDF keeps them raw,
            # and replay maps them the same way (segments: here and in later "clock" records).
            "clock": {
                "domain": clock.domain,
                "first_raw": clock.first_raw,
                "segments": [seg.as_dict() for seg in self._early_clock or []],
            },
            "eeg": {
                "name": info.name,
                "type": info.type,
                "source_id": info.source_id,
                "sfreq": info.sfreq,
                "ch_names": list(info.ch_names),
                "device": info.device,
            },
            "feedback": getattr(self.feedback, "selector", None),
            "motion": self.motion.selector if self.motion is not None else None,
        }
        self._early_clock = None
        return out

    def describe_clock(self) -> str:
        """How the stream's time is mapped, in one line."""
        return str(self.source.clock.report.describe(self.source.info.name))

    # ------------------------------------------------------------------ running
    @property
    def info(self) -> Any:
        """The EEG stream (units uV)."""
        return self.source.info

    @property
    def lost(self) -> bool:
        """True while the stream is in a dropout."""
        return bool(self.source.status == "dropout")

    @property
    def connecting(self) -> bool:
        """True while the stream is (re)connecting."""
        return bool(self.source.status == "connecting")

    def pump(self, timeout: float) -> list[Any]:
        """Read what EEG arrived (waiting up to ``timeout`` s), score it, publish it.

        Returns the new feedback samples (also appended to :attr:`samples`).
        """
        chunk = self.source.read(timeout=timeout)
        self._clock_segments()
        if self.motion is not None:
            self.motion.pump()  # before the EEG is scored: the gate sees the latest motion
        if chunk is None or not chunk.n_samples:
            return []
        self.observer.observe(chunk)
        if self.first_sample_t is None:
            self.first_sample_t = float(chunk.timestamps[0])
        new = self.pipeline.push(chunk)
        gated = self.pipeline.pop_gated()
        if gated:  # replay leaves out the same windows (RecordedGate)
            self._record({"kind": "motion", "gated_t": gated})
        if new:
            self.samples.extend(new)
            if self.feedback is not None:
                self.feedback.publish(new)
        return list(new)

    def quality(self) -> tuple[str, ...]:
        """Quality level per stream channel."""
        return tuple(self.pipeline.channel_quality())

    def pop_jumps(self) -> list[str]:
        """Lines about clock jumps since the last call (for the view)."""
        out, self._jumps = self._jumps, []
        return out

    def _clock_segments(self) -> None:
        """Record changes of the clock mapping (replay applies them); note jumps."""
        segments = self.source.clock.pop_segments()
        if self._early_clock is not None:
            self._early_clock.extend(segments)
            return
        for seg in segments:
            self._record({"kind": "clock", **seg.as_dict(), "t": pylsl.local_clock()})
            if seg.reason == "jump":
                self._jumps.append(self.describe_clock())

    def close(self) -> None:
        """Close the inlet, the motion stream and the feedback publisher (all, whatever fails)."""
        close_all(self.source, self.motion, self.feedback)
