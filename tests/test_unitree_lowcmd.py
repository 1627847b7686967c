"""The G1's low-level messages (``unitree_hg``, built into the venv by scripts/build_ros_messages.sh) and the CRC
the robot checks on every LowCmd: checked against Unitree's bit-serial ``crc32_core`` and its known zero value."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import numpy as np
import pytest

from robot_ac.deploy.unitree import (LOWCMD_LAYOUT, crc32_words, crc32_words_reference, lowcmd_crc, lowcmd_image,
                                     lowstate_crc)

ROOT = Path(__file__).resolve().parents[1]
unitree_hg = pytest.importorskip("unitree_hg.msg", reason="unitree_hg is built by scripts/setup.sh")


def unitree_crc32_core(words: list[int]) -> int:
    """Unitree's crc32_core (unitree_ros2 motor_crc_hg.cpp), bit by bit, as the robot computes it."""
    crc, polynomial = 0xFFFFFFFF, 0x04C11DB7
    for data in words:
        bit = 1 << 31
        for _ in range(32):
            crc = ((crc << 1) ^ polynomial) if crc & 0x80000000 else crc << 1
            if data & bit:
                crc ^= polynomial
            crc &= 0xFFFFFFFF
            bit >>= 1
    return crc


def test_the_table_crc_is_unitrees_crc32_core() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        words = rng.integers(0, 2**32, size=int(rng.integers(1, 300)), dtype=np.uint64).tolist()
        assert crc32_words(struct.pack(f"<{len(words)}I", *words)) == unitree_crc32_core(words)
    with pytest.raises(ValueError, match="whole uint32 words"):
        crc32_words(b"abc")


def test_the_all_zero_lowcmd_has_unitrees_known_crc() -> None:
    assert lowcmd_crc(unitree_hg.LowCmd()) == 0xFE172F9F


def test_the_lowcmd_image_is_the_c_struct() -> None:
    """1000 bytes before the crc; each motor's 28 bytes at 4 + 28 i; any field changes the crc."""
    cmd = unitree_hg.LowCmd()
    cmd.mode_machine = 5
    cmd.motor_cmd[3].mode, cmd.motor_cmd[3].q, cmd.motor_cmd[3].kp = 1, 0.25, 100.0
    cmd.motor_cmd[34].kd = 8.0
    image = lowcmd_image(cmd)
    assert len(image) == LOWCMD_LAYOUT.size == 1000
    assert image[1] == 5
    assert struct.unpack_from("<B3x5fI", image, 4 + 28 * 3) == (1, 0.25, 0.0, 0.0, 100.0, 0.0, 0)
    assert struct.unpack_from("<f", image, 4 + 28 * 34 + 20) == (8.0,)
    before = lowcmd_crc(cmd)
    cmd.motor_cmd[20].tau = 1e-3
    assert lowcmd_crc(cmd) != before
    assert unitree_crc32_core(list(struct.unpack("<250I", lowcmd_image(cmd)))) == lowcmd_crc(cmd)


def test_the_messages_have_the_robots_sizes() -> None:
    from rclpy.serialization import serialize_message

    assert len(unitree_hg.LowCmd().motor_cmd) == 35 and len(unitree_hg.LowState().motor_state) == 35
    assert len(serialize_message(unitree_hg.LowCmd())) == 1004  # CDR: 4-byte header + the struct's 1000 + crc
    assert len(serialize_message(unitree_hg.LowState())) == 2092
    state = unitree_hg.LowState()
    state.tick = 7
    assert lowstate_crc(state) != lowstate_crc(unitree_hg.LowState())


def _lowcmd_config():
    import yaml

    from robot_ac.contract.hardware_config import HardwareConfig

    data = yaml.safe_load((ROOT / "hardware_configs" / "unitree_g1_ros2_control.yaml").read_text())
    data |= {"command_interface": "unitree_lowcmd", "unitree": {"damping_kd": 8.0}}
    data["topics"] |= {"low_state": "/lowstate", "command": "/lowcmd"}
    return HardwareConfig.model_validate(data)


def test_each_state_fills_the_lowcmd_as_unitrees_sequence_does() -> None:
    from robot_ac.deploy import Command, State
    from robot_ac.deploy.unitree import fill_lowcmd

    config = _lowcmd_config()
    names = config.joint_names
    targets = Command(names, np.linspace(-0.5, 0.5, len(names)), "position")
    passive = fill_lowcmd(unitree_hg.LowCmd(), State.PASSIVE, None, config, mode_machine=4)
    driven = fill_lowcmd(unitree_hg.LowCmd(), State.POLICY, targets, config, mode_machine=4)
    damped = fill_lowcmd(unitree_hg.LowCmd(), State.DAMP, targets, config, mode_machine=4)
    for cmd in (passive, driven, damped):
        assert cmd.mode_machine == 4 and cmd.crc == lowcmd_crc(cmd)
        assert [m.mode for m in cmd.motor_cmd] == [1] * 29 + [0] * 6, "motors 29-34 disabled"
        assert all(m.dq == 0 and m.tau == 0 for m in cmd.motor_cmd)
    assert all(m.kp == 0 and m.kd == 0 for m in passive.motor_cmd), "PASSIVE is zero torque"
    assert [m.q for m in driven.motor_cmd[:29]] == pytest.approx(targets.values.tolist())
    assert [m.kp for m in driven.motor_cmd[:29]] == [j.kp for j in config.joints]
    assert [m.kd for m in driven.motor_cmd[:29]] == [j.kd for j in config.joints]
    assert all(m.kp == 0 and m.q == 0 and m.kd == 8.0 for m in damped.motor_cmd[:29]), "damping, not a target"


