"""GAN checkpoints: safetensors weights with JSON metadata, loaded without running code.

A checkpoint is one ``.safetensors`` file. Its tensors are the generator's
(``generator.*``) and the critic's (``critic.*``) weights; its header metadata
holds one key, ``"choreo"``, a JSON document (:class:`CheckpointMeta`) with the
network shapes, the GAN settings, the robot configuration the prior was
trained for (a hash of the envelope and the duration range, which fix what
each byte means), the seed, the versions, the corpus and the measured
validity and diversity, and a SHA-256 of the tensor bytes. A copy of the JSON
is written beside the file (``<name>.json``) for people to read; the loader
uses only the embedded one.

Loading never unpickles: safetensors holds raw tensors and the metadata is
JSON. A file from another configuration (other latent size or architecture,
another robot envelope) or a corrupt file raises :class:`InputError` naming
the file and the problem.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import torch
from pydantic import Field, ValidationError

from choreo.config import StrictModel, format_validation_error
from choreo.errors import InputError
from choreo.prior.model import Critic, Generator
from choreo.prior.settings import GanSettings, ModelSettings
from choreo.resources import locate, model_dir

if TYPE_CHECKING:
    from choreo.robot.config import RobotConfig

FORMAT = "choreo-gan-prior/1"
#: The shipped, pretrained prior.
DEFAULT_CHECKPOINT = model_dir() / "prior.safetensors"


class RobotFingerprint(StrictModel):
    """What the bytes mean: the codec's envelope (deg) and duration range (s), hashed."""

    config_hash: str
    envelope_deg: list[tuple[float, float]]
    duration_s: tuple[float, float]


class CheckpointMeta(StrictModel):
    """The JSON document stored in a checkpoint's header."""

    format: Literal["choreo-gan-prior/1"] = "choreo-gan-prior/1"
    model: ModelSettings
    settings: GanSettings
    robot: RobotFingerprint
    seed: int
    versions: dict[str, str]
    corpus: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    train_seconds: float = 0.0
    created_utc: str = ""
    tensors_sha256: str = ""


def robot_fingerprint(cfg: RobotConfig) -> RobotFingerprint:
    """Fingerprint of the parts of a robot configuration that give the bytes their meaning."""
    envelope = [(float(a), float(b)) for a, b in cfg.envelope]
    durations = (float(cfg.segment_duration_s.min), float(cfg.segment_duration_s.max))
    blob = json.dumps({"envelope_deg": envelope, "duration_s": durations}, sort_keys=True)
    return RobotFingerprint(
        config_hash=hashlib.sha256(blob.encode()).hexdigest()[:16],
        envelope_deg=envelope,
        duration_s=durations,
    )


#: The packages a checkpoint records the versions of.
CHECKPOINT_PACKAGES = ("choreo", "torch", "numpy", "safetensors")


def versions() -> dict[str, str]:
    """Versions that a checkpoint records (see :func:`choreo.provenance.versions`)."""
    from choreo.provenance import versions as package_versions

    return package_versions(CHECKPOINT_PACKAGES)


