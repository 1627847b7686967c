"""robot-ac: train in Isaac Lab, export to ONNX, deploy on ROS 2, replay robot logs.

The core package needs torch and numpy only; the simulator lives in the separate ``sim`` package.
"""

__version__ = "0.1.0"
