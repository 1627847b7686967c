"""Re-simulation of a robot log on the Isaac Lab cartpole: a 'real' robot whose actuator gives 80% of the commanded
force, late and against friction, is recognised (gain within 10%, delay exact, friction within 20%); with a matching
actuator the re-simulated trajectory follows the log, and the fitted actuator closes most of the gap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from robot_ac.deploy import load_hardware_config
from robot_ac.replay import read_robot_log
from tests.test_replay import write_bag

pytestmark = pytest.mark.sim
CONFIG = Path(__file__).resolve().parents[1] / "hardware_configs" / "cartpole_sim.yaml"


def record_real_robot(actuator_gain: float, steps: int = 90, delay_ticks: int = 0, friction: float = 0.0,
                      sensor_noise: float = 0.0):
    """The 'robot': the simulated cartpole, but its actuator delivers ``actuator_gain`` x the force commanded
    ``delay_ticks`` control periods earlier, minus Coulomb friction ``friction`` (N) against the cart's motion; its
    logged joint states carry Gaussian noise of ``sensor_noise`` (m or rad, and 10x that per second)."""
    from sim.sim_robot import CartpoleSimRobot

    robot = CartpoleSimRobot(seed=5)
    try:
        events = [(0.0005, "diagnostics", "policy: test")]
        t = 0.001
        efforts = [6.0 * np.sin(0.35 * k) + 3.0 * np.cos(1.3 * k) for k in range(steps)]
        cart = robot.joint_names.index("slider_to_cart")
        noise = np.random.default_rng(7)
        for k in range(steps):
            names, position, velocity = robot.joint_state()
            logged = (np.asarray(position) + noise.normal(0, sensor_noise, len(position)),
                      np.asarray(velocity) + noise.normal(0, 10 * sensor_noise, len(velocity)))
            events.append((t, "joint_state", (names, *(list(v) for v in logged))))
            events.append((t + 0.0005, "command", [efforts[k]]))
            delivered = actuator_gain * efforts[max(k - delay_ticks, 0)] - friction * np.sign(velocity[cart])
            robot.set_command(["slider_to_cart"], [delivered])
            robot.step()
            t += robot.control_period_s
        assert robot.resets == 0
        return events
    finally:
        robot.close()


def _resimulate(tmp_path, actuator_gain, **actuator):
    from sim.resim import resimulate
    from sim.sim_robot import CartpoleSimRobot

    config = load_hardware_config(CONFIG)
    bag = tmp_path / f"bag_{actuator_gain}_{len(list(tmp_path.iterdir()))}"
    write_bag(bag, config, record_real_robot(actuator_gain, **actuator))
    log = read_robot_log(bag, config, config.command_joints)
    robot = CartpoleSimRobot(seed=0)
    try:
        return resimulate(log, robot)
    finally:
        robot.close()


def test_resimulation_finds_the_actuator_gain(tmp_path):
    matching, weak = _resimulate(tmp_path, 1.0), _resimulate(tmp_path, 0.8)
    for result, gain in ((matching, 1.0), (weak, 0.8)):
        assert result.fit_samples > 80 and result.delay_ticks == 0
        assert result.actuator_gain == pytest.approx(gain, rel=0.1)
        assert abs(result.actuators["slider_to_cart"].coulomb_friction) < 0.1
    cart = matching.joint_names.index("slider_to_cart")
    rmse_matching = matching.summary()["per_joint"]["slider_to_cart"]["rmse"]
    rmse_weak = weak.summary()["per_joint"]["slider_to_cart"]["rmse"]
    assert rmse_matching < 0.02 * np.ptp(matching.real[:, cart]), "same actuator: the re-simulation follows the log"
    assert rmse_weak > 3 * rmse_matching, "a weaker actuator: the re-simulated cart parts from the log"


def test_resimulation_finds_delay_and_friction(tmp_path):
    """With encoder noise (1 mm, 1 cm/s) in the log: without it the fit is exact (same simulator on both sides)."""
    result = _resimulate(tmp_path, 0.8, delay_ticks=2, friction=1.5, sensor_noise=0.001)
    fit = result.actuators["slider_to_cart"]
    assert result.delay_ticks == 2
    assert fit.gain == pytest.approx(0.8, rel=0.1) and fit.coulomb_friction == pytest.approx(1.5, rel=0.2)
    assert fit.viscous_damping == pytest.approx(0.0, abs=0.3)
    ranges = result.domain_randomization()
    assert ranges["actuators"]["slider_to_cart"]["effort_scale"][0] < fit.gain < \
        ranges["actuators"]["slider_to_cart"]["effort_scale"][1]
    assert ranges["action_delay_ticks"] == [2, 2]
    summary = result.summary()
    before = summary["per_joint"]["slider_to_cart"]["rmse"]
    after = summary["per_joint_calibrated"]["slider_to_cart"]["rmse"]
    assert after < 0.3 * before, "the fitted actuator in the loop closes most of the trajectory gap"


def test_replay_cli_reports_the_resimulation(tmp_path, cli):
    """The closed loop of a real deployment is not needed: a log of the simulated robot under a synthetic policy."""
    import json

    from robot_ac.contract.manifest import load_manifest
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
    assert "effort_scale" in summary["resimulation"]["domain_randomization"]["actuators"]["slider_to_cart"]
    assert "actuator gain" in out and "delay 0 ticks" in out
    for name in ("resimulation.png", "error_histogram.png"):
        assert (tmp_path / "report" / name).read_bytes()[:4] == b"\x89PNG"
