"""Fixtures for flows across packages."""

from __future__ import annotations

# The audio package's PulseAudio fixture closes its pipes (the shared one leaves stderr open, which
# filterwarnings=error turns into a teardown error).
from tests.audio.conftest import pulse_sinks  # noqa: F401
