"""Live latency: from a sample pushed on an LSL outlet to its window's score.

A separate process publishes synthetic Muse EEG (5 channels, 256 Hz) on a
real LSL outlet on loopback, in 12-sample chunks (as muselsl does) paced in
real time, and records when it pushed each chunk (``pylsl.local_clock``,
the clock every process shares). This process reads the stream with
choreo's ``LslSource`` and scores it with ``FeedbackPipeline`` as the live
session does. For every window, the latency is the time from the push of
the window's last sample (it cannot be scored earlier: that is the window
itself) to the moment its score is available. Anchor, same run: the raw LSL
transport latency, from a chunk's push to ``LslSource.read`` returning it.
Target: p99 <= 10 ms beyond the window itself.

Run: ``.venv/bin/python bench/bench_live_latency.py``; writes
``bench/results/live_latency.json``.
"""

from __future__ import annotations

import multiprocessing as mp
import time
import uuid
from typing import Any

import numpy as np
from _report import machine, timing_stats, write_results

CHUNK = 12


def _publish(name: str, seconds: float, out: Any) -> None:
    """Publisher process: push paced chunks, report (t0, push time of each chunk)."""
    import pylsl

    from choreo.eeg.sources.outlet import open_eeg_outlet
    from choreo.eeg.sources.synthetic import SyntheticEEG

    syn = SyntheticEEG("muse2016", seed=0, relaxation=0.5, name=name, source_id=name)
    fs = syn.info.sfreq
    data = syn.recording(seconds).data.astype(np.float32)
    outlet = open_eeg_outlet(syn.info)
    if not outlet.wait_for_consumers(15.0):
        out.put(None)
        return
    t0 = pylsl.local_clock() + 0.5
    stamps = t0 + np.arange(data.shape[0]) / fs
    pushed = []
    for i in range(0, data.shape[0], CHUNK):
        j = min(i + CHUNK, data.shape[0])
        due = stamps[j - 1]
        while (wait := due - pylsl.local_clock()) > 0:
            time.sleep(min(wait, 0.002))
        pushed.append(pylsl.local_clock())
        outlet.push_chunk(data[i:j], stamps[i:j].tolist())
    time.sleep(0.5)
    out.put((t0, fs, pushed))


def main(seconds: float = 30.0) -> dict[str, Any]:
    import pylsl

    from choreo.eeg.pipeline import FeedbackPipeline
    from choreo.eeg.sources.lsl import LslSource

    name = f"choreo-bench-latency-{uuid.uuid4().hex[:8]}"
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_publish, args=(name, seconds, queue), daemon=True)
    proc.start()
    received: list[tuple[float, float]] = []  # (last sample stamp, read time)
    scored: list[tuple[float, float, float]] = []  # (window end stamp, read time, score time)
    try:
        with LslSource(name=name, source_id=name, timeout=30.0) as src:
            pipe = FeedbackPipeline(src.info, src.profile)
            # Warm up the compiled kernels before the stream starts.
            from choreo.eeg.bandpower import batch_band_power

            batch_band_power(np.zeros((600, 4)), np.arange(600) / 256.0, 256.0)
            end = time.monotonic() + seconds + 20.0
            n_samples = round(seconds * src.info.sfreq)
            got = 0
            while got < n_samples and time.monotonic() < end:
                chunk = src.read(timeout=0.2)
                if chunk is None:
                    continue
                t_read = pylsl.local_clock()
                got += chunk.n_samples
                received.append((float(chunk.timestamps[-1]), t_read))
                w = pipe.push_windows(chunk)
                t_done = pylsl.local_clock()
                scored += [(float(t), t_read, t_done) for t in w.t]
        report = queue.get(timeout=30.0)
    finally:
        proc.join(timeout=5.0)
        if proc.is_alive():
            proc.terminate()
    if report is None:
        raise SystemExit("the publisher saw no consumer")
    t0, fs, pushed = report
    pushed = np.asarray(pushed)

    def push_time(stamp: float) -> float:
        # Sample i carries t0 + i / fs and went out with chunk i // CHUNK.
        return float(pushed[round((stamp - t0) * fs) // CHUNK])

    transport = [t_read - push_time(s) for s, t_read in received]
    to_score = [t_done - push_time(s) for s, _, t_done in scored]
    processing = [t_done - t_read for _, t_read, t_done in scored]
    result: dict[str, Any] = {
        "benchmark": "LSL outlet push -> window score available (loopback, real time)",
        "target": "p99 <= 10 ms beyond the window itself",
        "machine": machine(),
        "stream": f"synthetic Muse, 5 ch, {fs:g} Hz, {CHUNK}-sample chunks, {seconds:g} s",
        "window_s": pipe.bandpower.plan.window_s,
        "hop_s": pipe.bandpower.plan.hop_s,
        "push_to_score": timing_stats(to_score),
        "anchor_lsl_transport": timing_stats(transport),
        "pipeline_processing": timing_stats(processing),
    }
    ps, tr, pr = (
        result["push_to_score"],
        result["anchor_lsl_transport"],
        result["pipeline_processing"],
    )
    print(f"live latency over {seconds:g} s of Muse EEG on LSL loopback ({ps['n']} windows):")
    print(
        f"  push -> score available  p50 {ps['p50_ms']:6.2f} ms  p99 {ps['p99_ms']:6.2f} ms"
        f"  (beyond the {result['window_s']:g} s window itself)"
    )
    print(
        f"  anchor: LSL transport    p50 {tr['p50_ms']:6.2f} ms  p99 {tr['p99_ms']:6.2f} ms"
        f"  ({tr['n']} chunks)"
    )
    print(f"  of which pipeline        p50 {pr['p50_ms']:6.2f} ms  p99 {pr['p99_ms']:6.2f} ms")
    print(f"  ({result['machine']})")
    write_results("live_latency", result)
    return result


if __name__ == "__main__":
    from choreo.runtime import configure_process

    configure_process()
    main()
