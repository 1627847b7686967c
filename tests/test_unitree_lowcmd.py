"""The G1's low-level messages (``unitree_hg``, built into the venv by scripts/build_ros_messages.sh) and the CRC
the robot checks on every LowCmd: checked against Unitree's bit-serial ``crc32_core`` and its known zero value."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from robot_ac.deploy.unitree import LOWCMD_LAYOUT, crc32_words, lowcmd_crc, lowcmd_image, lowstate_crc

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
