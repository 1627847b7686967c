"""ROS 2 side of robot-ac: a lifecycle node over :mod:`robot_ac.deploy` (no torch, no simulator)."""
