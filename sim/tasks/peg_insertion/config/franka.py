"""``franka-peg-insert`` and ``franka-peg-place``, each in three views of the same scene:

- ``<task>`` (the student): TCP state, perceived fixture position, last action and both pads' GelSight images;
- ``<task>-force-field``: the same with TacSL's tactile force fields instead of images;
- ``<task>-privileged`` (the teacher): the critic's privileged state as the policy's observation, no tactile.

All share the critic group, so a teacher's critic fits every student (AACD), and its actor fits the students'
``critic`` group (DAgger and behaviour cloning label with it).
"""

from __future__ import annotations

from robot_ac.config import PpoConfig
from robot_ac.contract.manifest import ActionSpec, ObservationTerm, PolicyInterface
from robot_ac.contract.tactile import TactilePreprocessing
from robot_ac.tasks import EnvOptions, TaskSpec
from sim.robots import franka
from sim.tasks.peg_insertion.settings import (EPISODE_STEPS, INSERT, PLACE, TACTILE_SENSORS, PegTaskSettings,
                                              start_pose)

HARDWARE_TACTILE_NAMES = {"left_tactile": "left", "right_tactile": "right"}
"""Simulated pad -> the sensor's name under ``topics.tactile`` of ``hardware_configs/franka_gelsight.yaml``."""
TCP = f"{franka.HAND_BODY} + {franka.TCP_OFFSET} m (the point between the fingertips)"


def _state_terms(settings: PegTaskSettings) -> list[ObservationTerm]:
    return [
        ObservationTerm(name="tcp_pose", size=7, source="end_effector", quantity="pose",
                        description=f"{TCP} in the robot base frame: position (m), orientation (x, y, z, w)"),
        ObservationTerm(name="tcp_velocity", size=6, source="end_effector", quantity="twist",
                        description=f"{franka.HAND_BODY} linear (m/s) and angular (rad/s) velocity, base frame"),
    ]


def _privileged_terms() -> list[ObservationTerm]:
    def task(name: str, size: int, description: str) -> ObservationTerm:
        return ObservationTerm(name=name, size=size, source="task", description=description)

    return [task("fixture_pose", 7, "true fixture pose, base frame"), task("peg_pose", 7, "peg pose, base frame"),
            task("peg_in_hand_pose", 7, "peg pose in the TCP frame"),
            task("pad_forces", 6, "total force on each pad (shear x, shear y, normal), N, from the force field")]


def _interface(name: str, settings: PegTaskSettings) -> PolicyInterface:
    actions = ObservationTerm(name="actions", size=6, source="previous_action",
                              description="the policy's previous output, before scaling")
    tactile = None
    if settings.privileged_policy:
        observations = [*_state_terms(settings), actions, *_privileged_terms()]
    else:
        fixture = ObservationTerm(name="fixture_position", size=3, source="command", quantity="position",
                                  description="estimated fixture position (top of its base plate at the hole's "
                                              "centre), base frame, m; in simulation off by up to "
                                              f"{settings.fixture_estimate_error * 1000:.0f} mm per episode")
        observations = [*_state_terms(settings), fixture, actions]
        if settings.tactile == "image":
            rows, cols = settings.tactile_size
            tactile = TactilePreprocessing(height=rows, width=cols, mode="difference", scale=1.0 / 255.0)
            observations += [ObservationTerm(name=sensor, size=tactile.size, source="tactile",
                                             quantity=HARDWARE_TACTILE_NAMES[sensor],
                                             description="GelSight Mini image minus the untouched-gel image, "
                                                         "block-averaged, (channel, row, column), RGB / 255")
                             for sensor in TACTILE_SENSORS]
            tactile = tactile.to_dict()
        elif settings.tactile == "force_field":
            rows, cols = settings.taxels
            observations += [ObservationTerm(
                name=f"{sensor}_force_field", size=3 * rows * cols, source="task", scale=settings.force_field_scale,
                description=f"TacSL force field of {sensor}, (component, row, column), N x scale: simulated only, "
                            "the robot runtime has no force-field estimator yet") for sensor in TACTILE_SENSORS]
    pose = start_pose(settings)
    return PolicyInterface(
        task=name, robot="franka_panda", joints=franka.joint_specs(pose, arm_torque_control=True),
        control_period_s=1 / 60, observations=observations,
        action=ActionSpec(type="ee_pose_delta", joint_names=franka.ARM_JOINT_NAMES,
                          scale=[settings.position_scale] * 3 + [settings.rotation_scale] * 3, offset=[0.0] * 6,
                          clip=1.0, components=["x", "y", "z", "rx", "ry", "rz"], frame=TCP),
        tactile=tactile)


