"""``replay.mcap``: a replay as standard ROS 2 messages, for Foxglove (or `ros2 bag play`) next to the report.

Topics, all stamped with the tick time:

* ``/replay/recorded/command`` and ``/replay/replayed/command``: what the robot's node sent and what the replay
  gives, as ``geometry_msgs/PoseStamped`` (pose targets, the config's base frame) or ``sensor_msgs/JointState``
  (joint commands in ``position``, named);
* ``/replay/error``: ``std_msgs/Float64MultiArray`` of :meth:`OpenLoopResult.tick_errors` per tick (the layout's
  dimension label names the values);
* ``/replay/recorded/state``: the robot's supervisor timeline from /diagnostics (``std_msgs/String``,
  ``state: reason``); ``/replay/replayed/state``: the replayed supervisor's state at each change (Cartesian);
* with a Cartesian re-simulation, ``/replay/measured/pose`` and ``/replay/twin/pose`` (PoseStamped).

Written with rosbags as a one-file rosbag2 MCAP (schemas ``ros2msg``, messages CDR), atomically.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from robot_ac._atomic import atomic_write
from robot_ac.replay.bag import RobotLog
from robot_ac.replay.bag_writer import BagWriter
from robot_ac.replay.cartesian_twin import CartesianResimResult
from robot_ac.replay.open_loop import OpenLoopResult

RECORDED, REPLAYED = "/replay/recorded/command", "/replay/replayed/command"
ERROR = "/replay/error"
RECORDED_STATE, REPLAYED_STATE = "/replay/recorded/state", "/replay/replayed/state"
MEASURED_POSE, TWIN_POSE = "/replay/measured/pose", "/replay/twin/pose"


def _commands(bag: BagWriter, result: OpenLoopResult, frame_id: str) -> None:
    errors = result.tick_errors()
    label = ",".join(errors)
    for k, t in enumerate(result.t):
        for topic, values in ((RECORDED, result.recorded[k]), (REPLAYED, result.replayed[k])):
            if result.pose_targets:
                bag.pose(topic, t, values, frame_id)
            else:
                bag.joint_state(topic, t, result.columns, values)
        bag.array(ERROR, t, [float(e[k]) for e in errors.values()], label)


def _states(bag: BagWriter, log: RobotLog, result: OpenLoopResult) -> None:
    for t, state, reason in log.states:
        bag.text(RECORDED_STATE, t, f"{state}: {reason}")
    previous = None
    for t, state in zip(result.t, result.replayed_states):
        if state != previous:
            bag.text(REPLAYED_STATE, t, state)
            previous = state


def write_replay_mcap(path: Path, log: RobotLog, result: OpenLoopResult, frame_id: str = "",
                      resim: CartesianResimResult | None = None) -> Path:
    """Write the replay (and a Cartesian re-simulation) to the MCAP file ``path``; ``frame_id``: of the poses."""

    def write(tmp: Path) -> None:
        with tempfile.TemporaryDirectory(prefix=".replay-bag-", dir=path.parent) as folder:
            bag_dir = Path(folder) / "replay"
            with BagWriter(bag_dir, "mcap") as bag:
                _commands(bag, result, frame_id)
                _states(bag, log, result)
                if resim is not None:
                    for t, real, twin in zip(resim.t, resim.real, resim.simulated):
                        bag.pose(MEASURED_POSE, t, real, frame_id)
                        bag.pose(TWIN_POSE, t, twin, frame_id)
            os.replace(bag_dir / "replay.mcap", tmp)

    return atomic_write(path, write)
