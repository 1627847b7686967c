"""`robot-ac bench deploy`: state-in to command-out round trip of the policy node, against a bare echo.

A simulated robot (this process) publishes its state every control period (500 Hz by default) and waits for the
command it causes; the policy node runs in its own process (`robot-ac deploy --trigger joint_state`). Two paths:

* ``joint``: a 29-joint JointState in, Float64MultiArray position targets out, a 29-joint MLP policy;
* ``cartesian``: a 7-joint JointState and the measured TCP PoseStamped in (the node steps on the pose), a TCP
  PoseStamped target out, composed and limited by the Cartesian supervisor; an MLP on pose, twist, last action;
* ``lowcmd``: a G1 as its low-level interface presents it, ``unitree_hg/LowState`` in (29 motors, a ticking
  ``tick``, a level IMU, the remote: start, then A once the ramp is done, so the node reaches POLICY), a
  ``unitree_hg/LowCmd`` out with its CRC; the node on ``hardware_configs/unitree_g1.yaml`` with the zoo's
  ``g1-stand`` policy. Its baseline is what a G1 driver must do at least: a LowCmd filled from the LowState (q =
  the measured q) with its CRC, no policy.

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
ROOT = Path(__file__).resolve().parents[1]
G1_CONFIG = ROOT / "hardware_configs" / "unitree_g1.yaml"
G1_POLICY = ROOT / "policies" / "g1-stand" / "dagger-expert-seed1"
LOWCMD_WARMUP_S = 5.0
"""The G1's start sequence before the measured ticks: start at 0.3 s, the 2 s ramp, A at 3.0 s (again at 4.0 s)."""
REMOTE_SCRIPT = (("start", 0.3, 0.5), ("A", 3.0, 3.2), ("A", 4.0, 4.2))
"""(button, pressed from, released at) in seconds of the driver's loop."""


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


def write_lowcmd_setup(folder: Path) -> tuple[Path, dict[str, Any]]:
    """The G1's hardware config for the zoo's g1-stand policy: ``unitree_g1.yaml`` itself, or where the policy's
    gains are above the config's kp / kd (which ``check_compatibility`` refuses: they are LowCmd's ceiling) a copy in
    ``folder`` with those raised to the policy's, so that the node configures; the raises are returned for the
    result. The latency does not depend on the gains' values."""
    from robot_ac.contract.manifest import load_manifest

    config = yaml.safe_load(G1_CONFIG.read_text())
    specs = {j.name: j for j in load_manifest(G1_POLICY / "manifest.json").interface.joints}
    raised = {}
    for joint in config["joints"]:
        spec = specs.get(joint["name"])
        for key, wanted in (("kp", spec.stiffness if spec else 0.0), ("kd", spec.damping if spec else 0.0)):
            if wanted > joint[key]:
                raised[f"{joint['name']}.{key}"] = [joint[key], wanted]
                joint[key] = wanted
    if not raised:
        return G1_CONFIG, {}
    path = folder / "unitree_g1_policy_gains.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path, raised