def test_lowstate_decodes_to_the_configs_joints_imu_and_buttons() -> None:
    from robot_ac.deploy.unitree import imu_from_lowstate, joint_state_from_lowstate, pressed_buttons, remote_bytes

    config = _lowcmd_config()
    state = unitree_hg.LowState()
    state.motor_state[3].q, state.motor_state[3].dq = 0.3, -1.0
    state.imu_state.quaternion = [0.9, 0.1, 0.2, 0.3]
    names, q, dq = joint_state_from_lowstate(state, config)
    assert names == config.joint_names and len(q) == 29 and q[3] == pytest.approx(0.3) and dq[3] == -1.0
    orientation, _, _ = imu_from_lowstate(state)
    assert orientation == pytest.approx((0.1, 0.2, 0.3, 0.9)), "Unitree sends w first"
    state.wireless_remote = remote_bytes({"start", "A"})
    assert pressed_buttons(state.wireless_remote) == {"start", "A"}
    assert pressed_buttons([0] * 40) == set()


def test_a_unitree_config_needs_its_section_and_low_state() -> None:
    from pydantic import ValidationError

    from robot_ac.contract.hardware_config import HardwareConfig

    data = _lowcmd_config().model_dump()
    with pytest.raises(ValidationError, match="unitree"):
        HardwareConfig.model_validate(data | {"unitree": None})
    with pytest.raises(ValidationError, match="low_state"):
        HardwareConfig.model_validate(data | {"topics": data["topics"] | {"low_state": None}})


def test_hold_after_ramp_waits_at_the_default_pose_for_the_operator() -> None:
    from robot_ac.deploy import State, make_supervisor
    from robot_ac.deploy.supervisor import AT_DEFAULT_POSE
    from tests.deploy_helpers import g1_imu_interface, write_linear_export

    import tempfile

    from robot_ac.deploy import PolicyRuntime

    config = _lowcmd_config()
    safety = config.safety.model_copy(update={"hold_after_ramp": True, "ramp_duration_s": 0.1})
    config = config.model_copy(update={"safety": safety})
    with tempfile.TemporaryDirectory() as folder:
        write_linear_export(Path(folder), g1_imu_interface(config))
        runtime = PolicyRuntime(folder)
        supervisor = make_supervisor(runtime.manifest, config, runtime)
        defaults = {j.name: j.default_position for j in runtime.manifest.interface.joints}
        now = 0.0

        def inputs() -> None:
            supervisor.on_joint_state(now, config.joint_names, [defaults.get(n, 0.0) for n in config.joint_names],
                                      [0.0] * 29, now)
            supervisor.on_imu((0, 0, 0, 1), (0, 0, 0), (0, 0, 9.81), now)
            supervisor.on_goal([0.0, 0.0, 0.0])

        inputs()
        assert not supervisor.proceed(now), "nothing to let go before the ramp"
        assert supervisor.start(now)
        for _ in range(10):
            now += 0.02
            inputs()
            supervisor.tick(now)
        assert (supervisor.state, supervisor.last_reason) == (State.HOLD, AT_DEFAULT_POSE)
        assert supervisor.counters.policy_steps == 0
        assert supervisor.proceed(now) and supervisor.state == State.POLICY
        supervisor.tick(now + 0.02)
        assert supervisor.counters.policy_steps == 1
        # Inputs that stop while it waits at the default pose damp it.
        supervisor.hold(now, "operator")
        assert supervisor.reset(now)
        assert supervisor.start(now)
        for _ in range(10):
            now += 0.02
            inputs()
            supervisor.tick(now)
        assert supervisor.state == State.HOLD
        supervisor.tick(now + 1.0)
        assert supervisor.state == State.DAMP


def test_the_crc_in_c_is_the_table_loop() -> None:
    """crc32_words runs zlib's reflected CRC-32 on bit-reversed bytes; the table loop is the reference."""
    rng = random.Random(0)
    assert crc32_words(bytes(1000)) == crc32_words_reference(bytes(1000)) == 0xFE172F9F
    for _ in range(500):
        image = rng.randbytes(4 * rng.randint(1, 600))
        assert crc32_words(image) == crc32_words_reference(image)
    with pytest.raises(ValueError, match="whole uint32 words"):
        crc32_words(b"abcde")


def test_the_crc_of_random_lowcmds() -> None:
    rng = np.random.default_rng(1)
    assert lowcmd_crc(unitree_hg.LowCmd()) == 0xFE172F9F
    for _ in range(100):
        cmd = unitree_hg.LowCmd()
        cmd.mode_pr, cmd.mode_machine = int(rng.integers(0, 2)), int(rng.integers(0, 256))
        for motor in cmd.motor_cmd:
            motor.mode = int(rng.integers(0, 2))
            motor.q, motor.dq, motor.tau, motor.kp, motor.kd = (float(v) for v in rng.normal(0, 50, 5))
            motor.reserve = int(rng.integers(0, 2**32))
        cmd.reserve = [int(v) for v in rng.integers(0, 2**32, 4)]
        image = lowcmd_image(cmd)
        words = list(struct.unpack("<250I", image))
        assert lowcmd_crc(cmd) == crc32_words_reference(image) == unitree_crc32_core(words)
