# tests/reliability/rel_helpers.py, imported by its bare name (see README.md here).
from reliability.rel_helpers import *  # noqa: F403
