"""`robot-ac deploy --check`: does this policy fit this robot? Every disagreement, without starting anything. And
what a deployment will do, said before it does it."""

from __future__ import annotations

from pathlib import Path

from robot_ac.contract.hardware_config import HardwareConfig, check_compatibility, load_hardware_config
from robot_ac.contract.manifest import Manifest
from robot_ac.errors import RobotAcError


def deployment_problems(config_path: str | Path, policy_dir: str | Path) -> list[str]:
    """What stops ``policy_dir`` (an export) from running on the robot of ``config_path``: the config and the
    policy files themselves (schema, checksum, ONNX inputs and outputs), their agreement (joints, rate, command
    interface, the inputs the policy reads, Cartesian step limits) and what the runtime cannot build; empty when
    the pair may be deployed."""
    from robot_ac.deploy import PolicyRuntime, make_supervisor

    problems = []
    config = runtime = None
    for load in (lambda: load_hardware_config(config_path), lambda: PolicyRuntime(policy_dir, warmup_steps=1)):
        try:
            loaded = load()
        except RobotAcError as exc:
            problems.append(str(exc))
            continue
        if isinstance(loaded, PolicyRuntime):
            runtime = loaded
        else:
            config = loaded
    if config is None or runtime is None:
        return problems
    problems += check_compatibility(runtime.manifest, config)
    if not problems:
        try:
            make_supervisor(runtime.manifest, config, runtime)
        except RobotAcError as exc:
            problems.append(str(exc))
    return problems


def describe_motion(manifest: Manifest, config: HardwareConfig) -> str:
    """What will move, to where, and the limits in force: printed by `robot-ac deploy` before anything moves."""
    safety = config.safety
    start = ("starts on activation (simulated robot)" if config.simulated else
             "waits for the operator: ros2 service call /policy_node/start std_srvs/srv/Trigger")
    lines = [f"{config.robot}: {manifest.interface.task} at {config.control_rate_hz:g} Hz through "
             f"{config.command_interface} on {config.topics.command}; {start}"]
    if config.cartesian is not None:
        c = config.cartesian
        lines += [f"  TCP targets stay in the box {list(c.workspace_min)} .. {list(c.workspace_max)} m "
                  f"({c.base_frame}), within {c.max_tilt_rad:g} rad of {list(c.insertion_axis)}",
                  f"  per step at most {c.max_step_m:g} m / {c.max_step_rad:g} rad; at most "
                  f"{c.max_linear_velocity_m_s:g} m/s and {c.max_angular_velocity_rad_s:g} rad/s; steps ramp in "
                  f"over {c.ramp_in_s:g} s"]
    else:
        defaults = {j.name: j.default_position for j in manifest.interface.joints} | config.default_positions
        joints = config.command_joints or manifest.interface.action.joint_names
        lines.append(f"  ramps over {safety.ramp_duration_s:g} s to the default pose, then the policy drives "
                     f"{len(joints)} joints; targets move at most {safety.max_command_rate:g} x each velocity "
                     "limit:")
        for name in joints:
            joint = config.joint(name)
            limits = "continuous" if joint.position_limits is None else \
                f"[{joint.position_limits[0]:+.3f}, {joint.position_limits[1]:+.3f}]"
            lines.append(f"    {name:<28} -> {defaults.get(name, 0.0):+.3f}  limits {limits}  "
                         f"v_max {joint.velocity_limit:g}  kp {joint.kp:g} kd {joint.kd:g}")
    lines.append(f"  a fault in POLICY: {safety.on_fault}; stale joint states after {safety.joint_state_timeout_s:g}"
                 f" s; e-stop: ros2 service call /policy_node/estop std_srvs/srv/Trigger; security: "
                 f"dds {config.security.dds}")
    return "\n".join(lines)
