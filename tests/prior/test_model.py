"""Generator and critic: shapes, the byte range, the integer grid, gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from choreo.prior.model import (
    Critic,
    Generator,
    dequantise,
    straight_through_round,
    to_bytes,
    to_unit,
)

torch.set_num_threads(1)


@pytest.mark.parametrize("architecture", ["mlp", "conv", "gated"])
def test_generator_output_covers_byte_cells_and_rounds_to_uint8(architecture: str) -> None:
    torch.manual_seed(0)
    g = Generator(latent_dim=8, hidden=32, layers=3, architecture=architecture)
    # large latents push the sigmoid to its ends: the output must stay in the byte cells
    z = torch.randn(64, 8) * 50.0
    x = g(z).detach()
    assert x.shape == (64, 196)
    assert float(x.min()) >= -0.5
    assert float(x.max()) <= 255.5
    v = g.decode_latent(z.numpy())
    assert v.dtype == np.uint8
    assert v.shape == (64, 196)
    np.testing.assert_array_equal(v, to_bytes(x))
    if architecture != "conv":  # saturated outputs reach both ends of the byte range
        assert v.min() == 0
        assert v.max() == 255


def test_decode_latent_is_deterministic_and_checks_shape() -> None:
    torch.manual_seed(1)
    g = Generator(latent_dim=12, hidden=32, layers=2)
    z = np.random.default_rng(0).standard_normal((5, 12)).astype(np.float32)
    np.testing.assert_array_equal(g.decode_latent(z), g.decode_latent(z))
    assert g.decode_latent(z[0]).shape == (1, 196)
    with pytest.raises(ValueError, match=r"\(n, 12\)"):
        g.decode_latent(np.zeros((3, 5)))
    # decode_latent does not leave the module in eval mode if it was training
    g.train()
    g.decode_latent(z)
    assert g.training


def test_sample_uses_the_given_rng() -> None:
    torch.manual_seed(2)
    g = Generator(latent_dim=6, hidden=16, layers=1)
    a = g.sample(10, np.random.default_rng(3))
    b = g.sample(10, np.random.default_rng(3))
    c = g.sample(10, np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


def test_dequantise_spreads_each_byte_over_its_rounding_cell() -> None:
    v = torch.tensor(np.tile(np.arange(256, dtype=np.uint8), 200)).reshape(-1, 256)
    x = dequantise(v, torch.Generator().manual_seed(0))
    diff = x - v.float()
    assert float(diff.min()) >= -0.5
    assert float(diff.max()) < 0.5
    # rounding the dequantised value gives the byte back (uniform noise, mean ~0)
    assert torch.equal(torch.round(x).clamp(0, 255), v.float())
    assert abs(float(diff.mean())) < 0.01
    assert abs(float(diff.std()) - (1 / 12) ** 0.5) < 0.01


def test_straight_through_round_rounds_forward_and_passes_gradient() -> None:
    x = torch.tensor([-0.4, 0.49, 0.51, 127.2, 255.4], requires_grad=True)
    y = straight_through_round(x)
    assert y.tolist() == [0.0, 0.0, 1.0, 127.0, 255.0]
    (y * torch.arange(5.0)).sum().backward()
    assert x.grad is not None
    assert x.grad.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_unit_scale_maps_the_byte_cells_onto_minus_one_one() -> None:
    assert to_unit(torch.tensor([-0.5, 127.5, 255.5])).tolist() == [-1.0, 0.0, 1.0]


def test_critic_scores_each_row_and_is_differentiable() -> None:
    torch.manual_seed(0)
    c = Critic(hidden=32, layers=2)
    x = (torch.rand(7, 196) * 255).requires_grad_(True)
    s = c(x)
    assert s.shape == (7,)
    assert torch.allclose(s, c.forward_unit(to_unit(x)))
    s.sum().backward()
    assert x.grad is not None
    assert torch.isfinite(x.grad).all()
    assert float(x.grad.abs().sum()) > 0


def test_unknown_architecture_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown generator architecture"):
        Generator(architecture="transformer")


def test_gated_generator_holds_an_axis_still_when_its_gate_closes() -> None:
    torch.manual_seed(0)
    g = Generator(latent_dim=6, hidden=32, layers=2, architecture="gated")
    last = g.body.body[-1]
    with torch.no_grad():
        last.bias[7 + 0] = -60.0  # gate of byte channel 0 (A1) closed
    v = g.decode_latent(np.random.default_rng(0).standard_normal((20, 6)).astype(np.float32))
    k = v.reshape(20, 28, 7)
    assert (k[:, :, 0] == k[:, :1, 0]).all()  # A1 constant over the 28 keyframes
    assert (np.ptp(k[:, :, 1:6], axis=1) > 0).mean() > 0.9  # the other axes move
