"""Does the demo show learning? The hidden true value of the recommendation, over demo runs.

For each run of ``choreo demo`` (``--runs N`` runs with seeds varied per run, or the
session folders given with ``--sessions``) reads ``participant.json`` and reports where
the final recommendation's true value ends on the way from the prior's median to the
best of the prior's 256 draws (the yardstick the demo writes)::

    progress = (final recommended true value - prior median) / (prior best - prior median)

The issue's bar: progress >= 0.6 in most runs. Anchor measured in the same run: the
prior's 90th percentile on the same scale. Writes bench/results/demo-learning.json.
``--config configs/demo-real-pace.toml`` measures the demo at a real trial's length;
``--jobs N`` runs N sessions at once.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

from choreo.resources import config_dir

REPO = Path(__file__).resolve().parents[1]
BAR = 0.6


def progress_of(session: Path) -> dict[str, float]:
    """Progress (see the module docstring) of one demo session folder."""
    doc = json.loads((session / "participant.json").read_text())
    prior = doc["prior"]
    rec = [
        t["recommended_true_value"]
        for t in doc["trials"]
        if t.get("recommended_true_value") is not None
    ]
    span = prior["max"] - prior["median"]
    return {
        "final_true_value": rec[-1],
        "prior_median": prior["median"],
        "prior_best": prior["max"],
        "progress": (rec[-1] - prior["median"]) / span,
        "p90_progress": (prior["p90"] - prior["median"]) / span,
        "trials": len(doc["trials"]),
    }


def _demo_config(text: str, i: int, tmp: Path) -> Path:
    """Demo file of run ``i + 1``: its seeds, its own session folder, no view or report."""
    cfg = re.sub(r"(?m)^seed = \d+", f"seed = {i + 1}", text)
    cfg = re.sub(r"(?m)^participant_seed = \d+", f"participant_seed = {i + 3}", cfg)
    cfg = re.sub(r"(?m)^eeg_seed = \d+", f"eeg_seed = {i + 2}", cfg)
    cfg = re.sub(r'(?m)^root = ".*"', f'root = "{tmp / str(i)}"', cfg)
    cfg = re.sub(r"(?m)^view = true", "view = false", cfg)
    cfg = re.sub(r"(?m)^report = true", "report = false", cfg)
    path = tmp / f"demo{i}.toml"
    path.write_text(cfg)
    return path


def _run_one(path: Path) -> tuple[Path, float]:
    from choreo.runtime import configure_process
    from choreo.session.demo import run_demo

    configure_process()
    t0 = time.monotonic()
    res = run_demo(path)
    return Path(res.session.path), time.monotonic() - t0


def run_demos(runs: int, config: Path, first: int = 1, jobs: int = 1) -> list[Path]:
    """Run ``choreo demo`` ``runs`` times, learner/participant/EEG seeds varied per run
    (run ``k`` from ``first`` on: learner seed k, participant seed k + 2, EEG seed k + 1),
    ``jobs`` of them at once (each session has its own stream, bridge port and folder;
    a session mostly waits for the simulated robot, so several share the cores)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from choreo.resources import locate

    # As ``choreo demo --config`` finds it: "configs/..." names a shipped file.
    text = locate(config).read_text()
    tmp = Path(tempfile.mkdtemp(prefix="choreo-demo-bench-"))
    paths = [_demo_config(text, i, tmp) for i in range(first - 1, first - 1 + runs)]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=ctx) as pool:
        done = list(pool.map(_run_one, paths))
    for k, (session, seconds) in enumerate(done, start=first):
        print(f"run {k}: {seconds:.0f} s, {session}")
    return [session for session, _ in done]


def main(sessions: list[Path], json_path: Path) -> dict[str, object]:
    rows = [dict(progress_of(s), session=str(s)) for s in sessions]
    for r in rows:
        print(
            f"{Path(str(r['session'])).name}: final true value {r['final_true_value']:+.3f} z, "
            f"progress {r['progress']:.2f} (prior p90 on this scale: {r['p90_progress']:.2f})"
        )
    passed = sum(r["progress"] >= BAR for r in rows)  # type: ignore[operator]
    print(f"progress >= {BAR}: {passed} of {len(rows)} runs")
    doc = {"bar": BAR, "passed": passed, "runs": rows}
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(doc, indent=1))
    print(f"JSON written to {json_path}")
    return doc


if __name__ == "__main__":
    from choreo.runtime import configure_process

    configure_process()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--first-run", type=int, default=1, help="seeds of the first run (default 1)")
    ap.add_argument("--jobs", type=int, default=1, help="demo sessions at once (default 1)")
    ap.add_argument("--sessions", type=Path, nargs="*", default=None)
    ap.add_argument("--config", type=Path, default=config_dir() / "demo.toml")
    ap.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "demo-learning.json")
    a = ap.parse_args()
    main(a.sessions if a.sessions else run_demos(a.runs, a.config, a.first_run, a.jobs), a.json)
