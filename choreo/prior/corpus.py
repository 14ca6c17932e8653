"""A procedural prior: valid, varied choreographies made in joint space.

Five families of motion, each drawn with random centre, amplitude, axes, tempo
and durations, then encoded with the robot codec:

- ``drift``: a slow, smooth wander of several axes (a few low cosine modes);
- ``swing``: one to three axes oscillating with a period of 2..28 keyframes;
- ``stillness``: a pose held with a tremor of a degree or two;
- ``repetition``: a motif of 2..7 random poses repeated to fill the 28 keyframes;
- ``sweep``: axes moving from one pose to another, once, there and back, or twice.

Segment durations are lengthened where a segment would need more than the
configured speed and acceleration (a conservative rest-to-rest bound), so that
most draws pass the robot's safety check as they are. Every vector is then
checked with :func:`choreo.robot.safety.check_choreography` under the
configuration with ``stretch = "reject"`` (:func:`strict_config`): it must pass
*and* be performed exactly as requested, no segment slowed down by the
planner. The few that fail are replaced by fresh draws of the same family
(never altered), and the share that failed before resampling is reported per
family.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from numpy.typing import NDArray

if TYPE_CHECKING:
    from choreo.robot.config import RobotConfig

#: Families of the prior, in label order (``PriorBatch.family`` indexes this).
FAMILIES: tuple[str, ...] = ("drift", "swing", "stillness", "repetition", "sweep")
DEFAULT_WEIGHTS: dict[str, float] = {
    "drift": 1.0,
    "swing": 1.0,
    "stillness": 0.5,
    "repetition": 1.0,
    "sweep": 1.0,
}
N_KEYFRAMES = 28
#: Bump when the generation changes, so that cached corpora are not reused.
PRIOR_VERSION = 2

# Fraction of the rest-to-rest minimum time added to each segment: keeps most
# draws clear of the planner's limits after byte rounding.
_TIME_MARGIN = 1.3


@dataclass(frozen=True)
class PriorBatch:
    """Checked choreographies with their family labels.

    Attributes
    ----------
    vectors : uint8 (n, 196)
        Choreographies, each passing ``check_choreography`` unaltered.
    family : int (n,)
        Index into :data:`FAMILIES`.
    drawn, failed : int (n_families,)
        Draws per family before resampling, and how many of those failed the check.
    """

    vectors: NDArray[np.uint8]
    family: NDArray[np.int64]
    drawn: NDArray[np.int64]
    failed: NDArray[np.int64]

    @property
    def failed_share(self) -> float:
        """Share of first draws that failed the safety check (0..1)."""
        return float(self.failed.sum() / max(int(self.drawn.sum()), 1))

    def family_counts(self) -> dict[str, int]:
        """Number of vectors per family."""
        counts = np.bincount(self.family, minlength=len(FAMILIES))
        return {name: int(c) for name, c in zip(FAMILIES, counts, strict=True)}


@dataclass(frozen=True)
class _Ranges:
    """The robot numbers the generation needs, deg and s."""

    lo: NDArray[np.float64]
    hi: NDArray[np.float64]
    home: NDArray[np.float64]
    dmin: float
    dmax: float

    @property
    def span(self) -> NDArray[np.float64]:
        return self.hi - self.lo


def _ranges(cfg: RobotConfig) -> _Ranges:
    from choreo.robot import kr6

    env = cfg.envelope
    lo, hi = env[:, 0].copy(), env[:, 1].copy()
    return _Ranges(
        lo=lo,
        hi=hi,
        home=np.clip(kr6.HOME_DEG, lo, hi),
        dmin=float(cfg.segment_duration_s.min),
        dmax=float(cfg.segment_duration_s.max),
    )


class SegmentTiming:
    """The prior's timing rule: a conservative time each segment needs, s.

    Per axis, the rest-to-rest minimum time under the configured speed and
    acceleration (triangle or trapezoid profile) plus ``a/j`` for the jerk
    limit (or the jerk-only time of short moves), times ``margin``; the segment
    needs its slowest axis. Segment 1 starts at HOME, as the planner's does.
    In torch so that the prior (numpy in, numpy out) and the generator's
    training penalty (differentiable) use the same rule.
    """

    def __init__(self, cfg: RobotConfig, margin: float = _TIME_MARGIN) -> None:
        from choreo.robot import kr6
        from choreo.robot.codec import decode

        self.margin = margin
        self.vmax = torch.as_tensor(cfg.max_speed, dtype=torch.float64)
        self.amax = torch.as_tensor(cfg.max_accel, dtype=torch.float64)
        self.jmax = torch.as_tensor(cfg.max_jerk, dtype=torch.float64)
        self.home = torch.as_tensor(kr6.HOME_DEG, dtype=torch.float64)
        # the codec's byte -> deg / s map is affine: read it off the codec at 0 and 255
        low = decode(np.zeros(196, np.uint8), cfg)
        high = decode(np.full(196, 255, np.uint8), cfg)
        self.deg0 = torch.as_tensor(low.keyframes_deg[0])
        self.deg_per_byte = torch.as_tensor(high.keyframes_deg[0] - low.keyframes_deg[0]) / 255
        self.s0 = float(low.durations_s[0])
        self.s_per_byte = float(high.durations_s[0] - low.durations_s[0]) / 255

    def needed(self, keyframes: torch.Tensor) -> torch.Tensor:
        """Time each segment needs, ``(n, 28)`` s, for keyframes ``(n, 28, 6)`` deg."""
        k = keyframes.to(torch.float64)
        prev = torch.cat([self.home.expand(k.shape[0], 1, 6), k[:, :-1]], dim=1)
        # a floor under the distance keeps the gradients of sqrt and cbrt finite
        delta = (k - prev).abs().clamp_min(1e-9)
        triangle = 2.0 * torch.sqrt(delta / self.amax)
        trapezoid = delta / self.vmax + self.vmax / self.amax
        need = torch.where(delta <= self.vmax**2 / self.amax, triangle, trapezoid)
        jerk_only = torch.pow(32.0 * delta / self.jmax, 1.0 / 3.0)
        need = torch.maximum(need + self.amax / self.jmax, jerk_only)
        return need.amax(dim=2) * self.margin

    def excess(self, x: torch.Tensor) -> torch.Tensor:
        """By how much each segment of byte-scale vectors ``x (n, 196)`` is too short, s."""
        v = x.to(torch.float64).reshape(-1, 28, 7)
        keyframes = self.deg0 + v[..., :6] * self.deg_per_byte
        durations = self.s0 + v[..., 6] * self.s_per_byte
        return torch.relu(self.needed(keyframes) - durations)


def strict_config(cfg: RobotConfig) -> RobotConfig:
    """``cfg`` with ``stretch = "reject"``: a vector passes only if performed as requested."""
    from choreo.robot.config import robot_config_with

    return cfg if cfg.stretch == "reject" else robot_config_with(cfg, stretch="reject")


class ProceduralPrior:
    """Draws valid, varied choreographies for a robot configuration.

    Parameters
    ----------
    cfg : RobotConfig
        Envelope, duration range and speed scale; the codec and the safety
        check use the same configuration.
    seed : int
        Seed of the numpy random generator; the same seed gives the same vectors.
    family_weights : dict, optional
        Relative frequency of each family (missing families get weight 0).
    """

    def __init__(
        self,
        cfg: RobotConfig,
        seed: int = 0,
        family_weights: dict[str, float] | None = None,
    ) -> None:
        weights = dict(DEFAULT_WEIGHTS if family_weights is None else family_weights)
        unknown = sorted(set(weights) - set(FAMILIES))
        if unknown:
            from choreo.errors import ConfigError

            raise ConfigError(f"unknown prior families {unknown} (known: {', '.join(FAMILIES)})")
        w = np.array([max(float(weights.get(f, 0.0)), 0.0) for f in FAMILIES])
        if w.sum() <= 0:
            from choreo.errors import ConfigError

            raise ConfigError("prior family weights must not all be zero")
        self.cfg = cfg
        self.seed = seed
        self.weights = w / w.sum()
        self._r = _ranges(cfg)
        self._timing = SegmentTiming(cfg)
        self._rng = np.random.default_rng(seed)
        self._makers: dict[
            str, Callable[[int], tuple[NDArray[np.float64], NDArray[np.float64]]]
        ] = {
            "drift": self._drift,
            "swing": self._swing,
            "stillness": self._stillness,
            "repetition": self._repetition,
            "sweep": self._sweep,
        }

    # -- public -----------------------------------------------------------------

    def sample(self, n: int) -> NDArray[np.uint8]:
        """``n`` checked choreographies, ``uint8 (n, 196)``."""
        return self.sample_batch(n).vectors

    def sample_batch(
        self, n: int, progress: Callable[[int], None] | None = None, max_rounds: int = 20
    ) -> PriorBatch:
        """``n`` checked choreographies with family labels and failure counts.

        Parameters
        ----------
        n : int
            How many.
        progress : callable, optional
            Called with the number of vectors checked since the last call.
        max_rounds : int
            Resampling rounds before giving up (a RuntimeError: the configuration
            leaves no room for the family).
        """
        from choreo.robot.safety import check_choreography

        strict = strict_config(self.cfg)
        k = len(FAMILIES)
        counts = self._rng.multinomial(n, self.weights)
        drawn = np.zeros(k, dtype=np.int64)
        failed = np.zeros(k, dtype=np.int64)
        vectors = np.empty((n, 196), dtype=np.uint8)
        family = np.repeat(np.arange(k, dtype=np.int64), counts)
        start = 0
        for fi, name in enumerate(FAMILIES):
            need = int(counts[fi])
            out: list[NDArray[np.uint8]] = []
            first = True
            for _ in range(max_rounds):
                if need == 0:
                    break
                cand = self.draw(name, need)
                ok = np.array([check_choreography(v, strict).ok for v in cand], dtype=bool)
                if progress is not None:
                    progress(len(cand))
                if first:
                    drawn[fi] += len(cand)
                    failed[fi] += int((~ok).sum())
                    first = False
                out.append(cand[ok])
                need -= int(ok.sum())
            if need > 0:
                raise RuntimeError(f"prior family {name!r}: too many draws fail the safety check")
            got = np.concatenate(out) if out else np.empty((0, 196), dtype=np.uint8)
            vectors[start : start + len(got)] = got
            start += len(got)
        order = self._rng.permutation(n)
        return PriorBatch(vectors[order], family[order], drawn, failed)

    def draw(self, family: str, n: int) -> NDArray[np.uint8]:
        """``n`` encoded draws of one family, *not* yet safety-checked."""
        keyframes, durations = self._makers[family](n)
        keyframes, durations = self._fit_time(keyframes, durations)
        return _encode_all(keyframes, durations, self.cfg)

    # -- common pieces ------------------------------------------------------------

    def _centre(self, n: int) -> NDArray[np.float64]:
        """Centres spread over the envelope, denser near home (where most poses are safe)."""
        r = self._r
        p = self._rng.uniform(r.lo + 0.1 * r.span, r.hi - 0.1 * r.span, size=(n, 6))
        s = self._rng.uniform(0.0, 1.0, size=(n, 1))
        return np.clip(r.home + s * (p - r.home), r.lo, r.hi)

    def _room(self, centre: NDArray[np.float64]) -> NDArray[np.float64]:
        """Largest symmetric excursion (deg) around ``centre`` that stays in the envelope."""
        return np.minimum(centre - self._r.lo, self._r.hi - centre)

    def _limit(
        self, centre: NDArray[np.float64], offset: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Scale each axis's excursion ``offset (n, 28, 6)`` down to fit the envelope."""
        peak = np.abs(offset).max(axis=1)  # (n, 6)
        room = self._room(centre)
        scale = np.where(peak > room, room / np.maximum(peak, 1e-9), 1.0)
        return centre[:, None, :] + offset * scale[:, None, :]

    def _amplitude(self, n: int, lo: float, hi: float) -> NDArray[np.float64]:
        return self._rng.uniform(lo, hi, size=(n, 6)) * self._r.span

    def _axes(self, n: int, p: float) -> NDArray[np.float64]:
        """Random axis masks with at least one axis on."""
        mask = self._rng.random((n, 6)) < p
        none = ~mask.any(axis=1)
        mask[none, self._rng.integers(0, 6, size=int(none.sum()))] = True
        return mask.astype(np.float64)

    def _durations(self, n: int, lo: float, hi: float, jitter: float) -> NDArray[np.float64]:
        """A tempo per choreography (fraction ``lo..hi`` of the range) with per-segment jitter."""
        r = self._r
        base = r.dmin + self._rng.uniform(lo, hi, size=(n, 1)) * (r.dmax - r.dmin)
        d = base * (1.0 + jitter * self._rng.uniform(-1.0, 1.0, size=(n, N_KEYFRAMES)))
        return np.clip(d, r.dmin, r.dmax)

    def _fit_time(
        self, keyframes: NDArray[np.float64], durations: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Lengthen segments too short for the limits (:class:`SegmentTiming`); shrink
        motions that would need more than the longest duration."""
        r = self._r
        k = keyframes.copy()
        for _ in range(6):
            need = self._timing.needed(torch.from_numpy(k)).numpy()
            too_long = need > r.dmax
            if not too_long.any():
                break
            # shrink the offending choreographies toward their mean pose
            rows = too_long.any(axis=1)
            mean = k[rows].mean(axis=1, keepdims=True)
            k[rows] = mean + 0.7 * (k[rows] - mean)
            k[rows, 0] = r.home + 0.7 * (k[rows, 0] - r.home)
        durations = np.clip(np.maximum(durations, need), r.dmin, r.dmax)
        return k, durations

    # -- families ----------------------------------------------------------------

    def _drift(self, n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        t = np.arange(N_KEYFRAMES) / (N_KEYFRAMES - 1)
        centre = self._centre(n)
        offset = np.zeros((n, N_KEYFRAMES, 6))
        mask = self._axes(n, 0.6)
        for mode in (1, 2, 3):
            amp = self._amplitude(n, 0.02, 0.25) / mode * mask
            phase = self._rng.uniform(0, 2 * np.pi, size=(n, 6))
            offset += amp[:, None, :] * np.cos(np.pi * mode * t[None, :, None] + phase[:, None, :])
        return self._limit(centre, offset), self._durations(n, 0.5, 1.0, 0.15)

    def _swing(self, n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        t = np.arange(N_KEYFRAMES, dtype=np.float64)
        centre = self._centre(n)
        n_axes = self._rng.integers(1, 4, size=n)
        order = np.argsort(self._rng.random((n, 6)), axis=1)
        mask = (np.argsort(order, axis=1) < n_axes[:, None]).astype(np.float64)
        amp = self._amplitude(n, 0.05, 0.4) * mask
        periods = np.array([2, 3, 4, 4, 6, 7, 8, 14, 28], dtype=np.float64)
        period = self._rng.choice(periods, size=(n, 1))
        shared = self._rng.random((n, 1)) < 0.5
        phase = np.where(
            shared,
            self._rng.uniform(0, 2 * np.pi, size=(n, 1)),
            self._rng.uniform(0, 2 * np.pi, size=(n, 6)),
        )
        # period 2 with a phase near 0 would not move: keep the swing visible
        phase = np.where(period == 2, np.pi / 2 + 0.3 * (phase / np.pi - 1.0), phase)
        offset = amp[:, None, :] * np.sin(
            2 * np.pi * t[None, :, None] / period[:, :, None] + phase[:, None, :]
        )
        # a tempo that stays, speeds up or slows down over the choreography
        d = self._durations(n, 0.0, 1.0, 0.0)
        trend = self._rng.choice([0.0, 0.0, -0.4, 0.4], size=(n, 1)) * (
            t[None, :] / (N_KEYFRAMES - 1)
        )
        d = np.clip(d * (1.0 + trend), self._r.dmin, self._r.dmax)
        return self._limit(centre, offset), d

    def _stillness(self, n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        centre = self._centre(n)
        tremor = self._rng.uniform(0.2, 2.0, size=(n, 1, 1))
        noise = self._rng.standard_normal((n, N_KEYFRAMES + 2, 6))
        smooth = (noise[:, :-2] + noise[:, 1:-1] + noise[:, 2:]) / np.sqrt(3.0)
        return self._limit(centre, tremor * smooth), self._durations(n, 0.0, 1.0, 0.3)

    def _repetition(self, n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        centre = self._centre(n)
        length = self._rng.integers(2, 8, size=n)
        amp = self._amplitude(n, 0.03, 0.3) * self._axes(n, 0.6)
        motif = self._rng.uniform(-1.0, 1.0, size=(n, 7, 6)) * amp[:, None, :]
        motif_d = self._durations(n, 0.0, 1.0, 0.0)[:, :7] * self._rng.uniform(
            0.5, 1.5, size=(n, 7)
        )
        idx = np.arange(N_KEYFRAMES)[None, :] % length[:, None]  # (n, 28)
        rows = np.arange(n)[:, None]
        offset = motif[rows, idx]
        d = np.clip(motif_d[rows, idx], self._r.dmin, self._r.dmax)
        return self._limit(centre, offset), d

    def _sweep(self, n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        t = np.arange(N_KEYFRAMES) / (N_KEYFRAMES - 1)
        centre = self._centre(n)
        amp = self._amplitude(n, 0.1, 0.45) * self._axes(n, 0.5)
        direction = self._rng.choice([-1.0, 1.0], size=(n, 6))
        shape = self._rng.integers(0, 4, size=(n, 1))
        ramp = 2.0 * t - 1.0  # one way
        ease = 2.0 * (3 * t**2 - 2 * t**3) - 1.0  # one way, eased
        there_back = 1.0 - 2.0 * np.abs(2.0 * t - 1.0)  # there and back
        twice = 1.0 - 2.0 * np.abs(2.0 * ((2.0 * t) % 1.0) - 1.0)  # two sweeps
        curves = np.stack([ramp, ease, there_back, twice])  # (4, 28)
        offset = (amp * direction)[:, None, :] * curves[shape[:, 0]][:, :, None]
        return self._limit(centre, offset), self._durations(n, 0.2, 0.8, 0.1)


def _encode_all(
    keyframes: NDArray[np.float64], durations: NDArray[np.float64], cfg: RobotConfig
) -> NDArray[np.uint8]:
    """Encode ``(n, 28, 6)`` deg keyframes and ``(n, 28)`` s durations with the robot codec."""
    from choreo.robot.codec import Choreography, encode

    out = np.empty((len(keyframes), 196), dtype=np.uint8)
    for i in range(len(keyframes)):
        out[i] = encode(Choreography(keyframes[i], durations[i]), cfg)
    return out


# -- the corpus ---------------------------------------------------------------------


def corpus_cache_key(cfg: RobotConfig, seed: int, size: int, weights: dict[str, float]) -> str:
    """A name for a corpus that changes whenever anything that shaped it changes."""
    from choreo.prior.checkpoint import robot_fingerprint

    blob = json.dumps(
        {
            "v": PRIOR_VERSION,
            "robot": robot_fingerprint(cfg).config_hash,
            "cfg": cfg.model_dump(mode="json"),
            "seed": seed,
            "size": size,
            "weights": {k: float(v) for k, v in sorted(weights.items())},
        },
        sort_keys=True,
    )
    return f"corpus-s{seed}-n{size}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def build_corpus(
    cfg: RobotConfig,
    seed: int,
    size: int,
    weights: dict[str, float] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[PriorBatch, bool]:
    """Draw (or load from the cache) a corpus of ``size`` checked choreographies.

    Returns
    -------
    batch : PriorBatch
        The corpus.
    cached : bool
        Whether it came from ``cache_dir`` (an ``.npz`` named by seed, size and a hash).
    """
    w = dict(DEFAULT_WEIGHTS if weights is None else weights)
    path: Path | None = None
    if cache_dir:
        path = Path(cache_dir).expanduser() / (corpus_cache_key(cfg, seed, size, w) + ".npz")
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as f:
                    batch = PriorBatch(f["vectors"], f["family"], f["drawn"], f["failed"])
                if batch.vectors.shape == (size, 196) and batch.vectors.dtype == np.uint8:
                    if progress is not None:
                        progress(size)
                    return batch, True
            except (OSError, ValueError, KeyError):
                pass  # a damaged cache is rebuilt
    batch = ProceduralPrior(cfg, seed, w).sample_batch(size, progress=progress)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(
            tmp, vectors=batch.vectors, family=batch.family, drawn=batch.drawn, failed=batch.failed
        )
        os.replace(tmp, path)
    return batch, False
