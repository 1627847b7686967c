"""Re-simulation of a robot log on the Isaac Lab cartpole: a 'real' robot whose actuator gives 80% of the commanded
force is recognised (gain fit within 10%); with a matching actuator the re-simulated trajectory follows the log."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from robot_ac.deploy import load_hardware_config
from robot_ac.replay import read_robot_log
from tests.test_replay import write_bag

pytestmark = pytest.mark.sim
CONFIG = Path(__file__).resolve().parents[1] / "hardware_configs" / "cartpole_sim.yaml"


def record_real_robot(actuator_gain: float, steps: int = 90):
    """The 'robot': the simulated cartpole, but its actuator delivers ``actuator_gain`` x the commanded force."""
    from sim.sim_robot import CartpoleSimRobot

    robot = CartpoleSimRobot(seed=5)
    try:
        events = [(0.0005, "diagnostics", "policy: test")]
        t = 0.001
        for k in range(steps):
            names, position, velocity = robot.joint_state()
            events.append((t, "joint_state", (names, position, velocity)))
            effort = 6.0 * np.sin(0.35 * k) + 3.0 * np.cos(1.3 * k)
            events.append((t + 0.0005, "command", [effort]))
            robot.set_command(["slider_to_cart"], [actuator_gain * effort])
            robot.step()
            t += robot.control_period_s
        assert robot.resets == 0
        return events
    finally:
        robot.close()


def _resimulate(tmp_path, actuator_gain):
    from sim.resim import resimulate
    from sim.sim_robot import CartpoleSimRobot

    config = load_hardware_config(CONFIG)
    write_bag(tmp_path / f"bag_{actuator_gain}", config, record_real_robot(actuator_gain))
    log = read_robot_log(tmp_path / f"bag_{actuator_gain}", config, config.command_joints)
    robot = CartpoleSimRobot(seed=0)
    try:
        return resimulate(log, robot)
    finally:
        robot.close()


def test_resimulation_finds_the_actuator_gain(tmp_path):
    matching, weak = _resimulate(tmp_path, 1.0), _resimulate(tmp_path, 0.8)
    for result, gain in ((matching, 1.0), (weak, 0.8)):
        assert result.gain_samples > 80
        assert result.actuator_gain == pytest.approx(gain, rel=0.1)
    cart = matching.joint_names.index("slider_to_cart")
    rmse_matching = matching.summary()["per_joint"]["slider_to_cart"]["rmse"]
    rmse_weak = weak.summary()["per_joint"]["slider_to_cart"]["rmse"]
    assert rmse_matching < 0.02 * np.ptp(matching.real[:, cart]), "same actuator: the re-simulation follows the log"
    assert rmse_weak > 3 * rmse_matching, "a weaker actuator: the re-simulated cart parts from the log"


def test_replay_cli_reports_the_resimulation(tmp_path, cli):
    """The closed loop of a real deployment is not needed: a log of the simulated robot under a synthetic policy."""
    import json

    from robot_ac.export.manifest import load_manifest
    from sim.tasks import CARTPOLE_TASK
    from tests.deploy_helpers import write_linear_export

    config = load_hardware_config(CONFIG)
    write_linear_export(tmp_path / "export", CARTPOLE_TASK.interface)
    assert load_manifest(tmp_path / "export" / "manifest.json").interface.task == "cartpole"
    write_bag(tmp_path / "bag", config, record_real_robot(0.8, steps=40))
    code, out, err = cli(["replay", str(tmp_path / "bag"), "--config", str(CONFIG), "--policy",
                          str(tmp_path / "export"), "--resim", "--out", str(tmp_path / "report")])
    assert code == 0, err
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert summary["resimulation"]["actuator_gain"] == pytest.approx(0.8, rel=0.1)
    assert "actuator gain" in out
