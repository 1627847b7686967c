"""``g1-velocity``: the Unitree G1 (29 DoF) tracks a commanded planar velocity on flat ground, joint-position actions.

The shared locomotion task (``sim.tasks.locomotion.env_cfg``) with the G1 of ``sim.robots.g1`` (mjlab's motor gains,
armature, torque limits, per-joint action scales and knees-bent default pose) on mjlab 1.6's velocity recipe
(``make_velocity_recipe``: its kernels, foot terms and self-collision cost, heading commands over vx, vy in [-1, 1]
m/s and yaw rate in [-0.5, 0.5] rad/s with 10 % standing, pushes, friction, encoder-bias and centre-of-mass
randomisation, 20 s episodes, a critic that sees the feet). The policy reads what a real G1 measures (the pelvis IMU's
gyro and orientation, joint encoders) plus the command and its previous action; its joints, default pose and action
order are those of ``hardware_configs/unitree_g1_ros2_control.yaml``, 50 Hz. The shared 1/150 s physics step suits the
G1 (its geoms' contact time constant, ``solref`` 0.02 s, spans 3 steps).

``g1-stand``: the same robot and interface with a zero command, legs driven and waist and arms held.
"""

from __future__ import annotations

from robot_ac.config import PpoConfig
from robot_ac.contract.manifest import ActionSpec, ObservationTerm, PolicyInterface
from robot_ac.tasks import TaskSpec
from sim.robots import g1
from sim.tasks.locomotion import env_factories

NUM_JOINTS = len(g1.JOINT_NAMES)
CONTROL_PERIOD_S = 1 / 50
"""sim dt 1/150 s x decimation 3 (``sim.tasks.locomotion.env_cfg``)."""
NJMAX = 256
"""Constraint rows per env: joint limits + 4 rows per frictional contact (pyramidal cone, condim 3; 1 row for a
contact of the robot with itself, condim 1 as in mjlab: ``sim/assets/g1/README.md``). Measured: 112
rows standing on both feet (14 foot capsules, 2 contacts each), at most 120 with random actions or while falling
(``tests/test_g1_task.py`` checks the fall). mjlab's flat G1 task allocates 300."""
NCONMAX = 64
"""Contacts per env: measured 28 standing on both soles, at most 30 with random actions or while falling."""
MIN_BASE_HEIGHT = 0.45
"""The episode ends when the pelvis is lower than this, m (it stands at 0.757 m, 0.73 m sagging under PD hold)."""
MAX_TILT_RAD = 1.22
"""The episode ends when the pelvis tilts further than this (70°, mjlab's ``fell_over`` limit)."""


def _robot():
    from sim.tasks.locomotion.env_cfg import LocomotionRobot

    return LocomotionRobot(action_scale=dict(g1.ACTION_SCALE), min_base_height=MIN_BASE_HEIGHT,
                           max_tilt_rad=MAX_TILT_RAD, njmax=NJMAX, nconmax=NCONMAX, lin_vel_x=(-1.0, 1.0),
                           lin_vel_y=(-1.0, 1.0), ang_vel_z=(-0.5, 0.5), foot_bodies=g1.FOOT_BODY_REGEX,
                           sole_height=g1.SOLE_HEIGHT, torso_body="torso_link",
                           collision_bodies=f"({'|'.join(g1.collision_bodies())})")


def _interface(task: str, action_scale: dict[str, float], held: frozenset[str] = frozenset()) -> PolicyInterface:
    return PolicyInterface(
        task=task,
        robot="unitree_g1",
        joints=g1.joint_specs(held),
        control_period_s=CONTROL_PERIOD_S,
        observations=[
            ObservationTerm(name="base_ang_vel", size=3, source="imu", quantity="angular_velocity",
                            description="pelvis angular velocity in the pelvis frame (rad/s), the pelvis IMU's gyro"),
            ObservationTerm(name="projected_gravity", size=3, source="imu", quantity="projected_gravity",
                            description="unit gravity direction in the pelvis frame, from the pelvis IMU's orientation"),
            ObservationTerm(name="velocity_command", size=3, source="command",
                            description="commanded pelvis velocity: forward vx (m/s), sideways vy (m/s), yaw rate "
                                        "(rad/s), in the pelvis' heading frame"),
            ObservationTerm(name="joint_pos", size=NUM_JOINTS, source="joint_state", quantity="position",
                            joint_names=g1.JOINT_NAMES, offset=[g1.DEFAULT_POSE[n] for n in g1.JOINT_NAMES],
                            description="joint positions relative to the default pose (rad)"),
            ObservationTerm(name="joint_vel", size=NUM_JOINTS, source="joint_state", quantity="velocity",
                            joint_names=g1.JOINT_NAMES, description="joint velocities (rad/s)"),
            ObservationTerm(name="actions", size=NUM_JOINTS, source="previous_action",
                            description="the policy's previous output, before scaling"),
        ],
        action=ActionSpec(type="joint_position", joint_names=g1.JOINT_NAMES,
                          scale=[action_scale[n] for n in g1.JOINT_NAMES],
                          offset=[g1.DEFAULT_POSE[n] for n in g1.JOINT_NAMES]),
    )


