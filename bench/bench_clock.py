"""The clock mapping's cost per chunk and its accuracy, beside the scoring of the same chunk.

Ten minutes of synthetic Muse EEG (256 Hz) in muselsl's packets of 12 samples are stamped
three ways, as a sender would (LSL clock; Unix time, as muselsl stamps without
``--lsltime``; a clock of its own 12 345.678 s off that runs 200 ppm fast), with an
arrival latency of 10-30 ms, and mapped chunk by chunk by
:class:`choreo.eeg.clock.StreamClock`. Figures per chunk: the mapping's time, beside the
anchor measured in the same run, ``FeedbackPipeline.push`` of the same chunk (what the
session does with it next); and the mapped stamps' error against the true LSL times.

Target: < 50 us per chunk (muselsl sends 21 chunks/s: < 0.1 % of a core); mapped stamps
within 1 ms (LSL, Unix) and within 40 ms (own clock: its median arrival latency, which
cannot be told from an offset, plus the 20 ms drift tolerance).

Run: ``.venv/bin/python bench/bench_clock.py``; writes ``bench/results/clock.json``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from _report import machine, timing_stats, write_results


def main(seconds: float = 600.0) -> dict[str, Any]:
    import pylsl

    from choreo.eeg.clock import StreamClock, unix_to_lsl
    from choreo.eeg.pipeline import FeedbackPipeline
    from choreo.eeg.sources.synthetic import SyntheticEEG
    from choreo.eeg.stream import Chunk

    t0 = pylsl.local_clock()
    rec = SyntheticEEG("muse2016", seed=0, relaxation=0.5, start_time=t0).recording(seconds)
    n = rec.n_samples - rec.n_samples % 12
    rng = np.random.default_rng(0)
    senders = {
        "lsl": lambda t: t,
        "unix": lambda t: t - unix_to_lsl(),
        "offset_200ppm": lambda t: 12345.678 + t + (t - t0) * 200e-6,
    }
    out: dict[str, Any] = {}
    pipeline = FeedbackPipeline(rec.info)
    push_s = []
    for i in range(0, n, 12):  # the anchor: scoring the same chunks
        c = Chunk(rec.data[i : i + 12], rec.timestamps[i : i + 12])
        a = time.perf_counter()
        pipeline.push(c)
        push_s.append(time.perf_counter() - a)
    for name, stamp in senders.items():
        clock = StreamClock("bench", 256.0)
        map_s, err = [], []
        for i in range(0, n, 12):
            true = rec.timestamps[i : i + 12]
            raw = stamp(true)
            arrival = float(true[-1]) + 0.01 + 0.02 * rng.random()
            a = time.perf_counter()
            mapped = clock.map(raw, arrival)
            map_s.append(time.perf_counter() - a)
            err.append(float(np.max(np.abs(mapped - true))))
        settled = np.asarray(err[int(3 * 256 / 12) :])  # after the first 3 s
        out[name] = {
            "domain": clock.domain,
            "segments": len(clock.report.segments),
            "drift_ppm": clock.report.drift_ppm,
            "map": timing_stats(map_s, "us"),
            "error_ms": {
                "p50": float(np.median(settled) * 1e3),
                "max": float(settled.max() * 1e3),
            },
        }
    anchor = timing_stats(push_s, "us")
    result = {
        "benchmark": "StreamClock.map per 12-sample chunk vs FeedbackPipeline.push of it",
        "target": "< 50 us per chunk; error < 1 ms (LSL, Unix), < 40 ms (own clock)",
        "machine": machine(),
        "chunks": n // 12,
        "anchor_pipeline_push": anchor,
        "senders": out,
    }
    print(f"{n // 12} chunks of 12 samples ({seconds:g} s of Muse EEG at 256 Hz):")
    print(f"  anchor: FeedbackPipeline.push   p50 {anchor['p50_us']:7.1f} us")
    for name, r in out.items():
        share = 100 * r["map"]["p50_us"] / anchor["p50_us"]
        print(
            f"  {name:<14} -> {r['domain']:<6} map p50 {r['map']['p50_us']:6.1f} us "
            f"({share:4.1f} % of scoring); error p50 {r['error_ms']['p50']:.3f} ms, "
            f"max {r['error_ms']['max']:.3f} ms; {r['segments']} segments, "
            f"drift {r['drift_ppm']:+.0f} ppm"
        )
    print(f"  ({result['machine']})")
    write_results("clock", result)
    return result


if __name__ == "__main__":
    from choreo.runtime import configure_process

    configure_process()
    main()
