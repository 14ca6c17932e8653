"""Synthetic participants: noise, habituation, drift, determinism, loading by import path."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kurtosis

from choreo.errors import InputError
from choreo.evaluation import participants as pm
from choreo.evaluation.participants import (
    BUILTIN_PARTICIPANTS,
    CalmParticipant,
    SettleParticipant,
    SweepParticipant,
    WristParticipant,
    load_participant,
    true_values_of,
)
from choreo.prior.corpus import ProceduralPrior
from choreo.robot.codec import encode_many
from choreo.robot.config import load_robot_config


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    """Unchecked procedural draws (realistic motions) and uniform random bytes."""
    prior = ProceduralPrior(load_robot_config(), seed=3)
    drawn = np.vstack([prior.draw(f, 20) for f in ("swing", "sweep", "repetition")])
    rand = np.random.default_rng(0).integers(0, 256, (60, 196), dtype=np.uint8)
    return np.vstack([drawn, rand])


@pytest.mark.parametrize("spec", BUILTIN_PARTICIPANTS)
def test_same_seed_same_person_other_seed_other_person(spec: str, vectors: np.ndarray) -> None:
    a, b, c = load_participant(spec, 1), load_participant(spec, 1), load_participant(spec, 2)
    va, vb, vc = (np.array([p.true_value(v) for v in vectors[:10]]) for p in (a, b, c))
    np.testing.assert_array_equal(va, vb)
    assert not np.allclose(va - va.mean(), vc - vc.mean())  # other preferences, not just offset
    ra = [a.respond(v) for v in vectors[:10]]
    rb = [b.respond(v) for v in vectors[:10]]
    assert ra == rb


@pytest.mark.parametrize("cls", [CalmParticipant, SweepParticipant])
def test_true_value_batch_matches_single_and_motions_beat_random(
    cls: type, vectors: np.ndarray
) -> None:
    p = cls(0)
    batch = p.true_values(vectors)
    single = np.array([p.true_value(v) for v in vectors])
    np.testing.assert_allclose(batch, single, rtol=0, atol=1e-12)
    # Structured procedural motion relaxes more than uniform random bytes (which thrash).
    assert np.median(batch[:60]) > np.median(batch[60:]) + 0.08 * pm.EFFECT_RANGE_Z


def test_noise_is_heavy_tailed_with_the_calibrated_scale(vectors: np.ndarray) -> None:
    p = CalmParticipant(5)
    v = vectors[0]
    truth = p.true_value(v)
    noise = []
    for _ in range(2500):
        p._recent.clear()  # no habituation, no drift: the noise alone
        p._drift = 0.0
        noise.append(p.respond(v) - truth)
    noise_arr = np.array(noise) - np.array(noise).mean()
    # Student-t with 3 dof: robust scale ~ the configured one, large excess kurtosis.
    iqr = np.subtract(*np.percentile(noise_arr, [75, 25]))
    assert iqr / 1.53 == pytest.approx(pm.NOISE_SCALE_Z, rel=0.2)  # t3 IQR = 1.53 scale
    assert kurtosis(noise_arr) > 2.0
    assert np.abs(noise_arr).max() > 6 * pm.NOISE_SCALE_Z


def test_habituation_lowers_the_response_to_a_repeated_motion(vectors: np.ndarray) -> None:
    v, other = vectors[0], vectors[45]
    fresh, repeated = [], []
    for seed in range(200):
        a = CalmParticipant(seed)
        a.respond(other)
        fresh.append(a.respond(v) - a.true_value(v))
        b = CalmParticipant(seed)
        b.respond(v)
        repeated.append(b.respond(v) - b.true_value(v))
    # Same noise draws in both arms (same seed, same call count): the difference is habituation.
    diff = np.array(fresh) - np.array(repeated)
    assert np.median(diff) == pytest.approx(pm.HABITUATION_Z, rel=0.05)
    assert CalmParticipant(0).habituation(v) == 0.0


def test_drift_moves_the_level_slowly_over_trials(vectors: np.ndarray) -> None:
    p = SweepParticipant(7, noise_scale=0.0)
    walk = []
    for i in range(300):
        v = vectors[60 + i % 60]  # random vectors, never similar: no habituation
        walk.append(p.respond(v) - p.true_value(v))
    walk_arr = np.array(walk)
    assert walk_arr.std() > 0.05  # it moves
    steps = np.diff(walk_arr)
    assert np.abs(steps).max() < 0.25  # slowly (no jumps)
    assert np.corrcoef(walk_arr[:-1], walk_arr[1:])[0, 1] > 0.8


def test_load_participant_errors() -> None:
    with pytest.raises(InputError, match="module:Class"):
        load_participant("choreo.evaluation.participants", 0)
    with pytest.raises(InputError, match="cannot import"):
        load_participant("no_such_module_xyz:Person", 0)
    with pytest.raises(InputError, match="no class"):
        load_participant("choreo.evaluation.participants:Nobody", 0)
    with pytest.raises(InputError, match="respond"):
        load_participant("fractions:Fraction", 0)


def test_bad_vector_is_refused() -> None:
    p = CalmParticipant(0)
    with pytest.raises(InputError, match="196"):
        p.respond(np.zeros(10, dtype=np.uint8))
    with pytest.raises(InputError, match="outside"):
        p.true_value(np.full(196, 300))


def test_eeg_participant_scores_synthetic_eeg_through_the_real_pipeline(
    vectors: np.ndarray,
) -> None:
    from scipy.stats import spearmanr

    from choreo.evaluation.participants import EegCalmParticipant

    p = EegCalmParticipant(0, trial_s=12.0)
    assert p.baseline is not None  # calibrated on a neutral block by the pipeline
    chosen = np.vstack([vectors[:40:4], vectors[60:64]])  # motions and random thrashing
    scores = np.array([p.respond(v) for v in chosen])
    truth = p.true_values(chosen)
    assert np.isfinite(scores).all()
    # More relaxing motion -> more frontal alpha/theta -> a higher score, despite the EEG
    # noise, which at the real recordings' levels (MUSE_CALIBRATION) is as large as the
    # effect of half the motions' range (0.33 z between the halves here, 0.64 rank corr.).
    assert spearmanr(truth, scores).statistic > 0.5
    upper = truth > np.median(truth)
    assert scores[upper].mean() > scores[~upper].mean() + 0.15


def test_wrist_participant_sees_what_the_motion_features_do_not(vectors: np.ndarray) -> None:
    """Turning A6 leaves the flange, so every motion feature, where it was; this person
    notices (the blind spot of a model built on those features)."""
    p = WristParticipant(0)
    base = np.full(196, 128, np.uint8)  # the arm holds a pose, a steady beat
    base[6::7] = 120
    env = p.cfg.envelope[4]
    base[4::7] = round(255 * (p.prefs["bend_deg"] - env[0]) / (env[1] - env[0]))  # A5
    turned = base.copy()
    turned[5::7] = np.tile([118, 138], 14)  # A6 of every keyframe: the tool turns to and fro
    fa, fb = p.features(base).as_dict(), p.features(turned).as_dict()
    for name, value in fa.items():
        assert fb[name] == pytest.approx(value, abs=1e-9), name
    assert p.true_value(turned) - p.true_value(base) > 0.3 * pm.EFFECT_RANGE_Z
    batch = p.true_values(vectors)
    np.testing.assert_allclose(batch, [p.true_value(v) for v in vectors], rtol=0, atol=1e-12)


def test_settle_participant_prefers_a_decrescendo_to_the_same_motion_reversed() -> None:
    """A swing that slows down and the same swing played backwards (speeding up) have
    nearly the same whole-piece features; this person prefers the one that settles."""
    p = SettleParticipant(0)
    q = np.tile(np.array([0.0, -80.0, 90.0, 0.0, 30.0, 0.0]), (28, 1))
    q[:, 0] = np.where(np.arange(28) % 2 == 0, -15.0, 15.0)  # A1 swings
    d = np.geomspace(0.8, 3.0, 28)  # each swing slower than the one before
    settling = encode_many(q[None], d[None], p.cfg)[0]
    # Played backwards: segment k of the reversal is segment 28 - k of the original.
    rising = encode_many(q[None, ::-1], np.r_[d[0], d[:0:-1]][None], p.cfg)[0]
    fa, fb = p.features(settling).as_dict(), p.features(rising).as_dict()
    for name in ("speed_m_s", "amplitude_m", "height_m", "duration_s", "tempo_cv"):
        assert fb[name] == pytest.approx(fa[name], rel=0.02), name
    assert p.true_value(settling) - p.true_value(rising) > 0.3 * pm.EFFECT_RANGE_Z
    vectors = np.stack([settling, rising])
    np.testing.assert_allclose(
        p.true_values(vectors), [p.true_value(v) for v in vectors], rtol=0, atol=1e-12
    )


def test_true_values_of_batches_when_offered_and_loops_otherwise() -> None:
    class OneAtATime:
        """A participant with ``true_value`` only (the interface's minimum)."""

        def true_value(self, vector: np.ndarray) -> float:
            return float(np.asarray(vector, dtype=np.float64).mean())

    vectors = np.random.default_rng(3).integers(0, 256, (5, 196), dtype=np.uint8)
    np.testing.assert_allclose(
        true_values_of(OneAtATime(), vectors), vectors.mean(axis=1), rtol=0, atol=1e-12
    )
    calm = load_participant("choreo.evaluation.participants:CalmParticipant", 0)
    np.testing.assert_array_equal(true_values_of(calm, vectors), calm.true_values(vectors))
