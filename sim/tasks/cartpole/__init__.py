"""``cartpole``: keep a pole upright by pushing its cart (Isaac Lab's direct cartpole on local assets)."""

from sim.tasks.cartpole.task import CARTPOLE_TASK

__all__ = ["CARTPOLE_TASK"]