def _expert_teacher(settings: PegTaskSettings) -> dict:
    """The scripted expert as a distillation teacher on the critic group (the privileged view's observations)."""
    offsets = _interface("privileged", settings.as_teacher()).term_offsets()
    return {"class_name": "sim.tasks.peg_insertion.expert:PegExpertModel",
            "fixture_pose_at": offsets["fixture_pose"], "peg_pose_at": offsets["peg_pose"],
            "peg_length": settings.peg.length, "fixture_depth": settings.fixture.depth,
            "position_scale": settings.position_scale, "rotation_scale": settings.rotation_scale}


SETTINGS: dict[str, PegTaskSettings] = {}
"""Task name -> its :class:`PegTaskSettings` (benchmarks build variants of a task's config from it)."""


def _task(name: str, settings: PegTaskSettings, description: str) -> TaskSpec:
    SETTINGS[name] = settings
    def make_gym_env(opts: EnvOptions):
        from isaaclab.envs import ManagerBasedRLEnv

        from sim.tasks.peg_insertion.env_cfg import make_peg_env_cfg

        return ManagerBasedRLEnv(make_peg_env_cfg(opts, settings))

    def make_env(opts: EnvOptions):
        return make_env_from_cfg(make_gym_env(opts), interface)

    words = name.title().replace("-", "")
    interface = _interface(name, settings)
    return TaskSpec(
        name=name, gym_id=f"RobotAc-{words}-v0", description=description, interface=interface,
        make_env=make_env, make_gym_env=make_gym_env,
        ppo=PpoConfig(num_steps_per_env=32, actor_hidden_dims=(128, 128), critic_hidden_dims=(128, 128),
                      num_learning_epochs=5, learning_rate=3e-4, entropy_coef=0.002, init_noise_std=0.5,
                      obs_normalization=True, clip_actions=1.0),
        max_iterations=500, num_envs=16, expert_teacher=_expert_teacher(settings),
        success_metric=f"peg bottom within {settings.success_height * 1000:.0f} mm of the fixture floor and "
                       f"{settings.success_lateral * 1000:.0f} mm of the hole's axis at the end of the episode "
                       f"({EPISODE_STEPS} steps, {EPISODE_STEPS / 60:.2f} s)")


def make_env_from_cfg(env, interface: PolicyInterface):
    """The rsl_rl env of a peg ``ManagerBasedRLEnv`` (possibly of a modified config), checked against
    ``interface``."""
    from sim.bootstrap import wrap_for_rsl_rl
    from sim.tasks.peg_insertion.mdp import task_success

    return wrap_for_rsl_rl(env, interface, success=task_success, clip_actions=1.0)


def _views(name: str, settings: PegTaskSettings, what: str) -> list[TaskSpec]:
    base = f"Franka with GelSight pads: {what}; 6-D TCP pose increments through a task-space impedance, 60 Hz"
    return [_task(name, settings.with_tactile("image"), f"{base}. Student: GelSight images."),
            _task(f"{name}-force-field", settings.with_tactile("force_field"), f"{base}. Student: force fields."),
            _task(f"{name}-privileged", settings.as_teacher(), f"{base}. Teacher: privileged state.")]


PEG_TASKS = [*_views("franka-peg-insert", INSERT, "insert a held square peg into a socket (2 mm clearance)"),
             *_views("franka-peg-place", PLACE, "set a held peg down on the centre of a plate")]

