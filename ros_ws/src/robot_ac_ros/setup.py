"""ament_python package: `colcon build` installs it into a ROS 2 workspace; `ros2 run robot_ac_ros policy_node`."""

from glob import glob

from setuptools import setup

PACKAGE = "robot_ac_ros"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=[PACKAGE],
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("../../../launch/*.launch.py")),
        (f"share/{PACKAGE}/hardware_configs", glob("../../../hardware_configs/*.yaml")),
    ],
    # robot-ac itself (robot_ac.deploy: numpy, onnxruntime, pydantic, pyyaml) comes from pip: `pip install robot-ac`.
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="robot-ac maintainers",
    description="ROS 2 lifecycle node running robot-ac policies on real robots.",
    license="Apache-2.0",
    entry_points={"console_scripts": [f"policy_node = {PACKAGE}.policy_node:main"]},
)
