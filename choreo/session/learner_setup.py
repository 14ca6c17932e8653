"""The learner of a session, built one way for the live run and for its replay."""

from __future__ import annotations

from typing import Any

from choreo.session.store import SessionStore


def build_learner(store: SessionStore) -> Any:
    """A new :class:`~choreo.learning.learner.Learner` from the session's recorded settings.

    The prior checkpoint, seed and learner settings come from the directory's
    ``config.json``, the starts from earlier sessions from its ``meta.json``, so live and
    ``choreo replay-session`` start from the same learner (a session resumed from before a
    setting existed keeps that setting's old value).

    Raises
    ------
    ConfigError
        A recorded learner setting is unknown or out of range (named, with the file).
    """
    from choreo.learning.learner import Learner, saved_settings
    from choreo.session.starts import recorded_starts

    ls = store.settings().learner
    return Learner(
        ls.checkpoint,
        seed=ls.seed,
        settings=saved_settings(ls.settings, f"{store.path / 'config.json'}: [learner.settings]"),
        starts=recorded_starts(store.meta(), str(store.path / "meta.json")),
    )
