"""``fake_g1``: a Unitree G1 as its low-level interface presents it, on Cyclone DDS (the robot's own DDS) in a
process of its own: ``python -m robot_ac_ros.fake_g1 --record out.json [--press start@1.0 --press A@4.0]``.

It publishes ``rt/lowstate`` (``unitree_hg::msg::dds_::LowState_``) at 500 Hz with its ``mode_machine``, a
ticking ``tick``, a level IMU and the 29 motors' positions, and the remote's buttons in ``wireless_remote`` as
scripted (``--press BUTTON@SECONDS`` holds it for 0.2 s); ``--stall-at SECONDS`` stops the LowState stream then,
as a robot whose state stops arriving. It reads ``rt/lowcmd`` and drives each motor as the
G1's motor drivers do, ``tau = tau_ff + kp (q* - q) + kd (dq* - dq)`` on a unit-inertia joint, only for motors
in mode 1, and only while the command's CRC is right (the real robot drops a command with a wrong CRC). On exit
(SIGTERM, SIGINT or ``--duration-s``) it writes the record: per command whether its CRC was valid and
``mode_machine`` echoed, and the kp / kd / q profile over time.

No ``from __future__ import annotations``: cyclonedds reads the IDL field types from the annotations.
"""

import argparse
import json
import signal
import time
from dataclasses import dataclass, field

import numpy as np
from cyclonedds.domain import DomainParticipant
from cyclonedds.idl import IdlStruct
from cyclonedds.idl.annotations import final
from cyclonedds.idl.types import array, float32, int16, uint8, uint32
from cyclonedds.pub import DataWriter
from cyclonedds.sub import DataReader
from cyclonedds.topic import Topic

from robot_ac._atomic import atomic_write_json
from robot_ac.deploy.unitree import MOTORS, REMOTE_BITS, lowcmd_crc, lowstate_crc, parse_presses, remote_bytes
from robot_ac.errors import RobotAcError

MODE_MACHINE = 5
"""What this fake reports in ``mode_machine`` (the robot's model code); commands must echo it."""
STATE_RATE_HZ = 500.0
BODY_MOTORS = 29
PRESS_S = 0.2


@final
@dataclass
class MotorCmd_(IdlStruct, typename="unitree_hg.msg.dds_.MotorCmd_"):
    mode: uint8 = 0
    q: float32 = 0.0
    dq: float32 = 0.0
    tau: float32 = 0.0
    kp: float32 = 0.0
    kd: float32 = 0.0
    reserve: uint32 = 0


@final
@dataclass
class LowCmd_(IdlStruct, typename="unitree_hg.msg.dds_.LowCmd_"):
    mode_pr: uint8 = 0
    mode_machine: uint8 = 0
    motor_cmd: array[MotorCmd_, MOTORS] = field(default_factory=lambda: [MotorCmd_() for _ in range(MOTORS)])
    reserve: array[uint32, 4] = field(default_factory=lambda: [0] * 4)
    crc: uint32 = 0


@final
@dataclass
class MotorState_(IdlStruct, typename="unitree_hg.msg.dds_.MotorState_"):
    mode: uint8 = 0
    q: float32 = 0.0
    dq: float32 = 0.0
    ddq: float32 = 0.0
    tau_est: float32 = 0.0
    temperature: array[int16, 2] = field(default_factory=lambda: [25, 25])
    vol: float32 = 0.0
    sensor: array[uint32, 2] = field(default_factory=lambda: [0, 0])
    motorstate: uint32 = 0
    reserve: array[uint32, 4] = field(default_factory=lambda: [0] * 4)


@final
@dataclass
class IMUState_(IdlStruct, typename="unitree_hg.msg.dds_.IMUState_"):
    quaternion: array[float32, 4] = field(default_factory=lambda: [1.0, 0.0, 0.0, 0.0])
    gyroscope: array[float32, 3] = field(default_factory=lambda: [0.0] * 3)
    accelerometer: array[float32, 3] = field(default_factory=lambda: [0.0, 0.0, 9.81])
    rpy: array[float32, 3] = field(default_factory=lambda: [0.0] * 3)
    temperature: int16 = 30


