# tests/ui/ui_fakes.py, imported by its bare name (see README.md here).
from ui.ui_fakes import *  # noqa: F403
