"""Symphony: off-policy deterministic actor-critic with swaddling, temporal advantage and fading replay.

Ishuov, Folgheraiter, Nurmanov, Gordo, Farkas, Dombi, "Symphony: A Heuristic Normalized Calibrated Advantage
Actor and Critic Algorithm in application for Humanoid Robots" (arXiv:2512.10477); reference code
github.com/SuspensionRailway/symphony, ``symphony.py`` + ``train.py`` (Symphony-S3). One gradient step, all
expectations are batch means and ``*`` marks a value detached from the graph:

    a', σ', β'   = actor(s')                                       noisy next action, strength, temperature
    q'           = Σ_n w_n · sort(Q_target(s', a'))_n               soft-truncated target (``soft_truncated``)
    y            = r / r̄ + γ (1 - terminated) q'*                   TD target; r̄ = mean |r| of the warm-up data
    Q̄            = α Q̄_prev + (1 - α) q'*                           moving average; its batch mean is kept
    A            = (q' - Q̄) / (|Q̄| + ε)                              temporal advantage (grad reaches the actor)
    H            = Ω(σ'^(1/β'*)) + β' σ' ln σ' + Ω(β'^2)             swaddling, Ω(x) = ln((1 + x) / (1 - x))
    L            = -ReHAE(A) + ReHSE(Q(s, a) - y) + H               one loss for actor and critics
    ReHSE(x) = mean(x tanh(x/2)),  ReHAE(x) = mean(|x| tanh(x/2))

The gradient of ``-ReHAE(A)`` flows through the frozen target critic into the actor; the critics learn from the
ReHSE term; one optimiser steps both. The target critic follows by Polyak averaging; there is no target actor.

Where this differs from the reference code, and why:
- Replay is a ring buffer with O(N) batched inserts for N parallel envs (``FadingReplayBuffer``); the reference
  rolls the whole buffer on every insert. Fading weights are taken over the filled part, ranks 1..n (the
  reference's index 0 made the oldest transition unsampleable), and the reference's "repeat the warm-up data 50
  times" fill is not done: the fading weights already spread the draws over the data there is.
- The advantage divides by ``|Q̄| + eps``; the reference divides by ``|Q̄|`` alone (NaN/inf when Q̄ crosses 0).
- The target critic has ``requires_grad=False`` and is updated under ``torch.no_grad``; the reference's target
  parameters required grad, so every step also computed (and accumulated, never zeroed) their gradients.
- Rewards are stored raw and divided by r̄ when sampled (r̄ is fixed at the first update); the reference rescales
  the stored rewards in place.
- torch.optim.AdamW with the paper's betas and weight decay; the reference's own Adam skips bias correction,
  which the paper notes only matters for the first ~1000 steps.
- No gradient dropout (the reference's S2 variant and a later paper revision use it; S3 does not). Episode-level
  tricks of the reference ``train.py`` (zeroing actions near the time limit, reseeding each step) belong to the
  runner. ``batch_size`` is its own field; the reference ties it to the number of critic nodes.
- Data parallel: with an initialised ``torch.distributed`` process group, parameters are broadcast from rank 0
  at construction and gradients (plus Q̄ and r̄) are averaged over ranks before each optimiser step.
"""

from __future__ import annotations

import copy
from dataclasses import asdict
from itertools import chain

import torch
import torch.distributed as dist

from robot_ac.algorithms.replay_buffer import FadingReplayBuffer, fading_weights
from robot_ac.config import SymphonyConfig
from robot_ac.errors import RobotAcError
from robot_ac.networks.symphony import SymphonyActor, SymphonyCritic

def rehse(x: torch.Tensor) -> torch.Tensor:
    """Rectified Huber symmetric error, mean(x·tanh(x/2)): ~x²/2 near 0, ~|x| far out."""
    return (x * torch.tanh(x / 2)).mean()


def rehae(x: torch.Tensor) -> torch.Tensor:
    """Rectified Huber asymmetric error, mean(|x|·tanh(x/2)): keeps the sign of x, increasing in x."""
    return (x.abs() * torch.tanh(x / 2)).mean()


