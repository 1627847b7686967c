"""g1-stand's scripted expert: an LQR balance of the G1, designed on the asset's MJCF in MuJoCo.

The G1 at its PD gains cannot stand on its own (the ankles' 2 x 28.5 N·m/rad are a quarter of the m·g·h that tips
it over), so standing is active balance from the first step: the kind of problem linear feedback around an
equilibrium solves, as MuJoCo's own humanoid LQR tutorial shows. The design, in plain MuJoCo on the MJCF the USD was
made from, with the env's actuators (position actuators at the task's kp / kd, armature, torque limits) at its 1/150 s
step and 50 Hz control:

1. Equilibrium: the pelvis height at which the soles carry the weight (inverse dynamics at rest, its vertical
   residual nearest zero); held joints sagged to where their hold gains carry their load; leg targets that supply
   the joint torques. Inverse dynamics through soft contacts leaves a residual on the base, so the robot is then
   balanced by the feedback for 8 s and the design repeated where it came to rest (three rounds: the targets then
   move by less than 1e-3 rad).
2. Linearise one control step (three physics steps at constant targets) by finite differences
   (``mjd_transitionFD``), the state being the pelvis pose and every joint, with their velocities (70 numbers).
3. Discrete LQR on the leg targets: a large cost on the centre of mass off the feet's midpoint, small ones on the
   joints and the pelvis pose, almost none on velocities (cheap velocities damp pushes the best), a slight discount
   (0.995) for the free yaw and sliding modes that no leg target controls.

Measured in MuJoCo (20 episodes of 20 s, the base kicked every 1-3 s): 18 / 20 stand with kicks of ±0.3 m/s; with a
target cost of 1, 20 / 20 at ±0.2 m/s, 19 / 20 at ±0.3 m/s, 2 / 20 at ±0.4 m/s. Kicks past ±0.35 m/s need a
step: the capture point v / ω₀ (ω₀ = √(g / h) ≈ 3.9 /s) then lies beyond the toes, about 9 cm ahead of the
ankles, where no ankle or hip torque can stop the fall. In the env (Newton's MJWarp on the USD made from the same
MJCF) it stands 86 of 96 20-s episodes under ±0.3 m/s kicks (``g1-stand`` evaluated; 27 / 32 with seed 0,
59 / 64 with seed 7).

The expert reads the pelvis in the frame of its feet (:func:`sim.tasks.locomotion.mdp.pelvis_in_feet_frame`), so it
balances wherever the env put the robot and whatever its heading.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
from tensordict import TensorDict

from sim.robots import g1
from sim.scripted_expert import ScriptedExpertModel

PHYSICS_DT = 1 / 150
DECIMATION = 3
COM_COST = 1000.0
"""Per m² of the centre of mass's horizontal offset from the feet's midpoint."""
JOINT_COST = 1.0
"""Per rad² of each joint's offset from the equilibrium."""
PELVIS_COST = (10.0, 10.0, 10.0, 30.0, 30.0, 10.0)
"""Per m² of the pelvis's position and per rad² of its roll, pitch and yaw offset."""
VELOCITY_COST = 0.01
"""Per (m/s)² or (rad/s)² of every velocity."""
TARGET_COST = 10.0
"""Per rad² of each leg target's offset from the equilibrium."""
DISCOUNT = 0.995
SETTLE_STEPS = 400
PELVIS_STATE_SIZE = 13
"""Position, quaternion, velocity and angular velocity of the pelvis in the feet frame."""
DESIGN_ROUNDS = 3
LABEL_TILT_LIMIT = 0.35
"""Pelvis tilt (rad from the equilibrium) past which the expert leaves a state unlabelled: the linearisation no
longer holds there and the gain steers a fall, not a balance. In the episodes the expert survives under pushes the
tilt stays below 0.27 rad 99% of the time."""


