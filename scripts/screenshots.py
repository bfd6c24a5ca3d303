"""Screenshots of the agent's main screens in Japanese and English, from a real window.

    .venv/bin/python scripts/screenshots.py [--out build/screenshots]

Without a display it re-runs itself under ``xvfb-run`` (Debian: xvfb; Japanese needs fonts-noto-cjk), so the
window is drawn by Qt's real xcb platform, not the offscreen one. The screens are filled the way a call fills
them: the demo store (resources/demo) gives the customer's context, the demo call's lines (in the screen's language) go through a
real CallSession for the suggestion cards, cues and wrap-up, and a whisper arrives. Writes, per language:
call.png (mid-call), wrap_up.png (after the call), settings.png.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "screenshots")
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
        ]
        return subprocess.run(cmd, env=env).returncode
    os.environ.setdefault("AGENT_ASSIST_HOME", tempfile.mkdtemp(prefix="aa-shots-"))
    args.out.mkdir(parents=True, exist_ok=True)
    for language in ("ja", "en"):
        shoot(language, args.out / language)
    print(f"screenshots written to {args.out}")
    return 0


def shoot(language: str, out: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from assist.customers import customer_context, lookup_caller
    from assist.session import CallSession
    from assist.store import Store
    from audio.events import Channel, EventKind, TranscriptEvent
    from desktop import core_views
    from desktop.agent_app import AgentApp
    from desktop.app import ensure_app
    from desktop.call_desk import CallDesk, DeskConfig
    from desktop.demo import DEMO_CALLS, DEMO_PHONE, seed_store
    from desktop.preferences import Preferences
    from desktop.settings_dialog import SettingsDialog
    from desktop.views import ConnectionState, WhisperView

    out.mkdir(parents=True, exist_ok=True)
    app = ensure_app()
    work = Path(tempfile.mkdtemp(prefix="aa-shot-"))
    store_file = work / "store.sqlite3"
    seed_store(store_file)
    prefs = Preferences(ui_language=language, theme="light")
    agent = AgentApp(
        app, prefs=prefs, desk=CallDesk(_Quiet(), DeskConfig(language=language), store_file=store_file)
    )
    window = agent.window
    window.resize(1500, 900)
    window.show()
    QApplication.processEvents()

    store = Store.open(store_file)
    lookup = lookup_caller(store, DEMO_PHONE)
    customer_id = core_views.lookup_customer_id(lookup)
    context = customer_context(store, customer_id) if customer_id else None
    session = CallSession(store, "call-screenshot", customer_id, language)
    window.call_started()
    window.show_customer(core_views.customer_view(context, DEMO_PHONE))
    window.show_connection(ConnectionState.ONLINE)
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
    window.show_whisper(WhisperView("w-1", "三木 (supervisor)", advice, "10:42"))
    _settle(app)
    window.grab().save(str(out / "call.png"))

    window.call_ended(core_views.wrap_up_draft(session.wrap_up()))
    window.call_bar.set_level(Channel.AGENT, 0)
    window.call_bar.set_level(Channel.CUSTOMER, 0)
    _settle(app)
    window.grab().save(str(out / "wrap_up.png"))

    dialog = SettingsDialog(prefs, window)
    dialog.show()
    _settle(app)
    dialog.grab().save(str(out / "settings.png"))
    dialog.close()
    store.close()
    window.close()
    agent.shutdown()
    shutil.rmtree(work, ignore_errors=True)


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
