"""Speed of the GAN prior's parts: corpus drawing, the safety check, the generator.

Figures: procedural draws per second (generation and encoding, no check),
checked corpus vectors per second (draw + ``check_choreography``), and the
generator's ``decode_latent`` for one latent and for a batch of 1000. Anchor
measured in the same run: one ``check_choreography`` of a corpus vector (the
cost that bounds the corpus; median over 60 draws of all families). Writes
bench/results/prior.json.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np


def _median_ms(fn: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def main(n_draw: int = 5000, n_checked: int = 300) -> dict[str, float]:
    from choreo.prior.checkpoint import DEFAULT_CHECKPOINT, load_generator
    from choreo.prior.corpus import FAMILIES, ProceduralPrior, strict_config
    from choreo.prior.model import Generator
    from choreo.robot.config import load_robot_config
    from choreo.robot.safety import check_choreography

    cfg = load_robot_config()
    prior = ProceduralPrior(cfg, seed=0)
    per_family = n_draw // len(FAMILIES)
    t0 = time.perf_counter()
    drawn = np.concatenate([prior.draw(f, per_family) for f in FAMILIES])
    draw_s = time.perf_counter() - t0

    strict = strict_config(cfg)
    # the anchor: one check, median over 60 different draws (cost grows with duration)
    picks = iter(drawn[:: max(len(drawn) // 60, 1)][:60])
    check_ms = _median_ms(lambda: check_choreography(next(picks), strict), 60)

    t0 = time.perf_counter()
    batch = ProceduralPrior(cfg, seed=1).sample_batch(n_checked)
    checked_s = time.perf_counter() - t0

    gen = load_generator()[0] if DEFAULT_CHECKPOINT.is_file() else Generator()
    z1 = np.zeros((1, gen.latent_dim), np.float32)
    z1000 = np.random.default_rng(0).standard_normal((1000, gen.latent_dim)).astype(np.float32)
    one_ms = _median_ms(lambda: gen.decode_latent(z1), 50)
    batch_ms = _median_ms(lambda: gen.decode_latent(z1000), 10)

    result = {
        "draws_per_s": len(drawn) / draw_s,
        "checked_per_s": n_checked / checked_s,
        "corpus_10k_estimate_s": 10000 / (n_checked / checked_s),
        "failed_before_resampling": batch.failed_share,
        "anchor_check_ms": check_ms,
        "decode_latent_1_ms": one_ms,
        "decode_latent_1000_ms": batch_ms,
    }
    print(f"procedural draws (no check): {result['draws_per_s']:9.0f} /s")
    print(
        f"checked corpus vectors:      {result['checked_per_s']:9.1f} /s"
        f"   (anchor: one check_choreography = {check_ms:.2f} ms"
        f" -> {1000 / check_ms:.1f} /s at most)"
    )
    print(f"  10k corpus estimate:       {result['corpus_10k_estimate_s']:9.0f} s")
    print(f"  failed before resampling:  {batch.failed_share:9.2%}")
    print(f"generator decode, 1 latent:  {one_ms:9.3f} ms   (anchor check: {check_ms:.2f} ms)")
    print(f"generator decode, 1000:      {batch_ms:9.2f} ms")
    out = Path(__file__).resolve().parent / "results" / "prior.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    from choreo.runtime import configure_process

    configure_process(threads=1)
    main()
