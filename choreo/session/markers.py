"""The session's LSL marker stream: trial start, end, vector and score, as JSON strings.

Each marker is one string sample (a JSON object with an ``event`` key) stamped on the
LSL clock with the time of the event itself (``/choreo/started`` and ``/choreo/done``
carry LSL times from the bridge), so the XDF holds the trial boundaries beside the EEG.
"""

from __future__ import annotations

import json
from typing import Any

import pylsl

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
