"""``agent-assist demo``: everything the product does, in one minute, on any machine.

A demo world is built in a fresh directory: a local store seeded with the project's own demo customers and
knowledge entries (Japanese and English, resources/demo/), an embedded team server (ServerThread) with an
agent and a supervisor, and the shipped two-channel demo call replayed through the real pipeline in real time
(FileSource -> VAD -> Whisper -> CallSession -> screen and server). A scripted supervisor whispers advice at
the right moment. With a display the call screen opens; with ``--headless`` (or no display) the same live flow
is printed in the terminal, the wrap-up is saved, and the command ends with a one-line summary (exit 0).

Nothing here imports Qt at module level: the terminal flavour must run where Qt cannot.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from audio.events import Channel, EventKind
from resources import ROOT as RESOURCES
from sync.protocol import AnyCallEvent, Attachment, CallSnapshot, CallTranscript, KnowledgeRecord, convert

if TYPE_CHECKING:  # annotations only: `agent-assist --help` imports this module and must stay light
    from audio.events import AudioStatusEvent, TranscriptEvent
    from desktop.agent.desk import CallDesk, DeskConfig, Problem, SaveOutcome
    from desktop.common.views import (
        CoachingView,
        CueView,
        CustomerView,
        SuggestionView,
        WhisperReceiptView,
        WhisperView,
        WrapUpDraft,
    )
    from sync.client import ConnectionState as ViewConnectionState
    from sync.client import SyncClient
    from sync.server import ServerThread

DEMO_DIR = RESOURCES / "demo"
DEMO_CALL = DEMO_DIR / "demo_call.wav"
# The same conversation in each language: (recording, its timeline). Japanese is spoken by OpenJTalk
# (scripts/make_demo_call_ja.py), English by espeak-ng (scripts/make_demo_call.py).
DEMO_CALLS = {
    "ja": (DEMO_DIR / "demo_call_ja.wav", DEMO_DIR / "demo_call_ja.json"),
    "en": (DEMO_CALL, DEMO_DIR / "demo_call.json"),
}
DEMO_PHONE = "090-1234-5678"
WHISPERED_ENTRY = {"ja": "kb-ja-nijuu-seikyuu", "en": "kb-double-charge"}  # the supervisor attaches it
AGENT = "alex"
SUPERVISOR = "miki"
TEAM = "demo"


def configure(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="a one-minute demo call: live transcript, customer context, suggestions, a cue and a whisper",
        description="Replay the shipped demo call through the real pipeline with demo customers, knowledge "
        "entries and an embedded team server. Opens the call screen, or prints the flow in the terminal "
        "with --headless (automatic when there is no display).",
    )
    parser.add_argument(
        "--headless", action="store_true", help="print the live flow in the terminal, no window"
    )
    parser.add_argument(
        "--language",
        choices=sorted(DEMO_CALLS),
        default="ja",
        help="the demo call's language (default: ja; en uses the faster English-only model)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the demo's data directory and print where it is"
    )
    parser.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from desktop.common.display import has_display

    headless = bool(getattr(args, "headless", False)) or not has_display()
    language = str(getattr(args, "language", "ja") or "ja")
    recording, _timeline = DEMO_CALLS[language]
    if not recording.is_file():
        print(
            f"agent-assist demo: the demo call {recording} is missing (scripts/make_demo_call*.py make it)",
            file=sys.stderr,
        )
        return 1
    world = DemoWorld.build(keep=bool(getattr(args, "keep", False)), language=language)
    try:
        if headless:
            return run_headless(world)
        from desktop.agent.demo_window import run_window

        return run_window(world)
    finally:
        world.close()


# -- the demo world ------------------------------------------------------------------------------------------
@dataclass
class DemoWorld:
    root: Path
    store_file: Path
    server: ServerThread
    tokens: dict[str, str]
    script: dict[str, Any]  # resources/demo/history.json as read: the story's free-form JSON
    keep: bool = False
    language: str = "ja"
    supervisor: SyncClient | None = None
    receipts: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, keep: bool = False, language: str = "ja") -> DemoWorld:
        from assist.paths import data_dir

        base = data_dir() / "demo"
        base.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="run-", dir=base))
        store_file = root / "agent-assist.sqlite3"
        seed_store(store_file)
        from sync.protocol import Role
        from sync.server import ServerThread
        from sync.store import TeamStore

        server_dir = root / "server"
        team = TeamStore(server_dir)
        try:
            tokens = {
                AGENT: team.add_user(AGENT, Role.AGENT, TEAM),
                SUPERVISOR: team.add_user(SUPERVISOR, Role.SUPERVISOR, TEAM),
            }
        finally:
            team.close()
        server = ServerThread(server_dir)
        server.start()
        script = json.loads((DEMO_DIR / "history.json").read_text(encoding="utf-8"))
        timeline = json.loads(DEMO_CALLS[language][1].read_text(encoding="utf-8"))
        script["timeline"] = timeline
        return cls(root, store_file, server, tokens, script, keep, language)

    @property
    def recording(self) -> Path:
        return DEMO_CALLS[self.language][0]

    @property
    def url(self) -> str:
        return str(self.server.url)

    def desk_config(self) -> DeskConfig:
        from desktop.agent.desk import DeskConfig

        return DeskConfig(
            language=self.language,
            model=None,
            agent_name=AGENT,
            server_url=self.url,
            server_token=self.tokens[AGENT],
        )

    @staticmethod
    def knowledge_attachment(entry_id: str) -> Attachment | None:
        """A demo knowledge entry as a supervisor attaches it to a whisper (it shows as a card of theirs)."""
        for line in (DEMO_DIR / "knowledge.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip() else {}
            if record.get("id") == entry_id:
                entry = convert(record, KnowledgeRecord)
                return Attachment(
                    kind="knowledge", entry_id=entry_id, title=entry.title, body=entry.body, tags=entry.tags
                )
        return None

    def start_supervisor(self) -> None:
        """A scripted supervisor who reads the live call like a real one: once the customer has raised the
        double charge (the final line at that point of the conversation reaches the team), it whispers
        advice."""
        from sync.client import SyncClient

        client = SyncClient(self.url, self.tokens[SUPERVISOR], self.root / "supervisor-client.sqlite3")
        whisper = self.script["whisper"]
        line = self.script["timeline"]["lines"][int(whisper["after_line"])]
        sent: list[str] = []

        def on_call_event(event: AnyCallEvent | CallSnapshot) -> None:
            if not isinstance(event, CallTranscript) or sent or event.transcript.kind is not EventKind.FINAL:
                return
            said = event.transcript
            if said.channel is Channel.CUSTOMER and said.end >= float(line["end"]) - 1.0:
                sent.append(
                    client.send_whisper(
                        AGENT,
                        event.call_id,
                        str(whisper["text"][self.language]),
                        attachment=self.knowledge_attachment(WHISPERED_ENTRY[self.language]),
                    )
                )

        client.on_call_event = on_call_event
        client.on_whisper_status = lambda receipt: self.receipts.append(receipt.status.value)
        client.start()
        self.supervisor = client

    def close(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop(timeout=3)
        self.server.stop()
        if self.keep:
            print(f"demo data kept in {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def seed_store(path: Path) -> None:
    """Fill a store with the demo customers, their notes, past calls and follow-ups, and the knowledge
    base."""
    from assist.domain import CallRecord, Customer, FollowUp, KnowledgeEntry, Note, new_id
    from assist.store import Store

    store = Store.open(path)
    try:
        for line in (DEMO_DIR / "customers.jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            data = json.loads(line)
            store.upsert_customer(Customer.from_dict(data))
            for note in data.get("notes", ()):
                store.upsert_note(Note.from_dict({"id": new_id("note"), "customer_id": data["id"], **note}))
        entries = [
            KnowledgeEntry.from_dict(json.loads(line))
            for line in (DEMO_DIR / "knowledge.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        store.upsert_knowledge(entries)
        history = json.loads((DEMO_DIR / "history.json").read_text(encoding="utf-8"))
        for call in history["calls"]:
            store.upsert_call(CallRecord.from_dict(call))
        for follow_up in history["follow_ups"]:
            store.upsert_follow_up(FollowUp.from_dict(follow_up))
    finally:
        store.close()


# -- terminal flavour ----------------------------------------------------------------------------------------
class TerminalListener:
    """Prints the live flow; reads whispers at once (the terminal agent 'sees' them) and saves the wrap-up."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.desk: CallDesk | None = None
        self.done = threading.Event()
        self.failed = ""
        self._lock = threading.Lock()
        self._shown_cards: set[str] = set()
        self.whispers_read = 0
        self.outcome: SaveOutcome | None = None
        self.customer_name = ""
        self._connection: ViewConnectionState | None = None

    def _print(self, text: str) -> None:
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def on_call_started(self, call_id: str) -> None:
        self._print(f"call started ({call_id}), caller {DEMO_PHONE}")

    def on_transcript(self, event: TranscriptEvent) -> None:
        from audio.events import Channel, EventKind

        if event.kind is EventKind.FINAL and event.text.strip():
            who = "agent   " if event.channel is Channel.AGENT else "customer"
            minutes, seconds = divmod(int(event.start), 60)
            # the second pass over a finished turn: the turn's lines again, as one corrected line
            mark = "revised  " if event.revised else ""
            self._print(f"[{minutes:02d}:{seconds:02d}] {who} | {mark}{event.text.strip()}")

    def on_audio_status(self, event: AudioStatusEvent) -> None:
        if event.kind.value in ("device_lost", "device_restored", "recording_stopped"):
            self._print(f"  audio: {event.kind.value} {event.message}")

    def on_customer(self, customer: CustomerView) -> None:
        if customer.is_new:
            self._print("  caller: new caller")
            return
        self.customer_name = customer.name
        self._print(f"  caller: {customer.name} — {', '.join(customer.traits)}")
        for note in customer.notes:
            pin = "pinned " if note.pinned else ""
            self._print(f"    {pin}{note.kind} note ({note.author}): {note.text}")
        for follow_up in customer.follow_ups:
            self._print(f"    open follow-up: {follow_up}")
        for contact in customer.last_contacts[:2]:
            self._print(f"    last contact {contact.when} ({contact.agent}): {contact.summary}")

    def on_suggestions(self, cards: list[SuggestionView]) -> None:
        for card in cards:
            if card.pushed_by:
                if f"pushed:{card.key}" not in self._shown_cards:
                    self._shown_cards.add(f"pushed:{card.key}")
                    self._print(f"  card from {card.pushed_by}: {card.title}")
                continue
            if card.key in self._shown_cards:
                continue
            self._shown_cards.add(card.key)
            matched = ", ".join(card.matched_terms)
            self._print(
                f"  card: {card.title}  [matched: {matched}]" + (f" — {card.reason}" if card.reason else "")
            )

    def on_cue(self, cue: CueView) -> None:
        due = f" (due {cue.due})" if cue.due else ""
        self._print(f"  cue ({cue.style.value}): {cue.text}{due}")

    def on_coaching(self, coaching: CoachingView) -> None:
        for hint in coaching.hints:
            self._print(f"  coaching ({hint.kind}): {hint.reason}" + (f" — {hint.say}" if hint.say else ""))

    def on_whisper(self, whisper: WhisperView) -> None:
        self._print(f"  whisper from {whisper.sender}: {whisper.text}")
        if self.desk is not None:
            self.desk.mark_whisper_read(whisper.whisper_id)
            self.whispers_read += 1
            self._print("    (marked read)")

    def on_whisper_receipt(self, receipt: WhisperReceiptView) -> None:
        pass

    def on_connection(self, state: ViewConnectionState) -> None:
        if state is not self._connection and not self.done.is_set():
            self._connection = state
            self._print(f"  team server: {state.value}")

    def on_call_finished(self, call_id: str, draft: WrapUpDraft) -> None:
        self._print("call ended. Prefilled wrap-up:")
        for line in draft.summary.splitlines():
            self._print(f"    {line}")
        self._print(
            f"    tags: {', '.join(draft.tags)}; disposition: {draft.disposition}; "
            f"next: {draft.next_action or '-'} {draft.follow_up_due}"
        )
        if self.desk is not None:
            self.desk.save_wrap_up(draft, [])

    def on_saved(self, outcome: SaveOutcome) -> None:
        self.outcome = outcome
        self.done.set()

    def on_problem(self, problem: Problem, detail: str) -> None:
        self._print(f"  problem ({problem.value}): {detail}")
        if problem.value in ("no_audio_device", "audio_source", "model", "store", "save_failed"):
            self.failed = f"{problem.value}: {detail}"
            self.done.set()
        elif problem.value == "erased_during_call":
            self.done.set()  # the call was erased by the team: nothing to save


