"""The methods choreo's learner is compared with, behind the learner's own interface.

Every method has ``propose() -> uint8 (196,)``, ``update(vector, score)`` and
``recommend() -> uint8 (196,)`` (what it would hand over as its best choreography
after the evaluations so far), so :mod:`choreo.evaluation.benchmark` runs them all the
same way.

- :class:`RandomSearch`: uniformly random bytes; draws that fail the safety check are
  redrawn before anyone sees them (free). Recommends its best noisy observation.
- :class:`PriorSampling`: choreo's pretrained GAN prior sampled without learning
  (latent ~ N(0, I)); recommends its best noisy observation. It shows how much of the
  learner's result is the prior and how much the learning.
- :class:`CmaEsRaw`: CMA-ES (pycma) on the raw 196 values, bounded to 0..255, rounded
  for evaluation. Candidates that fail the safety check are resampled from the same
  search distribution (up to :data:`MAX_RESAMPLE` times, not counted); if none is
  safe, the unsafe vector is still returned and the benchmark scores it as a
  rejected trial (counted, scored below everything seen). Recommends the rounded
  distribution mean when it is safe, otherwise its best noisy observation.
- :class:`FBGAN`: the feedback GAN of Gupta & Zou (2019), see its docstring.
- :class:`EarlierFavourite`: what earlier people of the same kind know of a new one,
  without learning from the new person: shows the earlier favourites (the
  "population" method's starts), then prior samples, and always recommends the
  favourite that the earlier people's models rank first. The "population" learner
  is measured against it.
"""

from __future__ import annotations

import os
from collections import deque
from typing import Any, Protocol

import numpy as np
import torch

from choreo.prior.model import Critic, Generator, dequantise, to_unit
from choreo.prior.train import _gradient_penalty
from choreo.robot.codec import VECTOR_LEN, as_vector
from choreo.robot.config import RobotConfig, load_robot_config
from choreo.robot.safety import check_choreography

#: Redraws of a candidate that fails the safety check before giving up on it.
MAX_RESAMPLE = 100


class SearchMethod(Protocol):
    """What the benchmark needs of a method (choreo's ``Learner`` has it too)."""

    def propose(self) -> np.ndarray: ...

    def update(self, vector: Any, score: Any) -> None: ...

    def recommend(self) -> np.ndarray: ...


def is_safe(vector: np.ndarray, cfg: RobotConfig) -> bool:
    """Whether the robot's safety layer accepts ``vector`` as it is."""
    return bool(check_choreography(vector, cfg).ok)


def random_safe(rng: np.random.Generator, cfg: RobotConfig) -> np.ndarray:
    """A uniform random vector ``uint8 (196,)`` that passes the safety check, redrawn
    from ``rng`` until one does (about a third of uniform vectors are safe as they are)."""
    while True:
        v = rng.integers(0, 256, VECTOR_LEN, dtype=np.uint8)
        if is_safe(v, cfg):
            return v


class _BestObserved:
    """Keeps every scored vector; recommends the one with the best (noisy) score."""

    def __init__(self) -> None:
        self.vectors: list[np.ndarray] = []
        self.scores: list[float] = []

    def update(self, vector: Any, score: Any) -> None:
        self.vectors.append(as_vector(vector))
        self.scores.append(float(score))

    def recommend(self) -> np.ndarray:
        if not self.scores:
            return self.propose()  # type: ignore[attr-defined]
        return self.vectors[int(np.argmax(self.scores))].copy()


