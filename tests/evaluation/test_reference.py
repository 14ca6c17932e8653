"""The reference optimum: found noise-free, safe, cached, recomputed when the cache is damaged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from choreo.evaluation.participants import load_participant
from choreo.evaluation.reference import reference_optimum
from choreo.robot.config import load_robot_config
from choreo.robot.safety import check_choreography

SPEC = "choreo.evaluation.participants:CalmParticipant"


def test_reference_is_cached_and_beats_random(tmp_path: Path) -> None:
    ref = reference_optimum(SPEC, 0, tmp_path, n_random=40, cma_evals=300)
    assert ref.optimum_value > ref.random_median
    person = load_participant(SPEC, 0)
    vec = np.array(ref.optimum_vector, dtype=np.uint8)
    assert person.true_value(vec) == pytest.approx(ref.optimum_value, abs=1e-12)
    assert check_choreography(vec, load_robot_config()).ok
    assert len(list(tmp_path.glob("reference-*.json"))) == 1
    again = reference_optimum(SPEC, 0, tmp_path, n_random=40, cma_evals=300)
    assert again == ref  # read back from the cache


def test_a_damaged_cache_entry_is_recomputed(tmp_path: Path) -> None:
    ref = reference_optimum(SPEC, 1, tmp_path, n_random=20, cma_evals=100)
    (path,) = tmp_path.glob("reference-*.json")
    path.write_text("{not json")
    again = reference_optimum(SPEC, 1, tmp_path, n_random=20, cma_evals=100)
    assert again.optimum_value == pytest.approx(ref.optimum_value, abs=1e-12)
    assert path.read_text().startswith('{"participant"')  # rewritten whole
