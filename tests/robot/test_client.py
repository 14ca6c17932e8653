"""BridgeClient and send_choreography against a bridge on the simulator; vector files."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from bridge_fixtures import sim_bridge

from choreo.errors import InputError, StreamError
from choreo.robot import osc_protocol as osc
from choreo.robot.client import BridgeClient, read_vector_file, send_choreography
from choreo.robot.codec import random_vector


def test_send_choreography_follows_to_done() -> None:
    vector = random_vector(4)
    seen: list[float] = []
    with sim_bridge(speed=60.0) as (bridge, _):
        result = send_choreography(
            vector, 7, bridge.address, show_progress=False, on_state=lambda s: seen.append(s.t)
        )
    assert result.outcome == "done"
    assert result.trial == 7
    assert result.started is not None
    assert result.finished is not None
    assert result.finished > result.started
    assert result.n_states == len(seen) > 5


def test_send_choreography_reports_a_rejection() -> None:
    with sim_bridge(speed=60.0) as (bridge, client):
        client.stop()  # latch
        time.sleep(0.05)
        result = send_choreography(random_vector(4), 8, bridge.address, show_progress=False)
    assert result.outcome == "rejected"
    assert result.reason.startswith("stop latched")


def test_wait_for_times_out_with_a_stream_error() -> None:
    with BridgeClient(("127.0.0.1", 9)) as client:
        t0 = time.monotonic()
        with pytest.raises(StreamError, match=r"no /choreo/done for trial 3 within 0\.2 s"):
            client.wait_for(osc.DONE, 3, timeout=0.2)
        assert time.monotonic() - t0 < 1.0


def test_client_refuses_a_bad_vector_before_sending() -> None:
    with BridgeClient(("127.0.0.1", 9)) as client, pytest.raises(InputError, match="196"):
        client.play(1, [1, 2, 3])


def test_read_vector_file_formats(tmp_path: Path) -> None:
    v = random_vector(5)
    (tmp_path / "a.json").write_text(json.dumps(v.tolist()))
    (tmp_path / "b.json").write_text(json.dumps({"vector": v.tolist(), "score": 1.0}))
    (tmp_path / "c.txt").write_text(" ".join(map(str, v)))
    np.save(tmp_path / "d.npy", v)
    for name in ("a.json", "b.json", "c.txt", "d.npy"):
        np.testing.assert_array_equal(read_vector_file(str(tmp_path / name)), v)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "not found"),
        ("[1, 2,", "line 1: not valid JSON"),
        ('{"x": 1}', "no 'vector' key"),
        ("[1, 2, 3]", "expected 196 values, got 3"),
        ("1 2 three", "not a list of integers"),
        (json.dumps([300] * 196), "outside 0..255"),
    ],
)
def test_read_vector_file_errors_name_the_file(
    tmp_path: Path, content: str | None, words: str
) -> None:
    path = tmp_path / "v.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=words) as info:
        read_vector_file(str(path))
    assert str(path) in str(info.value)
