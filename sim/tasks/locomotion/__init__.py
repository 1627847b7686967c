"""Velocity-command locomotion on flat ground, joint-position actions (manager-based Isaac Lab env)."""
