"""`robot-ac deploy --check`: does this policy fit this robot? Every disagreement, without starting anything."""

from __future__ import annotations

from pathlib import Path

from robot_ac.contract.hardware_config import check_compatibility, load_hardware_config
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
