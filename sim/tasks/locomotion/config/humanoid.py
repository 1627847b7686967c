"""``humanoid-walk``: Newton's MuJoCo humanoid walks forward at a commanded speed, joint-position actions, 50 Hz.

The shared locomotion task with mjlab 1.6's velocity reward set (``make_mjlab_rewards``: tracking, upright and
posture kernels, action rate, joint limits, body angular velocity and momentum, the foot terms on a feet contact
sensor, self-collision) and the anchors' 20 s episodes. Forward commands only, no randomisation: the G1's command
schedule and domain randomisation are for a real robot, which this one is not."""

from __future__ import annotations

from robot_ac.config import PpoConfig
from robot_ac.contract.manifest import ActionSpec, ObservationTerm, PolicyInterface
from robot_ac.tasks import TaskSpec
from sim.robots import humanoid
from sim.tasks.locomotion import env_factories

NUM_JOINTS = len(humanoid.JOINT_NAMES)
CONTROL_PERIOD_S = 1 / 50
"""sim dt 1/150 s x decimation 3 (``sim.tasks.locomotion.env_cfg``)."""
NJMAX = 128
"""Constraint rows per env: joint limits + 4 rows per frictional contact (pyramidal cone, condim 3). Measured: at
most 34 rows with random actions, 50 with the robot lying on the ground (``tests/test_humanoid_task.py`` checks)."""
NCONMAX = 32
"""Contacts per env: measured at most 8 with random actions, 12 lying on the ground."""
FOOT_BODY_REGEX = "(left|right)_foot"
SOLE_HEIGHT = 0.027
"""Height of a foot body's origin with the sole flat on the ground, m: its two capsules lie along the body's x-y
plane with radius 0.027."""
POSTURE_STD_WALKING = {r".*_hip:1": 0.3, r".*_hip:0": 0.15, r".*_hip:2": 0.15, r".*_knee": 0.35,
                       r".*_ankle:1": 0.25, r".*_ankle:0": 0.1, r"abdomen:1": 0.2, r"abdomen_x": 0.08,
                       r"abdomen:0": 0.1, r".*_shoulder:0": 0.15, r".*_shoulder:1": 0.15, r".*_elbow": 0.15}
"""Posture-kernel widths while walking, rad: mjlab's G1 widths for the joint each DOF resembles (``sim.robots.humanoid``
names the MJCF hinges: hip and ankle ``:0`` x, roll; ``:1`` y, pitch; hip ``:2`` z, yaw; ``abdomen:0`` pitch,
``abdomen:1`` yaw; ``shoulder1`` turns mostly about x, roll, ``shoulder2`` about y and z, pitch)."""
POSTURE_STD_RUNNING = {r".*_hip:1": 0.5, r".*_hip:0": 0.2, r".*_hip:2": 0.2, r".*_knee": 0.6,
                       r".*_ankle:1": 0.35, r".*_ankle:0": 0.15, r"abdomen:1": 0.3, r"abdomen_x": 0.08,
                       r"abdomen:0": 0.2, r".*_shoulder:0": 0.2, r".*_shoulder:1": 0.5, r".*_elbow": 0.35}


def _robot():
    from sim.tasks.locomotion.env_cfg import LocomotionRobot

    return LocomotionRobot(action_scale=humanoid.ACTION_SCALE, min_base_height=0.8, max_tilt_rad=1.0,
                           njmax=NJMAX, nconmax=NCONMAX, lin_vel_x=(0.0, 1.0), lin_vel_y=(0.0, 0.0),
                           ang_vel_z=(0.0, 0.0), foot_bodies=FOOT_BODY_REGEX, sole_height=SOLE_HEIGHT)


INTERFACE = PolicyInterface(
    task="humanoid-walk",
    robot="mujoco_humanoid",
    joints=humanoid.joint_specs(),
    control_period_s=CONTROL_PERIOD_S,
    observations=[
        ObservationTerm(name="base_ang_vel", size=3, source="imu", quantity="angular_velocity",
                        description="torso angular velocity in the torso frame (rad/s), an IMU's gyro"),
        ObservationTerm(name="projected_gravity", size=3, source="imu", quantity="projected_gravity",
                        description="unit gravity direction in the torso frame, from the IMU orientation"),
        ObservationTerm(name="velocity_command", size=3, source="command",
                        description="commanded torso velocity: forward vx (m/s), sideways vy (m/s), yaw rate (rad/s), "
                                    "in the torso's heading frame"),
        ObservationTerm(name="joint_pos", size=NUM_JOINTS, source="joint_state", quantity="position",
                        joint_names=humanoid.JOINT_NAMES,
                        offset=[humanoid.DEFAULT_POSE[n] for n in humanoid.JOINT_NAMES],
                        description="joint positions relative to the default pose (rad)"),
        ObservationTerm(name="joint_vel", size=NUM_JOINTS, source="joint_state", quantity="velocity",
                        joint_names=humanoid.JOINT_NAMES, description="joint velocities (rad/s)"),
        ObservationTerm(name="actions", size=NUM_JOINTS, source="previous_action",
                        description="the policy's previous output, before scaling"),
    ],
    action=ActionSpec(type="joint_position", joint_names=humanoid.JOINT_NAMES,
                      scale=[humanoid.ACTION_SCALE] * NUM_JOINTS,
                      offset=[humanoid.DEFAULT_POSE[n] for n in humanoid.JOINT_NAMES]),
)


def _mjlab_rewards(cfg, opts):
    from sim.tasks.locomotion.env_cfg import VELOCITY_EPISODE_LENGTH_S, make_mjlab_rewards

    cfg.episode_length_s = VELOCITY_EPISODE_LENGTH_S
    return make_mjlab_rewards(cfg, _robot(), std_walking=POSTURE_STD_WALKING, std_running=POSTURE_STD_RUNNING)


_make_gym_env, _make_env = env_factories(humanoid.humanoid_cfg, _robot, INTERFACE, _mjlab_rewards)
_make_plain_gym_env, _make_plain_env = env_factories(humanoid.humanoid_cfg, _robot, INTERFACE)
"""humanoid-walk before mjlab's reward set: ``bench envs --baseline`` measures the set's cost against it."""


HUMANOID_WALK_TASK = TaskSpec(
    name="humanoid-walk",
    gym_id="RobotAc-Humanoid-Walk-v0",
    description="MuJoCo humanoid (21 joints): walk forward at a commanded 0-1 m/s by joint-position targets, 50 Hz, "
                "on mjlab's velocity reward set.",
    interface=INTERFACE,
    make_env=_make_env,
    make_gym_env=_make_gym_env,
    make_baseline_env=_make_plain_env,
    baseline_description="humanoid-walk before mjlab's reward set: no feet or self-contact sensor, no foot terms",
    ppo=PpoConfig(num_steps_per_env=32, actor_hidden_dims=(128, 128, 128), critic_hidden_dims=(128, 128, 128),
                  obs_normalization=True, learning_rate=1.0e-3, num_learning_epochs=5, num_mini_batches=4,
                  entropy_coef=0.005),
    randomizes_actuators=True,
    max_iterations=1500,
    num_envs=64,
    success_metric="episode reaches its 20 s time limit without falling (torso above 0.8 m, tilt under 1 rad)",
)
