"""Who may say what on the robot's ROS graph, from its hardware config: each enclave's DDS topics, in ROS 2's DDS
names (``rt/<topic>``, ``rq/<service>Request``, ``rr/<service>Reply``), as SROS2 permissions grant them.

Enclaves:

* ``/robot_ac/policy_node``: the policy node. Publishes its command and diagnostics, subscribes to its inputs,
  answers its own services (start, e-stop, reset, hold, tactile reference; lifecycle; parameters).
* ``/robot_ac/operator``: the operator's laptop. Calls those services (the lifecycle's too) and publishes goals.
* ``/robot_ac/viewer``: reads every topic of the config; writes nothing a node does not need to exist.
* ``/robot_ac/robot``: the robot's own driver (a ros2_control controller manager, say), where it runs secured:
  subscribes to the command, publishes the robot's state topics.

Every enclave also gets the plumbing any ROS 2 node needs (:data:`NODE_PLUMBING`): without it rcl cannot create
the node. Nothing else is granted; SROS2's default is to deny.
"""

from __future__ import annotations

from dataclasses import dataclass

from robot_ac.contract.hardware_config import HardwareConfig

POLICY_NODE = "/policy_node"
"""The policy node's fully qualified name (its services are ``/policy_node/<name>``)."""
POLICY_NODE_SERVICES = ("start", "estop", "reset", "hold", "proceed", "tactile_reference")
"""The operator's std_srvs/Trigger services on the policy node."""
LIFECYCLE_SERVICES = ("change_state", "get_state", "get_available_states", "get_available_transitions",
                      "get_transition_graph")
PARAMETER_SERVICES = ("describe_parameters", "get_parameter_types", "get_parameters", "list_parameters",
                      "set_parameters", "set_parameters_atomically", "get_type_description")
"""What rclpy starts on every node (``get_type_description``: the type description service of Jazzy and newer)."""
INPUT_TOPICS = ("joint_states", "imu", "goal", "ee_pose", "gripper", "wrench", "robot_state", "low_state")
"""``topics`` fields the policy node subscribes to (with every ``topics.tactile`` camera)."""
ROBOT_STATE_TOPICS = ("joint_states", "imu", "ee_pose", "gripper", "wrench", "robot_state", "low_state")
"""The inputs the robot's own driver publishes (goals come from the operator; cameras have their own drivers)."""

POLICY_NODE_ENCLAVE = "/robot_ac/policy_node"
OPERATOR_ENCLAVE = "/robot_ac/operator"
VIEWER_ENCLAVE = "/robot_ac/viewer"
ROBOT_ENCLAVE = "/robot_ac/robot"


@dataclass(frozen=True)
class NodePlumbing:
    """The DDS topics every ROS 2 node writes and reads to exist on the graph."""

    publish: tuple[str, ...] = ("ros_discovery_info", "rt/rosout", "rt/parameter_events")
    subscribe: tuple[str, ...] = ("ros_discovery_info", "rt/parameter_events")


NODE_PLUMBING = NodePlumbing()


@dataclass(frozen=True)
class EnclavePermissions:
    """What one enclave may publish and subscribe to, as DDS topic names (sorted, without duplicates)."""

    enclave: str
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]


def topic(name: str) -> str:
    """``/a/b`` -> ``rt/a/b``: the DDS name of a ROS topic."""
    return "rt" + _absolute(name)


def service_request(name: str) -> str:
    return f"rq{_absolute(name)}Request"


def service_reply(name: str) -> str:
    return f"rr{_absolute(name)}Reply"


def input_topics(config: HardwareConfig) -> list[str]:
    """The ROS topics the policy node subscribes to under ``config``."""
    topics = config.topics
    return [t for t in (getattr(topics, field) for field in INPUT_TOPICS) if t] + list(topics.tactile.values())


def config_topics(config: HardwareConfig) -> list[str]:
    """Every ROS topic ``config`` names: the node's inputs, its command and its diagnostics."""
    return input_topics(config) + [config.topics.command, config.topics.diagnostics]


def enclave_permissions(config: HardwareConfig) -> list[EnclavePermissions]:
    """The four enclaves' grants for ``config`` (module docstring)."""
    own_services = [f"{POLICY_NODE}/{s}" for s in POLICY_NODE_SERVICES + LIFECYCLE_SERVICES + PARAMETER_SERVICES]
    operator_services = [f"{POLICY_NODE}/{s}" for s in POLICY_NODE_SERVICES + LIFECYCLE_SERVICES]
    node_topics = [f"{POLICY_NODE}/transition_event"]
    robot_state = [t for t in (getattr(config.topics, f) for f in ROBOT_STATE_TOPICS) if t]
    goal = [config.topics.goal] if config.topics.goal else []
    return [
        _grant(POLICY_NODE_ENCLAVE,
               publish=[topic(t) for t in [config.topics.command, config.topics.diagnostics] + node_topics]
               + [service_reply(s) for s in own_services],
               subscribe=[topic(t) for t in input_topics(config)] + [service_request(s) for s in own_services]),
        _grant(OPERATOR_ENCLAVE,
               publish=[topic(t) for t in goal] + [service_request(s) for s in operator_services],
               subscribe=[topic(t) for t in config_topics(config) + node_topics]
               + [service_reply(s) for s in operator_services]),
        _grant(VIEWER_ENCLAVE, publish=[], subscribe=[topic(t) for t in config_topics(config) + node_topics]),
        _grant(ROBOT_ENCLAVE, publish=[topic(t) for t in robot_state], subscribe=[topic(config.topics.command)]),
    ]


def _grant(enclave: str, *, publish: list[str], subscribe: list[str]) -> EnclavePermissions:
    return EnclavePermissions(enclave, tuple(sorted(set(publish) | set(NODE_PLUMBING.publish))),
                              tuple(sorted(set(subscribe) | set(NODE_PLUMBING.subscribe))))


def _absolute(name: str) -> str:
    return name if name.startswith("/") else "/" + name
