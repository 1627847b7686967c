"""The tactile student actor: a CNN over the GelSight images, an MLP over its encoding and the proprioception.

The policy observation stays one flat vector (the manifest's contract, what the robot runtime assembles); the model
knows where in it the tactile images lie (:class:`TactileLayout`, derived from the policy interface) and views that
slice as ``pads x 3`` image channels. The CNN is rsl_rl's; the model is rsl_rl's :class:`MLPModel` with the image
slice routed through it, so PPO and distillation train it unchanged, and it exports itself to ONNX and TorchScript
taking the same flat vector.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any

import torch
from rsl_rl.models import MLPModel
from rsl_rl.modules import CNN
from tensordict import TensorDict
from torch import nn

from robot_ac.contract.tactile import TactileLayout
from robot_ac.errors import RobotAcError


@dataclass(frozen=True)
class TactileEncoderConfig:
    """The CNN over both pads' images (stacked as channels). Three strided layers; no global pooling, so the
    encoding keeps where on the pad the contact is (the in-hand pose)."""

    channels: tuple[int, ...] = (16, 32, 32)
    kernel_size: tuple[int, ...] = (5, 3, 3)
    stride: tuple[int, ...] = (2, 2, 2)

    def to_rsl_rl(self) -> dict[str, Any]:
        return {"output_channels": list(self.channels), "kernel_size": list(self.kernel_size),
                "stride": list(self.stride), "padding": "zeros", "global_pool": "none", "flatten": True}


def tactile_actor_cfg(actor_cfg: dict[str, Any], layout: TactileLayout,
                      encoder: TactileEncoderConfig = TactileEncoderConfig()) -> dict[str, Any]:
    """rsl_rl actor config (``class_name`` and arguments) for the tactile student in place of an MLP actor."""
    return {**actor_cfg, "class_name": f"{__name__}:TactileStudentModel", "tactile_layout": asdict(layout),
            "tactile_encoder": encoder.to_rsl_rl()}


class TactileStudentModel(MLPModel):
    def __init__(self, obs: TensorDict, obs_groups: dict[str, list[str]], obs_set: str, output_dim: int,
                 hidden_dims: tuple[int, ...] | list[int] = (256, 256, 256), activation: str = "elu",
                 obs_normalization: bool = False, distribution_cfg: dict | None = None, *,
                 tactile_layout: dict[str, int], tactile_encoder: dict[str, Any]) -> None:
        self.layout = TactileLayout(**tactile_layout)
        self.encoder_cfg = dict(tactile_encoder)
        encoder = CNN(input_dim=(self.layout.height, self.layout.width), input_channels=3 * self.layout.pads,
                      activation=activation, **self.encoder_cfg)
        self.encoding_dim = int(encoder.output_dim)
        super().__init__(obs, obs_groups, obs_set, output_dim, hidden_dims, activation, obs_normalization,
                         distribution_cfg)
        self.encoder = encoder

    def _get_obs_dim(self, obs: TensorDict, obs_groups: dict[str, list[str]], obs_set: str) -> tuple[list[str], int]:
        groups, total = super()._get_obs_dim(obs, obs_groups, obs_set)
        end = self.layout.start + self.layout.size
        if end > total:
            raise RobotAcError(f"tactile student: the images end at {end} but the '{obs_set}' observation has "
                               f"{total} values")
        self.flat_dim = total
        return groups, total - self.layout.size  # the normaliser sees only the proprioceptive part

    def _get_latent_dim(self) -> int:
        return self.obs_dim + self.encoding_dim

    def _split(self, flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        start, end = self.layout.start, self.layout.start + self.layout.size
        images = flat[..., start:end].reshape(-1, 3 * self.layout.pads, self.layout.height, self.layout.width)
        return torch.cat([flat[..., :start], flat[..., end:]], dim=-1), images

    def get_latent(self, obs: TensorDict, masks: torch.Tensor | None = None, hidden_state=None) -> torch.Tensor:
        proprio, images = self._split(torch.cat([obs[group] for group in self.obs_groups], dim=-1))
        return torch.cat([self.obs_normalizer(proprio), self.encoder(images)], dim=-1)

    def update_normalization(self, obs: TensorDict) -> None:
        if self.obs_normalization:
            proprio, _ = self._split(torch.cat([obs[group] for group in self.obs_groups], dim=-1))
            self.obs_normalizer.update(proprio)

    def as_jit(self) -> nn.Module:
        return _ExportedTactileStudent(self)

    def as_onnx(self, verbose: bool = False) -> nn.Module:
        return _ExportedTactileStudent(self)


class _ExportedTactileStudent(nn.Module):
    """The deterministic student on the flat policy vector, for ONNX and TorchScript."""

    is_recurrent: bool = False

    def __init__(self, model: TactileStudentModel) -> None:
        super().__init__()
        self.start = model.layout.start
        self.end = model.layout.start + model.layout.size
        self.image_shape = [3 * model.layout.pads, model.layout.height, model.layout.width]
        self.input_size = model.flat_dim
        self.obs_normalizer = copy.deepcopy(model.obs_normalizer)
        self.encoder = copy.deepcopy(model.encoder)
        self.mlp = copy.deepcopy(model.mlp)
        self.deterministic_output = (model.distribution.as_deterministic_output_module()
                                     if model.distribution is not None else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        proprio = torch.cat([x[:, :self.start], x[:, self.end:]], dim=-1)
        images = x[:, self.start:self.end].reshape([-1] + self.image_shape)
        latent = torch.cat([self.obs_normalizer(proprio), self.encoder(images)], dim=-1)
        return self.deterministic_output(self.mlp(latent))

    @torch.jit.export
    def reset(self) -> None:
        pass

    def get_dummy_inputs(self) -> tuple[torch.Tensor]:
        return (torch.zeros(1, self.input_size),)

    @property
    def input_names(self) -> list[str]:
        return ["obs"]

    @property
    def output_names(self) -> list[str]:
        return ["actions"]
