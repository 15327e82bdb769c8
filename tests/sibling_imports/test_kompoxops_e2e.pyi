# tests/ui/test_kompoxops_e2e.py, imported by its bare name (see README.md here).
from ui.test_kompoxops_e2e import *  # noqa: F403
