"""Starting a new person from what relaxed earlier people: the learner's starts and
:func:`population_starts`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from choreo.errors import InputError
from choreo.evaluation.participants import CalmParticipant
from choreo.learning.learner import Learner
from choreo.learning.population import MIN_SCORES, population_starts
from choreo.prior.checkpoint import load_generator
from choreo.prior.model import Generator
from choreo.robot.codec import random_vector
from choreo.robot.config import load_robot_config, robot_config_with
from choreo.robot.safety import check_choreography


@pytest.fixture(scope="module")
def generator() -> Generator:
    gen, _ = load_generator()
    return gen


def _session(generator: Generator, person: CalmParticipant, n: int, **kw: object) -> Learner:
    learner = Learner(generator, seed=person.seed, **kw)  # type: ignore[arg-type]
    for _ in range(n):
        v = learner.propose()
        learner.update(v, person.respond(v))
    return learner


@pytest.fixture(scope="module")
def earlier(generator: Generator) -> list[Learner]:
    """Three earlier people of one kind, 30 trials each."""
    return [_session(generator, CalmParticipant(100 + i), 30) for i in range(3)]


def test_starts_are_shown_first_in_order_skipping_unsafe_and_refused(
    generator: Generator, tmp_path: Path
) -> None:
    safe = [Learner(generator, seed=s).propose() for s in (1, 2, 3)]
    learner = Learner(generator, seed=9, starts=np.stack(safe))
    first = learner.propose()
    np.testing.assert_array_equal(first, safe[0])
    learner.update(first, 0.3)
    learner.reject(safe[1])  # the bridge refused it: the next start instead
    second = learner.propose()
    np.testing.assert_array_equal(second, safe[2])
    learner.save(tmp_path / "state.safetensors")
    twin = Learner.load(tmp_path / "state.safetensors", checkpoint=generator)
    np.testing.assert_array_equal(twin.starts, learner.starts)
    for lrn in (learner, twin):
        lrn.update(second, -0.1)
    # Starts used up: both go on alike with the model's own proposals.
    np.testing.assert_array_equal(learner.propose(), twin.propose())


def test_an_unsafe_start_is_skipped(generator: Generator) -> None:
    """Under a raised floor many choreographies are unsafe: a start that is, is never
    shown."""
    high = robot_config_with(load_robot_config(), floor_z_m=0.3)
    verdicts = {s: check_choreography(random_vector(s), high).ok for s in range(40)}
    unsafe = random_vector(next(s for s, ok in verdicts.items() if not ok))
    fine = random_vector(next(s for s, ok in verdicts.items() if ok))
    learner = Learner(generator, seed=2, cfg=high, starts=np.stack([unsafe, fine]))
    np.testing.assert_array_equal(learner.propose(), fine)


def test_starts_must_be_choreography_vectors(generator: Generator) -> None:
    with pytest.raises(InputError, match="196"):
        Learner(generator, starts=np.zeros((2, 195), dtype=np.uint8))


def test_population_starts_are_earlier_favourites_ranked_by_what_all_expect(
    earlier: list[Learner],
) -> None:
    starts = population_starts(earlier, k=3)
    favourites = [lrn.recommend() for lrn in earlier]
    assert 1 <= len(starts) <= 3
    for s in starts:
        assert any(np.array_equal(s, f) for f in favourites)
    expected = np.mean([lrn.predict(starts)[0] for lrn in earlier], axis=0)
    assert np.all(np.diff(expected) <= 0)  # best first
    assert len(population_starts(earlier, k=1)) == 1


def test_population_starts_help_a_new_person_of_the_same_kind(
    generator: Generator, earlier: list[Learner]
) -> None:
    """Three new Calm people: the starts relax them more (true value) than the
    learner's own first space-filling points."""
    starts = population_starts(earlier, k=3)
    gain = []
    for seed in (7, 8, 9):
        person = CalmParticipant(seed)
        own = Learner(generator, seed=seed)
        mine = []
        for _ in range(3):
            v = own.propose()
            mine.append(person.true_value(v))
            own.update(v, 0.0)
        gain.append(np.mean([person.true_value(s) for s in starts]) - np.mean(mine))
    assert np.mean(gain) > 0.05  # z units; the whole range of a Calm person is 0.66


def test_population_starts_need_learners_that_know_something(generator: Generator) -> None:
    young = _session(generator, CalmParticipant(5), MIN_SCORES - 1)
    with pytest.raises(InputError, match="scores"):
        population_starts([young])
    with pytest.raises(InputError, match="k must"):
        population_starts([young], k=0)


def test_a_recommended_start_stays_until_another_is_clearly_better(
    generator: Generator, earlier: list[Learner], tmp_path: Path
) -> None:
    """keep_starts: while a start is recommended, another scored choreography takes its
    place only once that one's lower bound (posterior mean less 2 SDs) exceeds the start's
    posterior mean; otherwise, and after, the highest lower bound. The held start
    survives save and load."""
    from choreo.learning.settings import LearnerSettings

    learner = Learner(generator, seed=7, starts=population_starts(earlier, k=3))
    person = CalmParticipant(7)
    penalty = LearnerSettings().recommend_sd_penalty
    held_back = 0
    twin: Learner | None = None
    for trial in range(24):
        before = learner.recommended_index
        v = learner.propose()
        s = person.respond(v)
        learner.update(v, s)
        if twin is not None:
            twin.update(twin.propose(), s)
            np.testing.assert_array_equal(twin.recommend(), learner.recommend())
        if trial == 14:
            learner.save(tmp_path / "s.safetensors")
            twin = Learner.load(tmp_path / "s.safetensors", checkpoint=generator)
        if learner.n_observations < 3:
            continue
        mean, sd = learner.predict(learner.vectors)
        lower = mean - penalty * sd
        assert before is not None
        start_held = (learner.starts == learner.vectors[before]).all(axis=1).any()
        if start_held and lower.max() <= mean[before]:
            assert learner.recommended_index == before
            held_back += int(np.argmax(lower)) != before
        else:
            assert learner.recommended_index == int(np.argmax(lower))
    assert held_back >= 1  # the plain rule would have moved at least once
    arrays, meta = learner.state_dict()
    meta["recommended_index"] = learner.n_observations
    with pytest.raises(InputError, match=r"here: recommended_index 24 is not one of the 24"):
        Learner.from_state_dict(arrays, meta, generator, where="here")
