"""Reader for XDF files (what LabRecorder writes), through pyxdf.

An XDF file holds several streams (EEG, markers, scores...). The EEG stream
is the numeric stream of type ``EEG`` with a regular rate; when there are
several, the one named like a known device (or ``stream_name``) wins, then
the one with most samples. Empty streams are skipped with a note.

pyxdf options, and why:

- ``synchronize_clocks=True``: map every stream onto the recorder's clock
  through the ClockOffset chunks, so that EEG from another machine lines
  up with the markers and scores recorded beside it;
- ``handle_clock_resets=True``: a sender restarted mid-recording resets its
  clock; pyxdf then fits the clock offsets per segment instead of across
  the jump;
- stamps on another clock than the sender's LSL clock (Unix time, as muselsl
  stamps by default): pyxdf fits the clock offsets as a line over the sender's
  LSL time and evaluates it at the stamps, so a slope of 1e-6 becomes an error of
  half an hour at Unix times. Such a stream's stamps are read raw and shifted by
  the median offset instead (:func:`load_synchronized`);
- ``dejitter_timestamps=False``: pyxdf's linear fit only breaks segments at
  interruptions of at least 1 s *and* 500 samples, so shorter gaps would be
  smeared into neighbouring timestamps and vanish. Band power uses the
  nominal rate for sample spacing, so the recorded (synchronised) stamps
  are kept and gaps are reported in :attr:`Recording.gaps`.

Errors: no EEG stream, only empty EEG streams, timestamps that still go
backwards by more than half a sample after synchronisation, and all-NaN data.
Smaller backward steps (sender jitter) are clamped, with a note.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from choreo.eeg.devices import DeviceProfile, declared_channels, in_microvolts, known_devices
from choreo.eeg.sources.checks import check_samples, file_recording, first_backwards_step
from choreo.eeg.stream import Recording, StreamInfo
from choreo.errors import InputError


def _first(d: Any, key: str, default: str = "") -> str:
    """pyxdf stores every XML value as a one-element list; take that value."""
    if not isinstance(d, dict):
        return default
    val = d.get(key)
    if isinstance(val, list) and val:
        val = val[0]
    return val if isinstance(val, str) else default


def _desc(stream: dict[str, Any]) -> dict[str, Any]:
    """The stream's ``<desc>`` as pyxdf parsed it ({} when empty)."""
    desc = stream["info"].get("desc")
    desc = desc[0] if isinstance(desc, list) and desc else desc
    return desc if isinstance(desc, dict) else {}


