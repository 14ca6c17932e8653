"""The session's LSL marker stream: trial start, end, vector and score, as JSON strings.

Each marker is one string sample (a JSON object with an ``event`` key) stamped on the
LSL clock with the time of the event itself (``/choreo/started`` and ``/choreo/done``
carry LSL times from the bridge), so the XDF holds the trial boundaries beside the EEG.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pylsl

from choreo.robot.osc_protocol import FEEDBACK

#: LSL type of the marker stream (the usual type for event markers).
MARKER_TYPE = "Markers"


class MarkerOutlet:
    """An irregular-rate LSL string stream of session events.

    Parameters
    ----------
    name
        LSL stream name.
    source_id
        LSL source id (unique per session, so LabRecorder records this one).
    """

    def __init__(self, name: str, source_id: str) -> None:
        self.name = name
        self.source_id = source_id
        info = pylsl.StreamInfo(name, MARKER_TYPE, 1, pylsl.IRREGULAR_RATE, "string", source_id)
        desc = info.desc()
        desc.append_child_value("manufacturer", "choreo")
        desc.append_child_value("format", "json: {event, trial, ...}")
        self._outlet: pylsl.StreamOutlet | None = pylsl.StreamOutlet(info)

    @property
    def selector(self) -> dict[str, str]:
        """The LabRecorder stream selector of this outlet."""
        return {"name": self.name, "source_id": self.source_id}

    def push(self, event: str, timestamp: float | None = None, **fields: Any) -> str:
        """Publish one marker; ``timestamp`` on the LSL clock (s), default now. Return its text."""
        text = json.dumps({"event": event, **fields}, sort_keys=True)
        if self._outlet is not None:
            self._outlet.push_sample(
                [text], pylsl.local_clock() if timestamp is None else timestamp
            )
        return text

    def close(self) -> None:
        """Withdraw the stream."""
        self._outlet = None

    def __enter__(self) -> MarkerOutlet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse_marker(text: str) -> dict[str, Any]:
    """Decode a marker sample written by :meth:`MarkerOutlet.push`."""
    obj = json.loads(text)
    if not isinstance(obj, dict) or "event" not in obj:
        raise ValueError(f"not a choreo marker: {text[:80]!r}")
    return obj


#: LSL type of the feedback score stream.
FEEDBACK_TYPE = "Feedback"
#: Channels of the feedback stream, in order.
FEEDBACK_CHANNELS = ("score", "rel_alpha", "rel_theta", "quality", "accepted")


def _scalar(x: Any) -> float:
    """A per-channel array (frontal channels) as its mean; a scalar as itself."""
    import numpy as np

    arr = np.asarray(x, dtype=np.float64)
    if arr.size == 0:
        return float("nan")
    with np.errstate(all="ignore"):
        return float(np.nanmean(arr)) if np.isfinite(arr).any() else float("nan")


class FeedbackOutlet:
    """The live feedback score on LSL (type ``Feedback``) and on OSC ``/choreo/feedback``.

    One LSL sample per feedback window, stamped with the window's end time ``t``:
    score (z), relative alpha and theta (frontal mean, 0..1), quality (0..1), accepted
    (0/1). OSC gets score, alpha, theta, quality as float32 (the address space).

    [session] The EEG package has no feedback publisher (yet); this is the session's.
    """

    def __init__(self, name: str, source_id: str, osc: tuple[str, int] | None = None) -> None:
        self.name = name
        self.source_id = source_id
        info = pylsl.StreamInfo(
            name,
            FEEDBACK_TYPE,
            len(FEEDBACK_CHANNELS),
            pylsl.IRREGULAR_RATE,
            "double64",
            source_id,
        )
        chans = info.desc().append_child("channels")
        for label in FEEDBACK_CHANNELS:
            ch = chans.append_child("channel")
            ch.append_child_value("label", label)
            ch.append_child_value("unit", "z" if label == "score" else "ratio")
        info.desc().append_child_value("manufacturer", "choreo")
        self._outlet: pylsl.StreamOutlet | None = pylsl.StreamOutlet(info)
        self._osc: Any = None
        if osc is not None:
            from pythonosc.udp_client import SimpleUDPClient

            self._osc = SimpleUDPClient(osc[0], osc[1])

    @property
    def selector(self) -> dict[str, str]:
        """The LabRecorder stream selector of this outlet."""
        return {"name": self.name, "source_id": self.source_id}

    def publish(self, samples: list[Any]) -> None:
        """Publish feedback samples (with t, score, rel_alpha, rel_theta, quality, accepted)."""
        for s in samples:
            row = [
                float(s.score),
                _scalar(s.rel_alpha),
                _scalar(s.rel_theta),
                _scalar(s.quality),
                float(bool(s.accepted)),
            ]
            if self._outlet is not None:
                self._outlet.push_sample(row, float(s.t))
            if self._osc is not None:
                # Nobody listening is fine; a full socket buffer too.
                with contextlib.suppress(OSError):
                    self._osc.send_message(FEEDBACK, row[:4])

    def close(self) -> None:
        """Withdraw the stream."""
        self._outlet = None
        self._osc = None
