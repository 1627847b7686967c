"""Task registry: what `robot-ac` can train, found through the ``robot_ac.tasks`` entry point group.

The simulation package (``sim``) registers its tasks there, so this package never imports a simulator. A task
states its policy interface up front (the manifest's contract) and builds its environment only when asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from robot_ac.errors import RobotAcError
from robot_ac.contract.manifest import PolicyInterface
from robot_ac.randomization import ActuatorRandomization

if TYPE_CHECKING:
    from rsl_rl.env import VecEnv

    from robot_ac.config import PpoConfig


@dataclass(frozen=True)
class EnvOptions:
    """What every environment factory receives."""

    num_envs: int
    device: str
    """``cpu`` or ``cuda:N``; the simulator, its tensors and the learner all use it."""
    seed: int
    curriculum: bool = False
    """Start tasks that have a curriculum at its easiest level (training); False: the task as evaluated."""
    actuator_randomization: ActuatorRandomization | None = None
    """A real robot's fitted actuator ranges (``--randomize-from``), for tasks with
    :attr:`TaskSpec.randomizes_actuators`."""


@dataclass(frozen=True)
class TaskSpec:
    """A trainable task: its interface, its environment factory and its default training settings."""

    name: str
    """CLI name, e.g. ``cartpole``."""
    gym_id: str
    """Gymnasium id, e.g. ``RobotAc-Cartpole-v0``."""
    description: str
    interface: PolicyInterface
    make_env: Callable[[EnvOptions], VecEnv]
    """Builds the rsl_rl-wrapped environment (what training, play and bench use). It refuses, with a
    :class:`RobotAcError`, to build an env whose policy observation terms (names, order, sizes, history) or action
    size are not ``interface``'s: a policy trained on it would not run on the robot the manifest describes."""
    make_gym_env: Callable[[EnvOptions], Any]
    """Builds the bare simulator environment, a ``gymnasium.Env`` (registered under ``gym_id``)."""
    ppo: PpoConfig
    """Default PPO settings for this task."""
    max_iterations: int
    """Default number of PPO iterations for `robot-ac train`."""
    num_envs: int
    """Default number of parallel environments for `robot-ac train` (sized for a 2-core CPU)."""
    make_baseline_env: Callable[[EnvOptions], VecEnv] | None = None
    """A reference environment for `robot-ac bench` to compare against, if one exists."""
    baseline_description: str = ""
    """What :attr:`make_baseline_env` builds, as benchmark results name it."""
    success_metric: str = ""
    """What success means for this task (shown by `robot-ac tasks` and `robot-ac play`)."""
    symmetry: str | None = None
    """The task's left/right mirror of observations and actions as ``module:function`` (rsl_rl's
    ``data_augmentation_func``), for ``--ppo.symmetry-augmentation`` and ``--ppo.mirror-loss-coef``."""
    randomizes_actuators: bool = False
    """Whether the env takes :attr:`EnvOptions.actuator_randomization` (PD-position robots)."""
    expert_teacher: dict[str, Any] | None = None
    """A scripted expert as an rsl_rl model config (``class_name`` and its arguments) that acts from the task's
    ``critic`` group: the teacher ``--teacher expert`` names for DAgger and behaviour cloning."""


def _discover() -> dict[str, TaskSpec]:
    tasks: dict[str, TaskSpec] = {}
    for ep in entry_points(group="robot_ac.tasks"):
        try:
            provided = ep.load()
        except ImportError as exc:
            raise RobotAcError(
                f"tasks from '{ep.value}' could not be imported ({exc}); install the simulation extra: "
                "`pip install -e '.[sim]'` (or run ./scripts/setup.sh)"
            ) from exc
        for spec in provided:
            for key in (spec.name, spec.gym_id):
                if key in tasks:
                    raise RobotAcError(f"task '{key}' is registered twice (by '{ep.value}')")
                tasks[key] = spec
    return tasks


def all_tasks() -> list[TaskSpec]:
    """Every registered task once, sorted by name."""
    unique = {spec.name: spec for spec in _discover().values()}
    return [unique[name] for name in sorted(unique)]


def get_task(name: str) -> TaskSpec:
    """Look a task up by CLI name or gym id; the error lists the valid names."""
    tasks = _discover()
    if name not in tasks:
        names = ", ".join(spec.name for spec in all_tasks()) or "(none: is the `sim` package installed?)"
        raise RobotAcError(f"unknown task '{name}'; available tasks: {names}")
    return tasks[name]
