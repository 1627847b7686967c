"""PD re-simulation of a G1 (``sim/pd_resim.py``): a "real" G1 whose actuators differ from what the commands say
(stiffness x 0.8, commands applied two ticks late), logged as a real G1 logs (LowState at 500 Hz, LowCmd at 50 Hz),
identified back on the twin."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("mujoco")

from sim.pd_resim import HarnessG1, PdActuator, PdCommands, fit_pd_actuators  # noqa: E402
from sim.robots import g1  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STANDING_G1 = ROOT / "policies" / "g1-stand" / "dagger-expert-seed1"
CONTROL_S = 0.02
STATE_S = 0.002
SECONDS = 6.0
DRIVER_STEP_S = 0.00025
CLEARANCE = {"left_shoulder_roll_joint": 0.35, "right_shoulder_roll_joint": -0.35, "left_hip_roll_joint": 0.2,
             "right_hip_roll_joint": -0.2}
"""Arms and legs held out while they swing, as an identification run keeps hands off the hips and feet apart."""


def excitation(seconds: float = SECONDS, seed: int = 0) -> PdCommands:
    """50 Hz targets: the default pose (arms and legs out) plus two sines per joint at incommensurate frequencies,
    the G1's sim gains."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, seconds, CONTROL_S) + 1e-4  # each LowCmd arrives just after the LowState it answers
    joints = len(g1.JOINTS)
    default = np.array([g1.DEFAULT_POSE[name] + CLEARANCE.get(name, 0.0) for name in g1.JOINT_NAMES])
    limits = np.array([g1.position_limits()[name] for name in g1.JOINT_NAMES])
    amplitude = np.minimum(0.25, 0.3 * (limits[:, 1] - limits[:, 0]))
    frequency = rng.uniform(0.4, 2.5, size=(2, joints))
    phase = rng.uniform(0, 2 * np.pi, size=(2, joints))
    wave = sum(np.sin(2 * np.pi * frequency[i] * t[:, None] + phase[i]) for i in range(2)) / 2
    target = np.clip(default + amplitude * wave, limits[:, 0], limits[:, 1])
    kp = np.tile([g1.stiffness(j) for j in g1.JOINTS], (t.size, 1))
    kd = np.tile([g1.damping(j) for j in g1.JOINTS], (t.size, 1))
    return PdCommands(t, target, kp, kd)


@pytest.fixture(scope="module")
def real_log():
    """The "real" G1 in its harness: 0.8 of the commanded stiffness, commands two ticks late, the PD closed at
    4 kHz as a motor driver closes it (the twin closes it at 1 kHz)."""
    commands = excitation()
    joints = len(g1.JOINTS)
    actuator = PdActuator(np.full(joints, 0.8), np.ones(joints), np.zeros(joints), delay_ticks=2)
    t = np.arange(0.0, SECONDS, STATE_S)
    default = np.array([g1.DEFAULT_POSE[name] for name in g1.JOINT_NAMES])
    q, v = HarnessG1().run(default, np.zeros(joints), commands, actuator, t, step_s=DRIVER_STEP_S)
    return t, q, v, commands


def test_inverse_dynamics_returns_the_torque_that_was_applied():
    """The twin's inverse dynamics is the identification's measuring instrument: a torque applied for one step
    comes back from the velocity change it made."""
    twin = HarnessG1()
    rng = np.random.default_rng(1)
    q = np.array([g1.DEFAULT_POSE[name] for name in g1.JOINT_NAMES]) + rng.uniform(-0.2, 0.2, len(g1.JOINTS))
    v = rng.uniform(-1, 1, len(g1.JOINTS))
    torque = rng.uniform(-5, 5, len(g1.JOINTS))
    twin.set_state(q, v)
    twin.data.qfrc_applied[twin.dof_at] = torque
    twin.mj.mj_forward(twin.model, twin.data)
    acceleration = twin.data.qacc[twin.dof_at].copy()
    measured, touching = twin.inverse_dynamics(q, v, acceleration)
    assert not touching
    np.testing.assert_allclose(measured, torque, atol=1e-6)


def test_weaker_and_late_actuators_are_identified(real_log):
    t, q, v, commands = real_log
    fit = fit_pd_actuators(HarnessG1(), t, q, v, commands)
    scales = np.array([f.stiffness_scale for f in fit.joints.values()])
    damping = np.array([f.damping_scale for f in fit.joints.values()])
    print(f"delay {fit.delay_ticks}, residuals {np.round(fit.delay_residuals, 3)}; stiffness scale "
          f"{scales.min():.3f}..{scales.max():.3f}, damping scale {damping.min():.3f}..{damping.max():.3f}")
    assert fit.delay_ticks == 2
    assert np.all(np.abs(scales - 0.8) < 0.08), dict(zip(g1.JOINT_NAMES, scales.round(3)))
    ranges = fit.domain_randomization()
    assert ranges["action_delay_ticks"] == [2, 2]
    for name, joint_ranges in ranges["actuators"].items():
        low, high = joint_ranges["stiffness_scale"]
        assert low <= fit.joints[name].stiffness_scale <= high


