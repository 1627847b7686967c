"""robot-ac: train in Isaac Lab, export to ONNX, deploy on ROS 2, replay robot logs.

Installed alone (``pip install robot-ac``) it is the robot side: :mod:`robot_ac.contract` (the formats every side
shares), :mod:`robot_ac.deploy` (the runtime), :mod:`robot_ac.replay` and the CLI, with no torch. The ``learn`` extra
adds training and export (:mod:`robot_ac.training`, :mod:`robot_ac.runners`, :mod:`robot_ac.export`, torch and
rsl_rl); the simulator is the separate ``sim`` package (``sim`` extra), the ROS 2 node ``robot_ac_ros``.
"""

__version__ = "0.1.0"
