"""What the peg tasks' learning rests on, on the CPU: the reward's terms at known states, the start curriculum (it
starts the peg in the hole and moves with success, and a resumed run keeps its level), the scripted expert as a
distillation teacher (it acts exactly as the expert), a PPO fine-tune whose critic warms up with the actor frozen,
and a recurrent student that exports with its state and steps the same in ONNX, TorchScript and the robot runtime."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from robot_ac.runners.checkpoints import find_checkpoint, load_checkpoint
from robot_ac.tasks import EnvOptions, get_task

pytestmark = pytest.mark.sim
SMALL = ["--num-envs", "4", "--ppo.num-steps-per-env", "8", "--save-interval", "100"]


def _bottom_in_fixture(env, settings):
    from sim.tasks.peg_insertion import mdp as peg_mdp

    return peg_mdp._bottom_in_fixture(env, settings.peg.length)


def test_reward_terms_at_the_goal_and_away_from_it():
    from sim.tasks.peg_insertion import mdp as peg_mdp
    from sim.tasks.peg_insertion.settings import INSERT

    env = get_task("franka-peg-insert-privileged").make_gym_env(EnvOptions(num_envs=2, device="cpu", seed=0))
    try:
        env.reset()
        length = INSERT.peg.length
        distance = peg_mdp.keypoint_distance(env, length)
        for a, b in ((5.0, 4.0), (50.0, 2.0), (100.0, 0.0)):
            bell = peg_mdp.keypoint_bell(env, length, a, b)
            expected = 1.0 / (torch.exp(a * distance) + b + torch.exp(-a * distance))
            torch.testing.assert_close(bell, expected)
            assert (bell < 1.0 / (2.0 + b)).all(), "the bell peaks only at the goal"
        assert (peg_mdp.keypoint_bell(env, length, 100.0, 0.0) < 0.2).all(), "the start is centimetres away"
        engaged = dict(peg_length=length, fixture_depth=INSERT.fixture.depth,
                       lateral_tolerance=INSERT.fixture.hole / 2, height=0.003)
        assert (peg_mdp.peg_engaged(env, **engaged) == 0).all(), "2 cm above the walls is not engaged"

        # Seat the peg: put it (and nothing else) on the fixture's floor, upright.
        fixture = env.scene["fixture"].data.root_pose_w.torch.clone()
        seated = fixture.clone()  # upright (the fixture only turns about z) and turned as the fixture is
        seated[:, 2] += length / 2
        env.scene["peg"].write_root_pose_to_sim_index(root_pose=seated)
        from isaaclab_newton.physics import NewtonManager

        NewtonManager.forward()
        env.scene.update(0.0)
        assert float(peg_mdp.keypoint_distance(env, length).max()) < 1e-4
        torch.testing.assert_close(peg_mdp.keypoint_bell(env, length, 100.0, 0.0), torch.full((2,), 0.5),
                                   atol=1e-2, rtol=0)
        assert (peg_mdp.peg_engaged(env, **engaged) == 1).all()
        assert peg_mdp.peg_seated(env, length, INSERT.success_lateral, INSERT.success_height).all()
    finally:
        env.close()


def test_start_curriculum_starts_inserted_and_follows_success():
    from sim.tasks.peg_insertion.expert import expert_action
    from sim.tasks.peg_insertion.settings import EPISODE_STEPS, INSERT

    from isaaclab.envs import ManagerBasedRLEnv

    from sim.tasks.peg_insertion.env_cfg import make_peg_env_cfg

    settings = INSERT.as_teacher()
    cfg = make_peg_env_cfg(EnvOptions(num_envs=8, device="cpu", seed=0, curriculum=True), settings)
    cfg.curriculum.start.params["window"] = 16  # two episodes of every env
    env = ManagerBasedRLEnv(cfg)
    try:
        env.reset()
        local = _bottom_in_fixture(env, settings)
        assert torch.linalg.norm(local[:, :2], dim=-1).max() < 0.001, "level 0: the hole is under the peg"
        torch.testing.assert_close(local[:, 2], torch.full((8,), settings.fixture.depth + settings.easy_clearance),
                                   atol=5e-4, rtol=0)  # 5 mm inside the 20 mm socket
        curriculum = env.curriculum_manager._term_cfgs[0].func
        assert curriculum.state()["level"] == 0.0
        for _ in range(2 * EPISODE_STEPS):  # 16 finished episodes, every one seated by the expert
            env.step(expert_action(env, settings))
        assert curriculum.state()["level"] == pytest.approx(0.1), "a window of successes raises the level"
        assert env.event_manager.get_term_cfg("reset_fixture").params["level"] == pytest.approx(0.1)
        assert env.event_manager.get_term_cfg("reset_peg_in_hand").params["tilt_range"] == \
            pytest.approx(0.1 * settings.in_hand_tilt)
        curriculum.load_state({"level": 0.5, "successes": 0, "episodes": 8})
        for _ in range(EPISODE_STEPS):  # 8 failing episodes close the window: below half succeed
            env.step(torch.zeros(8, 6))
        assert curriculum.state()["level"] == pytest.approx(0.4), "a window of failures lowers the level"
    finally:
        env.close()
    evaluated = get_task("franka-peg-insert-privileged").make_gym_env(EnvOptions(num_envs=2, device="cpu", seed=0))
    try:
        evaluated.reset()
        assert evaluated.cfg.curriculum is None
        assert (_bottom_in_fixture(evaluated, settings)[:, 2] > settings.fixture.depth + 0.015).all(), \
            "without the curriculum the peg starts 2 cm above the walls"
    finally:
        evaluated.close()


def test_expert_teacher_model_acts_as_the_expert():
    from tensordict import TensorDict

    from robot_ac.runners.distillation import teacher_model_cfg
    from rsl_rl.utils import resolve_class
    from sim.tasks.peg_insertion.expert import expert_action
    from sim.tasks.peg_insertion.settings import INSERT

    spec = get_task("franka-peg-insert-force-field")
    env = spec.make_gym_env(EnvOptions(num_envs=4, device="cpu", seed=2))
    try:
        obs, _ = env.reset()
        model_class, model_cfg = resolve_class(teacher_model_cfg("expert", spec.expert_teacher, spec.name))
        obs_td = TensorDict({k: v for k, v in obs.items()}, batch_size=[4])
        model = model_class(obs_td, {"teacher": ["critic"]}, "teacher", 6, **model_cfg)
        for _ in range(30):
            obs, *_ = env.step(expert_action(env, INSERT))
            obs_td = TensorDict({k: v for k, v in obs.items()}, batch_size=[4])
            torch.testing.assert_close(model(obs_td), expert_action(env, INSERT), atol=1e-4, rtol=0)  # 0.5 um
    finally:
        env.close()
    with pytest.raises(Exception, match="no scripted expert"):
        teacher_model_cfg("expert", None, "cartpole")


def test_dagger_from_the_expert_then_ppo_fine_tune_with_critic_warm_up(tmp_path, cli):
    code, _, err = cli(["train", "--task", "franka-peg-place-privileged", "--algo", "dagger", "--teacher", "expert",
                        *SMALL, "--max-iterations", "2", "--run-root", str(tmp_path / "dagger")])
    assert code == 0, err
    (student,) = (tmp_path / "dagger" / "franka-peg-place-privileged").iterdir()
    assert json.loads((student / "teacher.json").read_text())["expert"].endswith(":PegExpertModel")
    distilled = load_checkpoint(find_checkpoint(student))

    code, out, err = cli(["train", "--task", "franka-peg-place-privileged", "--init-actor", str(student),
                          "--critic-warmup-iterations", "2", *SMALL, "--max-iterations", "2",
                          "--run-root", str(tmp_path / "warm")])
    assert code == 0, err
    assert "critic warm-up: 2 iterations" in out
    (warm,) = (tmp_path / "warm" / "franka-peg-place-privileged").iterdir()
    state = load_checkpoint(find_checkpoint(warm))
    assert state["iter"] == 1 and state["infos"]["curriculum"]["start"]["level"] >= 0.0
    for key, value in distilled["actor_state_dict"].items():
        assert torch.equal(state["actor_state_dict"][key], value), f"the actor is frozen while the critic warms up: {key}"

    code, _, err = cli(["train", "--task", "franka-peg-place-privileged", "--init-actor", str(student),
                        "--critic-warmup-iterations", "1", *SMALL, "--max-iterations", "2",
                        "--run-root", str(tmp_path / "tuned")])
    assert code == 0, err
    (tuned,) = (tmp_path / "tuned" / "franka-peg-place-privileged").iterdir()
    tuned_state = load_checkpoint(find_checkpoint(tuned))
    assert tuned_state["iter"] == 1, "warm-up iterations count among --max-iterations"
    changed = [k for k, v in distilled["actor_state_dict"].items() if not torch.equal(tuned_state["actor_state_dict"][k], v)]
    assert changed, "after the warm-up PPO trains the actor"

    code, _, err = cli(["train", "--task", "franka-peg-place-force-field", "--algo", "aacd", "--teacher", "expert",
                        *SMALL, "--max-iterations", "1", "--run-root", str(tmp_path / "aacd")])
    assert code != 0 and "scripted expert does not have" in err


def test_resumed_run_continues_the_curriculum(tmp_path, cli):
    code, _, err = cli(["train", "--task", "franka-peg-place-privileged", "--algo", "dagger", "--teacher", "expert",
                        *SMALL, "--max-iterations", "1", "--run-root", str(tmp_path / "first")])
    assert code == 0, err
    (first,) = (tmp_path / "first" / "franka-peg-place-privileged").iterdir()
    checkpoint = find_checkpoint(first)
    state = load_checkpoint(checkpoint)
    state["infos"]["curriculum"] = {"start": {"level": 0.7, "successes": 3, "episodes": 5}}
    torch.save(state, checkpoint)
    code, _, err = cli(["train", "--task", "franka-peg-place-privileged", "--algo", "dagger", "--teacher", "expert",
                        *SMALL, "--max-iterations", "1", "--resume", str(first), "--run-root", str(tmp_path / "next")])
    assert code == 0, err
    (resumed,) = (tmp_path / "next" / "franka-peg-place-privileged").iterdir()
    levels = np.genfromtxt(resumed / "metrics.csv", delimiter=",", names=True)["curriculum_level"]
    assert float(np.atleast_1d(levels)[0]) == pytest.approx(0.7), "the resumed run starts at the saved level"


def test_recurrent_student_exports_with_its_state(tmp_path, cli):
    from robot_ac.contract.manifest import load_manifest
    from robot_ac.deploy.policy_runtime import PolicyRuntime
    from robot_ac.export.policy_export import deterministic_actions, rebuild_actor

    code, out, err = cli(["train", "--task", "franka-peg-place-force-field", "--algo", "dagger", "--teacher", "expert",
                          "--ppo.actor-rnn", "gru", "--ppo.rnn-hidden-dim", "32", *SMALL, "--max-iterations", "2",
                          "--run-root", str(tmp_path), "--export"])
    assert code == 0, err
    assert "export check passed" in out
    (run,) = (tmp_path / "franka-peg-place-force-field").iterdir()
    manifest = load_manifest(run / "export" / "manifest.json")
    assert manifest.policy.recurrent_state == [{"input": "h_in", "output": "h_out", "shape": [1, 1, 32]}]

    actor = rebuild_actor(load_checkpoint(find_checkpoint(run)))
    obs = np.load(run / "recorded_observations.npy")[:4].astype(np.float32)
    sequence = np.concatenate([obs, obs[::-1]])  # the same observations later in the sequence act differently
    reference = deterministic_actions(actor, torch.from_numpy(sequence)).numpy()
    assert not np.allclose(reference[0], reference[-1], atol=1e-6), "a recurrent policy remembers"
    runtime = PolicyRuntime(run / "export")
    stepped = np.stack([runtime(step) for step in sequence])
    np.testing.assert_allclose(stepped, reference, atol=1e-5)
    runtime.reset()
    np.testing.assert_allclose(runtime(sequence[0]), reference[0], atol=1e-5)
    assert math.isfinite(float(np.abs(stepped).max()))
