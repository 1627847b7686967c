"""Training loops behind one factory (:mod:`robot_ac.runners.factory`), run directories and checkpoints."""

from robot_ac.runners.checkpoints import find_checkpoint, load_checkpoint, save_checkpoint
from robot_ac.runners.distributed import DistributedContext, resolve_distributed
from robot_ac.runners.run_dir import RunDirectory

__all__ = [
    "DistributedContext",
    "RunDirectory",
    "find_checkpoint",
    "load_checkpoint",
    "resolve_distributed",
    "save_checkpoint",
]
