"""What the team channel lets into a log file.

The websockets library logs, at DEBUG, the handshake's headers (the bearer token) and the start and end of
every frame it sends or receives: transcript lines, whispers, customer names. A log file is not erased with a
customer (assist/erasure) and is what people attach to bug reports, so these records are never written, even
with ``-v``: the websockets loggers stay at INFO (connections opened and closed, no content).
"""

from __future__ import annotations

import logging

WIRE_LOGGERS = ("websockets",)


def keep_frames_out_of_logs() -> None:
    """Raise the websockets loggers to INFO unless someone set them higher (idempotent)."""
    for name in WIRE_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
