"""Checkpoint -> ``policy.onnx`` + ``policy.pt`` (TorchScript) + ``manifest.json``, and the check that they agree.

Export needs no simulator: the checkpoint carries the policy interface, the network config and the observation
sizes, so the actor is rebuilt here and exported through rsl_rl's own ``as_onnx()`` / ``as_jit()``.
"""

from __future__ import annotations

import datetime
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

import robot_ac
from robot_ac._atomic import atomic_write_bytes
from robot_ac.errors import RobotAcError
from robot_ac.contract.manifest import (
    MANIFEST_FORMAT_VERSION,
    Manifest,
    PolicyFile,
    PolicyInterface,
    load_manifest,
    write_manifest,
)
from robot_ac.runners.checkpoints import find_checkpoint, load_checkpoint
from robot_ac.runners.run_dir import RunDirectory

if TYPE_CHECKING:
    from robot_ac.config import ExportOptions

ONNX_OPSET = 17


def rebuild_actor(state: dict[str, Any]) -> torch.nn.Module:
    """The trained actor (rsl_rl's, or Symphony's), on CPU, in eval mode."""
    from rsl_rl.models import MLPModel, RNNModel
    from rsl_rl.utils import resolve_class
    from tensordict import TensorDict

    from robot_ac.networks.tactile_student import TactileStudentModel

    infos = state["infos"]
    train_cfg = infos["train_cfg"]
    if train_cfg.get("algorithm") == "symphony":
        from robot_ac.networks.symphony import SymphonyActor

        num_actions = PolicyInterface.from_dict(infos["interface"]).action_size
        actor = SymphonyActor(infos["obs_dims"]["policy"], num_actions, train_cfg["symphony"]["hidden_dim"])
        actor.load_state_dict(state["actor_state_dict"])
        return actor.eval()
    obs = TensorDict({group: torch.zeros(1, dim) for group, dim in infos["obs_dims"].items()}, batch_size=[1])
    actor_class, actor_cfg = resolve_class(dict(train_cfg["actor"]))
    if actor_class not in (MLPModel, RNNModel, TactileStudentModel):
        raise RobotAcError(f"checkpoint '{state['path']}': actor {actor_class.__name__} is not exportable yet "
                           "(MLPModel, RNNModel and TactileStudentModel only)")
    num_actions = PolicyInterface.from_dict(infos["interface"]).action_size
    actor = actor_class(obs, train_cfg["obs_groups"], "actor", num_actions, **actor_cfg)
    actor.load_state_dict(state["actor_state_dict"])
    return actor.eval()


def deterministic_actions(actor: torch.nn.Module, policy_obs: torch.Tensor) -> torch.Tensor:
    """The actor's mean action for a batch of flat policy observations [N, obs] (what the ONNX file computes); a
    recurrent actor reads them as one sequence in time, from a zero state (as the robot runtime does)."""
    from tensordict import TensorDict

    from robot_ac.networks.symphony import SymphonyActor

    if isinstance(actor, SymphonyActor):
        with torch.inference_mode():
            return actor.deterministic(policy_obs)

    (group,) = actor.obs_groups  # exported actors read exactly one observation group
    with torch.inference_mode():
        if actor.is_recurrent:
            actor.reset()  # a fresh sequence (batch 1) from a zero state
            return torch.cat([actor(TensorDict({group: obs[None]}, batch_size=[1])) for obs in policy_obs])
        return actor(TensorDict({group: policy_obs}, batch_size=[policy_obs.shape[0]]))


