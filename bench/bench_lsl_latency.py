"""LSL acquisition: latency and read cost of LslSource, beside plain pylsl in the same run.

1. Latency on loopback: a Muse-like outlet (5 ch, 256 Hz) pushes 12-sample
   chunks stamped with ``local_clock()``; a reader measures the time from the
   stamp of a chunk's last sample to the moment ``read()`` returns it.
   Anchor: a plain ``pylsl.StreamInlet.pull_chunk`` (lists, min_samples=1),
   the same pushes, measured the same way.
2. Read cost: one second of Enobio 32 (32 ch, 500 Hz) already buffered,
   pulled by ``LslSource.read`` (numpy buffer, float64 uV) versus plain
   ``pull_chunk`` into Python lists, min_samples=1 (anchor).
3. Synthetic EEG: one hour of Muse generated offline, beside drawing the same
   number of normal random numbers (anchor).
4. Files: one hour of Muse as a muselsl CSV (45 MB) read by ``read_recording``
   (checks, gaps, units) beside a bare ``np.loadtxt`` of the same file (anchor).

Writes bench/results/lsl_latency.json.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import numpy as np
from _report import machine, timing_stats, write_results


def _latency(n_chunks: int, use_source: bool) -> dict[str, float]:
    import pylsl

    from choreo.eeg.sources.lsl import LslSource, resolve_stream
    from choreo.eeg.sources.outlet import open_eeg_outlet
    from choreo.eeg.stream import StreamInfo

    name = f"bench-lat-{uuid.uuid4().hex[:8]}"
    labels = ("TP9", "AF7", "AF8", "TP10", "Right AUX")
    outlet = open_eeg_outlet(StreamInfo(name, "EEG", name, 256.0, labels, ("uV",) * 5))
    lat: list[float] = []
    if use_source:
        src = LslSource(name=name, timeout=5)

        def pull(timeout: float) -> np.ndarray | None:
            c = src.read(timeout)
            return None if c is None else c.timestamps
    else:
        inlet = pylsl.StreamInlet(resolve_stream(name=name, timeout=5))
        inlet.open_stream(5)

        def pull(timeout: float) -> np.ndarray | None:
            _, ts = inlet.pull_chunk(timeout=timeout, max_samples=1024, min_samples=1)
            return np.asarray(ts) if ts else None

    outlet.wait_for_consumers(5)
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            ts = pull(0.2)
            if ts is not None and len(ts):
                lat.append(pylsl.local_clock() - float(ts[-1]))

    th = threading.Thread(target=reader)
    th.start()
    x = np.zeros((12, 5), np.float32)
    for i in range(n_chunks):
        now = pylsl.local_clock()
        outlet.push_chunk(x, (now - (11 - np.arange(12)) / 256.0).tolist())
        time.sleep(0.01 + 0.003 * (i % 3))  # not in lockstep with the reader
    time.sleep(0.3)
    done.set()
    th.join()
    if use_source:
        src.close()
    return timing_stats(lat[5:])  # the first chunks include connection set-up


def _read_cost(repeats: int) -> tuple[dict[str, float], dict[str, float]]:
    import pylsl

    from choreo.eeg.sources.lsl import LslSource, resolve_stream
    from choreo.eeg.sources.outlet import open_eeg_outlet
    from choreo.eeg.stream import StreamInfo

    name = f"bench-read-{uuid.uuid4().hex[:8]}"
    labels = tuple(f"E{i}" for i in range(32))
    outlet = open_eeg_outlet(StreamInfo(name, "EEG", name, 500.0, labels, ("uV",) * 32))
    src = LslSource(name=name, timeout=5, device="enobio32")
    inlet = pylsl.StreamInlet(resolve_stream(name=name, timeout=5))
    inlet.open_stream(5)
    outlet.wait_for_consumers(5)
    time.sleep(0.5)
    block = np.random.default_rng(0).normal(0, 20, (500, 32)).astype(np.float32)
    ours, plain = [], []
    for _ in range(repeats):
        outlet.push_chunk(block)
        time.sleep(0.05)  # both inlets have the second buffered
        t0 = time.perf_counter()
        got = 0
        while got < 500:
            c = src.read(0.5)
            got += 0 if c is None else c.n_samples
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        got = 0
        while got < 500:
            _, ts = inlet.pull_chunk(timeout=0.5, max_samples=1024, min_samples=1)
            got += len(ts)
        plain.append(time.perf_counter() - t0)
    src.close()
    return timing_stats(ours), timing_stats(plain)


def _synthetic_hour() -> tuple[float, float]:
    from choreo.eeg.sources.synthetic import SyntheticEEG

    src = SyntheticEEG("muse2016", seed=0)
    t0 = time.perf_counter()
    src.recording(3600.0)
    synth = time.perf_counter() - t0
    t0 = time.perf_counter()
    np.random.default_rng(0).standard_normal((921_600, 5 * 11))  # the normals it draws
    anchor = time.perf_counter() - t0
    return synth, anchor


def _csv_hour() -> tuple[float, float]:
    import tempfile

    from choreo.eeg.sources.files import read_recording
    from choreo.eeg.sources.synthetic import SyntheticEEG

    rec = SyntheticEEG("muse2016", seed=1).recording(3600.0)
    t = 1.7e9 + np.arange(rec.n_samples) / 256.0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hour.csv"
        with path.open("w") as fh:
            fh.write("timestamps,TP9,AF7,AF8,TP10,Right AUX\n")
            np.savetxt(fh, np.column_stack([t, rec.data]), fmt="%.3f", delimiter=",")
        t0 = time.perf_counter()
        read_recording(path)
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        np.loadtxt(path, delimiter=",", skiprows=1)
        anchor = time.perf_counter() - t0
    return ours, anchor


def main() -> dict[str, object]:
    lat_ours = _latency(400, use_source=True)
    lat_plain = _latency(400, use_source=False)
    read_ours, read_plain = _read_cost(40)
    synth_s, normals_s = _synthetic_hour()
    csv_s, loadtxt_s = _csv_hour()
    result: dict[str, object] = {
        "latency_lslsource_ms": lat_ours,
        "latency_plain_pylsl_ms": lat_plain,
        "read_1s_enobio32_lslsource_ms": read_ours,
        "read_1s_enobio32_plain_lists_ms": read_plain,
        "synthetic_muse_1h_s": synth_s,
        "anchor_normals_same_count_s": normals_s,
        "read_csv_muse_1h_s": csv_s,
        "anchor_loadtxt_same_file_s": loadtxt_s,
        "machine": machine(),
    }
    print("LSL loopback latency, push -> read() returns (ms):")
    print(
        f"  LslSource     median {lat_ours['p50_ms']:.2f}  p99 {lat_ours['p99_ms']:.2f}"
        f"  | plain pylsl inlet (anchor) median {lat_plain['p50_ms']:.2f}"
        f"  p99 {lat_plain['p99_ms']:.2f}"
    )
    print("Read 1 s of Enobio 32 (500 x 32) already buffered (ms):")
    print(
        f"  LslSource (numpy, uV) median {read_ours['p50_ms']:.3f}"
        f"  | plain pull_chunk to lists (anchor) median {read_plain['p50_ms']:.3f}"
    )
    print(
        f"Synthetic Muse, 1 h generated in {synth_s:.2f} s ({3600 / synth_s:.0f}x real time)"
        f"  | anchor: drawing its normal numbers {normals_s:.2f} s"
    )
    print(
        f"muselsl CSV, 1 h of Muse: read_recording {csv_s:.2f} s"
        f"  | anchor: np.loadtxt of the same file {loadtxt_s:.2f} s"
    )
    print(f"  ({result['machine']})")
    write_results("lsl_latency", result)
    return result


if __name__ == "__main__":
    from choreo.runtime import configure_process

    configure_process()
    main()
