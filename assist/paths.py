"""Where Agent Assist keeps its files on this PC.

Everything lives under one directory: the platform's user data dir, or ``AGENT_ASSIST_HOME`` when set
(every test and script sets it to a temporary directory so nothing touches a real profile).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "AgentAssist"


def data_dir() -> Path:
    override = os.environ.get("AGENT_ASSIST_HOME")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_path() -> Path:
    return data_dir() / "agent-assist.sqlite3"


def recordings_dir() -> Path:
    path = data_dir() / "recordings"
    path.mkdir(parents=True, exist_ok=True)
    return path


def logs_dir() -> Path:
    path = data_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path
