"""Play and evaluate: roll a policy (checkpoint or exported ONNX) out in its task and report episode statistics."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from robot_ac._atomic import atomic_write_json
from robot_ac.config import PlayOptions
from robot_ac.contract.manifest import PolicyInterface, load_manifest
from robot_ac.device import parse_device
from robot_ac.errors import RobotAcError
from robot_ac.seeding import seed_everything
from robot_ac.tasks import EnvOptions, get_task

PLAY_ENVS = 16
"""Parallel environments of a plain play (evaluation uses one env per episode)."""

PolicyFn = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class EpisodeStats:
    episodes: int
    mean_return: float
    std_return: float
    min_return: float
    max_return: float
    mean_length: float
    success_rate: float
    success_interval: tuple[float, float]
    """95% Wilson score interval of the success rate."""
    returns: list[float]
    lengths: list[int]


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """Confidence interval of a binomial rate (Wilson score; sensible at 0%, 100% and few trials)."""
    if trials == 0:
        return (0.0, 1.0)
    rate = successes / trials
    centre = (rate + z**2 / (2 * trials)) / (1 + z**2 / trials)
    half = z * np.sqrt(rate * (1 - rate) / trials + z**2 / (4 * trials**2)) / (1 + z**2 / trials)
    # At 0% and 100% the bound is exactly the rate; the formula gets there only up to round-off.
    low = 0.0 if successes == 0 else float(max(0.0, centre - half))
    high = 1.0 if successes == trials else float(min(1.0, centre + half))
    return (low, high)


class _OnnxPolicy:
    """An exported policy under onnxruntime for a batch of envs; a recurrent one keeps a state per env, zeroed
    where an episode ended (:meth:`reset`), as the robot runtime zeroes it at every start."""

    def __init__(self, onnx_path: Path, device: str) -> None:
        import onnxruntime as ort

        self.manifest = load_manifest(onnx_path.parent / "manifest.json")
        self.session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        self.device = device
        self.states = self.manifest.policy.recurrent_state
        self.carried: dict[str, np.ndarray] = {}

    def reset(self, env_ids: torch.Tensor) -> None:
        for value in self.carried.values():
            value[:, env_ids.cpu().numpy()] = 0.0

    def __call__(self, obs: torch.Tensor) -> torch.Tensor:
        policy = self.manifest.policy
        batch = obs.shape[0]
        if self.states and not self.carried:
            self.carried = {s["input"]: np.zeros((s["shape"][0], batch, *s["shape"][2:]), dtype=np.float32)
                            for s in self.states}
        actions, *carried = self.session.run([policy.output_name, *(s["output"] for s in self.states)],
                                             {policy.input_name: obs.cpu().numpy(), **self.carried})
        self.carried = {s["input"]: value for s, value in zip(self.states, carried)}
        return torch.from_numpy(actions).to(self.device)


def _onnx_policy(onnx_path: Path, device: str) -> tuple[PolicyFn, PolicyInterface]:
    policy = _OnnxPolicy(onnx_path, device)
    return policy, policy.manifest.interface


def load_policy(target: Path, device: str) -> tuple[PolicyFn, PolicyInterface]:
    """An ONNX file, an export directory (manifest.json + policy.onnx), a checkpoint or a run directory."""
    from robot_ac.export.policy_export import deterministic_actions, rebuild_actor
    from robot_ac.runners.checkpoints import load_checkpoint

    if target.suffix == ".onnx":
        return _onnx_policy(target, device)
    if target.is_dir() and (target / "manifest.json").is_file():
        return _onnx_policy(target / load_manifest(target / "manifest.json").policy.onnx, device)
    state = load_checkpoint(target)
    actor = rebuild_actor(state).to(device)
    interface = PolicyInterface.from_dict(state["infos"]["interface"])
    if getattr(actor, "is_recurrent", False):
        return _RecurrentTorchPolicy(actor), interface
    return (lambda obs: deterministic_actions(actor, obs)), interface


class _RecurrentTorchPolicy:
    """A recurrent checkpoint's actor over a batch of envs, its state zeroed where an episode ended."""

    def __init__(self, actor: torch.nn.Module) -> None:
        from tensordict import TensorDict

        self.actor, self.tensordict = actor, TensorDict
        (self.group,) = actor.obs_groups

    def reset(self, env_ids: torch.Tensor) -> None:
        if self.actor.rnn.hidden_state is not None:
            dones = torch.zeros(self.batch, dtype=torch.bool, device=env_ids.device)
            dones[env_ids] = True
            with torch.inference_mode():  # the state was made there
                self.actor.reset(dones)

    def __call__(self, obs: torch.Tensor) -> torch.Tensor:
        self.batch = obs.shape[0]
        with torch.inference_mode():
            return self.actor(self.tensordict({self.group: obs}, batch_size=[self.batch]))


