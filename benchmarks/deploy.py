"""`robot-ac bench deploy`: state-in to command-out round trip of the policy node, against a bare echo.

A simulated robot (this process) publishes its state every control period (500 Hz by default) and waits for the
command it causes; the policy node runs in its own process (`robot-ac deploy --trigger joint_state`). Two paths:

* ``joint``: a 29-joint JointState in, Float64MultiArray position targets out, a 29-joint MLP policy;
* ``cartesian``: a 7-joint JointState and the measured TCP PoseStamped in (the node steps on the pose), a TCP
  PoseStamped target out, composed and limited by the Cartesian supervisor; an MLP on pose, twist, last action.

The same loop then runs against a bare rclpy + onnxruntime echo of the same policy (:mod:`benchmarks.deploy_echo`,
its own process too; for the Cartesian path it composes the target without limits). Reported per node: round-trip
p50/p99/max, send jitter of the robot's loop, and missed ticks (no command back before the next period).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from benchmarks._results import write_result
from robot_ac._plotting import pyplot
from robot_ac.contract.manifest import ActionSpec, JointSpec, ObservationTerm, PolicyInterface
from robot_ac.export.synthetic import write_mlp_export

NUM_JOINTS = 29
HIDDEN = (256, 256, 128)
STATE_TOPIC, COMMAND_TOPIC = "/bench/joint_states", "/bench/commands"
POSE_TOPIC, TARGET_TOPIC = "/bench/current_pose", "/bench/target_pose"
JOINTS = [f"joint_{i:02d}" for i in range(NUM_JOINTS)]
ARM_JOINTS = JOINTS[:7]
START_TCP = (0.5, 0.0, 0.3, 1.0, 0.0, 0.0, 0.0)


def _joint_specs(names: list[str]) -> list[JointSpec]:
    return [JointSpec(name=n, default_position=0.0, position_limits=(-3.0, 3.0), velocity_limit=30.0,
                      effort_limit=100.0, stiffness=50.0, damping=1.0) for n in names]


def _joint_configs(names: list[str]) -> list[dict[str, Any]]:
    return [{"name": n, "position_limits": [-3.0, 3.0], "velocity_limit": 30.0, "effort_limit": 100.0, "kp": 50.0,
             "kd": 1.0} for n in names]


def write_cartesian_setup(folder: Path, rate_hz: float) -> tuple[Path, Path]:
    """A 7-joint arm driven by TCP pose targets at ``rate_hz`` and a matching random MLP policy export."""
    config = {
        "robot": "bench_arm", "simulated": True, "control_rate_hz": rate_hz, "command_interface": "cartesian_pose",
        "joints": _joint_configs(ARM_JOINTS),
        "topics": {"joint_states": STATE_TOPIC, "command": TARGET_TOPIC, "ee_pose": POSE_TOPIC},
        "cartesian": {"base_frame": "base", "ramp_in_s": 0.2, "max_step_m": 0.005, "max_step_rad": 0.02,
                      "max_linear_velocity_m_s": 0.3 * rate_hz / 60, "max_angular_velocity_rad_s": rate_hz / 50,
                      "max_tracking_error_m": 0.01, "max_tracking_error_rad": 0.05,
                      "workspace_min": [0.3, -0.3, 0.1], "workspace_max": [0.7, 0.3, 0.5], "max_tilt_rad": 0.5,
                      "orientation_reference": [1.0, 0.0, 0.0, 0.0]},
        "safety": {"joint_state_timeout_s": 0.05, "overrun_factor": 3.0},
    }
    config_path = folder / "bench_arm.yaml"
    config_path.write_text(yaml.safe_dump(config))
    interface = PolicyInterface(
        task="bench-cartesian", robot="bench_arm", control_period_s=1.0 / rate_hz, joints=_joint_specs(ARM_JOINTS),
        observations=[ObservationTerm(name="tcp_pose", size=7, source="end_effector", quantity="pose"),
                      ObservationTerm(name="tcp_velocity", size=6, source="end_effector", quantity="twist"),
                      ObservationTerm(name="actions", size=6, source="previous_action")],
        action=ActionSpec(type="ee_pose_delta", joint_names=ARM_JOINTS, scale=[0.005] * 3 + [0.02] * 3,
                          offset=[0.0] * 6, clip=1.0, components=["x", "y", "z", "rx", "ry", "rz"], frame="tcp"),
    )
    write_mlp_export(folder / "export", interface, hidden=HIDDEN)
    return config_path, folder / "export"


def write_bench_setup(folder: Path, rate_hz: float) -> tuple[Path, Path]:
    """A 29-joint robot config at ``rate_hz`` and a matching random MLP policy export."""
    config = {
        "robot": "bench_humanoid", "simulated": True, "control_rate_hz": rate_hz,
        "command_interface": "forward_position",
        "joints": _joint_configs(JOINTS),
        "topics": {"joint_states": STATE_TOPIC, "command": COMMAND_TOPIC},
        "safety": {"ramp_duration_s": 0.2, "joint_state_timeout_s": 0.05, "overrun_factor": 3.0},
    }
    config_path = folder / "bench_robot.yaml"
    config_path.write_text(yaml.safe_dump(config))
    interface = PolicyInterface(
        task="bench", robot="bench_humanoid", control_period_s=1.0 / rate_hz,
        joints=_joint_specs(JOINTS),
        observations=[
            ObservationTerm(name="joint_pos", size=NUM_JOINTS, source="joint_state", quantity="position",
                            joint_names=JOINTS, offset=[0.0] * NUM_JOINTS),
            ObservationTerm(name="joint_vel", size=NUM_JOINTS, source="joint_state", quantity="velocity",
                            joint_names=JOINTS),
            ObservationTerm(name="actions", size=NUM_JOINTS, source="previous_action"),
        ],
        action=ActionSpec(type="joint_position", joint_names=JOINTS, scale=[0.25] * NUM_JOINTS,
                          offset=[0.0] * NUM_JOINTS),
    )
    write_mlp_export(folder / "export", interface, hidden=HIDDEN)
    return config_path, folder / "export"


@dataclass
class LoopStats:
    round_trip_s: list[float] = field(default_factory=list)
    send_jitter_s: list[float] = field(default_factory=list)
    missed: int = 0
    ticks: int = 0

    def summary(self) -> dict[str, Any]:
        rtt = np.asarray(self.round_trip_s) * 1e3
        jitter = np.abs(np.asarray(self.send_jitter_s)) * 1e3
        return {"ticks": self.ticks, "missed_ticks": self.missed,
                "round_trip_ms": {"p50": float(np.percentile(rtt, 50)), "p99": float(np.percentile(rtt, 99)),
                                  "max": float(rtt.max()), "mean": float(rtt.mean())} if rtt.size else None,
                "send_jitter_ms": {"p99": float(np.percentile(jitter, 99)), "max": float(jitter.max())}
                if jitter.size else None}


def _robot_messages(node, path: str) -> tuple[list[tuple[Any, Any]], str, type]:
    """The robot's state publishers with their messages, in publishing order, and the command topic and type."""
    from geometry_msgs.msg import PoseStamped
    from rclpy.qos import QoSProfile
    from sensor_msgs.msg import JointState
    from std_msgs.msg import Float64MultiArray

    names = JOINTS if path == "joint" else ARM_JOINTS
    states = [(node.create_publisher(JointState, STATE_TOPIC, QoSProfile(depth=1)),
               JointState(name=names, position=[0.0] * len(names), velocity=[0.0] * len(names)))]
    if path == "joint":
        return states, COMMAND_TOPIC, Float64MultiArray
    pose = PoseStamped()
    pose.header.frame_id = "base"
    pose.pose.position.x, pose.pose.position.y, pose.pose.position.z = START_TCP[:3]
    pose.pose.orientation.x, pose.pose.orientation.y, pose.pose.orientation.z, pose.pose.orientation.w = START_TCP[3:]
    return states + [(node.create_publisher(PoseStamped, POSE_TOPIC, QoSProfile(depth=1)), pose)], TARGET_TOPIC, \
        PoseStamped


