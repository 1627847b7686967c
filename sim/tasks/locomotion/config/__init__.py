"""Robot-specific locomotion configs."""
