"""Where the team token is kept: the system keyring when there is one, else the settings file, said plainly.

Whoever holds the token acts as this agent on the team server, so it does not belong in a plain settings file.
``keyring`` (MIT) reaches each platform's own store: Windows Credential Manager, the macOS Keychain, the
Secret Service (GNOME Keyring, KWallet) on Linux. A Linux PC without a Secret Service (a headless machine, a
minimal desktop) has none: the token then stays in the app's settings file, which is made readable by this
user account only, and the Settings dialog says so and names the file (:meth:`TokenStore.where`). File-based
keyrings (the keyrings.alt package) do not count as a system keyring: they are a plain file too, elsewhere.

A token found in the settings file while a keyring works (saved by an older version, or while the keyring was
locked) is moved into the keyring and taken out of the file. With ``AGENT_ASSIST_HOME`` set (tests, scripts, a
portable install) everything stays in that directory, the token included: the system keyring is not touched.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE = "Agent Assist"
TOKEN_NAME = "team-token"
SETTINGS_KEY = "prefs/server_token"


class TokenLocation(Enum):
    KEYRING = "keyring"
    SETTINGS_FILE = "settings"


@dataclass(frozen=True, slots=True)
class TokenPlace:
    """Where a saved token is: ``detail`` is the keyring's name or the settings file's path; ``problem`` why
    the keyring was not used when there is one but it refused (locked, access denied)."""

    location: TokenLocation
    detail: str
    problem: str = ""


def system_keyring() -> KeyringBackend | None:
    """The platform's keyring, or None when there is none (or ``AGENT_ASSIST_HOME`` keeps everything
    local)."""
    if os.environ.get("AGENT_ASSIST_HOME"):
        return None
    try:
        import keyring  # imported here: finding the backends takes a few hundred milliseconds

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring install must not stop the app
        log.warning("no keyring: %s", exc)
        return None
    return backend if is_system_keyring(backend) else None


def is_system_keyring(backend: KeyringBackend) -> bool:
    """True for a store the platform keeps (and locks) for the user; False for keyring's "fail" and "null"
    backends and for the file-based ones of keyrings.alt."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, chainer.ChainerBackend):
        return any(is_system_keyring(b) for b in backend.backends)
    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    return not type(backend).__module__.startswith("keyrings.") and backend.priority > 0


def keyring_name(backend: KeyringBackend) -> str:
    return str(getattr(backend, "name", "") or type(backend).__name__)


class TokenStore:
    """Loads and saves the team token: in ``backend`` when given (see :func:`system_keyring`), else in
    ``settings``."""

    def __init__(self, settings: QSettings, backend: KeyringBackend | None) -> None:
        self.settings = settings
        self.backend = backend
        self._problem = ""

    @classmethod
    def for_settings(cls, settings: QSettings) -> TokenStore:
        return cls(settings, system_keyring())

    def load(self) -> str:
        plain = str(self.settings.value(SETTINGS_KEY, "") or "")
        if self.backend is None:
            return plain
        if plain:
            self.save(plain)  # moved into the keyring when it takes it; left in the file otherwise
            return plain
        from keyring.errors import KeyringError

        try:
            return self.backend.get_password(SERVICE, TOKEN_NAME) or ""
        except KeyringError as exc:
            self._problem = str(exc) or type(exc).__name__
            log.warning("the keyring did not give the team token: %s", self._problem)
            return ""

    def save(self, token: str) -> TokenPlace:
        if self.backend is not None:
            from keyring.errors import KeyringError, PasswordDeleteError

            try:
                if token:
                    if self.backend.get_password(SERVICE, TOKEN_NAME) != token:
                        self.backend.set_password(SERVICE, TOKEN_NAME, token)
                else:
                    with contextlib.suppress(PasswordDeleteError):  # there was none
                        self.backend.delete_password(SERVICE, TOKEN_NAME)
                self._problem = ""
                self.settings.remove(SETTINGS_KEY)
                self.settings.sync()
                return self.where()
            except KeyringError as exc:
                self._problem = str(exc) or type(exc).__name__
                log.warning(
                    "the keyring refused the team token (%s): it is kept in the settings", self._problem
                )
        if token:
            self.settings.setValue(SETTINGS_KEY, token)
        else:
            self.settings.remove(SETTINGS_KEY)
        self.settings.sync()
        _owner_only(self.settings.fileName())
        if token and self.backend is None:
            log.info("no system keyring: the team token is kept in %s (owner only)", self.settings.fileName())
        return self.where()

    def where(self) -> TokenPlace:
        if self.backend is not None and not self._problem:
            return TokenPlace(TokenLocation.KEYRING, keyring_name(self.backend))
        return TokenPlace(TokenLocation.SETTINGS_FILE, self.settings.fileName(), self._problem)


def _owner_only(path: str) -> None:
    """Make the settings file readable and writable by its owner only (a registry path is left alone)."""
    if not os.path.isfile(path):
        return
    try:
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    except OSError as exc:
        log.warning("could not restrict %s to its owner: %s", path, exc)
