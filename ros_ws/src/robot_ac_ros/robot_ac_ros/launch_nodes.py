"""The nodes a deployment runs, as plain data: `deploy.launch.py` turns them into launch actions and
`robot-ac deploy` starts them directly (there is no ``launch`` package on PyPI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robot_ac.deploy import check_compatibility, load_hardware_config
from robot_ac.deploy.fastdds import write_fastdds_profile
from robot_ac.deploy.security import discovery_environment, security_environment
from robot_ac.errors import RobotAcError
from robot_ac.contract.manifest import load_manifest


@dataclass(frozen=True)
class NodeDescription:
    package: str
    executable: str
    name: str
    parameters: dict[str, Any] = field(default_factory=dict)
    lifecycle: bool = False
    """Lifecycle nodes are configured, then activated, by whoever starts them."""
    ros_arguments: list[str] = field(default_factory=list)
    """``--ros-args`` the node starts with (its ``--enclave`` under DDS security)."""
    environment: dict[str, str] = field(default_factory=dict)
    """Variables rcl reads, set for the node's process (discovery range, static peers, security strategy, the Fast
    DDS profile)."""


def deploy_nodes(hardware_config: str | Path, policy: str | Path, autostart: bool = False,
                 trigger: str = "timer") -> list[NodeDescription]:
    """Check the pair before anything starts (the node checks again at configure) and describe the node list."""
    config = load_hardware_config(hardware_config)
    manifest = load_manifest(Path(policy) / "manifest.json")
    problems = check_compatibility(manifest, config)
    if problems:
        raise RobotAcError(f"policy '{policy}' does not fit hardware config '{hardware_config}': "
                           + "; ".join(problems))
    if autostart and not config.simulated:
        raise RobotAcError(f"autostart: hardware config '{hardware_config}' drives a real robot (simulated: false); "
                           "it starts only on the operator's start (ros2 service call /policy_node/start "
                           "std_srvs/srv/Trigger)")
    secured = config.security.dds == "required"
    return [NodeDescription(
        package="robot_ac_ros", executable="policy_node", name="policy_node", lifecycle=True,
        parameters={"hardware_config": str(Path(hardware_config).resolve()), "policy": str(Path(policy).resolve()),
                    "autostart": autostart, "trigger": trigger},
        ros_arguments=["--enclave", config.security.enclave] if secured else [],
        environment=discovery_environment(config.security) | security_environment(config.security)
        | write_fastdds_profile(config.dds),
    )]
