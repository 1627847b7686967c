"""Unitree's low-level protocol (``unitree_hg``: G1, H1-2): the CRC the robot checks on every LowCmd, over the
packed C-struct image of the message (not over its ROS / DDS serialisation).

The algorithm is Unitree's ``crc32_core`` (unitree_ros2 ``motor_crc_hg``): per little-endian uint32 word of the
image, most significant bit first, from 0xFFFFFFFF, polynomial 0x04C11DB7. That is CRC-32/MPEG-2 (no reflection,
no final XOR) over the words byte-swapped. The all-zero LowCmd gives 0xFE172F9F.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from typing import Any

from robot_ac.contract.hardware_config import UNITREE_MOTORS, HardwareConfig
from robot_ac.contract.manifest import Manifest
from robot_ac.deploy.supervisor import Command, State
from robot_ac.errors import RobotAcError

MOTORS = UNITREE_MOTORS
REMOTE_BITS = {"R1": 0, "L1": 1, "start": 2, "select": 3, "R2": 4, "L2": 5, "F1": 6, "F2": 7, "A": 8, "B": 9,
               "X": 10, "Y": 11, "up": 12, "right": 13, "down": 14, "left": 15}
"""Bits of the little-endian uint16 at ``LowState.wireless_remote[2:4]`` (unitree_rl_gym's remote_controller)."""
LOWCMD_LAYOUT = struct.Struct("<2B2x" + "B3x5fI" * MOTORS + "4I")
"""LowCmd's C struct without its crc: mode_pr, mode_machine, 35 x (mode, q, dq, tau, kp, kd, reserve), reserve[4]:
1000 bytes, 250 words (the crc is the struct's last word)."""
LOWSTATE_LAYOUT = struct.Struct("<2I2B2xI" + "13fh2x" + "B3x4f2hf7I" * MOTORS + "40B4I")
"""LowState's C struct without its crc (2088 bytes)."""
_POLYNOMIAL = 0x04C11DB7


def _table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ _POLYNOMIAL) if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return tuple(table)


_TABLE = _table()
"""The byte-wise table of the polynomial (MSB first): :func:`crc32_words_reference` uses it."""
_BIT_REVERSED = bytes(int(f"{byte:08b}"[::-1], 2) for byte in range(256))


def crc32_words(image: bytes) -> int:
    """Unitree's CRC of a struct image (a whole number of little-endian uint32 words), in C: CRC-32/MPEG-2 is
    CRC-32/BZIP2 without the final XOR, and BZIP2 is the reflected CRC-32 of ``zlib`` run on bit-reversed bytes with
    its result bit-reversed (every parameter of the two reflects into the other's). About 40 times faster than
    the table loop in Python (:func:`crc32_words_reference`), to which tests hold it."""
    if len(image) % 4:
        raise ValueError(f"a CRC image is whole uint32 words; got {len(image)} bytes")
    swapped = bytearray(image)  # little-endian words, which Unitree feeds most significant byte first
    swapped[0::4], swapped[1::4], swapped[2::4], swapped[3::4] = image[3::4], image[2::4], image[1::4], image[0::4]
    reflected = zlib.crc32(swapped.translate(_BIT_REVERSED))
    return int(f"{reflected:032b}"[::-1], 2) ^ 0xFFFFFFFF


def crc32_words_reference(image: bytes) -> int:
    """:func:`crc32_words` as Unitree's byte-wise table loop, in plain Python (~0.2 ms per LowCmd)."""
    if len(image) % 4:
        raise ValueError(f"a CRC image is whole uint32 words; got {len(image)} bytes")
    crc = 0xFFFFFFFF
    swapped = bytearray(image)
    swapped[0::4], swapped[1::4], swapped[2::4], swapped[3::4] = image[3::4], image[2::4], image[1::4], image[0::4]
    for byte in swapped:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _TABLE[(crc >> 24) ^ byte]
    return crc


def lowcmd_image(cmd: Any) -> bytes:
    """The packed C struct of a ``unitree_hg.msg.LowCmd`` (or anything with its fields), without the crc."""
    if len(cmd.motor_cmd) != MOTORS:
        raise ValueError(f"LowCmd has {len(cmd.motor_cmd)} motor commands, expected {MOTORS}")
    fields = [cmd.mode_pr, cmd.mode_machine]
    for motor in cmd.motor_cmd:
        fields += [motor.mode, motor.q, motor.dq, motor.tau, motor.kp, motor.kd, motor.reserve]
    return LOWCMD_LAYOUT.pack(*fields, *cmd.reserve)


def lowcmd_crc(cmd: Any) -> int:
    """The crc a G1 expects in ``cmd`` (a ``unitree_hg.msg.LowCmd``): set ``cmd.crc`` to it before publishing."""
    return crc32_words(lowcmd_image(cmd))


def lowstate_crc(state: Any) -> int:
    """The crc of a ``unitree_hg.msg.LowState``, computed as for LowCmd over its own struct."""
    fields = [*state.version, state.mode_pr, state.mode_machine, state.tick]
    imu = state.imu_state
    fields += [*imu.quaternion, *imu.gyroscope, *imu.accelerometer, *imu.rpy, imu.temperature]
    for motor in state.motor_state:
        fields += [motor.mode, motor.q, motor.dq, motor.ddq, motor.tau_est, *motor.temperature, motor.vol,
                   *motor.sensor, motor.motorstate, *motor.reserve]
    return crc32_words(LOWSTATE_LAYOUT.pack(*fields, *state.wireless_remote, *state.reserve))


