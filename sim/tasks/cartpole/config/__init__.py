"""Robot-specific cartpole configs."""
