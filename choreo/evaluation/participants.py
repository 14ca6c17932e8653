"""Synthetic participants: stand-ins for a person watching the robot, for tests and benchmarks.

Any class with this interface can be named by import path (``"module:Class"``)
and used wherever choreo needs a participant (:func:`load_participant`):

- ``__init__(self, seed: int)``
- ``respond(self, vector: numpy.ndarray) -> float``: the noisy trial score the scoring
  path would report for a 196-value uint8 choreography (z units of the feedback score);
- ``true_value(self, vector) -> float``: the noise-free relaxation, for evaluation only.

choreo's own participants respond to the *motion* (:mod:`choreo.learning.motion_features`):
a hidden, seed-dependent preference over speed, jerkiness, amplitude, height and
repetition, plus a person offset, a slow drift over trials, habituation to
motion similar to what was just shown, and heavy-tailed (Student-t) noise.

Calibration (units are those of the feedback score, z against the baseline):

- :data:`NOISE_SCALE_Z`, the scale of the trial-to-trial noise, and
  :data:`EFFECT_RANGE_Z`, how far the best motion moves the score above the
  worst, are documented where they are defined.
"""

from __future__ import annotations

import importlib
import math
from collections import deque
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from choreo.errors import InputError
from choreo.evaluation.calibration import MUSE_CALIBRATION
from choreo.learning.motion_features import MotionFeatures, axis_speed_rms, motion_features
from choreo.robot.codec import as_vector, decode_many
from choreo.robot.config import RobotConfig, load_robot_config
from choreo.robot.kr6 import forward_kinematics

#: Scale of the Student-t trial noise, z units: the real trials' within-state
#: robust SD (choreo.evaluation.calibration.MUSE_CALIBRATION: each Muse recording
#: scored through the live path against its subject's neutral-1 recording, cut into
#: 20 s trials, trial scores minus their recording's mean; robust SD 0.231 z, n = 29)
#: over a t3 variable's robust SD per unit scale (1.134): 0.204.
NOISE_SCALE_Z = MUSE_CALIBRATION.noise_scale_z
#: Degrees of freedom of the Student-t noise: heavy tails (an artefact-laden trial
#: now and then) with a finite variance.
NOISE_DF = 3.0
#: Score difference between the most and the least relaxing motion, z units: the
#: difference between the relaxed and the concentrating recordings of the same
#: subject, scored as above (whole recordings; mean of subjects a and b, 0.656).
EFFECT_RANGE_Z = MUSE_CALIBRATION.effect_range_z
#: Person offset: the SD of a person's overall level across seeds, z units.
OFFSET_SD_Z = 0.2
#: Drift: an AR(1) walk per trial (coefficient, innovation SD in z units).
DRIFT_AR = 0.97
DRIFT_STEP_Z = 0.03
#: Habituation: a motion like one of the last few is less relaxing the second time.
HABITUATION_Z = 0.15
HABITUATION_MEMORY = 5
HABITUATION_DECAY = 0.7
#: Two choreographies closer than this (RMS over the 196 bytes, as a share of 255)
#: feel like the same motion.
HABITUATION_WIDTH = 0.08


@runtime_checkable
class Participant(Protocol):
    """What choreo needs of a participant (synthetic or a wrapper around a real one)."""

    def respond(self, vector: np.ndarray) -> float: ...

    def true_value(self, vector: np.ndarray) -> float: ...


def _bump(x: np.ndarray, centre: float, width: float) -> np.ndarray:
    """A Gaussian preference, 1 at ``centre``, ~0.6 one ``width`` away."""
    return np.exp(-0.5 * ((x - centre) / width) ** 2)


def _all_of(weights: dict[str, float], **terms: np.ndarray) -> np.ndarray:
    """Weighted geometric mean of preference terms (each 0..1).

    Relaxation needs all aspects at once: one thing badly wrong (a jerk, a rush)
    spoils a motion that is right in every other respect, which a weighted sum
    would forgive.
    """
    total = sum(weights.values())
    log = sum(weights[k] / total * np.log(np.maximum(v, 1e-9)) for k, v in terms.items())
    return np.asarray(np.exp(log))


