"""Fading replay buffer: a preallocated ring of transitions on one device, sampled with recency-weighted
probabilities (Symphony paper, "Fading Replay Buffer").

Fading weights. With ``n`` transitions stored and ranked by age, ``k = 1`` the oldest and ``k = n`` the newest,

    w_k = tanh((π · k / n)^e),        p_k = w_k / Σ_{j=1..n} w_j

(the reference code's formula, ``tanh((π·i)^e)`` over normalised indices). ``w`` rises steeply from ~0 for the
oldest transitions to a plateau of ~1 that covers the newest ~60 % of the buffer: a recent memory sampled almost
uniformly plus a fading long-term trail. The weights depend on ``n`` only, so once the ring is full they never change.

Why a ring: the reference shifts the whole buffer with ``torch.roll`` on every insert (O(capacity) per
transition). Here a batch from N parallel envs is written at ``next, next+1, ...`` modulo the capacity (O(N)), and
a transition's age rank is its distance from the oldest slot, so nothing moves. The reference's extra cycle for
terminal transitions (shifting by two when the oldest one is terminal) is dropped: it only exists because of the
shifting. Transitions written in the same call get consecutive ranks in env order, an O(N/n) difference.

Sampling draws ranks by inverse CDF (``searchsorted`` on the cached float64 cumulative weights), not
``torch.multinomial``, which is limited to 2^24 categories and re-normalises the whole vector on every call.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch


def fading_weights(n: int, *, device: torch.device | str | None = None) -> torch.Tensor:
    """``w_k = tanh((π·k/n)^e)`` for ``k = 1..n`` [n], float64, rising with k (unnormalised)."""
    k = torch.arange(1, n + 1, dtype=torch.float64, device=device)
    return torch.tanh((math.pi * k / n) ** math.e)


class ReplayBatch(NamedTuple):
    """A sampled batch; B rows, float32."""

    obs: torch.Tensor  # [B, obs_dim]
    actions: torch.Tensor  # [B, action_dim]
    rewards: torch.Tensor  # [B, 1], as stored (not normalised)
    next_obs: torch.Tensor  # [B, obs_dim]
    terminated: torch.Tensor  # [B, 1], 1.0 where the episode truly ended (no bootstrap), 0.0 otherwise


class FadingReplayBuffer:
    """Ring buffer of ``capacity`` transitions preallocated on ``device``; see the module docstring.

    ``store`` takes one batch from N parallel envs; for a time-out the caller passes the real final observation as
    ``next_obs`` and ``terminated = 0``, so truncation is not treated as failure.
    """

    def __init__(self, capacity: int, obs_dim: int, action_dim: int, device: torch.device | str) -> None:
        if capacity < 1:
            raise ValueError(f"replay capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.device = torch.device(device)
        self.obs = torch.zeros(capacity, obs_dim, device=self.device)
        self.actions = torch.zeros(capacity, action_dim, device=self.device)
        self.rewards = torch.zeros(capacity, 1, device=self.device)
        self.next_obs = torch.zeros(capacity, obs_dim, device=self.device)
        self.terminated = torch.zeros(capacity, 1, device=self.device)
        self.size = 0  # slots filled; they are 0..size-1 until the ring first wraps
        self._next = 0  # slot the next transition is written to; once full, also the oldest one
        self._cdf: torch.Tensor | None = None  # cumulative fading weights for the current size
        self._cdf_size = 0

    def store(
        self,
        obs: torch.Tensor,
        actions: torch.Tensor,
        rewards: torch.Tensor,
        next_obs: torch.Tensor,
        terminated: torch.Tensor,
    ) -> None:
        """Write N transitions: obs/next_obs [N, obs_dim], actions [N, action_dim], rewards/terminated [N] or [N, 1]."""
        n = obs.shape[0]
        if n > self.capacity:
            raise ValueError(f"cannot store {n} transitions at once in a buffer of capacity {self.capacity}")
        slots = (self._next + torch.arange(n, device=self.device)) % self.capacity
        self.obs[slots] = obs.to(self.device, torch.float32)
        self.actions[slots] = actions.to(self.device, torch.float32)
        self.rewards[slots] = rewards.to(self.device, torch.float32).reshape(n, 1)
        self.next_obs[slots] = next_obs.to(self.device, torch.float32)
        self.terminated[slots] = terminated.to(self.device, torch.float32).reshape(n, 1)
        self._next = (self._next + n) % self.capacity
        self.size = min(self.size + n, self.capacity)

    def _slots_by_age(self, ranks: torch.Tensor) -> torch.Tensor:
        """Slot of the transition with age rank ``ranks`` (0 = oldest)."""
        oldest = (self._next - self.size) % self.capacity
        return (oldest + ranks) % self.capacity

    def _cumulative_weights(self) -> torch.Tensor:
        if self._cdf_size != self.size:
            self._cdf = torch.cumsum(fading_weights(self.size, device=self.device), dim=0)
            self._cdf_size = self.size
        return self._cdf

    def sampling_probabilities(self) -> torch.Tensor:
        """Exact probability that one draw returns each slot [capacity], float64; 0 for empty slots."""
        if self.size == 0:
            raise ValueError("the replay buffer is empty")
        weights = fading_weights(self.size, device=self.device)
        probs = torch.zeros(self.capacity, dtype=torch.float64, device=self.device)
        probs[self._slots_by_age(torch.arange(self.size, device=self.device))] = weights / weights.sum()
        return probs

    def sample_indices(self, batch_size: int) -> torch.Tensor:
        """``batch_size`` slots [B] drawn with replacement from ``sampling_probabilities()``."""
        if self.size == 0:
            raise ValueError("the replay buffer is empty")
        cdf = self._cumulative_weights()
        u = torch.rand(batch_size, dtype=torch.float64, device=self.device) * cdf[-1]
        # rank r is drawn when cdf[r-1] <= u < cdf[r]; the clamp only guards float round-off at the top end.
        ranks = torch.searchsorted(cdf, u, right=True).clamp_(max=self.size - 1)
        return self._slots_by_age(ranks)

    def sample(self, batch_size: int) -> ReplayBatch:
        slots = self.sample_indices(batch_size)
        return ReplayBatch(
            self.obs[slots], self.actions[slots], self.rewards[slots], self.next_obs[slots], self.terminated[slots]
        )
