"""PolicyRuntime: the exported ONNX policy under onnxruntime, checked against its manifest before the first step."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from robot_ac.errors import RobotAcError
from robot_ac.contract.manifest import Manifest, load_manifest


class PolicyRuntime:
    """``runtime(obs[obs_size]) -> action[action_size]``; carries recurrent state between calls."""

    def __init__(self, export_dir: str | Path, *, warmup_steps: int = 10, threads: int = 1) -> None:
        import onnxruntime as ort

        export_dir = Path(export_dir)
        self.manifest: Manifest = load_manifest(export_dir / "manifest.json")
        onnx_path = export_dir / self.manifest.policy.onnx
        if not onnx_path.is_file():
            raise RobotAcError(f"{onnx_path}: policy file named by the manifest is missing")
        if hashlib.sha256(onnx_path.read_bytes()).hexdigest() != self.manifest.policy.sha256:
            raise RobotAcError(f"{onnx_path}: sha256 differs from manifest.json; refusing a policy that changed "
                               "after export")
        options = ort.SessionOptions()
        # One thread: the control loop wants low, steady latency, not throughput.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's own exception types (InvalidProtobuf, Fail, ...) share no base
            raise RobotAcError(f"{onnx_path}: onnxruntime cannot load it ({exc})") from exc
        self._check_io(onnx_path)
        self._state_names = [(s["input"], s["output"]) for s in self.manifest.policy.recurrent_state]
        self._state_shapes = {s["input"]: tuple(s["shape"]) for s in self.manifest.policy.recurrent_state}
        self.reset()
        zeros = np.zeros(self.manifest.interface.observation_size, dtype=np.float32)
        started = time.perf_counter()
        try:
            for _ in range(warmup_steps):
                self(zeros)
        except Exception as exc:
            raise RobotAcError(f"{onnx_path}: the policy fails on a zero observation ({exc})") from exc
        self.warmup_s = time.perf_counter() - started
        self.reset()

    def _check_io(self, onnx_path: Path) -> None:
        interface, policy = self.manifest.interface, self.manifest.policy
        inputs = {i.name: i.shape for i in self.session.get_inputs()}
        outputs = {o.name: o.shape for o in self.session.get_outputs()}
        if policy.input_name not in inputs:
            raise RobotAcError(f"{onnx_path}: no input '{policy.input_name}' (inputs: {sorted(inputs)})")
        if policy.output_name not in outputs:
            raise RobotAcError(f"{onnx_path}: no output '{policy.output_name}' (outputs: {sorted(outputs)})")
        for name, shape, expected in ((policy.input_name, inputs[policy.input_name], interface.observation_size),
                                      (policy.output_name, outputs[policy.output_name], interface.action_size)):
            if shape[-1] != expected:
                raise RobotAcError(f"{onnx_path}: '{name}' has last dimension {shape[-1]}, the manifest says "
                                   f"{expected}")

    def reset(self) -> None:
        """Zero the recurrent state (at start and after any interruption of the policy)."""
        self._state = {name: np.zeros(shape, dtype=np.float32) for name, shape in self._state_shapes.items()}

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        feeds = {self.manifest.policy.input_name: obs.reshape(1, -1).astype(np.float32, copy=False), **self._state}
        names = [self.manifest.policy.output_name] + [out for _, out in self._state_names]
        results = self.session.run(names, feeds)
        for (state_in, _), value in zip(self._state_names, results[1:]):
            self._state[state_in] = value
        return results[0].reshape(-1).astype(np.float64)