class MotionParticipant:
    """Base class: a hidden preference over motion features, with the realistic nuisances.

    Subclasses define :meth:`_draw_preferences` (from the seed) and
    :meth:`preference` (features -> 0..1). ``true_value`` is
    ``offset + EFFECT_RANGE_Z * preference``; ``respond`` adds drift, habituation
    and Student-t noise and advances the trial counter.

    Parameters
    ----------
    seed : int
        Draws this person's preferences, offset and noise.
    cfg : RobotConfig, optional
        Robot configuration for decoding (default: the shipped one).
    noise_scale : float, optional
        Scale of the Student-t noise, z (default :data:`NOISE_SCALE_Z`); 0 for none.
    """

    def __init__(
        self, seed: int, cfg: RobotConfig | None = None, noise_scale: float = NOISE_SCALE_Z
    ) -> None:
        self.seed = int(seed)
        self.cfg = cfg if cfg is not None else load_robot_config()
        rng = np.random.default_rng([self.seed, 0xC0FFEE])
        self.prefs = self._draw_preferences(rng)
        self.offset = float(rng.normal(0.0, OFFSET_SD_Z))
        self.noise_scale = float(noise_scale)
        self._rng = np.random.default_rng([self.seed, 0xBEEF])
        self._drift = 0.0
        self._recent: deque[np.ndarray] = deque(maxlen=HABITUATION_MEMORY)
        self.trials = 0

    # -- to be defined by each person -----------------------------------------
    def _draw_preferences(self, rng: np.random.Generator) -> dict[str, float]:
        raise NotImplementedError

    def preference(self, f: MotionFeatures) -> np.ndarray:
        """How relaxing motions with features ``f`` are, 0..1 (arrays of shape (n,))."""
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------
    def decoded(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keyframes ``(n, 28, 6)`` deg and durations ``(n, 28)`` s of ``vectors``
        ``uint8 (n, 196)`` (or one ``(196,)``), each validated."""
        arr = np.asarray(vectors)
        rows = arr[None] if arr.ndim == 1 else arr
        return decode_many(np.stack([as_vector(v) for v in rows]), self.cfg)

    def features(self, vectors: np.ndarray) -> MotionFeatures:
        """Motion features of ``vectors`` ``uint8 (n, 196)`` (or one ``(196,)``)."""
        return motion_features(*self.decoded(vectors))

    def preference_of(self, vectors: np.ndarray) -> np.ndarray:
        """How relaxing ``vectors`` ``uint8 (n, 196)`` are, 0..1, shape (n,)."""
        return self.preference(self.features(vectors))

    def true_values(self, vectors: np.ndarray) -> np.ndarray:
        """Noise-free relaxation of many vectors at once, z units, shape (n,)."""
        return self.offset + EFFECT_RANGE_Z * self.preference_of(vectors)

    def true_value(self, vector: np.ndarray) -> float:
        """Noise-free relaxation of one choreography, z units (no drift, habituation, noise)."""
        return float(self.true_values(as_vector(vector)[None])[0])

    def habituation(self, vector: np.ndarray) -> float:
        """Similarity (0..1) of ``vector`` to the recent ones, most recent weighing most."""
        v = as_vector(vector).astype(np.float64) / 255.0
        level = 0.0
        for age, prev in enumerate(reversed(self._recent)):
            rms = float(np.sqrt(np.mean((v - prev) ** 2)))
            level = max(
                level, HABITUATION_DECAY**age * np.exp(-0.5 * (rms / HABITUATION_WIDTH) ** 2)
            )
        return level

    def respond(self, vector: np.ndarray) -> float:
        """The trial score for watching ``vector`` now (z units); advances the trial."""
        v = as_vector(vector)
        value = self.true_value(v)
        self._drift = DRIFT_AR * self._drift + float(self._rng.normal(0.0, DRIFT_STEP_Z))
        hab = HABITUATION_Z * self.habituation(v)
        noise = self.noise_scale * float(self._rng.standard_t(NOISE_DF))
        self._recent.append(v.astype(np.float64) / 255.0)
        self.trials += 1
        return value + self._drift - hab + noise


class CalmParticipant(MotionParticipant):
    """Relaxes with slow, smooth, small, repetitive motion at a height of their own.

    Hidden preferences (drawn from the seed): a preferred flange speed (m/s),
    amplitude (m) and height (m). Jerkiness always hurts, repetition helps, and
    stillness is not what relaxes them (it has the wrong amplitude).
    """

    WEIGHTS: ClassVar[dict[str, float]] = {
        "speed": 0.25,
        "smooth": 0.2,
        "amplitude": 0.2,
        "height": 0.2,
        "repeat": 0.15,
    }

    def _draw_preferences(self, rng: np.random.Generator) -> dict[str, float]:
        return {
            "speed_m_s": float(np.exp(rng.uniform(np.log(0.03), np.log(0.08)))),
            "amplitude_m": float(rng.uniform(0.06, 0.15)),
            "height_m": float(rng.uniform(0.65, 1.0)),
        }

    def preference(self, f: MotionFeatures) -> np.ndarray:
        p = self.prefs
        return _all_of(
            self.WEIGHTS,
            speed=_bump(np.log(f.speed_m_s + 1e-4), np.log(p["speed_m_s"]), 0.7),
            smooth=np.exp(-f.accel_m_s2 / 0.1),
            amplitude=_bump(f.amplitude_m, p["amplitude_m"], 0.08),
            height=_bump(f.height_m, p["height_m"], 0.15),
            repeat=0.3 + 0.7 * f.repetition,
        )


class SweepParticipant(MotionParticipant):
    """Relaxes with slow, wide, level sweeps at a steady beat.

    Hidden preferences (drawn from the seed): a preferred horizontal extent (m)
    and speed (m/s). Vertical motion and jerkiness hurt; an even tempo helps.
    """

    WEIGHTS: ClassVar[dict[str, float]] = {
        "width": 0.3,
        "level": 0.15,
        "speed": 0.25,
        "smooth": 0.15,
        "tempo": 0.15,
    }

    def _draw_preferences(self, rng: np.random.Generator) -> dict[str, float]:
        return {
            "horizontal_m": float(rng.uniform(0.25, 0.4)),
            "speed_m_s": float(np.exp(rng.uniform(np.log(0.08), np.log(0.2)))),
        }

    def preference(self, f: MotionFeatures) -> np.ndarray:
        p = self.prefs
        return _all_of(
            self.WEIGHTS,
            width=_bump(f.horizontal_m, p["horizontal_m"], 0.1),
            level=np.exp(-f.vertical_m / 0.1),
            speed=_bump(np.log(f.speed_m_s + 1e-4), np.log(p["speed_m_s"]), 0.7),
            smooth=np.exp(-f.accel_m_s2 / 0.2),
            tempo=np.exp(-f.tempo_cv / 0.3),
        )


class WristParticipant(MotionParticipant):
    """Relaxes watching the wrist turn slowly while the arm holds a posture of its own.

    Unlike :class:`CalmParticipant` and :class:`SweepParticipant`, this person responds
    to *joint-space* aspects that the flange-position features of
    :mod:`choreo.learning.motion_features` do not see (A6 turns the tool about the flange
    axis and leaves the flange where it is): a test of how a learner copes with a
    person whose taste lies outside its own descriptors.

    Hidden preferences (drawn from the seed): a preferred wrist speed (RMS of the A4
    and A6 keyframe-to-keyframe speeds, deg/s) and a preferred wrist bend (mean A5,
    deg). The big axes A1..A3 should stay nearly still, and steady durations help.
    """

    WEIGHTS: ClassVar[dict[str, float]] = {
        "wrist": 0.35,
        "bend": 0.25,
        "still": 0.25,
        "tempo": 0.15,
    }

    def _draw_preferences(self, rng: np.random.Generator) -> dict[str, float]:
        return {
            "wrist_deg_s": float(np.exp(rng.uniform(np.log(20.0), np.log(60.0)))),
            "bend_deg": float(rng.uniform(-60.0, 60.0)),
        }

    def preference_of(self, vectors: np.ndarray) -> np.ndarray:
        q, d = self.decoded(vectors)
        t = np.maximum(d[:, 1:], 1e-6)  # judged segments, s
        rms = axis_speed_rms(q, d)  # (n, 6) deg/s
        wrist = np.sqrt(0.5 * (rms[:, 3] ** 2 + rms[:, 5] ** 2))
        arm = np.sqrt((rms[:, :3] ** 2).mean(axis=1))
        p = self.prefs
        return _all_of(
            self.WEIGHTS,
            wrist=_bump(np.log(wrist + 1e-3), np.log(p["wrist_deg_s"]), 0.5),
            bend=_bump(q[:, 1:, 4].mean(axis=1), p["bend_deg"], 25.0),
            still=np.exp(-arm / 8.0),
            tempo=np.exp(-(t.std(axis=1) / t.mean(axis=1)) / 0.3),
        )


class SettleParticipant(MotionParticipant):
    """Relaxes when the motion settles: it starts livelier and slows towards the end.

    A test of generality like :class:`WristParticipant`, but in time rather than in
    joint space: every motion descriptor the learner may see is a summary of the whole
    piece, and this person responds to how the motion *changes* over it (a decrescendo),
    which no such summary holds.

    Hidden preferences (drawn from the seed): how much slower the flange moves in the
    last third of the piece than in the first (a ratio of path speeds) and the overall
    flange speed (m/s). Jerkiness hurts.
    """

    WEIGHTS: ClassVar[dict[str, float]] = {"settle": 0.4, "pace": 0.3, "smooth": 0.3}

    def _draw_preferences(self, rng: np.random.Generator) -> dict[str, float]:
        return {
            "slow_down": float(rng.uniform(0.3, 0.6)),
            "speed_m_s": float(np.exp(rng.uniform(np.log(0.05), np.log(0.15)))),
        }

    def preference_of(self, vectors: np.ndarray) -> np.ndarray:
        q, d = self.decoded(vectors)
        f = motion_features(q, d)
        p = np.asarray(forward_kinematics(q), dtype=np.float64)[..., :3]  # (n, 28, 3) m
        t = np.maximum(d[:, 1:], 1e-6)
        seg = np.linalg.norm(np.diff(p, axis=1), axis=-1)  # (n, 27) m
        first = seg[:, :9].sum(axis=1) / t[:, :9].sum(axis=1)
        last = seg[:, -9:].sum(axis=1) / t[:, -9:].sum(axis=1)
        ratio = (last + 1e-3) / (first + 1e-3)
        prefs = self.prefs
        return _all_of(
            self.WEIGHTS,
            settle=_bump(np.log(ratio), np.log(prefs["slow_down"]), 0.35),
            pace=_bump(np.log(f.speed_m_s + 1e-4), np.log(prefs["speed_m_s"]), 0.7),
            smooth=np.exp(-f.accel_m_s2 / 0.2),
        )


def relaxation_level(person: Any, response_z: float) -> float:
    """The synthetic EEG's relaxation level (0..1) for a participant's response (z).

    The response's departure from the person's own level (``person.offset``, 0 when
    it has none) over :data:`EFFECT_RANGE_Z`, clipped: the range of the motions'
    effect maps onto relaxation 0..1, which the synthetic EEG turns into the real
    recordings' concentrating..relaxed levels (``MUSE_CALIBRATION``).
    """
    offset = float(getattr(person, "offset", 0.0))
    return float(np.clip((response_z - offset) / EFFECT_RANGE_Z, 0.0, 1.0))


class EegCalmParticipant(CalmParticipant):
    """A :class:`CalmParticipant` whose trial score is measured on synthetic EEG.

    For every trial the motion's relaxation (true value, drift and habituation,
    mapped to a level 0..1) drives :class:`choreo.eeg.sources.synthetic.SyntheticEEG`
    (Muse 2016: 1/f background, alpha and theta, blinks, muscle bursts, line noise)
    for ``trial_s`` seconds, and the real scoring path scores it:
    :class:`choreo.eeg.pipeline.FeedbackPipeline` against a baseline calibrated once on
    a neutral block (level 0.5), then the trial's robust interval mean
    (:func:`choreo.eeg.feedback.aggregate_arrays`). The noise is the EEG's own; there
    is no added Student-t term. ``true_value`` is the parent's (z units of the model).
    """

    #: Seconds of EEG per trial and of the neutral calibration block.
    TRIAL_S = 20.0
    BASELINE_S = 30.0

    def __init__(
        self, seed: int, cfg: RobotConfig | None = None, trial_s: float | None = None
    ) -> None:
        from choreo.eeg.devices import load_device
        from choreo.eeg.pipeline import FeedbackPipeline
        from choreo.eeg.settings import load_eeg_settings
        from choreo.eeg.sources.synthetic import SyntheticEEG

        super().__init__(seed, cfg, noise_scale=0.0)
        self.trial_s = float(trial_s if trial_s is not None else self.TRIAL_S)
        self._profile = load_device("muse2016")
        self._eeg_settings = load_eeg_settings()
        block = SyntheticEEG(self._profile, seed=self.seed * 1_000_003 + 7, relaxation=0.5)
        rec = block.recording(self.BASELINE_S)
        pipe = FeedbackPipeline(rec.info, self._profile, self._eeg_settings)
        pipe.push_windows(rec.as_chunk())
        self.baseline = pipe.calibrate(float(rec.timestamps[0]), float(rec.timestamps[-1]))
        self.last_level = math.nan

    def respond(self, vector: np.ndarray) -> float:
        """Score of ``trial_s`` seconds of EEG at the level this motion relaxes to (z)."""
        from choreo.eeg.feedback import aggregate_arrays
        from choreo.eeg.pipeline import FeedbackPipeline
        from choreo.eeg.sources.synthetic import SyntheticEEG

        v = as_vector(vector)
        value = self.true_value(v)
        self._drift = DRIFT_AR * self._drift + float(self._rng.normal(0.0, DRIFT_STEP_Z))
        value += self._drift - HABITUATION_Z * self.habituation(v)
        level = relaxation_level(self, value)
        self._recent.append(v.astype(np.float64) / 255.0)
        self.trials += 1
        self.last_level = level
        eeg = SyntheticEEG(
            self._profile, seed=self.seed * 1_000_003 + 11 + self.trials, relaxation=level
        )
        rec = eeg.recording(self.trial_s)
        pipe = FeedbackPipeline(rec.info, self._profile, self._eeg_settings, self.baseline)
        w = pipe.push_windows(rec.as_chunk())
        trial = aggregate_arrays(
            w.t, w.z, w.frontal_accepted, float(rec.timestamps[0]), float(rec.timestamps[-1])
        )
        # A trial whose every window was rejected scores as the baseline (no evidence).
        return float(trial.score) if math.isfinite(trial.score) else 0.0


#: choreo's own participants, by import path (the benchmark's default set).
BUILTIN_PARTICIPANTS = (
    "choreo.evaluation.participants:CalmParticipant",
    "choreo.evaluation.participants:SweepParticipant",
    "choreo.evaluation.participants:WristParticipant",
    "choreo.evaluation.participants:SettleParticipant",
)


def true_values_of(person: Any, vectors: np.ndarray) -> np.ndarray:
    """``person.true_value`` of many vectors ``(n, 196)`` (one call of
    ``person.true_values`` when the participant offers it, else one call per vector)."""
    batch = getattr(person, "true_values", None)
    if callable(batch):
        return np.asarray(batch(vectors), dtype=np.float64)
    return np.array([float(person.true_value(v)) for v in vectors])


_MOVED_MODULES = {"choreo.gan.participants": "choreo.evaluation.participants"}


def load_participant(spec: str, seed: int) -> Participant:
    """Build the participant named ``"module:Class"`` with ``seed``.

    Raises
    ------
    InputError
        The spec is not ``module:Class``, the module or class does not exist, or the
        object lacks ``respond``/``true_value``.
    """
    module_name, sep, class_name = spec.partition(":")
    # sessions recorded before the split of choreo.gan name the old module
    module_name = _MOVED_MODULES.get(module_name, module_name)
    if not sep or not module_name or not class_name:
        raise InputError(f"participant {spec!r}: expected 'module:Class'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(
            f"participant {spec!r}: cannot import module {module_name!r}: {exc}"
        ) from exc
    cls = getattr(module, class_name, None)
    if cls is None or not callable(cls):
        raise InputError(
            f"participant {spec!r}: module {module_name!r} has no class {class_name!r}"
        )
    person = cls(int(seed))
    if not callable(getattr(person, "respond", None)) or not callable(
        getattr(person, "true_value", None)
    ):
        raise InputError(f"participant {spec!r}: needs respond(vector) and true_value(vector)")
    return person
