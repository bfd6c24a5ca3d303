"""Issue #16's proof of erasure after a real call: the shipped demo call played through the agent app's own
call desk (FileSource -> VAD -> faster-whisper tiny.en -> CallSession on the app's store, recordings on disk,
the app's log file, the sync client with its outbox) against a real team server on 127.0.0.1, with a real
supervisor whispering during the call; then ``agent-assist review delete-customer`` as a supervisor would run
it. Afterwards no byte of the customer's name (every written form), phone numbers (every written form), notes,
summaries or transcript lines is in any file of the app's data directory or the team server's directory:
databases, their WAL and -shm files, the outbox, logs, recordings."""

from __future__ import annotations

import io
import logging
import logging.handlers
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assist import paths
from assist.store import Store
from desktop.agent.demo import (
    AGENT,
    DEMO_CALL,
    DEMO_DIR,
    DEMO_PHONE,
    SUPERVISOR,
    TEAM,
    TerminalListener,
    seed_store,
)
from desktop.agent.desk import CallDesk, DeskConfig
from desktop.cli import main
from desktop.common.views import QuickNote
from sync.client import ConnectionState, SyncClient
from sync.protocol import CallEvent, CallTranscript, Role
from sync.server import ServerThread
from sync.store import TeamStore
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

CUSTOMER = "demo-cust-sato"
# Every written form of her name and numbers that could end up in a file: as imported, folded for search
# (kana, half-width, romaji in any case), and the phone numbers with and without separators, national and
# international (a fragment that every form contains).
NAME_FORMS = [
    "佐藤 花子", "佐藤花子", "花子", "サトウ ハナコ", "サトウハナコ", "ハナコ", "さとう はなこ",
    "さとうはなこ", "はなこ", "ｻﾄｳ ﾊﾅｺ", "ﾊﾅｺ", "Hanako", "hanako", "HANAKO", "佐藤デザイン事務所",
    "hanako.sato@example.jp",
]  # fmt: skip
PHONE_FORMS = [
    "090-1234-5678", "09012345678", "+819012345678", "+81 90-1234-5678", "+81-90-1234-5678", "90-1234-5678",
    "9012345678", "090 1234 5678", "1234-5678", "12345678", "03-5550-0142", "0355500142", "+81355500142",
    "355500142", "5550-0142",
]  # fmt: skip
QUICK_NOTE = "Wants the refund confirmed by SMS to her mobile"
WHISPER = "Offer the one-time courtesy credit, she was charged twice before"


class DemoAgent(TerminalListener):
    """The headless demo's agent (reads whispers, saves the proposed wrap-up) who also presses "Helped" on the
    double-charge card and writes a quick note, as an agent at the call screen does."""

    def __init__(self) -> None:
        super().__init__(io.StringIO())
        self.helped: list[str] = []
        self.finals: list[str] = []
        self.call_id = ""

    def on_call_started(self, call_id: str) -> None:
        self.call_id = call_id
        super().on_call_started(call_id)

    def on_transcript(self, event: Any) -> None:
        if event.kind.value == "final" and event.text.strip():
            self.finals.append(event.text.strip())
        super().on_transcript(event)

    def on_suggestions(self, cards: list[Any]) -> None:
        super().on_suggestions(cards)
        for card in cards:
            if not card.pushed_by and card.key not in self.helped and "refund" in card.title.lower():
                self.helped.append(card.key)
                self.desk.suggestion_feedback(card, "helped")

    def on_call_finished(self, call_id: str, draft: Any) -> None:
        self.desk.save_wrap_up(draft, [QuickNote(20.0, QUICK_NOTE)])


@pytest.fixture
def team(tmp_path: Path) -> Iterator[tuple[ServerThread, dict[str, str]]]:
    server_dir = tmp_path / "server"
    users = TeamStore(server_dir)
    try:
        tokens = {
            AGENT: users.add_user(AGENT, Role.AGENT, TEAM),
            SUPERVISOR: users.add_user(SUPERVISOR, Role.SUPERVISOR, TEAM),
        }
    finally:
        users.close()
    thread = ServerThread(server_dir)
    thread.start()
    try:
        yield thread, tokens
    finally:
        thread.stop()


