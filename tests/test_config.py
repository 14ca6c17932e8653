from __future__ import annotations

from pathlib import Path

import pytest

from choreo.config import StrictModel, load_toml
from choreo.errors import ConfigError


class _Inner(StrictModel):
    window_s: float = 2.0


class _Outer(StrictModel):
    name: str
    inner: _Inner = _Inner()


def test_unknown_key_is_named_with_file(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('name = "x"\n[inner]\nwindow_s = 1.0\nhop = 3\n')
    with pytest.raises(ConfigError, match=r"bad\.toml: unknown key 'inner\.hop'"):
        load_toml(f, _Outer)


def test_wrong_type_and_missing(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('[inner]\nwindow_s = "long"\n')
    with pytest.raises(ConfigError, match=r"c\.toml: missing key 'name'"):
        load_toml(f, _Outer)
    f.write_text('name = "x"\n[inner]\nwindow_s = "long"\n')
    with pytest.raises(ConfigError, match=r"key 'inner\.window_s'"):
        load_toml(f, _Outer)


def test_missing_and_malformed_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_toml(tmp_path / "nope.toml", _Outer)
    f = tmp_path / "broken.toml"
    f.write_text("name = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_toml(f, _Outer)
