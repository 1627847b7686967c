"""Terms of the peg tasks: frames, observations, keypoint reward, success, and the resets that put the peg in hand.

Frames: the TCP is the point between the fingertips (``franka.TCP_OFFSET`` in the hand frame, z pointing out of the
gripper). The peg's frame is its centre with z along its axis. The fixture's frame is the top of its base plate at
the hole's centre, z up. Quaternions are (x, y, z, w) like everywhere in Isaac Lab 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from isaaclab.managers import ManagerTermBase
from isaaclab.utils.math import (combine_frame_transforms, quat_apply, quat_from_euler_xyz, quat_mul,
                                 sample_uniform, subtract_frame_transforms)

from robot_ac.contract.tactile import TactilePreprocessing
from sim.robots import franka
from sim.tasks.curriculum import SuccessWindowCurriculum, env_indices
from sim.tactile.preprocessing import preprocess_torch

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv

PEG_ALIGNED_IN_HAND = (1.0, 0.0, 0.0, 0.0)
"""Peg orientation in the TCP frame when held straight: 180 degrees about x, so the peg's z points up (TCP z points
down) and its faces meet the pads."""


@dataclass(frozen=True)
class PegKeypoints:
    """Points along the peg's axis whose distance to their goal is the task's progress measure (IndustReal)."""

    length: float
    count: int = 4

    def offsets(self, device) -> torch.Tensor:
        """(count, 3) points in the peg frame, from its bottom face up to its middle."""
        heights = torch.linspace(0.0, 0.5, self.count, device=device) * self.length - self.length / 2
        return torch.stack([torch.zeros_like(heights), torch.zeros_like(heights), heights], dim=-1)


def tcp_pose_w(env: ManagerBasedRLEnv) -> tuple[torch.Tensor, torch.Tensor]:
    robot = env.scene["robot"]
    hand = robot.body_names.index(franka.HAND_BODY)
    pose = robot.data.body_link_pose_w.torch[:, hand]
    offset = torch.tensor(franka.TCP_OFFSET, device=env.device).expand(env.num_envs, 3)
    return pose[:, :3] + quat_apply(pose[:, 3:], offset), pose[:, 3:]


def _pose(env: ManagerBasedRLEnv, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    pose = env.scene[name].data.root_pose_w.torch
    return pose[:, :3], pose[:, 3:]


def peg_bottom_w(env: ManagerBasedRLEnv, peg_length: float) -> torch.Tensor:
    pos, quat = _pose(env, "peg")
    down = torch.tensor((0.0, 0.0, -peg_length / 2), device=env.device).expand(env.num_envs, 3)
    return pos + quat_apply(quat, down)


def keypoint_distance(env: ManagerBasedRLEnv, peg_length: float) -> torch.Tensor:
    """Mean distance (m) of the peg's keypoints from where they are when the peg stands on the fixture's floor."""
    keypoints = PegKeypoints(peg_length)
    offsets = keypoints.offsets(env.device)
    peg_pos, peg_quat = _pose(env, "peg")
    fixture_pos, fixture_quat = _pose(env, "fixture")
    goal_pos = fixture_pos + quat_apply(fixture_quat, torch.tensor((0.0, 0.0, peg_length / 2), device=env.device)
                                        .expand(env.num_envs, 3))
    n, k = env.num_envs, keypoints.count
    current = peg_pos[:, None] + quat_apply(peg_quat[:, None].expand(n, k, 4).reshape(-1, 4),
                                            offsets.repeat(n, 1)).view(n, k, 3)
    goal = goal_pos[:, None] + quat_apply(fixture_quat[:, None].expand(n, k, 4).reshape(-1, 4),
                                          offsets.repeat(n, 1)).view(n, k, 3)
    return torch.linalg.norm(current - goal, dim=-1).mean(dim=-1)


# --- observations -----------------------------------------------------------------------------------------------

def tcp_pose(env: ManagerBasedRLEnv) -> torch.Tensor:
    """TCP position relative to the env origin (m) and orientation (x, y, z, w), in the robot base frame."""
    pos, quat = tcp_pose_w(env)
    return torch.cat([pos - env.scene.env_origins, quat], dim=-1)


def tcp_velocity(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Hand linear (m/s) and angular (rad/s) velocity, world frame."""
    robot = env.scene["robot"]
    hand = robot.body_names.index(franka.HAND_BODY)
    return robot.data.body_link_vel_w.torch[:, hand]


