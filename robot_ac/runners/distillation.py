"""Student-teacher baselines next to AACD: DAgger and behaviour cloning, on rsl_rl's distillation.

Both fit the student actor (``policy`` group) to the teacher's actions (the teacher actor reads the privileged
``critic`` group, which must be what it was trained on) by regression:

* DAgger (``--algo dagger``): the student acts, the teacher labels the states the student visits, and the student
  is fitted to all of them (:class:`AggregatedDistillation`);
* behaviour cloning (``--algo bc``): the teacher acts, the student learns from the teacher's own states. The
  returns in the learning curve are then the teacher's; judge the student with ``robot-ac eval``.

A teacher may leave a state unlabelled (its action NaN) where it does not know what to do: a local controller past
its region of attraction, say. Such states are not fitted; where the teacher would act in one, the student does.

Checkpoints hold the student as ``actor_state_dict``, so export, play and eval work as for PPO.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch
from rsl_rl.algorithms import Distillation
from rsl_rl.runners import DistillationRunner
from tensordict import TensorDict

from robot_ac.errors import RobotAcError
from robot_ac.runners.checkpoints import find_checkpoint, load_checkpoint
from robot_ac.runners.on_policy import RobotAcOnPolicyRunner


class AggregatedDistillation(Distillation):
    """DAgger as its paper has it: the student is fitted to every labelled state seen so far (the aggregated
    dataset, the newest ``DATASET_CAPACITY`` transitions), in minibatches drawn from it, not to the last rollout only
    (rsl_rl's ``Distillation``). Fitted to the last rollout alone, a student learns the episodes that are still
    running (their per-episode fixture estimate error, say) and succeeds in training far more than it does when
    evaluated: on franka-peg-place-force-field 0.98 in training against 0.72 evaluated after 130k steps. A recurrent
    student keeps rsl_rl's update (it needs whole sequences). The dataset is not kept in checkpoints: a resumed run
    aggregates anew."""

    def update(self) -> dict[str, float]:
        if self.student.is_recurrent:
            return super().update()
        self.num_updates += 1
        groups = self.student.obs_groups
        labels = self.storage.privileged_actions.flatten(0, 1)
        labelled = torch.isfinite(labels).all(dim=-1)
        observations = self.storage.observations.flatten(0, 1)[labelled]
        self._aggregate({g: observations[g] for g in groups}, labels[labelled])
        rollout = int(labelled.sum())
        steps = max(1, REPLAYS_PER_TRANSITION * self.num_learning_epochs * rollout // BATCH_SIZE) if self._size else 0
        total = 0.0
        for _ in range(steps):
            index = torch.randint(0, self._size, (BATCH_SIZE,), device=self.device)
            batch = TensorDict({g: self._observations[g][index] for g in groups}, batch_size=[BATCH_SIZE])
            loss = self.loss_fn(self.student(batch), self._actions[index])
            self.optimizer.zero_grad()
            loss.backward()
            if self.is_multi_gpu:
                self.reduce_parameters()
            if self.max_grad_norm:
                torch.nn.utils.clip_grad_norm_(self.student.parameters(), self.max_grad_norm)
            self.optimizer.step()
            total += loss.item()
        if rollout:
            self.student.update_normalization(observations)  # type: ignore[arg-type]
        self.storage.clear()
        return {"behavior": total / steps if steps else float("nan"), "labelled_share": rollout / len(labels)}

    def act(self, obs: TensorDict) -> torch.Tensor:
        actions = super().act(obs)
        if self.student.is_recurrent:
            # rsl_rl's recurrent update fits every step of the rollout: an unlabelled step is its own target there.
            labels = self.transition.privileged_actions
            unlabelled = ~torch.isfinite(labels).all(dim=-1)
            labels[unlabelled] = actions[unlabelled]
        return actions

    def _aggregate(self, observations: dict[str, torch.Tensor], actions: torch.Tensor) -> None:
        """Write the rollout into the ring buffer (allocated at the first rollout)."""
        if not hasattr(self, "_actions"):
            self._observations = {g: torch.zeros(DATASET_CAPACITY, *o.shape[1:], device=self.device)
                                  for g, o in observations.items()}
            self._actions = torch.zeros(DATASET_CAPACITY, *actions.shape[1:], device=self.device)
            self._size = self._next = 0
        count = len(actions)
        index = (self._next + torch.arange(count, device=self.device)) % DATASET_CAPACITY
        for group, values in observations.items():
            self._observations[group][index] = values.detach()
        self._actions[index] = actions.detach()
        self._next = (self._next + count) % DATASET_CAPACITY
        self._size = min(self._size + count, DATASET_CAPACITY)


class BehaviourCloning(AggregatedDistillation):
    """Distillation with the teacher acting: behaviour cloning on the teacher's state distribution (aggregated)."""

    def act(self, obs: TensorDict) -> torch.Tensor:
        student = super().act(obs)
        labels = self.transition.privileged_actions
        return torch.where(torch.isfinite(labels), labels, student)  # type: ignore[arg-type]


ALGORITHMS = {"dagger": "robot_ac.runners.distillation:AggregatedDistillation",
              "bc": "robot_ac.runners.distillation:BehaviourCloning"}
DATASET_CAPACITY = 100_000
"""Labelled transitions the aggregated dataset keeps (about 20 min of a 32-env peg run on a 2-core CPU)."""
BATCH_SIZE = 256
REPLAYS_PER_TRANSITION = 1
"""Gradient steps per update: each new transition's worth, times the learning epochs, times this (the dataset is
mostly old transitions, so each new one is drawn about ``epochs x this x new share`` times)."""
LEARNING_EPOCHS = 5
STUDENT_NOISE_STD = 0.05
"""Standard deviation of the acting student's Gaussian (DAgger's exploration), in action units."""


EXPERT = "expert"
"""``--teacher expert``: the task's scripted expert (:attr:`robot_ac.tasks.TaskSpec.expert_teacher`)."""


def is_expert(teacher: Path | str | None) -> bool:
    return teacher is not None and str(teacher) == EXPERT


def teacher_model_cfg(teacher: Path, expert: dict[str, Any] | None, task: str) -> dict[str, Any]:
    """The rsl_rl model config of ``--teacher``: the task's scripted expert, or the actor of a PPO run."""
    if is_expert(teacher):
        if expert is None:
            raise RobotAcError(f"--teacher expert: task '{task}' has no scripted expert; give a PPO run instead")
        return copy.deepcopy(expert)
    train_cfg = load_checkpoint(find_checkpoint(teacher))["infos"]["train_cfg"]
    if "actor" not in train_cfg or train_cfg.get("algorithm", {}).get("class_name") != "PPO":
        raise RobotAcError(f"teacher '{teacher}' must be a PPO run (its actor labels the student's actions)")
    return copy.deepcopy(train_cfg["actor"])


def distillation_train_cfg(algo: str, student: dict[str, Any], teacher: dict[str, Any], *, seed: int,
                           device: str, num_steps_per_env: int, save_interval: int, learning_rate: float,
                           experiment_name: str, teacher_group: str = "critic") -> dict[str, Any]:
    """rsl_rl's DistillationRunner config: the student as our PPO actor config (acting with a small, fixed noise:
    regression does not train its spread), the teacher model config (:func:`teacher_model_cfg`) reading
    ``teacher_group`` (the privileged ``critic`` group; ``policy`` where a task has no other)."""
    student = copy.deepcopy(student)
    student["distribution_cfg"]["init_std"] = STUDENT_NOISE_STD
    return {
        "seed": seed, "device": device, "num_steps_per_env": num_steps_per_env, "save_interval": save_interval,
        "experiment_name": experiment_name, "run_name": "", "logger": "tensorboard", "check_for_nan": True,
        "obs_groups": {"student": ["policy"], "teacher": [teacher_group]},
        "student": student, "teacher": copy.deepcopy(teacher),
        # An MLP student takes a gradient step per stored time step; a recurrent one back-propagates through the
        # whole rollout.
        "algorithm": {"class_name": ALGORITHMS[algo], "num_learning_epochs": LEARNING_EPOCHS,
                      "gradient_length": num_steps_per_env if student["class_name"] == "RNNModel" else 1,
                      "learning_rate": learning_rate, "max_grad_norm": 1.0, "loss_type": "mse", "rnd_cfg": None,
                      "symmetry_cfg": None},
    }


def export_view(train_cfg: dict[str, Any]) -> dict[str, Any]:
    """What checkpoints record as ``train_cfg``: the student under the names export rebuilds an actor from."""
    view = copy.deepcopy(train_cfg)
    view["actor"] = view["student"]
    view["obs_groups"] = {**view["obs_groups"], "actor": view["obs_groups"]["student"]}
    return view


class RobotAcDistillationRunner(RobotAcOnPolicyRunner, DistillationRunner):
    """Our run directory, logging and atomic checkpoints around rsl_rl's distillation loop."""

    def load_teacher(self, teacher: Path | str) -> dict[str, Any]:
        """Load the teacher's actor (a scripted expert has nothing to load); what the student's run records about
        it."""
        if is_expert(teacher):
            self.alg.teacher_loaded = True
            return {"checkpoint": None, "expert": self.cfg["teacher"]["class_name"],
                    "task": self.checkpoint_infos["interface"]["task"], "iteration": None}
        path = find_checkpoint(teacher)
        state = load_checkpoint(path)
        try:
            self.alg.load({"actor_state_dict": state["actor_state_dict"]}, None, strict=True)
        except RuntimeError as exc:
            raise RobotAcError(f"teacher '{path}': its actor does not fit this task's 'critic' group and the "
                               f"teacher's network ({exc})") from exc
        return {"checkpoint": str(path.resolve()), "task": state["infos"]["interface"]["task"],
                "iteration": int(state["iter"])}

    def _algorithm_state(self) -> dict[str, Any]:
        state = self.alg.save()
        return {"actor_state_dict": state["student_state_dict"], "critic_state_dict": {},
                "teacher_state_dict": state["teacher_state_dict"],
                "optimizer_state_dict": state["optimizer_state_dict"]}

    def _restore_algorithm(self, path: str, state: dict[str, Any], load_cfg: dict | None, strict: bool) -> None:
        if "teacher_state_dict" not in state:
            raise RobotAcError(f"checkpoint '{path}' is not a distillation run (no teacher in it)")
        teacher = state["teacher_state_dict"]
        # A scripted expert has no parameters: nothing to load (rsl_rl would look for a PPO actor instead).
        load_cfg = load_cfg or {"student": True, "teacher": bool(teacher), "optimizer": True, "iteration": True}
        self.alg.load({"student_state_dict": state["actor_state_dict"], "teacher_state_dict": teacher,
                       "optimizer_state_dict": state["optimizer_state_dict"]}, load_cfg, strict)
        self.alg.teacher_loaded = True
