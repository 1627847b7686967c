"""Per-rank settings for torchrun, atomic writes, run directories and the offline-asset guard."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from robot_ac._atomic import atomic_write_text
from robot_ac.config import PpoConfig
from robot_ac.errors import RobotAcError
from robot_ac.runners import RunDirectory, find_checkpoint, resolve_distributed
from robot_ac.training import merge_ppo


def _torchrun_env(rank: int, local_rank: int, world: int) -> dict[str, str]:
    return {"RANK": str(rank), "LOCAL_RANK": str(local_rank), "WORLD_SIZE": str(world)}


def test_each_rank_gets_its_gpu_and_seed():
    contexts = [resolve_distributed(True, "cuda:0", 42, _torchrun_env(r, r % 2, 4)) for r in range(4)]
    assert [c.device for c in contexts] == ["cuda:0", "cuda:1", "cuda:0", "cuda:1"]
    assert [c.seed for c in contexts] == [42, 43, 44, 45]
    assert [c.is_main for c in contexts] == [True, False, False, False]
    assert {c.world_size for c in contexts} == {4}


def test_single_process_keeps_device_and_seed():
    context = resolve_distributed(False, "cpu", 7, {})
    assert (context.rank, context.world_size, context.device, context.seed, context.is_main) == (0, 1, "cpu", 7, True)


@pytest.mark.parametrize(
    ("environ", "device", "message"),
    [
        ({"RANK": "0", "LOCAL_RANK": "0"}, "cuda:0", "['WORLD_SIZE']"),
        (_torchrun_env(3, 0, 2), "cuda:0", "inconsistent torchrun ranks"),
        (_torchrun_env(0, 0, 2), "cpu", "needs --device cuda"),
    ],
)
def test_bad_distributed_launch(environ, device, message):
    with pytest.raises(RobotAcError, match=message.replace("[", r"\[").replace("]", r"\]")):
        resolve_distributed(True, device, 0, environ)


def test_atomic_write_keeps_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "report.json"
    atomic_write_text(target, "old")

    def failing_write(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    from robot_ac._atomic import atomic_write

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, failing_write)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_run_directories_never_collide(tmp_path):
    first = RunDirectory.create(tmp_path, "cartpole")
    second = RunDirectory.create(tmp_path, "cartpole")
    assert first.path != second.path
    assert first.checkpoints.is_dir() and second.checkpoints.is_dir()


def test_find_checkpoint_picks_highest_iteration(tmp_path):
    run = RunDirectory.create(tmp_path, "cartpole")
    for it in (2, 10, 9):
        (run.checkpoints / f"model_{it}.pt").write_bytes(b"x")
    assert find_checkpoint(run.path).name == "model_10.pt"


def test_cli_ppo_flags_override_only_what_was_set():
    task_defaults = PpoConfig(num_steps_per_env=24, actor_hidden_dims=(64, 64))
    merged = merge_ppo(task_defaults, PpoConfig(learning_rate=3e-4))
    assert merged.learning_rate == 3e-4
    assert merged.num_steps_per_env == 24 and merged.actor_hidden_dims == (64, 64)


@dataclass
class _Spawn:
    usd_path: str = ""


@dataclass
class _Scene:
    robot: _Spawn = field(default_factory=_Spawn)
    extras: dict = field(default_factory=dict)


@pytest.mark.sim
def test_asset_urls_are_refused_before_the_simulator_starts(tmp_path):
    from sim.bootstrap import check_local_assets

    local = tmp_path / "robot.usda"
    local.write_text("#usda 1.0\n")
    check_local_assets(_Scene(robot=_Spawn(str(local))))
    with pytest.raises(RobotAcError, match=r"cfg.robot.usd_path = 'https://.*' is a URL"):
        check_local_assets(_Scene(robot=_Spawn("https://omniverse-content.s3.amazonaws.com/robot.usd")))
    with pytest.raises(RobotAcError, match=r"cfg.extras.texture = 'omniverse://"):
        check_local_assets(_Scene(robot=_Spawn(str(local)), extras={"texture": "omniverse://host/a.png"}))
    with pytest.raises(RobotAcError, match="no such file"):
        check_local_assets(_Scene(robot=_Spawn(str(tmp_path / "missing.usd"))))


def test_every_algorithm_the_cli_offers_has_one_runner_builder():
    """`--algo`'s choices and the runner factory's registry are the same names: the factory is the only place an
    algorithm name is looked at, so an algorithm missing from it could be chosen but not trained."""
    from typing import get_args

    from robot_ac.config import Algorithm
    from robot_ac.runners.factory import ALGORITHMS, algorithm, teacher_algorithms

    assert set(get_args(Algorithm)) == set(ALGORITHMS)
    assert teacher_algorithms() == ["aacd", "dagger", "bc"]
    with pytest.raises(RobotAcError, match="unknown algorithm 'sac'; available: ppo, aacd"):
        algorithm("sac")


def test_run_directory_names_its_files_and_finds_a_checkpoints_run(tmp_path):
    run = RunDirectory.create(tmp_path, "cartpole", "x")
    checkpoint = run.checkpoints / "model_3.pt"
    assert RunDirectory.of_checkpoint(checkpoint) == run
    assert RunDirectory.of_checkpoint(tmp_path / "loose" / "model.pt").path == tmp_path / "loose"
    names = {path.name for path in (run.config_json, run.interface_json, run.teacher_json, run.summary_json,
                                    run.recorded_observations, run.metrics_csv, run.training_png, run.export_dir)}
    assert len(names) == 8


def test_dagger_dataset_keeps_the_newest_transitions(monkeypatch):
    import torch

    from robot_ac.runners import distillation

    monkeypatch.setattr(distillation, "DATASET_CAPACITY", 5)
    dataset = distillation.AggregatedDistillation.__new__(distillation.AggregatedDistillation)
    dataset.device = "cpu"
    dataset._aggregate({"policy": torch.arange(3.0)[:, None]}, torch.arange(3.0)[:, None] * 10)
    assert dataset._size == 3
    dataset._aggregate({"policy": torch.arange(3.0, 7.0)[:, None]}, torch.arange(3.0, 7.0)[:, None] * 10)
    assert dataset._size == 5, "full: the oldest transitions make room"
    assert sorted(dataset._observations["policy"].flatten().tolist()) == [2.0, 3.0, 4.0, 5.0, 6.0]
    assert torch.equal(dataset._actions, dataset._observations["policy"] * 10), "labels stay with their states"


def test_dagger_fits_only_the_states_its_teacher_labels():
    """A teacher's NaN action leaves a state unlabelled: DAgger neither fits it nor normalises by it, and behaviour
    cloning lets the student act there instead of sending NaN to the env."""
    import torch
    from rsl_rl.models import MLPModel
    from rsl_rl.storage import RolloutStorage
    from tensordict import TensorDict

    from robot_ac.runners.distillation import AggregatedDistillation, BehaviourCloning
    from sim.scripted_expert import ScriptedExpertModel

    class LabelsNonPositive(ScriptedExpertModel):
        def forward(self, obs, masks=None, hidden_state=None, stochastic_output=False):
            state = self.state(obs)
            return torch.where(state[:, :1] > 0, torch.nan, 2 * state)

    def observations():
        return TensorDict({"policy": torch.randn(16, 2)}, batch_size=[16])

    groups = {"student": ["policy"], "teacher": ["policy"]}
    for algorithm in (AggregatedDistillation, BehaviourCloning):
        torch.manual_seed(0)
        obs = observations()
        student = MLPModel(obs, groups, "student", 2, hidden_dims=[8], obs_normalization=True,
                           distribution_cfg={"class_name": "GaussianDistribution", "init_std": 0.05})
        teacher = LabelsNonPositive(groups, "teacher", 2, expected_dim=2)
        alg = algorithm(student, teacher, RolloutStorage("distillation", 16, 3, obs, [2], "cpu"), num_learning_epochs=1,
                        gradient_length=1)
        seen = []
        for _ in range(3):
            obs = observations()
            seen.append(obs["policy"])
            actions = alg.act(obs)
            assert torch.isfinite(actions).all(), f"{algorithm.__name__} acts where the teacher gives no label"
            alg.process_env_step(obs, torch.zeros(16), torch.zeros(16), {})
        seen = torch.cat(seen)
        losses = alg.update()
        labelled = seen[seen[:, 0] <= 0]
        assert alg._size == len(labelled) and losses["labelled_share"] == len(labelled) / len(seen)
        assert torch.equal(alg._actions[:alg._size], 2 * alg._observations["policy"][:alg._size])
        assert (alg._observations["policy"][:alg._size, 0] <= 0).all()
        torch.testing.assert_close(student.obs_normalizer.mean, labelled.mean(dim=0))
        assert all(torch.isfinite(p).all() for p in student.parameters())
