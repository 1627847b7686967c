"""Per-process settings for multi-GPU training launched by ``torchrun`` (one process per GPU).

rsl_rl's multi-GPU path (``OnPolicyRunner._configure_multi_gpu``) reads ``WORLD_SIZE``, ``RANK`` and
``LOCAL_RANK``, initialises NCCL and requires the learner on ``cuda:<LOCAL_RANK>``; this module derives exactly that
device and a distinct seed per rank, and says clearly when the launch cannot work.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from robot_ac.errors import RobotAcError


@dataclass(frozen=True)
class DistributedContext:
    rank: int
    local_rank: int
    world_size: int
    device: str
    seed: int

    @property
    def is_main(self) -> bool:
        """Only rank 0 writes the run directory, logs and checkpoints."""
        return self.rank == 0


def resolve_distributed(
    distributed: bool, device: str, seed: int, environ: Mapping[str, str] | None = None, allow_cpu: bool = False
) -> DistributedContext:
    """Rank, device and seed for this process; single-process when ``distributed`` is False. ``allow_cpu``: the
    learner forms its own process group (Symphony: gloo on CPU, NCCL on CUDA), so CPU ranks are fine."""
    if not distributed:
        return DistributedContext(rank=0, local_rank=0, world_size=1, device=device, seed=seed)
    env = os.environ if environ is None else environ
    missing = [k for k in ("WORLD_SIZE", "RANK", "LOCAL_RANK") if k not in env]
    if missing:
        raise RobotAcError(
            f"--distributed needs {missing} from torchrun; launch with "
            "`torchrun --nproc_per_node=<gpus> -m robot_ac.cli train --distributed --device cuda ...`"
        )
    world_size, rank, local_rank = int(env["WORLD_SIZE"]), int(env["RANK"]), int(env["LOCAL_RANK"])
    if not 0 <= rank < world_size or not 0 <= local_rank < world_size:
        raise RobotAcError(f"inconsistent torchrun ranks: RANK={rank}, LOCAL_RANK={local_rank}, "
                           f"WORLD_SIZE={world_size}")
    if not device.startswith("cuda"):
        if not allow_cpu:
            raise RobotAcError(f"--distributed needs --device cuda (rsl_rl's multi-GPU path uses NCCL); got "
                               f"'{device}' (Symphony also runs on CPU ranks over gloo)")
        return DistributedContext(rank=rank, local_rank=local_rank, world_size=world_size, device=device,
                                  seed=seed + rank)
    return DistributedContext(
        rank=rank, local_rank=local_rank, world_size=world_size, device=f"cuda:{local_rank}", seed=seed + rank
    )
