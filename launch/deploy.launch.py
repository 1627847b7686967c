"""ros2 launch robot_ac_ros deploy.launch.py hardware_config:=<yaml> policy:=<export dir> [autostart:=false]
[trigger:=timer|joint_state]

Starts the policy node(s) from :func:`robot_ac_ros.launch_nodes.deploy_nodes` (with the config's enclave and
discovery settings), configures them and, once configured, activates them. The robot then waits for the operator's
``~/start``; autostart (ramp on activation) is for simulated robots only.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, EmitEvent, OpaqueFunction, RegisterEventHandler
from launch.events import matches_action
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import LifecycleNode
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from lifecycle_msgs.msg import Transition

from robot_ac_ros.launch_nodes import deploy_nodes


def _actions(context):
    descriptions = deploy_nodes(
        LaunchConfiguration("hardware_config").perform(context),
        LaunchConfiguration("policy").perform(context),
        autostart=LaunchConfiguration("autostart").perform(context).lower() == "true",
        trigger=LaunchConfiguration("trigger").perform(context),
    )
    actions = []
    for description in descriptions:
        node = LifecycleNode(package=description.package, executable=description.executable,
                             name=description.name, namespace="", parameters=[description.parameters],
                             ros_arguments=description.ros_arguments, additional_env=description.environment,
                             output="screen")
        actions += [
            node,
            RegisterEventHandler(OnStateTransition(
                target_lifecycle_node=node, goal_state="inactive",
                entities=[EmitEvent(event=ChangeState(lifecycle_node_matcher=matches_action(node),
                                                      transition_id=Transition.TRANSITION_ACTIVATE))])),
            EmitEvent(event=ChangeState(lifecycle_node_matcher=matches_action(node),
                                        transition_id=Transition.TRANSITION_CONFIGURE)),
        ]
    return actions


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription([
        DeclareLaunchArgument("hardware_config", description="hardware config YAML (hardware_configs/*.yaml)"),
        DeclareLaunchArgument("policy", description="export directory with manifest.json and policy.onnx"),
        DeclareLaunchArgument("autostart", default_value="false",
                              description="simulated robots only: ramp and start the policy on activation"),
        DeclareLaunchArgument("trigger", default_value="timer",
                              description="'timer' (control-rate timer) or 'joint_state' (step on each state)"),
        OpaqueFunction(function=_actions),
    ])
