"""The ``humanoid-walk`` task: its asset (sim/assets/humanoid), the robot config and the environment.

* The asset: the committed files are exactly what ``scripts/make_humanoid_asset.py`` produces; MuJoCo loads the
  MJCF as the robot alone; the joint table of ``sim.robots.humanoid`` matches Newton's source file.
* Physics (Isaac Lab kit-less, Newton MuJoCo-Warp, CPU): the USD loads as 13 bodies and 21 DOFs with the source's
  mass and no floor body; holding its default pose, the robot first stands on its soles, then topples under
  gravity and comes to rest on the ground, inside the task's contact buffers.
* The environment: observation groups match the policy interface term by term (no privileged term in ``policy``),
  steps give finite rewards, and a fallen robot terminates and is penalised; mjlab's velocity reward set is active
  with its weights over 20 s episodes, its feet sensor on the two feet, whose soles stand at height 0.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from sim.robots import humanoid
from sim.tasks.locomotion.config.humanoid import HUMANOID_WALK_TASK, NCONMAX, NJMAX
from tests.locomotion_helpers import (
    SIM_DT,
    assert_observation_groups_match,
    assert_steps_finite_and_a_fall_terminates,
    drop_and_push,
)

pytestmark = pytest.mark.sim

REPO = pathlib.Path(__file__).resolve().parents[1]
ASSET_DIR = REPO / "sim" / "assets" / "humanoid"
GENERATED = ("humanoid.xml", "humanoid.usda", "LICENSE-newton.md")
NUM_ENVS = 4


def _newton_source() -> pathlib.Path:
    import importlib.util

    package = importlib.util.find_spec("newton").submodule_search_locations[0]
    return pathlib.Path(package) / "examples" / "assets" / "nv_humanoid.xml"


# ---------------------------------------------------------------------------------------------
# Asset files
# ---------------------------------------------------------------------------------------------


def test_generator_reproduces_committed_files(tmp_path: pathlib.Path) -> None:
    """The committed asset is exactly the generator's output (and the generator is deterministic)."""
    pytest.importorskip("mujoco_usd_converter")
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_humanoid_asset.py"), "--out-dir", str(tmp_path)],
                   check=True, capture_output=True)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (ASSET_DIR / name).read_bytes(), f"{name} is stale: rerun the script"


def test_mjcf_is_the_robot_alone() -> None:
    mujoco = pytest.importorskip("mujoco")
    model = mujoco.MjModel.from_xml_path(str(ASSET_DIR / "humanoid.xml"))
    assert model.nbody == 14  # the world + 13 robot bodies
    assert sorted(model.body(i).name for i in range(1, model.nbody)) == sorted(humanoid.BODY_NAMES)
    assert model.body(1).name == "torso" and model.body(1).parentid[0] == 0
    geoms = [model.geom(i) for i in range(model.ngeom)]
    assert all(g.bodyid[0] != 0 for g in geoms), "a geom is attached to the world: the floor was not stripped"
    assert model.nu == 0 and model.nsensor == 0 and model.nsite == 0 and model.nlight == 0 and model.ncam == 0
    assert model.njnt == 22 and model.jnt_type[0] == mujoco.mjtJoint.mjJNT_FREE
    assert model.body_mass.sum() == pytest.approx(40.844, abs=1e-3)


def test_joint_table_matches_newton_source() -> None:
    """Ranges and gears in sim.robots.humanoid are those of the shipped nv_humanoid.xml, joint by joint."""
    root = ET.parse(_newton_source()).getroot()
    ranges = {j.get("name"): tuple(float(v) for v in j.get("range").split())
              for j in root.iter("joint") if j.get("range")}
    gears = {m.get("joint"): float(m.get("gear")) for m in root.iterfind("actuator/motor")}
    assert sorted(j.mjcf for j in humanoid.JOINTS) == sorted(gears) == sorted(ranges)
    for joint in humanoid.JOINTS:
        assert (joint.lower_deg, joint.upper_deg) == ranges[joint.mjcf], joint.name
        assert joint.gear == gears[joint.mjcf], joint.name


def test_usd_is_self_contained_and_small() -> None:
    Sdf = pytest.importorskip("pxr.Sdf")
    usd = ASSET_DIR / "humanoid.usda"
    assert Sdf.Layer.FindOrOpen(str(usd)).GetCompositionAssetDependencies() == []
    assert "@" not in usd.read_text()
    assert usd.stat().st_size < 200_000


