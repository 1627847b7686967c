"""Small exported policies and a toy robot for deploy tests, built without torch (onnx.helper + numpy)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from robot_ac.deploy import Command, HardwareConfig
from robot_ac.export.manifest import MANIFEST_FORMAT_VERSION, Manifest, PolicyFile, PolicyInterface, write_manifest


def write_linear_export(out_dir: Path, interface: PolicyInterface, seed: int = 0, gain: float = 0.3) -> np.ndarray:
    """``actions = tanh(obs @ W + b)``, exported as policy.onnx + manifest.json; returns [W; b] for checking."""
    rng = np.random.default_rng(seed)
    weights = (gain * rng.standard_normal((interface.observation_size, interface.action_size))).astype(np.float32)
    bias = (0.1 * rng.standard_normal(interface.action_size)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["obs", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["pre"]),
         helper.make_node("Tanh", ["pre"], ["actions"])],
        "linear_policy",
        [helper.make_tensor_value_info("obs", TensorProto.FLOAT, ["batch", interface.observation_size])],
        [helper.make_tensor_value_info("actions", TensorProto.FLOAT, ["batch", interface.action_size])],
        initializer=[numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx.save(model, out_dir / "policy.onnx")
    write_manifest(out_dir / "manifest.json", Manifest(
        format_version=MANIFEST_FORMAT_VERSION, robot_ac_version="test", interface=interface,
        policy=PolicyFile(onnx="policy.onnx", sha256=hashlib.sha256((out_dir / "policy.onnx").read_bytes()).hexdigest(),
                          input_name="obs", output_name="actions"),
        source={"test": True},
    ))
    return np.vstack([weights, bias])


class ToyRobot:
    """Joints that move toward position commands at their velocity limit; JointState lists them in reverse order
    plus an unrelated joint, so the deploy side must match by name."""

    def __init__(self, config: HardwareConfig, start: dict[str, float]) -> None:
        self.config = config
        self.names = list(reversed(config.joint_names)) + ["unrelated_joint"]
        self.position = {n: start.get(n, 0.0) for n in config.joint_names}
        self.velocity = {n: 0.0 for n in config.joint_names}

    def apply(self, command: Command | None, dt: float) -> None:
        if command is None or command.kind != "position":
            return
        for name, target in zip(command.joint_names, command.values):
            step = np.clip(target - self.position[name], *(np.array([-1, 1]) * self.config.joint(name).velocity_limit
                                                           * 0.9 * dt))
            self.velocity[name] = step / dt
            self.position[name] += step

    def joint_state(self) -> tuple[list[str], list[float], list[float]]:
        return (self.names, [self.position.get(n, 0.0) for n in self.names],
                [self.velocity.get(n, 0.0) for n in self.names])
