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
  runner. The batch size and the updates per env step come from the env count (:func:`update_schedule`; one env:
  the reference's 384 = its number of critic nodes, and G = 3).
- bfloat16 autocast on GPUs that have it (:func:`resolve_bf16`); the losses are computed in float32.
- Data parallel: with an initialised ``torch.distributed`` process group, parameters are broadcast from rank 0
  at construction and gradients (plus Q̄ and r̄) are averaged over ranks before each optimiser step.
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass
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


PAPER_UPDATES_PER_STEP = 3
"""The reference ``train.py``'s G: gradient steps per env step with one env."""
PAPER_BATCH_SIZE = 384
"""The reference's batch: its number of critic nodes, 3 x 128."""
MIN_UTD = 16
"""Transitions sampled per new transition that the schedule keeps at least: FastTD3's and PQL's at 4,096 envs."""
MAX_BATCH_SIZE = 32_768
"""FastTD3's batch, on every suite it reports."""
MAX_UPDATES_PER_STEP = 8
"""FastTD3's largest updates per vectorised step (its manipulation tasks), PQL's DDPG baseline's."""
BATCH_MULTIPLE = 128


@dataclass(frozen=True)
class UpdateSchedule:
    """Gradient steps per vectorised env step and their batch size, for ``num_envs`` envs (on one rank)."""

    num_envs: int
    updates_per_step: int
    batch_size: int
    derived: tuple[str, ...]
    """The fields that came from the env count; the others were given (``--symphony.*``)."""

    @property
    def utd(self) -> float:
        """Update-to-data ratio: transitions sampled per new transition, updates x batch / envs."""
        return self.updates_per_step * self.batch_size / self.num_envs

    def to_dict(self) -> dict[str, float | int | list[str]]:
        """What ``config.json`` records."""
        return {"num_envs": self.num_envs, "updates_per_step": self.updates_per_step,
                "batch_size": self.batch_size, "utd": round(self.utd, 3), "derived": list(self.derived)}

    def describe(self) -> str:
        given = [name for name in ("updates_per_step", "batch_size") if name not in self.derived]
        origin = "from the env count" if not given else f"{' and '.join(given)} given"
        below = f", below the target {MIN_UTD}" if self.utd < MIN_UTD else ""
        return (f"Symphony update schedule ({origin}): {self.num_envs} envs -> {self.updates_per_step} updates x "
                f"batch {self.batch_size:,} per vectorised step, UTD {self.utd:.1f} samples per new "
                f"transition{below}")


def update_schedule(num_envs: int, cfg: SymphonyConfig) -> UpdateSchedule:
    """How many gradient steps, on how large a batch, follow each vectorised step of ``num_envs`` envs.

    Symphony was built for one env: 3 updates of 384 per env step (reference ``train.py``: G = 3; ``symphony.py``:
    batch = 3 x 128 critic nodes), a UTD (transitions sampled per new transition) of 1,152. A vectorised step of N
    envs brings N transitions: kept at 3 x 384, the UTD falls as 1,152 / N (0.28 at 4,096 envs: most transitions
    are never sampled), while N x 3 updates per step would spend the wall-clock on updates. Off-policy learners
    built for thousands of envs sample each transition about 16 times:

    - FastTD3 (Seo et al. 2025, arXiv:2505.22642, ``fast_td3/hyperparams.py``): 2 updates of 32,768 per vectorised
      step; at 4,096 envs (its Isaac Lab settings, G1 and H1 velocity tasks included) UTD 16; at 1,024 envs
      (MuJoCo Playground) 64; at 128 envs (HumanoidBench) 512; 8 updates at 1,024 envs for manipulation (256).
    - Parallel Q-Learning (Li et al. 2023, arXiv:2307.12983, ``pql/cfg``): 4,096 envs, batch 8,192 and 8 critic
      updates per vectorised step (``critic_sample_ratio``; its DDPG baseline ``update_times``): UTD 16.

    The schedule keeps the paper's 3 x 384 while that gives UTD >= 16 (up to 72 envs, where CPU runs live), then
    grows the batch (a multiple of 128) to hold UTD at 16, and past a batch of 32,768 (8,192 envs) the updates, up
    to 8 per vectorised step (UTD 16 up to 16,384 envs, then 262,144 / N):

        batch(N)   = clamp(⌈16 N / 3⌉ rounded up to 128, 384, 32,768)
        updates(N) = clamp(⌈16 N / batch(N)⌉, 3, 8)

    1 env: 3 x 384 (UTD 1,152, the paper's); 64 envs: 3 x 384 (18); 256: 3 x 1,408 (16.5); 4,096: 3 x 21,888
    (16.0). The batch grows before the updates because on a GPU an update costs about the same up to batches of
    tens of thousands (FastTD3's reason for 32,768) while each update adds its whole time to every step; and 3
    updates per vectorised step keep the paper's optimiser and Polyak steps per step. On a CPU every sample costs
    alike, so UTD trades against env-steps/s there (benchmarks/README). A given ``cfg.updates_per_step`` or
    ``cfg.batch_size`` replaces its derived value (the other is derived around it); a derived batch stays within
    the replay capacity. With data-parallel ranks each rank has its own envs, buffer and batch: the UTD is the same.
    """
    needed = MIN_UTD * num_envs  # samples per vectorised step for UTD 16
    derived = tuple(name for name in ("updates_per_step", "batch_size") if getattr(cfg, name) is None)
    batch_size = cfg.batch_size
    if batch_size is None:
        per_update = math.ceil(needed / (cfg.updates_per_step or PAPER_UPDATES_PER_STEP))
        batch_size = BATCH_MULTIPLE * math.ceil(per_update / BATCH_MULTIPLE)
        batch_size = min(max(batch_size, PAPER_BATCH_SIZE), MAX_BATCH_SIZE, cfg.buffer_capacity)
    updates = cfg.updates_per_step
    if updates is None:
        updates = min(max(math.ceil(needed / batch_size), PAPER_UPDATES_PER_STEP), MAX_UPDATES_PER_STEP)
    return UpdateSchedule(num_envs=num_envs, updates_per_step=updates, batch_size=batch_size, derived=derived)


def resolve_bf16(setting: str, device: torch.device) -> bool:
    """Whether the networks run under bfloat16 autocast: ``auto`` on CUDA devices that support bfloat16 (Ampere
    and later, as FastTD3's default ``amp_dtype="bf16"``), never on the CPU, where CPUs without bfloat16 units
    emulate it (10x slower per update on the 2-core test machine); ``on`` wherever autocast has bfloat16 (an error on
    a CUDA device without it); ``off`` never. bfloat16 keeps float32's exponent range, so no grad scaler."""
    if setting not in ("auto", "on", "off"):
        raise RobotAcError(f"bf16 must be auto, on or off, got '{setting}'")
    cuda_bf16 = device.type == "cuda" and torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if setting == "on" and device.type == "cuda" and not cuda_bf16:
        raise RobotAcError(f"bf16 on: device {device} has no bfloat16 support (a GPU before Ampere?); use auto/off")
    return setting == "on" or (setting == "auto" and cuda_bf16)


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


class Symphony:
    """Symphony learner: networks, optimiser and fading replay buffer on one device.

    Verbs: ``act`` -> ``store`` -> (once ``ready``) ``update`` x ``schedule.updates_per_step`` per vectorised step of
    ``num_envs`` envs (:func:`update_schedule`). ``max_action`` is a scalar or [action_dim] tensor: actions lie in
    [-max_action, max_action].
    """

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        cfg: SymphonyConfig = SymphonyConfig(),
        *,
        max_action: float | torch.Tensor = 1.0,
        device: torch.device | str = "cpu",
        num_envs: int = 1,
    ) -> None:
        self.schedule = update_schedule(num_envs, cfg)
        self.batch_size = self.schedule.batch_size
        if self.batch_size > cfg.buffer_capacity:
            raise RobotAcError(f"batch_size ({self.batch_size}) exceeds buffer_capacity ({cfg.buffer_capacity})")
        self.cfg = cfg
        self.device = torch.device(device)
        self.bf16 = resolve_bf16(cfg.bf16, self.device)
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
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16)

    @torch.no_grad()
    def act(self, obs: torch.Tensor, explore: bool) -> torch.Tensor:
        """Actions [N, action_dim] for observations [N, obs_dim], float32; bounded noise when ``explore``."""
        with self._autocast():
            actions = self.actor(obs)[0] if explore else self.actor.deterministic(obs)
        return actions.float()

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
        return self.buffer.size >= max(self.cfg.warmup_transitions, self.batch_size)

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
            raise RobotAcError(f"Symphony.update() needs {max(self.cfg.warmup_transitions, self.batch_size)} "
                               f"stored transitions, has {self.buffer.size}; check `ready` first")
        if not self.reward_scale_fixed:
            self._fix_reward_scale()
        cfg = self.cfg
        batch = self.buffer.sample(self.batch_size)
        rewards = batch.rewards / self.reward_scale
        not_done_gamma = cfg.gamma * (1.0 - batch.terminated)

        # ---- ALGO LOGIC: one combined loss for actor and critics ----
        with self._autocast():  # the networks, in bfloat16 where self.bf16; everything after them in float32
            next_action, next_scale, next_beta = self.actor(batch.next_obs)
            q_next_nodes = self.target_critic(batch.next_obs, next_action)
            q_pred = self.critic(batch.obs, batch.actions)
        next_scale, next_beta, q_pred = next_scale.float(), next_beta.float(), q_pred.float()
        q_next = soft_truncated(q_next_nodes.float(), self.truncation_weights)
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
            "schedule": self.schedule.to_dict(),
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
