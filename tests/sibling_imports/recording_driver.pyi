# tests/driver/recording_driver.py, imported by its bare name (see README.md here).
from driver.recording_driver import *  # noqa: F403
