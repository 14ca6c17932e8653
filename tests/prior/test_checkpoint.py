"""Checkpoints: round trip, no code from the file, refusal of mismatched or corrupt files."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from choreo.errors import InputError
from choreo.prior.checkpoint import (
    DEFAULT_CHECKPOINT,
    CheckpointMeta,
    load_checkpoint,
    load_generator,
    robot_fingerprint,
    save_checkpoint,
    versions,
)
from choreo.prior.model import Critic, Generator
from choreo.prior.settings import GanSettings, ModelSettings
from choreo.robot.config import RobotConfig, load_robot_config, robot_config_with

torch.set_num_threads(1)

SMALL = ModelSettings(
    latent_dim=6, generator_hidden=16, generator_layers=2, critic_hidden=16, critic_layers=2
)


@pytest.fixture(scope="module")
def cfg() -> RobotConfig:
    return load_robot_config()


@pytest.fixture
def saved(tmp_path: Path, cfg: RobotConfig) -> tuple[Path, Generator]:
    torch.manual_seed(0)
    g = Generator.from_settings(SMALL)
    c = Critic.from_settings(SMALL)
    meta = CheckpointMeta(
        model=SMALL,
        settings=GanSettings(model=SMALL),
        robot=robot_fingerprint(cfg),
        seed=7,
        versions=versions(),
        metrics={"validity": 1.0},
    )
    return save_checkpoint(tmp_path / "p.safetensors", g, c, meta)[0], g


def test_round_trip_gives_the_same_choreographies(
    saved: tuple[Path, Generator], cfg: RobotConfig
) -> None:
    path, g = saved
    loaded, critic, meta = load_checkpoint(path, expected_model=SMALL, robot=cfg, with_critic=True)
    z = np.random.default_rng(0).standard_normal((20, 6)).astype(np.float32)
    np.testing.assert_array_equal(loaded.decode_latent(z), g.decode_latent(z))
    assert critic is not None
    assert meta.seed == 7
    assert meta.model == SMALL
    assert meta.versions["torch"] == torch.__version__
    assert meta.robot.config_hash == robot_fingerprint(cfg).config_hash
    # the readable copy beside the file says the same
    side = json.loads(path.with_suffix(".json").read_text())
    assert side["seed"] == 7
    assert side["tensors_sha256"] == meta.tensors_sha256


def test_file_is_plain_safetensors_without_pickle(saved: tuple[Path, Generator]) -> None:
    raw = saved[0].read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])  # a JSON header, then raw tensor bytes
    assert "choreo" in header["__metadata__"]
    assert any(k.startswith("generator.") for k in header)
    assert b"\x80\x04" not in raw[:2]  # not a pickle stream
    assert not raw.startswith(b"PK")  # not a torch zip archive


def test_other_latent_size_is_refused_naming_file_and_key(
    saved: tuple[Path, Generator], cfg: RobotConfig
) -> None:
    path, _ = saved
    other = SMALL.model_copy(update={"latent_dim": 12})
    with pytest.raises(InputError, match=r"p\.safetensors: .*latent_dim=6 \(expected 12\)"):
        load_generator(path, expected_model=other, robot=cfg)
    arch = SMALL.model_copy(update={"architecture": "conv"})
    with pytest.raises(InputError, match=r"architecture='mlp' \(expected 'conv'\)"):
        load_generator(path, expected_model=arch, robot=cfg)


def test_other_robot_envelope_is_refused(saved: tuple[Path, Generator], cfg: RobotConfig) -> None:
    path, _ = saved
    env = cfg.envelope_deg.model_dump()
    env["A1"] = (-100.0, 100.0)
    narrower = robot_config_with(cfg, envelope_deg=env)
    with pytest.raises(InputError, match=r"p\.safetensors: .*another robot envelope"):
        load_generator(path, robot=narrower)
    # a change that does not alter what the bytes mean is accepted
    load_generator(path, robot=robot_config_with(cfg, speed_scale=0.2))


def test_truncated_file_is_refused(saved: tuple[Path, Generator], cfg: RobotConfig) -> None:
    path, _ = saved
    raw = path.read_bytes()
    for cut in (5, 100, len(raw) - 10):
        path.write_bytes(raw[:cut])
        with pytest.raises(InputError, match=r"p\.safetensors: not a readable safetensors"):
            load_generator(path, robot=cfg)


def test_corrupt_weights_fail_their_checksum(
    saved: tuple[Path, Generator], cfg: RobotConfig
) -> None:
    path, _ = saved
    raw = bytearray(path.read_bytes())
    raw[-7] ^= 0xFF  # flip bits inside the last tensor
    path.write_bytes(bytes(raw))
    with pytest.raises(InputError, match=r"p\.safetensors: checkpoint is corrupt"):
        load_generator(path, robot=cfg)


def test_missing_garbage_and_foreign_files(tmp_path: Path, cfg: RobotConfig) -> None:
    from safetensors.torch import save_file

    with pytest.raises(InputError, match=r"nope\.safetensors: checkpoint not found"):
        load_generator(tmp_path / "nope.safetensors", robot=cfg)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00" * 3 + b"garbage" * 10)
    with pytest.raises(InputError, match=r"junk\.safetensors: not a readable"):
        load_generator(junk, robot=cfg)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(3)}, str(foreign))
    with pytest.raises(InputError, match=r"foreign\.safetensors: not a choreo GAN checkpoint"):
        load_generator(foreign, robot=cfg)
    bad_meta = tmp_path / "badmeta.safetensors"
    save_file({"w": torch.zeros(3)}, str(bad_meta), metadata={"choreo": "{not json"})
    with pytest.raises(InputError, match=r"badmeta\.safetensors: .*not valid JSON"):
        load_generator(bad_meta, robot=cfg)


def test_weights_that_do_not_fit_the_recorded_shapes_are_refused(
    saved: tuple[Path, Generator], cfg: RobotConfig, tmp_path: Path
) -> None:
    from safetensors import safe_open
    from safetensors.torch import save_file

    path, _ = saved
    with safe_open(str(path), framework="pt") as fh:
        header = fh.metadata()
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
    doc = json.loads(header["choreo"])
    doc["tensors_sha256"] = ""  # no checksum: the shape check must still catch it
    tensors["generator.body.0.weight"] = torch.zeros(16, 5)
    forged = tmp_path / "forged.safetensors"
    save_file(tensors, str(forged), metadata={"choreo": json.dumps(doc)})
    with pytest.raises(InputError, match=r"forged\.safetensors: tensor 'generator\.body\.0\."):
        load_generator(forged, robot=cfg)


@pytest.mark.skipif(not DEFAULT_CHECKPOINT.is_file(), reason="no shipped checkpoint yet")
def test_shipped_checkpoint_loads_and_records_its_figures(cfg: RobotConfig) -> None:
    g, meta = load_generator()
    assert DEFAULT_CHECKPOINT.stat().st_size < 2_000_000
    assert g.latent_dim == meta.model.latent_dim
    assert meta.metrics["validity"] >= 0.99
    assert meta.metrics["validity_strict"] >= 0.99  # performed as requested, no stretch
    assert meta.metrics["coverage"] > 0.3  # of the held-out corpus (reference 0.5)
    assert meta.metrics["near_copies"] < 0.01  # not memorising
    assert meta.metrics["validity_n"] >= 1000
    assert meta.corpus["size"] >= 5000
    v = g.sample(30, np.random.default_rng(0))
    assert v.shape == (30, 196)
    assert v.dtype == np.uint8
    # the recorded figure holds on fresh samples: checked as they are, strictly
    from choreo.prior.validity import validity

    assert validity(v, cfg).strict_share == 1.0
