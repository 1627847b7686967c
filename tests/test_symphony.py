"""Symphony (robot_ac.algorithms.symphony): formulas against hand computation, replay statistics, target
isolation, bounds, checkpoints, export, two-rank data parallelism and a short learning run (CPU, seconds)."""

from __future__ import annotations

import dataclasses
import io
import math

import numpy as np
import pytest
import torch
import torch.distributed as dist

from robot_ac.algorithms import FadingReplayBuffer, Symphony, SymphonyConfig
from robot_ac.algorithms.symphony import soft_truncated, swaddling, truncation_weights

SMALL = SymphonyConfig(hidden_dim=32, q_nodes=8, batch_size=64, warmup_transitions=64, buffer_capacity=4096)


def _filled(cfg: SymphonyConfig = SMALL, *, obs_dim: int = 3, action_dim: int = 2, steps: int = 8, num_envs: int = 16,
            **kwargs) -> Symphony:
    algo = Symphony(obs_dim, action_dim, cfg, **kwargs)
    for _ in range(steps):
        obs = torch.randn(num_envs, obs_dim)
        algo.store(obs, algo.act(obs, explore=True), torch.randn(num_envs), torch.randn(num_envs, obs_dim),
                   (torch.rand(num_envs) < 0.1).float())
    return algo


# ---- swaddling -------------------------------------------------------------------------------------------------

def test_swaddling_value_and_gradient_match_the_hand_formula():
    sigmas, betas = [0.2, 0.5, 0.7, 0.05], [0.1, 0.5, 0.3, 0.9]
    scale = torch.tensor(sigmas, dtype=torch.float64, requires_grad=True)
    beta = torch.tensor(betas, dtype=torch.float64, requires_grad=True)
    value = swaddling(scale, beta)
    value.backward()

    n = len(sigmas)

    def big_omega(x: float) -> float:
        return math.log((1 + x) / (1 - x))

    expected = sum(big_omega(s ** (1 / b)) + b * s * math.log(s) + big_omega(b * b) for s, b in zip(sigmas, betas)) / n
    # d/dσ: Ω'(x) = 2/(1-x²) at x = σ^(1/β), times d(σ^(1/β))/dσ; plus β(ln σ + 1). β is detached in the exponent.
    d_scale = [(2 / (1 - s ** (2 / b)) * (1 / b) * s ** (1 / b - 1) + b * (math.log(s) + 1)) / n
               for s, b in zip(sigmas, betas)]
    d_beta = [(s * math.log(s) + 2 / (1 - b**4) * 2 * b) / n for s, b in zip(sigmas, betas)]
    assert value.item() == pytest.approx(expected, rel=1e-12)
    assert scale.grad.tolist() == pytest.approx(d_scale, rel=1e-10)
    assert beta.grad.tolist() == pytest.approx(d_beta, rel=1e-10)


def test_swaddling_pulls_small_temperature_strengths_to_the_noise_level():
    """For β <= 0.05 the minimum over σ sits at 1/e, the noise's standard deviation (paper, Fig. 6)."""
    sigma = torch.linspace(0.01, 0.99, 9801, dtype=torch.float64)
    values = torch.stack([swaddling(s.reshape(1), torch.tensor([0.05], dtype=torch.float64)) for s in sigma])
    assert sigma[values.argmin()].item() == pytest.approx(1 / math.e, abs=2e-3)


# ---- soft-truncated target -------------------------------------------------------------------------------------

def test_truncated_target_lies_between_min_and_mean_and_is_monotone_in_every_head():
    torch.manual_seed(0)
    nodes = 24
    weights = truncation_weights(nodes)
    assert weights.sum().item() == pytest.approx(1.0, abs=1e-6)
    assert bool((weights[1:] <= weights[:-1]).all()), "sorted-ascending nodes must get non-increasing weights"

    q = torch.randn(256, nodes) * 3
    target = soft_truncated(q, weights).squeeze(-1)
    assert bool((target >= q.min(-1).values - 1e-5).all())
    assert bool((target < q.mean(-1)).all()), "the highest nodes are down-weighted, so strictly below the mean"
    # Permutation invariant (it sorts) and non-decreasing when any single node grows.
    assert torch.allclose(soft_truncated(q[:, torch.randperm(nodes)], weights).squeeze(-1), target)
    for node in range(nodes):
        bumped = q.clone()
        bumped[:, node] += 0.5
        assert bool((soft_truncated(bumped, weights).squeeze(-1) >= target - 1e-6).all())
    constant = torch.full((4, nodes), 2.5)
    assert torch.allclose(soft_truncated(constant, weights), torch.full((4, 1), 2.5))


