"""The 196-byte codec: layout, validation, and round trips (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from choreo.errors import InputError
from choreo.robot.codec import (
    N_KEYFRAMES,
    VECTOR_LEN,
    Choreography,
    as_vector,
    decode,
    encode,
    random_vector,
)
from choreo.robot.config import RobotConfig, load_robot_config

CFG = load_robot_config()
vectors = arrays(np.uint8, VECTOR_LEN, elements=st.integers(0, 255))


def test_layout_places_bytes_inside_the_envelope() -> None:
    v = np.zeros(VECTOR_LEN, dtype=np.uint8)
    v[7 * 3 : 7 * 3 + 7] = [255, 0, 255, 0, 255, 0, 255]  # keyframe 4
    v[7 * 27 + 1] = 128  # keyframe 28, A2 just above the middle
    c = decode(v, CFG)
    env = CFG.envelope
    assert c.keyframes_deg.shape == (N_KEYFRAMES, 6)
    assert c.durations_s.shape == (N_KEYFRAMES,)
    np.testing.assert_allclose(c.keyframes_deg[0], env[:, 0])
    np.testing.assert_allclose(c.keyframes_deg[3], [120, -140, 135, -150, 105, -270])
    assert c.durations_s[0] == pytest.approx(0.6)
    assert c.durations_s[3] == pytest.approx(3.0)
    assert c.keyframes_deg[27, 1] == pytest.approx(-140 + 128 / 255 * 100)


@settings(max_examples=200, deadline=None)
@given(vectors)
def test_encode_decode_is_the_identity_on_vectors(v: np.ndarray) -> None:
    np.testing.assert_array_equal(encode(decode(v, CFG), CFG), v)


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float64, (N_KEYFRAMES, 7), elements=st.floats(0.0, 1.0, allow_nan=False)),
)
def test_decode_encode_is_within_half_a_step(frac: np.ndarray) -> None:
    env = CFG.envelope
    d = CFG.segment_duration_s
    lo = np.append(env[:, 0], d.min)
    hi = np.append(env[:, 1], d.max)
    values = lo + frac * (hi - lo)
    c = Choreography(keyframes_deg=values[:, :6], durations_s=values[:, 6])
    back = decode(encode(c, CFG), CFG)
    step = (hi - lo) / 255
    err = np.abs(np.column_stack([back.keyframes_deg, back.durations_s]) - values)
    assert np.all(err <= step / 2 + 1e-9)


def test_encode_refuses_a_pose_outside_the_envelope() -> None:
    c = decode(random_vector(0), CFG)
    kf = c.keyframes_deg.copy()
    kf[5, 1] = 10.0  # A2 above the envelope's high end (-40)
    with pytest.raises(InputError, match=r"keyframe 6: A2 = 10 deg is outside \[-140, -40\]"):
        encode(Choreography(kf, c.durations_s), CFG)


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([1] * 195, "expected 196 values, got 195"),
        ([0] * 197, "expected 196 values, got 197"),
        ([[1, 2]] * 98, "flat sequence"),
        ([0] * 10 + [256] + [0] * 185, "value 256 at index 10 is outside 0..255"),
        ([0] * 3 + [-1] + [0] * 192, "value -1 at index 3 is outside 0..255"),
        ([0.0] * 7 + [2.5] + [0.0] * 188, "value 2.5 at index 7 is not an integer"),
        ([0.0] * 7 + [float("nan")] + [0.0] * 188, "at index 7 is not an integer"),
        (["7"] * 196, "must be integers"),
        ([True] * 196, "must be integers"),
        ([0] * 5 + [None] + [0] * 190, "value None at index 5 is not a number"),
    ],
)
def test_as_vector_names_the_problem_and_the_index(obj: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        as_vector(obj)


def test_as_vector_accepts_ints_integral_floats_and_bytes() -> None:
    ref = random_vector(3)
    for obj in (ref.tolist(), ref.astype(np.int64), ref.astype(np.float32), bytes(ref)):
        out = as_vector(obj)
        assert out.dtype == np.uint8
        np.testing.assert_array_equal(out, ref)
    assert as_vector(ref) is not ref  # a copy: the caller's buffer may change


def test_decode_follows_the_configuration() -> None:
    data = CFG.model_dump()
    data["envelope_deg"]["A1"] = (-10.0, 10.0)
    data["segment_duration_s"] = {"min": 1.0, "max": 2.0}
    other = RobotConfig.model_validate(data)
    c = decode(np.full(VECTOR_LEN, 255, dtype=np.uint8), other)
    assert np.all(c.keyframes_deg[:, 0] == 10.0)
    assert np.all(c.durations_s == 2.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(vectors, min_size=1, max_size=5))
def test_batch_codec_agrees_with_the_single_one(rows: list[np.ndarray]) -> None:
    from choreo.robot.codec import decode_many, encode_many

    batch = np.stack(rows)
    q, d = decode_many(batch, CFG)
    assert q.shape == (len(rows), N_KEYFRAMES, 6)
    assert d.shape == (len(rows), N_KEYFRAMES)
    for i, v in enumerate(rows):
        one = decode(v, CFG)
        np.testing.assert_array_equal(q[i], one.keyframes_deg)
        np.testing.assert_array_equal(d[i], one.durations_s)
    np.testing.assert_array_equal(encode_many(q, d, CFG), batch)


def test_batch_encode_names_the_choreography_keyframe_and_axis() -> None:
    from choreo.robot.codec import decode_many, encode_many

    q, d = decode_many(np.full((3, VECTOR_LEN), 128, np.uint8), CFG)
    q[2, 4, 1] = CFG.envelope[1, 1] + 5.0  # A2 of keyframe 5 of the third, above the envelope
    with pytest.raises(InputError, match=r"choreography 3: keyframe 5: A2 = "):
        encode_many(q, d, CFG)