def ping_pong(context, period: float, warmup_s: float, duration_s: float, label: str, path: str = "joint"
              ) -> LoopStats:
    """Run the robot side: its state once per period (the last message, which the node steps on, starts the
    clock), wait for the command it causes."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import QoSProfile

    node = rclpy.create_node(f"bench_robot_{label}", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    received: list[float] = []
    states, command_topic, command_type = _robot_messages(node, path)
    node.create_subscription(command_type, command_topic, lambda _: received.append(time.perf_counter()),
                             QoSProfile(depth=1))
    try:
        deadline = time.monotonic() + 30.0
        while states[-1][0].get_subscription_count() == 0 or node.count_publishers(command_topic) == 0:
            executor.spin_once(timeout_sec=0.05)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{label}: the node under test never appeared on {states[-1][0].topic_name}")
        stats = LoopStats()
        total_ticks = int((warmup_s + duration_s) / period)
        warmup_ticks = int(warmup_s / period)
        start = time.perf_counter() + period
        report_every = max(1, int(5.0 / period))
        for k in range(total_ticks):
            target = start + k * period
            while (remaining := target - time.perf_counter()) > 0:
                if remaining > 0.0005:
                    time.sleep(remaining - 0.0004)
            received.clear()
            trigger_publisher, trigger = states[-1]
            trigger.header.stamp = node.get_clock().now().to_msg()
            sent = time.perf_counter()
            trigger_publisher.publish(trigger)
            while not received and time.perf_counter() < target + period:
                executor.spin_once(timeout_sec=max(0.0, target + period - time.perf_counter()))
            # The rest of the state (a Cartesian robot's JointState) goes out between round trips, as a robot's
            # other streams run beside its pose: only the message the node steps on is timed.
            for publisher, message in states[:-1]:
                message.header.stamp = node.get_clock().now().to_msg()
                publisher.publish(message)
            if k < warmup_ticks:
                continue
            stats.ticks += 1
            stats.send_jitter_s.append(sent - target)
            if received:
                stats.round_trip_s.append(received[0] - sent)
            else:
                stats.missed += 1
            if stats.ticks % report_every == 0:
                done = stats.ticks * period
                print(f"[bench deploy] {label}: {done:5.1f}/{duration_s:.0f} s, missed {stats.missed}", flush=True)
        return stats
    finally:
        executor.remove_node(node)
        node.destroy_node()


def bench_deploy(out_dir: Path, duration_s: float = 60.0, rate_hz: float = 500.0, path: str = "joint") -> Path:
    import rclpy

    env = dict(os.environ)
    env.setdefault("ROS_DOMAIN_ID", str(random.SystemRandom().randint(1, 100)))
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    os.environ.update({k: env[k] for k in ("ROS_DOMAIN_ID", "ROS_AUTOMATIC_DISCOVERY_RANGE")})
    period = 1.0 / rate_hz
    results: dict[str, LoopStats] = {}
    with tempfile.TemporaryDirectory(prefix="robot-ac-bench-deploy-") as tmp:
        config_path, export = (write_bench_setup if path == "joint" else write_cartesian_setup)(Path(tmp), rate_hz)
        echo_topics = ["--state-topic", STATE_TOPIC, "--command-topic", COMMAND_TOPIC] if path == "joint" else \
            ["--state-topic", POSE_TOPIC, "--command-topic", TARGET_TOPIC, "--cartesian"]
        nodes = {
            "robot_ac_policy_node": [sys.executable, "-m", "robot_ac.cli", "deploy", "--config", str(config_path),
                                     "--policy", str(export), "--trigger", "joint_state", "--autostart"],
            "bare_echo": [sys.executable, "-m", "benchmarks.deploy_echo", "--policy", str(export), *echo_topics],
        }
        context = rclpy.Context()
        rclpy.init(context=context)
        try:
            for label, command in nodes.items():
                log_path = Path(tmp) / f"{label}.log"
                with open(log_path, "w") as log:
                    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
                try:
                    results[label] = ping_pong(context, period, warmup_s=1.0, duration_s=duration_s, label=label,
                                               path=path)
                finally:
                    process.terminate()
                    try:
                        process.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
        finally:
            rclpy.try_shutdown(context=context)
    ours, bare = results["robot_ac_policy_node"].summary(), results["bare_echo"].summary()
    result = {
        "benchmark": "deploy round trip", "path": path, "rate_hz": rate_hz, "duration_s": duration_s,
        "joints": NUM_JOINTS if path == "joint" else len(ARM_JOINTS),
        "policy_hidden": list(HIDDEN), "nodes": {"robot_ac_policy_node": ours, "bare_echo": bare},
        "p99_ratio_to_bare_echo": ours["round_trip_ms"]["p99"] / bare["round_trip_ms"]["p99"]
        if ours["round_trip_ms"] and bare["round_trip_ms"] else None,
    }
    name = f"bench_deploy_{int(rate_hz)}hz" if path == "joint" else f"bench_deploy_cartesian_{int(rate_hz)}hz"
    return write_result(out_dir, name, result, _histogram(results, rate_hz, path))


def _histogram(results: dict[str, LoopStats], rate_hz: float, path: str) -> Any:
    fig, ax = pyplot().subplots(figsize=(7, 4))
    values = [np.asarray(s.round_trip_s) * 1e3 for s in results.values() if s.round_trip_s]
    top = max(float(np.percentile(v, 99.9)) for v in values) if values else 1.0
    bins = np.linspace(0.0, top, 80)
    for label, stats in results.items():
        rtt = np.asarray(stats.round_trip_s) * 1e3
        ax.hist(rtt, bins=bins, alpha=0.6, label=f"{label}: p50 {np.percentile(rtt, 50):.2f} ms, "
                f"p99 {np.percentile(rtt, 99):.2f} ms, missed {stats.missed}")
    ax.set_yscale("log")
    ax.set_xlabel(("JointState in -> command out" if path == "joint" else "TCP pose in -> TCP target out")
                  + ", round trip (ms)")
    ax.set_ylabel("ticks")
    what = f"{NUM_JOINTS} joints" if path == "joint" else "Cartesian pose targets"
    ax.set_title(f"policy node vs bare echo, {what} at {rate_hz:.0f} Hz")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
