"""``cartpole`` and ``cartpole-positions``: keep a pole upright by pushing its cart (Isaac Lab's direct cartpole on
local assets); the tasks are in ``config/cartpole.py``."""
