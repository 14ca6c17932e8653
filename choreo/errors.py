"""Errors that reach a user as one line: what went wrong, and where.

Every error a person can cause (a bad file, a bad configuration key, a stream
that is not there) is raised as a :class:`ChoreoError` subclass. The command
line prints its message on one line and exits non-zero, without a traceback.
"""

from __future__ import annotations


class ChoreoError(Exception):
    """An error caused by input or the environment, reported to the user in one line."""

    exit_code: int = 2


class ConfigError(ChoreoError):
    """A configuration file or key is missing, unknown or invalid."""


class InputError(ChoreoError):
    """A data file, vector or message is missing, unreadable or malformed."""


class StreamError(ChoreoError):
    """An LSL stream, OSC peer or robot controller is missing or was lost."""
