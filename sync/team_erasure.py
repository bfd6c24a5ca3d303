"""Erasing a customer beyond this PC: the client files here, and the team server's copy.

``agent-assist review delete-customer`` erases the local store (assist/privacy.py), then calls
:func:`erase_beyond_store`: every client file in the data directory (outboxes and received whispers of the
agent and supervisor clients) loses what it held about the customer, byte for byte, and the team server is
asked to erase its copy (``erase_customer``, docs/protocol.md). The request goes through the app's outbox:
when the server cannot be reached it stays there and the app sends it on its next connection. The outcome
says, line by line, what was erased where and what is still pending.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from sync.client import RequestError, SyncClient, purge_file
from sync.protocol import EraseCustomer, EraseReport

# The agent app's client file in the data directory (desktop/agent/call_desk.py: CallDesk.sync_state_file).
APP_CLIENT_FILE = "sync-client.sqlite3"


class ServerStep(StrEnum):
    """What happened to the team server's copy (the app words each one in its UI language)."""

    NONE = "none"  # no team server configured: nothing was shared
    ERASED = "erased"  # the server erased it and scrubbed its files
    SCRUB_PENDING = "scrub_pending"  # erased; its files are scrubbed at its next retention round
    # erased from every table of a PostgreSQL database; old copies in the database's own files, log and
    # backups are its operator's to reclaim (VACUUM FULL, backups ageing out): nothing the server does later
    DATABASE_KEEPS = "database_keeps"
    UNREACHABLE = "unreachable"  # not reached: the request waits in an outbox (reason: the connection state)
    REFUSED = "refused"  # the server refused (reason: its error code and message)


@dataclass
class TeamErasureOutcome:
    lines: list[str] = field(default_factory=list)
    pending: bool = False
    server: EraseReport | None = None  # the server's ack (what it erased), when it answered
    server_step: ServerStep = ServerStep.NONE
    reason: str = ""  # why the server step is not done (unreachable, refused)
    busy_files: list[str] = field(default_factory=list)  # client files another program holds open
    queued_in_app: bool = False  # an unreachable request waits in the app's outbox (sent when it connects)


def _client_files(data_dir: Path) -> list[Path]:
    found = []
    for path in sorted(data_dir.rglob("*.sqlite3")):
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            try:
                row = db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'"
                ).fetchone()
            finally:
                db.close()
        except sqlite3.Error:
            continue
        if row is not None:
            found.append(path)
    return found


def erase_beyond_store(
    data_dir: Path,
    customer_id: str,
    call_ids: Iterable[str],
    *,
    url: str = "",
    token: str = "",
    client_file: Path | None = None,
    timeout: float = 10.0,
) -> TeamErasureOutcome:
    calls = sorted(set(call_ids))
    outcome = TeamErasureOutcome()
    for path in _client_files(data_dir):
        if purge_file(path, customer_id, calls):
            outcome.lines.append(f"{path.name}: queued frames and whispers about {customer_id} erased")
        else:
            outcome.pending = True
            outcome.busy_files.append(path.name)
            outcome.lines.append(
                f"{path.name}: queued frames about {customer_id} deleted, NOT yet erased from the file"
                " (Agent Assist has it open; cleared when it closes)"
            )
    if not url:
        outcome.lines.append("team server: none configured, nothing was shared with a team")
        return outcome
    answered = threading.Event()
    acked: list[EraseReport] = []
    refused: list[RequestError] = []
    client_file = client_file or data_dir / APP_CLIENT_FILE
    client = SyncClient(url, token, client_file, max_backoff=2.0)

    def on_erased(report: EraseReport) -> None:
        acked.append(report)
        answered.set()

    def on_error(error: RequestError) -> None:
        if error.request == EraseCustomer.TYPE:
            refused.append(error)
            answered.set()

    client.on_erased = on_erased
    client.on_request_error = on_error
    client.erase_customer(customer_id, calls)
    client.start()
    try:
        answered.wait(timeout)
        state = client.state_reason
    finally:
        client.stop(timeout=3.0)
    if acked:
        ack = outcome.server = acked[0]
        outcome.server_step = ServerStep.ERASED
        rows = ", ".join(f"{n} {table}" for table, n in sorted(ack.rows.items())) or "nothing held"
        outcome.lines.append(f"team server: erased ({len(ack.calls)} calls; {rows})")
        if not ack.files_cleared and ack.database == "postgresql":
            outcome.pending = True
            outcome.server_step = ServerStep.DATABASE_KEEPS
            outcome.lines.append(
                "team server: erased from every table of its PostgreSQL database; old copies can remain in"
                " PostgreSQL's own files, write-ahead log and backups until its operator reclaims them"
                " (VACUUM FULL, docs/scaling.md) and the backups expire; the server cannot confirm that"
            )
        elif not ack.files_cleared:
            outcome.pending = True
            outcome.server_step = ServerStep.SCRUB_PENDING
            outcome.lines.append("team server: its files are scrubbed at its next retention round (pending)")
    elif refused:
        error = refused[0]
        outcome.pending = True
        outcome.server_step = ServerStep.REFUSED
        outcome.reason = f"{error.code}: {error.message}"
        outcome.lines.append(
            f"team server: NOT erased, it refused ({error.code}: {error.message}); a "
            "supervisor or admin must erase the team's copy (agent-assist-server "
            f"erase-customer {customer_id} --team TEAM)"
        )
    else:
        outcome.pending = True
        outcome.server_step = ServerStep.UNREACHABLE
        outcome.reason = state
        outcome.queued_in_app = client_file.name == APP_CLIENT_FILE
        outcome.lines.append(
            f"team server: NOT erased yet, not reachable ({state}); the request waits in {client_file.name}"
            + (
                " and is sent when Agent Assist next connects"
                if client_file.name == APP_CLIENT_FILE
                else "; run this command again once the server is reachable"
            )
        )
    return outcome
