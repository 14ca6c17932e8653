"""Head movement from a headset's motion sensors, to leave moving windows out of the score.

A Muse publishes its accelerometer (``muselsl stream --acc``: type ``ACC``, X/Y/Z in g,
52 Hz) and gyroscope (``--gyro``: type ``GYRO``, deg/s, 52 Hz); an Enobio its
accelerometer through NIC2. Moving the head makes large slow artefacts in frontal EEG
that the amplitude checks catch only in part, so a feedback window that overlaps a
movement is better not scored.

- :class:`MotionDetector` turns motion samples into *moving spans* (s, on the LSL clock):
  for an accelerometer, the distance of ``a`` from its running (per-axis) median above
  ``acc_threshold_g`` (tilting or shaking the head; ``|a|`` alone would miss a sideways
  shake, which adds to it only in quadrature); for a gyroscope, ``|omega|`` above
  ``gyro_threshold_dps``; each span is held ``hold_s`` after the last moving sample.
- :class:`MotionSource` reads such a stream over LSL, its stamps mapped onto the LSL
  clock exactly as the EEG's (:class:`~choreo.eeg.clock.StreamClock`).
- :class:`RecordedGate` replays the windows a live session gated (recorded by time), so
  a replay leaves out exactly the windows live left out.

A gate is a callable ``gate(t_end, window_s) -> bool array``: True for the windows
(ending at ``t_end``, s, lasting ``window_s``) to leave out; see
:attr:`choreo.eeg.pipeline.FeedbackPipeline.gate`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
from pydantic import Field

from choreo.config import StrictModel
from choreo.eeg.clock import StreamClock
from choreo.errors import StreamError

#: What the motion stream measures: acceleration (g) or angular speed (deg/s).
MotionKind = Literal["accelerometer", "gyroscope"]


class MotionSettings(StrictModel):
    """Head-movement gating of feedback windows (``[motion]`` of a session config)."""

    #: Gate windows on head movement (needs the headset's motion stream on LSL).
    enabled: bool = False
    #: LSL type of the motion stream (muselsl: ``ACC`` for --acc, ``GYRO`` for --gyro).
    type: str = "ACC"
    #: What it measures; empty: ``gyroscope`` for type GYRO, else ``accelerometer``.
    sensor: Literal["", "accelerometer", "gyroscope"] = ""
    #: Columns of X, Y and Z in the stream (Muse: the first three).
    columns: tuple[int, int, int] = (0, 1, 2)
    #: Stream units per g for an accelerometer (1 for g as the Muse sends; 9.81 for m/s^2).
    units_per_g: float = Field(1.0, gt=0)
    #: Its LSL name; empty: the EEG stream's name (as muselsl names both "Muse").
    name: str = ""
    #: Accelerometer: distance of a from its running median that counts as moving (g).
    acc_threshold_g: float = Field(0.08, gt=0)
    #: Gyroscope: angular speed that counts as moving (deg/s).
    gyro_threshold_dps: float = Field(20.0, gt=0)
    #: A movement lasts this long after its last moving sample (s).
    hold_s: float = Field(0.5, ge=0)
    #: Running-median length for the accelerometer's resting level (s).
    median_s: float = Field(2.0, gt=0)


def sensor_of(settings: MotionSettings) -> MotionKind:
    """What the configured stream measures (see :attr:`MotionSettings.sensor`)."""
    if settings.sensor:
        return settings.sensor
    return "gyroscope" if settings.type.upper() == "GYRO" else "accelerometer"


class MotionDetector:
    """Moving spans from motion samples.

    Parameters
    ----------
    kind
        ``"accelerometer"`` (samples in g) or ``"gyroscope"`` (deg/s).
    sfreq
        Nominal rate (Hz); 52 Hz for a Muse.
    settings
        Thresholds and hold.
    """

    def __init__(self, kind: MotionKind, sfreq: float, settings: MotionSettings) -> None:
        self.kind = kind
        self.settings = settings
        n_med = max(3, round(settings.median_s * (sfreq or 52.0)))
        self._rest: deque[np.ndarray] = deque(maxlen=n_med)
        self._join_s = 1.5 / (sfreq or 52.0)  # moving samples this close make one span
        #: Moving spans (start, end) in s, oldest first; the last may still grow.
        self.spans: list[tuple[float, float]] = []
        #: Motion known up to this time (s): windows ending later are judged on less.
        self.known_until = -np.inf

    def push(self, data: np.ndarray, timestamps: np.ndarray) -> None:
        """Take motion samples (n, 3): X, Y, Z in g or deg/s, with their stamps (s, LSL clock)."""
        if not len(timestamps):
            return
        xyz = np.asarray(data, dtype=np.float64)[:, :3]
        if self.kind == "gyroscope":
            moving = np.linalg.norm(xyz, axis=1) > self.settings.gyro_threshold_dps
        else:
            moving = np.zeros(len(xyz), dtype=bool)
            for i, a in enumerate(xyz):  # a running median: ~52 samples/s, cheap enough
                if len(self._rest) >= 3:
                    rest = np.median(np.asarray(self._rest), axis=0)
                    moving[i] = float(np.linalg.norm(a - rest)) > self.settings.acc_threshold_g
                self._rest.append(a)
        hold = self.settings.hold_s
        for t in np.asarray(timestamps, dtype=np.float64)[moving]:
            if self.spans and t <= self.spans[-1][1] + self._join_s:
                self.spans[-1] = (self.spans[-1][0], float(t) + hold)
            else:
                self.spans.append((float(t), float(t) + hold))
        self.known_until = max(self.known_until, float(timestamps[-1]))

    def __call__(self, t_end: np.ndarray, window_s: float) -> np.ndarray:
        """True for each window (ending at ``t_end``, s) that overlaps a movement."""
        t_end = np.asarray(t_end, dtype=np.float64)
        out = np.zeros(len(t_end), dtype=bool)
        for start, end in self.spans:
            out |= (t_end - window_s < end) & (t_end > start)
        return out


class RecordedGate:
    """The windows a live session gated, by their end time (s), for the replay."""

    def __init__(self, gated_t: Iterable[float], tolerance_s: float) -> None:
        self.t = np.sort(np.asarray(list(gated_t), dtype=np.float64))
        self.tolerance_s = float(tolerance_s)

    def __call__(self, t_end: np.ndarray, window_s: float) -> np.ndarray:
        """True for each window whose end time is within the tolerance of a gated one."""
        t_end = np.asarray(t_end, dtype=np.float64)
        if not len(self.t):
            return np.zeros(len(t_end), dtype=bool)
        i = np.clip(np.searchsorted(self.t, t_end), 1, len(self.t)) - 1
        j = np.clip(i + 1, 0, len(self.t) - 1)
        near = np.minimum(np.abs(self.t[i] - t_end), np.abs(self.t[j] - t_end))
        return near <= self.tolerance_s


class MotionSource:
    """A motion stream (ACC or GYRO) over LSL, stamps on the LSL clock.

    Parameters
    ----------
    name
        Stream name (muselsl: "Muse"); type from ``settings.type``.
    settings
        The gating settings (the detector is built from them).
    timeout
        Seconds to find the stream.

    Raises
    ------
    StreamError
        When no such stream is found, naming how to start it.
    """

    def __init__(self, name: str, settings: MotionSettings, timeout: float = 5.0) -> None:
        import pylsl

        from choreo.eeg.sources.lsl import describe_query, resolve_stream

        self._pylsl = pylsl
        try:
            found = resolve_stream(name or None, settings.type, None, timeout)
        except StreamError:
            flag = "--gyro" if sensor_of(settings) == "gyroscope" else "--acc"
            raise StreamError(
                f"[motion] enabled but no {describe_query(name, settings.type, None)} stream "
                f"within {timeout:g} s: start it (muselsl stream {flag}) or set "
                "[motion] enabled = false"
            ) from None
        self.name = str(found.name())
        self.source_id = str(found.source_id())
        self.sfreq = float(found.nominal_srate()) or 52.0
        n_ch = int(found.channel_count())
        if max(settings.columns) >= n_ch or found.channel_format() == pylsl.cf_string:
            raise StreamError(
                f"motion stream '{self.name}' has {n_ch} channels; [motion] columns = "
                f"{list(settings.columns)} name X, Y and Z"
            )
        self._columns = list(settings.columns)
        self._scale = 1.0 / settings.units_per_g if sensor_of(settings) == "accelerometer" else 1.0
        self._inlet = pylsl.StreamInlet(
            found, max_buflen=60, recover=True, processing_flags=pylsl.proc_clocksync
        )
        self._inlet.open_stream(timeout=timeout)
        self._buf = np.empty((1024, n_ch), dtype=self._inlet.np_dtype)
        self.clock = StreamClock(self.name, self.sfreq)
        self.detector = MotionDetector(sensor_of(settings), self.sfreq, settings)
        self._last_stamp = -np.inf

    @property
    def selector(self) -> dict[str, Any]:
        """What LabRecorder should record (name and source_id)."""
        return {"name": self.name, "source_id": self.source_id}

    def pump(self) -> int:
        """Read what motion arrived (never waits) into the detector; the sample count."""
        _, stamps = self._inlet.pull_chunk(
            timeout=0.0, max_samples=self._buf.shape[0], dest_obj=self._buf, as_numpy=True
        )
        n = len(stamps)
        if not n:
            return 0
        arrival = self._pylsl.local_clock()
        fresh = n < self._buf.shape[0] and not self._inlet.samples_available()
        ts = self.clock.map(np.asarray(stamps, dtype=np.float64), arrival, fresh)
        ts = np.maximum.accumulate(np.maximum(ts, self._last_stamp))
        self._last_stamp = float(ts[-1])
        self.detector.push(self._buf[:n, self._columns].astype(np.float64) * self._scale, ts)
        return n

    def close(self) -> None:
        """Disconnect."""
        self._inlet.close_stream()