def _recurrent_state(onnx_module: torch.nn.Module) -> list[dict[str, Any]]:
    """The manifest's ``recurrent_state``: each state input, the output that carries it to the next step, its shape
    (layers, batch 1, hidden)."""
    if not getattr(onnx_module, "is_recurrent", False):
        return []
    shape = [onnx_module.num_layers, 1, onnx_module.hidden_size]
    return [{"input": name, "output": out, "shape": shape}
            for name, out in zip(onnx_module.input_names[1:], onnx_module.output_names[1:])]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export_checkpoint(checkpoint: str | Path, out_dir: str | Path) -> Manifest:
    """Write the three files into ``out_dir``; every write is atomic."""
    state = load_checkpoint(checkpoint)
    out_dir = Path(out_dir)
    interface = PolicyInterface.from_dict(state["infos"]["interface"])
    actor = rebuild_actor(state)

    onnx_module = actor.as_onnx(verbose=False).eval()
    recurrent_state = _recurrent_state(onnx_module)
    names = onnx_module.input_names + onnx_module.output_names
    state_names = {name for state in recurrent_state for name in (state["input"], state["output"])}
    # A recurrent state is (layers, batch, hidden): its batch axis is the second.
    dynamic_axes = {name: {1 if name in state_names else 0: "batch"} for name in names}
    buffer = io.BytesIO()
    torch.onnx.export(
        onnx_module, onnx_module.get_dummy_inputs(), buffer, export_params=True, opset_version=ONNX_OPSET,
        input_names=onnx_module.input_names, output_names=onnx_module.output_names, dynamic_axes=dynamic_axes,
        dynamo=False,
    )
    onnx_path = atomic_write_bytes(out_dir / "policy.onnx", buffer.getvalue())

    jit_buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(actor.as_jit().eval()), jit_buffer)
    atomic_write_bytes(out_dir / "policy.pt", jit_buffer.getvalue())

    manifest = Manifest(
        format_version=MANIFEST_FORMAT_VERSION,
        robot_ac_version=robot_ac.__version__,
        interface=interface,
        policy=PolicyFile(
            onnx=onnx_path.name, sha256=_sha256(onnx_path), input_name=onnx_module.input_names[0],
            output_name=onnx_module.output_names[0], torchscript="policy.pt", recurrent_state=recurrent_state,
        ),
        source={
            "checkpoint": str(Path(state["path"]).resolve()),
            "iteration": int(state["iter"]),
            "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        },
    )
    write_manifest(out_dir / "manifest.json", manifest)
    return manifest


@dataclass(frozen=True)
class ExportCheck:
    """Largest difference between the exported files and the torch actor per input set, relative to
    ``1 + |torch action|``: absolute for the actions a policy outputs in its range, relative for the large ones that
    random inputs far outside an observation normaliser's range produce (float32 round-off grows with them)."""

    onnx_vs_torch: dict[str, float]
    torchscript_vs_torch: dict[str, float]
    tolerance: float

    @property
    def passed(self) -> bool:
        return max([*self.onnx_vs_torch.values(), *self.torchscript_vs_torch.values()]) <= self.tolerance


def check_export(export_dir: str | Path, checkpoint: str | Path, recorded_obs: np.ndarray | None = None,
                 tolerance: float = 1e-4, num_random: int = 256, seed: int = 0) -> ExportCheck:
    """Run onnxruntime and TorchScript against the checkpoint's torch actor on random and recorded observations."""
    import onnxruntime as ort

    export_dir = Path(export_dir)
    manifest = load_manifest(export_dir / "manifest.json")
    onnx_path = export_dir / manifest.policy.onnx
    if _sha256(onnx_path) != manifest.policy.sha256:
        raise RobotAcError(f"{onnx_path}: sha256 does not match manifest.json (the file changed after export)")
    actor = rebuild_actor(load_checkpoint(checkpoint))
    scripted = torch.jit.load(str(export_dir / (manifest.policy.torchscript or "policy.pt")))
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])

    obs_size = manifest.interface.observation_size
    inputs = {"random": np.random.default_rng(seed).normal(0.0, 2.0, (num_random, obs_size)).astype(np.float32)}
    if recorded_obs is not None:
        if recorded_obs.ndim != 2 or recorded_obs.shape[1] != obs_size:
            raise RobotAcError(f"recorded observations have shape {recorded_obs.shape}, expected (N, {obs_size})")
        inputs["recorded"] = recorded_obs.astype(np.float32)

    onnx_diff, jit_diff = {}, {}
    for name, obs in inputs.items():
        reference = deterministic_actions(actor, torch.from_numpy(obs)).numpy()
        if manifest.policy.recurrent_state:
            from_onnx, from_jit = _step_recurrent(export_dir, scripted, obs)
        else:
            with torch.inference_mode():
                from_jit = scripted(torch.from_numpy(obs)).numpy()
            from_onnx = session.run([manifest.policy.output_name], {manifest.policy.input_name: obs})[0]
        scale = 1.0 + np.abs(reference)
        onnx_diff[name] = float(np.max(np.abs(from_onnx - reference) / scale))
        jit_diff[name] = float(np.max(np.abs(from_jit - reference) / scale))
    return ExportCheck(onnx_vs_torch=onnx_diff, torchscript_vs_torch=jit_diff, tolerance=tolerance)


def _step_recurrent(export_dir: Path, scripted: torch.nn.Module, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A recurrent export run over ``obs`` as one sequence from a zero state: ONNX in the robot runtime (which feeds
    the state back), TorchScript with the state it keeps."""
    from robot_ac.deploy.policy_runtime import PolicyRuntime

    runtime = PolicyRuntime(export_dir, warmup_steps=0)
    scripted.reset()
    with torch.inference_mode():
        from_jit = np.concatenate([scripted(torch.from_numpy(step[None])).numpy() for step in obs])
    return np.stack([runtime(step) for step in obs]), from_jit


@dataclass(frozen=True)
class ExportResult:
    checkpoint: Path
    out_dir: Path
    manifest: Manifest
    check: ExportCheck | None
    """None unless the options asked for the check."""


def export_run(options: ExportOptions) -> ExportResult:
    """Export a run's latest checkpoint (or the given one) into ``options.out`` (default ``RUN/export``); with
    ``options.check``, compare the files with torch on random and recorded observations and raise past the
    tolerance (a failed export is an error, never a warning)."""
    checkpoint = find_checkpoint(options.run)
    run = RunDirectory.of_checkpoint(checkpoint)
    out = options.out or run.export_dir
    manifest = export_checkpoint(checkpoint, out)
    check = None
    if options.check:
        recorded = np.load(run.recorded_observations) if run.recorded_observations.is_file() else None
        check = check_export(out, checkpoint, recorded, tolerance=options.tolerance)
        if not check.passed:
            raise RobotAcError(f"export check failed for {checkpoint}: onnx {check.onnx_vs_torch}, torchscript "
                               f"{check.torchscript_vs_torch} above tolerance {options.tolerance:g}")
    return ExportResult(checkpoint=checkpoint, out_dir=out, manifest=manifest, check=check)


def describe_export(result: ExportResult) -> str:
    """The lines `robot-ac export` prints."""
    manifest = result.manifest
    lines = [f"exported {result.checkpoint} -> {result.out_dir}/ (policy.onnx sha256 {manifest.policy.sha256[:12]}..., "
             f"obs {manifest.interface.observation_size}, actions {manifest.interface.action_size})"]
    if result.check is not None:
        for name, diff in result.check.onnx_vs_torch.items():
            lines.append(f"  check {name:>8}: max |onnx - torch| / (1 + |torch|) = {diff:.2e}, "
                         f"torchscript: {result.check.torchscript_vs_torch[name]:.2e}")
        lines.append(f"  export check passed (tolerance {result.check.tolerance:g})")
    return "\n".join(lines)
