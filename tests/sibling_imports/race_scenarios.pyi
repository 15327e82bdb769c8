# tests/reliability/race_scenarios.py, imported by its bare name (see README.md here).
from reliability.race_scenarios import *  # noqa: F403
