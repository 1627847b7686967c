"""Replay real-robot logs (rosbag2: MCAP or sqlite3, read with ``rosbags``, no ROS install needed)."""

from robot_ac.replay.bag import RobotLog, read_robot_log
from robot_ac.replay.open_loop import OpenLoopResult, replay_open_loop

__all__ = ["OpenLoopResult", "RobotLog", "read_robot_log", "replay_open_loop"]
