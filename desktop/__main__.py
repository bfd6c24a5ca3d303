"""``python -m desktop`` and the PyInstaller entry point: the same as the ``agent-assist`` command."""

import sys

from desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