class fixture_position_estimate(ManagerTermBase):
    """The fixture's position relative to the env origin as a perception system would give it: the true position
    plus an x-y error of up to ``error`` m, drawn once per episode."""

    def __init__(self, cfg, env: ManagerBasedRLEnv):
        super().__init__(cfg, env)
        self.error = torch.zeros(env.num_envs, 3, device=env.device)

    def reset(self, env_ids=None) -> None:
        ids = env_indices(self._env, env_ids)
        count = len(ids)
        bound = self.cfg.params["error"]
        self.error[ids, :2] = sample_uniform(-bound, bound, (count, 2), self.device)

    def __call__(self, env: ManagerBasedRLEnv, error: float) -> torch.Tensor:
        pos, _ = _pose(env, "fixture")
        return pos - env.scene.env_origins + self.error


def fixture_pose(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Privileged: the fixture's true pose (position relative to the env origin, orientation)."""
    pos, quat = _pose(env, "fixture")
    return torch.cat([pos - env.scene.env_origins, quat], dim=-1)


def peg_pose(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Privileged: the peg's pose (position relative to the env origin, orientation)."""
    pos, quat = _pose(env, "peg")
    return torch.cat([pos - env.scene.env_origins, quat], dim=-1)


def peg_in_hand_pose(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Privileged: the peg's pose in the TCP frame, what the tactile pads are there to reveal."""
    tcp_pos, tcp_quat = tcp_pose_w(env)
    peg_pos, peg_quat = _pose(env, "peg")
    pos, quat = subtract_frame_transforms(tcp_pos, tcp_quat, peg_pos, peg_quat)
    return torch.cat([pos, quat], dim=-1)


def pad_forces(env: ManagerBasedRLEnv, sensors: tuple[str, ...]) -> torch.Tensor:
    """Privileged: the total force (shear x, shear y, normal; N, pad frame) on each pad."""
    return torch.cat([env.scene[name].data.force_field.sum(dim=(1, 2)) for name in sensors], dim=-1)


class tactile_images(ManagerTermBase):
    """GelSight images of the pads as the student sees them: block-averaged difference from the untouched gel
    (:class:`TactilePreprocessing`, the same code the robot runs), times a per-episode colour gain per env
    (augmentation), flattened as (pad, channel, row, column).

    The no-contact reference is the simulator's rendering of the untouched gel, as the robot's reference is a frame
    of its own gel captured before contact.
    """

    def __init__(self, cfg, env: ManagerBasedRLEnv):
        super().__init__(cfg, env)
        self.sensors: tuple[str, ...] = tuple(cfg.params["sensors"])
        self.preprocessing = TactilePreprocessing(**cfg.params["preprocessing"])
        self.gain_range: tuple[float, float] = tuple(cfg.params.get("gain_range", (1.0, 1.0)))
        self.references = {}
        self.gains = torch.ones(env.num_envs, len(self.sensors), 3, 1, 1, device=env.device)

    def reset(self, env_ids=None) -> None:
        ids = env_indices(self._env, env_ids)
        count = len(ids)
        # A camera's overall brightness and each channel's gain vary between sensors and with lighting.
        low, high = self.gain_range
        brightness = sample_uniform(low, high, (count, len(self.sensors), 1, 1, 1), self.device)
        channel = sample_uniform(low, high, (count, len(self.sensors), 3, 1, 1), self.device)
        self.gains[ids] = brightness * channel

    def _reference(self, name: str) -> torch.Tensor:
        if name not in self.references:
            image = self._env.scene[name].no_contact_image
            self.references[name] = torch.as_tensor(image, device=self.device)
        return self.references[name]

    def __call__(self, env: ManagerBasedRLEnv, sensors, preprocessing, gain_range=(1.0, 1.0)) -> torch.Tensor:
        images = torch.stack([preprocess_torch(self.preprocessing, env.scene[name].data.rgb, self._reference(name))
                              for name in self.sensors], dim=1)
        return (images * self.gains).flatten(start_dim=1)


def tactile_force_field(env: ManagerBasedRLEnv, sensors: tuple[str, ...], scale: float) -> torch.Tensor:
    """TacSL's tactile force field of every pad, times ``scale``, flattened as (pad, component, row, column)."""
    fields = torch.stack([env.scene[name].data.force_field for name in sensors], dim=1)  # N, pad, rows, cols, 3
    return (fields.permute(0, 1, 4, 2, 3) * scale).flatten(start_dim=1)


# --- reward, termination and success ----------------------------------------------------------------------------------

def keypoint_bell(env: ManagerBasedRLEnv, peg_length: float, a: float, b: float) -> torch.Tensor:
    """Factory's keypoint reward ``1 / (exp(a d) + b + exp(-a d))`` of the mean keypoint distance d (m): peaks at
    ``1 / (2 + b)`` at the goal; ``a`` sets its reach (5: tens of cm, 100: a centimetre)."""
    distance = keypoint_distance(env, peg_length)
    return 1.0 / (torch.exp(a * distance) + b + torch.exp(-a * distance))


def peg_engaged(env: ManagerBasedRLEnv, peg_length: float, fixture_depth: float, lateral_tolerance: float,
                height: float) -> torch.Tensor:
    """Factory's engagement: the peg's bottom is over the hole (within ``lateral_tolerance`` of its axis) and less
    than ``height`` above the top of the fixture's walls, i.e. entering the hole."""
    local = _bottom_in_fixture(env, peg_length)
    return ((torch.linalg.norm(local[:, :2], dim=-1) < lateral_tolerance)
            & (local[:, 2] < fixture_depth + height)).float()


def _bottom_in_fixture(env: ManagerBasedRLEnv, peg_length: float) -> torch.Tensor:
    """The peg's bottom centre in the fixture frame (origin: top of the base plate at the hole's centre)."""
    bottom = peg_bottom_w(env, peg_length)
    fixture_pos, fixture_quat = _pose(env, "fixture")
    return quat_apply(torch.cat([-fixture_quat[:, :3], fixture_quat[:, 3:]], dim=-1), bottom - fixture_pos)


def peg_seated(env: ManagerBasedRLEnv, peg_length: float, lateral_tolerance: float,
               height_tolerance: float) -> torch.Tensor:
    """Success: the peg's bottom centre is within ``height_tolerance`` of the fixture's floor and within
    ``lateral_tolerance`` of the hole's axis."""
    local = _bottom_in_fixture(env, peg_length)
    return (torch.linalg.norm(local[:, :2], dim=-1) < lateral_tolerance) & (local[:, 2] < height_tolerance)


class seated(ManagerTermBase):
    """Reward for every step the peg is seated (:func:`peg_seated`); keeps this step's flags in ``self.flags``.

    Episodes have a fixed length and succeed if the peg is seated at their end (TacSL's measure), so a policy gains
    by seating the peg early and keeping it there; ending episodes on success instead would make hovering next to
    the goal, collecting the keypoint reward, worth more than finishing.
    """

    def __init__(self, cfg, env: ManagerBasedRLEnv):
        super().__init__(cfg, env)
        self.flags = torch.zeros(env.num_envs, dtype=torch.bool, device=env.device)

    def __call__(self, env: ManagerBasedRLEnv, peg_length: float, lateral_tolerance: float,
                 height_tolerance: float) -> torch.Tensor:
        self.flags = peg_seated(env, peg_length, lateral_tolerance, height_tolerance)
        return self.flags.float()


def peg_dropped(env: ManagerBasedRLEnv, max_distance: float) -> torch.Tensor:
    """The peg has left the gripper: its centre is more than ``max_distance`` from the TCP."""
    tcp_pos, _ = tcp_pose_w(env)
    peg_pos, _ = _pose(env, "peg")
    return torch.linalg.norm(peg_pos - tcp_pos, dim=-1) > max_distance


def peg_is_seated(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Per env: the peg was seated at the last step (before any reset); an episode's success where it ended."""
    return env.reward_manager.get_term_cfg("seated").func.flags


def task_success(env: ManagerBasedRLEnv) -> torch.Tensor:
    """Success of the episodes that just ended: seated at the time limit (a dropped peg fails)."""
    return peg_is_seated(env) & env.termination_manager.time_outs


# --- resets -------------------------------------------------------------------------------------------------------

def _lerp(easy: torch.Tensor | float, hard: torch.Tensor | float, level: float):
    return easy + (hard - easy) * level


def reset_fixture(env: ManagerBasedRLEnv, env_ids: torch.Tensor, nominal: tuple[float, float, float],
                  xy_range: float, yaw_range: float, peg_length: float, fixture_depth: float,
                  easy_xy_range: float, easy_clearance: float, level: float = 1.0) -> None:
    """Put the fixture at ``nominal`` (env frame) plus a uniform offset in x, y and yaw: the task (``level`` 1).

    Below level 1 (:class:`start_curriculum`) the fixture moves towards the held peg (it runs after
    :func:`reset_peg_in_hand`): at level 0 the hole is right under the peg (within ``easy_xy_range``), turned as the
    peg is, and its walls' top ``easy_clearance`` below the peg's bottom (negative: the peg starts that far inside,
    IndustReal's start); in between, every quantity is interpolated linearly.
    """
    env_ids = env_indices(env, env_ids)
    count = len(env_ids)
    pos = torch.tensor(nominal, device=env.device).repeat(count, 1) + env.scene.env_origins[env_ids]
    yaw = sample_uniform(-yaw_range, yaw_range, (count,), env.device)
    if level < 1.0:
        peg_pos, peg_quat = (x[env_ids] for x in _pose(env, "peg"))
        bottom = peg_pos + quat_apply(peg_quat, torch.tensor((0.0, 0.0, -peg_length / 2), device=env.device)
                                      .expand(count, 3))
        peg_x = quat_apply(peg_quat, torch.tensor((1.0, 0.0, 0.0), device=env.device).expand(count, 3))
        pos[:, :2] = _lerp(bottom[:, :2], pos[:, :2], level)
        pos[:, 2] = _lerp(bottom[:, 2] - fixture_depth - easy_clearance, pos[:, 2], level)
        yaw = _lerp(torch.atan2(peg_x[:, 1], peg_x[:, 0]), yaw, level)
    spread = _lerp(easy_xy_range, xy_range, level)
    pos[:, :2] += sample_uniform(-spread, spread, (count, 2), env.device)
    zeros = torch.zeros(count, device=env.device)
    env.scene["fixture"].write_root_pose_to_sim_index(root_pose=torch.cat([pos, quat_from_euler_xyz(zeros, zeros, yaw)],
                                                                          dim=-1), env_ids=env_ids)


def reset_peg_in_hand(env: ManagerBasedRLEnv, env_ids: torch.Tensor, peg_side: float, grasp_height: float,
                      offset_range: tuple[float, float], tilt_range: float, squeeze: float,
                      finger_target: float) -> None:
    """Arm to its default pose, the peg between the pads at a random in-hand pose, the fingers closed on it.

    The peg is held ``grasp_height`` below the TCP (its centre), shifted along the pad plane by up to
    ``offset_range`` (along the pads' width, along the gripper axis) and tilted about the fingers' closing axis by up
    to ``tilt_range`` rad: the in-hand pose a policy can only know from touch. The fingers start ``squeeze`` m inside
    the peg's faces so the grip holds from the first step; their position target ``finger_target`` (below 0, the
    closed position) sets the grip force through the finger drives' stiffness.
    """
    robot = env.scene["robot"]
    env_ids = env_indices(env, env_ids)
    count = len(env_ids)
    joint_pos = robot.data.default_joint_pos.torch[env_ids].clone()
    fingers = [robot.joint_names.index(name) for name in franka.JOINT_NAMES[7:]]
    joint_pos[:, fingers] = peg_side / 2 - 0.0015 - squeeze
    robot.write_joint_state_to_sim_index(position=joint_pos, velocity=torch.zeros_like(joint_pos), env_ids=env_ids)
    targets = robot.data.joint_pos_target.torch[env_ids].clone()
    targets[:, fingers] = finger_target
    robot.set_joint_position_target_index(target=targets, env_ids=env_ids)

    tcp_pos, tcp_quat = (x[env_ids] for x in tcp_pose_w(env))
    offset = torch.zeros(count, 3, device=env.device)
    offset[:, 0] = sample_uniform(-offset_range[0], offset_range[0], (count,), env.device)
    offset[:, 2] = grasp_height + sample_uniform(-offset_range[1], offset_range[1], (count,), env.device)
    zeros = torch.zeros(count, device=env.device)
    tilt = quat_from_euler_xyz(zeros, sample_uniform(-tilt_range, tilt_range, (count,), env.device), zeros)
    # The closing axis is the TCP's y: a tilt about y turns the peg in the plane of the pads.
    aligned = torch.tensor(PEG_ALIGNED_IN_HAND, device=env.device).repeat(count, 1)
    pos, quat = combine_frame_transforms(tcp_pos, tcp_quat, offset, quat_mul(tilt, aligned))
    peg = env.scene["peg"]
    peg.write_root_pose_to_sim_index(root_pose=torch.cat([pos, quat], dim=-1), env_ids=env_ids)
    peg.write_root_velocity_to_sim_index(root_velocity=torch.zeros(count, 6, device=env.device), env_ids=env_ids)


# --- curriculum ---------------------------------------------------------------------------------------------------

class start_curriculum(SuccessWindowCurriculum):
    """IndustReal's start curriculum (:class:`sim.tasks.curriculum.SuccessWindowCurriculum`): level 0 starts the peg
    partly inserted (or just above the plate), aligned with the hole and untilted in hand; 1 is the task as evaluated
    (:func:`reset_fixture`'s offsets, the full in-hand tilt). Success is :func:`task_success`."""

    def __init__(self, cfg, env: ManagerBasedRLEnv):
        super().__init__(cfg, env)
        self.full_tilt = float(env.event_manager.get_term_cfg("reset_peg_in_hand").params["tilt_range"])
        self.apply(env)

    def succeeded(self, env: ManagerBasedRLEnv) -> torch.Tensor:
        return task_success(env)

    def apply(self, env: ManagerBasedRLEnv) -> None:
        env.event_manager.get_term_cfg("reset_fixture").params["level"] = self.level
        env.event_manager.get_term_cfg("reset_peg_in_hand").params["tilt_range"] = self.level * self.full_tilt