class RandomSearch(_BestObserved):
    """Uniformly random safe choreographies."""

    def __init__(self, seed: int, cfg: RobotConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg if cfg is not None else load_robot_config()
        self.rng = np.random.default_rng([int(seed), 101])

    def propose(self) -> np.ndarray:
        return random_safe(self.rng, self.cfg)


class PriorSampling(_BestObserved):
    """Samples of choreo's pretrained GAN prior, no learning."""

    def __init__(
        self,
        seed: int,
        cfg: RobotConfig | None = None,
        checkpoint: str | os.PathLike[str] | Generator | None = None,
    ) -> None:
        super().__init__()
        from choreo.prior.checkpoint import load_generator

        self.cfg = cfg if cfg is not None else load_robot_config()
        if isinstance(checkpoint, Generator):
            self.generator = checkpoint
        else:
            self.generator, _ = load_generator(checkpoint, robot=self.cfg)
        self.rng = np.random.default_rng([int(seed), 202])

    def propose(self) -> np.ndarray:
        for _ in range(MAX_RESAMPLE):
            v = self.generator.sample(1, self.rng)[0]
            if is_safe(v, self.cfg):
                return v
        return v


class EarlierFavourite(PriorSampling):
    """The earlier people's favourites, shown first; the first is always recommended.

    Parameters
    ----------
    starts : ndarray, shape (k, 196), uint8
        The earlier favourites, best first (:func:`choreo.learning.population.population_starts`).
    seed, cfg, checkpoint
        As for :class:`PriorSampling`, which proposes after the starts.
    """

    def __init__(
        self,
        starts: np.ndarray,
        seed: int,
        cfg: RobotConfig | None = None,
        checkpoint: str | os.PathLike[str] | Generator | None = None,
    ) -> None:
        super().__init__(seed, cfg, checkpoint)
        self.starts = np.stack([as_vector(v) for v in np.atleast_2d(starts)])

    def propose(self) -> np.ndarray:
        if len(self.scores) < len(self.starts):
            return self.starts[len(self.scores)].copy()
        return super().propose()

    def recommend(self) -> np.ndarray:
        return self.starts[0].copy()


class CmaEsRaw:
    """CMA-ES on the 196 raw values (pycma), minimising the negated score."""

    def __init__(self, seed: int, cfg: RobotConfig | None = None, sigma0: float = 64.0) -> None:
        import cma

        self.cfg = cfg if cfg is not None else load_robot_config()
        rng = np.random.default_rng([int(seed), 303])
        # Start from a random safe vector (the centre of the box would be a motionless
        # pose, which would favour CMA-ES on participants who like stillness).
        while True:
            x0 = rng.integers(0, 256, VECTOR_LEN).astype(np.float64)
            if is_safe(np.rint(x0).astype(np.uint8), self.cfg):
                break
        self.es = cma.CMAEvolutionStrategy(
            x0,
            sigma0,
            {"bounds": [0.0, 255.0], "seed": int(seed) + 1, "verbose": -9, "CMA_diagonal": False},
        )
        self._queue: deque[tuple[np.ndarray, np.ndarray]] = deque()
        self._told: list[tuple[np.ndarray, float]] = []
        self._best: tuple[float, np.ndarray] | None = None

    @staticmethod
    def _round(x: np.ndarray) -> np.ndarray:
        return np.asarray(np.clip(np.rint(x), 0, 255).astype(np.uint8))

    def _safe_candidate(self, x: np.ndarray) -> np.ndarray:
        for _ in range(MAX_RESAMPLE):
            if is_safe(self._round(x), self.cfg):
                return x
            x = np.asarray(self.es.ask(1)[0])
        return x

    def propose(self) -> np.ndarray:
        if not self._queue:
            for x in self.es.ask():
                x = self._safe_candidate(np.asarray(x))
                self._queue.append((x, self._round(x)))
        return self._queue[0][1].copy()

    def update(self, vector: Any, score: Any) -> None:
        v = as_vector(vector)
        x, rounded = self._queue.popleft()
        if not np.array_equal(v, rounded):
            raise ValueError("CmaEsRaw.update expects the vector it proposed last")
        s = float(score)
        self._told.append((x, -s))
        if self._best is None or s > self._best[0]:
            self._best = (s, v.copy())
        if not self._queue:
            xs, fs = zip(*self._told, strict=True)
            self.es.tell(list(xs), list(fs))
            self._told = []

    def recommend(self) -> np.ndarray:
        mean = self._round(np.asarray(self.es.mean))
        if is_safe(mean, self.cfg) or self._best is None:
            return mean
        return self._best[1].copy()


class FBGAN(_BestObserved):
    """The feedback GAN (Gupta & Zou, 2019, Nature Machine Intelligence 1:105-111).

    As published: a WGAN-GP pretrained on real data; then, in every feedback
    epoch, a batch of generated samples is scored by the analyser, the samples
    scoring above a *fixed threshold* replace the *oldest* samples of the
    critic's real set (whose size stays fixed), and the GAN trains one epoch on
    the updated set. Here the analyser is the (noisy) participant, so every
    generated sample scored costs one evaluation.

    What we had to assume (the published code could not be consulted):

    - The starting GAN is choreo's pretrained prior (generator and critic) and
      the real set is a fresh sample of the same procedural corpus it was trained
      on (``real_size`` vectors, oldest first in draw order).
    - The analyser of the paper returns a probability and the threshold is fixed
      at 0.8; our scores are z units without such an anchor, so the threshold
      is fixed once, after the first feedback batch, at that batch's
      ``threshold_quantile`` quantile, and then kept.
    - Batches are ``batch_size`` samples (the paper scores hundreds per epoch; a
      session has about a hundred evaluations in all), and "one epoch" on the
      real set is ``real_size / 64`` generator steps with ``critic_steps`` critic
      steps each (WGAN-GP, gradient penalty 10, Adam 1e-4, betas (0.5, 0.9)).
    - Samples failing the robot's safety check are redrawn unscored.
    - Recommendation: the best scored sample (FBGAN has no other estimate).
    """

    def __init__(
        self,
        seed: int,
        cfg: RobotConfig | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        batch_size: int = 8,
        real_size: int = 128,
        threshold_quantile: float = 0.75,
        critic_steps: int = 5,
        lr: float = 1e-4,
        gp_weight: float = 10.0,
    ) -> None:
        super().__init__()
        from choreo.prior.checkpoint import load_checkpoint
        from choreo.prior.corpus import ProceduralPrior

        self.cfg = cfg if cfg is not None else load_robot_config()
        gen, critic, _ = load_checkpoint(checkpoint, robot=self.cfg, with_critic=True)
        self.generator: Generator = gen
        self.critic: Critic = critic if critic is not None else Critic()
        self.rng = np.random.default_rng([int(seed), 404])
        self.torch_rng = torch.Generator().manual_seed(int(seed) + 404)
        # Oldest first: positives are appended at the end and the front is dropped.
        self.real: deque[np.ndarray] = deque(
            ProceduralPrior(self.cfg, seed=int(seed) + 404).sample(real_size)
        )
        self.batch_size = batch_size
        self.threshold_quantile = threshold_quantile
        self.threshold: float | None = None
        self.critic_steps = critic_steps
        self.gp_weight = gp_weight
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=lr, betas=(0.5, 0.9))
        self.opt_c = torch.optim.Adam(self.critic.parameters(), lr=lr, betas=(0.5, 0.9))
        self._queue: deque[np.ndarray] = deque()
        self._batch: list[tuple[np.ndarray, float]] = []
        self.replaced = 0

    def propose(self) -> np.ndarray:
        if not self._queue:
            while len(self._queue) < self.batch_size:
                v = self.generator.sample(1, self.rng)[0]
                if is_safe(v, self.cfg):
                    self._queue.append(v)
        return self._queue[0].copy()

    def update(self, vector: Any, score: Any) -> None:
        v = as_vector(vector)
        self._queue.popleft()
        super().update(v, score)
        self._batch.append((v, float(score)))
        if not self._queue:
            self._feedback()

    def _feedback(self) -> None:
        scores = np.array([s for _, s in self._batch])
        if self.threshold is None:
            self.threshold = float(np.quantile(scores, self.threshold_quantile))
        for v, s in self._batch:
            if s > self.threshold:
                self.real.popleft()
                self.real.append(v)
                self.replaced += 1
        self._batch = []
        self._train_epoch()

    def _train_epoch(self, batch: int = 64) -> None:
        data = torch.from_numpy(np.array(self.real, dtype=np.float32))
        steps = max(1, len(data) // batch)
        self.generator.train()
        for _ in range(steps):
            for _ in range(self.critic_steps):
                idx = torch.randint(0, len(data), (batch,), generator=self.torch_rng)
                real = dequantise(data[idx], self.torch_rng)
                z = torch.randn(batch, self.generator.latent_dim, generator=self.torch_rng)
                fake = self.generator(z).detach()
                # The same WGAN-GP penalty as the prior's pretraining (on the unit scale).
                penalty = _gradient_penalty(
                    self.critic, to_unit(real), to_unit(fake), self.torch_rng
                )
                loss_c = (
                    self.critic(fake).mean() - self.critic(real).mean() + self.gp_weight * penalty
                )
                self.opt_c.zero_grad()
                loss_c.backward()
                self.opt_c.step()
            z = torch.randn(batch, self.generator.latent_dim, generator=self.torch_rng)
            loss_g = -self.critic(self.generator(z)).mean()
            self.opt_g.zero_grad()
            loss_g.backward()
            self.opt_g.step()
        self.generator.eval()


#: Methods the benchmark knows, by name (choreo's learner is added by the benchmark).
BASELINES = {
    "prior": PriorSampling,
    "random": RandomSearch,
    "cmaes": CmaEsRaw,
    "fbgan": FBGAN,
}
