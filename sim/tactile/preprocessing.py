"""The training-side twin of :meth:`robot_ac.contract.tactile.TactilePreprocessing.apply`: the same block means on
torch tensors, on the simulator's device (the contract itself stays torch-free for the robot)."""

from __future__ import annotations

import torch

from robot_ac.contract.tactile import TactilePreprocessing
from robot_ac.errors import RobotAcError


def preprocess_torch(preprocessing: TactilePreprocessing, images: torch.Tensor,
                     reference: torch.Tensor | None = None) -> torch.Tensor:
    """[N, H, W, 3] uint8 RGB (and a [H, W, 3] reference) -> float32 [N, 3, height, width], on their device."""
    factor_rows, factor_cols = preprocessing.block_factors(tuple(images.shape))

    def block_mean(x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 3, 1, 2).to(torch.float32)
        if factor_rows == factor_cols == 1:  # rendered at the policy's size: nothing to average
            return x
        return torch.nn.functional.avg_pool2d(x, (factor_rows, factor_cols))

    resized = block_mean(images)
    if preprocessing.mode == "difference":
        if reference is None:
            raise RobotAcError("tactile difference preprocessing needs a reference (no-contact) image")
        resized = resized - block_mean(reference[None])
    return resized * preprocessing.scale