def _tensors_digest(tensors: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def save_checkpoint(
    path: str | os.PathLike[str],
    generator: Generator,
    critic: Critic | None,
    meta: CheckpointMeta,
) -> tuple[Path, CheckpointMeta]:
    """Write weights and metadata to ``path`` (atomically) and the JSON copy beside it.

    Returns
    -------
    path : Path
        The checkpoint written.
    meta : CheckpointMeta
        ``meta`` with the checksum of the weights filled in.
    """
    from safetensors.torch import save_file

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tensors = {
        f"generator.{k}": v.detach().contiguous() for k, v in generator.state_dict().items()
    }
    if critic is not None:
        tensors.update(
            {f"critic.{k}": v.detach().contiguous() for k, v in critic.state_dict().items()}
        )
    meta = meta.model_copy(update={"tensors_sha256": _tensors_digest(tensors)})
    doc = meta.model_dump(mode="json")
    tmp = p.with_name(p.name + ".tmp")
    save_file(tensors, str(tmp), metadata={"choreo": json.dumps(doc, sort_keys=True)})
    os.replace(tmp, p)
    p.with_suffix(".json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return p, meta


def _read(path: Path) -> tuple[CheckpointMeta, dict[str, torch.Tensor]]:
    """Read and verify a checkpoint file; every failure is an InputError naming ``path``."""
    from safetensors import safe_open

    if not path.is_file():
        raise InputError(f"{path}: checkpoint not found")
    try:
        with safe_open(str(path), framework="pt") as fh:
            header = fh.metadata() or {}
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
    except InputError:
        raise
    except Exception as exc:  # safetensors raises its own error types and OSError
        raise InputError(f"{path}: not a readable safetensors checkpoint ({exc})") from None
    if "choreo" not in header:
        raise InputError(f"{path}: not a choreo GAN checkpoint (no 'choreo' metadata)")
    try:
        doc = json.loads(header["choreo"])
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: checkpoint metadata is not valid JSON ({exc.msg})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        fmt = doc.get("format") if isinstance(doc, dict) else None
        raise InputError(f"{path}: unsupported checkpoint format {fmt!r} (expected {FORMAT!r})")
    try:
        meta = CheckpointMeta.model_validate(doc)
    except ValidationError as exc:
        raise InputError(format_validation_error(exc, f"{path}: checkpoint metadata")) from None
    if meta.tensors_sha256 and _tensors_digest(tensors) != meta.tensors_sha256:
        raise InputError(f"{path}: checkpoint is corrupt (weights do not match their checksum)")
    return meta, tensors


def _model_mismatch(found: ModelSettings, expected: ModelSettings) -> str:
    diffs = [
        f"{k}={getattr(found, k)!r} (expected {getattr(expected, k)!r})"
        for k in ModelSettings.model_fields
        if getattr(found, k) != getattr(expected, k)
    ]
    return ", ".join(diffs)


def _load_state(
    module: torch.nn.Module, tensors: dict[str, torch.Tensor], prefix: str, path: Path
) -> None:
    state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if missing or unexpected:
        raise InputError(
            f"{path}: {prefix.rstrip('.')} weights do not fit the recorded architecture "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    for k, v in state.items():
        if tuple(v.shape) != tuple(own[k].shape):
            raise InputError(
                f"{path}: tensor '{prefix}{k}' has shape {tuple(v.shape)}, "
                f"the architecture needs {tuple(own[k].shape)}"
            )
        if not torch.isfinite(v).all():
            raise InputError(f"{path}: tensor '{prefix}{k}' holds NaN or infinite values")
    module.load_state_dict(state)


def load_checkpoint(
    path: str | os.PathLike[str] | None = None,
    *,
    expected_model: ModelSettings | None = None,
    robot: RobotConfig | None = None,
    with_critic: bool = False,
) -> tuple[Generator, Critic | None, CheckpointMeta]:
    """Load a checkpoint, refusing one from another configuration.

    Parameters
    ----------
    path : path, optional
        The ``.safetensors`` file; default the shipped ``choreo/models/prior.safetensors``;
        ``models/...`` names a shipped file (:func:`choreo.resources.locate`).
    expected_model : ModelSettings, optional
        Shapes the caller needs; any difference (latent size, architecture,
        widths) is refused.
    robot : RobotConfig, optional
        Robot configuration in use; default :func:`load_robot_config()`. A
        checkpoint trained for another envelope or duration range is refused.
    with_critic : bool
        Also build the critic (``None`` when the file holds none).

    Raises
    ------
    InputError
        Missing, corrupt or truncated file, or a mismatch (named).
    """
    p = locate(path) if path is not None else DEFAULT_CHECKPOINT
    meta, tensors = _read(p)
    if expected_model is not None and meta.model != expected_model:
        raise InputError(
            f"{p}: checkpoint is for another GAN configuration: "
            f"{_model_mismatch(meta.model, expected_model)}"
        )
    if robot is None:
        from choreo.robot.config import load_robot_config

        robot = load_robot_config()
    current = robot_fingerprint(robot)
    if current.config_hash != meta.robot.config_hash:
        raise InputError(
            f"{p}: checkpoint was trained for another robot envelope/duration range "
            f"(hash {meta.robot.config_hash}: envelope {meta.robot.envelope_deg}, "
            f"durations {meta.robot.duration_s} s; current config hash {current.config_hash}: "
            f"envelope {current.envelope_deg}, durations {current.duration_s} s)"
        )
    generator = Generator.from_settings(meta.model)
    _load_state(generator, tensors, "generator.", p)
    generator.eval()
    critic: Critic | None = None
    if with_critic and any(k.startswith("critic.") for k in tensors):
        critic = Critic.from_settings(meta.model)
        _load_state(critic, tensors, "critic.", p)
        critic.eval()
    return generator, critic, meta


def load_generator(
    path: str | os.PathLike[str] | None = None,
    *,
    expected_model: ModelSettings | None = None,
    robot: RobotConfig | None = None,
) -> tuple[Generator, CheckpointMeta]:
    """The learner's entry point: ``(Generator, metadata)`` from ``path``.

    ``path`` defaults to the shipped prior, ``choreo/models/prior.safetensors``.

    See :func:`load_checkpoint` for the checks made.
    """
    generator, _, meta = load_checkpoint(path, expected_model=expected_model, robot=robot)
    return generator, meta
