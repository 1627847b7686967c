"""Robot-specific peg task configs."""
