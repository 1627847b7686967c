"""Terms of the Gymnasium MuJoCo tasks: Gymnasium computes observations, rewards and terminations; robot-ac adds
the policy's observation term (for the interface check) and episode success."""

from __future__ import annotations

import numpy as np

POLICY_TERM = "gym_observation"
"""The policy observation is one term: the Gymnasium env's observation vector, as its ``step`` returns it."""


def policy_terms(observation_size: int) -> list[tuple[str, int]]:
    return [(POLICY_TERM, observation_size)]


def episode_success(terminated: np.ndarray, truncated: np.ndarray) -> np.ndarray:
    """Success: the episode reached its time limit (truncated) without a termination (a fall)."""
    return np.logical_and(truncated, ~terminated.astype(bool))
