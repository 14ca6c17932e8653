"""``choreo replay-session DIR``: recompute a session from its recording and compare.

1. Scores: for every run (a first run, then one per resume) the EEG stream of its XDF
   part is read back (:func:`choreo.eeg.sources.xdf_file.read_xdf`) from the first sample
   the live session scored, and pushed through a new pipeline built by the same
   function as live (:mod:`choreo.session.scoring`). The baseline is fixed after the
   same window as live (first run) or restored before the first sample (resumed runs).
   Every trial with a start and an end is scored again with the same aggregation.
2. Learning: a new learner with the session's checkpoint, seed and settings is fed the
   recorded scores in the recorded order; each proposal is compared with the
   choreography the live session performed.

The result names every trial whose score differs by more than ``tolerance`` or whose
proposal differs, with the reason as far as it can be told, and is written to
``replay.json`` in the session directory.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from choreo.errors import InputError
from choreo.session import scoring
from choreo.session.store import SessionStore, write_json_atomic

#: Samples per chunk pushed in replay (below one hop, so a calibration lands on its window).
REPLAY_CHUNK = 8


@dataclass
class TrialComparison:
    """One trial, live beside replay."""

    trial: int
    status: str
    live_score: float | None = None
    replay_score: float | None = None
    live_windows: int | None = None
    replay_windows: int | None = None
    vector_same: bool | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class ReplayResult:
    """The comparison of a whole session."""

    path: Path
    trials: list[TrialComparison]
    max_score_diff: float
    n_scores: int
    n_proposals: int
    n_proposals_same: int
    problems: list[str]
    #: What changed since the live run (prior, library versions): the likely "why".
    notes: list[str] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        """True when every score and every proposal matches."""
        return not self.problems and all(not t.problems for t in self.trials)


def _runs(records: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each run record with the trial records that follow it (until the next run)."""
    out: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for r in records:
        if r.get("kind") == "run":
            out.append((r, []))
        elif r.get("kind") == "trial" and out:
            out[-1][1].append(r)
    return out


