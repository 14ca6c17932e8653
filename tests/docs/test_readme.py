"""The README is a user's document: short, and every command in it exists as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from choreo.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"


def _commands() -> list[str]:
    """Every ``choreo ...`` line inside the README's code blocks (comments cut)."""
    blocks = re.findall(r"```\n(.*?)```", README.read_text(), flags=re.S)
    lines = [ln.split("  #")[0].strip() for b in blocks for ln in b.splitlines()]
    return [ln for ln in lines if ln.startswith("choreo ")]


def test_readme_is_short() -> None:
    assert len(README.read_text().splitlines()) <= 150


def test_readme_has_commands() -> None:
    assert len(_commands()) >= 15


@pytest.mark.parametrize("line", _commands())
def test_readme_command_and_options_exist(line: str) -> None:
    words = shlex.split(line)[1:]
    path = [w for w in words[:2] if not w.startswith("-")]
    # "choreo bench learning" is a group and its command; otherwise one command name.
    names = path[:2] if path and path[0] == "bench" else path[:1]
    result = CliRunner().invoke(app, [*names, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, f"{line!r}: {result.output}"
    for option in (w.split("=")[0] for w in words if w.startswith("--")):
        assert option in result.output, f"{line!r}: {option} not in the command's --help"
