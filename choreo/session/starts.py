"""A new session's first choreographies, from what relaxed the people of earlier sessions.

``[learner] starts_from`` names earlier session directories. The learner of each
(its last checkpoint) recommends that person's favourite and says how much that
person would like the others' (:func:`choreo.learning.population.population_starts`). The
chosen starts are written into the new session's ``meta.json`` (``learner_starts``)
before the first trial, so that a replay starts the learner alike, even if the
earlier sessions have moved since.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from choreo.errors import InputError
from choreo.robot.codec import VECTOR_LEN

#: Key of ``meta.json`` that holds the starts.
META_KEY = "learner_starts"


def starts_from_sessions(paths: Sequence[str], k: int, checkpoint: str) -> dict[str, Any]:
    """The ``meta.json`` entry for a session starting from the earlier ``paths``.

    Parameters
    ----------
    paths : sequence of str
        Earlier session directories.
    k : int
        How many starts.
    checkpoint : str
        The prior checkpoint the earlier learners are loaded with.

    Returns
    -------
    dict
        ``{"from": [path, ...], "vectors": [[196 ints], ...]}``, best first.

    Raises
    ------
    InputError
        A path is not a session directory or has no learner checkpoint (named), or no
        earlier learner has enough scores.
    """
    from choreo.learning.learner import Learner
    from choreo.learning.population import population_starts
    from choreo.prior.checkpoint import load_generator
    from choreo.session.store import SessionStore

    generator, _ = load_generator(checkpoint)
    learners = []
    where = "[learner] starts_from"
    for path in paths:
        try:  # the store's error names the path
            last = SessionStore.open(path).last_checkpoint()
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
        if last is None:
            raise InputError(
                f"{where}: {path}: the session has no learner checkpoint (no scored trial)"
            )
        learners.append(Learner.load(last, checkpoint=generator))
    try:
        vectors = population_starts(learners, k)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    return {"from": [str(p) for p in paths], "vectors": vectors.tolist()}


def recorded_starts(meta: dict[str, Any], where: str) -> np.ndarray | None:
    """The starts a session recorded in its ``meta.json`` (None: it had none).

    Raises
    ------
    InputError
        The entry is not a list of 196-value vectors of 0..255 (named with ``where``).
    """
    entry = meta.get(META_KEY)
    if not entry:
        return None
    try:
        vectors = np.asarray(entry["vectors"], dtype=np.int64)
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{where}: {META_KEY} has no list of vectors") from None
    if vectors.ndim != 2 or vectors.shape[1] != VECTOR_LEN or len(vectors) == 0:
        raise InputError(f"{where}: {META_KEY} vectors must be (n, {VECTOR_LEN})")
    if vectors.min() < 0 or vectors.max() > 255:
        raise InputError(f"{where}: {META_KEY} values must lie in 0..255")
    return vectors.astype(np.uint8)


def recorded_sources(meta: dict[str, Any]) -> list[str]:
    """The earlier session directories a session's starts came from (empty: none)."""
    entry = meta.get(META_KEY) or {}
    return [str(p) for p in entry.get("from", [])]