INTERFACE = _interface("g1-velocity", g1.ACTION_SCALE)


def augment_with_mirror(env, obs=None, actions=None):
    """rsl_rl's symmetry augmentation for the G1 tasks: the batch and its left/right mirror image
    (:mod:`sim.tasks.locomotion.symmetry` with :func:`sim.robots.g1.mirrored_joint`)."""
    from sim.tasks.locomotion.symmetry import augment_with_mirror as augment

    return augment(env, obs, actions, joint_mirror=g1.mirrored_joint)


MIRROR = f"{__name__}:augment_with_mirror"


def _velocity_recipe(cfg, opts):
    from sim.tasks.locomotion.env_cfg import make_velocity_recipe

    return make_velocity_recipe(cfg, opts, _robot())


_make_gym_env, _make_env = env_factories(g1.g1_cfg, _robot, INTERFACE, _velocity_recipe)
_make_plain_gym_env, _make_plain_env = env_factories(g1.g1_cfg, _robot, INTERFACE)
"""g1-velocity as it was before mjlab's recipe: ``bench envs --baseline`` measures the recipe's cost against it."""


G1_VELOCITY_TASK = TaskSpec(
    name="g1-velocity",
    gym_id="RobotAc-G1-Velocity-v0",
    description="Unitree G1 (29 joints, mjlab's model and gains): track a commanded vx/vy/yaw rate on flat ground by "
                "joint-position targets, 50 Hz; the policy sees only what the real G1 measures.",
    interface=INTERFACE,
    make_env=_make_env,
    make_gym_env=_make_gym_env,
    make_baseline_env=_make_plain_env,
    baseline_description="g1-velocity before mjlab's recipe: no feet contact sensor, foot terms or randomisation",
    ppo=PpoConfig(num_steps_per_env=24, actor_hidden_dims=(512, 256, 128), critic_hidden_dims=(512, 256, 128),
                  obs_normalization=True, learning_rate=1.0e-3, num_learning_epochs=5, num_mini_batches=4,
                  entropy_coef=0.01, symmetry_augmentation=True),
    symmetry=MIRROR,
    randomizes_actuators=True,
    max_iterations=3000,
    num_envs=64,
    success_metric="episode reaches its 20 s time limit without falling (pelvis above 0.45 m, tilt under 70°)",
)


STAND_TOLERANCE_M = 0.05
"""g1-stand's success: the pelvis within this of :data:`sim.robots.g1.STANDING_HEIGHT` at the episode's end."""
HELD_JOINTS = frozenset(g1.HOLD_GAINS)
"""g1-stand drives the legs only; waist and arms keep the default pose under the gains that hold them
(:data:`sim.robots.g1.HOLD_GAINS`; unitree_rl_gym's way to shorten exploration). Their action scale is 0, so the
policy keeps the 29-joint interface of the real G1; the manifest states the hold gains for them."""
STAND_INTERFACE = _interface("g1-stand", g1.ACTION_SCALE | {n: 0.0 for n in HELD_JOINTS}, HELD_JOINTS)


def _held_g1_cfg():
    return g1.g1_cfg(held=HELD_JOINTS)


STAND_PUSH_MPS = 0.2
"""g1-stand's kicks: the pelvis's planar velocity set to a uniform draw in ±0.2 m/s per axis every 1-3 s (up to 0.28
m/s diagonally; on the 35 kg G1 a shove of up to 10 N·s). A G1 with its feet in place recovers from at most about
0.35 m/s: past that the capture point v / ω₀ (ω₀ = √(g / h) ≈ 3.9 /s) lies beyond its toes, and only a step saves
it (mjlab's ±0.5 m/s are for its walking G1). A policy that sees only what the robot measures learns of a kick one
control step late (the kick sets the pelvis's velocity; the joints move in the next step), and near that limit a
step costs the balance: the LQR expert (:mod:`sim.tasks.locomotion.config.g1_balance`) acting one step late stands
19 of 32 env episodes under ±0.3 m/s (27 of 32 on time), and 32 of 32 under ±0.2 m/s either way."""
STAND_JOINT_VEL_NOISE = 0.3
"""g1-stand's joint-velocity noise in the policy's view, ±rad/s (g1-velocity: Isaac Lab's and mjlab's ±1.5).
Balance acts on joint velocities: at ±1.5 rad/s the balance expert's own ankle targets would jitter by 0.2 rad
(std), and a student without history cannot filter it (measured: the DAgger student fell to 0.39 training success
at full kicks against the expert's 0.84-0.92)."""
STAND_ASSIST = (1000.0, 150.0, 3000.0)
"""g1-stand's training wheels at the curriculum's start, on the pelvis: horizontal spring N/m and damper N·s/m, and
a harness N/m. A tilt θ moves the pelvis 0.7·θ m and the G1's weight pushes it over with about m·g·θ ≈ 330·θ N;
the spring answers with 700·θ N. Sagging 10 cm, the harness carries 300 N, about the G1's weight (327 N)."""


