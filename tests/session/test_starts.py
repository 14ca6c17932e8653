"""A session that starts from what relaxed the people of earlier sessions: the starts
are chosen before the directory exists, recorded in meta.json, shown first, and
replayed alike."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from session_helpers import PRIOR, PausableEEG, fast_settings

from choreo.errors import InputError
from choreo.evaluation.participants import CalmParticipant
from choreo.learning.learner import Learner
from choreo.prior.checkpoint import load_generator
from choreo.session.live import run_session
from choreo.session.replay import replay_session
from choreo.session.report import make_report
from choreo.session.settings import LearnerConnection, SessionSettings
from choreo.session.starts import (
    META_KEY,
    recorded_sources,
    recorded_starts,
    starts_from_sessions,
)
from choreo.session.store import SessionStore


def _earlier_session(root: Path, seed: int, trials: int = 12) -> tuple[Path, Learner]:
    """A finished session's directory as a live session leaves it: scored trials, each
    with the learner's checkpoint (a synthetic person scored them)."""
    store = SessionStore.create(SessionSettings(root=str(root)), {}, name=f"earlier{seed}")
    person = CalmParticipant(seed)
    learner = Learner(load_generator(PRIOR)[0], seed=seed)
    for n in range(1, trials + 1):
        v = learner.propose()
        learner.update(v, person.respond(v))
        learner.save(store.checkpoint_path(n))
        store.append(
            {
                "kind": "trial",
                "trial": n,
                "n": n,
                "status": "scored",
                "vector": v.tolist(),
                "score": float(learner.scores[-1]),
                "checkpoint": store.checkpoint_path(n).name,
            }
        )
    return store.path, learner


def test_starts_come_from_the_earlier_sessions_last_learners(tmp_path: Path) -> None:
    (a, la), (b, lb) = _earlier_session(tmp_path, 100), _earlier_session(tmp_path, 101)
    entry = starts_from_sessions([str(a), str(b)], 5, PRIOR)
    assert entry["from"] == [str(a), str(b)]
    vectors = np.array(entry["vectors"], dtype=np.uint8)
    favourites = [la.recommend(), lb.recommend()]
    assert 1 <= len(vectors) <= 2
    for v in vectors:
        assert any(np.array_equal(v, f) for f in favourites)
    np.testing.assert_array_equal(recorded_starts({META_KEY: entry}, "meta.json"), vectors)
    assert recorded_sources({META_KEY: entry}) == [str(a), str(b)]
    assert recorded_sources({}) == []


def test_bad_earlier_sessions_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"starts_from: .*nowhere: no such session"):
        starts_from_sessions([str(tmp_path / "nowhere")], 5, PRIOR)
    empty = SessionStore.create(SessionSettings(root=str(tmp_path)), {}, name="empty")
    with pytest.raises(InputError, match="no learner checkpoint"):
        starts_from_sessions([str(empty.path)], 5, PRIOR)
    assert recorded_starts({}, "meta.json") is None
    with pytest.raises(InputError, match=r"meta.json: learner_starts vectors must be"):
        recorded_starts({META_KEY: {"vectors": [[1, 2, 3]]}}, "meta.json")
    with pytest.raises(InputError, match=r"0\.\.255"):
        recorded_starts({META_KEY: {"vectors": [[300] * 196]}}, "meta.json")


def test_a_session_shows_the_starts_first_and_replays_alike(
    tmp_path: Path,
    eeg: PausableEEG,
    bridge_process,  # type: ignore[no-untyped-def]
) -> None:
    earlier, _ = _earlier_session(tmp_path / "earlier", 100)
    bridge = bridge_process(speed=18.0)
    settings = fast_settings(tmp_path, eeg.src.info.name, bridge.port, trials=2, record=False)
    settings = settings.model_copy(
        update={
            "learner": LearnerConnection(
                checkpoint=PRIOR, seed=3, starts_from=[str(earlier)], n_starts=1
            )
        }
    )
    result = run_session(settings)
    store = SessionStore.open(result.path)
    (start,) = store.meta()[META_KEY]["vectors"]
    trials = store.scored_trials()
    assert [t["n"] for t in trials] == [1, 2]
    assert trials[0]["vector"] == start  # the earlier favourite first ...
    assert trials[1]["vector"] != start  # ... then the learner's own proposals
    # Not recorded (no XDF to rescore): the replay checks the learner's proposals.
    rep = replay_session(result.path)
    assert rep.n_proposals == rep.n_proposals_same == 2
    # The report says where the session started from, and which trial showed a start.
    report = make_report(result.path, gif=False)
    assert report.started_from == [str(earlier)]
    assert [r["earlier_favourite"] for r in report.table] == [True, False]
    assert report.table[0]["note"] == "earlier favourite"
    page = (report.folder / "index.html").read_text()
    assert f"started from 1 earlier session(s) ({earlier}): trial(s) 1 showed" in page
    doc = json.loads((report.folder / "report.json").read_text())
    assert doc["started_from"] == [str(earlier)]


def test_a_bad_earlier_session_stops_before_anything_is_made(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path / "new", "unused", 9, trials=1)
    settings = settings.model_copy(
        update={"learner": LearnerConnection(checkpoint=PRIOR, starts_from=["/no/such/dir"])}
    )
    with pytest.raises(InputError, match="starts_from"):
        run_session(settings)
    assert not (tmp_path / "new").exists()
