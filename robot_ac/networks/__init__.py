"""Plain torch blocks that know no observation names (rsl_rl's ``modules/`` role)."""

from robot_ac.networks.symphony import ReSine, SymphonyActor, SymphonyCritic, symphony_block

__all__ = ["ReSine", "SymphonyActor", "SymphonyCritic", "symphony_block"]
