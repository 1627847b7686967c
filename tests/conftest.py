"""Shared fixtures. Simulation tests run Isaac Lab kit-less on Newton, on the CPU, with 4-64 envs."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import pytest

# Warp compiles kernels on first use; a fixed cache folder makes every later run warm.
os.environ.setdefault("WARP_CACHE_PATH", str(Path.home() / ".cache" / "robot-ac" / "warp"))
# ROS 2: a DDS domain of this test run's own, discovery kept on this machine.
os.environ.setdefault("ROS_DOMAIN_ID", str(random.SystemRandom().randint(1, 100)))
if "PYTEST_XDIST_WORKER" in os.environ:
    # pytest-xdist's workers inherit the run's domain: each moves to its own next to it, so two workers' nodes never
    # hear each other.
    _worker = int(os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw"))
    os.environ["ROS_DOMAIN_ID"] = str(1 + (int(os.environ["ROS_DOMAIN_ID"]) - 1 + _worker) % 100)
    # One torch thread per worker, one worker per core: a second thread would wait on the other worker's core
    # (measured: Symphony's point-mass test took 168 s with two threads beside other work, 49 s with one).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="robot-ac-ros-logs-"))


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        _group_by_module(items)
    _skip_gpu_tests(items)


def _group_by_module(items: list[pytest.Item]) -> None:
    """Under pytest-xdist with ``--dist loadgroup`` (README, Quick start) a module's tests stay on one worker, so
    its module-scoped fixtures are built once, unless the module sets ``SPREAD_OVER_WORKERS = True`` (independent,
    long tests, each of which may go to either worker)."""
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and not getattr(module, "SPREAD_OVER_WORKERS", False):
            item.add_marker(pytest.mark.xdist_group(module.__name__))


def _skip_gpu_tests(items: list[pytest.Item]) -> None:
    """Tests marked ``gpu`` skip, with the reason, where no CUDA device is usable (`pytest -m gpu` runs them)."""
    if not any(item.get_closest_marker("gpu") for item in items):
        return
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (torch.cuda.is_available() is False here)")
    for item in items:
        if item.get_closest_marker("gpu"):
            item.add_marker(skip)


@pytest.fixture
def ros_context():
    """A private rclpy context for one test (initialised, shut down afterwards)."""
    import rclpy

    context = rclpy.Context()
    rclpy.init(context=context)
    yield context
    rclpy.try_shutdown(context=context)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """``cli([...])`` runs `robot-ac ...` in this process and returns (exit code, stdout, stderr)."""
    from robot_ac.cli import main

    def run(args: list[str]) -> tuple[int, str, str]:
        try:
            code = main(args)
        except SystemExit as exc:  # tyro exits on --help and argument errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture(scope="session")
def trained_cartpole(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One short PPO run on cartpole (the library's train(), with export), shared by the learning, export and play
    tests."""
    from robot_ac.config import TrainOptions
    from robot_ac.training import train

    root = tmp_path_factory.mktemp("runs")
    run = train(TrainOptions(task="cartpole", num_envs=512, max_iterations=40, seed=1, run_root=root,
                             save_interval=10, export=True))
    assert run is not None and run.path.parent == root / "cartpole"
    return run.path