@dataclass(frozen=True)
class BalanceDesign:
    """The LQR law u = u0 - K (x - x0) on the 12 leg targets, in the feet frame."""

    pelvis_pos: np.ndarray
    """(3,) the pelvis in the feet frame at the equilibrium, m."""
    pelvis_quat: np.ndarray
    """(4,) its orientation there, (x, y, z, w) as Isaac Lab writes quaternions."""
    joint_pos: np.ndarray
    """(29,) joint angles at the equilibrium, in :data:`sim.robots.g1.JOINT_NAMES` order, rad."""
    leg_targets: np.ndarray
    """(12,) leg PD targets at the equilibrium, :data:`sim.robots.g1.LEG_JOINT_NAMES` order, rad."""
    gain: np.ndarray
    """(12, 70) feedback on (pelvis position, rotation vector, joints, pelvis velocity, angular velocity in the
    pelvis frame, joint velocities)."""
    mujoco_qpos: np.ndarray
    """(36,) the equilibrium as the MuJoCo model's qpos (world frame, w-first quaternion)."""
    mujoco_ctrl: np.ndarray
    """(29,) the actuator targets there."""
    closed_loop_radius: float
    """Largest |eigenvalue| of the linearised closed loop (below 1 + 1e-6: stable up to the free modes)."""


def mujoco_model(held: frozenset[str]):
    """The asset's MJCF on a ground plane with the env's actuators and step."""
    import mujoco

    spec = g1.mujoco_spec(ground=True)
    spec.option.timestep = PHYSICS_DT
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    for spec_joint in g1.joint_specs(held):
        actuator = spec.add_actuator(name=spec_joint.name, target=spec_joint.name,
                                     trntype=mujoco.mjtTrn.mjTRN_JOINT)
        actuator.set_to_position(kp=spec_joint.stiffness, kv=spec_joint.damping)
        actuator.forcelimited = True
        actuator.forcerange = [-spec_joint.effort_limit, spec_joint.effort_limit]
    return spec.compile()


