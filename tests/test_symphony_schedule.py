"""Symphony at scale: the update schedule per env count (values, the UTD they imply, overrides) and bfloat16
autocast (where it is decided, that CPU runs stay float32, the CUDA path on a GPU)."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

import robot_ac.algorithms.symphony as symphony_module
from robot_ac.algorithms import Symphony, SymphonyConfig
from robot_ac.algorithms.symphony import MIN_UTD, resolve_bf16, update_schedule
from robot_ac.errors import RobotAcError

SMALL = SymphonyConfig(hidden_dim=32, q_nodes=8, batch_size=64, warmup_transitions=64, buffer_capacity=4096)


# ---- schedule --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("num_envs", "updates", "batch", "utd"), [
    (1, 3, 384, 1152.0),  # the paper's single env: G = 3, batch 384
    (64, 3, 384, 18.0),  # the paper's per-step budget still samples each transition >= 16 times
    (256, 3, 1408, 16.5),  # the batch grows (multiples of 128) to hold UTD 16
    (4096, 3, 21_888, 16.03),  # FastTD3's / PQL's UTD at 4,096 envs
    (16_384, 8, 32_768, 16.0),  # batch at its cap, updates at theirs
    (32_768, 8, 32_768, 8.0),  # past both caps the UTD falls: thousands of envs still step
])
def test_schedule_per_env_count(num_envs, updates, batch, utd):
    schedule = update_schedule(num_envs, SymphonyConfig())
    assert (schedule.updates_per_step, schedule.batch_size) == (updates, batch)
    assert schedule.utd == pytest.approx(utd, abs=0.01)
    assert schedule.derived == ("updates_per_step", "batch_size")
    assert schedule.to_dict() == {"num_envs": num_envs, "updates_per_step": updates, "batch_size": batch,
                                  "utd": pytest.approx(utd, abs=0.01), "derived": ["updates_per_step", "batch_size"]}


def test_schedule_keeps_utd_in_range_with_bounded_work_per_step():
    previous_samples = 0
    for num_envs in [*range(1, 300), *range(300, 40_000, 97)]:
        schedule = update_schedule(num_envs, SymphonyConfig())
        samples = schedule.updates_per_step * schedule.batch_size
        assert 3 <= schedule.updates_per_step <= 8 and 384 <= schedule.batch_size <= 32_768
        assert schedule.batch_size % 128 == 0
        assert samples <= 8 * 32_768, "a vectorised step never waits for more than 8 updates of 32,768"
        assert samples >= previous_samples, "more envs never get less learner work per step"
        previous_samples = samples
        assert schedule.utd <= 1152
        if num_envs <= 16_384:
            assert schedule.utd >= MIN_UTD, num_envs
            assert schedule.utd < 1.5 * MIN_UTD or samples == 3 * 384, "no more learner work than UTD 16 needs"


def test_given_values_replace_the_derived_ones():
    both = update_schedule(4096, SymphonyConfig(updates_per_step=1, batch_size=384))
    assert (both.updates_per_step, both.batch_size, both.derived) == (1, 384, ())
    assert both.utd == pytest.approx(384 / 4096)
    assert "given" in both.describe() and "below the target 16" in both.describe()
    updates_given = update_schedule(1024, SymphonyConfig(updates_per_step=2))
    assert (updates_given.updates_per_step, updates_given.batch_size) == (2, 8192), "batch derived around it"
    assert updates_given.derived == ("batch_size",)
    batch_given = update_schedule(1024, SymphonyConfig(batch_size=2048))
    assert (batch_given.updates_per_step, batch_given.derived) == (8, ("updates_per_step",))


def test_derived_batch_stays_within_the_replay_capacity():
    schedule = update_schedule(4096, SymphonyConfig(buffer_capacity=10_000))
    assert schedule.batch_size == 10_000
    algo = Symphony(3, 2, dataclasses.replace(SMALL, batch_size=None, buffer_capacity=1000), num_envs=512)
    assert algo.batch_size == 1000 and algo.schedule.num_envs == 512
    with pytest.raises(RobotAcError, match="exceeds buffer_capacity"):
        Symphony(3, 2, dataclasses.replace(SMALL, batch_size=5000))


def test_learner_samples_the_scheduled_batch():
    torch.manual_seed(0)
    algo = Symphony(3, 2, dataclasses.replace(SMALL, batch_size=None, warmup_transitions=8), num_envs=256)
    assert algo.batch_size == 1408
    obs = torch.randn(1408, 3)
    algo.store(obs, algo.act(obs, explore=True), torch.randn(1408), obs, torch.zeros(1408))
    sampled = []
    original = algo.buffer.sample
    algo.buffer.sample = lambda batch_size: sampled.append(batch_size) or original(batch_size)
    assert algo.ready
    algo.update()
    assert sampled == [1408]


# ---- bfloat16 --------------------------------------------------------------------------------------------------

def test_bf16_decision(monkeypatch):
    cpu, cuda = torch.device("cpu"), torch.device("cuda", 0)
    assert not resolve_bf16("auto", cpu) and resolve_bf16("on", cpu) and not resolve_bf16("off", cpu)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    assert resolve_bf16("auto", cuda) and resolve_bf16("on", cuda) and not resolve_bf16("off", cuda)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: False)  # a GPU before Ampere
    assert not resolve_bf16("auto", cuda) and not resolve_bf16("off", cuda)
    with pytest.raises(RobotAcError, match="no bfloat16 support"):
        resolve_bf16("on", cuda)
    with pytest.raises(RobotAcError, match="auto, on or off"):
        resolve_bf16("yes", cpu)


def _record_dtypes(algo: Symphony, monkeypatch) -> dict[str, set[torch.dtype]]:
    """Dtypes seen in one update: every Linear's output, and the inputs of the three loss terms."""
    seen: dict[str, set[torch.dtype]] = {"linear": set(), "losses": set()}
    for module in (*algo.actor.modules(), *algo.critic.modules(), *algo.target_critic.modules()):
        if isinstance(module, torch.nn.Linear):
            module.register_forward_hook(lambda _m, _i, out: seen["linear"].add(out.dtype))

    def recorded(fn):
        def wrapper(*tensors):
            seen["losses"].update(t.dtype for t in tensors)
            return fn(*tensors)
        return wrapper

    for name in ("rehse", "rehae", "swaddling"):
        monkeypatch.setattr(symphony_module, name, recorded(getattr(symphony_module, name)))
    return seen


