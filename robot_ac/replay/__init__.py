"""Replay real-robot logs (rosbag2: MCAP or sqlite3, read with ``rosbags``, no ROS install needed)."""

from robot_ac.replay.bag import POSE_COLUMNS, RobotLog, read_robot_log
from robot_ac.replay.cartesian_twin import CartesianResimResult, resimulate_cartesian
from robot_ac.replay.open_loop import OpenLoopResult, replay_cartesian_open_loop, replay_open_loop
from robot_ac.replay.replay_mcap import write_replay_mcap
from robot_ac.replay.tracking_fit import TrackingFit, fit_tracking

__all__ = ["POSE_COLUMNS", "CartesianResimResult", "OpenLoopResult", "RobotLog", "TrackingFit", "fit_tracking",
           "read_robot_log", "replay_cartesian_open_loop", "replay_open_loop", "resimulate_cartesian",
           "write_replay_mcap"]
