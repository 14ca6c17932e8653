"""The generator and the critic of choreo's GAN (PyTorch, CPU).

The generator maps a low-dimensional latent ``z`` (standard normal) to the 196
bytes of a choreography. Its output is continuous, on the *dequantised byte
scale* ``(-0.5, 255.5)``: a sigmoid scaled so that rounding to the nearest
integer gives every byte 0..255 the same width of output. For use, outputs
are rounded (:meth:`Generator.decode_latent`); for fine-tuning through the
rounding, :func:`straight_through_round` passes gradients as if it were the
identity.

Integer grid vs. the critic: the critic sees *real* samples dequantised with
uniform noise in ``[-0.5, 0.5)`` and *fake* samples unrounded. Both are then
continuous densities on the same interval, so the critic cannot tell them
apart by integer-ness (rounded reals against continuous fakes would be a
trivial tell), and the generator gets smooth gradients. See
:func:`dequantise`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from choreo.prior.settings import ModelSettings

#: Length of a choreography vector (28 keyframes x 7 bytes); the codec's VECTOR_LEN.
VECTOR_LEN = 196
N_KEYFRAMES = 28
BYTES_PER_KEYFRAME = 7


def to_unit(x: Tensor) -> Tensor:
    """Map the dequantised byte scale ``[-0.5, 255.5]`` to ``[-1, 1]`` (the networks' scale)."""
    return (x + 0.5) / 128.0 - 1.0


def dequantise(vectors: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Spread integer bytes uniformly over their rounding cell: ``v + U[-0.5, 0.5)``.

    Parameters
    ----------
    vectors : Tensor, (n, 196)
        Byte values 0..255 (any dtype).
    generator : torch.Generator, optional
        Source of the noise, for determinism.
    """
    v = vectors.to(torch.float32)
    return v + torch.rand(v.shape, generator=generator) - 0.5


def straight_through_round(x: Tensor) -> Tensor:
    """Round to the byte grid 0..255 in the forward pass, identity in the backward pass."""
    rounded = torch.clamp(torch.round(x), 0.0, 255.0)
    return x + (rounded - x).detach()


def to_bytes(x: Tensor) -> np.ndarray:
    """Round a batch on the dequantised byte scale to ``uint8 (n, 196)``."""
    return torch.clamp(torch.round(x.detach()), 0.0, 255.0).to(torch.uint8).cpu().numpy()


def dense_stack(n_in: int, hidden: int, layers: int, n_out: int) -> nn.Sequential:
    """``layers`` dense layers of width ``hidden`` with leaky ReLU, then a linear output."""
    mods: list[nn.Module] = []
    width = n_in
    for _ in range(layers):
        mods += [nn.Linear(width, hidden), nn.LeakyReLU(0.2)]
        width = hidden
    mods.append(nn.Linear(width, n_out))
    return nn.Sequential(*mods)


class _ConvBody(nn.Module):
    """Latent -> 7 keyframe 'seeds' -> two upsamplings to 28 keyframes -> 7 bytes each.

    Convolution over time shares the same local motion patterns across the
    choreography, which suits swings, sweeps and repeated motifs.
    """

    def __init__(self, latent_dim: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.hidden = hidden
        self.stem = nn.Linear(latent_dim, hidden * 7)
        blocks: list[nn.Module] = []
        for i in range(max(layers, 2)):
            if i < 2:  # 7 -> 14 -> 28 keyframes
                blocks.append(nn.Upsample(scale_factor=2, mode="linear", align_corners=False))
            blocks += [nn.Conv1d(hidden, hidden, 3, padding=1), nn.LeakyReLU(0.2)]
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Conv1d(hidden, BYTES_PER_KEYFRAME, 1)

    def forward(self, z: Tensor) -> Tensor:
        h = nn.functional.leaky_relu(self.stem(z), 0.2).view(-1, self.hidden, 7)
        out = self.head(self.blocks(h))  # (n, 7 bytes, 28 keyframes)
        return out.transpose(1, 2).reshape(-1, VECTOR_LEN)  # keyframe-major like the codec


class _GatedBody(nn.Module):
    """Dense body whose output holds an axis still when its gate closes.

    Per byte channel c (A1..A6, duration): a base level, a gate in (0, 1) and a
    motion over the 28 keyframes; the logit is ``base_c + gate_c * motion_tc``.
    The corpus holds about half its axes exactly still; with a closed gate the
    generator can do so too, instead of having to cancel 27 outputs exactly.
    """

    def __init__(self, latent_dim: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.body = dense_stack(latent_dim, hidden, layers, VECTOR_LEN + 2 * BYTES_PER_KEYFRAME)

    def forward(self, z: Tensor) -> Tensor:
        h = self.body(z)
        c = BYTES_PER_KEYFRAME
        base, gate = h[:, None, :c], torch.sigmoid(h[:, None, c : 2 * c])
        motion = h[:, 2 * c :].reshape(-1, N_KEYFRAMES, c)
        return (base + gate * motion).reshape(-1, VECTOR_LEN)


class Generator(nn.Module):
    """Latent ``(n, latent_dim)`` -> ``(n, 196)`` on the dequantised byte scale.

    Parameters
    ----------
    latent_dim : int
        Size of the latent (standard normal).
    hidden, layers : int
        Width and depth of the body.
    architecture : {"mlp", "conv", "gated"}
        Dense body, a 1-D convolution over the 28 keyframes, or a dense body
        with a gate per axis that can hold the axis still.
    """

    def __init__(
        self,
        latent_dim: int = 12,
        hidden: int = 256,
        layers: int = 3,
        architecture: str = "mlp",
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.architecture = architecture
        self.body: nn.Module
        if architecture == "mlp":
            self.body = dense_stack(latent_dim, hidden, layers, VECTOR_LEN)
        elif architecture == "conv":
            self.body = _ConvBody(latent_dim, hidden, layers)
        elif architecture == "gated":
            self.body = _GatedBody(latent_dim, hidden, layers)
        else:
            raise ValueError(f"unknown generator architecture {architecture!r}")

    @classmethod
    def from_settings(cls, model: ModelSettings) -> Generator:
        """Build the generator that ``model`` describes."""
        return cls(
            model.latent_dim, model.generator_hidden, model.generator_layers, model.architecture
        )

    def forward(self, z: Tensor) -> Tensor:
        """Continuous bytes in ``(-0.5, 255.5)``, differentiable; round with :func:`to_bytes`."""
        return torch.sigmoid(self.body(z)) * 256.0 - 0.5

    def decode_latent(self, z: np.ndarray) -> np.ndarray:
        """Choreography vectors for latents ``z (n, latent_dim)``: rounded, ``uint8 (n, 196)``."""
        z_arr = np.asarray(z, dtype=np.float32)
        if z_arr.ndim == 1:
            z_arr = z_arr[None, :]
        if z_arr.ndim != 2 or z_arr.shape[1] != self.latent_dim:
            raise ValueError(f"latent must have shape (n, {self.latent_dim}), got {z_arr.shape}")
        was_training = self.training
        self.eval()
        with torch.no_grad():
            out = to_bytes(self(torch.from_numpy(z_arr)))
        self.train(was_training)
        return out

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` vectors from latents drawn by ``rng`` (standard normal): ``uint8 (n, 196)``."""
        z = rng.standard_normal((n, self.latent_dim)).astype(np.float32)
        return self.decode_latent(z)


class Critic(nn.Module):
    """``(n, 196)`` on the dequantised byte scale -> one unbounded score per row (WGAN).

    Parameters
    ----------
    hidden, layers : int
        Width and depth of the dense body.
    steps : bool
        Also feed the keyframe-to-keyframe steps of every byte (27 x 7 values):
        jitter on an axis that should hold still, or a swing out of rhythm, is
        then one linear feature away instead of having to be learnt.
    """

    def __init__(self, hidden: int = 256, layers: int = 3, steps: bool = False) -> None:
        super().__init__()
        self.steps = steps
        n_in = VECTOR_LEN + (N_KEYFRAMES - 1) * BYTES_PER_KEYFRAME * int(steps)
        # No normalisation layers: the gradient penalty is per sample.
        self.body = dense_stack(n_in, hidden, layers, 1)

    @classmethod
    def from_settings(cls, model: ModelSettings) -> Critic:
        """Build the critic that ``model`` describes."""
        return cls(model.critic_hidden, model.critic_layers, model.critic_input == "values+steps")

    def forward(self, x: Tensor) -> Tensor:
        """Critic score of byte-scale input, shape ``(n,)``; higher: 'more like the corpus'."""
        return self.forward_unit(to_unit(x))

    def forward_unit(self, u: Tensor) -> Tensor:
        """Critic score of input already on the unit scale ``[-1, 1]`` (see :func:`to_unit`)."""
        if self.steps:
            k = u.reshape(-1, N_KEYFRAMES, BYTES_PER_KEYFRAME)
            u = torch.cat([u, (k[:, 1:] - k[:, :-1]).reshape(u.shape[0], -1)], dim=1)
        return self.body(u).squeeze(-1)
