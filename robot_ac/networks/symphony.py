"""Symphony networks: the ReSine activation, its Linear-LayerNorm-Linear-ReSine-Linear block, the bounded
actor and the critic ensemble.

Ishuov et al., "Symphony: A Heuristic Normalized Calibrated Advantage Actor and Critic Algorithm in application
for Humanoid Robots" (arXiv:2512.10477), as in its reference code (github.com/SuspensionRailway/symphony,
``symphony.py``, the Symphony-S3 variant). The learning rule lives in ``robot_ac.algorithms.symphony``.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

# Scale and beta heads stay inside [eps, 1 - eps]: the swaddling term takes logs of both and atanh of their powers.
SCALE_EPS = 1e-3


class ReSine(nn.Module):
    """Rectified sine, elementwise over the last dimension of width ``dim``.

    ``f(x) = σ·sin(x/σ)`` and ``ReSine(x) = f(x)·sigmoid(1.5·f(x)/σ)``, with ``σ = sigmoid(s)`` one per unit and
    ``s ~ U(-1/√dim, 1/√dim)`` learnable (paper Table III). The sine lets a unit oscillate; the sigmoid gate
    rectifies it like SiLU. The reference code fixes the gate weight at 1.5; a later revision of the paper makes
    it learnable as well.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        bound = 1.0 / math.sqrt(dim)
        self.s = nn.Parameter(torch.empty(dim).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sigma = torch.sigmoid(self.s)
        f = sigma * torch.sin(x / sigma)
        return f * torch.sigmoid(1.5 * f / sigma)


def symphony_block(in_dim: int, hidden_dim: int, out_dim: int) -> nn.Sequential:
    """Linear -> LayerNorm -> Linear -> ReSine -> Linear, the one block both actor and critics are made of.

    LayerNorm regularises the input layer and ReSine the hidden one; the output layer is left linear (paper §III).
    """
    return nn.Sequential(
        nn.Linear(in_dim, hidden_dim),
        nn.LayerNorm(hidden_dim),
        nn.Linear(hidden_dim, hidden_dim),
        ReSine(hidden_dim),
        nn.Linear(hidden_dim, out_dim),
    )


def _heads(raw: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    # float32 before the squash: near 1 - SCALE_EPS bfloat16 rounds to 1 and the swaddling term to infinity.
    a, s, b = torch.tanh(raw.float() / 2).chunk(3, dim=-1)
    return a, s.abs(), b.abs()


def _deterministic_action(raw: torch.Tensor, max_action: torch.Tensor) -> torch.Tensor:
    a, s, _ = _heads(raw)
    return max_action * torch.tanh(s * a)


class SymphonyActor(nn.Module):
    """Deterministic actor with a learnt action strength and bounded Gaussian noise.

    One block maps an observation [N, obs_dim] to three heads of width action_dim, each squashed by tanh(·/2):
    the direction ``a ∈ (-1, 1)``, the strength (scale) ``σ = |·| ∈ [0, 1)`` and the swaddling temperature
    ``β = |·| ∈ [0, 1)``. The action is

        action = max_action · tanh(σ·a + n),   n = noise_std · clip(N(0, 1), -noise_clip, noise_clip)

    so it never leaves [-max_action, max_action], noise included; the deterministic action drops ``n``. With the
    paper's noise_std = 1/e and noise_clip = e the noise lies in [-1, 1]: small strengths σ bury the action in the
    noise (exploration), large ones rise above it. tanh squashing instead of clipping keeps the noise from piling
    up at the action limits. σ and β are returned clamped to [SCALE_EPS, 1 - SCALE_EPS] for the swaddling term.
    """

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        hidden_dim: int,
        *,
        max_action: float | torch.Tensor = 1.0,
        noise_std: float = 1.0 / math.e,
        noise_clip: float = math.e,
    ) -> None:
        super().__init__()
        self.net = symphony_block(obs_dim, hidden_dim, 3 * action_dim)
        # A buffer, so the action scale travels with state_dict() and into the exported graph.
        self.register_buffer("max_action", torch.as_tensor(max_action, dtype=torch.float32).expand(action_dim).clone())
        self.noise_std = noise_std
        self.noise_clip = noise_clip

    def heads(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Direction a, strength σ and temperature β, each [N, action_dim] in float32 (also under autocast)."""
        return _heads(self.net(obs))

    def deterministic(self, obs: torch.Tensor) -> torch.Tensor:
        """The deployed action [N, action_dim]: ``max_action · tanh(σ·a)``."""
        return _deterministic_action(self.net(obs), self.max_action)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Noisy action, σ and β (each [N, action_dim]); used both to explore and inside the update."""
        a, s, b = self.heads(obs)
        noise = self.noise_std * torch.randn_like(a).clamp(-self.noise_clip, self.noise_clip)
        action = self.max_action * torch.tanh(s * a + noise)
        return action, s.clamp(SCALE_EPS, 1 - SCALE_EPS), b.clamp(SCALE_EPS, 1 - SCALE_EPS)

    def as_onnx(self, verbose: bool = False) -> _DeterministicActor:
        """A copy that maps ``obs`` [N, obs_dim] to ``actions`` [N, action_dim]; traceable and scriptable
        (``verbose`` is accepted for the same call as rsl_rl's models)."""
        return _DeterministicActor(self)

    def as_jit(self) -> _DeterministicActor:
        return _DeterministicActor(self)


class _DeterministicActor(nn.Module):
    """Export wrapper with the I/O names and dummy input ``torch.onnx.export`` needs (as rsl_rl's ``as_onnx``)."""

    def __init__(self, actor: SymphonyActor) -> None:
        super().__init__()
        self.input_names = ["obs"]
        self.output_names = ["actions"]
        self.net = copy.deepcopy(actor.net)
        self.register_buffer("max_action", actor.max_action.detach().clone())

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return _deterministic_action(self.net(obs), self.max_action)

    def get_dummy_inputs(self) -> tuple[torch.Tensor]:
        first = self.net[0]
        return (torch.zeros(1, first.in_features, device=first.weight.device),)


class SymphonyCritic(nn.Module):
    """Ensemble of ``num_critics`` Q networks in one module, each with ``q_nodes`` outputs.

    ``forward(obs [N, obs_dim], action [N, action_dim]) -> q [N, num_critics * q_nodes]``, float32. The
    concatenated nodes form the value distribution that the algorithm sorts and soft-truncates for its target;
    every node regresses onto the same TD target (paper §III: 3 critics x 128 nodes).
    """

    def __init__(
        self, obs_dim: int, action_dim: int, hidden_dim: int, *, num_critics: int = 3, q_nodes: int = 128
    ) -> None:
        super().__init__()
        in_dim = obs_dim + action_dim
        self.heads = nn.ModuleList(symphony_block(in_dim, hidden_dim, q_nodes) for _ in range(num_critics))

    def forward(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        x = torch.cat([obs, action], dim=-1)
        return torch.cat([head(x) for head in self.heads], dim=-1).float()
