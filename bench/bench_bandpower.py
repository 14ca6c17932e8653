"""Streaming band-power update per hop, beside MNE's Welch on the same window.

For Muse (4 EEG channels at 256 Hz) and Enobio 32 (32 channels at 500 Hz):
the time of one ``StreamingBandPower.push`` of one hop of samples (which
completes one 2 s window: relative theta/alpha, total and mains power, and
the window's amplitude statistics for the quality checks), and of the whole
``FeedbackPipeline.push`` of one hop (band power + quality + score). Anchor,
in the same run: recomputing that window's relative theta and alpha with
``mne.time_frequency.psd_array_welch`` (one Hann segment of the window's
length, 1-40 Hz). Targets (Muse): median <= 50 us, >= 20x faster than the anchor.

Run: ``.venv/bin/python bench/bench_bandpower.py``; writes
``bench/results/bandpower.json``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from _report import machine, timing_stats, write_results


def bench_device(device: str, n_hops: int, n_welch: int) -> dict[str, Any]:
    import mne

    from choreo.eeg.bandpower import StreamingBandPower
    from choreo.eeg.pipeline import FeedbackPipeline
    from choreo.eeg.sources.synthetic import SyntheticEEG
    from choreo.eeg.stream import Chunk

    syn = SyntheticEEG(device, seed=0, relaxation=0.5)
    info = syn.info
    pipe = FeedbackPipeline(info)
    eeg = pipe.channels
    plan = pipe.bandpower.plan
    hop, n, fs = plan.hop, plan.n, plan.sfreq
    total_hops = n_hops + plan.n_blocks + 50
    rec = syn.recording(total_hops * hop / fs)
    x = np.ascontiguousarray(rec.data[:, eeg])
    ts = rec.timestamps
    chunks = [Chunk(x[i : i + hop], ts[i : i + hop]) for i in range(0, total_hops * hop, hop)]
    full = [Chunk(rec.data[i : i + hop], ts[i : i + hop]) for i in range(0, total_hops * hop, hop)]

    est = StreamingBandPower(fs, len(eeg), pipe.settings.bandpower)
    bp_times, out_windows = [], 0
    for k, c in enumerate(chunks):
        t0 = time.perf_counter()
        w = est.push(c)
        dt = time.perf_counter() - t0
        if k >= plan.n_blocks + 50:  # steady state: every hop completes a window
            bp_times.append(dt)
            out_windows += w.n_windows
    assert out_windows == len(bp_times), "each hop must complete exactly one window"

    pipe_times = []
    for k, c in enumerate(full):
        t0 = time.perf_counter()
        pipe.push_windows(c)
        dt = time.perf_counter() - t0
        if k >= plan.n_blocks + 50:
            pipe_times.append(dt)

    # Anchor: MNE's Welch on the same (latest) window, then the same band ratios.
    welch_times = []
    window = np.ascontiguousarray(x[-n:].T)
    for _ in range(n_welch):
        t0 = time.perf_counter()
        psd, freqs = mne.time_frequency.psd_array_welch(
            window, fs, fmin=1.0, fmax=40.0, n_fft=n, n_per_seg=n, n_overlap=0,
            window="hann", verbose=False,
        )  # fmt: skip
        total = psd[:, freqs < 40.0].sum(axis=1)
        _ = psd[:, (freqs >= 4) & (freqs < 8)].sum(axis=1) / total
        _ = psd[:, (freqs >= 8) & (freqs < 12)].sum(axis=1) / total
        welch_times.append(time.perf_counter() - t0)

    bp, pl, we = (timing_stats(x, "us") for x in (bp_times, pipe_times, welch_times))
    return {
        "device": device,
        "channels": len(eeg),
        "sfreq": fs,
        "window_samples": n,
        "hop_samples": hop,
        "streaming_update": bp,
        "pipeline_update": pl,
        "anchor_psd_array_welch": we,
        "speedup_vs_welch": we["p50_us"] / bp["p50_us"],
        "pipeline_speedup_vs_welch": we["p50_us"] / pl["p50_us"],
    }


def _report(r: dict[str, Any]) -> None:
    su, pu, we = r["streaming_update"], r["pipeline_update"], r["anchor_psd_array_welch"]
    print(
        f"{r['device']:>9} ({r['channels']} ch, {r['sfreq']:g} Hz, "
        f"window {r['window_samples']}, hop {r['hop_samples']}):"
    )
    print(
        f"  band-power update  median {su['p50_us']:7.1f} us  p99 {su['p99_us']:7.1f} us"
        f"   | psd_array_welch median {we['p50_us']:7.1f} us"
        f"   -> {r['speedup_vs_welch']:.0f}x faster"
    )
    print(
        f"  whole pipeline     median {pu['p50_us']:7.1f} us  p99 {pu['p99_us']:7.1f} us"
        f"   -> {r['pipeline_speedup_vs_welch']:.0f}x faster than the anchor"
    )


def main() -> dict[str, Any]:
    runs = [bench_device("muse2016", 3000, 400), bench_device("enobio32", 1500, 200)]
    result: dict[str, Any] = {
        "benchmark": "streaming band-power update per hop vs psd_array_welch on the same window",
        "target": "Muse: median <= 50 us and >= 20x faster than psd_array_welch",
        "machine": machine(),
        "runs": runs,
    }
    for r in runs:
        _report(r)
    print(f"  ({result['machine']})")
    write_results("bandpower", result)
    return result


if __name__ == "__main__":
    from choreo.runtime import configure_process

    configure_process()
    main()
