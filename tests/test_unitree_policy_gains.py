"""The gains a G1 policy runs at: LowCmd carries the config's kp / kd while it ramps and holds (the operator's hold
gains) and the policy's own, the manifest's stiffness / damping, in POLICY; the config's are the ceiling, which
``check_compatibility`` holds a ``unitree_lowcmd`` policy to."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from robot_ac.contract.hardware_config import check_compatibility, load_hardware_config
from robot_ac.deploy import Command, State
from robot_ac.deploy.unitree import fill_lowcmd, lowcmd_crc, policy_gains
from tests.deploy_helpers import g1_imu_interface

ROOT = Path(__file__).resolve().parents[1]
G1_CONFIG = ROOT / "hardware_configs" / "unitree_g1.yaml"


def _with_gains(interface, gains) -> object:
    """``interface`` with each joint's stiffness / damping from ``gains(joint_spec) -> (stiffness, damping)``."""
    joints = [dataclasses.replace(j, stiffness=gains(j)[0], damping=gains(j)[1]) for j in interface.joints]
    return dataclasses.replace(interface, joints=joints)


def _manifest(interface) -> SimpleNamespace:
    """What ``check_compatibility`` and ``policy_gains`` read of a manifest."""
    return SimpleNamespace(interface=interface)


@pytest.fixture
def config():
    return load_hardware_config(G1_CONFIG)


@pytest.fixture
def softer(config):
    """The policy trained at 0.4 x the config's kp and 0.5 x its kd."""
    return _with_gains(g1_imu_interface(config), lambda j: (0.4 * j.stiffness, 0.5 * j.damping))


def test_policy_gains_are_the_manifests_under_the_configs_ceiling(config, softer) -> None:
    gains = policy_gains(_manifest(softer), config)
    hip = config.joint("left_hip_pitch_joint")
    assert len(gains) == 29
    assert gains[hip.name] == pytest.approx((0.4 * hip.kp, 0.5 * hip.kd))
    above = _with_gains(softer, lambda j: (10 * j.stiffness, 10 * j.damping))
    assert policy_gains(_manifest(above), config)[hip.name] == (hip.kp, hip.kd), "capped at the config's"


def test_each_state_sends_its_gains(config, softer) -> None:
    unitree_hg = pytest.importorskip("unitree_hg.msg", reason="unitree_hg is built by scripts/setup.sh")
    gains = policy_gains(_manifest(softer), config)
    del gains["left_knee_joint"]  # a joint without gains of its own (in POLICY: the config's)
    names = config.joint_names
    targets = Command(names, np.linspace(-0.5, 0.5, len(names)), "position")
    config_kp, config_kd = [j.kp for j in config.joints], [j.kd for j in config.joints]
    sent = {state: fill_lowcmd(unitree_hg.LowCmd(), state, None if state == State.PASSIVE else targets, config,
                               mode_machine=6, policy_gains=gains) for state in State}
    for state, cmd in sent.items():
        assert cmd.crc == lowcmd_crc(cmd) and cmd.mode_machine == 6, state
        assert [m.mode for m in cmd.motor_cmd] == [1] * 29 + [0] * 6, state
        assert all(m.kp == 0 and m.kd == 0 for m in cmd.motor_cmd[29:]), state
    assert all(m.kp == 0 and m.kd == 0 for m in sent[State.PASSIVE].motor_cmd), "zero torque"
    for state in (State.RAMP, State.HOLD):
        cmd = sent[state]
        assert [m.q for m in cmd.motor_cmd[:29]] == pytest.approx(targets.values.tolist())
        assert [m.kp for m in cmd.motor_cmd[:29]] == pytest.approx(config_kp), f"{state}: the config's hold gains"
        assert [m.kd for m in cmd.motor_cmd[:29]] == pytest.approx(config_kd), state
    policy = sent[State.POLICY]
    assert [m.q for m in policy.motor_cmd[:29]] == pytest.approx(targets.values.tolist())
    knee = names.index("left_knee_joint")
    expected_kp = [kp if i == knee else 0.4 * kp for i, kp in enumerate(config_kp)]
    expected_kd = [kd if i == knee else 0.5 * kd for i, kd in enumerate(config_kd)]
    assert [m.kp for m in policy.motor_cmd[:29]] == pytest.approx(expected_kp), "the policy's own gains"
    assert [m.kd for m in policy.motor_cmd[:29]] == pytest.approx(expected_kd), "a joint it lacks: the config's"
    for state in (State.DAMP, State.ESTOP):
        assert all(m.kp == 0 and m.q == 0 and m.kd == 8.0 for m in sent[state].motor_cmd[:29]), state
    # Without policy_gains (the old call) POLICY runs at the config's gains.
    plain = fill_lowcmd(unitree_hg.LowCmd(), State.POLICY, targets, config, mode_machine=6)
    assert [m.kp for m in plain.motor_cmd[:29]] == pytest.approx(config_kp)


def test_a_unitree_policy_above_the_configs_gains_is_refused(config) -> None:
    interface = g1_imu_interface(config)
    assert check_compatibility(_manifest(interface), config) == [], "at the config's gains: fine"
    stiffer = _with_gains(interface, lambda j: (j.stiffness + 10.0 if j.name == "left_hip_pitch_joint"
                                                 else j.stiffness,
                                                 j.damping * 1.5 if j.name == "right_knee_joint" else j.damping))
    problems = check_compatibility(_manifest(stiffer), config)
    hip, knee = config.joint("left_hip_pitch_joint"), config.joint("right_knee_joint")
    assert problems == [
        f"joint 'left_hip_pitch_joint': policy stiffness {hip.kp + 10:g} is above the hardware config's kp "
        f"{hip.kp:g}, the ceiling of the gains LowCmd sends",
        f"joint 'right_knee_joint': policy damping {knee.kd * 1.5:g} is above the hardware config's kd {knee.kd:g}, "
        "the ceiling of the gains LowCmd sends"]
    # The ceiling is LowCmd's: a forward-position G1 sends no gains.
    ros2_control = load_hardware_config(ROOT / "hardware_configs" / "unitree_g1_ros2_control.yaml")
    assert check_compatibility(_manifest(_with_gains(g1_imu_interface(ros2_control),
                                                     lambda j: (10 * j.stiffness, 10 * j.damping))),
                               ros2_control) == []


def test_one_lowcmd_refilled_is_a_new_one_filled(config, softer) -> None:
    """The node refills one LowCmd every tick: whatever the state before, the result is what a new one gets."""
    unitree_hg = pytest.importorskip("unitree_hg.msg", reason="unitree_hg is built by scripts/setup.sh")
    gains = policy_gains(_manifest(softer), config)
    targets = Command(config.joint_names, np.linspace(-0.5, 0.5, 29), "position")
    reused = unitree_hg.LowCmd()
    for state in [State.POLICY, State.DAMP, State.RAMP, State.PASSIVE, State.HOLD, State.POLICY, State.ESTOP]:
        command = None if state == State.PASSIVE else targets
        fresh = fill_lowcmd(unitree_hg.LowCmd(), state, command, config, 3, policy_gains=gains)
        assert fill_lowcmd(reused, state, command, config, 3, policy_gains=gains) == fresh, state
        assert reused.crc == lowcmd_crc(reused), state
