# tests/ui/ui_helpers.py, imported by its bare name (see README.md here).
from ui.ui_helpers import *  # noqa: F403
