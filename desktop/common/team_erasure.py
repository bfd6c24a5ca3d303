"""Erasing a customer beyond this PC's store, for the ``review delete-customer`` command and the Privacy view:
the sync client files in the data directory and the team server (sync/team_erasure.py), reached with the
server and token given, else with the app's own settings."""

from __future__ import annotations

from assist.paths import data_dir
from sync.team_erasure import APP_CLIENT_FILE, TeamErasureOutcome, erase_beyond_store


def erase_on_team(
    customer_id: str, call_ids: tuple[str, ...], url: str = "", token: str = "", timeout: float = 10.0
) -> TeamErasureOutcome:
    """Blocks until the server answered or ``timeout`` passed: call it off the UI thread."""
    # With the app's own server and token the request goes through the app's outbox (sent again by the app
    # when it next connects); a token given here (a supervisor's) gets a file of its own, so nothing the agent
    # queued is ever sent under someone else's name.
    client_file = data_dir() / "sync" / "erase-requests.sqlite3"
    if not url:
        try:
            from desktop.common.preferences import Preferences

            prefs = Preferences.load()
            url, token = prefs.server_url, prefs.server_token
            client_file = data_dir() / APP_CLIENT_FILE
        except ImportError:  # no Qt: only what the command line said
            pass
    return erase_beyond_store(
        data_dir(), customer_id, call_ids, url=url, token=token, client_file=client_file, timeout=timeout
    )
