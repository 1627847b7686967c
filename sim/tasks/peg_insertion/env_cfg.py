"""Peg insertion and placement with a Franka Panda whose fingertips carry GelSight Mini pads (TacSL's task).

The peg starts grasped at a random in-hand pose a few centimetres above a fixture at a random position. Actions are
6-D TCP pose increments (position, then axis-angle) that Isaac Lab's operational-space controller turns into joint
torques: a task-space impedance, with the arm's dynamics decoupled through its mass matrix, at 60 Hz. The reward is
Factory's: keypoint bells, an engagement bonus and a bonus for every step the peg is seated. An episode lasts
``EPISODE_STEPS`` steps unless the peg leaves the hand, and succeeds if the peg is seated at its end.

Observation groups:

- ``policy``: the TCP pose and velocity, the fixture position as an imperfect perception system would give it (an
  error of up to ``fixture_estimate_error`` per episode), the last action, then the tactile terms of the chosen
  ``tactile`` mode, one term per pad (``image``: its difference image; ``force_field``: its TacSL force field;
  ``none``).
- ``critic``: the policy's first terms without noise, then privileged state: the true fixture pose, the peg's pose,
  its in-hand pose and the total force on each pad.

A variant is one :class:`~sim.tasks.peg_insertion.settings.PegTaskSettings`.
"""

from __future__ import annotations

import math

import isaaclab.envs.mdp as mdp
import isaaclab.sim as sim_utils
from isaaclab.assets import ArticulationCfg, RigidObjectCfg
from isaaclab.envs import ManagerBasedRLEnvCfg
from isaaclab.managers import CurriculumTermCfg, EventTermCfg, ObservationGroupCfg, ObservationTermCfg, RewardTermCfg, SceneEntityCfg
from isaaclab.managers import TerminationTermCfg
from isaaclab.scene import InteractiveSceneCfg
from isaaclab.utils import configclass
from isaaclab.utils.noise import GaussianNoiseCfg, UniformNoiseCfg

from robot_ac.tasks import EnvOptions
from sim.bootstrap import check_local_assets, newton_physics
from sim.robots import franka
from sim.tactile.isaaclab_sensor import VisuotactileSensorCfg
from sim.task_space import pose_increment_action
from sim.tasks.peg_insertion import mdp as peg_mdp
from sim.tasks.peg_insertion.fixtures import write_socket_usd
from sim.tasks.peg_insertion.settings import (DECIMATION, EPISODE_STEPS, GEL_PROUD, PAD_FRICTION, PHYSICS_SUBSTEPS,
                                              SIM_DT, TACTILE_SENSORS, PegTaskSettings, start_pose)

ENGAGED_HEIGHT = 0.003
"""How far above the fixture's walls (m) the peg's bottom counts as engaged, over the hole."""


def _pad(body: str, side: float) -> VisuotactileSensorCfg:
    """A gel pad on a Panda fingertip. ``side`` is +1 for the left finger (pad face at y = +1.5 mm in its frame,
    facing -y) and -1 for the right one (mirrored)."""
    half = math.sqrt(0.5)
    return VisuotactileSensorCfg(
        prim_path="{ENV_REGEX_NS}/Robot", body=body, felt_bodies=("Peg",),
        offset=VisuotactileSensorCfg.OffsetCfg(pos=(0.0, side * (0.0015 - GEL_PROUD), 0.0445),
                                               rot=(side * half, 0.0, 0.0, half)),
        k_n=1000.0)


@configclass
class PegSceneCfg(InteractiveSceneCfg):
    robot: ArticulationCfg = None  # type: ignore[assignment]
    peg: RigidObjectCfg = None  # type: ignore[assignment]
    fixture: RigidObjectCfg = None  # type: ignore[assignment]
    left_tactile: VisuotactileSensorCfg = _pad("panda_leftfinger", 1.0)
    right_tactile: VisuotactileSensorCfg = _pad("panda_rightfinger", -1.0)


@configclass
class PolicyObservationsCfg(ObservationGroupCfg):
    """What the robot has: its TCP state, a perceived fixture position, its last action, then touch."""

    tcp_pose = ObservationTermCfg(func=peg_mdp.tcp_pose, noise=UniformNoiseCfg(n_min=-0.0005, n_max=0.0005))
    tcp_velocity = ObservationTermCfg(func=peg_mdp.tcp_velocity, noise=UniformNoiseCfg(n_min=-0.01, n_max=0.01))
    fixture_position = ObservationTermCfg(func=peg_mdp.fixture_position_estimate)
    actions = ObservationTermCfg(func=mdp.last_action)

    def __post_init__(self):
        self.enable_corruption = True
        self.concatenate_terms = True