def _make_standing(cfg, opts):
    from isaaclab.managers import ObservationTermCfg, SceneEntityCfg
    from isaaclab.utils.noise import UniformNoiseCfg

    from sim.tasks.locomotion import mdp
    from sim.tasks.locomotion.env_cfg import make_standing

    cfg.actions.joint_pos.scale = dict(zip(g1.JOINT_NAMES, STAND_INTERFACE.action.scale, strict=True))
    cfg.observations.policy.joint_vel.noise = UniformNoiseCfg(n_min=-STAND_JOINT_VEL_NOISE,
                                                              n_max=STAND_JOINT_VEL_NOISE)
    feet = SceneEntityCfg("robot", body_names=g1.FOOT_BODIES, preserve_order=True)
    cfg.observations.critic.pelvis_in_feet_frame = ObservationTermCfg(func=mdp.pelvis_in_feet_frame,
                                                                      params={"asset_cfg": feet})
    return make_standing(cfg, opts, nominal_height=g1.STANDING_HEIGHT, assist=STAND_ASSIST,
                         push_mps=STAND_PUSH_MPS)


def _stood():
    from sim.tasks.locomotion.mdp import stood_at_height

    return stood_at_height(g1.STANDING_HEIGHT, STAND_TOLERANCE_M)


STAND_CRITIC_PRIVILEGED = {"base_lin_vel": 3, "base_height": 1, "pelvis_in_feet_frame": 13}
"""g1-stand's critic terms after the policy's (``sim.tasks.locomotion.env_cfg.CriticObservationsCfg``, then
:func:`_make_standing`'s)."""


def _balance_expert() -> dict:
    """The LQR balance (:mod:`sim.tasks.locomotion.config.g1_balance`) as a distillation teacher on the critic
    group."""
    offsets = STAND_INTERFACE.term_offsets(STAND_CRITIC_PRIVILEGED)
    return {"class_name": "sim.tasks.locomotion.config.g1_balance:G1BalanceExpertModel",
            "joint_pos_at": offsets["joint_pos"], "joint_vel_at": offsets["joint_vel"],
            "pelvis_at": offsets["pelvis_in_feet_frame"], "held": sorted(HELD_JOINTS),
            "action_scale": list(STAND_INTERFACE.action.scale), "action_limit": 10.0}


_make_stand_gym_env, _make_stand_env = env_factories(_held_g1_cfg, _robot, STAND_INTERFACE, _make_standing, _stood)


G1_STAND_TASK = TaskSpec(
    name="g1-stand",
    gym_id="RobotAc-G1-Stand-v0",
    description=f"Unitree G1: stand for 20 s under pushes (pelvis velocity kicked to ±{STAND_PUSH_MPS:g} m/s per axis "
                "every 1-3 s), legs driven, waist and arms held in the default pose at the deploy gains; the "
                "observations and 29-joint action of g1-velocity with a zero command.",
    interface=STAND_INTERFACE,
    make_env=_make_stand_env,
    make_gym_env=_make_stand_gym_env,
    ppo=PpoConfig(num_steps_per_env=24, actor_hidden_dims=(256, 128, 128), critic_hidden_dims=(256, 128, 128),
                  obs_normalization=True, learning_rate=1.0e-3, num_learning_epochs=5, num_mini_batches=4,
                  entropy_coef=0.005, init_noise_std=0.25, symmetry_augmentation=True),
    symmetry=MIRROR,
    expert_teacher=_balance_expert(),
    randomizes_actuators=True,
    max_iterations=3000,
    num_envs=64,
    success_metric=f"episode reaches its 20 s time limit under pushes without falling, the pelvis at the end within "
                   f"{STAND_TOLERANCE_M * 100:.0f} cm of its {g1.STANDING_HEIGHT} m standing height",
)