def rollout(env, policy: PolicyFn, episodes: int, first_per_env: bool = False) -> EpisodeStats:
    """Step every env until ``episodes`` episodes have finished; count them in the order they finish, or with
    ``first_per_env`` only each env's first episode (needs ``episodes <= num_envs``; unbiased by episode length)."""
    if first_per_env and episodes > env.num_envs:
        raise RobotAcError(f"{episodes} first episodes need at least as many envs, have {env.num_envs}")
    returns, lengths, successes = [], [], []
    counted = torch.zeros(env.num_envs, dtype=torch.bool, device=env.device)
    episode_return = torch.zeros(env.num_envs, device=env.device)
    episode_length = torch.zeros(env.num_envs, dtype=torch.long, device=env.device)
    obs = env.get_observations()["policy"]
    while len(returns) < episodes:
        obs_dict, rewards, dones, extras = env.step(policy(obs))
        obs = obs_dict["policy"]
        episode_return += rewards
        episode_length += 1
        done_ids = dones.nonzero(as_tuple=False).flatten()
        if done_ids.numel() and hasattr(policy, "reset"):
            policy.reset(done_ids)
        if done_ids.numel():
            success = extras.get("success")
            for i in done_ids.tolist():
                if first_per_env and (counted[i] or i >= episodes):
                    continue
                counted[i] = True
                returns.append(float(episode_return[i]))
                lengths.append(int(episode_length[i]))
                successes.append(bool(success[i]) if success is not None else False)
            episode_return[done_ids] = 0.0
            episode_length[done_ids] = 0
    returns, lengths, successes = returns[:episodes], lengths[:episodes], successes[:episodes]
    r = np.asarray(returns)
    return EpisodeStats(episodes=episodes, mean_return=float(r.mean()), std_return=float(r.std()),
                        min_return=float(r.min()), max_return=float(r.max()), mean_length=float(np.mean(lengths)),
                        success_rate=float(np.mean(successes)),
                        success_interval=wilson_interval(sum(successes), len(successes)), returns=returns,
                        lengths=lengths)


def play(args: PlayOptions) -> EpisodeStats:
    """Roll the policy out until ``args.episodes`` episodes end; with ``args.evaluate`` each env counts its first
    episode only (success rate unbiased by episode length)."""
    device = parse_device(args.device)
    first_per_env = args.evaluate
    num_envs = args.num_envs or (args.episodes if first_per_env else PLAY_ENVS)
    if args.episodes < 1 or num_envs < 1:
        raise RobotAcError(f"--episodes ({args.episodes}) and --num-envs ({num_envs}) must be positive")
    policy, interface = load_policy(args.policy, device)
    spec = get_task(args.task or interface.task)
    if spec.interface.observation_size != interface.observation_size or \
            spec.interface.action_size != interface.action_size:
        raise RobotAcError(f"policy '{args.policy}' expects {interface.observation_size} observations and "
                           f"{interface.action_size} actions; task '{spec.name}' has "
                           f"{spec.interface.observation_size} and {spec.interface.action_size}")
    seed_everything(args.seed)
    env = spec.make_env(EnvOptions(num_envs=num_envs, device=device, seed=args.seed))
    started = time.monotonic()
    try:
        stats = rollout(env, policy, args.episodes, first_per_env)
    finally:
        env.close()
    print(f"{spec.name}: {stats.episodes} episodes in {time.monotonic() - started:.1f} s")
    print(f"  return   {stats.mean_return:.3f} ± {stats.std_return:.3f} (min {stats.min_return:.3f}, "
          f"max {stats.max_return:.3f})")
    print(f"  length   {stats.mean_length:.1f} steps")
    low, high = stats.success_interval
    print(f"  success  {100 * stats.success_rate:.0f}% (95% CI {100 * low:.0f}-{100 * high:.0f}%: "
          f"{spec.success_metric or 'the task reports no success'})")
    if args.json_out:
        atomic_write_json(args.json_out, {"task": spec.name, "policy": str(args.policy), "seed": args.seed,
                                          **asdict(stats)})
    return stats


