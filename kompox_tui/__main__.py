"""``python -m kompox_tui``: the same as the ``kompox-tui`` command."""

import sys

from kompox_tui.cli import main

if __name__ == "__main__":
    sys.exit(main())
