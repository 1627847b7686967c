"""End-effector pose reaching with joint-position actions (manager-based Isaac Lab env)."""