# ---- fading replay buffer --------------------------------------------------------------------------------------

def _counter_buffer(capacity: int, total: int, num_envs: int) -> FadingReplayBuffer:
    """Transitions whose obs[:, 0] is their global insertion number."""
    buffer = FadingReplayBuffer(capacity, obs_dim=1, action_dim=1, device="cpu")
    for start in range(0, total, num_envs):
        count = torch.arange(start, start + num_envs, dtype=torch.float32).reshape(-1, 1)
        buffer.store(count, torch.zeros(num_envs, 1), torch.zeros(num_envs), count + 0.5, torch.zeros(num_envs))
    return buffer


def test_buffer_wraparound_keeps_exactly_the_newest_transitions():
    buffer = _counter_buffer(capacity=10, total=12, num_envs=3)
    assert buffer.size == 10
    assert sorted(buffer.obs[:, 0].tolist()) == list(range(2, 12))
    assert torch.equal(buffer.next_obs, buffer.obs + 0.5), "fields of one transition stay in one slot"
    with pytest.raises(ValueError, match="capacity"):
        buffer.store(torch.zeros(11, 1), torch.zeros(11, 1), torch.zeros(11), torch.zeros(11, 1), torch.zeros(11))


def test_fading_sampling_matches_the_formula():
    """p_k = tanh((π k/n)^e) / Σ_j tanh((π j/n)^e), k = 1 oldest .. n newest; 200k draws agree by chi-square."""
    capacity, total = 1000, 1300
    buffer = _counter_buffer(capacity, total, num_envs=13)  # wrapped: holds transitions 300..1299
    probs = buffer.sampling_probabilities()

    age_rank = buffer.obs[:, 0].double() - (total - capacity) + 1  # 1 = oldest, n = newest
    weights = torch.tanh((math.pi * age_rank / capacity) ** math.e)
    assert torch.allclose(probs, weights / weights.sum(), rtol=1e-12, atol=0)
    by_age = probs[buffer.obs[:, 0].argsort()]
    assert bool((by_age[1:] >= by_age[:-1]).all()) and by_age[0] > 0, "rises with recency, oldest still drawn"

    torch.manual_seed(0)
    draws = 200_000
    counts = torch.bincount(buffer.sample_indices(draws), minlength=capacity).double()
    expected = probs * draws
    chi2 = ((counts - expected) ** 2 / expected).sum().item()
    dof = capacity - 1
    assert chi2 < dof + 6 * math.sqrt(2 * dof), f"chi-square {chi2:.0f} for {dof} degrees of freedom"
    assert (counts / draws - probs).abs().max().item() < 6e-4
    uniform = torch.full_like(expected, draws / capacity)
    assert ((counts - uniform) ** 2 / uniform).sum().item() > 10 * dof, "the test can tell fading from uniform"


def test_fading_sampling_while_filling_uses_only_stored_transitions():
    buffer = _counter_buffer(capacity=100, total=40, num_envs=8)
    probs = buffer.sampling_probabilities()
    assert probs[40:].sum().item() == 0 and probs.sum().item() == pytest.approx(1.0)
    assert int(buffer.sample_indices(10_000).max()) < 40


# ---- algorithm -------------------------------------------------------------------------------------------------

def test_update_sends_no_gradient_to_the_target_critic_and_polyak_averages_it():
    torch.manual_seed(0)
    algo = _filled()
    before = [p.clone() for p in algo.target_critic.parameters()]
    algo.update()
    for target, old, online in zip(algo.target_critic.parameters(), before, algo.critic.parameters()):
        assert not target.requires_grad and target.grad is None
        assert torch.allclose(target, (1 - SMALL.tau) * old + SMALL.tau * online, atol=1e-7)
    assert all(p.grad is not None for p in algo.actor.parameters()), "the advantage reaches the actor"