def _filled(cfg: SymphonyConfig, device: str = "cpu", num_envs: int = 64) -> Symphony:
    algo = Symphony(3, 2, cfg, device=device, num_envs=num_envs)
    while not algo.ready:
        obs = torch.randn(num_envs, 3, device=device)
        algo.store(obs, algo.act(obs, explore=True), torch.randn(num_envs, device=device),
                   torch.randn(num_envs, 3, device=device), torch.zeros(num_envs, device=device))
    return algo


def _check_float32_state(algo: Symphony) -> None:
    buffers = (algo.buffer.obs, algo.buffer.actions, algo.buffer.rewards, algo.buffer.next_obs,
               algo.buffer.terminated)
    assert all(t.dtype == torch.float32 for t in buffers), "the replay stays float32"
    assert all(p.dtype == torch.float32 for p in algo.params), "weights (and so the optimiser) stay float32"
    assert algo.act(torch.randn(5, 3, device=algo.device), explore=True).dtype == torch.float32


def test_cpu_runs_stay_float32_by_default(monkeypatch):
    torch.manual_seed(0)
    algo = _filled(SMALL)
    assert SMALL.bf16 == "auto" and not algo.bf16
    seen = _record_dtypes(algo, monkeypatch)
    stats = algo.update()
    assert seen == {"linear": {torch.float32}, "losses": {torch.float32}}
    assert all(math.isfinite(v) for v in stats.values())
    _check_float32_state(algo)


def test_bf16_on_the_cpu_when_asked_runs_the_networks_in_bf16_and_the_losses_in_float32(monkeypatch):
    torch.manual_seed(0)
    algo = _filled(dataclasses.replace(SMALL, bf16="on"))
    seen = _record_dtypes(algo, monkeypatch)
    stats = algo.update()
    assert seen == {"linear": {torch.bfloat16}, "losses": {torch.float32}}
    assert all(math.isfinite(v) for v in stats.values())
    _check_float32_state(algo)


@pytest.mark.gpu
def test_cuda_auto_runs_bf16_on_a_scheduled_batch(monkeypatch):
    """The GPU path: auto turns bf16 on (Ampere and later), 4,096 envs get their scheduled batch, the losses and
    the replay stay float32 and a few hundred updates stay finite."""
    torch.manual_seed(0)
    cfg = SymphonyConfig(hidden_dim=256, warmup_transitions=4096, buffer_capacity=200_000)
    algo = _filled(cfg, device="cuda", num_envs=4096)
    assert algo.bf16 == torch.cuda.is_bf16_supported()
    assert (algo.schedule.updates_per_step, algo.batch_size) == (3, 21_888)
    seen = _record_dtypes(algo, monkeypatch)
    stats = [algo.update() for _ in range(200)]
    assert seen["losses"] == {torch.float32}
    assert seen["linear"] == ({torch.bfloat16} if algo.bf16 else {torch.float32})
    assert all(math.isfinite(v) for s in stats for v in s.values())
    _check_float32_state(algo)
