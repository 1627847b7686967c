"""The ``g1-velocity`` task: its asset (sim/assets/g1), the robot config, the environment and the real robot's config.

* The asset: the committed files are exactly what ``scripts/make_g1_asset.py`` makes of the mjlab wheel (skipped
  where the wheel is not downloaded); MuJoCo loads the MJCF as the robot alone, collision primitives only.
* The robot: its 29 joints are ``hardware_configs/unitree_g1_ros2_control.yaml``'s, in the same order, with the same limits;
  gains and action scales are mjlab's numbers.
* Physics (Isaac Lab kit-less, Newton MuJoCo-Warp, CPU): the USD loads as 30 bodies and 29 joints named as on the
  robot, 33.3 kg, no floor body, mjlab's armature and torque limits in the solver; holding its default pose it lands
  on its soles, then (soft gains, no policy) sinks, topples and comes to rest on the ground inside the contact buffers.
* The environment: observation groups match the policy interface term by term, actions drive the joints in
  Unitree's order with mjlab's scales, steps give finite rewards, a fallen robot terminates; the solver has mjlab's
  contact parameters (condim 1 off the feet, the feet's priority, so their randomised friction reaches the ground),
  and a hand pressed into the hip costs self-collision where the default pose costs nothing.
* The loop to the robot: a policy exported with this task's interface passes ``check_compatibility`` against the
  real G1's hardware config.
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from sim.robots import g1
from sim.tasks.locomotion.config.g1 import G1_STAND_TASK, G1_VELOCITY_TASK, MIN_BASE_HEIGHT, NCONMAX, NJMAX
from tests.locomotion_helpers import (
    BASE_PRIVILEGED,
    SIM_DT,
    assert_observation_groups_match,
    assert_steps_finite_and_a_fall_terminates,
    drop_and_push,
)

pytestmark = pytest.mark.sim

REPO = pathlib.Path(__file__).resolve().parents[1]
ASSET_DIR = REPO / "sim" / "assets" / "g1"
HARDWARE_CONFIG = REPO / "hardware_configs" / "unitree_g1_ros2_control.yaml"
MJLAB_WHEEL = pathlib.Path("/tmp/mjlab_dl/mjlab-1.6.0-py3-none-any.whl")
GENERATED = ("g1.xml", "g1.usda", "LICENSE-mjlab.txt")
NUM_ENVS = 4


@pytest.fixture(scope="module")
def hardware():
    from robot_ac.contract.hardware_config import load_hardware_config

    return load_hardware_config(HARDWARE_CONFIG)


# ---------------------------------------------------------------------------------------------
# Asset files and robot data
# ---------------------------------------------------------------------------------------------


def test_generator_reproduces_committed_files(tmp_path: pathlib.Path) -> None:
    """The committed asset is exactly the generator's output (and the generator is deterministic)."""
    pytest.importorskip("mujoco_usd_converter")
    if not MJLAB_WHEEL.is_file():
        pytest.skip(f"{MJLAB_WHEEL} not downloaded (pip download mjlab==1.6.0 --no-deps -d {MJLAB_WHEEL.parent})")
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_g1_asset.py"), str(MJLAB_WHEEL), "--out-dir",
                    str(tmp_path)], check=True, capture_output=True)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (ASSET_DIR / name).read_bytes(), f"{name} is stale: rerun the script"


def test_mjcf_is_the_robot_alone() -> None:
    mujoco = pytest.importorskip("mujoco")
    model = mujoco.MjModel.from_xml_path(str(g1.G1_MJCF))
    assert model.nbody == 31 and model.body(1).name == g1.ROOT_BODY and model.body(1).parentid[0] == 0
    assert model.nu == 0 and model.nsensor == 0 and model.nsite == 0 and model.nlight == 0 and model.ncam == 0
    assert model.nmesh == 0, "visual meshes are left"
    assert all(model.geom_bodyid[i] != 0 for i in range(model.ngeom)), "a geom is attached to the world"
    primitives = {mujoco.mjtGeom.mjGEOM_SPHERE, mujoco.mjtGeom.mjGEOM_CAPSULE}
    assert {int(t) for t in model.geom_type} <= {int(t) for t in primitives}
    assert model.jnt_type[0] == mujoco.mjtJoint.mjJNT_FREE
    assert [model.joint(i).name for i in range(1, model.njnt)] == g1.JOINT_NAMES
    assert model.body_mass.sum() == pytest.approx(g1.TOTAL_MASS, abs=1e-4)
    assert 30.0 < g1.TOTAL_MASS < 40.0  # Unitree: ~35 kg with battery


