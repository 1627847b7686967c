"""ROS 2 side of robot-ac: a lifecycle node over :mod:`robot_ac.deploy` and :mod:`robot_ac.contract` (no torch, no
simulator); its latency benchmark is ``benchmarks/deploy.py``."""