def test_a_nominal_actuator_is_identified_as_nominal():
    """The same fit on a G1 whose actuators do what the commands say: scales 1, no delay (a fit that always
    answered 0.8 and 2 would fail here)."""
    commands = excitation(seconds=4.0, seed=3)
    t = np.arange(0.0, 4.0, STATE_S)
    default = np.array([g1.DEFAULT_POSE[name] for name in g1.JOINT_NAMES])
    twin = HarnessG1()
    q, v = twin.run(default, np.zeros(len(g1.JOINTS)), commands, PdActuator.nominal(), t, step_s=DRIVER_STEP_S)
    fit = fit_pd_actuators(twin, t, q, v, commands)
    scales = np.array([f.stiffness_scale for f in fit.joints.values()])
    assert fit.delay_ticks == 0
    assert np.all(np.abs(scales - 1.0) < 0.1), scales.round(3)


def write_harness_bag(path, t, q, v, commands: PdCommands) -> None:
    """The "real" G1's log as the robot writes it: LowState at the state rate (motors, a level IMU), LowCmd at 50 Hz
    (targets, kp, kd), the standing command, and POLICY on /diagnostics from the start."""
    from tests.test_replay_lowcmd import G1Bag

    level, zero3 = np.array([1.0, 0.0, 0.0, 0.0], np.float32), np.zeros(3, np.float32)
    gravity = np.array([0.0, 0.0, 9.81], np.float32)
    with G1Bag(path) as bag:
        bag.bag.diagnostics("/diagnostics", 0.0, "policy: the operator let the policy go")
        for n, tn in enumerate(t):
            bag.lowstate(tn, 2 * n, q[n].astype(np.float32), v[n].astype(np.float32), np.zeros(29, np.float32),
                         level, zero3, gravity)
        for k, tk in enumerate(commands.t):
            bag.lowcmd(tk, commands.target[k], commands.kp[k], commands.kd[k])
            if k % 5 == 0:
                bag.bag.array("/cmd_vel_array", tk, [0.0, 0.0, 0.0])


def test_replay_resim_recovers_the_modified_actuator_and_training_takes_its_ranges(real_log, tmp_path, cli):
    """`robot-ac replay --resim --harness` on the "real" G1's bag finds stiffness x 0.8 and the 2-tick delay; its
    report's ranges then go into the training env (`train --randomize-from`): the action delay and each joint's
    stiffness drawn in them."""
    t, q, v, commands = real_log
    write_harness_bag(tmp_path / "g1", t, q, v, commands)
    config = str(ROOT / "hardware_configs" / "unitree_g1.yaml")
    common = ["replay", str(tmp_path / "g1"), "--config", config, "--policy", str(STANDING_G1), "--resim"]
    code, _, err = cli([*common, "--out", str(tmp_path / "floating")])
    assert code == 2 and "harness" in err, err
    code, out, err = cli([*common, "--harness", "--out", str(tmp_path / "report")])
    assert code == 0, err
    print(out)
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())["resimulation"]
    scales = np.array([joint["stiffness_scale"] for joint in summary["actuators"].values()])
    assert summary["delay_ticks"] == 2 and np.all(np.abs(scales - 0.8) < 0.08), scales.round(3)
    rms = lambda key: np.sqrt(np.mean([j["rmse"] ** 2 for j in summary[key].values()]))  # noqa: E731
    assert rms("per_joint_calibrated") < 0.3 * rms("per_joint"), (rms("per_joint_calibrated"), rms("per_joint"))
    assert (tmp_path / "report" / "resimulation.png").exists()

    from robot_ac.randomization import load_actuator_randomization
    from robot_ac.tasks import EnvOptions, get_task

    randomization = load_actuator_randomization(tmp_path / "report")
    assert randomization.delay_ticks == (2, 2)
    env = get_task("g1-stand").make_gym_env(EnvOptions(num_envs=8, device="cpu", seed=0,
                                                       actuator_randomization=randomization))
    try:
        env.reset()
        action = env.action_manager.get_term("joint_pos")
        assert action._delay.tolist() == [2] * 8
        robot = env.scene["robot"]
        ratio = (robot.data.joint_stiffness.torch / action_nominal(robot, env)).cpu().numpy()
        low = np.array([randomization.joints[n]["stiffness_scale"][0] for n in g1.JOINT_NAMES])
        high = np.array([randomization.joints[n]["stiffness_scale"][1] for n in g1.JOINT_NAMES])
        assert np.all((ratio >= low - 1e-5) & (ratio <= high + 1e-5)), ratio
        assert np.ptp(ratio, axis=0).max() > 0.01, "each env draws its own stiffness"
        steps = []
        for _ in range(4):  # the targets reach the joints two control ticks after the action
            env.step(torch.ones(8, env.action_manager.total_action_dim))
            steps.append(robot.data.joint_pos_target.torch.clone())
        default = robot.data.default_joint_pos.torch
        assert torch.allclose(steps[1], default) and not torch.allclose(steps[2], default)
    finally:
        env.close()


def action_nominal(robot, env):
    """The stiffness g1-stand's robot config gives each joint (before randomisation)."""
    term = env.event_manager.get_term_cfg("actuator_scales").func
    return torch.zeros_like(robot.data.joint_stiffness.torch) + term.nominal_stiffness