def lowcmd_costs(repeats: int = 2000) -> dict[str, float]:
    """What one LowCmd costs in this process, µs per message (median of 5 rounds): ``fill_lowcmd`` in POLICY with
    the G1's config and gains (its CRC included), ``lowcmd_crc`` (the struct image and its CRC), the CRC alone over
    the 1000-byte image (``crc32_words``, zlib's C), the same in the pure-Python table loop it replaced, and a new
    ``LowCmd()``."""
    import timeit

    from unitree_hg.msg import LowCmd

    from robot_ac.contract.hardware_config import load_hardware_config
    from robot_ac.deploy import Command, State
    from robot_ac.deploy.unitree import crc32_words, crc32_words_reference, fill_lowcmd, lowcmd_crc, lowcmd_image

    config = load_hardware_config(G1_CONFIG)
    gains = {j.name: (0.5 * j.kp, 0.5 * j.kd) for j in config.joints}
    command = Command(config.joint_names, np.linspace(-0.3, 0.3, len(config.joints)), "position")
    cmd = fill_lowcmd(LowCmd(), State.POLICY, command, config, 5, policy_gains=gains)
    image = lowcmd_image(cmd)
    cases = {"fill_lowcmd": lambda: fill_lowcmd(cmd, State.POLICY, command, config, 5, policy_gains=gains),
             "lowcmd_crc": lambda: lowcmd_crc(cmd), "lowcmd_image": lambda: lowcmd_image(cmd),
             "crc32_words": lambda: crc32_words(image), "new_LowCmd": LowCmd,
             "crc32_words_reference": lambda: crc32_words_reference(image)}
    costs = {}
    for name, call in cases.items():
        n = repeats // 10 if name == "crc32_words_reference" else repeats
        costs[name] = float(np.median(timeit.repeat(call, number=n, repeat=5)) / n * 1e6)
    return costs


@dataclass
class LoopStats:
    round_trip_s: list[float] = field(default_factory=list)
    send_jitter_s: list[float] = field(default_factory=list)
    missed: int = 0
    ticks: int = 0
    expected: int = 0

    def summary(self) -> dict[str, Any]:
        rtt = np.asarray(self.round_trip_s) * 1e3
        jitter = np.abs(np.asarray(self.send_jitter_s)) * 1e3
        return {"ticks": self.ticks, "missed_ticks": self.missed,
                "round_trip_ms": {"p50": float(np.percentile(rtt, 50)), "p99": float(np.percentile(rtt, 99)),
                                  "max": float(rtt.max()), "mean": float(rtt.mean())} if rtt.size else None,
                "send_jitter_ms": {"p99": float(np.percentile(jitter, 99)), "max": float(jitter.max())}
                if jitter.size else None}


def _robot_messages(node, path: str, period: float) -> tuple[list[tuple[Any, Any]], str, type, Any]:
    """The robot's state publishers with their messages, in publishing order, the command topic and type, and
    ``update(message, elapsed_s)``, which makes a message current just before it goes out (its stamp; a LowState's
    tick and remote)."""
    from geometry_msgs.msg import PoseStamped
    from rclpy.qos import QoSProfile
    from sensor_msgs.msg import JointState
    from std_msgs.msg import Float64MultiArray

    def stamp(message, elapsed: float) -> bool:
        message.header.stamp = node.get_clock().now().to_msg()
        return True

    if path == "lowcmd":
        return _g1_messages(node, period)
    names = JOINTS if path == "joint" else ARM_JOINTS
    states = [(node.create_publisher(JointState, STATE_TOPIC, QoSProfile(depth=1)),
               JointState(name=names, position=[0.0] * len(names), velocity=[0.0] * len(names)))]
    if path == "joint":
        return states, COMMAND_TOPIC, Float64MultiArray, stamp
    pose = PoseStamped()
    pose.header.frame_id = "base"
    pose.pose.position.x, pose.pose.position.y, pose.pose.position.z = START_TCP[:3]
    pose.pose.orientation.x, pose.pose.orientation.y, pose.pose.orientation.z, pose.pose.orientation.w = START_TCP[3:]
    return states + [(node.create_publisher(PoseStamped, POSE_TOPIC, QoSProfile(depth=1)), pose)], TARGET_TOPIC, \
        PoseStamped, stamp


