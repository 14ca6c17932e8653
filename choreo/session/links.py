"""What the trial state machine (:mod:`choreo.session.live`) needs of its collaborators.

The session drives three parts it does not own the workings of: the EEG side
(:class:`~choreo.session.eeg_link.EegLink`), the robot side
(:class:`~choreo.session.bridge_link.BridgeLink`) and the learner
(:class:`~choreo.learning.learner.Learner`). These Protocols name the calls it makes, so
another EEG source, robot or learner can stand in (a test double, a future device).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np


class EegFeed(Protocol):
    """The person's side: feedback samples from the headset."""

    #: Every feedback sample so far (``.t`` window end, s; ``.score``...), oldest first.
    samples: list[Any]
    first_sample_t: float | None
    #: The stream's diagnosis so far (``.seconds``, ``.diagnosis()``).
    observer: Any
    #: The scoring pipeline (baseline, calibration, hop).
    pipeline: Any

    # connecting: find the stream, open what goes out, name what to record, then read
    def resolve(self) -> str: ...

    def open_outputs(self, session: str, run_tag: str) -> list[str]: ...

    def selectors(self) -> list[dict[str, str]]: ...

    def open(self, baseline: dict[str, Any] | None) -> None: ...

    def run_fields(self) -> dict[str, Any]: ...

    def describe_clock(self) -> str: ...

    @property
    def info(self) -> Any: ...

    # running
    @property
    def lost(self) -> bool: ...

    @property
    def connecting(self) -> bool: ...

    def pump(self, timeout: float) -> list[Any]: ...

    def quality(self) -> tuple[str, ...]: ...

    def pop_jumps(self) -> list[str]: ...

    def close(self) -> None: ...


class RobotLink(Protocol):
    """The robot's side: the bridge's commands and replies."""

    #: Speed factor of a simulator started by the link (1 otherwise).
    sim_speed: float

    def connect(self) -> str: ...

    @property
    def started_here(self) -> bool: ...

    @property
    def latest_state(self) -> Any: ...

    def answers(self, timeout: float) -> bool: ...

    def take(self, address: str | tuple[str, ...], trial_id: int | None = None) -> Any: ...

    def drain(self, address: str | tuple[str, ...]) -> int: ...

    def state_age(self) -> float: ...

    def heartbeat(self) -> None: ...

    def play(self, trial_id: int, vector: np.ndarray) -> None: ...

    def stop(self) -> None: ...

    def reset(self) -> None: ...

    def home(self) -> None: ...

    def go_home(self, timeout: float = 20.0) -> None: ...

    def close(self) -> None: ...


class SessionLearner(Protocol):
    """The learner: proposes choreographies, learns from their scores."""

    @property
    def n_observations(self) -> int: ...

    def propose(self) -> np.ndarray: ...

    def update(self, vector: Any, score: Any) -> None: ...

    def reject(self, vector: Any) -> None: ...

    def recommend(self) -> np.ndarray: ...

    def save(self, path: str | os.PathLike[str]) -> Path: ...


def close_all(*parts: Any) -> None:
    """``close()`` every part that is not None, all of them even when one fails (then raise
    the first error)."""
    errors = []
    for part in parts:
        try:
            if part is not None:
                part.close()
        except Exception as exc:  # the others must still close
            errors.append(exc)
    if errors:
        raise errors[0]
