"""What the exports write: a choreography read from a vector file or a session, checked.

``choreo export krl`` and ``choreo export 3dm`` take either a vector file (196 values:
JSON, ``.npy`` or text, see :func:`choreo.robot.client.read_vector_file`) or a session
directory, whose best choreography is the learner's recommendation after the last
trial (:func:`choreo.session.report.best_vector`). Either is checked by the safety
layer from HOME and planned exactly as the bridge would; a choreography that fails is
refused with the reason, before any file is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from choreo.errors import InputError
from choreo.robot.config import RobotConfig
from choreo.robot.safety import UnsafeChoreography, check_choreography
from choreo.robot.trajectory import Plan


@dataclass(frozen=True)
class ExportSource:
    """A checked choreography and its plan.

    Attributes
    ----------
    vector : ndarray (196,) uint8
        The choreography.
    plan : Plan
        Its trajectory from HOME at the controller cycle (as the bridge performs it).
    description : str
        Where it came from, for comments in the written files.
    """

    vector: NDArray[np.uint8]
    plan: Plan
    description: str


def read_choreography(path: str | os.PathLike[str]) -> tuple[NDArray[np.uint8], str]:
    """A vector file's choreography, or a session directory's best; and a description."""
    from choreo.robot.client import read_vector_file

    p = Path(path)
    if not p.is_dir():
        return read_vector_file(str(p)), f"{p.name}"
    from choreo.session.report import best_vector
    from choreo.session.store import SessionStore

    store = SessionStore.open(p)
    vector, trial, score = best_vector(store)
    if vector is None:
        raise InputError(f"{p}: the session has no scored trial, so no best choreography")
    return vector, f"session {p.name}, best: trial {trial} (score {score:.3f})"


def checked_choreography(path: str | os.PathLike[str], cfg: RobotConfig) -> ExportSource:
    """Read, check and plan the choreography at ``path`` (from HOME).

    Raises
    ------
    InputError
        The file or session cannot be read, or holds no valid vector.
    UnsafeChoreography
        A safety layer refused it; the message names ``path``, the layer and the reason.
    """
    vector, description = read_choreography(path)
    verdict = check_choreography(vector, cfg)
    if not verdict.ok or verdict.plan is None:
        raise UnsafeChoreography(f"{path}: refused: {verdict.reason}", verdict.layer)
    return ExportSource(vector=vector, plan=verdict.plan, description=description)
