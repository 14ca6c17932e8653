"""choreo.resources: the shipped folders, the override, and how a written path is found."""

from __future__ import annotations

from pathlib import Path

import pytest

from choreo import resources
from choreo.config import resolve_config
from choreo.errors import ConfigError
from choreo.session.settings import LearnerConnection, load_session_settings


def test_shipped_folders_are_inside_the_package() -> None:
    package = Path(resources.__file__).resolve().parent
    assert resources.config_dir() == package / "configs"
    assert resources.model_dir() == package / "models"
    assert (resources.config_dir() / "robot" / "kr6r900sixx.toml").is_file()
    assert (resources.model_dir() / "prior.safetensors").is_file()


def test_old_repo_relative_paths_map_to_the_shipped_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no configs/ or models/ here
    assert resources.locate("configs/eeg.toml") == resources.config_dir() / "eeg.toml"
    assert resources.locate("choreo/configs/devices/muse2016.toml") == (
        resources.config_dir() / "devices" / "muse2016.toml"
    )
    assert resources.locate("models/prior.safetensors") == (
        resources.model_dir() / "prior.safetensors"
    )
    # Nothing there: the path comes back as written, for the caller's error message.
    assert resources.locate("models/nothing.safetensors") == Path("models/nothing.safetensors")
    assert resources.locate("elsewhere/eeg.toml") == Path("elsewhere/eeg.toml")


def test_an_existing_user_file_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "models" / "prior.safetensors"
    mine.parent.mkdir()
    mine.write_bytes(b"x")
    assert resources.locate("models/prior.safetensors") == mine.resolve()
    assert LearnerConnection(checkpoint="models/prior.safetensors").checkpoint == str(
        mine.resolve()
    )


def test_config_dir_override_is_read_at_each_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "devices").mkdir()
    (tmp_path / "devices" / "mine.toml").write_text("name = 'mine'\n")
    monkeypatch.setenv(resources.CONFIG_DIR_ENV, str(tmp_path))
    assert resources.config_dir() == tmp_path
    assert resolve_config("mine", "devices") == tmp_path / "devices" / "mine.toml"
    with pytest.raises(ConfigError, match=r"no configuration 'muse2016' in .*devices"):
        resolve_config("muse2016", "devices")


def test_session_settings_hold_the_prior_as_an_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shipped = str(resources.model_dir() / "prior.safetensors")
    assert LearnerConnection().checkpoint == shipped
    assert load_session_settings().learner.checkpoint == shipped
