"""Robot-specific Gymnasium MuJoCo configs."""
