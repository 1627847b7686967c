"""The GPU path in one command, `pytest -m gpu`: every task stepped on CUDA with CUDA graphs (and its env-steps/s),
a short train + export on CUDA. The tactile sensor's CUDA-vs-CPU agreement carries the same marker
(tests/test_tactile_render.py). Without a CUDA device these skip with the reason (tests/conftest.py)."""

from __future__ import annotations

import time

import pytest
import torch

from robot_ac.tasks import EnvOptions, TaskSpec
from sim.tasks import TASKS

pytestmark = [pytest.mark.gpu, pytest.mark.sim]
NUM_ENVS = 256
WARM_UP_STEPS = 5
TIMED_STEPS = 50


def _uses_cuda_graphs(env) -> bool | None:
    """Newton's CUDA-graph switch for Isaac Lab envs; None for envs that are not Isaac Lab's (gym MuJoCo)."""
    cfg = getattr(getattr(env, "unwrapped", env), "cfg", None)
    physics = getattr(getattr(cfg, "sim", None), "physics", None)
    return getattr(physics, "use_cuda_graph", None)


@pytest.mark.parametrize("spec", TASKS, ids=lambda s: s.name)
def test_task_steps_on_cuda(spec: TaskSpec, capsys):
    env = spec.make_env(EnvOptions(num_envs=NUM_ENVS, device="cuda:0", seed=0))
    try:
        assert _uses_cuda_graphs(env) in (True, None)
        obs = env.get_observations()["policy"]
        assert obs.device.type == "cuda" and obs.shape == (NUM_ENVS, spec.interface.observation_size)
        generator = torch.Generator(device="cuda:0").manual_seed(0)
        for step in range(WARM_UP_STEPS + TIMED_STEPS):
            if step == WARM_UP_STEPS:
                torch.cuda.synchronize()
                started = time.perf_counter()
            actions = torch.rand(NUM_ENVS, env.num_actions, generator=generator, device="cuda:0") * 2 - 1
            obs_dict, rewards, _, _ = env.step(actions)
        torch.cuda.synchronize()
        rate = TIMED_STEPS * NUM_ENVS / (time.perf_counter() - started)
        assert torch.isfinite(obs_dict["policy"]).all() and torch.isfinite(rewards).all()
    finally:
        env.close()
    with capsys.disabled():
        print(f"\n  {spec.name}: {rate:,.0f} env-steps/s at {NUM_ENVS} envs on {torch.cuda.get_device_name(0)}")


def test_train_and_export_on_cuda(tmp_path):
    from robot_ac.config import TrainOptions
    from robot_ac.contract.manifest import load_manifest
    from robot_ac.training import train

    run = train(TrainOptions(task="cartpole", device="cuda", num_envs=1024, max_iterations=5, run_root=tmp_path,
                             export=True))
    assert run is not None
    config = run.config_json.read_text()
    assert '"device": "cuda:0"' in config
    manifest = load_manifest(run.export_dir / "manifest.json")
    assert manifest.interface.task == "cartpole" and (run.export_dir / manifest.policy.onnx).is_file()
