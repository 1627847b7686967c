"""Re-simulation of a robot log: the recorded commands, from the recorded state, through the simulated robot.

Two views of the sim-to-real gap:

* rollout: start the simulator in the first recorded POLICY state, apply each recorded command for one control
  period, compare the simulated joint trajectory with the recorded one (per joint RMS, largest difference);
* actuator gain: for every recorded step, put the simulator in the recorded state and step it once with the
  recorded command u and once with no command; the measured velocity afterwards should be
  ``v_real = v_sim(0) + g (v_sim(u) - v_sim(0))``, and the least-squares ``g`` is the real actuator's gain
  relative to the simulated one (1: they agree; put the gap into the sim's domain randomisation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from robot_ac.errors import RobotAcError
from robot_ac.replay.bag import RobotLog
from robot_ac.replay.open_loop import policy_intervals


@dataclass
class ResimResult:
    joint_names: list[str]
    t: np.ndarray
    real: np.ndarray
    """[K, joints] recorded positions after each command."""
    simulated: np.ndarray
    """[K, joints] simulated positions after the same commands from the same start."""
    actuator_gain: float
    gain_samples: int

    def summary(self) -> dict[str, Any]:
        error = self.simulated - self.real
        return {"steps": int(self.t.size), "actuator_gain": self.actuator_gain, "gain_samples": self.gain_samples,
                "per_joint": {name: {"rmse": float(np.sqrt(np.mean(error[:, j] ** 2))),
                                     "max_abs_error": float(np.abs(error[:, j]).max())}
                              for j, name in enumerate(self.joint_names)}}


def _next_state_index(log: RobotLog, t: float) -> int:
    return int(np.searchsorted(log.positions.t, t, side="right"))


def resimulate(log: RobotLog, robot, max_steps: int = 600) -> ResimResult:
    """``robot``: a simulated robot with ``joint_names``, ``set_state``, ``set_command``, ``step``, ``joint_state``."""
    start, end = policy_intervals(log)[0]
    commands = np.nonzero((log.commands.t > start) & (log.commands.t < end))[0][:max_steps]
    if commands.size < 2:
        raise RobotAcError(f"bag '{log.source}': fewer than 2 commands to re-simulate")
    columns = [log.joint_names.index(name) for name in robot.joint_names]
    velocity_column = [log.joint_names.index(name) for name in robot.command_joints]

    def recorded_state(i: int) -> tuple[np.ndarray, np.ndarray]:
        return log.positions.values[i, columns], log.velocities.values[i, columns]

    # Rollout from the state seen before the first command.
    first = _next_state_index(log, log.commands.t[commands[0]]) - 1
    robot.set_state(*recorded_state(first))
    times, real, simulated = [], [], []
    for k in commands:
        after = _next_state_index(log, log.commands.t[k])
        if after >= log.positions.t.size:
            break
        robot.set_command(log.command_joints, log.commands.values[k].tolist())
        robot.step()
        times.append(log.positions.t[after])
        real.append(log.positions.values[after, columns])
        simulated.append(robot.joint_state()[1])
    # One-step gain fit.
    driven, predicted_zero, predicted_u = [], [], []  # velocities of the driven joints after the step
    for k in commands:
        before = _next_state_index(log, log.commands.t[k]) - 1
        after = before + 1
        if before < 0 or after >= log.positions.t.size:
            continue
        after_step = []
        for command in (np.zeros_like(log.commands.values[k]), log.commands.values[k]):
            robot.set_state(*recorded_state(before))
            robot.set_command(log.command_joints, command.tolist())
            robot.step()
            after_step.append(np.asarray(robot.joint_state()[2])[[robot.joint_names.index(n)
                                                                 for n in robot.command_joints]])
        driven.append(log.velocities.values[after, velocity_column])
        predicted_zero.append(after_step[0])
        predicted_u.append(after_step[1])
    x = (np.asarray(predicted_u) - np.asarray(predicted_zero)).ravel()
    y = (np.asarray(driven) - np.asarray(predicted_zero)).ravel()
    gain = float(x @ y / (x @ x)) if x @ x > 0 else float("nan")
    return ResimResult(joint_names=list(robot.joint_names), t=np.asarray(times), real=np.asarray(real),
                       simulated=np.asarray(simulated), actuator_gain=gain, gain_samples=len(driven))
