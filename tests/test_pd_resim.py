"""PD re-simulation of a G1 (``sim/pd_resim.py``): a "real" G1 whose actuators differ from what the commands say
(stiffness x 0.8, commands applied two ticks late), logged as a real G1 logs (LowState at 500 Hz, LowCmd at 50 Hz),
identified back on the twin."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("mujoco")

from sim.pd_resim import HarnessG1, PdActuator, PdCommands, fit_pd_actuators  # noqa: E402
from sim.robots import g1  # noqa: E402

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
