"""Fixtures of the session tests: real parts (bridge process, LSL EEG), stopped after each test."""

from session_helpers import bridge_process, eeg

__all__ = ["bridge_process", "eeg"]