def _channels(stream: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Labels and units from ``<desc><channels><channel>``, empty when absent."""
    desc = _desc(stream)
    chans = desc.get("channels")
    chans = chans[0] if isinstance(chans, list) and chans else chans
    if not isinstance(chans, dict):
        return [], []
    items = chans.get("channel") or []
    # The XDF convention says <label>; some senders write <name> instead.
    labels = [_first(c, "label") or _first(c, "name") for c in items]
    return labels, [_first(c, "unit") for c in items]


def _is_eeg(stream: dict[str, Any]) -> bool:
    info = stream["info"]
    return (
        _first(info, "type").strip().lower() == "eeg"
        and _first(info, "channel_format") != "string"
        and float(_first(info, "nominal_srate", "0") or 0) > 0
    )


def _n_samples(stream: dict[str, Any]) -> int:
    return len(stream["time_stamps"])


def _pick(
    path: Path, streams: list[dict[str, Any]], stream_name: str | None
) -> tuple[dict[str, Any], list[str]]:
    notes: list[str] = []
    described = ", ".join(
        f"'{_first(s['info'], 'name')}' ({_first(s['info'], 'type') or 'no type'})"
        for s in streams
    )
    eeg = [s for s in streams if _is_eeg(s)]
    if stream_name is not None:
        eeg = [s for s in eeg if _first(s["info"], "name") == stream_name]
        if not eeg:
            raise InputError(f"{path}: no EEG stream named '{stream_name}' (streams: {described})")
    if not eeg:
        raise InputError(f"{path}: no EEG stream (streams: {described or 'none'})")
    full = [s for s in eeg if _n_samples(s) > 0]
    for s in eeg:
        if _n_samples(s) == 0:
            notes.append(f"skipped empty EEG stream '{_first(s['info'], 'name')}'")
    if not full:
        raise InputError(f"{path}: EEG stream '{_first(eeg[0]['info'], 'name')}' has no samples")
    patterns = [p.lower() for d in known_devices() for p in d.match.name_patterns]

    def rank(s: dict[str, Any]) -> tuple[bool, int]:
        name = _first(s["info"], "name").lower()
        return (any(p in name for p in patterns), _n_samples(s))

    chosen = max(full, key=rank)
    if len(full) > 1:
        notes.append(f"{len(full)} EEG streams; using '{_first(chosen['info'], 'name')}'")
    return chosen, notes


#: Stamps further than this (s) outside the span of their clock-offset measurements
#: are not on the sender's LSL clock.
OFF_CLOCK_S = 60.0


def _off_lsl_clock(stream: dict[str, Any]) -> bool:
    times = stream.get("clock_times") or []
    stamps = stream.get("time_stamps")
    if not len(times) or stamps is None or not len(stamps):
        return False
    mid = float(np.median(stamps))
    return bool(mid < min(times) - OFF_CLOCK_S or mid > max(times) + OFF_CLOCK_S)


def load_synchronized(path: Path) -> list[dict[str, Any]]:
    """Every stream of an XDF file on the recorder's clock, stamps not dejittered.

    As ``pyxdf.load_xdf(synchronize_clocks=True, handle_clock_resets=True,
    dejitter_timestamps=False)``, except for streams stamped on another clock than
    their sender's LSL clock (see the module docstring): their raw stamps plus the
    median clock offset, with ``stream["info"]["clock_note"]`` saying so.

    Raises
    ------
    InputError
        When pyxdf cannot read the file.
    """
    import pyxdf

    def load(sync: bool) -> list[dict[str, Any]]:
        try:
            streams, _header = pyxdf.load_xdf(
                str(path),
                synchronize_clocks=sync,
                handle_clock_resets=True,
                dejitter_timestamps=False,
                verbose=False,
            )
        except FileNotFoundError:
            raise InputError(f"{path}: XDF file not found") from None
        except Exception as exc:  # pyxdf raises bare Exception/struct.error on garbage
            raise InputError(
                f"{path}: not a readable XDF file ({type(exc).__name__}: {exc})"
            ) from None
        return list(streams)

    # pyxdf logs corruption it recovers from at ERROR level; our notes say what matters.
    logging.getLogger("pyxdf.pyxdf").setLevel(logging.CRITICAL)
    streams = load(True)
    off = [i for i, s in enumerate(streams) if _off_lsl_clock(s)]
    if off:
        raw = {s["info"]["stream_id"]: s for s in load(False)}
        for i in off:
            s = streams[i]
            values = s.get("clock_values") or [0.0]
            s["time_stamps"] = np.asarray(raw[s["info"]["stream_id"]]["time_stamps"]) + float(
                np.median(values)
            )
            s["info"]["clock_note"] = (
                "stamps not on the sender's LSL clock (Unix time?): median clock offset applied"
            )
    return streams


def read_xdf(
    path: Path, profile: DeviceProfile | None = None, stream_name: str | None = None
) -> Recording:
    """Read the EEG stream of an XDF file into a :class:`Recording` (uV).

    Parameters
    ----------
    path
        ``.xdf`` or ``.xdfz`` file.
    profile
        Device profile; matched from the stream's metadata when None.
    stream_name
        Name of the EEG stream to take when the file holds several.
    """
    streams = load_synchronized(Path(path))
    stream, notes = _pick(path, streams, stream_name)
    if "clock_note" in stream["info"]:
        notes.append(stream["info"]["clock_note"])
    sinfo = stream["info"]
    name = _first(sinfo, "name")
    where = f"{path} (stream '{name}')"
    ch_names, units = declared_channels(
        *_channels(stream), int(_first(sinfo, "channel_count", "0") or 0)
    )
    declared = StreamInfo(
        name=name,
        type="EEG",  # _pick took it for its type, in any letter case
        source_id=_first(sinfo, "source_id"),
        sfreq=float(_first(sinfo, "nominal_srate")),
        ch_names=ch_names,
        units=units,
        device=_first(_desc(stream), "device") or None,
        manufacturer=_first(_desc(stream), "manufacturer"),
        hostname=_first(sinfo, "hostname"),
    )
    info, profile, scale = in_microvolts(declared, profile, where)
    data = np.asarray(stream["time_series"], dtype=np.float64) * scale
    timestamps = np.asarray(stream["time_stamps"], dtype=np.float64)
    check_samples(data, where)
    if first_backwards_step(timestamps) is not None:
        behind = np.maximum.accumulate(timestamps) - timestamps
        far = np.flatnonzero(behind > 0.5 / info.sfreq)
        if far.size:
            raise InputError(
                f"{where}: timestamps go backwards by {behind[far[0]]:.3f} s at sample "
                f"{int(far[0])} (after clock synchronisation)"
            )
        timestamps = np.maximum.accumulate(timestamps)
        notes.append("clamped sub-sample backward timestamp jitter")
    if len(stream["info"].get("clock_segments") or []) > 1:
        notes.append(f"{len(stream['info']['clock_segments'])} clock segments (clock reset)")
    return file_recording(
        path,
        profile,
        data,
        timestamps,
        sfreq=info.sfreq,
        ch_names=info.ch_names,
        notes=notes,
        name=info.name,
        source_id=info.source_id,
        manufacturer=info.manufacturer,
        hostname=info.hostname,
    )
