# tests/emulator/arm_hosts.py, imported by its bare name (see README.md here).
from emulator.arm_hosts import *  # noqa: F403
