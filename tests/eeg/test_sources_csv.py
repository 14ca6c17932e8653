"""muselsl CSV: the real recordings, and every bad input with its message."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from choreo.eeg.sources.files import open_recording, read_recording
from choreo.errors import InputError

HEADER = "timestamps,TP9,AF7,AF8,TP10,Right AUX"


def _write(path: Path, t: np.ndarray, x: np.ndarray, header: str = HEADER) -> Path:
    lines = [header] + [
        ",".join([f"{ti:.3f}"] + [f"{v:.3f}" for v in row]) for ti, row in zip(t, x, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _signal(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return 1.5e9 + np.arange(n) / 256.0, rng.normal(0, 20, (n, 5))


def test_all_real_recordings_read(muse_dir: Path) -> None:
    files = sorted(muse_dir.glob("*.csv"))
    assert len(files) == 12
    for f in files:
        rec = read_recording(f)
        assert rec.info.sfreq == 256.0  # nominal, although the rounded stamps say ~250
        assert rec.info.ch_names == ("TP9", "AF7", "AF8", "TP10", "Right AUX")
        assert rec.info.units == ("uV",) * 5
        assert rec.info.device == "muse2016"
        assert rec.data.dtype == np.float64
        assert rec.data.shape[1] == 5
        assert 10_000 < rec.n_samples < 16_000
        assert np.all(np.diff(rec.timestamps) >= 0)
        assert np.isfinite(rec.data).all()
        # The median step of the rounded stamps is 4 ms (250 Hz), not 1/256 s.
        assert np.median(np.diff(rec.timestamps)) == pytest.approx(0.004, abs=1e-4)


def test_real_gaps_are_reported(muse_dir: Path) -> None:
    rec = read_recording(muse_dir / "subjectb-relaxed-2.csv")
    assert [g.index for g in rec.gaps] == [1116, 2244, 3048, 4152, 5220, 6060, 7188, 8292, 9456]
    assert rec.gaps[1].duration == pytest.approx(700.028 - 1 / 256, abs=2e-3)
    assert sum(g.duration for g in rec.gaps) > 900
    assert read_recording(muse_dir / "subjecta-relaxed-1.csv").gaps == ()


def test_file_source_serves_the_same_samples(muse_dir: Path) -> None:
    path = muse_dir / "subjecta-neutral-1.csv"
    rec = read_recording(path)
    with open_recording(path) as src:
        chunks = list(src)
    assert all(c.n_samples == 32 for c in chunks[:-1])
    np.testing.assert_array_equal(np.concatenate([c.data for c in chunks]), rec.data)
    np.testing.assert_array_equal(np.concatenate([c.timestamps for c in chunks]), rec.timestamps)


def test_values_and_nan_kept(tmp_path: Path) -> None:
    t, x = _signal()
    x[10, 1] = np.nan
    x[20, 2] = np.inf
    rec = read_recording(_write(tmp_path / "a.csv", t, x))
    assert np.isnan(rec.data[10, 1])
    assert np.isinf(rec.data[20, 2])
    np.testing.assert_allclose(rec.data[:10], x[:10], atol=5e-4)
    np.testing.assert_allclose(rec.timestamps, t, atol=5e-4)


def test_empty_value_is_nan_and_truncated_last_line_dropped(tmp_path: Path) -> None:
    t, x = _signal(50)
    p = _write(tmp_path / "b.csv", t, x)
    lines = p.read_text().splitlines()
    lines[5] = re.sub(r",[^,]*,", ",,", lines[5], count=1)  # TP9 empty on line 6
    lines.append("1500000001.000,1.0,2.")  # killed mid-write
    p.write_text("\n".join(lines) + "\n")
    rec = read_recording(p)
    assert rec.n_samples == 50
    assert np.isnan(rec.data[4, 0])
    assert rec.notes == ("dropped truncated last line 52",)


def test_marker_column_is_ignored(tmp_path: Path) -> None:
    t, x = _signal(40)
    p = tmp_path / "m.csv"
    rows = [HEADER + ",Marker0"] + [
        ",".join([f"{ti:.3f}", *[f"{v:.3f}" for v in row], "0"])
        for ti, row in zip(t, x, strict=True)
    ]
    p.write_text("\n".join(rows) + "\n")
    assert read_recording(p).info.ch_names == ("TP9", "AF7", "AF8", "TP10", "Right AUX")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.replace("AF7", "AF9", 1), r"c\.csv: missing column 'AF7' for Muse 2016"),
        (lambda s: s.replace("timestamps", "time", 1), r"c\.csv: missing column 'timestamps'"),
        (
            lambda s: s.replace("\n1500000000.0", "\n1500000000.x", 1),
            r"c\.csv, line 2: cannot read '1500000000\.x\d*' as a number \(column 'timestamps'\)",
        ),
        (
            lambda s: "\n".join([*s.splitlines()[:3], "1,2", *s.splitlines()[3:]]),
            r"c\.csv, line 4: expected 6 fields, found 2",
        ),
        (lambda s: s.split("\n", 1)[0] + "\n", r"c\.csv: no samples"),
        (lambda s: "", r"c\.csv: empty file"),
    ],
)
def test_bad_csv_messages(tmp_path: Path, mutate, message: str) -> None:
    t, x = _signal(30)
    p = _write(tmp_path / "c.csv", t, x)
    p.write_text(mutate(p.read_text()))
    with pytest.raises(InputError, match=message) as err:
        read_recording(p)
    assert "\n" not in str(err.value)


def test_backwards_timestamps_name_the_line(tmp_path: Path) -> None:
    t, x = _signal(100)
    t[40] = t[38]  # sample on line 42 is earlier than line 41
    with pytest.raises(
        InputError, match=r"d\.csv, line 42: timestamp .* goes backwards \(line 41 has"
    ):
        read_recording(_write(tmp_path / "d.csv", t, x))


def test_all_nan_is_an_error(tmp_path: Path) -> None:
    t, x = _signal(30)
    x[:] = np.nan
    with pytest.raises(InputError, match=r"e\.csv: every sample is NaN or infinite"):
        read_recording(_write(tmp_path / "e.csv", t, x))


def test_missing_unreadable_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothere\.csv: file not found"):
        read_recording(tmp_path / "nothere.csv")
    with pytest.raises(InputError, match="is a directory"):
        read_recording(tmp_path)
    odd = tmp_path / "notes.txt"
    odd.write_text("hello\n")
    with pytest.raises(InputError, match=r"notes\.txt: unknown recording format '\.txt'"):
        read_recording(odd)
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match=r"x\.csv: not a text CSV file"):
        read_recording(binary)


def test_csv_recognised_by_content(tmp_path: Path) -> None:
    t, x = _signal(30)
    p = _write(tmp_path / "recording.dat", t, x)
    assert read_recording(p).n_samples == 30


finite = st.floats(-1e4, 1e4, allow_nan=False).map(lambda v: round(v, 3))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(st.sampled_from([0.003, 0.004, 0.005, 0.5]), min_size=1, max_size=60),
    values=st.data(),
)
def test_csv_round_trip_property(
    tmp_path: Path, steps: list[float], values: st.DataObject
) -> None:
    t = np.round(1.6e9 + np.concatenate([[0.0], np.cumsum(steps)]), 3)
    x = np.array(
        values.draw(
            st.lists(st.lists(finite, min_size=5, max_size=5), min_size=len(t), max_size=len(t))
        )
    )
    rec = read_recording(_write(tmp_path / "h.csv", t, x))
    np.testing.assert_allclose(rec.data, x, atol=1e-9)
    np.testing.assert_allclose(rec.timestamps, t, atol=1e-6)
    assert [g.index for g in rec.gaps] == [i + 1 for i, s in enumerate(steps) if s == 0.5]


def test_a_users_device_toml_stays_the_profile(tmp_path: Path, unique_name: str) -> None:
    """A profile from the user's own TOML (not a shipped name) is the one used downstream:
    the file source and the replay outlet, not only the reader."""
    from choreo.eeg.offline_scoring import score_recording
    from choreo.eeg.sources.outlet import replay_recording

    toml = tmp_path / "mycap.toml"
    toml.write_text(
        'name = "mycap"\ndisplay_name = "My cap"\nsfreq = 256.0\nreference = "Cz"\n'
        'channels = ["TP9", "AF7", "AF8", "TP10", "Right AUX"]\nfrontal = ["AF7", "AF8"]\n'
        'unused = ["Right AUX"]\n'
    )
    t = 1.5e9 + np.arange(256 * 12) / 256.0
    x = np.random.default_rng(3).normal(0, 20, (t.size, 5))
    path = _write(tmp_path / "mine.csv", t, x)
    with open_recording(path, toml) as src:
        assert src.info.device == "mycap"
        assert src.profile.reference == "Cz"
    assert score_recording(path, toml).device == "mycap"
    pub = replay_recording(path, device=toml, name=unique_name, source_id=unique_name)
    try:
        assert pub.info.device == "mycap"
        desc = pub.outlet.get_info().desc()
        assert desc.child("reference").child_value("label") == "Cz"
    finally:
        pub.stop()
