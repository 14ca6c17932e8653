"""Speed of the learner: propose (<= 50 ms) and update (<= 1 s) on 2 CPU cores.

Runs a learner for 100 evaluations (``--evaluations N``) against a synthetic
participant and times every call. Anchors measured in the same run: one safety check
of a choreography (which every proposal includes) and one generator forward pass. Writes
bench/results/learner.json (``learner-<N>.json`` for another number of evaluations).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch


def main(evaluations: int = 100, seed: int = 0) -> dict[str, object]:
    from choreo.evaluation.participants import CalmParticipant
    from choreo.learning.learner import Learner
    from choreo.prior.checkpoint import load_generator
    from choreo.robot.config import load_robot_config
    from choreo.robot.safety import check_choreography

    cfg = load_robot_config()
    gen, _ = load_generator()
    learner = Learner(gen, seed=seed)
    person = CalmParticipant(seed)
    prop, upd = [], []
    for _ in range(evaluations):
        t0 = time.perf_counter()
        v = learner.propose()
        t1 = time.perf_counter()
        s = person.respond(v)
        t2 = time.perf_counter()
        learner.update(v, s)
        upd.append(time.perf_counter() - t2)
        prop.append(t1 - t0)
    vec = learner.recommend()
    check = []
    for _ in range(20):
        t0 = time.perf_counter()
        check_choreography(vec, cfg)
        check.append(time.perf_counter() - t0)
    fwd = []
    z = np.zeros((1, gen.latent_dim), np.float32)
    for _ in range(50):
        t0 = time.perf_counter()
        gen.decode_latent(z)
        fwd.append(time.perf_counter() - t0)

    def stats(x: list[float]) -> dict[str, float]:
        a = np.array(x) * 1e3
        return {
            "median_ms": float(np.median(a)),
            "p95_ms": float(np.percentile(a, 95)),
            "max_ms": float(a.max()),
        }

    out = {
        "evaluations": evaluations,
        "torch_threads": torch.get_num_threads(),
        "propose": stats(prop),
        "update": stats(upd),
        "update_last10": stats(upd[-10:]),
        "anchor_safety_check": stats(check),
        "anchor_generator_forward": stats(fwd),
        "targets_ms": {"propose": 50.0, "update": 1000.0},
    }
    print(
        f"propose  median {out['propose']['median_ms']:7.1f} ms  "
        f"p95 {out['propose']['p95_ms']:7.1f}  max {out['propose']['max_ms']:7.1f}"
        "   (target <= 50 ms)"
    )
    print(
        f"update   median {out['update']['median_ms']:7.1f} ms  p95 {out['update']['p95_ms']:7.1f}"
        f"  max {out['update']['max_ms']:7.1f}   (target <= 1000 ms; n = {evaluations})"
    )
    print(
        f"anchor: one safety check {out['anchor_safety_check']['median_ms']:.1f} ms, "
        f"one generator forward {out['anchor_generator_forward']['median_ms']:.2f} ms"
    )
    name = "learner.json" if evaluations == 100 else f"learner-{evaluations}.json"
    path = Path(__file__).resolve().parent / "results" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    from choreo.runtime import configure_process

    configure_process(threads=2)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=100, help="trials to time")
    main(parser.parse_args().evaluations)