@pytest.fixture
def app_log() -> Iterator[Path]:
    """The app's rotating log file in the data directory (desktop/logsetup.py), for this test only."""
    handler = logging.handlers.RotatingFileHandler(
        paths.logs_dir() / "agent-assist.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield paths.logs_dir()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def _files(*dirs: Path) -> list[Path]:
    found = []
    for base in dirs:
        for path in sorted(base.rglob("*")):
            if path.is_symlink() or not path.is_file() or "models" in path.relative_to(base).parts[:1]:
                continue  # the shared model cache (a link to the test session's copy): weights, not data
            found.append(path)
    return found


def _grep(secrets: list[str], *dirs: Path) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    for path in _files(*dirs):
        data = path.read_bytes()
        found = [s for s in secrets if s.encode("utf-8") in data or s.encode("utf-16-le") in data]
        if found:
            hits[str(path)] = found
    return hits


def _what_the_store_holds(call_id: str) -> list[str]:
    """Her notes, summaries, follow-ups and the transcript lines of this call, as the app saved them."""
    store = Store.open(paths.store_path())
    try:
        texts = [n.text for n in store.notes_for(CUSTOMER)]
        texts += [s.text for s in store.segments_for(call_id)]
        texts += [c.summary for c in store.calls_for(CUSTOMER, limit=100)]
        texts += [f.text for f in store.follow_ups_for(CUSTOMER, status=None)]
        examples = store.conn.execute("SELECT text FROM knowledge_examples").fetchall()
        texts += [str(row[0]) for row in examples]
    finally:
        store.close()
    # Whole lines and whole sentences of them (a line may be stored split or joined differently elsewhere).
    pieces = {t.strip() for t in texts}
    for text in texts:
        pieces |= {part.strip() for part in text.replace("。", ".").split(".")}
    return sorted(p for p in pieces if len(p) >= 12)


def test_nothing_of_her_is_left_after_a_demo_call_and_delete_customer(
    tmp_path: Path, team: tuple[ServerThread, dict[str, str]], app_log: Path
) -> None:
    server, tokens = team
    data = paths.data_dir()
    seed_store(paths.store_path())
    supervisor = SyncClient(server.url, tokens[SUPERVISOR], tmp_path / "supervisor-pc" / "sync.sqlite3")
    whispered = threading.Event()

    def on_call_event(event: CallEvent) -> None:
        if (
            isinstance(event, CallTranscript)
            and event.transcript.channel == "customer"
            and not whispered.is_set()
        ):
            whispered.set()
            supervisor.send_whisper(AGENT, event.call_id, WHISPER)

    shared: list[tuple[str, str]] = []
    supervisor.on_call_event = on_call_event
    supervisor.on_change = lambda change: shared.append((str(change.kind), change.record_id))
    supervisor.start()
    agent = DemoAgent()
    desk = CallDesk(
        agent, DeskConfig(language="en", agent_name=AGENT, server_url=server.url, server_token=tokens[AGENT],
                          replay_realtime=False),
    )  # fmt: skip
    agent.desk = desk
    try:
        desk.start()
        wait_until(lambda: desk.connection is ConnectionState.CONNECTED, 15, "the agent app online")
        wait_until(lambda: supervisor.state.value == "connected", 15, "the supervisor online")
        call_id = desk.start_call(DEMO_PHONE, replay=DEMO_CALL)
        wait_until(agent.done.is_set, 150, "the demo call played, wrapped up and saved")
        assert not agent.failed, agent.failed
        assert agent.outcome is not None and agent.outcome.sent_to_server, agent.out.getvalue()
        assert whispered.is_set() and agent.whispers_read == 1, agent.out.getvalue()
        assert agent.helped, "the double-charge card was never shown"
        wait_until(lambda: ("call_summary", call_id) in shared, 15, "the call summary on the team server")
    finally:
        desk.shutdown()
        supervisor.stop(timeout=5)

    said = _what_the_store_holds(call_id)
    assert any("refund" in s.lower() for s in said), said  # the recogniser heard her
    secrets = [*NAME_FORMS, *PHONE_FORMS, QUICK_NOTE, WHISPER, *said]
    secrets += _demo_notes_and_history()
    # Before: she is in the app's files and on the team server (else the proof below proves nothing).
    before = _grep(secrets, data, tmp_path / "server")
    assert any(h.endswith("agent-assist.sqlite3") or "-wal" in h for h in before), before
    assert any(str(tmp_path / "server") in h for h in before), before
    assert (data / "recordings").exists() and any((data / "recordings").rglob("*.wav"))

    code = main(["review", "delete-customer", CUSTOMER, "--yes", "--server", server.url,
                 "--token", tokens[SUPERVISOR]])  # fmt: skip
    assert code == 0

    left = _grep(secrets, data, tmp_path / "server")
    assert left == {}, "\n".join(f"{path}: {found}" for path, found in left.items())
    assert not any(call_id in p.name for p in (data / "recordings").rglob("*"))
    # The other customers are still there.
    store = Store.open(paths.store_path())
    try:
        assert store.get_customer(CUSTOMER) is None
        assert store.get_customer("demo-cust-tanaka") is not None
    finally:
        store.close()


def _demo_notes_and_history() -> list[str]:
    import json

    sato = next(
        json.loads(line)
        for line in (DEMO_DIR / "customers.jsonl").read_text(encoding="utf-8").splitlines()
        if CUSTOMER in line
    )
    history = json.loads((DEMO_DIR / "history.json").read_text(encoding="utf-8"))
    texts = [n["text"] for n in sato["notes"]]
    texts += [c["summary"] for c in history["calls"] if c["customer_id"] == CUSTOMER]
    texts += [f["text"] for f in history["follow_ups"] if f["customer_id"] == CUSTOMER]
    return texts
