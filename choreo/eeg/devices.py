"""EEG device profiles (``choreo/configs/devices/*.toml``) and matching a stream to one.

A profile says what a headset sends (labels, nominal rate, units, reference)
and which channels are frontal, temporal or unused. Muse 2016 has fixed
labels; an Enobio's montage is chosen by its user, so its profile lists the
frontal *candidates* and the stream's own labels decide. Any other device
falls back to ``generic.toml``, or to a TOML file the user passes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np

from choreo.config import StrictModel, load_toml, resolve_config
from choreo.eeg.stream import MICROVOLTS, FloatArray, StreamInfo
from choreo.errors import ConfigError, InputError
from choreo.resources import config_dir

#: Lowest rate that resolves the 1-40 Hz bands: Nyquist (80 Hz) plus room for
#: the anti-alias roll-off and the line-noise notch.
MIN_SFREQ = 100.0

#: Unit spellings seen in LSL metadata, XDF headers and file formats -> factor to uV.
_UNIT_TO_MICROVOLTS: dict[str, float] = {
    "uv": 1.0,
    "µv": 1.0,
    "μv": 1.0,
    "microvolt": 1.0,
    "microvolts": 1.0,
    "nv": 1e-3,
    "nanovolt": 1e-3,
    "nanovolts": 1e-3,
    "mv": 1e3,
    "millivolt": 1e3,
    "millivolts": 1e3,
    "v": 1e6,
    "volt": 1e6,
    "volts": 1e6,
}


class MatchRule(StrictModel):
    """How to recognise a device from LSL metadata.

    A stream matches when its type is one of ``types`` and its channel count
    is one of ``n_channels`` (when given), and a ``name_patterns`` entry
    occurs in its name (case-insensitive), or a ``manufacturers`` entry in its
    manufacturer, or it carries every label of ``labels``. A rate equal to
    ``sfreq`` adds to the score.
    """

    name_patterns: tuple[str, ...] = ()
    manufacturers: tuple[str, ...] = ()
    types: tuple[str, ...] = ("EEG",)
    n_channels: tuple[int, ...] = ()
    labels: tuple[str, ...] = ()
    sfreq: float | None = None


class DeviceProfile(StrictModel):
    """One EEG device, as configured in ``choreo/configs/devices/<name>.toml``.

    ``sfreq`` is the nominal rate in Hz (None: take it from the stream);
    ``units`` the unit assumed when the metadata declares none; ``channels``
    the fixed labels in column order (empty: from the stream); ``frontal``
    the labels usable for the frontal alpha/theta score, in preference order;
    ``default_montage`` the labels a simulated stream uses when ``channels``
    is empty.
    """

    name: str
    display_name: str
    manufacturer: str = ""
    sfreq: float | None = None
    units: str = "uV"
    reference: str = ""
    channels: tuple[str, ...] = ()
    frontal: tuple[str, ...]
    temporal: tuple[str, ...] = ()
    unused: tuple[str, ...] = ()
    default_montage: tuple[str, ...] = ()
    match: MatchRule = MatchRule()

    def simulated_channels(self) -> tuple[str, ...]:
        """Labels a simulated stream of this device carries."""
        labels = self.channels or self.default_montage
        if not labels:
            raise ConfigError(f"device '{self.name}': no channels or default_montage to simulate")
        return labels


def load_device(name: str | os.PathLike[str] | DeviceProfile) -> DeviceProfile:
    """Load a profile by name (``"muse2016"``) or by path to a TOML file."""
    if isinstance(name, DeviceProfile):
        return name
    path = resolve_config(name, "devices")
    if not path.exists():
        raise ConfigError(f"{path}: device file not found")
    return _load_cached(path.resolve())


@cache
def _load_cached(path: Path) -> DeviceProfile:
    return load_toml(path, DeviceProfile)


def known_devices() -> list[DeviceProfile]:
    """Every shipped profile except ``generic``."""
    return [
        load_device(p)
        for p in sorted((config_dir() / "devices").glob("*.toml"))
        if p.stem != "generic"
    ]


def _score(info: StreamInfo, rule: MatchRule) -> int:
    if rule.types and info.type.lower() not in {t.lower() for t in rule.types}:
        return 0
    if rule.n_channels and info.n_channels not in rule.n_channels:
        return 0
    score = 0
    name = info.name.lower()
    if any(p.lower() in name for p in rule.name_patterns):
        score += 4
    maker = info.manufacturer.lower()
    if maker and any(m.lower() in maker for m in rule.manufacturers):
        score += 4
    labels = {c.lower() for c in info.ch_names}
    if rule.labels and {c.lower() for c in rule.labels} <= labels:
        score += 4
    if score and rule.sfreq is not None and abs(info.sfreq - rule.sfreq) <= 0.01 * rule.sfreq:
        score += 1
    return score


def match_device(info: StreamInfo) -> DeviceProfile:
    """The profile that fits the stream's metadata best, or ``generic``.

    Name, type, channel count, labels and rate are compared (see
    :class:`MatchRule`); ties go to the profile listed first. A stream whose
    metadata names a known profile (``info.device``, as choreo's own outlets
    write it) gets that profile.
    """
    profiles = known_devices()
    for profile in profiles:
        if info.device and info.device.lower() == profile.name:
            return profile
    best, best_score = None, 0
    for profile in profiles:
        score = _score(info, profile.match)
        if score > best_score:
            best, best_score = profile, score
    return best if best is not None else load_device("generic")


def stream_profile(
    info: StreamInfo, device: str | os.PathLike[str] | DeviceProfile | None = None
) -> DeviceProfile:
    """The profile of a stream: ``device`` when given (name, path or profile), else
    the one ``info.device`` names, else the one its metadata matches.

    Pass the ``device`` a stream or file was read with: ``info.device`` keeps only
    the profile's name, which loads only for a shipped profile, not a user's TOML.
    """
    if device is not None:
        return load_device(device)
    return load_device(info.device) if info.device else match_device(info)


def microvolts_per_unit(unit: str, where: str) -> float:
    """Factor that turns a value in ``unit`` into microvolts.

    Raises
    ------
    InputError
        For a unit that is not a voltage, naming ``where`` (file or stream).
    """
    key = unit.strip().lower()
    if key not in _UNIT_TO_MICROVOLTS:
        raise InputError(f"{where}: unknown EEG unit '{unit}' (expected V, mV, uV or nV)")
    return _UNIT_TO_MICROVOLTS[key]


def declared_channels(
    labels: Sequence[str], units: Sequence[str], n: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Labels and units of a stream's ``n`` channels as its metadata gives them.

    Missing or incomplete labels become ``ch1``, ``ch2``...; missing units ""
    (the device profile's unit then applies, see :func:`in_microvolts`).
    """
    if len(labels) == n and all(labels):
        ch_names = tuple(str(c) for c in labels)
    else:
        ch_names = tuple(f"ch{i + 1}" for i in range(n))
    declared = tuple(str(u or "") for u in units) if len(units) == n else ("",) * n
    return ch_names, declared