def _g1_messages(node, period: float) -> tuple[list[tuple[Any, Any]], str, type, Any]:
    """The G1's LowState (the motors at the policy's default pose, level IMU, mode_machine 5) on its topic, and the
    standing command on the goal topic (goes out between round trips); LowCmd back."""
    from rclpy.qos import QoSProfile, qos_profile_sensor_data
    from std_msgs.msg import Float64MultiArray
    from unitree_hg.msg import LowCmd, LowState

    from robot_ac.contract.hardware_config import load_hardware_config
    from robot_ac.contract.manifest import load_manifest
    from robot_ac.deploy.unitree import remote_bytes

    config = load_hardware_config(G1_CONFIG)
    defaults = {j.name: j.default_position for j in load_manifest(G1_POLICY / "manifest.json").interface.joints}
    state = LowState()
    state.mode_machine = 5
    for motor, name in zip(state.motor_state, config.joint_names):
        motor.mode, motor.q = 1, float(defaults.get(name, 0.0))
    state.imu_state.quaternion = [1.0, 0.0, 0.0, 0.0]
    state.imu_state.accelerometer = [0.0, 0.0, 9.81]
    step_ms = max(1, round(period * 1e3))
    remotes = {frozenset(): remote_bytes(set())}
    held: list[frozenset] = [frozenset()]

    def update(message, elapsed: float) -> bool:
        if message is not state:
            return elapsed < 1.0  # the standing command, a few times before start (it is latched by the node)
        message.tick += step_ms
        pressed = frozenset(b for b, begin, end in REMOTE_SCRIPT if begin <= elapsed < end)
        if pressed != held[0]:
            held[0] = pressed
            message.wireless_remote = remotes.setdefault(pressed, remote_bytes(set(pressed)))
        return True

    goal = Float64MultiArray(data=[0.0, 0.0, 0.0])
    return [(node.create_publisher(Float64MultiArray, config.topics.goal, QoSProfile(depth=1)), goal),
            (node.create_publisher(LowState, config.topics.low_state, qos_profile_sensor_data), state)], \
        config.topics.command, LowCmd, update


