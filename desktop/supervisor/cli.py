"""``agent-assist supervisor``: open the supervisor console against a team server.

Qt and the sync client are imported inside :func:`run` only, so ``agent-assist --help`` stays fast and works
without a display. The token may come from ``--token`` or, to keep it out of the process list and shell
history, from the ``AGENT_ASSIST_TOKEN`` environment variable.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys

TOKEN_ENV = "AGENT_ASSIST_TOKEN"


def configure(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "supervisor",
        help="open the supervisor console: the team's live calls, follow one, whisper to the agent",
        description="Open the supervisor console against a team server (agent-assist-server).",
    )
    parser.add_argument(
        "--server", required=True, metavar="URL", help="team server, e.g. ws://127.0.0.1:8765/"
    )
    parser.add_argument("--token", metavar="TOKEN", help=f"your token (default: ${TOKEN_ENV})")
    parser.add_argument("--ui-language", choices=("ja", "en"), help="UI language (default: your preference)")
    parser.add_argument("--theme", choices=("light", "dark"), help="colour theme (default: your preference)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get(TOKEN_ENV, "")
    if not token:
        print(
            f"agent-assist supervisor: give --token or set {TOKEN_ENV} (ask your admin for a token:"
            " agent-assist-server user add NAME --role supervisor --team TEAM)",
            file=sys.stderr,
        )
        return 2
    server = str(args.server)
    if not server.startswith(("ws://", "wss://")):
        print(
            f"agent-assist supervisor: --server must be a ws:// or wss:// URL, not {server!r}",
            file=sys.stderr,
        )
        return 2

    if sys.platform.startswith("linux") and not (
        os.environ.get("QT_QPA_PLATFORM") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        print(
            "agent-assist supervisor: there is no display to open the console on (no DISPLAY or"
            " WAYLAND_DISPLAY); start it from a desktop session or under xvfb-run -a",
            file=sys.stderr,
        )
        return 2

    from assist.paths import data_dir
    from desktop.app import ensure_app
    from desktop.common.appearance import apply_font_size, apply_theme
    from desktop.common.i18n import install_ui_language
    from desktop.common.preferences import Preferences
    from desktop.supervisor.console import SupervisorConsole
    from desktop.supervisor.i18n import install_supervisor_translation
    from sync.client import SyncClient

    app = ensure_app()
    prefs = Preferences.load()
    language = args.ui_language or prefs.ui_language
    install_ui_language(app, language)
    install_supervisor_translation(language)
    apply_theme(app, args.theme or prefs.theme)
    apply_font_size(app, prefs.font_size)

    # One local outbox per server and user, so two accounts on one PC never share whisper sequences.
    key = hashlib.sha256(f"{server}\n{token}".encode()).hexdigest()[:16]
    client = SyncClient(server, token, data_dir() / "sync" / f"supervisor-{key}.sqlite3")
    console = SupervisorConsole(client)
    console.resize(1400, 860)
    console.show()
    try:
        return int(app.exec())
    finally:
        console.shutdown()
        client.stop()
