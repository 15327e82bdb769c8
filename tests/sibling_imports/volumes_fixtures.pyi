# tests/driver/volumes_fixtures.py, imported by its bare name (see README.md here).
from driver.volumes_fixtures import *  # noqa: F403
