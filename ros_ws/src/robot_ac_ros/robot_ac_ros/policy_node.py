"""``policy_node``: a rclpy LifecycleNode that runs an exported robot-ac policy on a robot.

Lifecycle:
    configure   load the hardware config and the policy, refuse (FAILURE, reasons logged) if they disagree, if
                the config requires DDS security that is not in force, or if ``autostart`` is asked of a real robot
    activate    start the control timer at the manifest's control period; the supervisor waits in PASSIVE for the
                operator's ``~/start`` (with ``autostart``, simulated robots only: as soon as fresh joint states
                arrive), ramps to the default pose, then hands over to the policy
    deactivate  HOLD (the last safe command stays)
    cleanup / shutdown   DAMP (one damping command), then release everything

Topics (names from the hardware config): JointState, Imu, tactile Images and goal (when the policy reads them) in;
Float64MultiArray (forward controllers), JointTrajectory or PoseStamped (``cartesian_pose``: with the measured
PoseStamped, the external WrenchStamped and the gripper's JointState in) out; DiagnosticArray. Safety checks run on
every incoming JointState; the policy runs on the timer. Services: ``~/start``, ``~/estop``, ``~/reset``,
``~/hold`` and ``~/tactile_reference`` (take the current tactile frames as the untouched-gel references, before a
grasp) (std_srvs/Trigger).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import numpy as np
import rclpy
from builtin_interfaces.msg import Duration
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.lifecycle import LifecycleNode, State, TransitionCallbackReturn
from geometry_msgs.msg import PoseStamped, WrenchStamped
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import Image, Imu, JointState
from std_msgs.msg import Float64MultiArray
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from robot_ac.deploy import (CartesianSupervisor, Command, PolicyRuntime, Supervisor, check_compatibility,
                             load_hardware_config, make_supervisor)
from robot_ac.deploy import State as SupervisorState
from robot_ac.deploy.security import security_problems
from robot_ac.deploy.unitree import (fill_lowcmd, imu_from_lowstate, joint_state_from_lowstate, policy_gains,
                                    pressed_buttons)
from robot_ac.deploy.supervisor import OPERATOR_HOLD
from robot_ac.errors import RobotAcError
from robot_ac_ros.spin import spin_until_shutdown

DIAGNOSTICS_PERIOD_S = 0.5
_CHANNELS = {"rgb8": (3, [0, 1, 2]), "bgr8": (3, [2, 1, 0]), "rgba8": (4, [0, 1, 2]), "bgra8": (4, [2, 1, 0])}


def _stamp_seconds(header) -> float:
    """A std_msgs/Header's stamp in seconds (0.0: unstamped)."""
    return header.stamp.sec + header.stamp.nanosec * 1e-9


def image_to_rgb(msg: Image) -> np.ndarray:
    """sensor_msgs/Image (rgb8, bgr8, rgba8, bgra8; any row padding) -> [H, W, 3] uint8 RGB, no cv_bridge."""
    if msg.encoding not in _CHANNELS:
        raise ValueError(f"image encoding '{msg.encoding}' is not supported (expected one of {sorted(_CHANNELS)})")
    channels, order = _CHANNELS[msg.encoding]
    if msg.step < msg.width * channels or len(msg.data) < msg.step * msg.height:
        raise ValueError(f"image of {msg.width} x {msg.height} {msg.encoding} has step {msg.step} and "
                         f"{len(msg.data)} bytes")
    rows = np.frombuffer(bytes(msg.data), dtype=np.uint8)[: msg.step * msg.height].reshape(msg.height, msg.step)
    return np.ascontiguousarray(rows[:, : msg.width * channels].reshape(msg.height, msg.width, channels)[..., order])
_FRANKA_ROBOT_MODE_MOVE = 2
_FRANKA_ROBOT_MODES = {0: "other", 1: "idle", 2: "move", 3: "guiding", 4: "reflex", 5: "user stopped",
                       6: "automatic error recovery"}
"""franka_msgs/FrankaRobotState's robot_mode constants."""