def in_microvolts(
    declared: StreamInfo, profile: DeviceProfile | None, where: str
) -> tuple[StreamInfo, DeviceProfile, FloatArray]:
    """A stream as its metadata declares it -> as choreo hands it out (samples in uV).

    The live (LSL) and file (XDF) sources share this, so a recording reads like
    the stream it recorded.

    Parameters
    ----------
    declared
        The stream's own description (:func:`declared_channels`).
    profile
        Its device profile; matched from ``declared`` when None.
    where
        Names the stream or file in errors.

    Returns
    -------
    info, profile, scale
        The description with units uV and the profile's name (channels without
        labels take the profile's fixed labels when the count matches; the
        manufacturer defaults to the profile's), the profile, and per channel the
        factor to uV (a channel without a unit is in the profile's unit).

    Raises
    ------
    InputError
        For a unit that is not a voltage.
    """
    if profile is None:
        profile = match_device(declared)
    n = declared.n_channels
    ch_names = declared.ch_names
    if n and ch_names[0] == "ch1" and len(profile.channels) == n:
        ch_names = profile.channels
    scale = np.array([microvolts_per_unit(u or profile.units, where) for u in declared.units])
    info = replace(
        declared,
        ch_names=ch_names,
        units=(MICROVOLTS,) * n,
        device=profile.name,
        manufacturer=declared.manufacturer or profile.manufacturer,
    )
    return info, profile, scale


def check_rate(info: StreamInfo) -> None:
    """Refuse a stream whose rate cannot resolve the 1-40 Hz bands."""
    if info.sfreq < MIN_SFREQ:
        raise InputError(
            f"stream '{info.name}': rate {info.sfreq:g} Hz is too low for the 1-40 Hz bands "
            f"(need at least {MIN_SFREQ:g} Hz)"
        )


def channel_indices(
    info: StreamInfo, labels: tuple[str, ...], exclude: tuple[str, ...] = ()
) -> list[int]:
    """Indices of the stream's channels whose label is in ``labels`` (case-insensitive)."""
    wanted = {c.lower() for c in labels} - {c.lower() for c in exclude}
    return [i for i, ch in enumerate(info.ch_names) if ch.strip().lower() in wanted]


def frontal_indices(info: StreamInfo, profile: DeviceProfile) -> list[int]:
    """Indices of the frontal channels to score, in stream order.

    Also checks the rate (:func:`check_rate`), so that a stream unfit for the
    bands is refused wherever it enters.

    Raises
    ------
    InputError
        When the rate is too low or no channel label is in ``profile.frontal``.
    """
    check_rate(info)
    idx = channel_indices(info, profile.frontal, exclude=profile.unused)
    if not idx:
        raise InputError(
            f"stream '{info.name}': no usable frontal channel among "
            f"[{', '.join(info.ch_names)}] (device '{profile.name}' expects one of "
            f"{', '.join(profile.frontal) or 'none configured'})"
        )
    return idx


def temporal_indices(info: StreamInfo, profile: DeviceProfile) -> list[int]:
    """Indices of the temporal channels (where jaw and face muscle shows), maybe empty."""
    return channel_indices(info, profile.temporal, exclude=profile.unused)
