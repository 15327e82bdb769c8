# tests/reliability/race_kit.py, imported by its bare name (see README.md here).
from reliability.race_kit import *  # noqa: F403