def test_joints_are_the_real_robots(hardware) -> None:
    """Names and order, position/velocity/torque limits of sim.robots.g1 are those of the hardware config."""
    assert g1.JOINT_NAMES == hardware.joint_names
    for spec in g1.joint_specs():
        real = hardware.joint(spec.name)
        np.testing.assert_allclose(spec.position_limits, real.position_limits, atol=1e-5, err_msg=spec.name)
        assert spec.velocity_limit == real.velocity_limit and spec.effort_limit == real.effort_limit, spec.name
        assert real.position_limits[0] < spec.default_position < real.position_limits[1], spec.name


def test_hold_gains_are_the_ones_the_robot_is_sent(hardware) -> None:
    """Joints no policy drives (g1-stand's waist and arms) are held at the hardware config's kp / kd, and the
    manifest of a task that holds them says so; the driven legs keep mjlab's gains."""
    assert set(g1.HOLD_GAINS) == set(g1.JOINT_NAMES) - set(g1.LEG_JOINT_NAMES)
    held = frozenset(g1.HOLD_GAINS)
    for spec in g1.joint_specs(held):
        real = hardware.joint(spec.name)
        if spec.name in held:
            assert (spec.stiffness, spec.damping) == (real.kp, real.kd) == g1.HOLD_GAINS[spec.name], spec.name
        else:
            assert spec.stiffness == pytest.approx(g1.stiffness(g1.JOINTS[g1.JOINT_NAMES.index(spec.name)]))


def test_gains_are_mjlabs() -> None:
    """mjlab's g1_constants: armature from the gearboxes, 10 Hz / damping ratio 2 gains, 0.25 effort/stiffness."""
    by_name = {j.name: j for j in g1.JOINTS}
    expected = {  # joint: (stiffness N·m/rad, damping N·m·s/rad), as mjlab 1.6.0 computes them
        "left_hip_pitch_joint": (40.17924, 2.557890), "left_knee_joint": (99.09843, 6.308802),
        "left_ankle_pitch_joint": (28.50125, 1.814446), "waist_pitch_joint": (28.50125, 1.814446),
        "left_shoulder_pitch_joint": (14.25062, 0.907223), "right_wrist_yaw_joint": (16.77833, 1.068142),
    }
    for name, (kp, kd) in expected.items():
        assert g1.stiffness(by_name[name]) == pytest.approx(kp, rel=1e-6), name
        assert g1.damping(by_name[name]) == pytest.approx(kd, rel=1e-6), name
    assert g1.ACTION_SCALE["left_knee_joint"] == pytest.approx(0.25 * 139 / 99.09843, rel=1e-6)
    assert g1.ACTION_SCALE["waist_roll_joint"] == pytest.approx(0.25 * 50 / 28.50125, rel=1e-6)


def test_usd_is_self_contained_and_small() -> None:
    Sdf = pytest.importorskip("pxr.Sdf")
    usd = ASSET_DIR / "g1.usda"
    assert Sdf.Layer.FindOrOpen(str(usd)).GetCompositionAssetDependencies() == []
    assert "@" not in usd.read_text()
    assert usd.stat().st_size < 300_000


