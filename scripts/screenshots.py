"""Screenshots of the app's main screens in Japanese and English, light and dark, from real windows.

    .venv/bin/python scripts/screenshots.py [--out build/screenshots] [--languages ja en] [--themes light
    dark]

Without a display it re-runs itself under ``xvfb-run`` (Debian: xvfb; Japanese needs fonts-noto-cjk), so the
windows are drawn by Qt's real xcb platform, not the offscreen one. The screens are filled the way a call
fills them: the demo store (resources/demo) gives the customer's context, the demo call's lines (in the
screen's language) go through a real CallSession for the suggestion cards, cues and wrap-up, the agent raises
a hand and a supervisor's "I'm coming" and whisper arrive. The supervisor console runs against a real team
server on 127.0.0.1 (port 0) where a scripted agent streams the same call with a raised hand; the review
window opens on the demo store with the call just saved. Writes, per language and theme (``OUT/LANG/THEME/``):
call.png (mid-call, 1280x800), wrap_up.png (after the call), settings.png, console.png (following a call with
a raised hand), review.png (call detail), insights.png.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync.protocol import SharedCustomer, convert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "screenshots")
    parser.add_argument("--languages", nargs="+", default=["ja", "en"], choices=["ja", "en"])
    parser.add_argument("--themes", nargs="+", default=["light", "dark"], choices=["light", "dark"])
    args = parser.parse_args()
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and not os.environ.get(
        "AA_IN_XVFB"
    ):
        if shutil.which("xvfb-run") is None:
            print("screenshots: no display and no xvfb-run (apt-get install xvfb)", file=sys.stderr)
            return 1
        env = dict(os.environ, AA_IN_XVFB="1")
        env.pop("QT_QPA_PLATFORM", None)
        cmd = [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1600x1000x24",
            sys.executable,
            __file__,
            "--out",
            str(args.out),
            "--languages",
            *args.languages,
            "--themes",
            *args.themes,
        ]
        return subprocess.run(cmd, env=env).returncode
    os.environ.setdefault("AGENT_ASSIST_HOME", tempfile.mkdtemp(prefix="aa-shots-"))
    args.out.mkdir(parents=True, exist_ok=True)
    for language in args.languages:
        for theme in args.themes:
            shoot(language, theme, args.out / language / theme)
    print(f"screenshots written to {args.out}")
    return 0


def shoot(language: str, theme: str, out: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from assist.customers import customer_context, lookup_caller
    from assist.session import CallSession
    from assist.store import Store
    from audio.events import Channel, EventKind, TranscriptEvent
    from desktop.agent.agent_app import AgentApp
    from desktop.agent.demo import DEMO_CALLS, DEMO_PHONE, seed_store
    from desktop.agent.desk import CallDesk, DeskConfig, core_views, saving
    from desktop.agent.settings_dialog import SettingsDialog
    from desktop.app import ensure_app
    from desktop.common.preferences import Preferences
    from desktop.common.views import WhisperView
    from sync.client import ConnectionState

    out.mkdir(parents=True, exist_ok=True)
    app = ensure_app()
    work = Path(tempfile.mkdtemp(prefix="aa-shot-"))
    store_file = work / "store.sqlite3"
    seed_store(store_file)
    prefs = Preferences(ui_language=language, theme=theme)
    agent = AgentApp(
        app, prefs=prefs, desk=CallDesk(_Quiet(), DeskConfig(language=language), store_file=store_file)
    )
    window = agent.window
    window.resize(1280, 800)
    window.show()
    QApplication.processEvents()

    store = Store.open(store_file)
    lookup = lookup_caller(store, DEMO_PHONE)
    customer_id = core_views.lookup_customer_id(lookup)
    context = customer_context(store, customer_id) if customer_id else None
    session = CallSession(store, "call-screenshot", customer_id, language)
    window.call_started(team=True)
    window.show_customer(core_views.customer_view(context, DEMO_PHONE))
    window.show_connection(ConnectionState.CONNECTED)
    timeline = json.loads(DEMO_CALLS[language][1].read_text(encoding="utf-8"))["lines"]
    for index, line in enumerate(timeline[:6]):
        channel = Channel.AGENT if line["speaker"] == "agent" else Channel.CUSTOMER
        event = TranscriptEvent(
            "call-screenshot",
            channel,
            EventKind.FINAL,
            line["start"],
            line["end"],
            line["text"],
            0.9,
            f"seg-{index}",
        )
        update = session.feed(event)
        window.show_transcript(update.event)
        window.show_suggestions([core_views.suggestion_view(s) for s in update.suggestions])
        for cue in update.cues:
            window.show_cue(core_views.cue_view(cue))
    partial = timeline[6]["text"][: len(timeline[6]["text"]) // 2]
    window.show_transcript(
        TranscriptEvent(
            "call-screenshot",
            Channel.CUSTOMER,
            EventKind.PARTIAL,
            timeline[6]["start"],
            timeline[6]["start"] + 1,
            partial,
            0.5,
            "seg-6",
        )
    )
    window.call_bar.set_level(Channel.AGENT, 0.05)
    window.call_bar.set_level(Channel.CUSTOMER, 0.3)
    window.call_bar.set_lag(0.6)
    advice = (
        "二重請求のお詫びクレジットを案内してください。"
        if language == "ja"
        else "Offer the one-time courtesy credit for the double charge."
    )
    window.hand.reason.setText(REASONS[language])
    window.hand.toggle()
    coming = "今から応援に向かいます。" if language == "ja" else "I'm coming to help you."
    window.show_whisper(WhisperView("w-0", "miki", coming, "10:41", "call-screenshot", kind="coming"))
    window.show_whisper(WhisperView("w-1", "miki", advice, "10:42"))
    _settle(app)
    window.grab().save(str(out / "call.png"))

    draft = core_views.wrap_up_draft(session.wrap_up())
    window.call_ended(draft)
    window.call_bar.set_level(Channel.AGENT, 0)
    window.call_bar.set_level(Channel.CUSTOMER, 0)
    _settle(app)
    window.grab().save(str(out / "wrap_up.png"))

    dialog = SettingsDialog(prefs, window)
    dialog.show()
    _settle(app)
    dialog.grab().save(str(out / "settings.png"))
    dialog.close()
    saving.save_wrap_up(session, draft, [], "sato")
    store.close()
    window.close()
    agent.shutdown()
    shoot_console(language, timeline, context, work, out)
    shoot_review(store_file, out)
    shutil.rmtree(work, ignore_errors=True)


REASONS = {"ja": "解約すると言われています", "en": "The customer wants to cancel"}


def _wait(predicate: Callable[[], object], seconds: float = 10.0) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("screenshots: the window did not get there in time")
        QApplication.processEvents()
        time.sleep(0.02)


def shoot_console(language: str, timeline: list[dict[str, Any]], context: Any, work: Path, out: Path) -> None:
    """The supervisor console following a call whose agent raised a hand, on a real team server."""
    from audio.events import Channel, EventKind, TranscriptEvent
    from desktop.supervisor.console import SupervisorConsole
    from desktop.supervisor.i18n import install_supervisor_translation
    from desktop.supervisor.templates import WhisperTemplates
    from sync.client import ConnectionState, SyncClient
    from sync.protocol import Role
    from sync.server import ServerThread
    from sync.store import TeamStore

    server = ServerThread(work / "server")
    server.start()
    team = TeamStore(work / "server")
    tokens = {name: team.add_user(name, role, "demo") for name, role in (
        ("sato", Role.AGENT), ("ken", Role.AGENT), ("miki", Role.SUPERVISOR))}  # fmt: skip
    team.close()
    clients = [SyncClient(server.url, tokens[n], work / f"{n}.sqlite3") for n in ("sato", "ken", "miki")]
    sato, ken, miki = clients
    console = None
    try:
        for client in (sato, ken):
            client.start()
        _wait(lambda: sato.state is ConnectionState.CONNECTED and ken.state is ConnectionState.CONNECTED)
        install_supervisor_translation(language)
        console = SupervisorConsole(miki, templates=WhisperTemplates.load())
        console.resize(1400, 860)
        console.show()
        _wait(lambda: miki.state is ConnectionState.CONNECTED)
        for number, title in enumerate(("Refund a double charge", "Loyalty discount")):
            miki.push_change("knowledge", {"id": f"kb-{number}", "title": title, "body": "..."})
        other = "山本 太郎" if language == "ja" else "Taro Yamamoto"
        ken.call_started("call-ken", convert({"id": "c-ken", "name": other}, SharedCustomer))
        name = context.customer.name if context is not None else ""
        sato.call_started("call-sato", convert({"id": "c-sato", "name": name}, SharedCustomer))
        for index, line in enumerate(timeline[:6]):
            channel = Channel.AGENT if line["speaker"] == "agent" else Channel.CUSTOMER
            event = TranscriptEvent("call-sato", channel, EventKind.FINAL, line["start"], line["end"],
                                    line["text"], 0.9, f"seg-{index}", language=language)  # fmt: skip
            sato.publish_transcript(event)
        sato.raise_hand("call-sato", REASONS[language])
        _wait(lambda: console is not None and console.board_view.call_ids()[:1] == ["call-sato"])
        console.follow_call("call-sato")
        _wait(lambda: console is not None and len(console.transcript.lines()) >= 6)
        _settle(None)
        console.grab().save(str(out / "console.png"))
    finally:
        if console is not None:
            console.shutdown()
            console.close()
        for client in clients:
            client.stop()
        server.stop()


def shoot_review(store_file: Path, out: Path) -> None:
    """The review window: the call just saved in detail, then the insights."""
    from assist.store import Store
    from desktop.review import create_review_window

    store = Store.open(store_file)
    try:
        window = create_review_window(store, author="sato")
        window.resize(1400, 860)
        window.show()
        latest = store.conn.execute("SELECT id FROM calls ORDER BY started_at DESC LIMIT 1").fetchone()
        if latest is not None:
            window.detail.show_call(str(latest[0]))  # type: ignore[attr-defined]
        _settle(None)
        window.grab().save(str(out / "review.png"))
        window.tabs.setCurrentIndex(1)  # type: ignore[attr-defined]
        _wait(lambda: not window.insights.busy, 20.0)  # type: ignore[attr-defined]
        _settle(None)
        window.grab().save(str(out / "insights.png"))
        window.close()  # its counting and writing threads end here
    finally:
        store.close()


def _settle(app: object) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(400, loop.quit)
    loop.exec()


class _Quiet:
    def __getattr__(self, name: str) -> object:
        return lambda *args, **kwargs: None


if __name__ == "__main__":
    sys.exit(main())
