"""The one place an algorithm name is looked at: ``TrainOptions.algo`` -> a runner.

Every runner has the same shape (:class:`robot_ac.runners.runner.Runner`): ``learn / save / load / summary``, the
config it records and the infos its checkpoints carry. Adding an algorithm is one builder (a few lines here, or a file of its own) plus one
line in :data:`ALGORITHMS`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from robot_ac.contract.tactile import TactileLayout
from robot_ac.errors import RobotAcError
from robot_ac.runners.runner import Runner

if TYPE_CHECKING:
    from robot_ac.config import PpoConfig, TrainOptions
    from robot_ac.runners.distributed import DistributedContext
    from robot_ac.runners.run_dir import RunDirectory
    from robot_ac.tasks import TaskSpec


@dataclass(frozen=True)
class RunnerRequest:
    """Everything a builder gets: the options, the task, the env and where to write."""

    options: TrainOptions
    spec: TaskSpec
    ppo: PpoConfig
    """The task's PPO defaults merged with the options' changes."""
    env: Any
    run: RunDirectory | None
    """None on non-main ranks."""
    ctx: DistributedContext
    obs_dims: dict[str, int]
    """Width of each observation group the env produces."""
    resuming: bool

    def checkpoint_infos(self, train_cfg: dict[str, Any]) -> dict[str, Any]:
        return {"interface": self.spec.interface.to_dict(), "train_cfg": copy.deepcopy(train_cfg),
                "obs_dims": self.obs_dims}


@dataclass(frozen=True)
class Algorithm:
    build: Callable[[RunnerRequest], Runner]
    needs_teacher: bool = False
    """Learns from ``--teacher`` (a PPO run on the task's privileged state)."""
    distributed_on_cpu: bool = False
    """Data-parallel ranks may run on the CPU (gloo) instead of one GPU each."""


def _rsl_rl_cfg(request: RunnerRequest) -> dict[str, Any]:
    """rsl_rl's train_cfg for the task; the tactile CNN student as actor where the task reads tactile images."""
    options = request.options
    if request.ppo.uses_symmetry and request.spec.symmetry is None:
        raise RobotAcError(f"task '{request.spec.name}' defines no left/right mirror; --ppo.symmetry-augmentation "
                           "and --ppo.mirror-loss-coef need one (TaskSpec.symmetry)")
    rsl = request.ppo.to_rsl_rl(seed=request.ctx.seed, device=request.ctx.device,
                                save_interval=options.save_interval, experiment_name=request.spec.name,
                                critic_groups=("critic",) if "critic" in request.obs_dims else ("policy",),
                                mirror=request.spec.symmetry)
    layout = TactileLayout.of(request.spec.interface)
    if layout is not None and request.ppo.actor_rnn != "none":
        raise RobotAcError(f"task '{request.spec.name}': a recurrent actor (--ppo.actor-rnn) takes flat "
                           "observations; the image student is a CNN (use the force-field view for a recurrent one)")
    if layout is not None:
        from robot_ac.networks.tactile_student import tactile_actor_cfg

        rsl["actor"] = tactile_actor_cfg(rsl["actor"], layout)
    return rsl


def _ppo(request: RunnerRequest) -> Runner:
    from robot_ac.runners.on_policy import RobotAcOnPolicyRunner

    rsl = _rsl_rl_cfg(request)
    options = request.options
    runner = RobotAcOnPolicyRunner(request.env, copy.deepcopy(rsl), request.run, request.ctx.device,
                                   request.checkpoint_infos(rsl), settings={"ppo": asdict(request.ppo), "rsl_rl": rsl},
                                   verbose=options.verbose, critic_warmup_iterations=options.critic_warmup_iterations)
    if options.init_actor is not None and not request.resuming:
        runner.checkpoint_infos["initial_actor"] = runner.load_initial_actor(options.init_actor)
    return runner


def _aacd(request: RunnerRequest) -> Runner:
    from robot_ac.algorithms.aacd import hand_over_critic, set_critic_frozen
    from robot_ac.runners.distillation import is_expert

    if is_expert(request.options.teacher):
        raise RobotAcError("--algo aacd hands over a trained critic, which the scripted expert does not have: "
                           "distil the expert first (--algo bc/dagger --teacher expert), fine-tune that with PPO "
                           "(--init-actor), and give that run as --teacher")

    runner = _ppo(request)
    freeze = request.options.aacd.freeze_critic
    if request.resuming:  # the checkpoint holds the student's critic; only its frozen state is re-applied
        set_critic_frozen(runner.alg.critic, freeze)
    else:
        runner.checkpoint_infos["teacher"] = hand_over_critic(runner.alg.critic, request.options.teacher, freeze)
        print(f"critic handed over from teacher {runner.checkpoint_infos['teacher']['checkpoint']} "
              f"({'frozen' if freeze else 'fine-tuned'})")
    return runner


def _distillation(request: RunnerRequest) -> Runner:
    from robot_ac.runners.distillation import (RobotAcDistillationRunner, distillation_train_cfg, export_view,
                                               teacher_model_cfg)

    options, ppo = request.options, request.ppo
    teacher = teacher_model_cfg(options.teacher, request.spec.expert_teacher, request.spec.name)
    cfg = distillation_train_cfg(options.algo, _rsl_rl_cfg(request)["actor"], teacher, seed=request.ctx.seed,
                                 device=request.ctx.device, num_steps_per_env=ppo.num_steps_per_env,
                                 save_interval=options.save_interval, learning_rate=ppo.learning_rate,
                                 experiment_name=request.spec.name,
                                 teacher_group="critic" if "critic" in request.obs_dims else "policy")
    runner = RobotAcDistillationRunner(request.env, copy.deepcopy(cfg), request.run, request.ctx.device,
                                       request.checkpoint_infos(export_view(cfg)),
                                       settings={"ppo": asdict(ppo), "rsl_rl": cfg}, verbose=options.verbose)
    if not request.resuming:
        runner.checkpoint_infos["teacher"] = runner.load_teacher(options.teacher)
    return runner


def _symphony(request: RunnerRequest) -> Runner:
    from robot_ac.runners.off_policy import OffPolicyRunner, symphony_train_cfg

    cfg = request.options.symphony
    return OffPolicyRunner(request.env, cfg, request.run, request.ctx.device,
                           request.checkpoint_infos(symphony_train_cfg(cfg)),
                           save_interval=request.options.save_interval, world_size=request.ctx.world_size)


ALGORITHMS: dict[str, Algorithm] = {
    "ppo": Algorithm(_ppo),
    "aacd": Algorithm(_aacd, needs_teacher=True),
    "dagger": Algorithm(_distillation, needs_teacher=True),
    "bc": Algorithm(_distillation, needs_teacher=True),
    "symphony": Algorithm(_symphony, distributed_on_cpu=True),
}
"""``--algo`` name -> how to build its runner (the names are :data:`robot_ac.config.Algorithm`)."""


def algorithm(name: str) -> Algorithm:
    if name not in ALGORITHMS:
        raise RobotAcError(f"unknown algorithm '{name}'; available: {', '.join(ALGORITHMS)}")
    return ALGORITHMS[name]


def teacher_algorithms() -> list[str]:
    return [name for name, entry in ALGORITHMS.items() if entry.needs_teacher]


def make_runner(request: RunnerRequest) -> Runner:
    return algorithm(request.options.algo).build(request)
