"""The agent's preferences and the window layout, kept in QSettings (organization "AgentAssist"); the team
token in the system keyring when there is one (desktop/common/token_store.py).

When ``AGENT_ASSIST_HOME`` is set (tests, scripts, a portable install) the settings live in an INI file inside
that directory instead of the user's profile, so nothing leaks between test runs or into a real profile.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

from PySide6.QtCore import QLocale, QSettings

from assist.paths import data_dir
from desktop.common.i18n import UI_LANGUAGES
from desktop.common.token_store import TokenStore

ORGANIZATION = "AgentAssist"
APPLICATION = "Agent Assist"


def app_settings() -> QSettings:
    if os.environ.get("AGENT_ASSIST_HOME"):
        return QSettings(str(data_dir() / "settings.ini"), QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


def system_ui_language() -> str:
    return "ja" if QLocale.system().name().startswith("ja") else "en"


@dataclass(slots=True)
class Preferences:
    ui_language: str = ""  # ja | en; empty = follow the system
    theme: str = "light"  # light | dark
    font_size: int = 0  # points; 0 = the platform default
    agent_device: str = ""  # device names, not indexes: indexes change when headsets come and go
    customer_device: str = ""
    stereo_device: str = ""  # one stereo input carrying both sides
    stereo_agent_left: bool = True
    model: str = ""  # empty = the default for the call language
    after_call_model: str = ""  # a bigger model to transcribe each call again after it; empty = off
    call_language: str = "ja"  # ja | en | auto
    server_url: str = ""
    server_token: str = ""
    agent_name: str = ""
    whisper_beep: bool = False
    softphone_port: int = 8766  # loopback URL a softphone opens on an incoming call; 0 = off
    coaching_off: str = ""  # coaching hints switched off, comma separated (pace, jargon, ...)

    @classmethod
    def load(cls, settings: QSettings | None = None, tokens: TokenStore | None = None) -> Preferences:
        settings = settings or app_settings()
        prefs = cls()
        for f in fields(cls):
            if f.name == "server_token":
                continue
            default = getattr(prefs, f.name)
            value = settings.value(f"prefs/{f.name}", default)
            if isinstance(default, bool):
                value = value in (True, "true", "1", 1)
            elif isinstance(default, int):
                try:
                    value = int(str(value))
                except ValueError:
                    value = default
            else:
                value = str(value or "")
            setattr(prefs, f.name, value)
        if prefs.ui_language not in UI_LANGUAGES:
            prefs.ui_language = system_ui_language()
        if prefs.theme not in ("light", "dark"):
            prefs.theme = "light"
        prefs.server_token = (tokens or TokenStore.for_settings(settings)).load()
        return prefs

    def save(self, settings: QSettings | None = None, tokens: TokenStore | None = None) -> None:
        settings = settings or app_settings()
        for f in fields(self):
            if f.name != "server_token":
                settings.setValue(f"prefs/{f.name}", getattr(self, f.name))
        settings.sync()
        (tokens or TokenStore.for_settings(settings)).save(self.server_token)
