"""Learning from feedback: which choreography to show next, and which one is best.

Each evaluation costs a person tens of seconds and its score is noisy and
heavy-tailed, so the learner spends compute to save evaluations:

1. **Bayesian optimisation over the GAN's latent space and motion edits.** The
   pretrained generator maps a latent ``z`` (standard normal, 8..16 dims) to a valid,
   varied choreography; 13 global edits (per-axis amplitude and mean-pose offset,
   tempo) let the search leave the generator's manifold. A small Gaussian process
   (Matérn 5/2, numpy/scipy) models the score as a function of what the person
   sees: by default the decoded choreography's motion descriptors (the flange's
   speed, jerkiness, amplitude, height, repetition and tempo, and each axis's pose,
   swing and speed; ``surrogate``), so that what one trial teaches carries over to
   every choreography that looks alike. Each descriptor has its own lengthscale, long
   unless the scores ask otherwise, and a quadratic trend on the scaled descriptors
   lets the model extrapolate a preferred motion from a few scores
   (:class:`~choreo.learning.gaussian_process.ArdGP`). Scores enter
   *rank-transformed* (normal scores of their ranks), so an artefact-laden trial
   cannot dominate, and with a fitted noise term, so the model averages rather than
   interpolates. ``propose`` picks, among candidate search points, the one of
   highest expected improvement over the best posterior mean, weighted by the prior.
2. **Rank-weighted fine-tuning of the generator's input.** The generator is
   preceded by an affine input layer (:class:`LatentAdapter`: ``z = mean + L u``
   with ``u`` standard normal) refitted after every update by rank-weighted
   maximum likelihood on the scored latents: every sample counts, weighted by
   ``exp(-rank / (temperature * n))`` (no hard threshold), shrunk towards the
   prior by a pseudo-count. Candidates drawn through it concentrate where the
   good choreographies were. The pretrained weights stay frozen, so the latents
   the Gaussian process has seen keep their meaning.
3. **Starts** (optional): choreographies shown first, before the space-filling
   points; what relaxed earlier people
   (:func:`choreo.learning.population.population_starts`) starts a new person where most
   people relax. The space-filling points still follow: with only alike, good
   choreographies scored the model learns little of what this person dislikes.
4. **Recommendation** (:meth:`Learner.recommend`): the scored choreography with the
   highest *posterior mean* less ``recommend_sd_penalty`` posterior SDs (a lower
   confidence bound), not the best noisy observation; every ``revisit_every``-th
   proposal shows it again, since a second score is what tells a good choreography
   from a lucky one. While the recommendation is a start, a challenger must be clearly
   better to replace it (``keep_starts``).

Determinism: every random draw comes from a generator seeded by ``(seed, number of
observations, number of proposals)``, and the hyperparameter fit is a pure
function of the data, so the same seed and scores give the same proposals, also
after :meth:`Learner.save` / :meth:`Learner.load`. Every proposal passes
:func:`choreo.robot.safety.check_choreography` (others are skipped).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.stats import norm, qmc

from choreo.errors import InputError
from choreo.learning.acquisition import prior_weighted_log_ei, rank_normal, rank_weights
from choreo.learning.gaussian_process import ArdGP, LatentGP
from choreo.learning.motion_features import (
    MotionFeatures,
    joint_descriptors,
    motion_features,
)
from choreo.learning.search_space import (
    N_DESCRIPTORS,
    N_EDITS,
    N_JOINT_DESCRIPTORS,
    LatentAdapter,
)
from choreo.learning.settings import LEGACY_SETTINGS, LearnerSettings, saved_settings
from choreo.learning.state import STATE_FORMAT, read_state, restore, save_state, state_dict
from choreo.prior.checkpoint import load_generator
from choreo.prior.model import Generator
from choreo.robot.codec import VECTOR_LEN, as_vector, decode_many, encode_many
from choreo.robot.config import RobotConfig, load_robot_config
from choreo.robot.safety import check_choreography
from choreo.runtime import limited_threads

__all__ = [
    "LEGACY_SETTINGS",
    "N_DESCRIPTORS",
    "N_EDITS",
    "N_JOINT_DESCRIPTORS",
    "STATE_FORMAT",
    "LatentAdapter",
    "Learner",
    "LearnerSettings",
    "prior_weighted_log_ei",
    "rank_normal",
    "rank_weights",
    "saved_settings",
]


def _validated_score(score: Any) -> float:
    if isinstance(score, bool) or not isinstance(score, (int, float, np.integer, np.floating)):
        raise InputError(f"score must be a real number, got {type(score).__name__}")
    value = float(score)
    if math.isnan(value):
        raise InputError("score is NaN")
    if math.isinf(value):
        raise InputError(f"score is infinite ({value})")
    return value


def _validated_vector(vector: Any) -> np.ndarray:
    arr = np.asarray(vector)
    if arr.dtype != np.uint8:
        raise InputError(f"choreography vector must be uint8 (0..255), got dtype {arr.dtype}")
    if arr.shape != (VECTOR_LEN,):
        raise InputError(f"choreography vector must have shape ({VECTOR_LEN},), got {arr.shape}")
    return as_vector(arr)


class Learner:
    """Proposes choreographies and learns from their scores.

    Parameters
    ----------
    checkpoint : path or Generator, optional
        The pretrained GAN prior (default ``choreo/models/prior.safetensors``), or a
        generator already loaded.
    seed : int
        Seeds every random choice (with the number of observations and proposals).
    settings : LearnerSettings, optional
    cfg : RobotConfig, optional
        Robot configuration for the safety check (default: the shipped one).
    starts : ndarray, shape (k, 196), uint8, optional
        Choreographies to show first, in order, before the space-filling points (an
        unsafe or refused one is skipped); for example what relaxed earlier people
        (:func:`choreo.learning.population.population_starts`).
    """

    def __init__(
        self,
        checkpoint: str | os.PathLike[str] | Generator | None = None,
        seed: int = 0,
        settings: LearnerSettings | None = None,
        cfg: RobotConfig | None = None,
        starts: np.ndarray | None = None,
    ) -> None:
        self.cfg = cfg if cfg is not None else load_robot_config()
        if isinstance(checkpoint, Generator):
            self.generator = checkpoint
            self.checkpoint_path: str | None = None
        else:
            self.generator, _ = load_generator(checkpoint, robot=self.cfg)
            self.checkpoint_path = str(checkpoint) if checkpoint is not None else None
        self.generator.eval()
        for p in self.generator.parameters():
            p.requires_grad_(False)
        self.seed = int(seed)
        self.settings = settings if settings is not None else LearnerSettings()
        self.dim = int(self.generator.latent_dim)
        # Search space: the latent, then the motion edits (when enabled).
        self.space_dim = self.dim + (N_EDITS if self.settings.edits else 0)
        self._desc_mean = np.zeros(0)
        self._desc_std = np.ones(0)
        if self.settings.surrogate != "latent":
            # Standardise descriptors on the prior's own samples (fixed draw, not the seed).
            with limited_threads(1):
                ref = self.generator.decode_latent(
                    np.random.default_rng(0).standard_normal((512, self.dim)).astype(np.float32)
                )
            raw = self._raw_descriptors(ref)
            self._desc_mean, self._desc_std = raw.mean(axis=0), raw.std(axis=0) + 1e-9
        self.radius = float(np.sqrt(self.space_dim) + self.settings.radius_margin)
        self.adapter = LatentAdapter(self.space_dim)
        groups = {
            "latent": [self.space_dim],
            "motion": [N_DESCRIPTORS],
            "both": [self.space_dim, N_DESCRIPTORS],
            "arm": [N_JOINT_DESCRIPTORS, N_DESCRIPTORS],
        }
        self.gp: LatentGP | ArdGP = (
            ArdGP(
                sum(groups[self.settings.surrogate]),
                self.settings.relevance_lengthscale,
                trend_centre=self.settings.quadratic_trend,
            )
            if self.settings.lengthscales == "input"
            else LatentGP(groups[self.settings.surrogate])
        )
        self.latents = np.zeros((0, self.space_dim))
        self.vectors = np.zeros((0, VECTOR_LEN), dtype=np.uint8)
        self.scores = np.zeros(0)
        self.n_proposed = 0
        # Index of the recommended scored choreography, chosen after each update (it
        # depends on the one before when ``keep_starts`` holds a start); None: none yet.
        self.recommended_index: int | None = None
        # Proposed but not yet scored: bytes -> latent (so update knows where it came from).
        self._pending: dict[bytes, np.ndarray] = {}
        # Refused by the bridge: never proposed again.
        self._rejected: set[bytes] = set()
        # Shown first, with the search points they are taken to come from (found once
        # here: inverting the generator takes longer than a proposal may).
        self.starts = np.zeros((0, VECTOR_LEN), dtype=np.uint8)
        self._start_points = np.zeros((0, self.space_dim))
        if starts is not None and len(starts):
            self.starts = np.stack([_validated_vector(v) for v in np.atleast_2d(starts)])
            with limited_threads(1):
                self._start_points = np.stack([self._latent_of(v) for v in self.starts])

    # -- public API ----------------------------------------------------------------
    @property
    def n_observations(self) -> int:
        """Number of scored choreographies."""
        return len(self.scores)

    def propose(self) -> np.ndarray:
        """The next choreography to show, ``uint8 (196,)``; it passes the safety check."""
        with limited_threads(1):
            return self._propose()

    def _propose(self) -> np.ndarray:
        rng = np.random.default_rng([self.seed, self.n_observations, self.n_proposed, 7])
        if (start := self._next_start()) is not None:
            vector, z = start
        elif self.n_observations < len(self.starts) + self.settings.n_initial:
            order = self._initial_design(rng)
            vector, z = self._first_valid(order, rng)
        elif (revisit := self._revisit()) is not None:
            vector, z = revisit
        else:
            cands = self._candidates(rng)
            vecs = self._materialise(cands) if self.settings.surrogate != "latent" else None
            acq = self._acquisition(cands, self._inputs(cands, vecs))
            rank = np.argsort(-acq, kind="stable")
            vector, z = self._first_valid(
                cands[rank], rng, vecs[rank] if vecs is not None else None
            )
        self.n_proposed += 1
        self._pending[vector.tobytes()] = z
        return vector

    def _next_start(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The first start not yet scored, refused or unsafe, while there are more starts
        than scores."""
        if self.n_observations >= len(self.starts):
            return None
        scored = {v.tobytes() for v in self.vectors}
        for vector, z in zip(self.starts, self._start_points, strict=True):
            key = vector.tobytes()
            if key in scored or key in self._rejected:
                continue
            if check_choreography(vector, self.cfg).ok:
                return vector.copy(), z.copy()
        return None

    def _revisit(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The recommendation and its search point, when it is time to show it again."""
        every = self.settings.revisit_every
        designed = len(self.starts) + self.settings.n_initial
        if not every or (self.n_observations - designed) % every != every - 1:
            return None
        i = self._recommended_index()
        vector = self.vectors[i].copy()
        # It was scored, but a vector given to update() unproposed was never checked.
        if vector.tobytes() in self._rejected or not check_choreography(vector, self.cfg).ok:
            return None
        return vector, self.latents[i].copy()

    def update(self, vector: Any, score: Any) -> None:
        """Learn from ``score`` (z units; higher = more relaxing) for ``vector``.

        Raises
        ------
        InputError
            The vector is not 196 uint8 values, or the score is not a finite number.
            The learner's state is unchanged then.
        """
        v = _validated_vector(vector)
        s = _validated_score(score)
        key = v.tobytes()
        with limited_threads(1):
            z = self._pending.get(key)
            if z is None:
                z = self._latent_of(v)
            self._pending.pop(key, None)
            self.latents = np.vstack([self.latents, z[None]])
            self.vectors = np.vstack([self.vectors, v[None]])
            self.scores = np.append(self.scores, s)
            self._refit()
            self.recommended_index = self._next_recommendation()

    def reject(self, vector: Any) -> None:
        """The bridge refused ``vector`` (a stricter configuration): never propose it again.

        No score is involved and the model is unchanged; the refusal is kept by
        :meth:`save` / :meth:`load`, so replays make the same choices.

        Raises
        ------
        InputError
            The vector is not 196 uint8 values.
        """
        v = _validated_vector(vector)
        self._pending.pop(v.tobytes(), None)
        self._rejected.add(v.tobytes())

    def recommend(self) -> np.ndarray:
        """The choreography believed best: among those scored, the highest posterior mean
        less ``recommend_sd_penalty`` posterior SDs (so it stays put on one lucky score);
        with ``keep_starts``, a start recommended stays until that bound of another
        exceeds the start's posterior mean."""
        if self.n_observations == 0:
            with limited_threads(1):
                vector, _ = self._first_valid(
                    np.zeros((1, self.space_dim)), np.random.default_rng(self.seed)
                )
            return vector
        return self.vectors[self._recommended_index()].copy()

    def predict(self, vectors: Any) -> tuple[np.ndarray, np.ndarray]:
        """What the model expects of choreographies ``uint8 (n, 196)``: the posterior
        mean and standard deviation of their score, in the model's units (normal scores
        of this person's ranks: 0 is this person's median trial, 1 one SD better).

        Raises
        ------
        InputError
            A vector is not 196 uint8 values.
        """
        vecs = np.stack([_validated_vector(v) for v in np.atleast_2d(np.asarray(vectors))])
        with limited_threads(1):
            if self.n_observations < 2:
                # Not fitted yet: the prior (mean 0, the signal SD).
                return np.zeros(len(vecs)), np.ones(len(vecs))
            if self.settings.surrogate in ("latent", "both"):
                latents = np.stack([self._latent_of(v) for v in vecs])
            else:  # the model sees the choreography alone
                latents = np.zeros((len(vecs), self.space_dim))
            mean, sd = self.gp.predict(self._inputs(latents, vecs))
        return np.asarray(mean), np.asarray(sd)

    def _recommended_index(self) -> int:
        if self.recommended_index is None:
            self.recommended_index = self._next_recommendation()
        return self.recommended_index

    def _next_recommendation(self) -> int:
        """The recommendation's index after the latest update (see ``recommend``)."""
        if self.n_observations < 3:
            return int(np.argmax(self.scores))
        mean, sd = self.gp.predict(self._observed_inputs())
        lower = mean - self.settings.recommend_sd_penalty * sd
        best = int(np.argmax(lower))
        held = self.recommended_index
        if (
            self.settings.keep_starts
            and held is not None
            and self._is_start(held)
            and lower[best] <= mean[held]
        ):
            return held
        return best

    def _is_start(self, index: int) -> bool:
        return bool((self.starts == self.vectors[index]).all(axis=1).any())

    # -- internals -----------------------------------------------------------------
    def _refit(self) -> None:
        y = self.scores
        if len(y) >= 2:
            self.gp.fit(self._observed_inputs(), rank_normal(y))
            self.adapter.fit_ranked(
                self.latents,
                rank_weights(y, self.settings.rank_temperature),
                self.settings.prior_pseudocount,
                self.settings.inflation,
            )

    @staticmethod
    def _raw_descriptors_of(f: MotionFeatures) -> np.ndarray:
        return np.column_stack(
            [
                np.log(f.speed_m_s + 1e-3),
                np.log(f.accel_m_s2 + 1e-3),
                f.amplitude_m,
                f.horizontal_m,
                f.vertical_m,
                f.height_m,
                f.repetition,
                f.tempo_cv,
                f.duration_s,
            ]
        )

    def _raw_descriptors(self, vectors: np.ndarray) -> np.ndarray:
        q, d = decode_many(vectors, self.cfg)
        flange = self._raw_descriptors_of(motion_features(q, d))
        if self.settings.surrogate != "arm":
            return flange
        return np.hstack([joint_descriptors(q, d), flange])

    def _inputs(self, latents: np.ndarray, vectors: np.ndarray | None) -> np.ndarray:
        """What the Gaussian process sees of these choreographies (see ``surrogate``)."""
        if self.settings.surrogate == "latent" or vectors is None:
            return latents
        desc = (self._raw_descriptors(vectors) - self._desc_mean) / self._desc_std
        if self.settings.surrogate in ("motion", "arm"):
            return np.asarray(desc)
        return np.hstack([latents, desc])

    def _observed_inputs(self) -> np.ndarray:
        n = len(self.scores)
        if getattr(self, "_obs_cache", (None, -1))[1] != n:
            self._obs_cache = (self._inputs(self.latents, self.vectors), n)
        return self._obs_cache[0]

    def _clip(self, z: np.ndarray) -> np.ndarray:
        r = np.linalg.norm(z, axis=1, keepdims=True)
        return np.asarray(z * np.minimum(1.0, self.radius / np.maximum(r, 1e-12)))

    def _initial_design(self, rng: np.random.Generator) -> np.ndarray:
        """Scrambled Sobol points mapped to N(0, I); the next one first, spares after."""
        sobol = qmc.Sobol(
            self.space_dim, scramble=True, seed=np.random.default_rng([self.seed, 11])
        )
        u = sobol.random(32)[max(self.n_observations - len(self.starts), 0) :]
        z = norm.ppf(np.clip(u, 1e-6, 1 - 1e-6))
        return np.vstack([self._clip(z), self._clip(rng.standard_normal((32, self.space_dim)))])

    def _candidates(self, rng: np.random.Generator) -> np.ndarray:
        s = self.settings
        n = s.n_candidates
        n_local = round(n * s.local_share)
        n_prior = round(n * s.prior_share)
        n_adapt = max(n - n_local - n_prior, 0)
        parts = [self.adapter.sample(n_adapt, rng), rng.standard_normal((n_prior, self.space_dim))]
        if n_local:
            mean, _ = self.gp.predict(self._observed_inputs())
            top = self.latents[np.argsort(-mean, kind="stable")[:5]]
            centres = top[rng.integers(0, len(top), n_local)]
            parts.append(centres + s.local_step * rng.standard_normal((n_local, self.space_dim)))
        return self._clip(np.vstack(parts))

    def _acquisition(self, zs: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        """log expected improvement + (prior_beta / n) log prior density (piBO).

        Expected improvement alone favours the edge of the latent ball, where the
        model knows least; weighting it by the GAN's latent prior raised to a power
        that fades with the number of observations (Hvarfner et al. 2022, piBO)
        keeps early proposals where the prior has its mass, and lets the data
        decide later.
        """
        mean, sd = self.gp.predict(inputs)
        best = float(np.max(self.gp.predict(self._observed_inputs())[0]))
        s = self.settings
        return prior_weighted_log_ei(mean, sd, best, s.xi, zs, s.prior_beta, self.n_observations)

    def _first_valid(
        self, order: np.ndarray, rng: np.random.Generator, decoded: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The first latent in ``order`` (decoded already or not) that passes the safety check."""
        tries = 0
        batch = 4
        for start in range(0, len(order), batch):
            zs = order[start : start + batch]
            if decoded is not None:
                vectors = decoded[start : start + batch]
            else:
                vectors = self._materialise(zs)
            for z, v in zip(zs, vectors, strict=True):
                tries += 1
                if v.tobytes() not in self._rejected and check_choreography(v, self.cfg).ok:
                    return v, np.asarray(z, dtype=np.float64)
                if tries >= self.settings.max_tries:
                    break
            if tries >= self.settings.max_tries:
                break
        # Rare: fall back to fresh prior draws until one is safe.
        for _ in range(1000):
            z = self._clip(rng.standard_normal((1, self.space_dim)))[0]
            z[self.dim :] = 0.0  # the plain prior, unedited
            v = self._materialise(z[None])[0]
            if v.tobytes() not in self._rejected and check_choreography(v, self.cfg).ok:
                return v, z
        raise RuntimeError("the generator produced no safe choreography in 1000 draws")

    def choreographies_at(self, points: np.ndarray) -> np.ndarray:
        """Choreographies ``uint8 (n, 196)`` at search points ``(n, space_dim)`` (the
        latent, then the motion edits; clipped to the search ball first), unchecked.

        The learner's search space, for searches of its own (the benchmark's reference
        optimum searches it too).
        """
        with limited_threads(1):
            return self._materialise(self._clip(np.atleast_2d(np.asarray(points, np.float64))))

    def _materialise(self, points: np.ndarray) -> np.ndarray:
        """Choreographies of search points: decode the latent, then apply the edits.

        Edits act on the decoded keyframes (deg) and durations (s) through the codec:
        each axis is scaled about the choreography's mean pose by
        ``exp(edit_amplitude * e)``, the mean pose moves by ``edit_offset * e`` of
        the axis's range, and durations scale by ``exp(edit_tempo * e)``; results are
        clipped to the envelope and duration range (the safety check still decides).
        """
        vectors = self.generator.decode_latent(points[:, : self.dim].astype(np.float32))
        if self.space_dim == self.dim:
            return vectors
        e = points[:, self.dim :]
        edited = np.flatnonzero(e.any(axis=1))
        if not len(edited):
            return vectors
        s = self.settings
        env = self.cfg.envelope
        dr = self.cfg.segment_duration_s
        e = e[edited]
        q, d = decode_many(vectors[edited], self.cfg)  # (m, 28, 6) deg, (m, 28) s
        centre = q.mean(axis=1, keepdims=True)
        q = (
            centre
            + (s.edit_offset * e[:, None, 6:12]) * (env[:, 1] - env[:, 0])
            + np.exp(s.edit_amplitude * e[:, None, :6]) * (q - centre)
        )
        q = np.clip(q, env[:, 0], env[:, 1])
        d = np.clip(d * np.exp(s.edit_tempo * e[:, 12:13]), dr.min, dr.max)
        out = vectors.copy()
        out[edited] = encode_many(q, d, self.cfg)
        return out

    def _latent_of(self, vector: np.ndarray) -> np.ndarray:
        """A latent decoding closest to ``vector`` (one this learner did not propose)."""
        same = np.flatnonzero((self.vectors == vector).all(axis=1))
        if len(same):
            return self.latents[same[0]].copy()
        gen = torch.Generator().manual_seed(self.seed)
        z = torch.randn(8, self.dim, generator=gen, dtype=torch.float32).requires_grad_(True)
        target = torch.from_numpy(vector.astype(np.float32))[None]
        opt = torch.optim.Adam([z], lr=0.08)
        for _ in range(80):
            opt.zero_grad()
            err = ((self.generator(z) - target) ** 2).mean(dim=1) + 1e-3 * (z**2).sum(dim=1)
            err.sum().backward()
            opt.step()
        with torch.no_grad():
            err = ((self.generator(z) - target) ** 2).mean(dim=1)
        best = z[int(torch.argmin(err))].detach().numpy().astype(np.float64)
        # Unedited: the edit coordinates of a foreign vector are zero.
        return np.concatenate([self._clip(best[None])[0], np.zeros(self.space_dim - self.dim)])

    # -- state (choreo.learning.state) ---------------------------------------------------
    def state_dict(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Arrays and JSON-able metadata describing the learner completely."""
        return state_dict(self)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the learner's state to ``path`` (safetensors + JSON metadata; no pickle)."""
        return save_state(self, path)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        checkpoint: str | os.PathLike[str] | Generator | None = None,
        cfg: RobotConfig | None = None,
    ) -> Learner:
        """Restore a learner saved with :meth:`save` (the generator from ``checkpoint``,
        default the one recorded in the state, else the shipped prior).

        Raises
        ------
        InputError
            The file is missing, not a learner state, or does not fit the generator.
        """
        arrays, meta = read_state(path)
        return cls.from_state_dict(arrays, meta, checkpoint, cfg, where=str(Path(path)))

    @classmethod
    def from_state_dict(
        cls,
        arrays: dict[str, np.ndarray],
        meta: dict[str, Any],
        checkpoint: str | os.PathLike[str] | Generator | None = None,
        cfg: RobotConfig | None = None,
        where: str = "learner state",
    ) -> Learner:
        """A learner from :meth:`state_dict`'s arrays and metadata (see :meth:`load`).

        Raises
        ------
        InputError
            The state does not fit the generator (named with ``where``).
        """
        return restore(cls, arrays, meta, checkpoint, cfg, where)
