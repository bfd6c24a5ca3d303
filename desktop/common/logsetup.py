"""Logging for the app: a rotating file in the data directory, and the console for warnings (or all with
-v)."""

from __future__ import annotations

import logging
import logging.handlers
import sys

from assist.paths import logs_dir

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(verbose: bool = False) -> None:
    root = logging.getLogger()
    if getattr(root, "_agent_assist_configured", False):
        return
    root.setLevel(logging.DEBUG)
    try:
        file_handler: logging.Handler = logging.handlers.RotatingFileHandler(
            logs_dir() / "agent-assist.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
        file_handler.setLevel(logging.DEBUG if verbose else logging.INFO)
        file_handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(file_handler)
    except OSError as exc:  # read-only or full disk: keep running, say so once
        print(
            f"agent-assist: cannot write the log file ({exc}); logging to the console only", file=sys.stderr
        )
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(console)
    root._agent_assist_configured = True  # type: ignore[attr-defined]