def pressed_buttons(wireless_remote: Sequence[int]) -> set[str]:
    """The remote's buttons held down in a LowState's ``wireless_remote``."""
    bits = int(wireless_remote[2]) | int(wireless_remote[3]) << 8
    return {name for name, bit in REMOTE_BITS.items() if bits >> bit & 1}


def parse_presses(items: Sequence[str]) -> list[tuple[str, float]]:
    """``BUTTON@SECONDS`` items (a scripted remote: the fake G1's and the G1 bridge's ``--press``) as
    (button, seconds); an unknown button is refused by name."""
    presses = []
    for item in items:
        button, _, at = item.partition("@")
        if button not in REMOTE_BITS:
            raise RobotAcError(f"--press {item}: unknown button '{button}' (one of {', '.join(REMOTE_BITS)})")
        presses.append((button, float(at)))
    return presses


def remote_bytes(pressed: set[str]) -> list[int]:
    """``wireless_remote`` with ``pressed`` held down (sticks centred)."""
    bits = sum(1 << REMOTE_BITS[name] for name in pressed)
    remote = [0] * 40
    remote[2], remote[3] = bits & 0xFF, bits >> 8
    return remote


def joint_state_from_lowstate(state: Any, config: HardwareConfig) -> tuple[list[str], list[float], list[float]]:
    """A LowState's motors as the config's joints (motor i is ``config.joints[i]``): names, positions, velocities."""
    motors = state.motor_state[: len(config.joints)]
    return config.joint_names, [float(m.q) for m in motors], [float(m.dq) for m in motors]


def imu_from_lowstate(state: Any) -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
    """The pelvis IMU of a LowState: orientation as x, y, z, w (Unitree sends w first), gyro, accelerometer."""
    imu = state.imu_state
    w, x, y, z = (float(v) for v in imu.quaternion)
    return (x, y, z, w), tuple(float(v) for v in imu.gyroscope), tuple(float(v) for v in imu.accelerometer)


def policy_gains(manifest: Manifest, config: HardwareConfig) -> dict[str, tuple[float, float]]:
    """The PD gains the policy was trained with (the manifest's stiffness / damping), joint name -> (kp, kd), for
    :func:`fill_lowcmd` in POLICY; each capped at the config's kp / kd, the ceiling ``check_compatibility`` already
    holds a policy to (the cap only guards a caller that skipped it). Build once, at configure."""
    ceilings = {joint.name: (joint.kp, joint.kd) for joint in config.joints}
    return {spec.name: (min(spec.stiffness, ceilings[spec.name][0]), min(spec.damping, ceilings[spec.name][1]))
            for spec in manifest.interface.joints if spec.name in ceilings}


def fill_lowcmd(cmd: Any, state: State, command: Command | None, config: HardwareConfig, mode_machine: int, *,
                policy_gains: dict[str, tuple[float, float]] | None = None) -> Any:
    """Fill ``cmd`` (a ``unitree_hg.msg.LowCmd``) for the supervisor's ``state`` and ``command``, Unitree's way:
    PASSIVE zero torque (kp = kd = 0); RAMP and HOLD the command's positions at each joint's kp / kd from the config
    (the operator's hold gains); POLICY the command's positions at the policy's own gains, ``policy_gains`` (joint
    name -> (kp, kd), see :func:`policy_gains`; a joint it lacks, or all without it, at the config's); DAMP and
    E-STOP damping (kp 0, kd ``unitree.damping_kd``). Motors past the config's joints are disabled (mode 0).
    ``mode_machine`` is echoed from LowState; the CRC is set last."""
    if len(cmd.motor_cmd) != MOTORS:
        raise ValueError(f"LowCmd has {len(cmd.motor_cmd)} motor commands, expected {MOTORS}")
    unitree = config.unitree
    targets = dict(zip(command.joint_names, command.values)) if command is not None else {}
    driven = state in (State.RAMP, State.HOLD, State.POLICY)
    damped = state in (State.DAMP, State.ESTOP)
    gains = policy_gains if state == State.POLICY and policy_gains is not None else {}
    joints = config.joints
    cmd.mode_pr, cmd.mode_machine = unitree.mode_pr, mode_machine
    cmd.reserve = [0, 0, 0, 0]
    fields = [unitree.mode_pr, mode_machine]  # the struct image, as lowcmd_image would read it back
    for index, motor in enumerate(cmd.motor_cmd):
        mode, q, kp, kd = 0, 0.0, 0.0, 0.0
        if index < len(joints):
            joint = joints[index]
            mode = 1
            if damped:
                kd = float(unitree.damping_kd)
            elif driven and joint.name in targets:
                q = float(targets[joint.name])
                kp, kd = (float(g) for g in gains.get(joint.name, (joint.kp, joint.kd)))
        motor.mode, motor.q, motor.dq, motor.tau, motor.kp, motor.kd, motor.reserve = mode, q, 0.0, 0.0, kp, kd, 0
        fields += (mode, q, 0.0, 0.0, kp, kd, 0)
    cmd.crc = crc32_words(LOWCMD_LAYOUT.pack(*fields, 0, 0, 0, 0))
    return cmd