class _Plant:
    """The MuJoCo G1 and the maps between its arrays and the design's."""

    def __init__(self, held: frozenset[str]) -> None:
        import mujoco

        self.mj = mujoco
        self.model = mujoco_model(held)
        self.data = mujoco.MjData(self.model)
        joint_ids = [self.model.joint(n).id for n in g1.JOINT_NAMES]
        self.qpos_at = self.model.jnt_qposadr[joint_ids]
        self.dof_at = self.model.jnt_dofadr[joint_ids]
        self.kp = np.array([self.model.actuator(n).gainprm[0] for n in g1.JOINT_NAMES])
        self.held = np.array([n in held for n in g1.JOINT_NAMES])
        self.legs = np.array([self.model.actuator(n).id for n in g1.LEG_JOINT_NAMES])
        self.default = np.array([g1.DEFAULT_POSE[n] for n in g1.JOINT_NAMES])

    def rest(self, joints: np.ndarray, height: float) -> None:
        self.data.qpos[:] = 0.0
        self.data.qpos[2], self.data.qpos[3] = height, 1.0
        self.data.qpos[self.qpos_at] = joints
        self.data.qvel[:] = 0.0
        self.data.qacc[:] = 0.0

    def static_torques(self, joints: np.ndarray, height: float) -> np.ndarray:
        self.rest(joints, height)
        self.mj.mj_inverse(self.model, self.data)
        return self.data.qfrc_inverse.copy()

    def inverse_equilibrium(self) -> tuple[np.ndarray, np.ndarray]:
        joints, heights = self.default.copy(), g1.STANDING_HEIGHT + np.linspace(-0.01, 0.01, 401)
        for _ in range(DESIGN_ROUNDS):
            height = min(heights, key=lambda h: abs(self.static_torques(joints, h)[2]))
            torques = self.static_torques(joints, height)[self.dof_at]
            joints = np.where(self.held, self.default - torques / self.kp, joints)
        self.rest(joints, height)
        return self.data.qpos.copy(), np.where(self.held, self.default, joints + torques / self.kp)

    def linearise(self, qpos: np.ndarray, ctrl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.data.qpos[:], self.data.qvel[:], self.data.ctrl[:] = qpos, 0.0, ctrl
        self.mj.mj_forward(self.model, self.data)
        n = 2 * self.model.nv
        a_step, b_step = np.zeros((n, n)), np.zeros((n, self.model.nu))
        self.mj.mjd_transitionFD(self.model, self.data, 1e-6, True, a_step, b_step, None, None)
        a_control = np.linalg.matrix_power(a_step, DECIMATION)
        b_control = sum(np.linalg.matrix_power(a_step, k) for k in range(DECIMATION)) @ b_step
        return a_control, b_control[:, self.legs]

    def com_over_feet_jacobian(self, qpos: np.ndarray) -> np.ndarray:
        self.data.qpos[:] = qpos
        self.mj.mj_forward(self.model, self.data)
        nv = self.model.nv
        com, left, right = np.zeros((3, nv)), np.zeros((3, nv)), np.zeros((3, nv))
        self.mj.mj_jacSubtreeCom(self.model, self.data, com, self.model.body(g1.ROOT_BODY).id)
        self.mj.mj_jacBodyCom(self.model, self.data, left, None, self.model.body(g1.FOOT_BODIES[0]).id)
        self.mj.mj_jacBodyCom(self.model, self.data, right, None, self.model.body(g1.FOOT_BODIES[1]).id)
        return (com - (left + right) / 2)[:2]

    def state_error(self, qpos0: np.ndarray) -> np.ndarray:
        nv = self.model.nv
        error = np.zeros(2 * nv)
        self.mj.mj_differentiatePos(self.model, error[:nv], 1.0, qpos0, self.data.qpos)
        error[nv:] = self.data.qvel
        return error

    def balance(self, qpos0: np.ndarray, ctrl0: np.ndarray, gain: np.ndarray, steps: int,
                kick: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
        """Run the feedback from ``qpos0``, the body moving at ``kick`` (m/s, x and y); the targets it sends at
        the end."""
        self.data.time, self.data.qpos[:], self.data.qvel[:] = 0.0, qpos0, 0.0
        self.data.qvel[:2] = kick
        ctrl = ctrl0.copy()
        for _ in range(steps):
            ctrl[self.legs] = ctrl0[self.legs] - gain @ self.state_error(qpos0)
            self.data.ctrl[:] = ctrl
            for _ in range(DECIMATION):
                self.mj.mj_step(self.model, self.data)
        return ctrl

    def feet_frame(self) -> tuple[np.ndarray, float]:
        left, right = (self.data.xpos[self.model.body(b).id] for b in g1.FOOT_BODIES)
        side = left - right
        return (left + right) / 2, float(np.arctan2(-side[0], side[1]))


def _lqr(a: np.ndarray, b: np.ndarray, com_jacobian: np.ndarray) -> np.ndarray:
    import scipy.linalg

    nv = a.shape[0] // 2
    position_cost = COM_COST * com_jacobian.T @ com_jacobian + np.diag(
        [*PELVIS_COST, *[JOINT_COST] * (nv - 6)])
    q = scipy.linalg.block_diag(position_cost, VELOCITY_COST * np.eye(nv))
    r = TARGET_COST * np.eye(b.shape[1])
    a_d, b_d = np.sqrt(DISCOUNT) * a, np.sqrt(DISCOUNT) * b
    p = scipy.linalg.solve_discrete_are(a_d, b_d, q, r)
    return np.linalg.solve(r + b_d.T @ p @ b_d, b_d.T @ p @ a_d)


@functools.cache
def design(held: frozenset[str]) -> BalanceDesign:
    """The LQR balance for the G1 with ``held`` joints at :data:`sim.robots.g1.HOLD_GAINS` (about 1 s of CPU)."""
    plant = _Plant(held)
    qpos0, ctrl0 = plant.inverse_equilibrium()
    for _ in range(DESIGN_ROUNDS):
        a, b = plant.linearise(qpos0, ctrl0)
        gain = _lqr(a, b, plant.com_over_feet_jacobian(qpos0))
        ctrl0 = plant.balance(qpos0, ctrl0, gain, SETTLE_STEPS)
        qpos0 = plant.data.qpos.copy()
    a, b = plant.linearise(qpos0, ctrl0)
    gain = _lqr(a, b, plant.com_over_feet_jacobian(qpos0))
    origin, yaw = plant.feet_frame()
    if abs(yaw) > 1e-3 or abs(origin[1]) > 1e-3:
        raise RuntimeError(f"g1 balance design: the feet frame is off the world's axes (yaw {yaw:.2g} rad, "
                           f"y {origin[1]:.2g} m): the MJCF or the default pose is no longer left/right symmetric")
    w, x, y, z = qpos0[3:7]
    radius = float(np.abs(np.linalg.eigvals(a - b @ gain)).max())
    return BalanceDesign(pelvis_pos=qpos0[:3] - origin, pelvis_quat=np.array([x, y, z, w]),
                         joint_pos=qpos0[plant.qpos_at], leg_targets=ctrl0[plant.legs], gain=gain,
                         mujoco_qpos=qpos0, mujoco_ctrl=ctrl0, closed_loop_radius=radius)


class G1BalanceExpertModel(ScriptedExpertModel):
    """The LQR balance as an rsl_rl model (a distillation teacher): 29 actions (the held joints' 0) from the critic
    group's joint positions and velocities (relative to the default pose) and the pelvis in the feet frame
    (:func:`sim.tasks.locomotion.mdp.pelvis_in_feet_frame`), at the offsets given. Past :data:`LABEL_TILT_LIMIT`
    the actions are NaN: unlabelled, for a student not to learn falling from it."""

    def __init__(self, obs: TensorDict, obs_groups: dict[str, list[str]], obs_set: str, output_dim: int, *,
                 joint_pos_at: int, joint_vel_at: int, pelvis_at: int, held: list[str],
                 action_scale: list[float], action_limit: float) -> None:
        super().__init__(obs_groups, obs_set, output_dim, expected_dim=len(g1.JOINT_NAMES))
        self.joint_pos_at, self.joint_vel_at, self.pelvis_at = joint_pos_at, joint_vel_at, pelvis_at
        balance = design(frozenset(held))
        legs = [g1.JOINT_NAMES.index(n) for n in g1.LEG_JOINT_NAMES]
        default = np.array([g1.DEFAULT_POSE[n] for n in g1.JOINT_NAMES])
        scale = np.array(action_scale)[legs]
        as_tensor = functools.partial(torch.tensor, dtype=torch.float32)
        self.register_buffer("legs", torch.tensor(legs))
        self.register_buffer("pelvis_pos", as_tensor(balance.pelvis_pos))
        self.register_buffer("pelvis_quat_inverse", as_tensor(balance.pelvis_quat * (-1.0, -1.0, -1.0, 1.0)))
        self.register_buffer("joint_offset", as_tensor(balance.joint_pos - default))
        # u = u0 - K dx on the targets, as actions: (u - default) / scale.
        self.register_buffer("action_at_rest", as_tensor((balance.leg_targets - default[legs]) / scale))
        self.register_buffer("action_gain", as_tensor(balance.gain / scale[:, None]))
        self.action_limit = action_limit

    def forward(self, obs: TensorDict, masks: torch.Tensor | None = None, hidden_state=None,
                stochastic_output: bool = False) -> torch.Tensor:
        from isaaclab.utils.math import axis_angle_from_quat, quat_mul

        state = self.state(obs)
        n = len(g1.JOINT_NAMES)
        pelvis = state[:, self.pelvis_at:self.pelvis_at + PELVIS_STATE_SIZE]
        rotation = axis_angle_from_quat(quat_mul(self.pelvis_quat_inverse.expand(len(state), 4), pelvis[:, 3:7]))
        error = torch.cat((pelvis[:, :3] - self.pelvis_pos, rotation,
                           state[:, self.joint_pos_at:self.joint_pos_at + n] - self.joint_offset,
                           pelvis[:, 7:13], state[:, self.joint_vel_at:self.joint_vel_at + n]), dim=-1)
        actions = torch.zeros(len(state), n, device=state.device)
        legs = self.action_at_rest - error @ self.action_gain.T
        actions[:, self.legs] = legs.clamp(-self.action_limit, self.action_limit)
        actions[rotation.norm(dim=-1) > LABEL_TILT_LIMIT] = torch.nan
        return actions
