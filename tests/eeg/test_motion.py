"""Head movement from motion sensors gates feedback windows (choreo.eeg.motion)."""

from __future__ import annotations

import numpy as np
import pytest

from choreo.eeg.devices import load_device
from choreo.eeg.motion import MotionDetector, MotionSettings, RecordedGate
from choreo.eeg.pipeline import FeedbackPipeline
from choreo.eeg.sources.synthetic import SyntheticEEG

RATE = 52.0


def acc(seconds: float, shake: tuple[float, float] | None, seed: int = 0):  # type: ignore[no-untyped-def]
    """A resting head (gravity on Z, sensor noise), shaken at 3 Hz by 0.4 g in ``shake``."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    x = rng.normal(0, 0.005, (len(t), 3))
    x[:, 2] += 1.0
    if shake is not None:
        inside = (t >= shake[0]) & (t < shake[1])
        x[inside, 0] += 0.4 * np.sin(2 * np.pi * 3 * t[inside])
    return x, t


def test_a_shake_is_one_span_held_after_it() -> None:
    s = MotionSettings(hold_s=0.5)
    det = MotionDetector("accelerometer", RATE, s)
    x, t = acc(10, (4.0, 5.0))
    for i in range(0, len(t), 4):  # muselsl's ACC chunks
        det.push(x[i : i + 4], t[i : i + 4])
    assert len(det.spans) == 1
    start, end = det.spans[0]
    assert 4.0 <= start < 4.2
    assert 5.3 < end <= 5.5 + 1e-9
    assert det.known_until == pytest.approx(t[-1])
    # Two-second windows: those overlapping 4..5.5 s are gated, the others not.
    ends = np.array([3.9, 4.1, 6.0, 7.4, 7.6, 9.0])
    np.testing.assert_array_equal(det(ends, 2.0), [False, True, True, True, False, False])


def test_a_resting_head_is_never_moving() -> None:
    det = MotionDetector("accelerometer", RATE, MotionSettings())
    x, t = acc(30, None, seed=3)
    det.push(x, t)
    assert det.spans == []


def test_gyroscope_threshold_in_degrees_per_second() -> None:
    det = MotionDetector("gyroscope", RATE, MotionSettings(gyro_threshold_dps=20.0, hold_s=0.0))
    t = np.arange(104) / RATE
    w = np.zeros((104, 3))
    w[50:55, 1] = 35.0  # a nod
    det.push(w, t)
    assert det.spans == [(pytest.approx(t[50]), pytest.approx(t[54]))]


def test_recorded_gate_finds_the_windows_by_time() -> None:
    gate = RecordedGate([10.0, 10.25, 12.0], tolerance_s=0.05)
    got = gate(np.array([9.75, 10.0, 10.01, 10.25, 11.0, 12.04, 12.2]), 2.0)
    np.testing.assert_array_equal(got, [False, True, True, True, False, True, False])
    assert not RecordedGate([], 0.05)(np.array([1.0]), 2.0).any()


def test_gated_windows_count_as_rejected_in_the_pipeline() -> None:
    profile = load_device("muse2016")
    src = SyntheticEEG(profile, seed=2, relaxation=0.5, start_time=100.0, duration=20.0)
    rec = src.recording(20.0)
    plain = FeedbackPipeline(rec.info, profile)
    gated = FeedbackPipeline(rec.info, profile)
    gated.gate = lambda t_end, window_s: (t_end > 108.0) & (t_end - window_s < 110.0)
    a = plain.push(_chunk(rec))
    b = gated.push(_chunk(rec))
    times = np.array([s.t for s in b])
    left_out = (times > 108.0) & (times - 2.0 < 110.0)
    assert left_out.sum() >= 8
    assert not any(s.accepted for s, out in zip(b, left_out, strict=True) if out)
    assert [s.accepted for s, out in zip(b, left_out, strict=True) if not out] == [
        s.accepted for s, out in zip(a, left_out, strict=True) if not out
    ]
    np.testing.assert_allclose(gated.pop_gated(), times[left_out])
    assert gated.pop_gated() == []


def _chunk(rec):  # type: ignore[no-untyped-def]
    from choreo.eeg.stream import Chunk

    return Chunk(rec.data, rec.timestamps)


def test_the_sensor_follows_the_stream_type_unless_given() -> None:
    from choreo.eeg.motion import sensor_of

    assert sensor_of(MotionSettings(type="ACC")) == "accelerometer"
    assert sensor_of(MotionSettings(type="GYRO")) == "gyroscope"
    nic = MotionSettings(type="Accelerometer", units_per_g=9.81, columns=(1, 2, 3))
    assert sensor_of(nic) == "accelerometer"
