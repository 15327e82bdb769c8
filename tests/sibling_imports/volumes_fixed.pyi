# tests/ui/volumes_fixed.py, imported by its bare name (see README.md here).
from ui.volumes_fixed import *  # noqa: F403
from ui.volumes_fixed import _disk as _disk
from ui.volumes_fixed import _snap as _snap