@final
@dataclass
class LowState_(IdlStruct, typename="unitree_hg.msg.dds_.LowState_"):
    version: array[uint32, 2] = field(default_factory=lambda: [0, 0])
    mode_pr: uint8 = 0
    mode_machine: uint8 = 0
    tick: uint32 = 0
    imu_state: IMUState_ = field(default_factory=IMUState_)
    motor_state: array[MotorState_, MOTORS] = field(default_factory=lambda: [MotorState_() for _ in range(MOTORS)])
    wireless_remote: array[uint8, 40] = field(default_factory=lambda: [0] * 40)
    reserve: array[uint32, 4] = field(default_factory=lambda: [0] * 4)
    crc: uint32 = 0


class MotorPlant:
    """29 unit-inertia joints under the drivers' PD law (no gravity, no contact: a G1 hung in its harness)."""

    def __init__(self, start: np.ndarray) -> None:
        self.q = start.astype(np.float64).copy()
        self.dq = np.zeros_like(self.q)

    def step(self, command: LowCmd_ | None, dt: float) -> None:
        tau = np.zeros_like(self.q)
        if command is not None:
            for i in range(len(self.q)):
                motor = command.motor_cmd[i]
                if motor.mode == 1:
                    tau[i] = motor.tau + motor.kp * (motor.q - self.q[i]) + motor.kd * (motor.dq - self.dq[i])
        self.dq += np.clip(tau, -500.0, 500.0) * dt
        self.q += self.dq * dt


def run(record_path: str, presses: list[tuple[str, float]], duration_s: float | None, domain: int,
        start_q: np.ndarray, stall_at: float | None = None) -> dict:
    participant = DomainParticipant(domain)
    state_writer = DataWriter(participant, Topic(participant, "rt/lowstate", LowState_))
    command_reader = DataReader(participant, Topic(participant, "rt/lowcmd", LowCmd_))
    plant = MotorPlant(start_q)
    record = {"mode_machine": MODE_MACHINE, "commands": 0, "crc_ok": 0, "crc_bad": 0, "mode_machine_echoed": 0,
              "profile": []}
    stopping = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.append(True))
    started = time.monotonic()
    period, tick, applied = 1.0 / STATE_RATE_HZ, 0, None
    while not stopping and (duration_s is None or time.monotonic() - started < duration_s):
        now = time.monotonic() - started
        for command in command_reader.take(N=50):
            if not isinstance(command, LowCmd_):
                continue
            record["commands"] += 1
            valid = command.crc == lowcmd_crc(command)
            record["crc_ok" if valid else "crc_bad"] += 1
            record["mode_machine_echoed"] += int(command.mode_machine == MODE_MACHINE)
            if valid:
                applied = command
                motors = command.motor_cmd[:BODY_MOTORS]
                record["profile"].append({"t": round(now, 4), "kp": [m.kp for m in motors],
                                          "kd": [m.kd for m in motors], "q": [m.q for m in motors],
                                          "mode": [m.mode for m in command.motor_cmd]})
        plant.step(applied, period)
        state = LowState_(mode_machine=MODE_MACHINE, tick=tick)
        for i in range(BODY_MOTORS):
            state.motor_state[i].q, state.motor_state[i].dq = float(plant.q[i]), float(plant.dq[i])
        state.wireless_remote = remote_bytes({b for b, at in presses if at <= now < at + PRESS_S})
        state.crc = lowstate_crc(state)
        if stall_at is None or now < stall_at:
            state_writer.write(state)
        tick += 2  # ms, as the robot counts
        time.sleep(max(0.0, period - (time.monotonic() - started - now)))
    atomic_write_json(record_path, record)
    return record


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", required=True, help="JSON file written on exit")
    parser.add_argument("--press", action="append", default=[], metavar="BUTTON@SECONDS",
                        help=f"hold a remote button for {PRESS_S} s at a time after start ({', '.join(REMOTE_BITS)})")
    parser.add_argument("--duration-s", type=float, default=None)
    parser.add_argument("--domain", type=int, default=0)
    parser.add_argument("--stall-at", type=float, default=None, metavar="SECONDS",
                        help="stop publishing LowState then (commands are still read and recorded)")
    parser.add_argument("--start-q", type=float, nargs="*", default=None,
                        help=f"the {BODY_MOTORS} motors' positions at start (default: 0)")
    args = parser.parse_args(argv)
    try:
        presses = parse_presses(args.press)
    except RobotAcError as exc:
        parser.error(str(exc))
    start = np.zeros(BODY_MOTORS) if not args.start_q else np.array(args.start_q)
    if start.shape != (BODY_MOTORS,):
        parser.error(f"--start-q takes {BODY_MOTORS} values, got {len(start)}")
    run(args.record, presses, args.duration_s, args.domain, start, args.stall_at)


if __name__ == "__main__":
    main()
