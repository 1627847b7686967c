"""Cartpole environment config: Isaac Lab's direct cartpole, made offline and device-aware.

The dynamics, reward and resets are Isaac Lab's (``isaaclab_tasks.core.cartpole``); what changes is where the
model comes from (the flattened cartpole USD shipped with Newton, copied to ``sim/assets/cartpole``), no ground
or lights (both are Nucleus downloads and the cart never touches the ground) and explicit Newton contact buffers.
"""

from __future__ import annotations

from isaaclab_tasks.core.cartpole.cartpole_direct_env_cfg import CartpoleEnvCfg

from robot_ac.tasks import EnvOptions
from sim import ASSETS_DIR
from sim.bootstrap import check_local_assets, newton_physics

CARTPOLE_USD = ASSETS_DIR / "cartpole" / "cartpole.usda"
NJMAX = 5
"""Constraint rows per world: the slider's two limits plus margin; no contacts happen."""
NCONMAX = 3


def make_env_cfg(opts: EnvOptions) -> CartpoleEnvCfg:
    cfg = CartpoleEnvCfg()
    cfg.seed = opts.seed
    cfg.sim.device = opts.device
    cfg.sim.physics = newton_physics(opts.device, njmax=NJMAX, nconmax=NCONMAX)
    cfg.scene.num_envs = opts.num_envs
    cfg.scene.ground = None
    cfg.scene.light = None
    cfg.scene.cartpole.spawn.usd_path = str(CARTPOLE_USD)
    check_local_assets(cfg.scene, "cartpole.scene")
    return cfg
