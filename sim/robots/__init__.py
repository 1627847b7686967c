"""Robot models: joint data in one place, shared by simulation configs and the manifest."""
