"""What varies between the peg tasks, and the constants they share; importable without a simulator (the task
registry reads it to state each task's policy interface).

``INSERT`` (a square peg into a socket with 2 mm of total clearance) and ``PLACE`` (the same peg set down on a flat
plate, for quick checks) are the two tasks; ``with_tactile`` and ``as_teacher`` give their student and teacher views.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

from robot_ac.errors import RobotAcError
from sim.robots import franka
from sim.tasks.peg_insertion.fixtures import PegGeometry, SocketGeometry

SIM_DT = 1 / 120
"""Simulation step, s: the operational-space controller, the sensors and the events run at 120 Hz (TacSL, Factory)."""
PHYSICS_SUBSTEPS = 2
"""Physics substeps per simulation step (240 Hz contacts). At 120 Hz alone the grasp loses rotation about the
closing axis when the peg meets the fixture (the expert seats 13-14 of 16 pegs instead of 16: the peg pivots between
the pads); two substeps hold it, as TacSL's two PhysX substeps do."""
DECIMATION = 2
"""60 Hz control, as TacSL."""
EPISODE_STEPS = 80
"""1.33 s: the expert seats the peg within 50 steps; the rest of the episode is for holding it (success is being
seated at the end)."""
PAD_FRICTION = 2.0
"""Friction coefficient of the finger pads (GelSight silicone); MuJoCo combines a pair's coefficients by their
maximum, so the peg keeps its own (randomised) friction against the fixture."""
TACTILE_SENSORS = ("left_tactile", "right_tactile")
GEL_PROUD = 0.001
"""How far the gel surface stands out of the finger's collision pad, m: a held peg presses this deep into it."""
TACTILE_MODES = ("image", "force_field", "none")


@dataclass(frozen=True)
class PegTaskSettings:
    peg: PegGeometry = PegGeometry()
    fixture: SocketGeometry = SocketGeometry()
    fixture_position: tuple[float, float, float] = (0.5, 0.0, 0.05)
    """Nominal fixture frame (top of its base plate) in the robot base frame, m."""
    start_height: float = 0.02
    """Height of the peg's bottom above the top of the fixture at the start, m."""
    fixture_xy_range: float = 0.01
    """Uniform fixture position randomisation, +- m."""
    fixture_yaw_range: float = math.radians(3.0)
    easy_xy_range: float = 0.0005
    """Fixture offset from the held peg's axis at the curriculum's easiest level, +- m (inside the clearance)."""
    easy_clearance: float = -0.005
    """Height of the peg's bottom above the fixture's walls at the curriculum's easiest level, m: 5 mm inserted."""
    fixture_estimate_error: float = 0.002
    """Error of the observed fixture position, +- m, drawn per episode."""
    in_hand_offset: tuple[float, float] = (0.002, 0.003)
    """In-hand position randomisation along the pads' width and along the gripper axis, +- m."""
    in_hand_tilt: float = math.radians(5.0)
    """In-hand rotation about the fingers' closing axis, +- rad."""
    finger_target: float = 0.003
    """Finger position target, m: 1.5 mm inside the peg faces, so each finger squeezes the peg with about
    2000 N/m x 1.5 mm = 3 N (contacts are soft in MuJoCo: more sinks the fingers into the peg)."""
    success_lateral: float = 0.003
    success_height: float = 0.004
    """Success: the peg's bottom this close (m) to the fixture floor, and this close to the hole's axis."""
    tactile: str = "image"
    """What the policy feels: ``image`` (GelSight), ``force_field`` (TacSL's taxel forces) or ``none``."""
    privileged_policy: bool = False
    """The policy group is the critic's privileged state (a teacher's view; not deployable)."""
    tactile_size: tuple[int, int] = (24, 32)
    """Rows and columns of the tactile image the policy sees: the robot block-averages its 240 x 320 camera image to
    it; the simulator renders at this size directly."""
    tactile_samples_per_pixel: int = 3
    """Rendering at the policy's size: samples shaded per pixel along each axis, then averaged (anti-aliasing: a
    flat peg face matches the full-resolution-then-averaged image with correlation 0.93 at 3, 0.61 at 1)."""
    tactile_gain_range: tuple[float, float] = (0.85, 1.15)
    """Per-episode brightness and per-channel gain augmentation of the tactile images."""
    taxels: tuple[int, int] = (10, 10)
    force_field_scale: float = 0.1
    """Multiplies the force field (N) in the observation."""
    friction_range: tuple[float, float] = (0.75, 1.25)
    """Peg friction coefficient randomisation (per shape, at start-up)."""
    position_scale: float = 0.005
    """m of TCP target offset per unit of action (0.3 m/s at full action)."""
    rotation_scale: float = 0.02
    """rad of TCP target rotation per unit of action."""
    impedance_stiffness: tuple[float, ...] = (400.0, 400.0, 400.0, 200.0, 200.0, 200.0)
    """Task-space stiffness (position then rotation), applied to the decoupled (unit-mass) dynamics: 1/s^2."""

    def __post_init__(self):
        if self.tactile not in TACTILE_MODES:
            raise RobotAcError(f"peg task: tactile = '{self.tactile}', expected one of {', '.join(TACTILE_MODES)}")

    @property
    def grasp_height(self) -> float:
        """Peg centre below the TCP, m: the pads hold the peg's top part with 10 mm of it above the pads' centre."""
        return self.peg.length / 2 - 0.01

    @property
    def start_tcp_position(self) -> tuple[float, float, float]:
        x, y, z = self.fixture_position
        return x, y, z + self.fixture.depth + self.start_height + self.peg.length / 2 + self.grasp_height

    def with_tactile(self, tactile: str) -> PegTaskSettings:
        return replace(self, tactile=tactile)

    def as_teacher(self) -> PegTaskSettings:
        return replace(self, tactile="none", privileged_policy=True)


@functools.lru_cache
def start_pose(settings: PegTaskSettings) -> dict[str, float]:
    """Joint positions of the start (and nullspace) configuration: the TCP above the nominal fixture, the fingers
    touching the peg."""
    pose = franka.arm_configuration_for_tcp(settings.start_tcp_position)
    pose.update({name: settings.peg.side / 2 - 0.0015 for name in franka.JOINT_NAMES[7:]})
    return pose


INSERT = PegTaskSettings()
PLACE = PegTaskSettings(fixture=SocketGeometry(depth=0.0), success_lateral=0.005, success_height=0.003,
                        fixture_xy_range=0.02, easy_xy_range=0.002, easy_clearance=0.001)
