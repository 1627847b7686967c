"""Robot-specific reach configs."""
