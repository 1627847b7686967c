"""Random-weight MLP policies exported exactly like trained ones (ONNX + manifest), without torch.

For benchmarks and tests of the robot side, where what matters is the shape and cost of the network, not its skill.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from robot_ac.contract.manifest import MANIFEST_FORMAT_VERSION, Manifest, PolicyFile, PolicyInterface, write_manifest

ONNX_OPSET = 17


def write_mlp_export(out_dir: str | Path, interface: PolicyInterface, hidden: tuple[int, ...] = (),
                     seed: int = 0, gain: float = 0.3) -> list[tuple[np.ndarray, np.ndarray]]:
    """``actions = tanh(W_n ... elu(W_1 obs + b_1) ... + b_n)``; returns the layers' (W, b) for checking."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    sizes = [interface.observation_size, *hidden, interface.action_size]
    layers, nodes, initializers, current = [], [], [], "obs"
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        weight = (gain * rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in) * np.sqrt(len(sizes))
                  ).astype(np.float32)
        bias = (0.1 * rng.standard_normal(fan_out)).astype(np.float32)
        layers.append((weight, bias))
        initializers += [numpy_helper.from_array(weight, f"W{i}"), numpy_helper.from_array(bias, f"b{i}")]
        last = i == len(sizes) - 2
        nodes += [helper.make_node("MatMul", [current, f"W{i}"], [f"xw{i}"]),
                  helper.make_node("Add", [f"xw{i}", f"b{i}"], [f"pre{i}"]),
                  helper.make_node("Tanh" if last else "Elu", [f"pre{i}"], ["actions" if last else f"h{i}"])]
        current = f"h{i}"
    graph = helper.make_graph(
        nodes, "mlp_policy",
        [helper.make_tensor_value_info("obs", TensorProto.FLOAT, ["batch", interface.observation_size])],
        [helper.make_tensor_value_info("actions", TensorProto.FLOAT, ["batch", interface.action_size])],
        initializer=initializers,
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / "policy.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)]), onnx_path)
    write_manifest(out_dir / "manifest.json", Manifest(
        format_version=MANIFEST_FORMAT_VERSION, robot_ac_version="synthetic", interface=interface,
        policy=PolicyFile(onnx=onnx_path.name, sha256=hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
                          input_name="obs", output_name="actions"),
        source={"synthetic": True, "hidden": list(hidden), "seed": seed},
    ))
    return layers