@configclass
class CriticObservationsCfg(ObservationGroupCfg):
    """The policy's state terms without noise (the fixture's true pose replaces its estimate), then privileged
    state."""

    tcp_pose = ObservationTermCfg(func=peg_mdp.tcp_pose)
    tcp_velocity = ObservationTermCfg(func=peg_mdp.tcp_velocity)
    actions = ObservationTermCfg(func=mdp.last_action)
    fixture_pose = ObservationTermCfg(func=peg_mdp.fixture_pose)
    peg_pose = ObservationTermCfg(func=peg_mdp.peg_pose)
    peg_in_hand_pose = ObservationTermCfg(func=peg_mdp.peg_in_hand_pose)
    pad_forces = ObservationTermCfg(func=peg_mdp.pad_forces, params={"sensors": TACTILE_SENSORS})

    def __post_init__(self):
        self.enable_corruption = False
        self.concatenate_terms = True


@configclass
class ObservationsCfg:
    policy: PolicyObservationsCfg = PolicyObservationsCfg()
    critic: CriticObservationsCfg = CriticObservationsCfg()


@configclass
class ActionsCfg:
    tcp_pose: mdp.OperationalSpaceControllerActionCfg = None  # type: ignore[assignment]


@configclass
class RewardsCfg:
    """Factory's reward: three keypoint bells (long, middle and short reach), an engagement bonus and a success
    bonus per step, here seated worth the most. Weights are per second (Isaac Lab multiplies them by the 1/60 s
    step): the bells peak at 1/6 + 1/4 + 1/2, engaged adds 1 and seated 4; a drop costs 5 (weight 300 for one step)."""

    keypoints_far = RewardTermCfg(func=peg_mdp.keypoint_bell, weight=1.0, params={"a": 5.0, "b": 4.0})
    keypoints_near = RewardTermCfg(func=peg_mdp.keypoint_bell, weight=1.0, params={"a": 50.0, "b": 2.0})
    keypoints_fine = RewardTermCfg(func=peg_mdp.keypoint_bell, weight=1.0, params={"a": 100.0, "b": 0.0})
    engaged = RewardTermCfg(func=peg_mdp.peg_engaged, weight=1.0)
    seated = RewardTermCfg(func=peg_mdp.seated, weight=4.0)
    dropped = RewardTermCfg(func=mdp.is_terminated_term, weight=-300.0, params={"term_keys": ["dropped"]})
    action_rate = RewardTermCfg(func=mdp.action_rate_l2, weight=-0.05)


@configclass
class TerminationsCfg:
    dropped = TerminationTermCfg(func=peg_mdp.peg_dropped, params={"max_distance": 0.05})
    time_out = TerminationTermCfg(func=mdp.time_out, time_out=True)


@configclass
class EventsCfg:
    peg_friction = EventTermCfg(func=mdp.randomize_rigid_body_material, mode="startup",
                                params={"asset_cfg": SceneEntityCfg("peg"), "static_friction_range": (1.0, 1.0),
                                        "dynamic_friction_range": (1.0, 1.0), "restitution_range": (0.0, 0.0),
                                        "num_buckets": 64})
    pad_friction = EventTermCfg(func=mdp.randomize_rigid_body_material, mode="startup",
                                params={"asset_cfg": SceneEntityCfg("robot", body_names=list(franka.FINGER_BODIES)),
                                        "static_friction_range": (PAD_FRICTION, PAD_FRICTION),
                                        "dynamic_friction_range": (PAD_FRICTION, PAD_FRICTION),
                                        "restitution_range": (0.0, 0.0), "num_buckets": 1})
    # In this order: below full difficulty the fixture is placed relative to the held peg.
    reset_peg_in_hand = EventTermCfg(func=peg_mdp.reset_peg_in_hand, mode="reset")
    reset_fixture = EventTermCfg(func=peg_mdp.reset_fixture, mode="reset")


@configclass
class CurriculumCfg:
    """Training only (``EnvOptions.curriculum``): evaluation and play see the task at full difficulty."""

    start = CurriculumTermCfg(func=peg_mdp.start_curriculum,
                              params={"window": 64, "raise_above": 0.75, "lower_below": 0.5, "step": 0.1})


@configclass
class PegEnvCfg(ManagerBasedRLEnvCfg):
    scene: PegSceneCfg = PegSceneCfg(num_envs=16, env_spacing=1.5)
    observations: ObservationsCfg = ObservationsCfg()
    actions: ActionsCfg = ActionsCfg()
    rewards: RewardsCfg = RewardsCfg()
    terminations: TerminationsCfg = TerminationsCfg()
    events: EventsCfg = EventsCfg()
    curriculum: CurriculumCfg | None = None


