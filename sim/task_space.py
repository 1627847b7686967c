"""Task-space (operational-space) impedance actions on Newton: the controller a Cartesian robot's policy trains with.

:func:`pose_increment_action` builds Isaac Lab's operational-space action for 6-D pose increments of a body (a
relative target composed on the measured pose, fixed stiffness, damping ratio 1, decoupled by the joint-space mass
matrix), with :class:`ArmatureDecoupledOperationalSpaceAction` supplying the mass matrix Newton leaves out.
"""

from __future__ import annotations

import torch
from isaaclab.controllers import OperationalSpaceControllerCfg
from isaaclab.envs.mdp import OperationalSpaceControllerActionCfg
from isaaclab.envs.mdp.actions.task_space_actions import OperationalSpaceControllerAction


class ArmatureDecoupledOperationalSpaceAction(OperationalSpaceControllerAction):
    """Isaac Lab's operational-space action, decoupled with the mass matrix the joints really have.

    Newton reports the rigid-body mass matrix without the joints' armature (0.1 kg m² on every Panda joint, 15x the
    last wrist link's own inertia), so the stock controller under-drives the wrist by that much and its rotations
    crawl (the arm's joint damping then dominates). MuJoCo's own ``qM`` includes armature; so does this.
    """

    def _compute_dynamic_quantities(self):
        super()._compute_dynamic_quantities()
        if self._needs_mass_matrix:
            armature = self._asset.data.joint_armature.torch[:, self._joint_ids]
            self._mass_matrix += torch.diag_embed(armature)


def pose_increment_action(*, joint_names: list[str], body_name: str, stiffness: tuple[float, ...],
                          position_scale: float, rotation_scale: float,
                          body_offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
                          ) -> OperationalSpaceControllerActionCfg:
    """Pose increments (m, axis-angle rad per unit of action, base frame) of ``body_name`` + ``body_offset`` into an
    operational-space impedance controller of ``stiffness`` (position then rotation, 1/s² on the decoupled
    dynamics), the null space held at the default joint positions."""
    return OperationalSpaceControllerActionCfg(
        class_type=ArmatureDecoupledOperationalSpaceAction, asset_name="robot", joint_names=joint_names,
        body_name=body_name, body_offset=OperationalSpaceControllerActionCfg.OffsetCfg(pos=body_offset),
        controller_cfg=OperationalSpaceControllerCfg(
            target_types=["pose_rel"], impedance_mode="fixed", inertial_dynamics_decoupling=True,
            partial_inertial_dynamics_decoupling=False, gravity_compensation=False,
            motion_stiffness_task=stiffness, motion_damping_ratio_task=1.0, nullspace_control="position"),
        nullspace_joint_pos_target="default", position_scale=position_scale, orientation_scale=rotation_scale)