@pytest.mark.parametrize("task", ["g1-velocity", "g1-stand"])
def test_exported_policy_is_compatible_with_the_real_g1(tmp_path: pathlib.Path, hardware, task: str) -> None:
    """Closes the loop: the manifest of a policy trained on this task (or its standing variant, whose held joints
    have action scale 0) passes the robot-side check for the real G1, and the deploy runtime assembles its
    observation from Unitree-ordered joint states."""
    from robot_ac.deploy import check_compatibility
    from robot_ac.deploy.observation import ObservationBuilder
    from robot_ac.contract.manifest import load_manifest
    from robot_ac.export.synthetic import write_mlp_export

    interface = {"g1-velocity": G1_VELOCITY_TASK, "g1-stand": G1_STAND_TASK}[task].interface
    write_mlp_export(tmp_path, interface)
    manifest = load_manifest(tmp_path / "manifest.json")
    assert check_compatibility(manifest, hardware) == []
    assert manifest.interface.action.joint_names == hardware.joint_names
    assert 1 / manifest.interface.control_period_s == pytest.approx(hardware.control_rate_hz)

    builder = ObservationBuilder(interface)
    names = hardware.joint_names
    position = [g1.DEFAULT_POSE[n] + 0.01 * i for i, n in enumerate(names)]
    builder.update_joint_state(list(reversed(names)), list(reversed(position)), [0.0] * len(names))
    builder.update_imu((0.0, 0.0, 0.0, 1.0), (0.1, 0.2, 0.3), (0.0, 0.0, 9.81))
    builder.set_goal([0.5, -0.2, 0.1])
    obs = builder.build()
    assert obs.shape == (interface.observation_size,)
    np.testing.assert_allclose(obs[:9], [0.1, 0.2, 0.3, 0.0, 0.0, -1.0, 0.5, -0.2, 0.1], atol=1e-6)
    np.testing.assert_allclose(obs[9:9 + len(names)], 0.01 * np.arange(len(names)), atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Physics: the robot alone on the task's ground, PD holding the default pose
# ---------------------------------------------------------------------------------------------

FALL_S = 3.0
PUSH_MPS = 0.3


@pytest.fixture(scope="module")
def fall():
    """4 G1s on the task's ground, the PD holding the default pose, each pushed at 0.3 m/s its own way, for 3 s."""
    pytest.importorskip("isaaclab")

    def drive_limits(robot, model, solver) -> dict:
        return {"body_mass": model.body_mass.numpy()[: len(robot.body_names)],
                "armature": robot.data.joint_armature.torch[0].numpy(),
                # The solver's torque limit of each hinge (the first MuJoCo joint is the free joint).
                "actfrcrange": solver.mjw_model.jnt_actfrcrange.numpy()[0, 1:1 + len(g1.JOINTS), 1]}

    push = PUSH_MPS * np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    return drop_and_push(g1.g1_cfg(), push, FALL_S, NJMAX, NCONMAX, hold_default=True, inspect=drive_limits)


def test_articulation_is_the_robot(fall, hardware) -> None:
    assert fall["joint_names"] == hardware.joint_names
    assert fall["body_names"][0] == g1.ROOT_BODY and len(fall["body_names"]) == 30
    assert set(g1.FOOT_BODIES) <= set(fall["body_names"])
    assert not fall["fixed_base"]
    assert fall["body_mass"].sum() == pytest.approx(g1.TOTAL_MASS, abs=1e-3)
    np.testing.assert_allclose(fall["armature"], [g1.armature(j) for j in g1.JOINTS], rtol=1e-5)
    np.testing.assert_allclose(fall["actfrcrange"], [g1.effort_limit(j) for j in g1.JOINTS], rtol=1e-5)


def test_lands_on_its_soles_then_falls_and_rests_on_the_ground(fall) -> None:
    heights, speeds, contacts = fall["heights"], fall["speeds"], fall["contacts"]
    assert np.isfinite(heights).all() and np.isfinite(speeds).all()
    # At 0.3 s: dropped 2 cm onto its feet, it stands on both soles (7 capsules each, 2 contact points a capsule),
    # the pelvis a little below the nominal height as the soft PD gives under the weight; neither sunk nor launched.
    at = round(0.3 / SIM_DT)
    assert contacts[at] == 28, contacts[at]
    assert (np.abs(heights[at] - g1.STANDING_HEIGHT) < 0.04).all(), heights[at]
    assert heights[:at].max() <= g1.STANDING_HEIGHT + 0.02 + 1e-3
    # With mjlab's soft gains and no policy the pose does not hold: the robot topples and lies on the ground at
    # rest, the pelvis never below it.
    last = heights[-round(0.5 / SIM_DT):]
    assert (last < MIN_BASE_HEIGHT / 2).all(), last[-1]
    assert (heights > 0.05).all(), heights.min(axis=0)
    assert np.ptp(last, axis=0).max() < 0.02 and (speeds[-1] < 0.05).all(), (np.ptp(last, axis=0), speeds[-1])
    # Standing on both soles is the worst case for the contact buffers the task allocates.
    assert contacts.max() <= NCONMAX / 2 and fall["max_rows"] <= NJMAX / 2, (contacts.max(), fall["max_rows"])


# ---------------------------------------------------------------------------------------------
# The task environment
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def env():
    pytest.importorskip("isaaclab")
    from robot_ac.tasks import EnvOptions

    env = G1_VELOCITY_TASK.make_env(EnvOptions(num_envs=NUM_ENVS, device="cpu", seed=0))
    yield env
    env.close()


def test_observation_groups_match_the_interface(env) -> None:
    feet = {"foot_height": 2, "feet_air_time": 2, "feet_contact_force": 2}
    assert_observation_groups_match(env, G1_VELOCITY_TASK.interface, NUM_ENVS, BASE_PRIVILEGED | feet)


def test_velocity_recipe_is_mjlabs(env) -> None:
    """The settings the issue names, as built: 20 s episodes, heading commands with a standing share resampled every
    3-8 s, mjlab's reward set without alive, fall or torque terms, pushes, friction and centre-of-mass
    randomisation; evaluation (no curriculum) draws commands from the full ranges."""
    unwrapped = env.unwrapped
    assert unwrapped.max_episode_length_s == pytest.approx(20.0)
    command = unwrapped.command_manager.get_term("base_velocity").cfg
    assert command.heading_command and command.rel_heading_envs == 0.3 and command.rel_standing_envs == 0.1
    assert command.resampling_time_range == (3.0, 8.0) and command.ranges.lin_vel_x == (-1.0, 1.0)
    weights = {name: unwrapped.reward_manager.get_term_cfg(name).weight
               for name in unwrapped.reward_manager.active_terms}
    assert weights == {"track_lin_vel_xy": 2.0, "track_ang_vel_z": 2.0, "action_rate": -0.1, "joint_limits": -1.0,
                       "upright_kernel": 1.0, "posture_kernel": 1.0, "body_ang_vel_xy": -0.05,
                       "angular_momentum": -0.02, "foot_clearance": -2.0, "foot_swing_height": -0.25,
                       "foot_slip": -0.1, "soft_landing": -1e-5, "self_collision": -1.0}
    posture = unwrapped.reward_manager.get_term_cfg("posture_kernel").params
    # mjlab's G1 task sets these (its function's defaults are 0.5 and 1.5)
    assert (posture["walking_threshold"], posture["running_threshold"]) == (0.05, 1.5)
    events = unwrapped.event_manager.active_terms
    assert "push" in events["interval"] and {"foot_friction", "torso_com"} <= set(events["startup"])
    assert unwrapped.cfg.curriculum is None


def test_a_fifth_of_the_commands_walk_straight_ahead(env) -> None:
    """mjlab's forward-only share: of 2,000 resampled commands about 20 % (binomial, ±4 sigma) ask for v_x of at
    least 0.3 m/s and nothing sideways or turning; the rest keep their uniform draws, backwards and sideways."""
    import torch

    term = env.unwrapped.command_manager.get_term("base_velocity")
    ids = torch.arange(NUM_ENVS, device=term.device)
    forward, commands = [], []
    for _ in range(500):
        term._resample_command(ids)
        forward.append(term.is_forward_env.clone())
        commands.append(term.vel_command_b.clone())
    forward, commands = torch.cat(forward), torch.cat(commands)
    share, sigma = forward.float().mean().item(), (0.2 * 0.8 / forward.numel()) ** 0.5
    assert abs(share - 0.2) < 4 * sigma, share
    assert (commands[forward, 0] >= 0.3).all() and not commands[forward, 1:].any()
    others = commands[~forward]
    assert (others[:, 0] < 0).any() and (others[:, 1].abs() > 0.1).any() and (others[:, 2].abs() > 0.1).any()


def test_the_feet_carry_the_robots_weight_on_their_soles(env) -> None:
    """The feet contact sensor against statics: standing still the two soles carry m·g between them, are on the
    ground (no air time) and at height 0 (:data:`sim.robots.g1.SOLE_HEIGHT`)."""
    import torch

    unwrapped = env.unwrapped
    env.reset()
    for _ in range(15):  # 0.3 s: settled on the soles, before the unheld G1 starts to tip
        obs, _, _, _ = env.step(torch.zeros(NUM_ENVS, env.num_actions))
    critic = obs["critic"][:, -6:]
    heights, air_time, force = critic[:, 0:2], critic[:, 2:4], critic[:, 4:6] * 100.0
    weight = g1.TOTAL_MASS * 9.81
    np.testing.assert_allclose(force.sum(dim=1).numpy(), weight, rtol=0.1)
    assert (air_time == 0).all()
    assert heights.abs().max() < 0.01
    sensor = unwrapped.scene.sensors["feet_contact"]
    assert sensor.body_names == g1.FOOT_BODIES


def _geom_names(solver) -> list[str]:
    """MuJoCo-Warp's geoms (one world's) by their MJCF names: Newton names them by USD path with an index."""
    return [re.sub(r"_\d+$", "", solver.mj_model.geom(i).name.rsplit("/", 1)[-1])
            for i in range(solver.mj_model.ngeom)]


def test_collision_geoms_are_mjlabs(env) -> None:
    """mjlab's FULL_COLLISION as the solver has it: the 14 foot capsules condim 3 and priority 1, every other geom
    of the robot condim 1 (its contacts with itself frictionless), the ground plane condim 3."""
    from isaaclab_newton.physics import NewtonManager

    solver = NewtonManager._solver
    names = _geom_names(solver)
    condim = dict(zip(names, solver.mjw_model.geom_condim.numpy().tolist(), strict=True))
    priority = dict(zip(names, solver.mjw_model.geom_priority.numpy().tolist(), strict=True))
    feet = {f"{side}_foot{i}_collision" for side in ("left", "right") for i in range(1, 8)}
    assert feet <= set(names) and len(names) == 34
    for name in names:
        if name == "CollisionPlane":
            assert (condim[name], priority[name]) == (3, 0)
        elif name in feet:
            assert (condim[name], priority[name]) == (3, 1), name
        else:
            assert (condim[name], priority[name]) == (1, 0), name


def test_randomised_foot_friction_reaches_the_ground_contacts(env) -> None:
    """The feet's priority lets their randomised friction (0.3-1.2) decide each sole's contact with the plane
    (friction 1): a foot contact's friction is its foot geom's, below 1 where the draw was."""
    import torch

    from isaaclab_newton.physics import NewtonManager

    env.reset()
    for _ in range(5):
        env.step(torch.zeros(NUM_ENVS, env.num_actions))
    solver = NewtonManager._solver
    names = _geom_names(solver)
    contact = solver.mjw_data.contact
    count = int(solver.mjw_data.nacon.numpy()[0])
    geoms, worlds = contact.geom.numpy()[:count], contact.worldid.numpy()[:count]
    friction = contact.friction.numpy()[:count, 0]
    geom_friction = solver.mjw_model.geom_friction.numpy()[:, :, 0]
    on_the_ground = [(w, g[1]) for w, g in zip(worlds, geoms, strict=True) if names[g[0]] == "CollisionPlane"]
    assert len(on_the_ground) == 28 * NUM_ENVS and all("_foot" in names[g] for _, g in on_the_ground)
    np.testing.assert_allclose(friction, [geom_friction[w, g] for w, g in on_the_ground], rtol=1e-6)
    assert friction.min() < 0.9 and friction.max() <= 1.2


def test_self_collision_costs_a_hand_pressed_into_the_hip(env) -> None:
    """The self-collision term on the physics: env 0 starts with its left hand 8 cm inside its left hip (shoulder
    pitched forward and rolled in, elbow bent) and its PD holds that pose; the others stand in the default pose.
    Only env 0 pays, for hand and wrist against the hip."""
    import torch

    unwrapped = env.unwrapped
    robot = unwrapped.scene["robot"]
    pose = {"left_shoulder_pitch_joint": 0.5, "left_shoulder_roll_joint": -0.15, "left_elbow_joint": 0.6}
    env.reset()
    position = robot.data.default_joint_pos.torch.clone()
    action = torch.zeros(NUM_ENVS, env.num_actions)
    for name, angle in pose.items():
        position[0, robot.joint_names.index(name)] = angle
        action[0, g1.JOINT_NAMES.index(name)] = (angle - g1.DEFAULT_POSE[name]) / g1.ACTION_SCALE[name]
    robot.write_joint_state_to_sim_index(position=position, velocity=torch.zeros_like(position))
    env.step(action)
    term = unwrapped.reward_manager.get_term_cfg("self_collision")
    cost = term.func(unwrapped, **term.params)
    assert cost[0] >= 1 and (cost[1:] == 0).all(), cost
    sensor = unwrapped.scene.sensors["self_contact"]
    force = sensor.data.force_matrix_w.torch[0].norm(dim=-1)
    pressed = {(sensor.sensor_names[a], sensor.filter_object_names[b]) for a, b in (force > 10.0).nonzero().tolist()}
    assert ("left_hip_roll_link", "left_wrist_pitch_link") in pressed, pressed


def test_actions_drive_the_joints_in_unitree_order(env) -> None:
    term = env.unwrapped.action_manager.get_term("joint_pos")
    robot = env.unwrapped.scene["robot"]
    assert list(term._joint_names) == g1.JOINT_NAMES
    assert [robot.joint_names[i] for i in term._joint_ids.tolist()] == g1.JOINT_NAMES
    np.testing.assert_allclose(term._scale[0].numpy(), G1_VELOCITY_TASK.interface.action.scale, rtol=1e-6)
    np.testing.assert_allclose(term._offset[0].numpy(), G1_VELOCITY_TASK.interface.action.offset, atol=1e-6)


def test_steps_are_finite_and_a_fall_terminates(env) -> None:
    assert_steps_finite_and_a_fall_terminates(env, NUM_ENVS)


def test_angular_momentum_is_conserved_in_free_flight(env) -> None:
    """The angular-momentum penalty's momentum, on the physics: a G1 tumbling in the air while its joints flail has
    no external torque about its centre of mass (gravity acts there), so its centroidal angular momentum stays what
    the throw gave it, while each body's own share changes. Armature is the rotors' and not counted, hence the
    small tolerance."""
    import torch

    from sim.tasks.locomotion.mdp import angular_momentum, centroidal_angular_momentum

    unwrapped = env.unwrapped
    robot = unwrapped.scene["robot"]
    push = unwrapped.event_manager.get_term_cfg("push")
    ranges = push.params["velocity_range"]
    push.params["velocity_range"] = {}
    try:
        env.reset()
        pose = robot.data.default_root_pose.torch.clone()
        pose[:, :3] += unwrapped.scene.env_origins + torch.tensor([0.0, 0.0, 3.0])
        robot.write_root_pose_to_sim_index(root_pose=pose)
        throw = torch.tensor([[0.3, 0.0, 1.0, 1.5, -1.0, 2.0]]).repeat(NUM_ENVS, 1)
        robot.write_root_velocity_to_sim_index(root_velocity=throw)
        robot.write_joint_state_to_sim_index(position=robot.data.default_joint_pos.torch.clone(),
                                             velocity=torch.zeros_like(robot.data.default_joint_vel.torch))
        generator = torch.Generator().manual_seed(0)
        momenta, torso = [], []
        for _ in range(15):  # 0.3 s: 1.3 m of fall from 3 m
            action = 0.3 * torch.randn(NUM_ENVS, env.num_actions, generator=generator)
            _, _, dones, _ = env.step(action)
            assert not dones.any()
            momenta.append(centroidal_angular_momentum(unwrapped))
            torso.append(robot.data.body_com_ang_vel_w.torch[:, 0].clone())
        momenta = torch.stack(momenta)
        assert momenta[0].norm(dim=-1).min() > 1.0, "the throw spins the G1"
        drift = (momenta - momenta[0]).norm(dim=-1).max() / momenta[0].norm(dim=-1).min()
        assert drift < 0.05, drift
        spin = torch.stack(torso)
        assert (spin - spin[0]).norm(dim=-1).max() > 0.2, "the pelvis alone does not keep its spin"
        torch.testing.assert_close(angular_momentum(unwrapped), momenta[-1].square().sum(dim=-1))
    finally:
        push.params["velocity_range"] = ranges