def run_headless(world: DemoWorld, out: TextIO | None = None, timeout: float = 240.0) -> int:
    from desktop.agent.desk import CallDesk

    out = out or sys.stdout
    began = time.monotonic()
    listener = TerminalListener(out)
    desk = CallDesk(
        listener,
        world.desk_config(),
        store_file=world.store_file,
        sync_state_file=world.root / "agent-client.sqlite3",
        recordings=world.root / "recordings",
    )
    listener.desk = desk
    out.write(
        f"Agent Assist demo (terminal, call in {world.language}). The demo call plays in real time; "
        "it takes about a minute.\n"
    )
    desk.start()
    world.start_supervisor()
    _wait_online(desk, 10.0)
    desk.start_call(DEMO_PHONE, replay=world.recording)
    finished = listener.done.wait(timeout)
    _wait_for(lambda: "read" in world.receipts, 5.0)
    desk.shutdown()
    summary = desk.last_summary
    elapsed = time.monotonic() - began
    if not finished or listener.failed or summary is None:
        reason = listener.failed or "the demo call did not finish in time"
        out.write(f"demo failed: {reason}\n")
        return 1
    where = "locally and on the team server" if summary.synced else "locally"
    out.write(
        f"demo finished: {summary.finals} lines ({summary.agent_lines} agent, {summary.customer_lines} "
        f"customer), {summary.suggestions} cards, {summary.cues} cues, {listener.whispers_read} whisper read "
        f"(receipt {'confirmed' if 'read' in world.receipts else 'pending'}), wrap-up saved {where}, "
        f"in {elapsed:.0f} s\n"
    )
    out.flush()
    return 0


def _wait_online(desk: CallDesk, timeout: float) -> None:
    from sync.client import ConnectionState

    _wait_for(lambda: desk.connection is ConnectionState.CONNECTED, timeout)


def _wait_for(predicate: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