def test_update_with_zero_rewards_stays_finite():
    """Every division carries eps: reward scale r̄ = 0 and a zero moving average give finite losses."""
    torch.manual_seed(0)
    algo = Symphony(3, 2, SMALL)
    for _ in range(8):
        obs = torch.randn(16, 3)
        algo.store(obs, algo.act(obs, explore=True), torch.zeros(16), obs, torch.zeros(16))
    stats = [algo.update() for _ in range(3)]
    assert algo.reward_scale.item() == pytest.approx(SMALL.eps)
    assert all(math.isfinite(v) for s in stats for v in s.values())


def test_bf16_update_is_finite():
    torch.manual_seed(0)
    algo = _filled(dataclasses.replace(SMALL, bf16="on"))
    stats = algo.update()
    assert all(math.isfinite(v) for v in stats.values())
    assert algo.act(torch.randn(5, 3), explore=False).dtype == torch.float32


def test_actions_stay_within_bounds_including_noise():
    torch.manual_seed(0)
    max_action = torch.tensor([0.5, 2.0])
    algo = Symphony(3, 2, SMALL, max_action=max_action)
    for scale in (1.0, 1e3):  # 1e3 saturates every head
        obs = torch.randn(4096, 3) * scale
        for explore in (False, True):
            actions = algo.act(obs, explore=explore)
            assert bool((actions.abs() <= max_action).all())
    # The noise before the tanh lies in ±noise_std·noise_clip = ±1.
    obs = torch.randn(4096, 3)
    a, s, _ = algo.actor.heads(obs)
    noise = torch.atanh(algo.act(obs, explore=True) / max_action) - s * a
    assert noise.abs().max().item() <= SMALL.noise_std * SMALL.noise_clip + 1e-4
    assert noise.std().item() > 0.25, "exploration noise is there"


def test_state_dict_round_trip_gives_identical_actions():
    torch.manual_seed(0)
    algo = _filled()
    for _ in range(3):
        algo.update()
    blob = io.BytesIO()
    torch.save(algo.state_dict(), blob)
    blob.seek(0)

    torch.manual_seed(1)  # different initial weights
    restored = Symphony(3, 2, SMALL)
    restored.load_state_dict(torch.load(blob, weights_only=False))
    obs = torch.randn(64, 3)
    assert torch.equal(restored.act(obs, explore=False), algo.act(obs, explore=False))
    torch.manual_seed(2)
    noisy = algo.act(obs, explore=True)
    torch.manual_seed(2)
    assert torch.equal(restored.act(obs, explore=True), noisy)
    assert torch.equal(restored.q_ema, algo.q_ema) and restored.num_updates == 3
    for a, b in zip(restored.target_critic.parameters(), algo.target_critic.parameters()):
        assert torch.equal(a, b)


def test_deterministic_actor_exports_to_torchscript_and_onnx():
    import onnxruntime as ort

    torch.manual_seed(0)
    algo = Symphony(3, 2, SMALL, max_action=torch.tensor([0.5, 2.0]))
    module = algo.actor.as_onnx().eval()
    obs = torch.randn(32, 3)
    expected = algo.act(obs, explore=False)
    assert torch.allclose(torch.jit.trace(module, module.get_dummy_inputs())(obs), expected)
    assert torch.allclose(torch.jit.script(module)(obs), expected)

    blob = io.BytesIO()
    torch.onnx.export(module, module.get_dummy_inputs(), blob, input_names=module.input_names,
                      output_names=module.output_names, dynamic_axes={"obs": {0: "batch"}, "actions": {0: "batch"}},
                      dynamo=False)
    session = ort.InferenceSession(blob.getvalue(), providers=["CPUExecutionProvider"])
    (onnx_actions,) = session.run(None, {"obs": obs.numpy()})
    np.testing.assert_allclose(onnx_actions, expected.numpy(), atol=1e-5)


# ---- data parallel ---------------------------------------------------------------------------------------------

