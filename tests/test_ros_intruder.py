"""The policy node in its SROS2 enclave beside the operator's, and an unsecured intruder in the same domain: the
node hears the operator's goal and start, never the intruder's. Runs where the rmw has DDS security; skipped, with
the rmw's own words, where it has not (PyPI's Fast DDS is built without its security plugins)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from robot_ac.contract.hardware_config import load_hardware_config
from robot_ac.deploy import State
from robot_ac.deploy.keystore import create_keystore
from robot_ac.deploy.permissions import OPERATOR_ENCLAVE, POLICY_NODE_ENCLAVE
from sim.tasks import FRANKA_REACH_JOINT_TASK
from tests.deploy_helpers import ToyRobot, operator_start, spin_until, write_linear_export
from tests.ros_intruder import INTRUDER_GOAL

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import rclpy
rclpy.init(args=["--ros-args", "--enclave", "{enclave}"])
node = rclpy.create_node("security_probe")
print("secured node created")
"""


@pytest.fixture
def secured(tmp_path, monkeypatch):
    """A keystore for a fast Franka config with security required, and this process's environment enforcing it;
    skips where the rmw cannot create a secured node."""
    data = yaml.safe_load((ROOT / "hardware_configs" / "franka_panda.yaml").read_text())
    data["safety"]["ramp_duration_s"] = 0.3
    data["safety"]["joint_state_timeout_s"] = 0.2
    data["security"] = {"dds": "required"}
    config_path = tmp_path / "franka.yaml"
    config_path.write_text(yaml.safe_dump(data))
    domain = random.SystemRandom().randint(101, 200)
    store = create_keystore(tmp_path / "keystore", load_hardware_config(config_path), domain_id=domain)
    environment = {"ROS_SECURITY_ENABLE": "true", "ROS_SECURITY_STRATEGY": "Enforce",
                   "ROS_SECURITY_KEYSTORE": str(store.root), "ROS_DOMAIN_ID": str(domain)}
    probe = subprocess.run([sys.executable, "-c", PROBE.format(enclave=POLICY_NODE_ENCLAVE)], capture_output=True,
                           text=True, timeout=60, env=dict(os.environ, **environment))
    if "secured node created" not in probe.stdout:
        reason = next((line for line in reversed(probe.stderr.splitlines()) if "error" in line.lower()),
                      probe.stderr.strip()[-300:])
        pytest.skip(f"this rmw ({os.environ.get('RMW_IMPLEMENTATION', 'rmw_fastrtps_cpp')}) cannot create a "
                    f"secured node: {reason}")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    write_linear_export(tmp_path / "export", FRANKA_REACH_JOINT_TASK.interface, gain=0.05)
    return config_path, tmp_path / "export", domain


def test_the_secured_node_obeys_the_operator_and_not_the_intruder(secured, tmp_path) -> None:
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import JointState
    from std_msgs.msg import Float64MultiArray

    from robot_ac_ros.run import bring_up, make_policy_nodes

    config_path, export, domain = secured
    config = load_hardware_config(config_path)
    contexts = {}
    for enclave in (POLICY_NODE_ENCLAVE, OPERATOR_ENCLAVE):
        contexts[enclave] = rclpy.Context()
        rclpy.init(context=contexts[enclave], args=["--ros-args", "--enclave", enclave])
    intruder = subprocess.Popen([sys.executable, "-m", "tests.ros_intruder", config.topics.goal, "8"], cwd=ROOT,
                                env={k: v for k, v in os.environ.items() if not k.startswith("ROS_SECURITY")},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    executor = SingleThreadedExecutor(context=contexts[POLICY_NODE_ENCLAVE])
    operator_executor = SingleThreadedExecutor(context=contexts[OPERATOR_ENCLAVE])
    try:
        (node,) = make_policy_nodes(config_path, export, context=contexts[POLICY_NODE_ENCLAVE])
        executor.add_node(node)
        operator = rclpy.create_node("operator", context=contexts[OPERATOR_ENCLAVE])
        operator_executor.add_node(operator)
        robot = rclpy.create_node("robot", context=contexts[POLICY_NODE_ENCLAVE])
        executor.add_node(robot)
        bring_up([node])
        start = {j.name: j.default_position for j in FRANKA_REACH_JOINT_TASK.interface.joints}
        start.update({"panda_finger_joint1": 0.04, "panda_finger_joint2": 0.04})
        toy = ToyRobot(config, start)
        states = robot.create_publisher(JointState, config.topics.joint_states, 10)
        goal = operator.create_publisher(Float64MultiArray, config.topics.goal, 1)
        operator_goal = [0.5, 0.0, 0.3, 1.0, 0.0, 0.0, 0.0]
        heard = []
        running = threading.Event()
        running.set()

        def robot_and_node() -> None:
            while running.is_set():
                names, position, velocity = toy.joint_state()
                states.publish(JointState(name=names, position=position, velocity=velocity))
                executor.spin_once(timeout_sec=0.01)
                if node.supervisor.observations.goal is not None:
                    heard.append(node.supervisor.observations.goal.tolist())

        spinner = threading.Thread(target=robot_and_node, daemon=True)
        spinner.start()
        spin_until(operator_executor, lambda: goal.publish(Float64MultiArray(data=operator_goal)) or False, 6.0)
        assert operator_goal in heard and INTRUDER_GOAL not in heard
        assert node.supervisor.state == State.PASSIVE, "the intruder's start did not reach the node"
        assert operator_start(operator_executor, operator)
        out, _ = intruder.communicate(timeout=30)
        assert json.loads(out.strip().splitlines()[-1])["answered"] == {"start": False, "estop": False}
        assert INTRUDER_GOAL not in heard
        running.clear()
        spinner.join(timeout=5)
    finally:
        intruder.kill()
        for context in contexts.values():
            rclpy.try_shutdown(context=context)
