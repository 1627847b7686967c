"""Learning algorithms, one per file; PPO and distillation come from rsl_rl."""

from robot_ac.algorithms.replay_buffer import FadingReplayBuffer, ReplayBatch, fading_weights
from robot_ac.algorithms.symphony import Symphony, SymphonyConfig

__all__ = ["FadingReplayBuffer", "ReplayBatch", "Symphony", "SymphonyConfig", "fading_weights"]
