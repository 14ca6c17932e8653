"""The learner's state: everything it knows, as arrays and JSON metadata, saved as
safetensors (no pickle) and restored bit-for-bit.

Part of :mod:`choreo.learning.learner` (which re-exports every public name).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from choreo.errors import InputError
from choreo.learning.settings import saved_settings
from choreo.robot.codec import VECTOR_LEN

if TYPE_CHECKING:
    from choreo.learning.learner import Learner
    from choreo.prior.model import Generator
    from choreo.robot.config import RobotConfig

STATE_FORMAT = "choreo-learner/2"


def state_dict(learner: Learner) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and JSON-able metadata describing ``learner`` completely."""
    pend_v = np.array([np.frombuffer(k, dtype=np.uint8) for k in learner._pending], dtype=np.uint8)
    pend_z = np.array(list(learner._pending.values()), dtype=np.float64)
    arrays: dict[str, np.ndarray] = {
        "latents": learner.latents.astype(np.float64),
        "vectors": learner.vectors.astype(np.uint8),
        "scores": learner.scores.astype(np.float64),
        "pending_vectors": pend_v.reshape(-1, VECTOR_LEN),
        "pending_latents": pend_z.reshape(-1, learner.space_dim),
        "rejected_vectors": np.array(
            [np.frombuffer(k, dtype=np.uint8) for k in sorted(learner._rejected)], dtype=np.uint8
        ).reshape(-1, VECTOR_LEN),
        "adapter_mean": learner.adapter.mean.detach().numpy().copy(),
        "adapter_scale_tril": learner.adapter.scale_tril.detach().numpy().copy(),
        "gp_theta": learner.gp.theta.astype(np.float64),
        "start_vectors": learner.starts.astype(np.uint8),
        "start_points": learner._start_points.astype(np.float64),
    }
    meta: dict[str, Any] = {
        "format": STATE_FORMAT,
        "seed": learner.seed,
        "n_proposed": learner.n_proposed,
        "latent_dim": learner.dim,
        "settings": learner.settings.model_dump(mode="json"),
        "checkpoint": learner.checkpoint_path,
        "recommended_index": learner.recommended_index,
    }
    return arrays, meta


def save_state(learner: Learner, path: str | os.PathLike[str]) -> Path:
    """Write ``learner``'s state to ``path`` (safetensors + JSON metadata; no pickle)."""
    from safetensors.numpy import save_file

    arrays, meta = state_dict(learner)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    save_file(
        {k: np.ascontiguousarray(v) for k, v in arrays.items()},
        str(tmp),
        metadata={"choreo-learner": json.dumps(meta, sort_keys=True)},
    )
    os.replace(tmp, p)
    return p


def read_state(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and metadata of a learner state saved with :func:`save_state`.

    Raises
    ------
    InputError
        The file is missing or not a learner state.
    """
    from safetensors import safe_open

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: learner state not found")
    try:
        with safe_open(str(p), framework="numpy") as fh:
            header = fh.metadata() or {}
            arrays = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
        meta = json.loads(header["choreo-learner"])
    except Exception as exc:
        raise InputError(f"{p}: not a readable learner state ({exc})") from None
    formats = (STATE_FORMAT, "choreo-learner/1")
    if not isinstance(meta, dict) or meta.get("format") not in formats:
        raise InputError(f"{p}: not a choreo learner state (format {meta.get('format')!r})")
    return arrays, meta


def restore(
    cls: type[Learner],
    arrays: dict[str, np.ndarray],
    meta: dict[str, Any],
    checkpoint: str | os.PathLike[str] | Generator | None = None,
    cfg: RobotConfig | None = None,
    where: str = "learner state",
) -> Learner:
    """A learner from :meth:`state_dict`'s arrays and metadata (see :meth:`load`).

    Raises
    ------
    InputError
        The state does not fit the generator (named with ``where``).
    """
    p = where
    settings = saved_settings(meta["settings"], f"{p}: learner settings")
    ckpt = checkpoint if checkpoint is not None else meta.get("checkpoint")
    learner = cls(ckpt, seed=int(meta["seed"]), settings=settings, cfg=cfg)
    if learner.dim != int(meta["latent_dim"]):
        raise InputError(
            f"{p}: learner state has latent size {meta['latent_dim']}, the generator {learner.dim}"
        )
    if "start_vectors" in arrays:
        learner.starts = arrays["start_vectors"].reshape(-1, VECTOR_LEN).astype(np.uint8)
        learner._start_points = arrays["start_points"].reshape(-1, learner.space_dim)
    learner.latents = arrays["latents"].reshape(-1, learner.space_dim)
    learner.vectors = arrays["vectors"].reshape(-1, VECTOR_LEN).astype(np.uint8)
    learner.scores = arrays["scores"].reshape(-1)
    learner.n_proposed = int(meta["n_proposed"])
    learner._pending = {
        v.astype(np.uint8).tobytes(): z
        for v, z in zip(arrays["pending_vectors"], arrays["pending_latents"], strict=True)
    }
    learner._rejected = {
        v.astype(np.uint8).tobytes()
        for v in arrays.get("rejected_vectors", np.zeros((0, VECTOR_LEN), np.uint8))
    }
    learner._refit()
    # Chosen from the one before (keep_starts): saved, not recomputable from the data
    # alone; a state without it recommends by the plain rule.
    held = meta.get("recommended_index")
    if held is not None and not (isinstance(held, int) and 0 <= held < learner.n_observations):
        raise InputError(
            f"{p}: recommended_index {held!r} is not one of the "
            f"{learner.n_observations} scored choreographies"
        )
    learner.recommended_index = held
    return learner