def _input_qos(config, topic: str) -> QoSProfile:
    """The subscription QoS of an input topic: best effort (it hears reliable publishers too) unless the config
    asks for reliable."""
    if config.topics.reliability.get(topic, "best_effort") == "reliable":
        return QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
    return qos_profile_sensor_data


_LEVELS = {SupervisorState.PASSIVE: DiagnosticStatus.OK, SupervisorState.RAMP: DiagnosticStatus.OK,
           SupervisorState.POLICY: DiagnosticStatus.OK, SupervisorState.HOLD: DiagnosticStatus.WARN,
           SupervisorState.DAMP: DiagnosticStatus.ERROR, SupervisorState.ESTOP: DiagnosticStatus.ERROR}


class PolicyNode(LifecycleNode):
    """Parameters: ``hardware_config`` (YAML path), ``policy`` (export directory), ``autostart`` (bool),
    ``trigger``: ``timer`` (run the policy on a timer at the control rate) or ``joint_state`` (run it on every
    accepted JointState, or measured pose on a Cartesian robot, for drivers and simulators that publish at the
    control rate: no waiting for a timer phase; a tick waits for the tactile frames stamped like its state; a
    watchdog timer still ticks when states stop)."""

    def __init__(self, node_name: str = "policy_node", *, clock: Callable[[], float] = time.monotonic,
                 **kwargs) -> None:
        super().__init__(node_name, **kwargs)
        self.declare_parameter("hardware_config", "")
        self.declare_parameter("policy", "")
        self.declare_parameter("autostart", False)
        self.declare_parameter("trigger", "timer")
        self.clock = clock
        self.supervisor: Supervisor | None = None
        self._timer = None
        self._last_diagnostics = -float("inf")
        self._resources: list = []
        self._pending_step: tuple[float, float] | None = None
        self._tactile_stamps: dict[str, float] = {}

    # -- lifecycle -----------------------------------------------------------------------------------------------
    def on_configure(self, state: State) -> TransitionCallbackReturn:
        config_path = self.get_parameter("hardware_config").value
        policy_path = self.get_parameter("policy").value
        self._on_state_trigger = self.get_parameter("trigger").value == "joint_state"
        if self.get_parameter("trigger").value not in ("timer", "joint_state"):
            self.get_logger().error(f"parameter trigger = '{self.get_parameter('trigger').value}': expected "
                                    "'timer' or 'joint_state'")
            return TransitionCallbackReturn.FAILURE
        try:
            config = load_hardware_config(config_path)
            runtime = PolicyRuntime(policy_path)
        except RobotAcError as exc:
            self.get_logger().error(f"configure failed: {exc}")
            return TransitionCallbackReturn.FAILURE
        refusals = [f"hardware config '{config_path}' requires DDS security (security.dds: required): {problem}"
                    for problem in security_problems(config.security, os.environ)]
        if self.get_parameter("autostart").value and not config.simulated:
            refusals.append(f"autostart: hardware config '{config_path}' drives a real robot (simulated: false), "
                            "which starts only on the operator's ~/start")
        if refusals:
            for refusal in refusals:
                self.get_logger().error(f"configure refused: {refusal}")
            return TransitionCallbackReturn.FAILURE
        problems = check_compatibility(runtime.manifest, config)
        if problems:
            self.get_logger().error(f"policy '{policy_path}' does not fit hardware config '{config_path}': "
                                    + "; ".join(problems))
            return TransitionCallbackReturn.FAILURE
        robot_state_type = None
        if config.topics.robot_state:
            try:
                from franka_msgs.msg import FrankaRobotState as robot_state_type
            except ImportError:
                self.get_logger().error(f"configure failed: topics.robot_state '{config.topics.robot_state}' needs "
                                        "franka_msgs/FrankaRobotState, which is not installed (build franka_msgs in "
                                        "the ROS workspace, or remove topics.robot_state)")
                return TransitionCallbackReturn.FAILURE
        message = {"joint_trajectory": JointTrajectory, "cartesian_pose": PoseStamped}
        if config.command_interface == "unitree_lowcmd":
            try:
                from unitree_hg.msg import LowCmd, LowState
            except ImportError:
                self.get_logger().error("configure failed: command_interface unitree_lowcmd needs the unitree_hg "
                                        "messages (scripts/setup.sh builds them into the venv)")
                return TransitionCallbackReturn.FAILURE
            message["unitree_lowcmd"] = LowCmd
        self.config = config
        self.supervisor = make_supervisor(runtime.manifest, config, runtime, on_reset_policy=runtime.reset)
        topics = config.topics
        reliable = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
        self._command_pub = self.create_lifecycle_publisher(
            message.get(config.command_interface, Float64MultiArray), topics.command, reliable)
        self._diagnostics_pub = self.create_lifecycle_publisher(DiagnosticArray, topics.diagnostics,
                                                                QoSProfile(depth=10))
        self._mode_machine, self._low_tick, self._buttons = None, None, set()
        # LowCmd in POLICY: the policy's own PD gains (the manifest's), under the config's as ceiling.
        self._policy_gains = policy_gains(runtime.manifest, config) \
            if config.command_interface == "unitree_lowcmd" else None
        self._lowcmd = None  # one LowCmd, refilled every tick (a new one costs more than filling it)
        if config.command_interface == "unitree_lowcmd":
            subscriptions = [self.create_subscription(LowState, topics.low_state, self._on_low_state,
                                                      qos_profile_sensor_data)]
        else:
            subscriptions = [self.create_subscription(JointState, topics.joint_states, self._on_joint_state,
                                                      qos_profile_sensor_data)]
        if topics.imu and config.command_interface != "unitree_lowcmd":
            subscriptions.append(self.create_subscription(Imu, topics.imu, self._on_imu, qos_profile_sensor_data))
        for sensor in self.supervisor.observations.tactile_sensors:
            subscriptions.append(self.create_subscription(
                Image, topics.tactile[sensor], lambda msg, key=sensor: self._on_tactile(key, msg),
                qos_profile_sensor_data))
        if topics.goal:
            subscriptions.append(self.create_subscription(Float64MultiArray, topics.goal, self._on_goal,
                                                          QoSProfile(depth=1)))
        if isinstance(self.supervisor, CartesianSupervisor):
            for kind, topic, callback in ((PoseStamped, "ee_pose", self._on_ee_pose),
                                          (WrenchStamped, "wrench", self._on_wrench),
                                          (JointState, "gripper", self._on_gripper)):
                if getattr(topics, topic):
                    subscriptions.append(self.create_subscription(kind, getattr(topics, topic), callback,
                                                                  _input_qos(config, topic)))
            if topics.robot_state:
                subscriptions.append(self.create_subscription(robot_state_type, topics.robot_state,
                                                              self._on_robot_state, QoSProfile(depth=1)))
        services = [self.create_service(Trigger, f"~/{name}", handler) for name, handler in
                    (("start", self._srv_start), ("estop", self._srv_estop), ("reset", self._srv_reset),
                     ("hold", self._srv_hold), ("proceed", self._srv_proceed),
                     ("tactile_reference", self._srv_tactile_reference))]
        self._resources = subscriptions + services
        self.get_logger().info(f"configured: {config.robot} at {config.control_rate_hz:g} Hz, policy "
                               f"{runtime.manifest.interface.task} (warm-up {runtime.warmup_s * 1e3:.1f} ms)")
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: State) -> TransitionCallbackReturn:
        self._last_tick = -float("inf")
        self._timer = self.create_timer(self.config.control_period_s,
                                        self._watchdog if self._on_state_trigger else self._tick)
        self.get_logger().info("activated: control loop running")
        return super().on_activate(state)

    def on_deactivate(self, state: State) -> TransitionCallbackReturn:
        self.supervisor.hold(self.clock(), "node deactivated")
        self._publish(self.supervisor.tick(self.clock()))
        self._stop_timer()
        return super().on_deactivate(state)

    def on_cleanup(self, state: State) -> TransitionCallbackReturn:
        self._damp_and_release("node cleaned up")
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: State) -> TransitionCallbackReturn:
        if self.supervisor is not None:
            self._damp_and_release("node shut down")
        return TransitionCallbackReturn.SUCCESS

    def _damp_and_release(self, reason: str) -> None:
        self.supervisor.damp(self.clock(), reason)
        self._publish(self.supervisor.tick(self.clock()))
        self._stop_timer()
        for resource in self._resources:
            (self.destroy_service if hasattr(resource, "srv_type") else self.destroy_subscription)(resource)
        self._resources = []
        self.destroy_lifecycle_publisher(self._command_pub)
        self.destroy_lifecycle_publisher(self._diagnostics_pub)
        self.supervisor = None

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self.destroy_timer(self._timer)
            self._timer = None

    # -- data path -----------------------------------------------------------------------------------------------
    def _on_joint_state(self, msg: JointState) -> None:
        if self.supervisor is None:
            return
        now = self.clock()
        stamp = _stamp_seconds(msg.header)
        accepted = self.supervisor.on_joint_state(stamp if stamp > 0 else now, msg.name, msg.position,
                                                  msg.velocity, now)
        if accepted and self._on_state_trigger and not isinstance(self.supervisor, CartesianSupervisor):
            self._step(stamp, now)

    def _on_low_state(self, msg) -> None:
        """unitree_hg/LowState: the motors as joint states, the IMU, the remote. A tick that does not advance is
        not a new state: the stale-input watchdog damps the robot when LowState stalls. A state change here (the
        remote's buttons, a fault) goes on /diagnostics at once, before the next command: a log's replay starts the
        policy's history where POLICY began."""
        if self.supervisor is None:
            return
        now = self.clock()
        self._mode_machine = int(msg.mode_machine)
        if msg.tick == self._low_tick:
            return
        self._low_tick = msg.tick
        before = self.supervisor.state
        names, position, velocity = joint_state_from_lowstate(msg, self.config)
        self.supervisor.on_joint_state(msg.tick * 1e-3, names, position, velocity, now)
        if self.supervisor.observations.uses_imu:
            self.supervisor.on_imu(*imu_from_lowstate(msg), now)
        if self.config.unitree.remote:
            self._on_remote(pressed_buttons(msg.wireless_remote), now)
        if self.supervisor.state != before:
            self._last_diagnostics = now
            self._publish_diagnostics()
        if self._on_state_trigger and self._timer is not None:  # trigger joint_state: a LowCmd for each new state
            self._tick()

    def _on_remote(self, pressed: set[str], now: float) -> None:
        """Unitree's remote, the operator's hand on the robot: select is the e-stop, start ramps, A lets the policy
        go (each on the press, not while held)."""
        new, self._buttons = pressed - self._buttons, pressed
        if "select" in new:
            self.supervisor.estop(now, "remote: select")
        elif "start" in new:
            others = self.unexpected_publishers()
            if others:
                self.get_logger().error("remote start refused: " + "; ".join(others))
            else:
                self.supervisor.start(now)
        elif "A" in new:
            self.supervisor.proceed(now)

    def _on_imu(self, msg: Imu) -> None:
        if self.supervisor is not None:
            q, w, a = msg.orientation, msg.angular_velocity, msg.linear_acceleration
            self.supervisor.on_imu((q.x, q.y, q.z, q.w), (w.x, w.y, w.z), (a.x, a.y, a.z), self.clock())

    def _on_tactile(self, sensor: str, msg: Image) -> None:
        if self.supervisor is None:
            return
        try:
            image = image_to_rgb(msg)
        except ValueError as exc:
            self.get_logger().error(f"tactile '{sensor}': {exc}")
            return
        now = self.clock()
        if self.supervisor.on_tactile(sensor, image, now):
            self._tactile_stamps[sensor] = _stamp_seconds(msg.header)
            self._tick_if_step_complete(now)

    def _on_ee_pose(self, msg: PoseStamped) -> None:
        if self.supervisor is not None:
            now = self.clock()
            stamp = _stamp_seconds(msg.header)
            p, q = msg.pose.position, msg.pose.orientation
            accepted = self.supervisor.on_ee_pose(stamp if stamp > 0 else now, (p.x, p.y, p.z), (q.x, q.y, q.z, q.w),
                                                  now)
            if accepted and self._on_state_trigger:
                self._step(stamp, now)

    def _on_wrench(self, msg: WrenchStamped) -> None:
        if self.supervisor is not None:
            f, t = msg.wrench.force, msg.wrench.torque
            self.supervisor.on_wrench((f.x, f.y, f.z), (t.x, t.y, t.z), self.clock())

    def _on_robot_state(self, msg) -> None:
        if self.supervisor is not None:
            # franka_msgs/FrankaRobotState: ROBOT_MODE_MOVE = 2; the others are idle, guiding, reflex, user stopped...
            self.supervisor.on_robot_mode(msg.robot_mode == _FRANKA_ROBOT_MODE_MOVE,
                                          _FRANKA_ROBOT_MODES.get(msg.robot_mode, str(msg.robot_mode)), self.clock())

    def _on_gripper(self, msg: JointState) -> None:
        if self.supervisor is not None:
            self.supervisor.on_gripper_state(msg.name, msg.position)

    def _on_goal(self, msg: Float64MultiArray) -> None:
        if self.supervisor is not None:
            self.supervisor.on_goal(msg.data)

    def _watchdog(self) -> None:
        """In ``joint_state`` mode: a step whose tactile frames did not come goes on after a control period; tick
        anyway when states stop, so the stale-input check still fires."""
        now = self.clock()
        self._tick_if_step_complete(now)
        if now - self._last_tick > self.config.safety.overrun_factor * self.config.control_period_s:
            self._tick()

    def _step(self, stamp: float, now: float) -> None:
        """``joint_state`` trigger: tick on the state that ends a step (its header stamp, 0 when unstamped)."""
        self._pending_step = (stamp, now)
        self._tick_if_step_complete(now)

    def _tick_if_step_complete(self, now: float) -> None:
        """A simulator in lockstep publishes a step's tactile frames before the state that ends it, all with one
        stamp, but DDS keeps no order across topics: a frame can arrive just after that state. The tick waits for
        the step's frames, at most one control period (a sensor slower than the states goes on with its newest
        frame); acting on the previous frame would also make the step unreproducible from a log."""
        if self._pending_step is None or self._timer is None:
            return
        stamp, since = self._pending_step
        behind = stamp > 0 and any(0 < self._tactile_stamps.get(sensor, 0.0) < stamp
                                   for sensor in self.supervisor.observations.tactile_sensors)
        if behind and now - since < self.config.control_period_s:
            return
        self._pending_step = None
        self._tick()

    def _tick(self) -> None:
        now = self.clock()
        self._last_tick = now
        supervisor = self.supervisor
        self._count_foreign_publishers(now)
        if supervisor.state == SupervisorState.PASSIVE and self.get_parameter("autostart").value \
                and not self.unexpected_publishers():
            supervisor.start(now)
        before = supervisor.state
        self._publish(supervisor.tick(now))
        # Every state change is published at once (replay needs the exact timeline), the rest periodically.
        if supervisor.state != before or now - self._last_diagnostics >= DIAGNOSTICS_PERIOD_S:
            self._last_diagnostics = now
            self._publish_diagnostics()

    def _count_foreign_publishers(self, now: float) -> None:
        if isinstance(self.supervisor, CartesianSupervisor):
            # Our own publisher counts too; a controller such as CRISP ignores every target while there are two.
            self.supervisor.on_foreign_publishers(self.count_publishers(self.config.topics.command) - 1, now)

    def _publish(self, command: Command | None) -> None:
        if self.config.command_interface == "unitree_lowcmd":
            # Every tick, in every state: the robot never hears silence from us (PASSIVE: zero torque).
            if self._mode_machine is not None:
                if self._lowcmd is None:
                    self._lowcmd = self._command_pub.msg_type()
                self._command_pub.publish(fill_lowcmd(self._lowcmd, self.supervisor.state, command, self.config,
                                                      self._mode_machine, policy_gains=self._policy_gains))
            return
        if command is None:
            return
        if command.kind == "pose":
            message = PoseStamped()
            message.header.stamp = self.get_clock().now().to_msg()
            message.header.frame_id = self.config.cartesian.base_frame
            position, orientation = message.pose.position, message.pose.orientation
            position.x, position.y, position.z = (float(v) for v in command.values[:3])
            orientation.x, orientation.y, orientation.z, orientation.w = (float(v) for v in command.values[3:])
            self._command_pub.publish(message)
        elif self.config.command_interface == "joint_trajectory":
            period = self.config.control_period_s
            point = JointTrajectoryPoint(positions=command.values.tolist(),
                                         time_from_start=Duration(sec=0, nanosec=int(period * 1e9)))
            self._command_pub.publish(JointTrajectory(joint_names=command.joint_names, points=[point]))
        else:
            self._command_pub.publish(Float64MultiArray(data=command.values.tolist()))

    def _publish_diagnostics(self) -> None:
        status = self.supervisor.status()
        message = DiagnosticArray()
        message.header.stamp = self.get_clock().now().to_msg()
        message.status = [DiagnosticStatus(
            level=_LEVELS[self.supervisor.state], name=f"{self.get_name()}: supervisor",
            message=f"{status['state']}: {status['reason']}", hardware_id=self.config.robot,
            values=[KeyValue(key=str(k), value=str(v)) for k, v in status.items()])]
        self._diagnostics_pub.publish(message)

    # -- services ------------------------------------------------------------------------------------------------
    def _service(self, response: Trigger.Response, ok: bool, what: str) -> Trigger.Response:
        response.success = ok
        response.message = f"{what}; state {self.supervisor.state.value}" if self.supervisor else "not configured"
        if self.supervisor is not None:
            # Operator actions go on /diagnostics at once: a log's timeline (and its replay) needs their moments.
            self._last_diagnostics = self.clock()
            self._publish_diagnostics()
        return response

    def _srv_start(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        if self.supervisor is None:
            return self._service(response, False, "start refused")
        self._count_foreign_publishers(self.clock())
        others = self.unexpected_publishers()
        if others:
            self.get_logger().error("start refused: " + "; ".join(others))
            return self._service(response, False, "start refused: " + "; ".join(others))
        ok = self.supervisor.start(self.clock())
        return self._service(response, ok, "ramp started" if ok else "start refused")

    def unexpected_publishers(self) -> list[str]:
        """Topics the policy trusts that someone else also publishes on: the command (anyone but this node) and
        the goal (more than ``security.goal_publishers``)."""
        topics, allowed = self.config.topics, self.config.security.goal_publishers
        found = []
        others = self.count_publishers(topics.command) - 1
        if others > 0:
            found.append(f"{topics.command} has {others} publisher(s) besides this node")
        if topics.goal and self.count_publishers(topics.goal) > allowed:
            found.append(f"{topics.goal} has {self.count_publishers(topics.goal)} publishers, expected at most "
                         f"{allowed} (security.goal_publishers)")
        return found

    def _srv_estop(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        if self.supervisor is None:
            return self._service(response, False, "e-stop ignored")
        self.supervisor.estop(self.clock(), "e-stop service called")
        self._publish(self.supervisor.tick(self.clock()))
        return self._service(response, True, "e-stop latched")

    def _srv_reset(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        ok = self.supervisor is not None and self.supervisor.reset(self.clock())
        return self._service(response, ok, "reset to passive" if ok else "reset refused")

    def _srv_tactile_reference(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        ok = self.supervisor is not None and self.supervisor.capture_tactile_reference()
        return self._service(response, ok, "tactile references captured" if ok else "no tactile frames to capture")

    def _srv_proceed(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        ok = self.supervisor is not None and self.supervisor.proceed(self.clock())
        return self._service(response, ok, "policy running" if ok else "proceed refused")

    def _srv_hold(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        if self.supervisor is not None:
            self.supervisor.hold(self.clock(), OPERATOR_HOLD)
        return self._service(response, self.supervisor is not None, "hold")


def main(args: list[str] | None = None) -> None:
    """`ros2 run robot_ac_ros policy_node --ros-args -p hardware_config:=... -p policy:=...`"""
    rclpy.init(args=args if args is not None else sys.argv)
    spin_until_shutdown(PolicyNode())


if __name__ == "__main__":
    main()
