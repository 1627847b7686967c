"""Fail-closed deployment: ``security.dds: required`` refuses to run without SROS2 in force (naming what is missing),
a real robot's config never starts on its own, and the config's discovery settings reach the node's process."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rclpy.lifecycle import TransitionCallbackReturn

from robot_ac.contract.hardware_config import SecurityConfig, load_hardware_config
from robot_ac.deploy.security import ENCLAVE_FILES, discovery_environment, security_problems
from robot_ac.errors import RobotAcError
from robot_ac_ros.launch_nodes import deploy_nodes
from robot_ac_ros.run import make_policy_nodes
from sim.tasks import FRANKA_REACH_JOINT_TASK
from tests.deploy_helpers import write_linear_export

CONFIGS = Path(__file__).resolve().parents[1] / "hardware_configs"
REQUIRED = SecurityConfig(dds="required")


def _enclave(keystore: Path, missing: tuple[str, ...] = ()) -> Path:
    directory = keystore / "enclaves" / "robot_ac" / "policy_node"
    directory.mkdir(parents=True)
    for name in ENCLAVE_FILES:
        if name not in missing:
            (directory / name).write_text("x")
    return keystore


def test_required_security_names_everything_that_is_not_in_force(tmp_path) -> None:
    complete = _enclave(tmp_path / "complete")
    enforced = {"ROS_SECURITY_ENABLE": "true", "ROS_SECURITY_STRATEGY": "Enforce",
                "ROS_SECURITY_KEYSTORE": str(complete)}
    assert security_problems(REQUIRED, enforced) == []
    assert security_problems(SecurityConfig(), {}) == [], "security off asks nothing"
    (permissive,) = security_problems(REQUIRED, enforced | {"ROS_SECURITY_STRATEGY": "Permissive"})
    assert "ROS_SECURITY_STRATEGY is 'Permissive', expected 'Enforce'" in permissive
    (disabled,) = security_problems(REQUIRED, enforced | {"ROS_SECURITY_ENABLE": "false"})
    assert "ROS_SECURITY_ENABLE is 'false'" in disabled
    without = {k: v for k, v in enforced.items() if k != "ROS_SECURITY_KEYSTORE"}
    assert security_problems(REQUIRED, without) == [
        "ROS_SECURITY_KEYSTORE is not set (make a keystore with robot-ac keystore create)"]
    partial = _enclave(tmp_path / "partial", missing=("permissions.p7s",))
    (lacking,) = security_problems(REQUIRED, enforced | {"ROS_SECURITY_KEYSTORE": str(partial)})
    assert lacking.endswith("lacks permissions.p7s")
    (elsewhere,) = security_problems(REQUIRED, enforced | {"ROS_SECURITY_ENCLAVE_OVERRIDE": "/other"})
    assert "no enclave at" in elsewhere and elsewhere.endswith("enclaves/other")
    assert len(security_problems(REQUIRED, {})) == 3


def test_the_config_discovery_settings_become_rcl_variables() -> None:
    assert discovery_environment(SecurityConfig()) == {}
    settings = SecurityConfig(discovery_range="localhost", static_peers=["192.168.123.161", "robot-pc"])
    assert discovery_environment(settings) == {"ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
                                               "ROS_STATIC_PEERS": "192.168.123.161;robot-pc"}
    with pytest.raises(ValueError, match="enclave"):
        SecurityConfig(enclave="robot_ac/no leading slash")


@pytest.fixture
def franka(tmp_path):
    write_linear_export(tmp_path / "export", FRANKA_REACH_JOINT_TASK.interface)

    def config(**changes) -> Path:
        data = yaml.safe_load((CONFIGS / "franka_panda.yaml").read_text()) | changes
        path = tmp_path / f"franka_{len(list(tmp_path.glob('franka_*.yaml')))}.yaml"
        path.write_text(yaml.safe_dump(data))
        return path

    return config, tmp_path / "export"


def test_the_launch_description_carries_the_enclave_and_discovery(franka) -> None:
    config, export = franka
    path = config(security={"dds": "required", "discovery_range": "subnet", "static_peers": ["10.0.0.2"]})
    (node,) = deploy_nodes(path, export)
    assert node.ros_arguments == ["--enclave", "/robot_ac/policy_node"]
    assert node.environment == {"ROS_AUTOMATIC_DISCOVERY_RANGE": "SUBNET", "ROS_STATIC_PEERS": "10.0.0.2",
                                "ROS_SECURITY_ENABLE": "true", "ROS_SECURITY_STRATEGY": "Enforce"}
    with pytest.raises(RobotAcError, match="autostart.*real robot.*operator's start"):
        deploy_nodes(config(), export, autostart=True)
    assert load_hardware_config(CONFIGS / "cartpole_sim.yaml").simulated
    real = ("franka_panda.yaml", "franka_gelsight.yaml", "franka_cartesian.yaml", "unitree_g1_ros2_control.yaml")
    assert not any(load_hardware_config(CONFIGS / name).simulated for name in real)


@pytest.mark.parametrize("environment, named", [
    ({"ROS_SECURITY_ENABLE": "true", "ROS_SECURITY_STRATEGY": "Permissive"}, "expected 'Enforce'"),
    ({"ROS_SECURITY_ENABLE": "true", "ROS_SECURITY_STRATEGY": "Enforce"}, "ROS_SECURITY_KEYSTORE is not set"),
    ({"ROS_SECURITY_ENABLE": "true", "ROS_SECURITY_STRATEGY": "Enforce", "keystore": ("key.pem",)}, "lacks key.pem"),
])
def test_the_node_refuses_to_configure_unsecured(ros_context, franka, tmp_path, monkeypatch, caplog, environment,
                                                named) -> None:
    """The real node: security required in the config, and the environment (set after the node exists, so rcl
    itself, which has no security plugins on PyPI's Fast DDS, never sees it) short of SROS2 in force."""
    config, export = franka
    (node,) = make_policy_nodes(config(security={"dds": "required"}), export, context=ros_context)
    messages = []
    node.get_logger().error = messages.append  # rclpy's logger writes to stderr only
    missing = environment.pop("keystore", None)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    if missing is not None:
        monkeypatch.setenv("ROS_SECURITY_KEYSTORE", str(_enclave(tmp_path / "keystore", missing=missing)))
    try:
        assert node.trigger_configure() == TransitionCallbackReturn.FAILURE
        assert any("requires DDS security" in m and named in m for m in messages), messages
    finally:
        node.destroy_node()


def test_the_node_refuses_autostart_on_a_real_robot(ros_context, franka) -> None:
    from rclpy.parameter import Parameter

    config, export = franka
    (node,) = make_policy_nodes(config(), export, context=ros_context)
    messages = []
    node.get_logger().error = messages.append
    node.set_parameters([Parameter("autostart", value=True)])
    try:
        assert node.trigger_configure() == TransitionCallbackReturn.FAILURE
        assert any("autostart" in m and "real robot" in m for m in messages), messages
        node.set_parameters([Parameter("autostart", value=False)])
        assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
    finally:
        node.destroy_node()