def swaddling(scale: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """Swaddling regulariser on the action strength σ with learnt temperature β, both in (0, 1), any shape.

    ``mean[Ω(σ^(1/β*)) + β·σ·ln σ + Ω(β²)]`` with ``Ω(x) = ln((1+x)/(1-x)) = 2·atanh(x)``. Ω is a barrier that
    keeps σ away from 1 (full-strength actions), flat near 0 for small β; the helper ``σ ln σ`` has its minimum at
    σ = 1/e, the noise's standard deviation, so σ floats around the noise level instead of collapsing to 0. β is
    detached inside the barrier so β is shaped only by ``β·σ ln σ`` and its own barrier ``Ω(β²)``.
    """
    barrier = 2 * torch.atanh(scale ** (1 / beta.detach()))
    return (barrier + beta * scale * torch.log(scale) + 2 * torch.atanh(beta**2)).mean()


def truncation_weights(num_nodes: int, *, device: torch.device | str | None = None) -> torch.Tensor:
    """Weights [num_nodes] for critic nodes sorted ascending: the fading weights reversed, normalised to sum 1.

    ``w_n ∝ tanh((π·(num_nodes - n)/num_nodes)^e)`` for n = 0..num_nodes-1: ~1 for the lower ~60 % of the
    values, fading to ~0 for the highest ones, a smooth version of TQC's "drop the top quantiles".
    """
    weights = fading_weights(num_nodes, device=device).flip(0)
    return (weights / weights.sum()).float()


def soft_truncated(q: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``Σ_n w_n · sort(q)_n`` over the last dimension: q [B, nodes] -> [B, 1].

    Non-increasing weights that sum to 1 put the result between the min and the mean of the nodes, and it is
    non-decreasing in every node value.
    """
    return (torch.sort(q, dim=-1).values * weights).sum(dim=-1, keepdim=True)


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


class Symphony:
    """Symphony learner: networks, optimiser and fading replay buffer on one device.

    Verbs: ``act`` -> ``store`` -> (once ``ready``) ``update`` x ``cfg.updates_per_step`` per env step.
    ``max_action`` is a scalar or [action_dim] tensor: actions lie in [-max_action, max_action].
    """

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        cfg: SymphonyConfig = SymphonyConfig(),
        *,
        max_action: float | torch.Tensor = 1.0,
        device: torch.device | str = "cpu",
    ) -> None:
        if cfg.batch_size > cfg.buffer_capacity:
            raise RobotAcError(f"batch_size ({cfg.batch_size}) exceeds buffer_capacity ({cfg.buffer_capacity})")
        self.cfg = cfg
        self.device = torch.device(device)
        self.actor = SymphonyActor(obs_dim, action_dim, cfg.hidden_dim, max_action=max_action,
                                   noise_std=cfg.noise_std, noise_clip=cfg.noise_clip).to(self.device)
        self.critic = SymphonyCritic(obs_dim, action_dim, cfg.hidden_dim, num_critics=cfg.num_critics,
                                     q_nodes=cfg.q_nodes).to(self.device)
        if _distributed():
            # Every rank starts from rank 0's weights; averaged gradients then keep them identical.
            for tensor in chain(self.actor.state_dict().values(), self.critic.state_dict().values()):
                dist.broadcast(tensor, src=0)
        self.target_critic = copy.deepcopy(self.critic).requires_grad_(False)
        if cfg.compile:
            # In place (nn.Module.compile): state_dict keys and checkpoints stay those of the eager modules.
            for module in (self.actor, self.critic, self.target_critic):
                module.compile()
        self.params = [*self.actor.parameters(), *self.critic.parameters()]
        self.optimizer = torch.optim.AdamW(self.params, lr=cfg.learning_rate, betas=cfg.adam_betas,
                                           weight_decay=cfg.weight_decay)
        self.buffer = FadingReplayBuffer(cfg.buffer_capacity, obs_dim, action_dim, self.device)
        self.truncation_weights = truncation_weights(cfg.num_critics * cfg.q_nodes, device=self.device)
        self.q_ema = torch.zeros((), device=self.device)  # Q̄, the moving average of the target value
        self.reward_scale = torch.ones((), device=self.device)  # r̄; fixed at the first update
        self.reward_scale_fixed = not cfg.normalize_rewards
        self.num_updates = 0

    def _autocast(self) -> torch.autocast:
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.cfg.mixed_precision)

    @torch.no_grad()
    def act(self, obs: torch.Tensor, explore: bool) -> torch.Tensor:
        """Actions [N, action_dim] for observations [N, obs_dim]; bounded noise when ``explore``."""
        with self._autocast():
            return self.actor(obs)[0] if explore else self.actor.deterministic(obs)

    def store(
        self,
        obs: torch.Tensor,
        actions: torch.Tensor,
        rewards: torch.Tensor,
        next_obs: torch.Tensor,
        terminated: torch.Tensor,
    ) -> None:
        """One vectorised env step: obs/next_obs [N, obs_dim], actions [N, action_dim], rewards/terminated [N]."""
        self.buffer.store(obs, actions, rewards, next_obs, terminated)

    @property
    def ready(self) -> bool:
        """Enough transitions for the first update (warm-up done and at least one batch)."""
        return self.buffer.size >= max(self.cfg.warmup_transitions, self.cfg.batch_size)

    def _fix_reward_scale(self) -> None:
        # Slots 0..size-1 are the filled ones until the ring wraps, which is long after the warm-up.
        scale = self.buffer.rewards[: self.buffer.size].abs().mean()
        if _distributed():
            dist.all_reduce(scale)
            scale /= dist.get_world_size()
        self.reward_scale = scale + self.cfg.eps
        self.reward_scale_fixed = True

    def update(self) -> dict[str, float]:
        """One gradient step on a fading-replay batch; returns the loss terms and health signals."""
        if not self.ready:
            raise RobotAcError(f"Symphony.update() needs {max(self.cfg.warmup_transitions, self.cfg.batch_size)} "
                               f"stored transitions, has {self.buffer.size}; check `ready` first")
        if not self.reward_scale_fixed:
            self._fix_reward_scale()
        cfg = self.cfg
        batch = self.buffer.sample(cfg.batch_size)
        rewards = batch.rewards / self.reward_scale
        not_done_gamma = cfg.gamma * (1.0 - batch.terminated)

        # ---- ALGO LOGIC: one combined loss for actor and critics ----
        with self._autocast():
            next_action, next_scale, next_beta = self.actor(batch.next_obs)
            q_next = soft_truncated(self.target_critic(batch.next_obs, next_action), self.truncation_weights)
            q_pred = self.critic(batch.obs, batch.actions)
        q_next_value = q_next.detach()
        q_target = rewards + not_done_gamma * q_next_value
        q_ema = cfg.ema_alpha * self.q_ema + (1 - cfg.ema_alpha) * q_next_value  # [B, 1]
        advantage = (q_next - q_ema) / (q_ema.abs() + cfg.eps)
        actor_loss = -rehae(advantage)
        critic_loss = rehse(q_pred - q_target)
        swaddling_loss = swaddling(next_scale, next_beta)
        loss = actor_loss + critic_loss + swaddling_loss

        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        new_q_ema = q_ema.mean().detach()
        if _distributed():
            new_q_ema = self._average_over_ranks(new_q_ema)
        self.optimizer.step()
        self._update_target()
        self.q_ema = new_q_ema
        self.num_updates += 1

        stats = torch.stack([loss, actor_loss, critic_loss, swaddling_loss, new_q_ema,
                             next_scale.mean(), next_beta.mean()]).tolist()  # one device sync
        names = ["loss", "actor_loss", "critic_loss", "swaddling", "q_ema", "scale", "beta"]
        return dict(zip(names, stats))

    def _average_over_ranks(self, q_ema: torch.Tensor) -> torch.Tensor:
        """Average all gradients and Q̄ over ranks in one all-reduce; returns the averaged Q̄."""
        grads = [p.grad for p in self.params]
        flat = torch.cat([g.reshape(-1) for g in grads] + [q_ema.reshape(1)])
        dist.all_reduce(flat)
        flat /= dist.get_world_size()
        for grad, averaged in zip(grads, flat[:-1].split([g.numel() for g in grads])):
            grad.copy_(averaged.view_as(grad))
        return flat[-1]

    @torch.no_grad()
    def _update_target(self) -> None:
        for target, online in zip(self.target_critic.parameters(), self.critic.parameters()):
            target.lerp_(online, self.cfg.tau)

    def state_dict(self) -> dict:
        """Networks, optimiser and the running statistics (not the replay buffer)."""
        return {
            "config": asdict(self.cfg),
            "actor": self.actor.state_dict(),
            "critic": self.critic.state_dict(),
            "target_critic": self.target_critic.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "q_ema": self.q_ema.clone(),
            "reward_scale": self.reward_scale.clone(),
            "reward_scale_fixed": self.reward_scale_fixed,
            "num_updates": self.num_updates,
        }

    def load_state_dict(self, state: dict) -> None:
        self.actor.load_state_dict(state["actor"])
        self.critic.load_state_dict(state["critic"])
        self.target_critic.load_state_dict(state["target_critic"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.q_ema = state["q_ema"].to(self.device)
        self.reward_scale = state["reward_scale"].to(self.device)
        self.reward_scale_fixed = state["reward_scale_fixed"]
        self.num_updates = state["num_updates"]
