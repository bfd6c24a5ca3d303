"""The agent's app as a process of its own, for tests that kill it (SIGKILL) in the middle of a call:
``python -m tests.desk.killed_app DATA_DIR SERVER_URL TOKEN``. It takes a call from her number on the demo
recording (held once 15 s were read), says on stdout, one JSON object a line, what the agent hears and where
the call is (``{"held": call_id}``, ``{"line": text}``, ``{"erased": true}`` once the team's erasure reached
this PC, ``{"ready": true}`` once more lines were heard and stored after it), then waits to be killed."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

from audio.events import EventKind
from desktop.agent.demo import DEMO_PHONE
from desktop.agent.desk import CallDesk, DeskConfig
from sync.client import ConnectionState
from tests.desk.test_erasure_during_call import HeldSource
from tests.waiting import wait_until

_SAYING = threading.Lock()


def say(**what: object) -> None:
    # The recogniser's thread and the main thread both speak: one whole line at a time (print writes the text
    # and its newline separately, so two threads' objects could share a line).
    with _SAYING:
        sys.stdout.write(json.dumps(what, ensure_ascii=False) + "\n")
        sys.stdout.flush()


class Screen:
    """What the agent sees, told to the test on stdout."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def on_transcript(self, event: Any) -> None:
        if event.kind is EventKind.FINAL and event.text.strip():
            self.lines.append(event.text.strip())
            say(line=event.text.strip())

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def main(data: Path, url: str, token: str) -> None:
    screen = Screen()
    desk = CallDesk(
        screen,
        DeskConfig(language="en", model="tiny.en", server_url=url, server_token=token),
        store_file=data / "agent-assist.sqlite3",
        sync_state_file=data / "sync-client.sqlite3",
        recordings=data / "recordings",
    )
    source = HeldSource(hold_at=15.0)
    desk.start(preload_model=False)
    wait_until(lambda: desk.connection is ConnectionState.CONNECTED, 60, "the app online")
    call_id = desk.start_call(DEMO_PHONE, source=source)
    wait_until(lambda: source.held.is_set() and screen.lines, 180, "the first lines of the call")
    say(held=call_id)
    wait_until(
        lambda: desk.run_on_worker(lambda store: store.get_call(call_id) is None).result(30),
        120,
        "the team's erasure on this PC",
    )
    say(erased=True)
    heard = len(screen.lines)
    source.held.clear()
    source.hold_at = 30.0
    wait_until(lambda: source.held.is_set() and len(screen.lines) > heard, 180, "more lines")
    # Stored too: the lines reach the listener after the session wrote them, on the same worker.
    desk.run_on_worker(lambda store: None).result(30)
    say(ready=True)
    threading.Event().wait(600)  # the test kills this process; never closed


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