def make_peg_env_cfg(opts: EnvOptions, settings: PegTaskSettings) -> PegEnvCfg:
    cfg = PegEnvCfg()
    cfg.seed = opts.seed
    cfg.decimation = DECIMATION
    cfg.episode_length_s = EPISODE_STEPS * SIM_DT * DECIMATION
    cfg.sim.dt = SIM_DT
    cfg.sim.render_interval = DECIMATION
    cfg.sim.device = opts.device
    # Contacts: pads on the peg (box-box, up to 8 each), the peg in the fixture (walls and floor).
    cfg.sim.physics = newton_physics(opts.device, njmax=200, nconmax=64, num_substeps=PHYSICS_SUBSTEPS)
    # No gravity, as in TacSL: the real arm's controller compensates it and a held peg's weight is its grip's business.
    cfg.sim.gravity = (0.0, 0.0, 0.0)
    cfg.scene.num_envs = opts.num_envs

    cfg.scene.robot = franka.franka_panda_cfg(joint_pos=start_pose(settings), arm_torque_control=True)
    peg = settings.peg
    cfg.scene.peg = RigidObjectCfg(
        prim_path="{ENV_REGEX_NS}/Peg",
        spawn=sim_utils.CuboidCfg(
            size=(peg.side, peg.side, peg.length),
            rigid_props=sim_utils.RigidBodyPropertiesCfg(),
            mass_props=sim_utils.MassPropertiesCfg(mass=peg.mass),
            collision_props=sim_utils.CollisionPropertiesCfg(),
            physics_material=sim_utils.RigidBodyMaterialCfg(static_friction=1.0, dynamic_friction=1.0),
        ),
        init_state=RigidObjectCfg.InitialStateCfg(pos=(0.5, 0.0, 0.3)),
    )
    cfg.scene.fixture = RigidObjectCfg(
        prim_path="{ENV_REGEX_NS}/Fixture",
        spawn=sim_utils.UsdFileCfg(usd_path=str(write_socket_usd(settings.fixture))),
        init_state=RigidObjectCfg.InitialStateCfg(pos=settings.fixture_position),
    )

    cfg.actions.tcp_pose = pose_increment_action(
        joint_names=franka.ARM_JOINT_NAMES, body_name=franka.HAND_BODY, body_offset=franka.TCP_OFFSET,
        stiffness=settings.impedance_stiffness, position_scale=settings.position_scale,
        rotation_scale=settings.rotation_scale)

    cfg.observations.policy.fixture_position.params = {"error": settings.fixture_estimate_error}
    if settings.privileged_policy:
        cfg.observations.policy = CriticObservationsCfg()
    policy = cfg.observations.policy
    for name in TACTILE_SENSORS:  # one policy term per pad, named as the interface names it
        if settings.tactile == "image":
            rows, cols = settings.tactile_size
            setattr(policy, name, ObservationTermCfg(
                func=peg_mdp.tactile_images, noise=GaussianNoiseCfg(std=0.01),
                params={"sensors": (name,), "gain_range": settings.tactile_gain_range,
                        "preprocessing": {"height": rows, "width": cols, "mode": "difference", "scale": 1.0 / 255.0}}))
        elif settings.tactile == "force_field":
            setattr(policy, f"{name}_force_field", ObservationTermCfg(
                func=peg_mdp.tactile_force_field, noise=GaussianNoiseCfg(std=0.01),
                params={"sensors": (name,), "scale": settings.force_field_scale}))
        pad = getattr(cfg.scene, name)
        pad.taxels = settings.taxels
        pad.render_images = settings.tactile == "image"
        pad.image_size = settings.tactile_size
        pad.samples_per_pixel = settings.tactile_samples_per_pixel

    length = {"peg_length": peg.length}
    for bell in (cfg.rewards.keypoints_far, cfg.rewards.keypoints_near, cfg.rewards.keypoints_fine):
        bell.params.update(length)
    cfg.rewards.engaged.params = {**length, "fixture_depth": settings.fixture.depth,
                                  "lateral_tolerance": settings.fixture.hole / 2, "height": ENGAGED_HEIGHT}
    cfg.rewards.seated.params = {**length, "lateral_tolerance": settings.success_lateral,
                                 "height_tolerance": settings.success_height}
    cfg.events.peg_friction.params["static_friction_range"] = settings.friction_range
    cfg.events.peg_friction.params["dynamic_friction_range"] = settings.friction_range
    cfg.events.reset_fixture.params = {"nominal": settings.fixture_position, "xy_range": settings.fixture_xy_range,
                                       "yaw_range": settings.fixture_yaw_range, **length,
                                       "fixture_depth": settings.fixture.depth,
                                       "easy_xy_range": settings.easy_xy_range,
                                       "easy_clearance": settings.easy_clearance}
    if opts.curriculum:
        cfg.curriculum = CurriculumCfg()
    cfg.events.reset_peg_in_hand.params = {"peg_side": peg.side, "grasp_height": settings.grasp_height,
                                           "offset_range": settings.in_hand_offset,
                                           "tilt_range": settings.in_hand_tilt, "squeeze": 0.0002,
                                           "finger_target": settings.finger_target}
    check_local_assets(cfg.scene, "peg.scene")
    return cfg