def _clock_records(records: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """The ``clock`` records after each run record (keyed by the run's id())."""
    out: dict[int, list[dict[str, Any]]] = {}
    run: dict[str, Any] | None = None
    for r in records:
        if r.get("kind") == "run":
            run = r
            out[id(run)] = []
        elif r.get("kind") == "clock" and run is not None:
            out[id(run)].append(r)
    return out


def replay_scores(store: SessionStore, progress: Any = None) -> tuple[dict[int, Any], list[str]]:
    """Recompute the trial scores of every run; return {trial id: outcome} and problems."""
    from choreo.eeg.clock import apply_segments
    from choreo.eeg.motion import RecordedGate
    from choreo.eeg.sources.xdf_file import read_xdf
    from choreo.eeg.stream import Chunk

    settings = store.settings()
    records = store.records()
    baseline_rec = next((r for r in records if r.get("kind") == "baseline"), None)
    baseline: dict[str, Any] | None = None
    outcomes: dict[int, Any] = {}
    problems: list[str] = []
    clock_records = _clock_records(records)
    gated_t = [t for r in records if r.get("kind") == "motion" for t in r["gated_t"]]
    for run, trials in _runs(records):
        if not run.get("part"):
            problems.append("a run was not recorded ([recording] enabled = false)")
            continue
        part = store.path / "recordings" / run["part"]
        if not part.is_file():
            problems.append(f"{part}: missing")
            continue
        try:
            rec = read_xdf(part, stream_name=run["eeg"]["name"])
        except InputError as exc:
            problems.append(str(exc))
            continue
        first = float(run["first_sample_t"])
        clock = run.get("clock") or {}
        segments = clock.get("segments", []) + clock_records.get(id(run), [])
        # The live first sample, found by its raw stamp when the stream's clock was mapped.
        anchor = float(clock["first_raw"]) if segments else first
        i0 = int(np.argmin(np.abs(rec.timestamps - anchor))) if rec.n_samples else 0
        half_period = 0.5 / rec.info.sfreq
        if not rec.n_samples or abs(rec.timestamps[i0] - anchor) > half_period:
            problems.append(
                f"{part.name}: the first live sample (t={anchor:.6f}) is not in the recording; "
                "scores will differ"
            )
            delta, stamps = 0.0, rec.timestamps
        else:
            # XDF keeps the sender's stamps: put them on the LSL clock as live did.
            stamps = apply_segments(rec.timestamps, segments, i0)
            # The live inlet and LabRecorder correct the sender's clock separately (both
            # ~0 on one machine, but not bit-equal): put the whole part on the live clock.
            delta = first - float(stamps[i0])
        pipeline = scoring.build_pipeline(rec.info, settings.scoring, settings.eeg.device)
        if gated_t:  # the windows live left out for head movement, found by their time
            pipeline.gate = RecordedGate(gated_t, scoring.hop_s(pipeline) / 4)
        calibrate_after = None
        if baseline is not None:
            scoring.restore_baseline(pipeline, baseline)
        elif baseline_rec is not None:
            calibrate_after = float(baseline_rec["after_t"])
        samples: list[Any] = []
        data, ts = rec.data, stamps + delta
        for j in range(i0, rec.n_samples, REPLAY_CHUNK):
            k = min(j + REPLAY_CHUNK, rec.n_samples)
            new = pipeline.push(Chunk(data[j:k], ts[j:k]))
            samples.extend(new)
            if (
                calibrate_after is not None
                and samples
                and samples[-1].t >= calibrate_after - scoring.hop_s(pipeline) / 2
            ):
                assert baseline_rec is not None
                baseline = scoring.calibrate(
                    pipeline, float(baseline_rec["start"]), float(baseline_rec["end"])
                )
                calibrate_after = None
            if progress is not None:
                progress(k - i0, rec.n_samples - i0)
        if baseline is None and baseline_rec is not None:
            problems.append(f"{part.name}: the baseline block is not in the recording")
        for t in trials:
            if t.get("started") is None or t.get("done") is None:
                continue
            if t.get("window_t") and rec.n_samples and float(t["window_t"][1]) > ts[-1]:
                problems.append(
                    f"trial {t['trial']}: {part.name} ends at t={ts[-1]:.3f}, before its last "
                    f"window (t={float(t['window_t'][1]):.3f}): the session was killed within "
                    "a second of it and LabRecorder had not written those samples"
                )
            if t.get("window_t"):
                # The windows live used, found again within half a hop (clock noise).
                half_hop = scoring.hop_s(pipeline) / 2
                lo, hi = float(t["window_t"][0]) - half_hop, float(t["window_t"][1]) + half_hop
                outcomes[int(t["trial"])] = scoring.score_windows(
                    pipeline, samples, lo, hi, settings.trials.min_windows
                )
            else:
                outcomes[int(t["trial"])] = scoring.score_trial(
                    pipeline,
                    samples,
                    float(t["started"]),
                    float(t["done"]),
                    settings.trials.min_windows,
                    settings.trials.settle_s,
                )
    return outcomes, problems


def replay_learner(store: SessionStore) -> dict[int, np.ndarray]:
    """Re-run the learner from the recorded scores; return {trial id: proposed vector}."""
    from choreo.session.learner_setup import build_learner

    learner = build_learner(store)
    proposals: dict[int, np.ndarray] = {}
    for r in store.trials():
        if r.get("proposed"):
            proposals[int(r["trial"])] = np.asarray(learner.propose(), dtype=np.uint8)
        if r.get("status") == "scored":
            learner.update(np.asarray(r["vector"], dtype=np.uint8), float(r["score"]))
        elif r.get("status") == "rejected":
            reject = getattr(learner, "reject", None)
            if callable(reject):  # as live (see ARCHITECTURE.md)
                reject(np.asarray(r["vector"], dtype=np.uint8))
    return proposals


def _environment_changes(store: SessionStore) -> list[str]:
    """What differs from the live run and can change the numbers: prior, versions."""
    from choreo.provenance import file_sha256, versions

    meta = store.meta()
    out = []
    recorded = meta.get("prior_sha256")
    now = file_sha256(store.settings().learner.checkpoint)
    if recorded and now and recorded != now:
        out.append(
            f"the prior checkpoint {store.settings().learner.checkpoint} changed since the "
            "session (sha256 differs): proposals may differ"
        )
    then = meta.get("versions") or {}
    for pkg, v in versions().items():
        if pkg in then and then[pkg] != v:
            out.append(f"{pkg} {then[pkg]} at the session, {v} now")
    return out


def replay_session(
    path: str | os.PathLike[str], tolerance: float = 1e-6, progress: Any = None
) -> ReplayResult:
    """Recompute scores and proposals of the session in ``path`` and compare with live."""
    store = SessionStore.open(path)
    outcomes, problems = replay_scores(store, progress)
    proposals = replay_learner(store)
    comparisons: list[TrialComparison] = []
    max_diff = 0.0
    n_scores = 0
    for r in store.trials():
        tid = int(r["trial"])
        c = TrialComparison(trial=tid, status=str(r.get("status")))
        out = outcomes.get(tid)
        if r.get("status") in ("scored", "invalid") and r.get("done") is not None:
            if out is None:
                c.problems.append("no replayed score (its recording part is missing)")
            else:
                c.live_score = r.get("score")
                c.replay_score = out.score
                c.live_windows = r.get("n_windows")
                c.replay_windows = out.n_windows
                live_valid = r.get("status") == "scored"
                if live_valid != out.valid:
                    c.problems.append(
                        f"live {'scored' if live_valid else 'invalid'}, replay "
                        f"{'scored' if out.valid else 'invalid'} ({out.reason or 'ok'})"
                    )
                if live_valid and out.valid:
                    n_scores += 1
                    diff = abs(float(r["score"]) - out.score)
                    max_diff = max(max_diff, diff)
                    if not diff <= tolerance:
                        why = (
                            f"{c.live_windows} live windows vs {c.replay_windows} replayed"
                            if c.live_windows != c.replay_windows
                            else "same windows, different values (samples or baseline differ)"
                        )
                        c.problems.append(f"score differs by {diff:.3g}: {why}")
        if tid in proposals:
            same = bool(np.array_equal(proposals[tid], np.asarray(r["vector"], dtype=np.uint8)))
            c.vector_same = same
            if not same:
                n_diff = int(np.sum(proposals[tid] != np.asarray(r["vector"], dtype=np.uint8)))
                c.problems.append(
                    f"proposal differs in {n_diff} of 196 values (learner settings, checkpoint "
                    "or library versions differ from the live run)"
                )
        comparisons.append(c)
    n_prop = sum(c.vector_same is not None for c in comparisons)
    result = ReplayResult(
        path=store.path,
        trials=comparisons,
        max_score_diff=max_diff,
        n_scores=n_scores,
        n_proposals=n_prop,
        n_proposals_same=sum(bool(c.vector_same) for c in comparisons),
        problems=problems,
        notes=_environment_changes(store),
    )
    write_json_atomic(
        store.path / "replay.json",
        {
            "agrees": result.agrees,
            "tolerance": tolerance,
            "max_score_diff": None if math.isnan(max_diff) else max_diff,
            "n_scores": n_scores,
            "n_proposals": n_prop,
            "n_proposals_same": result.n_proposals_same,
            "problems": problems,
            "notes": result.notes,
            "trials": [asdict(c) for c in comparisons],
        },
    )
    return result
