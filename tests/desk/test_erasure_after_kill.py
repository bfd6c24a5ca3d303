"""The team erases a customer during this PC's live call with her, and the app is then killed (SIGKILL: no
shutdown, as with a crash or a power cut) before the call ends: the lines heard since the erasure were already
written to the store. At the next start the app finishes the erasure before anything reads the store: her
name, phone numbers, every line heard and the recording are in no file of the data directory. Real parts: the
app is a process of its own (tests/desk/killed_app.py: the desk's real call path, the demo call through
FileSource -> faster-whisper tiny.en -> a real store, recording on), a real team server on 127.0.0.1 (port 0)
whose supervisor erases, the desk's real sync client reading the erasure from the change feed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from assist.exports import call_recording_dir
from assist.history import CallHistory, SearchQuery
from assist.store import Store
from desktop.cli import main
from desktop.common.background import StoreWorker
from sync.client import ConnectionState
from sync.protocol import Change, Erasure, RecordKind
from tests.desk.conftest import agents_desk, start_online
from tests.desk.test_erasure_during_call import CUSTOMER, HER
from tests.listeners import QuietListener
from tests.sync.conftest import RunningServer
from tests.sync.test_erasure import _grep
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


class App:
    """The killable app process and what it said on stdout."""

    def __init__(self, data: Path, server: RunningServer, log: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the test's own data home (tests/conftest.py)
        self.log = log
        with log.open("wb") as errors:  # its log and tracebacks, shown when the test fails
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.desk.killed_app", str(data), server.url, server.tokens["alex"]],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                encoding="utf-8",
            )
        self.said: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, name="killed-app-stdout")
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for text in self.process.stdout:
            if text.startswith("{"):
                self.said.append(json.loads(text))

    def told(self, key: str) -> Any:
        if self.process.poll() is not None and not any(key in said for said in self.said):
            raise AssertionError(
                f"the app exited ({self.process.returncode}) before saying {key!r}:\n{self.errors()}"
            )
        return next((said[key] for said in self.said if key in said), None)

    def errors(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self._reader.join(30)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.mark.parametrize("opener", ["the app", "the review command", "the History window"])
def test_an_erasure_during_a_call_is_finished_by_the_next_opener_after_the_app_was_killed(
    server: RunningServer, team_pc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opener: str
) -> None:
    """Whoever opens the store next finishes it: the app's next start, a ``review`` command, or the History &
    review window opened on its own (its store thread). While the app still runs, the call is its own: a
    ``review`` command or the History window run then leave it as it is (the lines heard since stay, to be
    erased at the call's end or by the next opener), so a kill after them is still covered."""
    pc = team_pc
    monkeypatch.setenv("AGENT_ASSIST_HOME", str(pc))  # the review command's data directory
    supervisor = server.raw("miki")
    app = App(pc, server, tmp_path / "app.log")
    try:
        call_id = wait_until(lambda: app.told("held"), 240, "the app's call with her under way")
        assert any(call_recording_dir(call_id, pc / "recordings").rglob("*.wav"))  # being recorded
        erased = supervisor.request("erase_customer", customer_id=CUSTOMER)
        assert erased["type"] == "ack", erased
        wait_until(lambda: app.told("erased"), 120, "the erasure on the agent's PC")
        wait_until(lambda: app.told("ready"), 240, "more of the call heard and stored after the erasure")
        if opener != "the app":  # opened beside the running app: its live call is left to it
            erased_at = next(i for i, said in enumerate(app.said) if "erased" in said)
            since = sorted({s["line"] for s in app.said[erased_at:] if len(s.get("line", "")) >= 12})
            _open_beside(opener, pc)
            assert _grep(pc, since), app.errors()
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nthe app's log:\n{app.errors()}") from exc
    finally:
        app.kill()
        supervisor.close()
    erased_at = next(i for i, said in enumerate(app.said) if "erased" in said)
    since = sorted({s["line"] for s in app.said[erased_at:] if len(s.get("line", "")) >= 12})
    heard = sorted({s["line"] for s in app.said if len(s.get("line", "")) >= 12})
    assert since, app.errors()  # lines were heard after the erasure
    assert _grep(pc, since), app.errors()  # and the killed app left them on disk
    word = max((w for line in since for w in line.split() if w.isalpha()), key=len)

    if opener == "the app":  # the next start: the agent opens the app again
        desk = agents_desk(QuietListener(), pc, server.url, server.tokens["alex"])
        try:
            desk.start(preload_model=False)
            wait_until(lambda: desk.connection is ConnectionState.CONNECTED, 30, "the app online again")
            found = desk.run_on_worker(lambda s: CallHistory(s).search(SearchQuery(word)).call_ids()).result(
                30
            )
            assert call_id not in found  # History finds nothing of the call
            assert desk.run_on_worker(lambda s: s.get_customer("demo-cust-tanaka") is not None).result(30)
        finally:
            desk.shutdown()
    else:  # the app is not running now
        _open_beside(opener, pc)
        with Store.open(pc / "agent-assist.sqlite3") as store:
            assert call_id not in CallHistory(store).search(SearchQuery(word)).call_ids()
            assert store.get_customer("demo-cust-tanaka") is not None
    assert _grep(pc, [*heard, *HER]) == {}
    assert not call_recording_dir(call_id, pc / "recordings").exists()


def _open_beside(opener: str, pc: Path) -> None:
    """A program other than the app opens the PC's store: a ``review`` command, or the History & review
    window's own store thread (its first write)."""
    if opener == "the review command":
        assert main(["review", "calls"]) == 0
        return
    worker = StoreWorker(pc / "agent-assist.sqlite3", "history-window-store", pc / "recordings")
    try:
        worker(lambda store: None).result(60)
    finally:
        worker.shutdown()


def test_the_sync_client_moves_its_feed_position_past_an_erasure_only_once_this_pc_has_erased(
    server: RunningServer, team_pc: Path
) -> None:
    """The sync client stores how far it read the change feed right after handing an entry to the app; an
    app killed between that and its own erasure would never read the erasure again. So the desk answers only
    once her record is erased here: while its worker is busy, the position waits."""
    pc = team_pc
    desk = agents_desk(QuietListener(), pc, server.url, server.tokens["alex"])
    supervisor = server.raw("miki")
    busy = threading.Event()
    try:
        client = start_online(desk)
        received = threading.Event()
        she_was_here_when_the_position_moved: list[bool] = []
        hand_erasure, hand_change = client.on_erasure, client.on_change

        def erasure_arrived(erasure: Erasure) -> None:
            received.set()
            hand_erasure(erasure)

        def change_arrived(change: Change) -> None:  # the client stores its position right after this
            if change.kind is RecordKind.ERASURE:
                she_was_here_when_the_position_moved.append(_her_record_in(pc / "agent-assist.sqlite3"))
            hand_change(change)

        client.on_erasure, client.on_change = erasure_arrived, change_arrived
        desk.run_on_worker(lambda store: busy.wait(60))  # the desk worker is busy (a long task)
        assert supervisor.request("erase_customer", customer_id=CUSTOMER)["type"] == "ack"
        wait_until(received.is_set, 30, "the erasure read from the feed by the agent's sync client")
        busy.set()
        wait_until(lambda: she_was_here_when_the_position_moved, 30, "the feed position moved on")
        assert she_was_here_when_the_position_moved == [False]
    finally:
        busy.set()
        desk.shutdown()
        supervisor.close()
    assert _grep(pc, HER) == {}


def _her_record_in(store_file: Path) -> bool:
    """Read by another connection, as the next start would find the file."""
    conn = sqlite3.connect(store_file)
    try:
        return conn.execute("SELECT 1 FROM customers WHERE id = ?", (CUSTOMER,)).fetchone() is not None
    finally:
        conn.close()
