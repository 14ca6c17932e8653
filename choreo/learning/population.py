"""Where to start a new person: what relaxed earlier people.

A learner that starts every person from scratch shows space-filling points first,
and only its model finds what relaxes. Yet people of one kind relax with alike
motion: each earlier
person's learner (a finished session, or a benchmark run) recommends the choreography
it believes best for that person, and every earlier person's model can say how much
that person would like any other choreography. :func:`population_starts` ranks the
earlier favourites by how much the earlier people's models expect, on average, to
like them, and returns the top few; ``Learner(starts=...)`` shows them first, then
its space-filling points (which teach the model what this person does not like), and
the new person's own scores take over from there. What one person likes is then not
assumed of the next: a start that this person does not like is scored like any other
trial.

The earlier models' expectations are in each person's own units (normal scores of
their ranks), so a person who scores everything high does not outweigh the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from choreo.errors import InputError
from choreo.learning.learner import Learner

#: Starts shown to a new person by default (as many as the learner's space-filling
#: points that follow them, ``LearnerSettings.n_initial``).
DEFAULT_STARTS = 5
#: Earlier people whose learners have fewer scores than this are left out: their
#: models know next to nothing yet.
MIN_SCORES = 10


def population_starts(learners: Sequence[Learner], k: int = DEFAULT_STARTS) -> np.ndarray:
    """The ``k`` earlier favourites most earlier people are expected to like.

    Parameters
    ----------
    learners : sequence of Learner
        One learner per earlier person (with at least :data:`MIN_SCORES` scores).
    k : int
        How many starts to return (fewer if there are fewer distinct favourites).

    Returns
    -------
    ndarray, shape (k, 196), uint8
        Each earlier learner's recommendation, distinct, best first by the mean over
        the earlier learners of their posterior mean (:meth:`Learner.predict`).

    Raises
    ------
    InputError
        No learner has :data:`MIN_SCORES` scores, or ``k < 1``.
    """
    if k < 1:
        raise InputError(f"population starts: k must be at least 1, got {k}")
    known = [lrn for lrn in learners if lrn.n_observations >= MIN_SCORES]
    if not known:
        raise InputError(
            f"population starts: none of the {len(learners)} earlier learners has "
            f"{MIN_SCORES} scores or more"
        )
    favourites = np.stack([lrn.recommend() for lrn in known])
    _, first = np.unique(favourites, axis=0, return_index=True)
    favourites = favourites[np.sort(first)]
    expected = np.mean([lrn.predict(favourites)[0] for lrn in known], axis=0)
    order = np.argsort(-expected, kind="stable")
    return np.asarray(favourites[order[:k]], dtype=np.uint8)