def test_deploy_runtime_builds_the_policy_observation() -> None:
    """Every policy term has a (source, quantity) the robot-side ObservationBuilder supports, in the sim's layout."""
    from robot_ac.deploy.observation import ObservationBuilder

    interface = HUMANOID_WALK_TASK.interface
    builder = ObservationBuilder(interface)
    names = list(reversed(humanoid.JOINT_NAMES))  # a JointState may list joints in any order
    builder.update_joint_state(names, np.arange(len(names)) * 0.01, np.zeros(len(names)))
    builder.update_imu((0.0, 0.0, 0.0, 1.0), (0.1, 0.2, 0.3), (0.0, 0.0, 9.81))
    builder.set_goal([0.8, 0.0, 0.0])
    obs = builder.build()
    assert obs.shape == (interface.observation_size,)
    np.testing.assert_allclose(obs[:9], [0.1, 0.2, 0.3, 0.0, 0.0, -1.0, 0.8, 0.0, 0.0], atol=1e-6)
    joint_pos = obs[9:9 + len(names)]
    np.testing.assert_allclose(joint_pos, [0.01 * names.index(n) for n in humanoid.JOINT_NAMES], atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Physics: the robot alone on the task's ground, PD holding the default pose
# ---------------------------------------------------------------------------------------------

FALL_S = 4.0
PUSH_MPS = 0.3


@pytest.fixture(scope="module")
def fall():
    """4 humanoids on the task's ground, pushed forward at 0.3 m/s while the PD holds the default pose, for 4 s."""
    pytest.importorskip("isaaclab")

    def mjcf_names_of_dofs(robot, model, solver) -> dict:
        from pxr import Usd

        stage = Usd.Stage.Open(str(humanoid.HUMANOID_USD))
        labels = list(model.mujoco.joint_dof_label)[6:6 + len(humanoid.JOINTS)]  # env 0, after the free joint
        return {"body_mass": model.body_mass.numpy()[: len(humanoid.BODY_NAMES)],
                "dof_mjcf": [stage.GetPrimAtPath("/humanoid/" + label.split("/Robot/", 1)[1]).GetDisplayName()
                             for label in labels]}

    push = np.zeros((NUM_ENVS, 2))
    push[:, 0] = PUSH_MPS
    return drop_and_push(humanoid.humanoid_cfg(), push, FALL_S, NJMAX, NCONMAX, hold_default=False,
                         inspect=mjcf_names_of_dofs)


def test_articulation_is_the_robot(fall) -> None:
    assert fall["joint_names"] == humanoid.JOINT_NAMES
    assert fall["body_names"] == humanoid.BODY_NAMES
    assert not fall["fixed_base"]
    assert not {"floor", "ground"} & {name.lower() for name in fall["body_names"]}
    assert fall["body_mass"].sum() == pytest.approx(40.844, abs=1e-3)
    assert fall["dof_mjcf"] == [j.mjcf for j in humanoid.JOINTS], "simulator DOFs are not the MJCF joints we name"


def test_stands_on_its_soles_then_falls_and_rests_on_the_ground(fall) -> None:
    heights, speeds = fall["heights"], fall["speeds"]
    assert np.isfinite(heights).all() and np.isfinite(speeds).all()
    start = humanoid.STANDING_HEIGHT + 0.02
    # First 0.2 s: dropped 2 cm onto its feet, it stands there: neither sunk into the ground nor launched.
    early = heights[: round(0.2 / SIM_DT)]
    assert np.abs(early[-1] - humanoid.STANDING_HEIGHT).max() < 0.03, early[-1]
    assert early.max() <= start + 1e-3
    # Pushed, a rigid pose topples: by the end the torso lies near the ground, at rest, never below it.
    last = heights[-round(0.5 / SIM_DT):]
    assert (last < 0.5).all(), last[-1]
    assert (heights > 0.05).all(), heights.min(axis=0)
    assert np.ptp(last, axis=0).max() < 0.02 and (speeds[-1] < 0.05).all(), (np.ptp(last, axis=0), speeds[-1])
    # Lying on the ground is the worst case for the contact buffers the task allocates.
    assert fall["contacts"].max() <= NCONMAX / 2 and fall["max_rows"] <= NJMAX / 2, (fall["contacts"].max(),
                                                                                   fall["max_rows"])


# ---------------------------------------------------------------------------------------------
# The task environment
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def env():
    pytest.importorskip("isaaclab")
    from robot_ac.tasks import EnvOptions

    env = HUMANOID_WALK_TASK.make_env(EnvOptions(num_envs=NUM_ENVS, device="cpu", seed=0))
    yield env
    env.close()


def test_observation_groups_match_the_interface(env) -> None:
    assert_observation_groups_match(env, HUMANOID_WALK_TASK.interface, NUM_ENVS)


def test_steps_are_finite_and_a_fall_terminates(env) -> None:
    assert_steps_finite_and_a_fall_terminates(env, NUM_ENVS)


def test_rewards_are_mjlabs_velocity_set(env) -> None:
    """The shared reward library where it applies: mjlab's velocity terms with their weights (no alive, fall or
    torque term), 20 s episodes, the feet contact sensor on the two feet; standing at the start, the soles are at
    height 0 (:data:`SOLE_HEIGHT` is right) and the feet are on the ground."""
    import torch

    from sim.tasks.locomotion.config.humanoid import SOLE_HEIGHT
    from sim.tasks.locomotion.mdp import foot_heights

    unwrapped = env.unwrapped
    assert unwrapped.max_episode_length_s == pytest.approx(20.0)
    weights = {name: unwrapped.reward_manager.get_term_cfg(name).weight
               for name in unwrapped.reward_manager.active_terms}
    assert weights == {"track_lin_vel_xy": 2.0, "track_ang_vel_z": 2.0, "action_rate": -0.1, "joint_limits": -1.0,
                       "upright_kernel": 1.0, "posture_kernel": 1.0, "body_ang_vel_xy": -0.05,
                       "angular_momentum": -0.02, "foot_clearance": -2.0, "foot_swing_height": -0.25,
                       "foot_slip": -0.1, "soft_landing": -1e-5, "self_collision": -1.0}
    sensor = unwrapped.scene.sensors["feet_contact"]
    assert sorted(sensor.sensor_names) == sorted(humanoid.FOOT_BODIES)
    env.reset()
    for _ in range(5):  # 0.1 s: dropped 2 cm onto its soles
        env.step(torch.zeros(NUM_ENVS, env.num_actions))
    feet = unwrapped.reward_manager.get_term_cfg("foot_clearance").params["asset_cfg"]
    assert foot_heights(unwrapped, SOLE_HEIGHT, feet).abs().max() < 0.01
    assert (sensor.data.current_contact_time.torch > 0).all()