def ping_pong(context, period: float, warmup_s: float, duration_s: float, label: str, path: str = "joint",
              expect: Any = None) -> LoopStats:
    """Run the robot side: its state once per period (the last message, which the node steps on, starts the
    clock), wait for the command it causes. ``expect(command) -> bool``, where given, counts the measured commands
    that pass it (``LoopStats.expected``: the LowCmds sent in POLICY)."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import QoSProfile

    node = rclpy.create_node(f"bench_robot_{label}", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    received: list[tuple[float, Any]] = []
    states, command_topic, command_type, update = _robot_messages(node, path, period)
    node.create_subscription(command_type, command_topic, lambda msg: received.append((time.perf_counter(), msg)),
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
            update(trigger, k * period)
            sent = time.perf_counter()
            trigger_publisher.publish(trigger)
            while not received and time.perf_counter() < target + period:
                executor.spin_once(timeout_sec=max(0.0, target + period - time.perf_counter()))
            # The rest of the state (a Cartesian robot's JointState) goes out between round trips, as a robot's
            # other streams run beside its pose: only the message the node steps on is timed.
            for publisher, message in states[:-1]:
                if update(message, k * period):
                    publisher.publish(message)
            if k < warmup_ticks:
                continue
            stats.ticks += 1
            stats.send_jitter_s.append(sent - target)
            if received:
                stats.round_trip_s.append(received[0][0] - sent)
                if expect is not None:
                    stats.expected += int(expect(received[0][1]))
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
    load: dict[str, list[float]] = {}
    extra: dict[str, Any] = {}
    warmup_s, expect = 1.0, None
    with tempfile.TemporaryDirectory(prefix="robot-ac-bench-deploy-") as tmp:
        if path == "lowcmd":
            config_path, raised = write_lowcmd_setup(Path(tmp))
            export = G1_POLICY
            echo_args = ["--lowcmd"]
            warmup_s, expect = LOWCMD_WARMUP_S, _at_policy_gains()
            extra = {"config": str(G1_CONFIG.relative_to(ROOT)), "policy": str(G1_POLICY.relative_to(ROOT)),
                     "config_gains_raised_to_the_policys": raised, "lowcmd_cost_us": lowcmd_costs()}
        else:
            config_path, export = (write_bench_setup if path == "joint" else write_cartesian_setup)(Path(tmp),
                                                                                                    rate_hz)
            echo_args = ["--policy", str(export), "--state-topic", STATE_TOPIC, "--command-topic", COMMAND_TOPIC] \
                if path == "joint" else \
                ["--policy", str(export), "--state-topic", POSE_TOPIC, "--command-topic", TARGET_TOPIC, "--cartesian"]
        # A real robot's config (the G1's) starts only on the operator's start: the remote, in the driver's LowState.
        autostart = [] if path == "lowcmd" else ["--autostart"]
        nodes = {
            "robot_ac_policy_node": [sys.executable, "-m", "robot_ac.cli", "deploy", "--config", str(config_path),
                                     "--policy", str(export), "--trigger", "joint_state", *autostart],
            "bare_echo": [sys.executable, "-m", "benchmarks.deploy_echo", *echo_args],
        }
        context = rclpy.Context()
        rclpy.init(context=context)
        try:
            for label, command in nodes.items():
                log_path = Path(tmp) / f"{label}.log"
                with open(log_path, "w") as log:
                    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
                try:
                    load[label] = [os.getloadavg()[0]]
                    results[label] = ping_pong(context, period, warmup_s=warmup_s, duration_s=duration_s,
                                               label=label, path=path,
                                               expect=expect if label == "robot_ac_policy_node" else None)
                    load[label].append(os.getloadavg()[0])
                except Exception:
                    process.terminate()
                    process.wait(timeout=20)
                    print(f"{label}'s log:\n{log_path.read_text()[-3000:]}", file=sys.stderr)
                    raise
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
    if path == "lowcmd":
        ours["lowcmds_in_policy"] = results["robot_ac_policy_node"].expected
    result = {
        "benchmark": "deploy round trip", "path": path, "rate_hz": rate_hz, "duration_s": duration_s,
        "warmup_s": warmup_s, "joints": {"joint": NUM_JOINTS, "cartesian": len(ARM_JOINTS), "lowcmd": 29}[path],
        "policy_hidden": list(HIDDEN) if path != "lowcmd" else None, **extra,
        "nodes": {"robot_ac_policy_node": ours, "bare_echo": bare},
        "p99_ratio_to_bare_echo": ours["round_trip_ms"]["p99"] / bare["round_trip_ms"]["p99"]
        if ours["round_trip_ms"] and bare["round_trip_ms"] else None,
        "load_average_1min": {"before_and_after": load, "cpus": os.cpu_count()},
    }
    name = {"joint": f"bench_deploy_{int(rate_hz)}hz", "cartesian": f"bench_deploy_cartesian_{int(rate_hz)}hz",
            "lowcmd": f"bench_deploy_lowcmd_{int(rate_hz)}hz"}[path]
    return write_result(out_dir, name, result, _histogram(results, rate_hz, path))


def _at_policy_gains() -> Any:
    """``LowCmd -> bool``: sent in POLICY, told by its gains (the policy's own, which differ from the config's hold
    gains on the G1's hips)."""
    from robot_ac.contract.manifest import load_manifest

    hip = load_manifest(G1_POLICY / "manifest.json").interface.joints[0]
    return lambda cmd: abs(cmd.motor_cmd[0].kp - hip.stiffness) < 1e-3 * max(1.0, hip.stiffness)


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
    ax.set_xlabel({"joint": "JointState in -> command out", "cartesian": "TCP pose in -> TCP target out",
                   "lowcmd": "LowState in -> LowCmd (with CRC) out"}[path] + ", round trip (ms)")
    ax.set_ylabel("ticks")
    what = {"joint": f"{NUM_JOINTS} joints", "cartesian": "Cartesian pose targets",
            "lowcmd": "G1 LowState / LowCmd, g1-stand"}[path]
    ax.set_title(f"policy node vs bare echo, {what} at {rate_hz:.0f} Hz")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