def _ddp_worker(out_dir: str) -> None:
    """One rank under torchrun (fresh interpreters, env:// rendezvous): 4 updates on its own data."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    try:
        torch.manual_seed(100 + rank)  # different initial weights and different data on every rank
        algo = _filled()
        losses = [algo.update()["loss"] for _ in range(4)]
        flat = torch.cat([t.reshape(-1) for t in (*algo.actor.parameters(), *algo.critic.parameters(),
                                                  *algo.target_critic.parameters())])
        torch.save({"params": flat, "q_ema": algo.q_ema, "losses": losses}, f"{out_dir}/rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_two_gloo_ranks_keep_identical_parameters(tmp_path):
    import subprocess
    import sys

    code = f"from tests.test_symphony import _ddp_worker; _ddp_worker({str(tmp_path)!r})"
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                             "--master_port=29533", "--no-python", sys.executable, "-c", code],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rank0, rank1 = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    assert rank0["losses"] != rank1["losses"], "the ranks saw different data"
    assert torch.equal(rank0["params"], rank1["params"])
    assert torch.equal(rank0["q_ema"], rank1["q_ema"])

    torch.manual_seed(100)
    untrained = Symphony(3, 2, SMALL)
    initial = torch.cat([p.reshape(-1) for p in (*untrained.actor.parameters(), *untrained.critic.parameters())])
    assert not torch.equal(rank0["params"][: initial.numel()], initial), "the updates moved the parameters"


# ---- learning --------------------------------------------------------------------------------------------------

class PointMass:
    """2-D double integrator, batched: obs [p, v] (m, m/s), action = acceleration / 2 m/s² in [-1, 1]²,
    reward -|p| per 0.1 s step, 50-step episodes that start at rest from p ~ U(-1, 1)²."""

    dt, horizon = 0.1, 50

    def __init__(self, num_envs: int, generator: torch.Generator) -> None:
        self.num_envs, self.generator = num_envs, generator

    def reset(self) -> torch.Tensor:
        position = torch.rand(self.num_envs, 2, generator=self.generator) * 2 - 1
        return torch.cat([position, torch.zeros(self.num_envs, 2)], dim=1)

    def step(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        velocity = obs[:, 2:] + 2.0 * action * self.dt
        position = obs[:, :2] + velocity * self.dt
        return torch.cat([position, velocity], dim=1), -position.norm(dim=1)

    def episode_return(self, policy) -> float:
        obs, total = self.reset(), torch.zeros(self.num_envs)
        for _ in range(self.horizon):
            obs, reward = self.step(obs, policy(obs))
            total += reward
        return total.mean().item()


def test_symphony_learns_to_drive_a_point_mass_home():
    torch.manual_seed(1)
    # Paper structure at test size; a larger learning rate and τ and a shorter horizon (γ) make it fit ~15 s.
    cfg = SymphonyConfig(hidden_dim=64, q_nodes=16, batch_size=128, learning_rate=1e-3, tau=0.02, gamma=0.95,
                         warmup_transitions=32 * PointMass.horizon, buffer_capacity=100_000, updates_per_step=4)
    algo = Symphony(4, 2, cfg)
    env = PointMass(32, torch.Generator().manual_seed(1))

    def evaluate(policy) -> float:
        return PointMass(64, torch.Generator().manual_seed(123)).episode_return(policy)

    initial = evaluate(lambda obs: algo.act(obs, explore=False))
    zero = evaluate(lambda obs: torch.zeros(len(obs), 2))
    random = evaluate(lambda obs: torch.rand(len(obs), 2) * 2 - 1)
    for _ in range(12):
        obs = env.reset()
        for _ in range(env.horizon):  # time-outs only: terminated stays 0 and the real next obs is stored
            actions = algo.act(obs, explore=True)
            next_obs, rewards = env.step(obs, actions)
            algo.store(obs, actions, rewards, next_obs, torch.zeros(env.num_envs))
            obs = next_obs
            if algo.ready:
                for _ in range(cfg.updates_per_step):
                    stats = algo.update()
    final = evaluate(lambda obs: algo.act(obs, explore=False))

    assert all(math.isfinite(v) for v in stats.values())
    # Standing still scores about -37 and random pushes about -70; reaching the origin and stopping scores about -9.
    assert final > 0.5 * zero and final > initial + 15 and final > random + 40, (initial, zero, random, final)
