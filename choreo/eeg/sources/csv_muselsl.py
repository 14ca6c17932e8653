"""Reader for the CSV files ``muselsl record`` writes.

Layout: a header ``timestamps,TP9,AF7,AF8,TP10,Right AUX`` (muselsl may add
a ``Marker0`` column), then one line per sample, timestamps in Unix seconds
rounded to 1 ms, values in microvolts.

What is an error and what is handled:

- missing ``timestamps`` or channel column, an unparsable value or timestamp,
  a line with the wrong number of fields, timestamps going backwards, no
  samples, or only NaN/inf samples: :class:`InputError` naming file and line;
- an empty channel value is read as NaN (the quality layer rejects its windows);
- a truncated *last* line (recording killed mid-write) is dropped with a note;
- timestamp gaps are reported in :attr:`Recording.gaps`;
- the rate is the profile's nominal rate, never estimated from the
  timestamps: their 1 ms rounding makes 256 Hz look like 250 Hz.
"""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path

import numpy as np

from choreo.eeg.devices import DeviceProfile, microvolts_per_unit
from choreo.eeg.sources.checks import check_samples, file_recording, first_backwards_step
from choreo.eeg.stream import FloatArray, Recording
from choreo.errors import InputError

TIME_COLUMN = "timestamps"


def _header(path: Path) -> list[str]:
    try:
        with path.open("r", encoding="utf-8", newline="") as fh:
            first = fh.readline()
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text CSV file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if not first.strip():
        raise InputError(f"{path}: empty file (no CSV header)")
    return [c.strip() for c in next(csv.reader([first]))]


def _channel_columns(path: Path, columns: list[str], profile: DeviceProfile) -> list[str]:
    if TIME_COLUMN not in columns:
        raise InputError(f"{path}: missing column '{TIME_COLUMN}' (found: {', '.join(columns)})")
    if profile.channels:
        for ch in profile.channels:
            if ch not in columns and ch not in profile.unused:
                raise InputError(
                    f"{path}: missing column '{ch}' for {profile.display_name} "
                    f"(found: {', '.join(columns)})"
                )
        return [ch for ch in profile.channels if ch in columns]
    chans = [c for c in columns if c != TIME_COLUMN and not c.lower().startswith("marker")]
    if not chans:
        raise InputError(f"{path}: no channel columns beside '{TIME_COLUMN}'")
    return chans


def _parse_slow(
    path: Path, usecols: list[int], columns: list[str]
) -> tuple[FloatArray, list[str]]:
    """Line-by-line parse that names the first bad line; used when the fast path fails."""
    n_fields = len(columns)
    notes: list[str] = []
    rows: list[list[float]] = []
    with path.open("r", encoding="utf-8", newline="") as fh:
        lines = fh.read().splitlines()
    last = len(lines)
    while last > 1 and not lines[last - 1].strip():
        last -= 1
    for lineno, fields in enumerate(csv.reader(io.StringIO("\n".join(lines[1:last]))), start=2):
        if not fields:
            continue
        if len(fields) != n_fields:
            if lineno == last and len(fields) < n_fields:
                notes.append(f"dropped truncated last line {lineno}")
                break
            raise InputError(
                f"{path}, line {lineno}: expected {n_fields} fields, found {len(fields)}"
            )
        row = []
        for k, col in enumerate(usecols):
            text = fields[col].strip()
            if not text and k > 0:
                row.append(np.nan)  # an empty channel value is a missing sample
                continue
            try:
                row.append(float(text))
            except ValueError:
                raise InputError(
                    f"{path}, line {lineno}: cannot read '{text}' as a number "
                    f"(column '{columns[col]}')"
                ) from None
        rows.append(row)
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(usecols)), notes


def read_muselsl_csv(path: Path, profile: DeviceProfile) -> Recording:
    """Read a muselsl CSV into a :class:`Recording` (uV, nominal rate of ``profile``).

    Parameters
    ----------
    path
        The CSV file.
    profile
        Device profile giving channel labels, nominal rate and units
        (``muse2016`` for muselsl files).

    Raises
    ------
    InputError
        As listed in the module docstring, with file and line.
    """
    columns = _header(path)
    channels = _channel_columns(path, columns, profile)
    if profile.sfreq is None:
        raise InputError(
            f"{path}: CSV files carry no rate; device '{profile.name}' has no nominal rate "
            "(use a device profile with sfreq)"
        )
    usecols = [columns.index(TIME_COLUMN)] + [columns.index(ch) for ch in channels]
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "no data": reported below
            table = np.loadtxt(path, delimiter=",", skiprows=1, usecols=usecols, ndmin=2)
    except (ValueError, IndexError):
        table, notes = _parse_slow(path, usecols, columns)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None

    timestamps = np.ascontiguousarray(table[:, 0])
    data = np.ascontiguousarray(table[:, 1:]) * microvolts_per_unit(profile.units, str(path))
    check_samples(data, str(path))
    bad_t = np.flatnonzero(~np.isfinite(timestamps))
    if bad_t.size:
        raise InputError(f"{path}, line {int(bad_t[0]) + 2}: timestamp is not a finite number")
    back = first_backwards_step(timestamps)
    if back is not None:
        raise InputError(
            f"{path}, line {back + 2}: timestamp {timestamps[back]:.3f} goes backwards "
            f"(line {back + 1} has {timestamps[back - 1]:.3f})"
        )
    return file_recording(
        path,
        profile,
        data,
        timestamps,
        sfreq=float(profile.sfreq),
        ch_names=channels,
        notes=notes,
    )
