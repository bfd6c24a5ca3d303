"""The team token is kept in a keyring, not in the plain settings file; without a system keyring it stays in
the settings file (owner-only) and the Settings dialog says where.

The keyring here is keyrings.alt's file keyring (a real keyring backend, writing to a file in the test's
directory): a test must never touch the keyring of the person running it, and this machine has no Secret
Service. keyring's own "fail" backend is what a PC without any keyring gets, so it stands for a refusing
keyring."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring
from PySide6.QtCore import QSettings

from desktop.agent.settings_dialog import SettingsDialog
from desktop.app import ensure_app
from desktop.common.preferences import Preferences, app_settings
from desktop.common.token_store import (
    SERVICE,
    TOKEN_NAME,
    TokenLocation,
    TokenStore,
    is_system_keyring,
    keyring_name,
    system_keyring,
)

TOKEN = "tok-7f3a9c-secret"


def file_keyring(tmp_path: Path) -> PlaintextKeyring:
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring" / "keyring_pass.cfg")
    return backend


def settings_file_text(settings: QSettings) -> str:
    settings.sync()
    path = Path(settings.fileName())
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_a_saved_token_goes_to_the_keyring_and_never_into_the_settings_file(tmp_path: Path) -> None:
    settings, backend = app_settings(), file_keyring(tmp_path)
    tokens = TokenStore(settings, backend)
    Preferences(server_url="ws://127.0.0.1:8765/", server_token=TOKEN, agent_name="sato").save(
        settings, tokens
    )
    assert TOKEN not in settings_file_text(settings)
    assert "sato" in settings_file_text(settings)  # the other preferences are still there
    assert backend.get_password(SERVICE, TOKEN_NAME) == TOKEN
    assert tokens.where().location is TokenLocation.KEYRING
    again = Preferences.load(app_settings(), TokenStore(app_settings(), backend))
    assert (again.server_url, again.server_token, again.agent_name) == ("ws://127.0.0.1:8765/", TOKEN, "sato")
    # Clearing the token clears it from the keyring too.
    again.server_token = ""
    again.save(app_settings(), TokenStore(app_settings(), backend))
    assert backend.get_password(SERVICE, TOKEN_NAME) is None
    assert Preferences.load(app_settings(), TokenStore(app_settings(), backend)).server_token == ""


def test_a_token_left_in_the_settings_file_by_an_older_version_moves_into_the_keyring(tmp_path: Path) -> None:
    settings, backend = app_settings(), file_keyring(tmp_path)
    settings.setValue("prefs/server_token", TOKEN)  # how every earlier version stored it
    settings.setValue("prefs/server_url", "ws://127.0.0.1:8765/")
    assert TOKEN in settings_file_text(settings)
    prefs = Preferences.load(app_settings(), TokenStore(app_settings(), backend))
    assert prefs.server_token == TOKEN
    assert TOKEN not in settings_file_text(app_settings())
    assert backend.get_password(SERVICE, TOKEN_NAME) == TOKEN


def test_without_a_keyring_the_token_stays_in_the_settings_file_readable_by_its_owner_only() -> None:
    settings = app_settings()
    tokens = TokenStore(settings, None)
    place = tokens.save(TOKEN)
    assert place.location is TokenLocation.SETTINGS_FILE and place.detail == settings.fileName()
    assert TOKEN in settings_file_text(settings)
    if os.name == "posix":
        assert stat.S_IMODE(os.stat(settings.fileName()).st_mode) == 0o600
    assert Preferences.load(app_settings(), TokenStore(app_settings(), None)).server_token == TOKEN


def test_a_keyring_that_refuses_the_token_leaves_it_in_the_settings_file_and_says_why() -> None:
    settings = app_settings()
    tokens = TokenStore(settings, fail.Keyring())
    Preferences(server_token=TOKEN).save(settings, tokens)
    place = tokens.where()
    assert place.location is TokenLocation.SETTINGS_FILE and place.problem
    assert TOKEN in settings_file_text(settings)
    assert Preferences.load(app_settings(), TokenStore(app_settings(), fail.Keyring())).server_token == TOKEN


def test_only_a_store_the_platform_keeps_counts_as_a_system_keyring(tmp_path: Path) -> None:
    assert not is_system_keyring(fail.Keyring())
    assert not is_system_keyring(file_keyring(tmp_path))  # a file elsewhere is still a plain file
    # A portable install (and every test) keeps everything in its own directory.
    assert os.environ.get("AGENT_ASSIST_HOME")
    assert system_keyring() is None


@pytest.mark.parametrize("keyring_there", [True, False])
def test_the_settings_dialog_says_where_the_token_is_kept(
    tmp_path: Path, qtbot: Any, keyring_there: bool
) -> None:
    ensure_app()
    backend = file_keyring(tmp_path) if keyring_there else None
    tokens = TokenStore(app_settings(), backend)
    dialog = SettingsDialog(Preferences(server_token=TOKEN), token_place=tokens.where())
    qtbot.addWidget(dialog)
    note = dialog.token_note.text()
    if backend is not None:
        assert note == f"The token is kept in the system keyring ({keyring_name(backend)})."
    else:
        assert "No system keyring" in note and app_settings().fileName() in note
