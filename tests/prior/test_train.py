"""Pretraining: a tiny run end to end, its determinism, the command line, the measures."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from choreo.cli import main
from choreo.prior.checkpoint import load_checkpoint
from choreo.prior.corpus import FAMILIES, ProceduralPrior
from choreo.prior.settings import GanSettings, load_gan_settings
from choreo.prior.train import train_prior
from choreo.prior.validity import diversity, validity
from choreo.robot.config import RobotConfig, load_robot_config

torch.set_num_threads(1)

TINY_TOML = """
[model]
latent_dim = 4
generator_hidden = 16
generator_layers = 2
critic_hidden = 16
critic_layers = 2
critic_input = "values+steps"

[corpus]
size = 64
cache_dir = "{cache}"

[training]
seed = {seed}
steps = 4
batch_size = 16
critic_steps = 2
warm_start_epochs = 1
eval_samples = 10
threads = 1
"""


@pytest.fixture(scope="module")
def cfg() -> RobotConfig:
    return load_robot_config()


def _tiny(tmp_path: Path, seed: int = 0) -> GanSettings:
    f = tmp_path / f"tiny{seed}.toml"
    f.write_text(TINY_TOML.format(cache=tmp_path / "cache", seed=seed))
    return load_gan_settings(f)


def test_tiny_run_writes_a_loadable_checkpoint_with_its_figures(
    tmp_path: Path, cfg: RobotConfig
) -> None:
    settings = _tiny(tmp_path)
    result = train_prior(settings, tmp_path / "a.safetensors", progress=False, robot=cfg)
    assert result.path.is_file()
    assert result.path.with_suffix(".json").is_file()
    g, _, meta = load_checkpoint(result.path, expected_model=settings.model, robot=cfg)
    assert g.latent_dim == 4
    assert meta.seed == 0
    assert meta.settings == settings
    assert meta.corpus["size"] == 64
    assert meta.corpus["train"] + meta.corpus["held_out"] == 64
    assert sum(meta.corpus["families"].values()) == 64
    m = meta.metrics
    assert 0.0 <= m["validity_strict"] <= m["validity"] <= 1.0
    assert m["validity_n"] == 10
    assert m["pairwise_rms_deg"] > 0.0
    assert set(m["family_share"]) == set(FAMILIES)
    assert meta.train_seconds > 0.0

    # same seed and settings: bit-identical weights (second run uses the cached corpus)
    again = train_prior(settings, tmp_path / "b.safetensors", progress=False, robot=cfg)
    assert again.meta.corpus["cached"] is True
    assert again.meta.tensors_sha256 == meta.tensors_sha256
    other = train_prior(_tiny(tmp_path, seed=1), tmp_path / "c.safetensors", False, cfg)
    assert other.meta.tensors_sha256 != meta.tensors_sha256


def test_command_line_trains_and_reports_bad_config_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "gan.toml"
    conf.write_text(TINY_TOML.format(cache=tmp_path / "cache", seed=3))
    out = tmp_path / "cli.safetensors"
    png = tmp_path / "prior.png"
    argv = ["choreo", "train-prior", "--config", str(conf), "--out", str(out), "--steps", "2"]
    monkeypatch.setattr(sys, "argv", [*argv, "--plot", str(png)])
    main()
    err = capsys.readouterr().err
    assert out.is_file()
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "valid (pass safety unaltered)" in err
    assert "coverage of held-out corpus" in err
    _, _, meta = load_checkpoint(out)
    assert meta.settings.training.steps == 2  # the override reached the run
    assert meta.seed == 3

    conf.write_text(conf.read_text() + "\nwarp = 9\n")
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "gan.toml: key 'training'" in err or "unknown key 'training.warp'" in err


def test_measures_tell_copies_and_collapse_from_a_varied_generator(cfg: RobotConfig) -> None:
    batch = ProceduralPrior(cfg, seed=21).sample_batch(120)
    train, held = batch.vectors[20:], batch.vectors[:20]
    tf, hf = batch.family[20:], batch.family[:20]

    copies = diversity(train[:20], train, tf, held, hf, cfg)
    assert copies["near_copies"] == 1.0
    assert copies["nn_train_deg"] == pytest.approx(0.0, abs=1e-3)

    collapsed = diversity(np.repeat(held[:1], 20, axis=0), train, tf, held, hf, cfg)
    assert collapsed["pairwise_rms_deg"] == pytest.approx(0.0, abs=1e-3)
    assert collapsed["coverage"] <= 0.1

    fresh = ProceduralPrior(cfg, seed=22).sample(20)
    varied = diversity(fresh, train, tf, held, hf, cfg)
    assert varied["near_copies"] == 0.0
    assert varied["pairwise_rms_deg"] > 0.5 * varied["corpus_pairwise_rms_deg"]
    assert varied["coverage"] > collapsed["coverage"]

    # keyframes jumping across the envelope in the shortest duration: plannable only
    # when the planner may slow the segments down
    jumpy = np.zeros((28, 7), np.uint8)
    jumpy[1::2, :6] = 255
    v = validity(np.concatenate([fresh[:4], jumpy.reshape(1, 196)]), cfg)
    assert v.n == 5
    assert v.share == 1.0
    assert v.strict_share == pytest.approx(0.8)  # ... but not as requested
    assert v.strict_reasons == {"timing": 1}


def test_structure_tells_held_axes_ramps_and_noise() -> None:
    from choreo.prior.validity import structure

    k = np.zeros((3, 28, 7), np.uint8)
    k[:, :, :6] = 100  # every axis held
    k[1, :, 0] = np.arange(28) * 5  # A1 ramps
    k[2, :, 0] = np.random.default_rng(0).integers(0, 256, 28)  # A1 is noise
    s = structure(k.reshape(3, 196))
    assert s["held_axes"] == pytest.approx(16 / 18)
    # moving axes: the ramp (roughness 0) and the noise (roughness > 1): median between
    ramp, noise = structure(k[1:2].reshape(1, 196)), structure(k[2:3].reshape(1, 196))
    assert ramp["roughness"] == 0.0
    assert ramp["moving_range"] == 26 * 5  # keyframes 2..28
    assert noise["roughness"] > 1.0
