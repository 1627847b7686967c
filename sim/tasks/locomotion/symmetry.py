"""Left/right mirror of the locomotion observations and actions: rsl_rl's symmetry augmentation (Mittal et al., ICRA
2024), with which every PPO mini-batch also trains on its mirror image, so a policy learns both sides of a gait or a
recovery from one side's samples.

The mirror is the reflection across the robot's sagittal (x-z) plane. A polar vector (gravity, linear velocity)
flips its y; an axial one (angular velocity) flips x and z; the velocity command (vx, vy, yaw rate) flips vy and the
yaw rate; per-foot terms swap their two columns; joints swap with their mirror image, their sign given by the robot
(:func:`sim.robots.g1.mirrored_joint`). A term without a known mirror is refused by name: mirroring it wrongly
would teach the policy a wrong symmetry without any error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from robot_ac.errors import RobotAcError

JointMirror = Callable[[str], tuple[str, float]]
"""joint name -> (the name of its mirror image, the sign between their positions)."""

VECTOR_SIGNS = {
    "base_ang_vel": (-1.0, 1.0, -1.0),
    "projected_gravity": (1.0, -1.0, 1.0),
    "base_lin_vel": (1.0, -1.0, 1.0),
    "velocity_command": (1.0, -1.0, -1.0),
    "base_height": (1.0,),
    # position, quaternion (x, y, z, w: a rotation R mirrors to M R M, M = diag(1, -1, 1)), velocity, angular velocity
    "pelvis_in_feet_frame": (1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0),
}
"""Terms mirrored by a sign per component."""
JOINT_TERMS = frozenset({"joint_pos", "joint_vel", "actions"})
"""Terms with one column per joint, in the articulation's joint order."""
FOOT_TERMS = frozenset({"foot_height", "feet_air_time", "feet_contact_force"})
"""Terms with one column per foot, left then right."""


def joint_mirror_indices(joint_names: list[str], joint_mirror: JointMirror) -> tuple[torch.Tensor, torch.Tensor]:
    """(index, sign) such that ``x[:, index] * sign`` mirrors per-joint values ``x`` ordered as ``joint_names``."""
    position = {name: i for i, name in enumerate(joint_names)}
    index, sign = [], []
    for name in joint_names:
        other, s = joint_mirror(name)
        if other not in position:
            raise RobotAcError(f"symmetry: joint '{name}' mirrors to '{other}', which the robot does not have")
        index.append(position[other])
        sign.append(s)
    return torch.tensor(index), torch.tensor(sign)


def _term_mirror(group: str, term: str, dim: int, joints: tuple[torch.Tensor, torch.Tensor]
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    if term in VECTOR_SIGNS and len(VECTOR_SIGNS[term]) == dim:
        return torch.arange(dim), torch.tensor(VECTOR_SIGNS[term])
    if term in JOINT_TERMS and dim == len(joints[0]):
        return joints
    if term in FOOT_TERMS and dim == 2:
        return torch.tensor([1, 0]), torch.ones(2)
    raise RobotAcError(f"symmetry: observation term '{group}/{term}' ({dim} values) has no left/right mirror; "
                       f"known: {sorted(VECTOR_SIGNS)} (by size), {sorted(JOINT_TERMS)} (one per joint), "
                       f"{sorted(FOOT_TERMS)} (left and right foot)")


def group_mirror(terms: list[str], dims: list[tuple[int, ...]], joints: tuple[torch.Tensor, torch.Tensor],
                 group: str = "policy") -> tuple[torch.Tensor, torch.Tensor]:
    """(index, sign) that mirror a concatenated observation group of ``terms`` with flat sizes ``dims``."""
    index, sign, offset = [], [], 0
    for term, shape in zip(terms, dims, strict=True):
        if len(shape) != 1:
            raise RobotAcError(f"symmetry: observation term '{group}/{term}' has shape {shape}; only flat terms "
                               "(no history) can be mirrored")
        term_index, term_sign = _term_mirror(group, term, shape[0], joints)
        index.append(term_index + offset)
        sign.append(term_sign)
        offset += shape[0]
    return torch.cat(index), torch.cat(sign)


def _mirrors(env: Any, joint_mirror: JointMirror) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Per observation group and for ``"actions"``, cached on the env: the layout does not change once built."""
    base = env.unwrapped
    cached = getattr(base, "_robot_ac_mirrors", None)
    if cached is None:
        joints = joint_mirror_indices(list(base.scene["robot"].joint_names), joint_mirror)
        manager = base.observation_manager
        cached = {group: group_mirror(terms, manager.group_obs_term_dim[group], joints, group)
                  for group, terms in manager.active_terms.items()}
        cached["actions"] = joints
        base._robot_ac_mirrors = cached
    return cached


def _with_mirror(x: torch.Tensor, mirror: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    index, sign = (t.to(x.device) for t in mirror)
    return torch.cat([x, x[:, index] * sign.to(x.dtype)])


def augment_with_mirror(env: Any, obs: Any = None, actions: torch.Tensor | None = None, *,
                        joint_mirror: JointMirror) -> tuple[Any, torch.Tensor | None]:
    """rsl_rl's ``data_augmentation_func``: each of ``obs`` (a TensorDict of observation groups) and ``actions``
    (None passes through) followed by its mirror image, twice the batch."""
    mirrors = _mirrors(env, joint_mirror)
    if obs is not None:
        obs = type(obs)({group: _with_mirror(value, mirrors[group]) for group, value in obs.items()},
                        batch_size=[2 * obs.batch_size[0]], device=obs.device)
    if actions is not None:
        actions = _with_mirror(actions, mirrors["actions"])
    return obs, actions
